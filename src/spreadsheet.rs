//! CSV that Japanese Excel opens correctly and safely, in and out.
//!
//! Out: UTF-8 with a BOM by default (Excel needs the BOM to read UTF-8), or
//! Shift_JIS (Windows-31J, via encoding_rs) on request for older Excel and
//! the tools around it.
//!
//! Every exported cell is a [`Cell`]: free text or a value (number, date,
//! code). Free text that Excel would read as a formula (it starts with `=`,
//! `+`, `-`, `@`, tab or CR, possibly after apostrophes) gets one leading
//! `'` (OWASP's CSV-injection rule), so a `=HYPERLINK(…)` a member typed
//! stays text on the secretariat's screen; values are written as they are,
//! so `-3` stays a number. [`unguard`] undoes exactly that one `'` on
//! import: export → import → export gives the same file.
//!
//! Shift_JIS cannot carry every character, and encoding_rs changes three
//! silently (¥ → `\`, ‾ → `~`, − → the bytes of －), so a character is
//! written only if it reads back as itself. 〜 (U+301C) is always written
//! as ～ (U+FF5E), what Windows shows for the same code. The characters with
//! an exact Windows-31J look-alike ([`LOOKALIKES`]: ¥ → ￥, ‾ → ￣, − → －,
//! — → ―, ‖ → ∥, ¢ → ￠, £ → ￡, ¬ → ￢, ¦ → ￤) are written as that look-alike
//! only when asked (`encoding=sjis-lookalike`), because the file then reads
//! back with the look-alike; plain `sjis` refuses them, and anything with no
//! look-alike (𠮷, emoji …) is refused in either mode, with the rows and
//! columns named, rather than writing `?` or changing it. The mapping is
//! export-only: an import keeps what the file holds.
//!
//! In: the encoding is chosen, or detected (a UTF-8 BOM or valid UTF-8 is
//! UTF-8; anything else is read as Shift_JIS, and bytes that are not
//! Shift_JIS either are an error, never replaced silently). The file is
//! read into a [`Sheet`] of raw cells; the importer decides per column what
//! to trim and where to [`unguard`].

use std::borrow::Cow;

use poem::Response;
use poem::http::header;

use crate::error::{AppError, AppResult, FieldError};

/// How a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 with a byte-order mark.
    Utf8,
    /// Windows-31J, every character as itself (〜 as ～); any other
    /// character that would not read back as itself refuses the export.
    ShiftJis,
    /// Windows-31J, with the characters of [`LOOKALIKES`] written as their
    /// look-alike (export only; read as [`Encoding::ShiftJis`]).
    ShiftJisLookalike,
}

impl Encoding {
    /// `?encoding=`: absent or `utf-8`/`utf8` → UTF-8, `sjis`/`shift_jis`/
    /// `cp932`/`windows-31j` → Shift_JIS, `sjis-lookalike` → Shift_JIS with
    /// look-alikes; anything else is a 422.
    pub fn from_param(value: Option<&str>) -> AppResult<Option<Self>> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let v = v.to_ascii_lowercase();
        match Self::PARAM_VALUES.iter().find(|(name, _)| *name == v) {
            Some((_, encoding)) => Ok(Some(*encoding)),
            None => Err(AppError::invalid(
                "encoding",
                "encoding は utf-8、sjis または sjis-lookalike を指定してください",
            )),
        }
    }

    /// The values of `?encoding=` (any case), for [`Encoding::from_param`] and the spec.
    pub const PARAM_VALUES: [(&'static str, Encoding); 8] = [
        ("utf-8", Encoding::Utf8),
        ("utf8", Encoding::Utf8),
        ("sjis", Encoding::ShiftJis),
        ("shift_jis", Encoding::ShiftJis),
        ("shift-jis", Encoding::ShiftJis),
        ("cp932", Encoding::ShiftJis),
        ("windows-31j", Encoding::ShiftJis),
        ("sjis-lookalike", Encoding::ShiftJisLookalike),
    ];

    /// The `Content-Type` of a download in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Utf8 => "text/csv; charset=UTF-8",
            Encoding::ShiftJis | Encoding::ShiftJisLookalike => "text/csv; charset=Shift_JIS",
        }
    }
}

