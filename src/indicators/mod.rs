//! 評価指標 (indicators) of a municipality and their measured values per
//! ward and period: what the countermeasures of the PDCA chain are judged
//! against (手引き Ver.3: ストラクチャー → プロセス → アウトプット →
//! 中間アウトカム → 最終アウトカム).

pub mod api;
pub mod pages;
pub mod sheet;
pub mod store;

/// An indicator's latest measured value for one ward (or the municipality
/// as a whole), as an evaluation keeps it: `value` is the exact decimal as
/// stored (`"12.5"`), `period` a `calendar::Span` code (`2026`, `2026H1`).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct LatestValue {
    pub indicator_id: i64,
    /// The indicator's name at that moment.
    pub name: String,
    pub unit: String,
    pub period: String,
    pub value: String,
    /// Measured for the municipality as a whole (no ward value existed).
    pub city_wide: bool,
}

pub mod writers;

use std::collections::HashMap;

use poem_openapi::types::MaybeUndefined;
use rust_decimal::Decimal;

use crate::calendar::Span;
use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::scenes::Scenes;
use crate::text::{MultiLine, SingleLine};

label_enum! {
    /// The level of the logic model an indicator measures (手引き Ver.3),
    /// in the chain's order (lists sort by it).
    Level {
        Structure => "ストラクチャー",
        Process => "プロセス",
        Output => "アウトプット",
        IntermediateOutcome => "中間アウトカム",
        FinalOutcome => "最終アウトカム",
    }
}

label_enum! {
    /// Where the figures come from.
    DataSource {
        Report => "実績報告",
        Mieruka => "見える化システム",
        Kdb => "KDB",
        OwnSurvey => "独自調査",
        Other => "その他",
    }
}

label_enum! {
    /// The desired direction of the figure: up, down or kept.
    Direction {
        Up => "↑",
        Down => "↓",
        Keep => "→",
    }
}

label_enum! {
    /// How often it is measured: per fiscal year (`2026`) or per half-year
    /// (`2026H1`); every value's period is of this kind.
    Frequency {
        FiscalYear => "年度",
        HalfYear => "半期",
    }
}

impl DataSource {
    /// What the pages show: 見える化システム in full.
    pub fn display(self) -> &'static str {
        match self {
            DataSource::Mieruka => "地域包括ケア「見える化」システム",
            other => other.as_str(),
        }
    }
}

impl Direction {
    /// 「高いほどよい」 …, for the pages.
    pub fn display(self) -> &'static str {
        match self {
            Direction::Up => "↑ 高いほどよい",
            Direction::Down => "↓ 低いほどよい",
            Direction::Keep => "→ 維持",
        }
    }
}

impl Frequency {
    /// Whether `span` is of this kind.
    pub fn fits(self, span: Span) -> bool {
        matches!(
            (self, span),
            (Frequency::FiscalYear, Span::FiscalYear(_)) | (Frequency::HalfYear, Span::Half(_))
        )
    }

    /// The message for a period of the other kind.
    pub fn mismatch(self, span: Span) -> String {
        match self {
            Frequency::FiscalYear => format!(
                "この評価指標は年度ごとに測ります。期間「{}」ではなく 2026 のような年度を指定してください",
                span.label()
            ),
            Frequency::HalfYear => format!(
                "この評価指標は半期ごとに測ります。期間「{}」ではなく 2026H1 のような半期を指定してください",
                span.label()
            ),
        }
    }
}

/// The longest name, in characters.
pub const NAME_MAX: usize = 100;
/// The longest unit (単位), in characters.
pub const UNIT_MAX: usize = 20;
/// The longest definition (定義), in characters.
pub const DEFINITION_MAX: usize = 2000;
/// The most significant digits a value may have.
pub const DIGITS_MAX: usize = 18;

