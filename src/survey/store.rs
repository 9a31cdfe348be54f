//! SQL for survey answers and the city's summaries, and the reading of
//! (イ)'s records (the meetings' topics and the countermeasures' stages,
//! which `mod.rs` turns into rows). `store.rs` is
//! SQL, row mapping and the transaction of one use case; a store may call
//! another concept's `*_in(tx, …)` store functions so a use case writes in
//! one transaction; rules (what a value must be, what a change implies) are
//! pure functions in `mod.rs` that stores call.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use poem_openapi::types::{ParseFromJSON, ToJSON};
use serde_json::json;
use sqlx::Row;

use super::{DerivedTopic, Section, SectionText, Survey, SurveyAnswers, SurveyStatus};
use crate::access::{CityOf, CityRead, CityView, WardRead, WardWrite};
use crate::audit;
use crate::calendar::Period;
use crate::countermeasures::Stage;
use crate::db::{Db, Tx, timestamp};
use crate::error::{AppError, AppResult};
use crate::text::MultiLine;
use crate::wards::Ward;

fn decode(text: &str) -> AppResult<SurveyAnswers> {
    let mut value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored survey answers: {e}")))?;
    scrub(&mut value);
    SurveyAnswers::parse_from_json(Some(value))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored survey answers: {}", e.message())))
}

