//! Text a client sends, checked where it enters: the API's JSON bodies and
//! query parameters, the pages' forms, the CSV imports and the command line
//! all build these two types, so no handler can store text that would forge
//! a line in a mail header, a CSV row or an iCal property, or that
//! PostgreSQL cannot hold (U+0000).
//!
//! - [`SingleLine`]: titles, names, addresses, places … No control
//!   character at all (C0 including NUL, tab, CR and LF; DEL; C1), nor the
//!   Unicode line and paragraph separators (U+2028, U+2029), which some
//!   readers break lines at.
//! - [`MultiLine`]: minutes, plans, evaluations, notes, 【課題】 … Tab and
//!   line breaks are the only control characters allowed. Line breaks are
//!   stored as LF: browsers send a textarea's breaks as CRLF, API clients
//!   and Excel's cells mostly LF, so one form keeps lengths, comparisons and
//!   exports the same whichever way the text came, and a lone CR (a line
//!   break to iCal and mail readers) never reaches the writers, which then
//!   escape one character.
//!
//! Neither trims: what counts as empty or too long stays the domain's rule.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;

/// Why a text was refused; its `Display` is the Japanese message shown to
/// users (beside the field, in a problem's field list, for a CSV cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// A control character or line break in a [`SingleLine`].
    #[error("改行や制御文字は使えません")]
    NotSingleLine,
    /// A control character other than tab, CR and LF in a [`MultiLine`].
    #[error("改行やタブ以外の制御文字（文字コード0など）は使えません")]
    ControlCharacter,
}

impl TextError {
    /// Both errors, for searching a message.
    pub const ALL: [TextError; 2] = [TextError::NotSingleLine, TextError::ControlCharacter];

    /// The Japanese message (the same as `Display`).
    pub fn message(self) -> &'static str {
        match self {
            TextError::NotSingleLine => "改行や制御文字は使えません",
            TextError::ControlCharacter => {
                "改行やタブ以外の制御文字（文字コード0など）は使えません"
            }
        }
    }

    /// The error whose message `reason` carries, for errors that reach us
    /// only as text (poem-openapi's parse errors).
    pub fn found_in(reason: &str) -> Option<TextError> {
        Self::ALL.into_iter().find(|e| reason.contains(e.message()))
    }

    /// Whether a value of the kind that raised this error would refuse `text`.
    pub fn refuses(self, text: &str) -> bool {
        match self {
            TextError::NotSingleLine => Single::check(text).is_err(),
            TextError::ControlCharacter => Multi::check(text).is_err(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The rule of one kind of text; implemented by [`Single`] and [`Multi`] only.
pub trait Kind: sealed::Sealed + Send + Sync + 'static {
    /// The poem-openapi type name (shown in its parse errors).
    const NAME: &'static str;
    /// The OpenAPI `format`, by which `http::problem` tells the kinds apart.
    const FORMAT: &'static str;
    /// The rule as an ECMA-262 pattern, for the spec's readers.
    const PATTERN: &'static str;
    /// The schema's description (a field's own doc comment replaces it).
    const DESCRIPTION: &'static str;
    /// Puts `text` in canonical form, or says why it is refused.
    fn accept(text: String) -> Result<String, TextError>;
    /// The text with what the kind refuses dropped (stored values only).
    fn scrub(text: &str) -> String;
}

/// The rule of [`SingleLine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Single;

/// The rule of [`MultiLine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Multi;

impl sealed::Sealed for Single {}
impl sealed::Sealed for Multi {}

fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

impl Single {
    fn check(text: &str) -> Result<(), TextError> {
        // `is_control` is Unicode's Cc: C0, DEL and C1.
        if text.chars().any(|c| c.is_control() || is_line_separator(c)) {
            Err(TextError::NotSingleLine)
        } else {
            Ok(())
        }
    }
}

impl Multi {
    fn check(text: &str) -> Result<(), TextError> {
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            Err(TextError::ControlCharacter)
        } else {
            Ok(())
        }
    }

    /// CRLF and lone CR as LF.
    fn normalize(text: String) -> String {
        if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        }
    }
}

impl Kind for Single {
    const NAME: &'static str = "string(single-line)";
    const FORMAT: &'static str = "single-line";
    const PATTERN: &'static str = r"^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]*$";
    const DESCRIPTION: &'static str = "One line of text: no control characters (U+0000–U+001F, U+007F–U+009F) and no line breaks (U+2028, U+2029).";

    fn accept(text: String) -> Result<String, TextError> {
        Self::check(&text).map(|()| text)
    }

    fn scrub(text: &str) -> String {
        text.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if c.is_control() || is_line_separator(c) => None,
                c => Some(c),
            })
            .collect()
    }
}

