//! Who may record a measured value: decided per value on its typed ward id
//! (a ward's value: [`access::ward_write`], so its secretariat, the city
//! of its municipality and `admin`; a value of the municipality as a
//! whole: [`access::indicator_write`], its city and `admin`). Denied unless
//! one of those grants it; the result, [`ValueEntry`], is the only thing
//! the store records values from.

use crate::access::{self, Actor, IndicatorRead};
use crate::calendar::Span;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// One value checked and allowed: made by [`entry`] only.
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