/// Answers saved before their texts were checked may hold characters the
/// text types refuse: they are dropped, rather than the ward's survey
/// failing to load. Every text of the answers is multi-line, and the
/// catalogue values and dates hold no control characters to drop.
fn scrub(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = MultiLine::lossy(s).into(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
        serde_json::Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

/// The answers as stored in `surveys.answers` (their JSON document); the
/// generated data of `renkei seed` writes them the same way.
pub fn encode(answers: &SurveyAnswers) -> String {
    answers
        .to_json()
        .unwrap_or(serde_json::Value::Null)
        .to_string()
}

struct Stored {
    id: i64,
    status: SurveyStatus,
    answers: SurveyAnswers,
    submitted_at: Option<String>,
}

async fn load(
    conn: &mut sqlx::AnyConnection,
    ward_id: i64,
    period: Period,
) -> AppResult<Option<Stored>> {
    let row = sqlx::query(
        "SELECT id, status, answers, submitted_at FROM surveys WHERE ward_id = $1 AND period = $2",
    )
    .bind(ward_id)
    .bind(period.code())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: String = row.try_get("status")?;
    let answers: String = row.try_get("answers")?;
    Ok(Some(Stored {
        id: row.try_get("id")?,
        status: SurveyStatus::parse(&status).unwrap_or(SurveyStatus::Draft),
        answers: decode(&answers)?,
        submitted_at: row.try_get("submitted_at")?,
    }))
}

/// (イ) per ward (see [`super::derived_from`]): the topics covered by
/// meetings held in the period, and the stage per topic at the period's
/// end; only wards with a meeting or a countermeasure have an entry.
pub async fn derived(db: &Db, period: Period) -> AppResult<HashMap<i64, Vec<DerivedTopic>>> {
    let mut covered: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (ward, topic) in
        crate::meetings::store::covered_topics(db, None, period.start(), period.end()).await?
    {
        covered.entry(ward).or_default().insert(topic);
    }
    let mut stages: HashMap<i64, HashMap<i64, Stage>> = HashMap::new();
    for (ward, topic, stage) in
        crate::trends::store::topic_stages_at(db, None, period.end()).await?
    {
        stages.entry(ward).or_default().insert(topic, stage);
    }
    let wards: BTreeSet<i64> = covered.keys().chain(stages.keys()).copied().collect();
    let (none_covered, no_stages) = (BTreeSet::new(), HashMap::new());
    Ok(wards
        .into_iter()
        .map(|w| {
            let rows = super::derived_from(
                covered.get(&w).unwrap_or(&none_covered),
                stages.get(&w).unwrap_or(&no_stages),
            );
            (w, rows)
        })
        .collect())
}

/// [`derived`] for one ward, reading only its own records.
pub async fn derived_for_ward(
    db: &Db,
    ward_id: i64,
    period: Period,
) -> AppResult<Vec<DerivedTopic>> {
    let covered: BTreeSet<i64> =
        crate::meetings::store::covered_topics(db, Some(ward_id), period.start(), period.end())
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
    let stages: HashMap<i64, Stage> =
        crate::trends::store::topic_stages_at(db, Some(ward_id), period.end())
            .await?
            .into_iter()
            .map(|(_, t, s)| (t, s))
            .collect();
    Ok(super::derived_from(&covered, &stages))
}

/// A ward's survey for a period; a blank draft when nothing is saved yet.
pub async fn get(db: &Db, scope: &WardRead, period: Period) -> AppResult<Survey> {
    let ward = crate::wards::store::get(db, scope).await?;
    get_for(db, &ward, period).await
}

/// [`get`] for a ward already read.
pub async fn get_for(db: &Db, ward: &Ward, period: Period) -> AppResult<Survey> {
    let derived = derived_for_ward(db, ward.id, period).await?;
    get_with_derived(db, ward, period, derived).await
}

/// [`get_for`] with (イ) already derived (see [`super::derived_from`]).
pub async fn get_with_derived(
    db: &Db,
    ward: &Ward,
    period: Period,
    derived: Vec<DerivedTopic>,
) -> AppResult<Survey> {
    let mut conn = db.pool.acquire().await?;
    let stored = load(&mut conn, ward.id, period).await?;
    drop(conn);
    Ok(survey_of(ward, period, stored, derived))
}

fn survey_of(
    ward: &Ward,
    period: Period,
    stored: Option<Stored>,
    derived: Vec<DerivedTopic>,
) -> Survey {
    let (status, answers, submitted_at) = match stored {
        Some(s) => (s.status, s.answers, s.submitted_at),
        None => (SurveyStatus::Draft, SurveyAnswers::default(), None),
    };
    Survey {
        ward_id: ward.id,
        ward_name: ward.name.clone(),
        period: period.code(),
        period_label: period.label(),
        status,
        submitted_at,
        answers,
        derived,
    }
}

/// Saves answers as a draft. A submitted survey is closed to edits until
/// the city reopens it, so the report does not change under the city's feet.
pub async fn save_draft(
    db: &Db,
    scope: &WardWrite,
    period: Period,
    answers: SurveyAnswers,
    now: DateTime<Utc>,
) -> AppResult<Survey> {
    let ward_id = scope.ward_id();
    let answers = answers.normalized(period, false)?;
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, ward_id, period).await?;
    super::check_editable(before.as_ref().map(|s| s.status))?;
    let id =
        match &before {
            Some(s) => {
                sqlx::query("UPDATE surveys SET answers = $1, updated_at = $2 WHERE id = $3")
                    .bind(encode(&answers))
                    .bind(timestamp(now))
                    .bind(s.id)
                    .execute(&mut *tx)
                    .await?;
                s.id
            }
            None => sqlx::query_scalar(
                "INSERT INTO surveys (ward_id, period, status, answers, created_at, updated_at) \
                 VALUES ($1, $2, '下書き', $3, $4, $4) RETURNING id",
            )
            .bind(ward_id)
            .bind(period.code())
            .bind(encode(&answers))
            .bind(timestamp(now))
            .fetch_one(&mut *tx)
            .await?,
        };
    let before_json = before
        .as_ref()
        .and_then(|s| s.answers.to_json())
        .unwrap_or(json!({}));
    let after_json = answers.to_json().unwrap_or(json!({}));
    audit::store::record(
        &mut tx,
        audit::Entry {
            ward_id: Some(ward_id),
            municipality_id: None,
            entity: "survey",
            entity_id: id,
            action: if before.is_some() { "update" } else { "create" },
            actor: None,
            changes: audit::diff(&before_json, &after_json),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, &scope.read(), period).await
}

/// Submits the saved answers, which must then be complete.
pub async fn submit(
    db: &Db,
    scope: &WardWrite,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<Survey> {
    let ward_id = scope.ward_id();
    let mut tx = db.begin_write().await?;
    let to = SurveyStatus::Submitted;
    let stored = load(&mut tx, ward_id, period)
        .await?
        .ok_or_else(|| super::never_saved(to))?;
    let action = stored.status.change_to(to)?;
    stored.answers.clone().normalized(period, true)?;
    set_status(tx, db, scope, period, stored.id, (to, action), now).await
}

/// The city sends a submitted survey back to the ward as a draft: only the
/// city of the ward's municipality (`city`), never the ward itself.
/// Errors: 403 for another municipality's scope, 409 when not submitted.
pub async fn reopen(
    db: &Db,
    scope: &WardWrite,
    city: &CityOf,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<Survey> {
    super::check_reopener(city, scope)?;
    let ward_id = scope.ward_id();
    let to = SurveyStatus::Draft;
    let mut tx = db.begin_write().await?;
    let stored = load(&mut tx, ward_id, period)
        .await?
        .ok_or_else(|| super::never_saved(to))?;
    let action = stored.status.change_to(to)?;
    set_status(tx, db, scope, period, stored.id, (to, action), now).await
}

/// The shared end of [`submit`] and [`reopen`]: moves the stored survey
/// `survey_id` to `to` (stamping `submitted_at` when submitting, clearing it
/// when sent back) with its audit row (`action`, from
/// [`SurveyStatus::change_to`]), commits, and reads the survey back.
async fn set_status(
    mut tx: Tx,
    db: &Db,
    scope: &WardWrite,
    period: Period,
    survey_id: i64,
    (to, action): (SurveyStatus, &'static str),
    now: DateTime<Utc>,
) -> AppResult<Survey> {
    // The two statuses: a move to one is from the other.
    let (from, submitted_at) = match to {
        SurveyStatus::Submitted => (SurveyStatus::Draft, Some(timestamp(now))),
        SurveyStatus::Draft => (SurveyStatus::Submitted, None),
    };
    sqlx::query("UPDATE surveys SET status = $1, submitted_at = $2, updated_at = $3 WHERE id = $4")
        .bind(to.as_str())
        .bind(submitted_at)
        .bind(timestamp(now))
        .bind(survey_id)
        .execute(&mut *tx)
        .await?;
    audit::store::record(
        &mut tx,
        audit::Entry {
            ward_id: Some(scope.ward_id()),
            municipality_id: None,
            entity: "survey",
            entity_id: survey_id,
            action,
            actor: None,
            changes: json!({ "status": { "before": from.as_str(), "after": to.as_str() } }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, &scope.read(), period).await
}

/// Every ward (of one municipality, or all) with its survey status for a
/// period; wards without a row are drafts not yet started.
pub async fn statuses(
    db: &Db,
    view: &CityView,
    period: Period,
) -> AppResult<Vec<(Ward, Option<SurveyStatus>)>> {
    let wards = crate::wards::store::list(db, view.wards(), None).await?;
    let rows = sqlx::query("SELECT ward_id, status FROM surveys WHERE period = $1")
        .bind(period.code())
        .fetch_all(&db.pool)
        .await?;
    let mut status: HashMap<i64, SurveyStatus> = HashMap::new();
    for r in &rows {
        let s: String = r.try_get("status")?;
        if let Some(s) = SurveyStatus::parse(&s) {
            status.insert(r.try_get("ward_id")?, s);
        }
    }
    Ok(wards
        .into_iter()
        .map(|w| {
            let s = status.get(&w.id).copied();
            (w, s)
        })
        .collect())
}

/// The submitted answers of a period, in ward display order.
pub async fn submitted(
    db: &Db,
    view: &CityView,
    period: Period,
) -> AppResult<Vec<(Ward, SurveyAnswers)>> {
    let wards = crate::wards::store::list(db, view.wards(), None).await?;
    let rows =
        sqlx::query("SELECT ward_id, answers FROM surveys WHERE period = $1 AND status = '提出済'")
            .bind(period.code())
            .fetch_all(&db.pool)
            .await?;
    let mut answers: HashMap<i64, SurveyAnswers> = HashMap::new();
    for r in &rows {
        let text: String = r.try_get("answers")?;
        answers.insert(r.try_get("ward_id")?, decode(&text)?);
    }
    Ok(wards
        .into_iter()
        .filter_map(|w| answers.remove(&w.id).map(|a| (w, a)))
        .collect())
}

/// The city's summaries of a period, per section.
pub async fn summaries(db: &Db, city: &CityRead, period: Period) -> AppResult<Vec<SectionText>> {
    let municipality_id = city.municipality_id();
    let rows = sqlx::query(
        "SELECT section, text FROM survey_summaries WHERE municipality_id = $1 AND period = $2",
    )
    .bind(municipality_id)
    .bind(period.code())
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let section: String = r.try_get("section")?;
        if let Some(section) = Section::parse(&section) {
            out.push(SectionText {
                section,
                // Rows saved before the text types were checked may hold what they refuse.
                text: MultiLine::lossy(&r.try_get::<String, _>("text")?),
            });
        }
    }
    out.sort_by_key(|t| t.section);
    Ok(out)
}

/// Replaces the city's summaries of a period (an empty text removes one).
pub async fn save_summaries(
    db: &Db,
    city: &CityOf,
    period: Period,
    texts: &[SectionText],
    now: DateTime<Utc>,
) -> AppResult<Vec<SectionText>> {
    crate::municipalities::store::get(db, &city.read()).await?;
    let municipality_id = city.municipality_id();
    super::check_summaries(texts)?;
    let before = summaries(db, &city.read(), period).await?;
    let mut tx = db.begin_write().await?;
    for t in texts {
        sqlx::query(
            "DELETE FROM survey_summaries WHERE municipality_id = $1 AND period = $2 AND section = $3",
        )
        .bind(municipality_id)
        .bind(period.code())
        .bind(t.section.as_str())
        .execute(&mut *tx)
        .await?;
        let text = t.text.trim();
        if !text.is_empty() {
            sqlx::query(
                "INSERT INTO survey_summaries (municipality_id, period, section, text, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(municipality_id)
            .bind(period.code())
            .bind(t.section.as_str())
            .bind(text)
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
        }
    }
    let view = |list: &[SectionText]| {
        serde_json::Value::Object(
            list.iter()
                .map(|t| (t.section.as_str().to_string(), json!(t.text.trim())))
                .collect(),
        )
    };
    audit::store::record(
        &mut tx,
        audit::Entry {
            ward_id: None,
            municipality_id: Some(municipality_id),
            entity: "survey_summary",
            entity_id: municipality_id,
            action: "update",
            actor: None,
            changes: json!({ "period": period.code(), "texts": audit::diff(&view(&before), &view(texts)) }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    summaries(db, &city.read(), period).await
}
