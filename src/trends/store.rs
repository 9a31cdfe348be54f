//! Reads what [`super::build`] needs: the history rows of the ward's
//! countermeasures, the stage-setting rows of the municipality's, and the
//! ward's meetings, over the half-years asked for.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sqlx::Row;

use super::{Compact, HistoryRow, Input, WardTrends, as_of, build, periods_ending};
use crate::access::WardRead;
use crate::calendar::Period;
use crate::countermeasures::{EventKind, Stage};
use crate::db::{Db, parse_date};
use crate::error::AppResult;
use crate::wards::Ward;

fn stage_of(value: Option<String>) -> Option<Stage> {
    value.as_deref().and_then(Stage::parse)
}

/// The ward's countermeasures with the history rows that set a stage, a
/// due date, or closed or reopened them, up to `until`, by countermeasure.
async fn ward_history(
    db: &Db,
    ward_id: i64,
    until: NaiveDate,
) -> AppResult<Vec<(i64, Vec<HistoryRow>)>> {
    let rows = sqlx::query(
        "SELECT e.countermeasure_id, e.id, e.occurred_on, e.to_stage, e.due_to, e.kind \
         FROM countermeasures c JOIN countermeasure_events e ON e.countermeasure_id = c.id \
         WHERE c.ward_id = $1 AND e.occurred_on <= $2 \
         AND (e.to_stage IS NOT NULL OR e.due_to IS NOT NULL OR e.kind IN ($3, $4))",
    )
    .bind(ward_id)
    .bind(until.to_string())
    .bind(EventKind::Archived.as_str())
    .bind(EventKind::Restored.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut by_cm: BTreeMap<i64, Vec<HistoryRow>> = BTreeMap::new();
    for r in &rows {
        let on: String = r.try_get("occurred_on")?;
        let due: Option<String> = r.try_get("due_to")?;
        let kind: String = r.try_get("kind")?;
        by_cm
            .entry(r.try_get("countermeasure_id")?)
            .or_default()
            .push(HistoryRow {
                id: r.try_get("id")?,
                on: parse_date("occurred_on", &on)?,
                stage: stage_of(r.try_get("to_stage")?),
                due: due.map(|d| parse_date("due_to", &d)).transpose()?,
                archived: match EventKind::parse(&kind) {
                    Some(EventKind::Archived) => Some(true),
                    Some(EventKind::Restored) => Some(false),
                    _ => None,
                },
            });
    }
    Ok(by_cm.into_iter().collect())
}

/// Which wards' stages are read: the municipality's (the city's
/// distribution) or the ward's alone (the compact form).
#[derive(Debug, Clone, Copy)]
enum Reach {
    Municipality(i64),
    Ward(i64),
}

impl Reach {
    fn sql(self) -> &'static str {
        match self {
            Reach::Municipality(_) => {
                "c.ward_id IN (SELECT id FROM wards WHERE municipality_id = $1)"
            }
            Reach::Ward(_) => "c.ward_id = $1",
        }
    }

    fn id(self) -> i64 {
        match self {
            Reach::Municipality(id) | Reach::Ward(id) => id,
        }
    }
}

/// The stage-setting rows of every countermeasure in reach, enough to tell
/// its stage on any day from `from` to `until`: a countermeasure whose last
/// stage-setting day (`last_stage_on`, migration 0008) is on or before
/// `from` stood at its current stage on all of them, so it gets one row
/// standing for that (from the index alone, as
/// `countermeasures::store::stages_at` does); only the others replay their
/// rows up to `until`.
async fn stage_history(
    db: &Db,
    reach: Reach,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<Vec<(i64, i64, Vec<HistoryRow>)>> {
    let settled = format!(
        "SELECT c.id, c.ward_id, c.topic, c.stage, c.last_stage_on FROM countermeasures c \
         WHERE {} AND c.last_stage_on <= $2",
        reach.sql()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(settled))
        .bind(reach.id())
        .bind(from.to_string())
        .fetch_all(&db.pool)
        .await?;
    let mut out: Vec<(i64, i64, Vec<HistoryRow>)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let on: String = r.try_get("last_stage_on")?;
        out.push((
            r.try_get("ward_id")?,
            r.try_get("topic")?,
            vec![HistoryRow {
                id: 0,
                on: parse_date("last_stage_on", &on)?,
                stage: stage_of(r.try_get("stage")?),
                due: None,
                archived: None,
            }],
        ));
    }
    let changed = format!(
        "SELECT c.id AS cm, c.ward_id, c.topic, e.id, e.occurred_on, e.to_stage \
         FROM countermeasures c JOIN countermeasure_events e ON e.countermeasure_id = c.id \
         WHERE {} AND c.last_stage_on > $2 AND e.to_stage IS NOT NULL AND e.occurred_on <= $3",
        reach.sql()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(changed))
        .bind(reach.id())
        .bind(from.to_string())
        .bind(until.to_string())
        .fetch_all(&db.pool)
        .await?;
    let mut replayed: BTreeMap<i64, (i64, i64, Vec<HistoryRow>)> = BTreeMap::new();
    for r in &rows {
        let on: String = r.try_get("occurred_on")?;
        let entry = replayed.entry(r.try_get("cm")?).or_insert((
            r.try_get("ward_id")?,
            r.try_get("topic")?,
            Vec::new(),
        ));
        entry.2.push(HistoryRow {
            id: r.try_get("id")?,
            on: parse_date("occurred_on", &on)?,
            stage: stage_of(r.try_get("to_stage")?),
            due: None,
            archived: None,
        });
    }
    out.extend(replayed.into_values());
    Ok(out)
}

