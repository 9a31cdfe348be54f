//! The values CSV (the project's Excel conventions, `crate::spreadsheet`):
//! the export's table and the import's all-or-nothing reading, every bad
//! cell named by its row and column (「3行目「値」」). Pure.

use std::collections::HashMap;

use super::{CSV_COLUMNS, CSV_REQUIRED, CSV_ROWS_MAX, Indicator, MeasuredValue, check_value};
use crate::calendar::Span;
use crate::error::{AppError, AppResult, FieldError};
use crate::spreadsheet::{Cell, Sheet, Table, unguard};

/// One row of an import, read and checked against the municipality's
/// indicators and wards (who may write it is decided afterwards).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: usize,
    pub indicator_id: i64,
    /// `None` = the municipality as a whole (区 blank).
    pub ward_id: Option<i64>,
    pub span: Span,
    /// The canonical decimal.
    pub value: String,
}

impl ImportRow {
    /// The error field of this row's 区 cell.
    pub fn ward_field(&self) -> String {
        format!("{}行目「区」", self.line)
    }
}

/// The export: one row per value, the indicators in `indicators`' order,
/// then ward (市全体 first), then period. `values` pairs each indicator's
/// id with its values.
pub fn table(indicators: &[Indicator], values: &[MeasuredValue]) -> Table {
    let mut t = Table::new(&CSV_COLUMNS);
    for ind in indicators {
        for v in values.iter().filter(|v| v.indicator_id == ind.id) {
            let ward = if v.ward_id.is_some() {
                v.ward_name.clone()
            } else {
                String::new()
            };
            t.push(vec![
                Cell::text(ward),
                Cell::text(ind.name.clone()),
                Cell::text(v.period_label.clone()),
                Cell::text(v.value.clone()),
                Cell::text(ind.unit.clone()),
                Cell::text(v.recorded_at.clone()),
            ]);
        }
    }
    t
}