/// One exported cell. The kind decides whether the formula guard applies,
/// so no export can forget it: text a person typed (or any label) is
/// [`Cell::Text`]; numbers, dates and fixed codes are [`Cell::Value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Free text, written through [`guard`].
    Text(String),
    /// A number, date or code, written as it is.
    Value(String),
}

impl Cell {
    /// Free text.
    pub fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    /// A number, date or code.
    pub fn value(value: impl ToString) -> Self {
        Cell::Value(value.to_string())
    }

    /// The text as it goes into the file.
    pub fn written(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(t) => guard(t),
            Cell::Value(v) => Cow::Borrowed(v),
        }
    }
}

/// The first characters that make Excel (and LibreOffice) read a cell as a
/// formula (OWASP, CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when `text`, after any apostrophes, starts a formula. Counting the
/// apostrophes makes [`guard`] and [`unguard`] exact inverses: `'=x` is
/// written `''=x` and read back as `'=x`.
fn starts_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// Free text as written to a CSV: with one leading `'` when it starts a
/// formula (see [`starts_formula`]), as it is otherwise.
pub fn guard(text: &str) -> Cow<'_, str> {
    if starts_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Free text as read from a CSV: removes the one `'` that [`guard`] adds,
/// and only that (a `'` that precedes a formula start, possibly after more
/// apostrophes); any other text is returned unchanged.
pub fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest,
        _ => text,
    }
}

/// The characters Windows-31J shows with an exact look-alike of another
/// code, written as that look-alike by [`Encoding::ShiftJisLookalike`].
/// The first three are those encoding_rs would change silently (¥ and ‾ to
/// ASCII `\\` and `~`, − to the bytes of －); the rest are JIS X 0208
/// characters that Windows maps to other code points.
pub const LOOKALIKES: [(char, char); 9] = [
    ('\u{00A5}', '\u{FFE5}'), // ¥ → ￥
    ('\u{203E}', '\u{FFE3}'), // ‾ → ￣
    ('\u{2212}', '\u{FF0D}'), // − → －
    ('\u{2014}', '\u{2015}'), // — → ―
    ('\u{2016}', '\u{2225}'), // ‖ → ∥
    ('\u{00A2}', '\u{FFE0}'), // ¢ → ￠
    ('\u{00A3}', '\u{FFE1}'), // £ → ￡
    ('\u{00AC}', '\u{FFE2}'), // ¬ → ￢
    ('\u{00A6}', '\u{FFE4}'), // ¦ → ￤
];

/// WAVE DASH → FULLWIDTH TILDE, made in every Shift_JIS export.
const WAVE_DASH: (char, char) = ('\u{301C}', '\u{FF5E}');

fn lookalike(ch: char) -> Option<char> {
    LOOKALIKES
        .iter()
        .find(|(from, _)| *from == ch)
        .map(|(_, to)| *to)
}