impl Kind for Multi {
    const NAME: &'static str = "string(multi-line)";
    const FORMAT: &'static str = "multi-line";
    const PATTERN: &'static str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";
    const DESCRIPTION: &'static str = "Text of one or more lines: tab, CR and LF are the only control characters allowed; line breaks are stored as LF.";

    fn accept(text: String) -> Result<String, TextError> {
        Self::check(&text).map(|()| Self::normalize(text))
    }

    fn scrub(text: &str) -> String {
        Self::normalize(
            text.chars()
                .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                .collect(),
        )
    }
}

/// Checked text of kind `K`: always valid for its kind, in canonical form.
/// Use the aliases [`SingleLine`] and [`MultiLine`].
pub struct Text<K: Kind> {
    text: String,
    kind: PhantomData<fn() -> K>,
}

/// One line of text: no control characters, no line breaks.
pub type SingleLine = Text<Single>;

/// Free text of any number of lines: tab and line breaks (stored as LF) are
/// the only control characters allowed.
pub type MultiLine = Text<Multi>;

impl<K: Kind> Text<K> {
    /// The text, if its kind allows it (a `MultiLine`'s line breaks become LF).
    pub fn parse(text: impl Into<String>) -> Result<Self, TextError> {
        K::accept(text.into()).map(|text| Self {
            text,
            kind: PhantomData,
        })
    }

    /// The text with what the kind refuses dropped (a single line's tabs
    /// and breaks become spaces), for values that must not fail: rows
    /// written before the kinds were checked, and the stand-ins a form is
    /// checked with while one of its fields was refused.
    pub fn lossy(text: &str) -> Self {
        Self {
            text: K::scrub(text),
            kind: PhantomData,
        }
    }

    /// Without leading and trailing white space (still valid: trimming
    /// only removes characters).
    pub fn trimmed(&self) -> Self {
        Self {
            text: self.text.trim().to_string(),
            kind: PhantomData,
        }
    }

    /// The text, as `Deref` gives it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned (as `String::from`).
    pub fn into_string(self) -> String {
        self.text
    }
}

impl<K: Kind> Clone for Text<K> {
    fn clone(&self) -> Self {
        Self {
            text: self.text.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> Default for Text<K> {
    fn default() -> Self {
        Self {
            text: String::new(),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> PartialEq for Text<K> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<K: Kind> Eq for Text<K> {}

impl<K: Kind> std::hash::Hash for Text<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl<K: Kind> PartialEq<str> for Text<K> {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl<K: Kind> PartialEq<&str> for Text<K> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl<K: Kind> fmt::Debug for Text<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl<K: Kind> fmt::Display for Text<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<K: Kind> Deref for Text<K> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl<K: Kind> AsRef<str> for Text<K> {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl<K: Kind> From<Text<K>> for String {
    fn from(value: Text<K>) -> String {
        value.text
    }
}

impl<K: Kind> TryFrom<String> for Text<K> {
    type Error = TextError;

    fn try_from(value: String) -> Result<Self, TextError> {
        Self::parse(value)
    }
}

impl<K: Kind> TryFrom<&str> for Text<K> {
    type Error = TextError;

    fn try_from(value: &str) -> Result<Self, TextError> {
        Self::parse(value)
    }
}

/// For clap's arguments, among others.
impl<K: Kind> std::str::FromStr for Text<K> {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, TextError> {
        Self::parse(s)
    }
}

impl<K: Kind> serde::Serialize for Text<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de, K: Kind> serde::Deserialize<'de> for Text<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(text).map_err(serde::de::Error::custom)
    }
}

impl<K: Kind> Type for Text<K> {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        K::NAME.into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some(K::FORMAT),
            pattern: Some(K::PATTERN.to_string()),
            description: Some(K::DESCRIPTION),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Accepts a JSON string only, as the spec's `type: string` says (unlike
/// poem-openapi's `String`, which also takes numbers and booleans as their
/// text), then the kind's rule. A refusal's message is the Japanese one;
/// `http::problem` finds the field it came from.
impl<K: Kind> ParseFromJSON for Text<K> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let text = match value.unwrap_or_default() {
            Value::String(s) => s,
            other => return Err(ParseError::expected_type(other)),
        };
        Self::parse(text).map_err(|e| ParseError::custom(e.message()))
    }
}

impl<K: Kind> ParseFromParameter for Text<K> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(|e| ParseError::custom(e.message()))
    }
}

impl<K: Kind> ToJSON for Text<K> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.text.clone()))
    }
}

impl<K: Kind> sqlx::Type<sqlx::Any> for Text<K> {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<K: Kind> sqlx::Encode<'_, sqlx::Any> for Text<K> {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'_, sqlx::Any>>::encode_by_ref(&self.text, buf)
    }
}