/// Reads a measured figure as an exact decimal and returns its canonical
/// text (what is stored and shown): `12.50` → `12.5`, `-0` → `0`.
///
/// The rule: half-width digits with an optional leading `-` and one `.`;
/// full-width digits, `．`, `－`/`ー` and `，` typed with a Japanese IME are
/// read as their half-width forms; thousands separators are accepted only
/// in groups of three (`1,234.5`; `1,23` is refused, so a decimal comma is
/// never misread); at most [`DIGITS_MAX`] digits. Refused: empty text,
/// exponents (`1e3`), `%` and units (the unit is the indicator's), spaces
/// inside the number. Errors: a Japanese message naming the text.
pub fn parse_value(text: &str) -> Result<String, String> {
    let half: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' | 'ー' | '−' => '-',
            '，' => ',',
            c => c,
        })
        .collect();
    let refused = || {
        format!(
            "「{text}」は数値として読めません。12 や 12.5 のように数字で入力してください（単位や%は付けません）"
        )
    };
    if half.is_empty() {
        return Err("数値を入力してください".into());
    }
    let (sign, body) = match half.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", half.as_str()),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_digits: String = if int_part.contains(',') {
        let groups: Vec<&str> = int_part.split(',').collect();
        let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return Err(format!(
                "「{text}」の桁区切りのカンマが3桁ごとになっていません。カンマを付けずに入力してください"
            ));
        }
        groups.concat()
    } else {
        int_part.to_string()
    };
    let frac = frac_part.unwrap_or("");
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_digits.is_empty() || !all_digits(&int_digits) || !all_digits(frac) {
        return Err(refused());
    }
    if frac_part.is_some() && frac.is_empty() {
        return Err(refused());
    }
    let significant = int_digits.trim_start_matches('0').len() + frac.len();
    if significant > DIGITS_MAX {
        return Err(format!(
            "「{text}」は桁数が多すぎます（{DIGITS_MAX}桁まで）"
        ));
    }
    let canonical = if frac.is_empty() {
        format!("{sign}{int_digits}")
    } else {
        format!("{sign}{int_digits}.{frac}")
    };
    let d: Decimal = canonical.parse().map_err(|_| refused())?;
    Ok(d.normalize().to_string())
}

/// A stored value as a decimal (for differences shown beside it); `None`
/// for text that is not one (never stored by this module).
pub fn decimal(value: &str) -> Option<Decimal> {
    value.parse().ok()
}

/// A period typed by a user: a [`Span`] code (`2026`, `2026H1`) or its
/// label as the pages and the CSV export print it (`令和8年度`,
/// `令和8年度上半期`), within the years `calendar::YEARS`. Errors: the
/// Japanese message of [`crate::calendar::SpanError`].
pub fn parse_period(text: &str) -> Result<Span, String> {
    let t = text.trim();
    let in_years = |s: Span| crate::calendar::YEARS.contains(&chrono::Datelike::year(&s.start()));
    if let Ok(s) = Span::parse(t) {
        return if in_years(s) {
            Ok(s)
        } else {
            Err(crate::calendar::SpanError { code: t.into() }.message())
        };
    }
    for y in crate::calendar::YEARS {
        for code in [y.to_string(), format!("{y}H1"), format!("{y}H2")] {
            if let Ok(s) = Span::parse(&code)
                && s.label() == t
            {
                return Ok(s);
            }
        }
    }
    Err(crate::calendar::SpanError { code: t.into() }.message())
}

/// A figure at a period: a baseline (ベースライン) or a target (目標値).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct Point {
    /// The exact decimal as text (`"12.5"`; see [`parse_value`]).
    pub value: String,
    /// A `calendar::Span` code: `2026` (fiscal year) or `2026H1`.
    pub period: String,
    /// The period's label (`令和8年度`), read only.
    #[oai(read_only)]
    #[serde(default)]
    pub period_label: String,
}

/// A baseline or target as sent: the value (`"12.5"`, also `"1,234"` or
/// full-width digits, see [`parse_value`]) and its period code.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct PointInput {
    pub value: SingleLine,
    pub period: SingleLine,
}