/// A table to write: a header row and data rows of the same width.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column names (written as free text).
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        Self {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row, one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The cells as they go into the file (guarded), header first.
    fn written(&self) -> Vec<Vec<Cow<'_, str>>> {
        std::iter::once(self.header.iter().map(|h| guard(h)).collect())
            .chain(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(Cell::written).collect()),
            )
            .collect()
    }

    /// The file's bytes in `encoding`, or (422) the cells Shift_JIS cannot
    /// carry, named by row and column.
    pub fn to_bytes(&self, encoding: Encoding) -> AppResult<Vec<u8>> {
        let mut lines = self.written();
        if encoding != Encoding::Utf8 {
            let lookalikes = encoding == Encoding::ShiftJisLookalike;
            self.check_shift_jis(&lines, lookalikes)?;
            for cell in lines.iter_mut().flatten() {
                *cell = Cow::Owned(for_shift_jis(cell, lookalikes));
            }
        }
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        lines
            .iter()
            .try_for_each(|r| writer.write_record(r.iter().map(|c| c.as_bytes())))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
        let bytes = writer
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV is not UTF-8: {e}")))?;
        match encoding {
            Encoding::Utf8 => {
                let mut out = "\u{feff}".as_bytes().to_vec();
                out.extend_from_slice(text.as_bytes());
                Ok(out)
            }
            Encoding::ShiftJis | Encoding::ShiftJisLookalike => {
                let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
                if had_errors {
                    // check_shift_jis saw every cell; this is a guard, not a path.
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "unencodable character escaped the check"
                    )));
                }
                Ok(bytes.into_owned())
            }
        }
    }

    /// Names every cell holding characters Shift_JIS cannot carry as
    /// themselves (with the look-alike option when one would do).
    fn check_shift_jis(&self, lines: &[Vec<Cow<'_, str>>], lookalikes: bool) -> AppResult<()> {
        let mut errors = Vec::new();
        for (line, row) in lines.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let bad = unencodable(cell, lookalikes);
                if bad.is_empty() {
                    continue;
                }
                let column = self.header.get(col).map_or("", String::as_str);
                let chars: String = bad.iter().collect();
                let similar: Vec<String> = bad
                    .iter()
                    .filter_map(|c| lookalike(*c).map(|l| format!("{c}→{l}")))
                    .collect();
                let message = if similar.is_empty() {
                    format!(
                        "「{chars}」は Shift_JIS で表せない文字です。UTF-8 版（encoding の指定なし）で出力するか、文字を置き換えてください"
                    )
                } else {
                    format!(
                        "「{chars}」は Shift_JIS でそのまま表せない文字です。UTF-8 版（encoding の指定なし）で出力するか、似た文字（{}）に置き換えてよければ encoding=sjis-lookalike で出力してください",
                        similar.join("、")
                    )
                };
                errors.push(FieldError::new(
                    &format!("{}行目「{column}」", line + 1),
                    message,
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

/// The replacements made before encoding to Shift_JIS (see the module doc).
fn for_shift_jis(text: &str, lookalikes: bool) -> String {
    text.chars()
        .map(|ch| {
            if ch == WAVE_DASH.0 {
                WAVE_DASH.1
            } else if lookalikes {
                lookalike(ch).unwrap_or(ch)
            } else {
                ch
            }
        })
        .collect()
}

/// True when Shift_JIS writes `ch` so that it reads back as itself.
fn round_trips(ch: char) -> bool {
    let mut buf = [0u8; 4];
    let text = ch.encode_utf8(&mut buf);
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    if had_errors {
        return false;
    }
    let (back, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
    !had_errors && back == *text
}

/// The distinct characters of `text` that a Shift_JIS export (with or
/// without look-alikes) would refuse.
pub fn unencodable(text: &str, lookalikes: bool) -> Vec<char> {
    let mut bad = Vec::new();
    for ch in for_shift_jis(text, lookalikes).chars() {
        if !ch.is_ascii() && !bad.contains(&ch) && !round_trips(ch) {
            bad.push(ch);
        }
    }
    bad
}

/// A file as read: the header (trimmed) and the data rows, cells raw (not
/// trimmed, not unguarded: the importer does that per column).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads an uploaded file as text, in the chosen or detected encoding.
pub fn decode(bytes: &[u8], chosen: Option<Encoding>) -> AppResult<String> {
    let encoding = match chosen {
        Some(e) => e,
        None if bytes.starts_with(b"\xEF\xBB\xBF") || std::str::from_utf8(bytes).is_ok() => {
            Encoding::Utf8
        }
        None => Encoding::ShiftJis,
    };
    match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8(body.to_vec()).map_err(|_| {
                AppError::invalid(
                    "file",
                    "ファイルを UTF-8 として読み取れません。Shift_JIS の場合は encoding=sjis を指定してください",
                )
            })
        }
        Encoding::ShiftJis | Encoding::ShiftJisLookalike => {
            let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            if had_errors {
                Err(AppError::invalid(
                    "file",
                    "ファイルの文字コードを判別できません（UTF-8 でも Shift_JIS でもない文字があります）",
                ))
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

/// Reads CSV text into a header and rows (rows may differ in width; the
/// caller checks them against the header). Cells are raw: the importer
/// reads each as the text type or value its column needs, so a control
/// character is reported by row and column there.
pub fn parse(text: &str) -> AppResult<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            AppError::invalid(
                "file",
                format!("{}行目を CSV として読み取れません（{e}）", i + 1),
            )
        })?;
        records.push(record.iter().map(str::to_string).collect::<Vec<_>>());
    }
    let mut rows = records.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| AppError::invalid("file", "ファイルが空です"))?;
    Ok(Sheet {
        header: header.into_iter().map(|h| h.trim().to_string()).collect(),
        rows: rows
            .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
            .collect(),
    })
}

/// A download: the bytes with the content type and a file name Excel and
/// browsers keep in Japanese (`filename*=UTF-8''…`, plus an ASCII fallback).
pub fn download(bytes: Vec<u8>, encoding: Encoding, filename: &str) -> Response {
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Response::builder()
        .content_type(encoding.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"export.csv\"; filename*=UTF-8''{encoded}"),
        )
        .body(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cell: &str) -> Table {
        let mut t = Table::new(&["会議名", "備考"]);
        t.push(vec![Cell::text(cell), Cell::text("a,b\"c")]);
        t
    }

    fn utf8_rows(t: &Table) -> Vec<Vec<String>> {
        let bytes = t.to_bytes(Encoding::Utf8).unwrap();
        parse(&decode(&bytes, None).unwrap()).unwrap().rows
    }

    #[test]
    fn free_text_that_starts_a_formula_gets_one_apostrophe() {
        for (typed, written) in [
            (
                "=HYPERLINK(\"http://x/?\"&A2,\"詳細\")",
                "'=HYPERLINK(\"http://x/?\"&A2,\"詳細\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("'abc", "'abc"),
            ("''", "''"),
            ("a=b", "a=b"),
            ("", ""),
            ("＝全角", "＝全角"),
            ("\n行", "\n行"),
        ] {
            assert_eq!(guard(typed), written, "{typed:?}");
            assert_eq!(unguard(&guard(typed)), typed, "{typed:?}");
        }
        // Only the guard's apostrophe is removed on import.
        assert_eq!(unguard("'abc"), "'abc");
        assert_eq!(unguard("''abc"), "''abc");
    }

    #[test]
    fn values_are_written_as_they_are_and_text_is_guarded() {
        let mut t = Table::new(&["項目", "N"]);
        t.push(vec![Cell::text("-区"), Cell::value(-3)]);
        t.push(vec![Cell::text("=1+1"), Cell::value("2026-11-02")]);
        assert_eq!(
            utf8_rows(&t),
            vec![vec!["'-区", "-3"], vec!["'=1+1", "2026-11-02"]]
        );
    }

    /// Every character a Shift_JIS export writes reads back as itself or as
    /// its documented replacement, or is refused: checked over all of
    /// Unicode, so a silent change (as ¥ → `\` once was) cannot hide.
    #[test]
    fn no_character_changes_silently_in_shift_jis() {
        let mut silent = Vec::new();
        for ch in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = ch.to_string();
            let (bytes, _, err) = encoding_rs::SHIFT_JIS.encode(&s);
            if !err && encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes).0 != s {
                silent.push(ch);
            }
            for lookalikes in [false, true] {
                if !unencodable(&s, lookalikes).is_empty() {
                    continue;
                }
                let written = for_shift_jis(&s, lookalikes);
                let (bytes, _, err) = encoding_rs::SHIFT_JIS.encode(&written);
                assert!(!err, "{ch:?}");
                let back = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes).0;
                assert_eq!(back, written, "U+{:04X}", ch as u32);
                if written != s {
                    // Replaced: only by the documented table.
                    let documented = (ch, written.chars().next().unwrap_or(ch));
                    assert!(
                        documented == WAVE_DASH || (lookalikes && LOOKALIKES.contains(&documented)),
                        "U+{:04X}",
                        ch as u32
                    );
                }
            }
        }
        // The characters encoding_rs changes silently: each has a look-alike
        // and plain Shift_JIS refuses it.
        assert_eq!(silent, vec!['\u{A5}', '\u{203E}', '\u{2212}']);
        for ch in silent {
            assert!(lookalike(ch).is_some(), "{ch:?}");
            assert_eq!(unencodable(&ch.to_string(), false), vec![ch]);
        }
    }

    #[test]
    fn every_lookalike_is_written_and_read_back_as_its_windows_character() {
        let all: String = LOOKALIKES.iter().map(|(from, _)| *from).collect();
        let expected: String = LOOKALIKES.iter().map(|(_, to)| *to).collect();
        assert_eq!(all, "¥‾−—‖¢£¬¦");
        assert_eq!(expected, "￥￣－―∥￠￡￢￤");
        for (from, to) in LOOKALIKES {
            let bytes = table(&format!("会費{from}500"))
                .to_bytes(Encoding::ShiftJisLookalike)
                .unwrap();
            let back = parse(&decode(&bytes, None).unwrap()).unwrap();
            assert_eq!(back.rows[0][0], format!("会費{to}500"), "{from}");
            // Plain Shift_JIS refuses each of them.
            assert!(
                table(&from.to_string())
                    .to_bytes(Encoding::ShiftJis)
                    .is_err()
            );
        }
    }

    #[test]
    fn plain_shift_jis_refuses_what_would_change_and_names_the_lookalike() {
        let err = table("会費¥500‾−")
            .to_bytes(Encoding::ShiftJis)
            .unwrap_err();
        let e = &err.field_errors()[0];
        assert_eq!(e.field, "2行目「会議名」");
        assert!(e.message.contains("「¥‾−」"), "{}", e.message);
        assert!(e.message.contains("¥→￥、‾→￣、−→－"), "{}", e.message);
        assert!(
            e.message.contains("encoding=sjis-lookalike"),
            "{}",
            e.message
        );
        // 𠮷 has no look-alike: refused with look-alikes too.
        let err = table("𠮷¥")
            .to_bytes(Encoding::ShiftJisLookalike)
            .unwrap_err();
        let e = &err.field_errors()[0];
        assert!(e.message.contains("「𠮷」"), "{}", e.message);
        assert!(!e.message.contains("sjis-lookalike"), "{}", e.message);
    }

    #[test]
    fn cells_are_read_as_written_for_the_importer_to_check() {
        let t = parse("会議名,議事録\n在宅\0医療,\"一\r\n二\"\n").unwrap();
        assert_eq!(t.rows[0], vec!["在宅\0医療", "一\r\n二"]);
    }

    #[test]
    fn utf8_has_a_bom_and_reads_back() {
        let bytes = table("𠮷野家で会議").to_bytes(Encoding::Utf8).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let back = parse(&decode(&bytes, None).unwrap()).unwrap();
        assert_eq!(back.rows[0], vec!["𠮷野家で会議", "a,b\"c"]);
        assert_eq!(back.header, vec!["会議名", "備考"]);
    }

    #[test]
    fn shift_jis_maps_the_wave_dash_and_reads_back_as_detected() {
        for enc in [Encoding::ShiftJis, Encoding::ShiftJisLookalike] {
            let bytes = table("4月〜9月 ①髙\\~").to_bytes(enc).unwrap();
            assert!(std::str::from_utf8(&bytes).is_err());
            let back = parse(&decode(&bytes, None).unwrap()).unwrap();
            assert_eq!(back.rows[0][0], "4月～9月 ①髙\\~");
        }
    }

    #[test]
    fn characters_outside_shift_jis_are_named_not_dropped() {
        let err = table("𠮷野家😀").to_bytes(Encoding::ShiftJis).unwrap_err();
        let e = &err.field_errors()[0];
        assert_eq!(e.field, "2行目「会議名」");
        assert!(e.message.contains("𠮷😀"), "{}", e.message);
    }

    #[test]
    fn encoding_parameter() {
        assert_eq!(
            Encoding::from_param(Some("sjis")).unwrap(),
            Some(Encoding::ShiftJis)
        );
        assert_eq!(
            Encoding::from_param(Some("SJIS-lookalike")).unwrap(),
            Some(Encoding::ShiftJisLookalike)
        );
        assert_eq!(Encoding::from_param(None).unwrap(), None);
        assert!(Encoding::from_param(Some("latin1")).is_err());
    }
}