impl<K: Kind> From<Text<K>> for crate::db::Bind {
    fn from(value: Text<K>) -> Self {
        crate::db::Bind::Text(value.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_line_refuses_every_control_character_and_line_break() {
        for bad in [
            "a\0b",
            "a\tb",
            "a\nb",
            "a\rb",
            "a\u{1b}b",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{9f}b",
            "a\u{2028}b",
            "a\u{2029}b",
        ] {
            assert_eq!(
                SingleLine::parse(bad),
                Err(TextError::NotSingleLine),
                "{bad:?}"
            );
        }
        let ok = SingleLine::parse(" 第1回 推進会議（北区）😀 ").unwrap();
        assert_eq!(ok, " 第1回 推進会議（北区）😀 ");
    }

    #[test]
    fn a_multi_line_keeps_tabs_and_breaks_as_lf_and_refuses_other_controls() {
        let t = MultiLine::parse("一\r\n二\r三\n\t四").unwrap();
        assert_eq!(t, "一\n二\n三\n\t四");
        for bad in [
            "a\0b", "a\u{b}b", "a\u{c}b", "a\u{1b}b", "a\u{7f}b", "a\u{85}b",
        ] {
            assert_eq!(
                MultiLine::parse(bad),
                Err(TextError::ControlCharacter),
                "{bad:?}"
            );
        }
        assert!(MultiLine::parse("a\u{2028}b").is_ok());
    }

    #[test]
    fn json_parsing_applies_the_rule_and_takes_strings_only() {
        let err = SingleLine::parse_from_json(Some(Value::String("a\nb".into()))).unwrap_err();
        assert_eq!(
            TextError::found_in(err.message()),
            Some(TextError::NotSingleLine)
        );
        for not_a_string in [
            serde_json::json!(12),
            serde_json::json!(false),
            serde_json::json!([1]),
        ] {
            assert!(SingleLine::parse_from_json(Some(not_a_string)).is_err());
        }
        let m = MultiLine::parse_from_json(Some(Value::String("a\r\nb".into()))).unwrap();
        assert_eq!(m.to_json(), Some(Value::String("a\nb".into())));
        assert!(MultiLine::parse_from_parameter("a\u{0}").is_err());
    }

    #[test]
    fn serde_refuses_what_the_kind_refuses() {
        assert!(serde_json::from_str::<SingleLine>(r#""a\u0000""#).is_err());
        let m: MultiLine = serde_json::from_str(r#""a\r\nb""#).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#""a\nb""#);
    }

    #[test]
    fn the_two_messages_are_told_apart() {
        for e in TextError::ALL {
            let reason = format!("{} (occurred while parsing \"NewMeeting\")", e.message());
            assert_eq!(TextError::found_in(&reason), Some(e));
        }
        assert_eq!(TextError::found_in("expected type string"), None);
    }

    #[test]
    fn lossy_values_are_scrubbed_not_refused() {
        assert_eq!(SingleLine::lossy("a\0b\nc"), "ab c");
        assert_eq!(MultiLine::lossy("a\0b\r\nc"), "ab\nc");
    }

    /// The characters a pattern's class `[^…]` excludes, read from its
    /// `\uXXXX` and `\uXXXX-\uXXXX` entries.
    fn excluded_by(pattern: &str) -> Vec<(u32, u32)> {
        let class = pattern
            .strip_prefix("^[^")
            .and_then(|p| p.strip_suffix("]*$"))
            .unwrap();
        let code = |s: &str| u32::from_str_radix(&s[2..6], 16).unwrap();
        let mut ranges = Vec::new();
        let mut rest = class;
        while !rest.is_empty() {
            let lo = code(rest);
            rest = &rest[6..];
            let hi = match rest.strip_prefix('-') {
                Some(r) => {
                    rest = &r[6..];
                    code(r)
                }
                None => lo,
            };
            ranges.push((lo, hi));
        }
        ranges
    }

    /// The spec's patterns are written by hand: they must say what the code does.
    #[test]
    fn the_spec_patterns_match_the_rules() {
        for (pattern, refuses) in [
            (Single::PATTERN, TextError::NotSingleLine),
            (Multi::PATTERN, TextError::ControlCharacter),
        ] {
            let ranges = excluded_by(pattern);
            for c in (0..=0x3000u32).filter_map(char::from_u32) {
                let excluded = ranges
                    .iter()
                    .any(|(lo, hi)| (*lo..=*hi).contains(&(c as u32)));
                assert_eq!(excluded, refuses.refuses(&c.to_string()), "{pattern} {c:?}");
            }
        }
    }
}
