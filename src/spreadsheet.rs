//! CSV that Japanese Excel opens correctly, in and out.
//!
//! Out: UTF-8 with a BOM by default (Excel needs the BOM to read UTF-8), or
//! Shift_JIS (Windows-31J, via encoding_rs) on request for older Excel and
//! the tools around it. Shift_JIS cannot carry every character: 〜 (U+301C,
//! WAVE DASH) is written as ～ (U+FF5E), which is what Windows shows for the
//! same code, and anything else it cannot carry (𠮷, emoji …) refuses the
//! export with the rows and columns named, rather than writing `?` or
//! dropping it. (A Shift_JIS file read back gives ～ where 〜 was.)
//!
//! In: the encoding is chosen, or detected (a UTF-8 BOM or valid UTF-8 is
//! UTF-8; anything else is read as Shift_JIS, and bytes that are not
//! Shift_JIS either are an error, never replaced silently).

use poem::Response;
use poem::http::header;

use crate::error::{AppError, AppResult, FieldError};

/// How a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 with a byte-order mark.
    Utf8,
    /// Windows-31J.
    ShiftJis,
}

impl Encoding {
    /// `?encoding=`: absent or `utf-8`/`utf8` → UTF-8, `sjis`/`shift_jis`/
    /// `cp932`/`windows-31j` → Shift_JIS; anything else is a 422.
    pub fn from_param(value: Option<&str>) -> AppResult<Option<Self>> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        match v.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Some(Encoding::Utf8)),
            "sjis" | "shift_jis" | "shift-jis" | "cp932" | "windows-31j" => {
                Ok(Some(Encoding::ShiftJis))
            }
            _ => Err(AppError::invalid(
                "encoding",
                "encoding は utf-8 または sjis を指定してください",
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Utf8 => "text/csv; charset=UTF-8",
            Encoding::ShiftJis => "text/csv; charset=Shift_JIS",
        }
    }
}

/// A table to write: a header row and data rows of the same width.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The file's bytes in `encoding`, or the cells Shift_JIS cannot carry.
    pub fn to_bytes(&self, encoding: Encoding) -> AppResult<Vec<u8>> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        writer
            .write_record(&self.header)
            .and_then(|_| self.rows.iter().try_for_each(|r| writer.write_record(r)))
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
            Encoding::ShiftJis => {
                self.check_shift_jis()?;
                let text = for_shift_jis(&text);
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

    /// Names every cell holding characters Shift_JIS cannot carry.
    fn check_shift_jis(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        let lines = std::iter::once(&self.header).chain(&self.rows);
        for (line, row) in lines.enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let bad = unencodable(cell);
                if !bad.is_empty() {
                    let column = self.header.get(col).map_or("", String::as_str);
                    errors.push(FieldError::new(
                        &format!("{}行目「{column}」", line + 1),
                        format!(
                            "「{}」は Shift_JIS で表せない文字です。UTF-8 版（encoding の指定なし）で出力するか、文字を置き換えてください",
                            bad.iter().collect::<String>()
                        ),
                    ));
                }
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
fn for_shift_jis(text: &str) -> String {
    text.replace('\u{301C}', "\u{FF5E}")
}

/// The distinct characters of `text` that Shift_JIS cannot carry.
pub fn unencodable(text: &str) -> Vec<char> {
    let mut bad = Vec::new();
    let mut buf = [0u8; 4];
    for ch in for_shift_jis(text).chars() {
        if ch.is_ascii() {
            continue;
        }
        let (_, _, had_errors) = encoding_rs::SHIFT_JIS.encode(ch.encode_utf8(&mut buf));
        if had_errors && !bad.contains(&ch) {
            bad.push(ch);
        }
    }
    bad
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
        Encoding::ShiftJis => {
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
pub fn parse(text: &str) -> AppResult<Table> {
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
    Ok(Table {
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
        t.push(vec![cell.to_string(), "a,b\"c".to_string()]);
        t
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
        let bytes = table("4月〜9月 ①髙").to_bytes(Encoding::ShiftJis).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err());
        let back = parse(&decode(&bytes, None).unwrap()).unwrap();
        assert_eq!(back.rows[0][0], "4月～9月 ①髙");
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
        assert_eq!(Encoding::from_param(None).unwrap(), None);
        assert!(Encoding::from_param(Some("latin1")).is_err());
    }
}