/// A 評価指標 of a municipality.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
pub struct Indicator {
    pub id: i64,
    pub municipality_id: i64,
    /// Unique within the municipality.
    pub name: String,
    pub level: Level,
    /// 単位 (`%`, `件`, `人`); empty when none.
    pub unit: String,
    /// 定義: the numerator and the denominator in words.
    pub definition: String,
    pub data_source: DataSource,
    pub direction: Direction,
    pub baseline: Option<Point>,
    pub target: Option<Point>,
    pub frequency: Frequency,
    /// Names of the municipality's scenes it measures, in the list's order.
    pub scenes: Vec<String>,
}

/// A new indicator. Errors on creation: 422 per field (`name`,
/// `baseline.value`, `target.period`, `scenes` …), 409 for a name the
/// municipality already has.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewIndicator {
    pub name: SingleLine,
    pub level: Level,
    #[oai(default)]
    pub unit: SingleLine,
    #[oai(default)]
    pub definition: MultiLine,
    pub data_source: DataSource,
    pub direction: Direction,
    pub baseline: Option<PointInput>,
    pub target: Option<PointInput>,
    pub frequency: Frequency,
    #[oai(default)]
    pub scenes: Vec<SingleLine>,
}

/// A partial update: absent fields stay; `baseline: null` / `target: null`
/// remove them. Changing `frequency` is refused (409) while values of the
/// other kind exist.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct IndicatorPatch {
    pub name: Option<SingleLine>,
    pub level: Option<Level>,
    pub unit: Option<SingleLine>,
    pub definition: Option<MultiLine>,
    pub data_source: Option<DataSource>,
    pub direction: Option<Direction>,
    pub baseline: MaybeUndefined<PointInput>,
    pub target: MaybeUndefined<PointInput>,
    pub frequency: Option<Frequency>,
    pub scenes: Option<Vec<SingleLine>>,
}

fn point(field: &str, input: &PointInput, errors: &mut Vec<FieldError>) -> Option<Point> {
    let value = parse_value(input.value.as_str())
        .map_err(|m| errors.push(FieldError::new(&format!("{field}.value"), m)))
        .ok();
    let period = parse_period(input.period.as_str())
        .map_err(|m| errors.push(FieldError::new(&format!("{field}.period"), m)))
        .ok();
    Some(Point {
        value: value?,
        period: period?.code(),
        period_label: period?.label(),
    })
}

fn check_texts(ind: &Indicator, errors: &mut Vec<FieldError>) {
    let name = ind.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "指標名を入力してください"));
    } else if name.chars().count() > NAME_MAX {
        errors.push(FieldError::new(
            "name",
            format!("指標名は{NAME_MAX}文字以内で入力してください"),
        ));
    }
    if ind.unit.chars().count() > UNIT_MAX {
        errors.push(FieldError::new(
            "unit",
            format!("単位は{UNIT_MAX}文字以内で入力してください"),
        ));
    }
    if ind.definition.chars().count() > DEFINITION_MAX {
        errors.push(FieldError::new(
            "definition",
            format!("定義は{DEFINITION_MAX}文字以内で入力してください"),
        ));
    }
}

fn finish(ind: Indicator, errors: Vec<FieldError>) -> AppResult<Indicator> {
    if errors.is_empty() {
        Ok(ind)
    } else {
        Err(AppError::Invalid(errors))
    }
}

impl NewIndicator {
    /// The indicator this input describes, checked against the
    /// municipality's `scenes` (id 0; the store fills it). Errors: 422.
    pub fn to_indicator(&self, municipality_id: i64, scenes: &Scenes) -> AppResult<Indicator> {
        let mut errors = Vec::new();
        let baseline = self
            .baseline
            .as_ref()
            .and_then(|p| point("baseline", p, &mut errors));
        let target = self
            .target
            .as_ref()
            .and_then(|p| point("target", p, &mut errors));
        let names: Vec<&str> = self.scenes.iter().map(|s| s.as_str()).collect();
        let scenes = scenes
            .resolve("scenes", &names)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let ind = Indicator {
            id: 0,
            municipality_id,
            name: self.name.trim().to_string(),
            level: self.level,
            unit: self.unit.trim().to_string(),
            definition: self.definition.trim().to_string(),
            data_source: self.data_source,
            direction: self.direction,
            baseline,
            target,
            frequency: self.frequency,
            scenes,
        };
        check_texts(&ind, &mut errors);
        finish(ind, errors)
    }
}

