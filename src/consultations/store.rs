//! Reads the (オ) counts of the survey answers (`surveys.answers`, the
//! survey's JSON document) for [`super::for_ward`] and [`super::for_city`].
//! Only the part (オ) needs is decoded, so an answer whose other parts an
//! older version saved differently still counts.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::Row;

use super::{Answer, CityConsultations, Compact, Counts, WardConsultations, for_city, for_ward};
use crate::access::{CityRead, WardRead};
use crate::calendar::Period;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::survey::SurveyStatus;

/// The part of the answers (オ) reads.
#[derive(Deserialize)]
struct Stored {
    office: Option<Office>,
}

#[derive(Deserialize)]
struct Office {
    opened_on: NaiveDate,
    #[serde(default)]
    consultations: Vec<Month>,
}

#[derive(Deserialize)]
struct Month {
    #[serde(default)]
    by_requester: Vec<i64>,
    #[serde(default)]
    by_content: Vec<i64>,
}

/// The (オ) counts of one stored answer; none without an office or months.
fn counts_of(text: &str) -> AppResult<Option<Counts>> {
    let stored: Stored = serde_json::from_str(text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored survey answers: {e}")))?;
    Ok(stored
        .office
        .filter(|o| !o.consultations.is_empty())
        .map(|o| {
            Counts::sum(
                o.opened_on,
                o.consultations
                    .iter()
                    .map(|m| (m.by_requester.as_slice(), m.by_content.as_slice())),
            )
        }))
}

/// Every survey of the municipality's wards in `periods`: all of them when
/// `ward_id` is none, else the submitted ones and the ward's own (drafts
/// too). One query (the `surveys (period, status)` index).
async fn answers(
    db: &Db,
    municipality_id: i64,
    ward_id: Option<i64>,
    periods: &[Period],
) -> AppResult<Vec<Answer>> {
    let codes: Vec<String> = periods.iter().map(|p| p.code()).collect();
    // Numbered placeholders ($3 …), one per period (at most 12).
    let list = crate::db::placeholders(3, codes.len());
    let sql = format!(
        "SELECT s.ward_id, s.period, s.status, s.answers FROM surveys s JOIN wards w ON w.id = s.ward_id \
         WHERE w.municipality_id = $1 AND ($2 = 0 OR s.status = '提出済' OR s.ward_id = $2) \
         AND s.period IN ({})",
        list
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(municipality_id)
        .bind(ward_id.unwrap_or(0));
    for c in &codes {
        query = query.bind(c.clone());
    }
    let rows = query.fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let period: String = r.try_get("period")?;
        let status: String = r.try_get("status")?;
        let (Some(period), Some(status)) = (Period::parse(&period), SurveyStatus::parse(&status))
        else {
            continue;
        };
        let text: String = r.try_get("answers")?;
        out.push(Answer {
            ward_id: r.try_get("ward_id")?,
            period,
            status,
            counts: counts_of(&text)?,
        });
    }
    Ok(out)
}

/// 相談の内訳 of a ward for the `halves` half-years ending with `period`.
pub async fn load_for_ward(
    db: &Db,
    scope: &WardRead,
    period: Period,
    halves: i64,
    today: NaiveDate,
) -> AppResult<WardConsultations> {
    let ward = crate::wards::store::get(db, scope).await?;
    let periods = crate::trends::periods_ending(period, halves);
    let answers = answers(db, ward.municipality_id, Some(ward.id), &periods).await?;
    Ok(for_ward(&ward, &periods, &answers, today))
}

/// The compact form for the ward dashboard: the half-year that ended last
/// and the `halves` before it.
pub async fn compact_for_ward(
    db: &Db,
    scope: &WardRead,
    halves: i64,
    today: NaiveDate,
) -> AppResult<Compact> {
    let last = Period::containing(today).previous();
    let view = load_for_ward(db, scope, last, halves, today).await?;
    Ok(Compact::of(&view))
}

/// The compact form of every ward of `scope`'s municipality, as
/// [`compact_for_ward`] gives each (its own draft counted for itself), from
/// one read of the city's answers: the dashboard stores them once per
/// municipality.
pub async fn compacts_for_city(
    db: &Db,
    scope: &WardRead,
    halves: i64,
    today: NaiveDate,
) -> AppResult<Vec<Compact>> {
    let last = Period::containing(today).previous();
    let periods = crate::trends::periods_ending(last, halves);
    let wards = crate::wards::store::list(db, scope.city_wards(), None).await?;
    // Every state of every ward; each ward below sees the submitted ones
    // and its own, as `answers` gives for one ward.
    let answers = answers(db, scope.municipality_id(), None, &periods).await?;
    Ok(wards
        .iter()
        .map(|w| {
            let seen: Vec<Answer> = answers
                .iter()
                .filter(|a| a.status == SurveyStatus::Submitted || a.ward_id == w.id)
                .cloned()
                .collect();
            Compact::of(&for_ward(w, &periods, &seen, today))
        })
        .collect())
}

/// 相談の内訳 of the municipality's wards side by side for `period`.
/// Errors: 404 when the municipality does not exist.
pub async fn load_for_city(
    db: &Db,
    city: &CityRead,
    period: Period,
    today: NaiveDate,
) -> AppResult<CityConsultations> {
    crate::municipalities::store::get(db, city).await?;
    let wards: Vec<(i64, String)> = crate::wards::store::list(db, city.wards(), None)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let answers = answers(db, city.municipality_id(), None, &[period]).await?;
    Ok(for_city(
        city.municipality_id(),
        &wards,
        period,
        &answers,
        today,
    ))
}