/// The ward's meetings held from `from` to `until`, with their topics.
async fn meetings(
    db: &Db,
    ward_id: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<Vec<(NaiveDate, Vec<i64>)>> {
    let rows = sqlx::query(
        "SELECT m.id, m.held_on, t.topic FROM meetings m LEFT JOIN meeting_topics t ON t.meeting_id = m.id \
         WHERE m.ward_id = $1 AND m.held_on >= $2 AND m.held_on <= $3",
    )
    .bind(ward_id)
    .bind(from.to_string())
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    let mut by_id: HashMap<i64, (NaiveDate, Vec<i64>)> = HashMap::new();
    for r in &rows {
        let held: String = r.try_get("held_on")?;
        let held = parse_date("held_on", &held)?;
        let entry = by_id.entry(r.try_get("id")?).or_insert((held, Vec::new()));
        if let Some(t) = r.try_get::<Option<i64>, _>("topic")? {
            entry.1.push(t);
        }
    }
    Ok(by_id.into_values().collect())
}

/// The ids of the municipality's wards.
async fn city_wards(db: &Db, municipality_id: i64) -> AppResult<Vec<i64>> {
    let rows = sqlx::query("SELECT id FROM wards WHERE municipality_id = $1 ORDER BY id")
        .bind(municipality_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Reads and counts [`WardTrends`] for the `halves` half-years ending with
/// `last`, the city's distribution over the municipality's wards. Four
/// queries for the ward, two for the municipality, whatever `halves`.
pub async fn load(
    db: &Db,
    scope: &WardRead,
    last: Period,
    halves: i64,
    today: NaiveDate,
) -> AppResult<WardTrends> {
    let ward = crate::wards::store::get(db, scope).await?;
    read(
        db,
        &ward,
        last,
        halves,
        today,
        Reach::Municipality(ward.municipality_id),
    )
    .await
}

async fn read(
    db: &Db,
    ward: &Ward,
    last: Period,
    halves: i64,
    today: NaiveDate,
    reach: Reach,
) -> AppResult<WardTrends> {
    let periods = periods_ending(last, halves);
    let first_day = as_of(periods[0], today);
    let last_day = as_of(last, today);
    let ward_history = ward_history(db, ward.id, last_day).await?;
    let city_history = stage_history(db, reach, first_day, last_day).await?;
    let meetings = meetings(db, ward.id, periods[0].start(), last_day).await?;
    let wards = match reach {
        Reach::Municipality(m) => city_wards(db, m).await?,
        Reach::Ward(w) => vec![w],
    };
    Ok(build(Input {
        ward,
        today,
        periods: &periods,
        ward_history: &ward_history,
        city_wards: &wards,
        city_history: &city_history,
        meetings: &meetings,
    }))
}

/// The compact form for the ward dashboard: the `halves` half-years ending
/// with the running one, for the ward alone (its own rows only; no read of
/// the municipality's countermeasures).
pub async fn compact_for_ward(
    db: &Db,
    scope: &WardRead,
    halves: i64,
    today: NaiveDate,
) -> AppResult<Compact> {
    let ward = crate::wards::store::get(db, scope).await?;
    let t = read(
        db,
        &ward,
        Period::containing(today),
        halves,
        today,
        Reach::Ward(ward.id),
    )
    .await?;
    Ok(Compact::of(&t))
}