impl Indicator {
    /// This indicator with `patch` applied, checked. Errors: 422.
    pub fn patched(&self, patch: &IndicatorPatch, scenes: &Scenes) -> AppResult<Indicator> {
        let mut errors = Vec::new();
        let mut next = self.clone();
        if let Some(v) = &patch.name {
            next.name = v.trim().to_string();
        }
        if let Some(v) = patch.level {
            next.level = v;
        }
        if let Some(v) = &patch.unit {
            next.unit = v.trim().to_string();
        }
        if let Some(v) = &patch.definition {
            next.definition = v.trim().to_string();
        }
        if let Some(v) = patch.data_source {
            next.data_source = v;
        }
        if let Some(v) = patch.direction {
            next.direction = v;
        }
        if let Some(v) = patch.frequency {
            next.frequency = v;
        }
        match &patch.baseline {
            MaybeUndefined::Value(p) => next.baseline = point("baseline", p, &mut errors),
            MaybeUndefined::Null => next.baseline = None,
            MaybeUndefined::Undefined => {}
        }
        match &patch.target {
            MaybeUndefined::Value(p) => next.target = point("target", p, &mut errors),
            MaybeUndefined::Null => next.target = None,
            MaybeUndefined::Undefined => {}
        }
        if let Some(list) = &patch.scenes {
            let names: Vec<&str> = list.iter().map(|s| s.as_str()).collect();
            match scenes.resolve("scenes", &names) {
                Ok(s) => next.scenes = s,
                Err(e) => errors.push(e),
            }
        }
        check_texts(&next, &mut errors);
        finish(next, errors)
    }

    /// The baseline's and target's values as shown with the unit (`12.5%`).
    pub fn with_unit(&self, value: &str) -> String {
        format!("{value}{}", self.unit)
    }
}

/// One measured value as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
pub struct MeasuredValue {
    pub id: i64,
    pub indicator_id: i64,
    /// The ward; `null` = the municipality as a whole (市全体).
    pub ward_id: Option<i64>,
    /// The ward's name, or 「市全体」.
    pub ward_name: String,
    /// A `calendar::Span` code (`2026`, `2026H1`).
    pub period: String,
    /// Its label (`令和8年度`).
    pub period_label: String,
    /// The exact decimal as text (`"12.5"`).
    pub value: String,
    /// Who recorded it (`account:<id>`), when known.
    pub recorded_by: Option<String>,
    /// When (RFC 3339, UTC).
    pub recorded_at: String,
}

/// What [`MeasuredValue::ward_name`] says for the municipality as a whole.
pub const CITY_WIDE: &str = "市全体";

/// One value to record, as sent: `ward_id` `null` for the municipality as
/// a whole, `period` a Span code of the indicator's frequency, `value` an
/// exact decimal as text (see [`parse_value`]).
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct ValueInput {
    pub ward_id: Option<i64>,
    pub period: SingleLine,
    pub value: SingleLine,
}

/// Checks one value for an indicator of frequency `frequency`: the period
/// (of that kind) and the decimal; `field` prefixes the error fields
/// (`values[2]` → `values[2].period`). Errors: the field errors.
pub fn check_value(
    frequency: Frequency,
    period: &str,
    value: &str,
    period_field: &str,
    value_field: &str,
) -> Result<(Span, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let span = match parse_period(period) {
        Ok(s) if frequency.fits(s) => Some(s),
        Ok(s) => {
            errors.push(FieldError::new(period_field, frequency.mismatch(s)));
            None
        }
        Err(m) => {
            errors.push(FieldError::new(period_field, m));
            None
        }
    };
    let value = parse_value(value)
        .map_err(|m| errors.push(FieldError::new(value_field, m)))
        .ok();
    match (span, value) {
        (Some(s), Some(v)) if errors.is_empty() => Ok((s, v)),
        _ => Err(errors),
    }
}