/// Reads every row of `sheet` against the municipality's `indicators` and
/// `wards` (id, name). 区 blank or 「市全体」 is the municipality as a
/// whole. Errors: 422 listing every bad cell (`3行目「値」` …): an unknown
/// column or a missing one, an unknown ward or indicator, a period that is
/// not one or not of the indicator's frequency, a value that is not a
/// number (`super::parse_value`'s rule), a row repeating an earlier one's
/// ward, indicator and period; none, or more than [`CSV_ROWS_MAX`] rows.
pub fn read(
    sheet: &Sheet,
    indicators: &[Indicator],
    wards: &[(i64, String)],
) -> AppResult<Vec<ImportRow>> {
    let index = header(sheet)?;
    if sheet.rows.is_empty() {
        return Err(AppError::invalid("file", "取り込むデータ行がありません"));
    }
    if sheet.rows.len() > CSV_ROWS_MAX {
        return Err(AppError::invalid(
            "file",
            format!("一度に取り込めるのは{CSV_ROWS_MAX}行までです"),
        ));
    }
    let mut errors = Vec::new();
    let mut out: Vec<ImportRow> = Vec::new();
    for (i, cells) in sheet.rows.iter().enumerate() {
        let line = i + 2;
        let cell = |c: &str| -> &str {
            index
                .get(c)
                .and_then(|&k| cells.get(k))
                .map_or("", |s| unguard(s.trim()).trim())
        };
        let field = |c: &str| format!("{line}行目「{c}」");
        let before = errors.len();
        let ward_text = cell("区");
        let ward_id = if ward_text.is_empty() || ward_text == super::CITY_WIDE {
            Some(None)
        } else {
            match wards.iter().find(|(_, n)| n == ward_text) {
                Some((id, _)) => Some(Some(*id)),
                None => {
                    errors.push(FieldError::new(
                        &field("区"),
                        format!("「{ward_text}」はこの自治体の区にありません（市全体の値は空欄にします）"),
                    ));
                    None
                }
            }
        };
        let name = cell("評価指標");
        let indicator = if name.is_empty() {
            errors.push(FieldError::new(
                &field("評価指標"),
                "評価指標の名前を入力してください",
            ));
            None
        } else {
            let found = indicators.iter().find(|ind| ind.name == name);
            if found.is_none() {
                errors.push(FieldError::new(
                    &field("評価指標"),
                    format!("「{name}」はこの自治体の評価指標にありません"),
                ));
            }
            found
        };
        let Some(ind) = indicator else {
            // The period's kind is the indicator's: check the value alone.
            if let Err(m) = super::parse_value(cell("値")) {
                errors.push(FieldError::new(&field("値"), m));
            }
            continue;
        };
        let checked = check_value(
            ind.frequency,
            cell("期間"),
            cell("値"),
            &field("期間"),
            &field("値"),
        );
        match (checked, ward_id) {
            (Ok((span, value)), Some(ward_id)) if errors.len() == before => {
                let repeat = out
                    .iter()
                    .find(|r| r.indicator_id == ind.id && r.ward_id == ward_id && r.span == span);
                if let Some(first) = repeat {
                    errors.push(FieldError::new(
                        &field("期間"),
                        format!(
                            "{}行目と同じ区・評価指標・期間です。1行にしてください",
                            first.line
                        ),
                    ));
                } else {
                    out.push(ImportRow {
                        line,
                        indicator_id: ind.id,
                        ward_id,
                        span,
                        value,
                    });
                }
            }
            (Err(e), _) => errors.extend(e),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The header's columns by name: each known column at most once, no
/// unknown one (an unnamed column without data is ignored), the first
/// [`CSV_REQUIRED`] present. Errors: 422 naming the column.
fn header(sheet: &Sheet) -> AppResult<HashMap<&'static str, usize>> {
    let accepted = CSV_COLUMNS.join("・");
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for (i, raw) in sheet.header.iter().enumerate() {
        let name = raw.trim_start_matches('\u{feff}').trim();
        match CSV_COLUMNS.iter().find(|c| **c == name) {
            Some(c) if index.contains_key(c) => errors.push(FieldError::new(
                &format!("1行目「{name}」"),
                format!("「{name}」の列が2つ以上あります。1つにしてください"),
            )),
            Some(c) => {
                index.insert(*c, i);
            }
            None if name.is_empty()
                && !sheet
                    .rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| !c.trim().is_empty())) => {}
            None => errors.push(FieldError::new(
                &format!("1行目{}列目", i + 1),
                format!("「{name}」は取り込める列ではありません（取り込める列：{accepted}）"),
            )),
        }
    }
    for c in &CSV_COLUMNS[..CSV_REQUIRED] {
        if !index.contains_key(c) {
            errors.push(FieldError::new(
                &format!("1行目「{c}」"),
                format!("見出しに「{c}」の列がありません（必要な列：区・評価指標・期間・値）"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(AppError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{DataSource, Direction, Frequency, Level};

    fn indicator(id: i64, name: &str, frequency: Frequency) -> Indicator {
        Indicator {
            id,
            municipality_id: 1,
            name: name.into(),
            level: Level::Output,
            unit: "件".into(),
            definition: String::new(),
            data_source: DataSource::Report,
            direction: Direction::Up,
            baseline: None,
            target: None,
            frequency,
            scenes: vec![],
        }
    }

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            header: ["区", "評価指標", "期間", "値"].map(String::from).to_vec(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn every_bad_cell_is_named_by_row_and_column() {
        let inds = [
            indicator(1, "研修回数", Frequency::FiscalYear),
            indicator(2, "相談件数", Frequency::HalfYear),
        ];
        let wards = [(10, "北区".to_string())];
        let ok = read(
            &sheet(&[
                &["北区", "研修回数", "令和7年度", "3"],
                &["", "相談件数", "2025H1", "1,200"],
            ]),
            &inds,
            &wards,
        )
        .unwrap();
        assert_eq!(ok[0].ward_id, Some(10));
        assert_eq!(ok[1].ward_id, None);
        assert_eq!(ok[1].value, "1200");
        let err = read(
            &sheet(&[
                &["北区", "研修回数", "2025", "3"],
                &["南区", "研修回数", "2025", "3"],
                &["北区", "研修回数", "2025H1", "3"],
                &["北区", "研修", "2025", "3"],
                &["北区", "研修回数", "2024", "三"],
                &["北区", "研修回数", "2025", "4"],
            ]),
            &inds,
            &wards,
        )
        .unwrap_err();
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "3行目「区」",
                "4行目「期間」",
                "5行目「評価指標」",
                "6行目「値」",
                "7行目「期間」"
            ]
        );
    }

    #[test]
    fn a_missing_or_unknown_column_is_refused() {
        let mut s = sheet(&[&["北区", "研修回数", "2025", "3"]]);
        s.header[3] = "数値".into();
        let err = read(&s, &[], &[]).unwrap_err();
        assert!(err.field_errors().iter().any(|f| f.field == "1行目4列目"));
        assert!(err.field_errors().iter().any(|f| f.field == "1行目「値」"));
    }
}
