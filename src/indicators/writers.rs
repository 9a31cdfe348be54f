//! Who may record a measured value: decided per value on its typed ward id
//! (a ward's value: [`access::ward_write`], so its secretariat, the city
//! of its municipality and `admin`; a value of the municipality as a
//! whole: [`access::indicator_write`], its city and `admin`). Denied unless
//! one of those grants it; the result, [`ValueEntry`], is the only thing
//! the store records values from.

use super::ValueEntry;
use crate::access::{self, Actor, IndicatorRead};
use crate::calendar::Span;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// Allows `actor` to record `value` (already checked: canonical decimal,
/// period of the indicator's frequency) of `indicator` for `ward_id`
/// (`None` = the municipality as a whole). `ward_field` names the input
/// for a refused ward; `place` is kept for later messages.
///
/// Errors: 403 for a role that may not record it (a member, a viewer, a
/// ward's account for the municipality as a whole); 422 on `ward_field`
/// for a ward that is not one of the indicator's municipality or not the
/// actor's (missing and foreign answer alike).
pub async fn entry(
    db: &Db,
    actor: &Actor,
    indicator: &IndicatorRead,
    ward_id: Option<i64>,
    (span, value): (Span, String),
    ward_field: &str,
    place: &str,
) -> AppResult<ValueEntry> {
    let not_ours = |w: i64| {
        AppError::invalid(
            ward_field,
            format!("区(ID {w})はこの自治体の区ではないか、値を登録できる区ではありません"),
        )
    };
    match ward_id {
        Some(w) => {
            let ward = match access::ward_write(db, actor, w).await {
                Ok(ward) => ward,
                Err(AppError::NotFound(_)) => return Err(not_ours(w)),
                Err(e) => return Err(e),
            };
            if ward.municipality_id() != indicator.municipality_id() {
                return Err(not_ours(w));
            }
        }
        None => {
            access::indicator_write(db, actor, indicator.id()).await?;
        }
    }
    Ok(ValueEntry {
        indicator_id: indicator.id(),
        municipality_id: indicator.municipality_id(),
        ward_id,
        span,
        value,
        place: place.to_string(),
    })
}

/// Records the values sent for `indicator` by `actor` (the API's PUT and
/// the page's form), all or nothing: each is checked (period of the
/// indicator's frequency, exact decimal; errors on `values[i].period`,
/// `values[i].value`), then allowed ([`entry`], `values[i].ward_id`), then
/// stored with `super::store::put_values`. Returns the rows' ids. Errors:
/// 422 listing every bad field, 403 / 422 as [`entry`], nothing written.
pub async fn record_values(
    db: &Db,
    actor: &Actor,
    indicator: &IndicatorRead,
    inputs: &[super::ValueInput],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<i64>> {
    if inputs.len() > super::CSV_ROWS_MAX {
        return Err(AppError::invalid(
            "values",
            format!("一度に登録できる値は{}件までです", super::CSV_ROWS_MAX),
        ));
    }
    let ind = super::store::get(db, indicator).await?;
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(inputs.len());
    for (i, v) in inputs.iter().enumerate() {
        match super::check_value(
            ind.frequency,
            v.period.as_str(),
            v.value.as_str(),
            &format!("values[{i}].period"),
            &format!("values[{i}].value"),
        ) {
            Ok(c) => checked.push(c),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut entries = Vec::with_capacity(inputs.len());
    for (i, (v, c)) in inputs.iter().zip(checked).enumerate() {
        entries.push(
            entry(
                db,
                actor,
                indicator,
                v.ward_id,
                c,
                &format!("values[{i}].ward_id"),
                &format!("values[{i}]"),
            )
            .await?,
        );
    }
    super::store::put_values(db, &entries, now).await
}

/// Imports a values CSV (`super::sheet`) into `plan`'s municipality, all or
/// nothing: the file is read against its indicators and wards (every bad
/// cell a 422 naming its row and column), then each row is allowed as
/// [`entry`] (a refused ward: 422 on its 区 cell; a role that records no
/// values: 403), then stored in one transaction (existing values replaced
/// and audited). Returns the number of rows.
pub async fn import_csv(
    db: &Db,
    actor: &Actor,
    plan: access::PlanRead,
    sheet: &crate::spreadsheet::Sheet,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    let indicators = super::store::list(db, plan).await?;
    let wards = super::store::wards(db, plan).await?;
    let rows = super::sheet::read(sheet, &indicators, &wards)?;
    let mut entries = Vec::with_capacity(rows.len());
    // One decision per indicator and per (indicator, ward), not per row.
    let mut readable = std::collections::HashMap::new();
    let mut allowed: std::collections::HashSet<(i64, Option<i64>)> = Default::default();
    for row in &rows {
        let indicator = match readable.get(&row.indicator_id) {
            Some(i) => *i,
            None => {
                let i = access::indicator_read(db, actor, row.indicator_id).await?;
                readable.insert(row.indicator_id, i);
                i
            }
        };
        if allowed.contains(&(row.indicator_id, row.ward_id)) {
            entries.push(ValueEntry {
                indicator_id: indicator.id(),
                municipality_id: indicator.municipality_id(),
                ward_id: row.ward_id,
                span: row.span,
                value: row.value.clone(),
                place: format!("{}行目", row.line),
            });
            continue;
        }
        allowed.insert((row.indicator_id, row.ward_id));
        entries.push(
            entry(
                db,
                actor,
                &indicator,
                row.ward_id,
                (row.span, row.value.clone()),
                &row.ward_field(),
                &format!("{}行目", row.line),
            )
            .await?,
        );
    }
    super::store::put_values(db, &entries, now).await?;
    Ok(rows.len())
}

/// A value the installation's operator records (the demo loader): `value`
/// already canonical ([`super::parse_value`]), `ward` of the indicator's
/// municipality or `None` for the municipality as a whole.
pub fn operator_entry(
    indicator: &access::IndicatorWrite,
    ward: Option<&access::WardWrite>,
    (span, value): (Span, String),
) -> ValueEntry {
    ValueEntry {
        indicator_id: indicator.id(),
        municipality_id: indicator.municipality_id(),
        ward_id: ward.map(|w| w.ward_id()),
        span,
        value,
        place: "demo".to_string(),
    }
}