/// One value checked and allowed: made by [`writers::entry`] only (its
/// fields are private to this module and its children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueEntry {
    indicator_id: i64,
    municipality_id: i64,
    ward_id: Option<i64>,
    span: Span,
    value: String,
    /// Where the value came from, for messages (`values[2]`, `3行目`).
    place: String,
}

impl ValueEntry {
    /// The indicator's id.
    pub fn indicator_id(&self) -> i64 {
        self.indicator_id
    }
    /// Its municipality's id.
    pub fn municipality_id(&self) -> i64 {
        self.municipality_id
    }
    /// The ward; `None` = the municipality as a whole.
    pub fn ward_id(&self) -> Option<i64> {
        self.ward_id
    }
    /// The period, of the indicator's frequency.
    pub fn span(&self) -> Span {
        self.span
    }
    /// The canonical decimal text.
    pub fn value(&self) -> &str {
        &self.value
    }
    /// Where it came from (`values[2]`, `3行目`).
    pub fn place(&self) -> &str {
        &self.place
    }
}

/// The sort key of a period: by start, a fiscal year before its half-years
/// (`2026` → `2026H0`, `2026H1` → `2026H1`).
pub fn period_order(code: &str) -> String {
    if code.contains(['H', 'h']) {
        code.to_uppercase()
    } else {
        format!("{code}H0")
    }
}

/// Each indicator's latest value among `candidates`, which are one ward's
/// own values and the municipality's as a whole (`city_wide`): the ward's
/// own beats city-wide, then the greatest period by its start
/// ([`period_order`]; a fiscal year `2026` starts with `2026H1`, so the
/// half-year wins a tie: it is the more recent measurement of the two). Of
/// two equal candidates the first is kept. The one rule for an
/// evaluation's snapshot and the PDCA sheet.
pub fn latest_per_indicator(
    candidates: impl IntoIterator<Item = LatestValue>,
) -> HashMap<i64, LatestValue> {
    let rank = |v: &LatestValue| (!v.city_wide, period_order(&v.period));
    let mut best: HashMap<i64, LatestValue> = HashMap::new();
    for c in candidates {
        match best.get(&c.indicator_id) {
            Some(b) if rank(&c) <= rank(b) => {}
            _ => {
                best.insert(c.indicator_id, c);
            }
        }
    }
    best
}

/// The columns of the values CSV, in order: 区 (blank = 市全体), 評価指標
/// (its name), 期間 (label or code), 値; 単位 and 記録日時 are written by
/// the export and ignored by the import.
pub const CSV_COLUMNS: [&str; 6] = ["区", "評価指標", "期間", "値", "単位", "記録日時"];
/// The columns an import needs (the first four of [`CSV_COLUMNS`]).
pub const CSV_REQUIRED: usize = 4;
/// The most data rows one import takes.
pub const CSV_ROWS_MAX: usize = 5000;

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(indicator_id: i64, period: &str, value: &str, city_wide: bool) -> LatestValue {
        LatestValue {
            indicator_id,
            name: format!("指標{indicator_id}"),
            unit: "%".into(),
            period: period.into(),
            value: value.into(),
            city_wide,
        }
    }

    #[test]
    fn the_latest_value_is_the_wards_own_then_the_latest_period_a_half_year_after_its_year() {
        let best = latest_per_indicator([
            candidate(1, "2024", "own", false),
            candidate(1, "2026H2", "city", true),
            candidate(2, "2026", "year", false),
            candidate(2, "2026H1", "half", false),
            candidate(2, "2025H2", "older half", false),
            candidate(3, "2025", "city 2025", true),
            candidate(3, "2024", "city 2024", true),
        ]);
        let value = |id: i64| best.get(&id).map(|v| v.value.as_str());
        assert_eq!(value(1), Some("own"));
        assert_eq!(value(2), Some("half"));
        assert_eq!(value(3), Some("city 2025"));
        assert_eq!(value(4), None);
        assert_eq!(period_order("2026h1"), "2026H1");
    }

    #[test]
    fn values_are_exact_decimals_in_canonical_form() {
        assert_eq!(parse_value("12.50").unwrap(), "12.5");
        assert_eq!(parse_value(" 100 ").unwrap(), "100");
        assert_eq!(parse_value("-0").unwrap(), "0");
        assert_eq!(parse_value("0.1").unwrap(), "0.1");
        assert_eq!(parse_value("-3.25").unwrap(), "-3.25");
        // A Japanese IME's full-width forms are read as half-width.
        assert_eq!(parse_value("１２．５").unwrap(), "12.5");
        assert_eq!(parse_value("－１").unwrap(), "-1");
        // Thousands separators only in groups of three.
        assert_eq!(parse_value("1,234").unwrap(), "1234");
        assert_eq!(parse_value("12,345.6").unwrap(), "12345.6");
        assert!(parse_value("1,23").is_err());
        assert!(parse_value("1,5").is_err());
        for bad in [
            "",
            "abc",
            "1e3",
            "12%",
            "1.2.3",
            "12.",
            ".5",
            "1 2",
            "+-1",
            "１２件",
        ] {
            assert!(parse_value(bad).is_err(), "{bad}");
        }
        assert!(parse_value("1234567890123456789").is_err());
        assert_eq!(
            parse_value("123456789012345678").unwrap(),
            "123456789012345678"
        );
    }

    #[test]
    fn periods_are_codes_or_labels_of_the_frequency() {
        assert_eq!(parse_period("2026").unwrap(), Span::FiscalYear(2026));
        assert_eq!(parse_period("令和8年度").unwrap(), Span::FiscalYear(2026));
        assert_eq!(parse_period("令和8年度上半期").unwrap().code(), "2026H1");
        assert!(parse_period("1950").is_err());
        assert!(parse_period("2026H3").is_err());
        let (span, value) =
            check_value(Frequency::FiscalYear, "2025", "3", "period", "value").unwrap();
        assert_eq!((span.code(), value.as_str()), ("2025".to_string(), "3"));
        let errors =
            check_value(Frequency::FiscalYear, "2025H1", "x", "period", "value").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "period");
        assert!(errors[0].message.contains("年度ごと"));
        assert!(check_value(Frequency::HalfYear, "2025", "1", "p", "v").is_err());
    }

    #[test]
    fn a_new_indicator_is_checked_field_by_field() {
        let new = NewIndicator {
            name: SingleLine::lossy(" 訪問診療を受けた患者数 "),
            level: Level::Output,
            unit: SingleLine::lossy("人"),
            definition: MultiLine::lossy("分子: 訪問診療を受けた患者数"),
            data_source: DataSource::Kdb,
            direction: Direction::Up,
            baseline: Some(PointInput {
                value: SingleLine::lossy("1,200"),
                period: SingleLine::lossy("2023"),
            }),
            target: Some(PointInput {
                value: SingleLine::lossy("abc"),
                period: SingleLine::lossy("2026H9"),
            }),
            frequency: Frequency::FiscalYear,
            scenes: vec![SingleLine::lossy("看取り"), SingleLine::lossy("在宅")],
        };
        let scenes = Scenes::with_own([]);
        let err = new.to_indicator(1, &scenes).unwrap_err();
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["target.value", "target.period", "scenes"]);
        let ok = NewIndicator {
            target: None,
            scenes: vec![SingleLine::lossy("看取り")],
            ..new
        }
        .to_indicator(1, &scenes)
        .unwrap();
        assert_eq!(ok.name, "訪問診療を受けた患者数");
        assert_eq!(ok.baseline.unwrap().value, "1200");
    }
}
