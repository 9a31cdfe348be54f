//! Loads dashboards for one ward or many, with a fixed number of queries
//! whatever the number of wards.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use sqlx::Row;

use super::{
    CityPart, DueEvaluation, OVERVIEW_FORMAT, Overview, POSTPONED_LIMIT, Postponement,
    UPCOMING_DAYS, WardDashboard, WardPart, topic_statuses,
};
use crate::access::WardRead;
use crate::calendar::Period;
use crate::countermeasures::{self, Countermeasure, EventKind, Stage};
use crate::db::{Db, parse_date, timestamp};
use crate::error::{AppError, AppResult};
use crate::meetings;
use crate::survey::{self, Survey};
use crate::wards::{self, Ward};

/// Open 具体化 countermeasures due up to `UPCOMING_DAYS` ahead, by ward,
/// with their owners' names by ward.
type Due = (
    HashMap<i64, Vec<Countermeasure>>,
    HashMap<i64, HashMap<i64, String>>,
);

async fn due(db: &Db, ward_id: Option<i64>, today: NaiveDate) -> AppResult<Due> {
    let until = today
        .checked_add_days(Days::new(UPCOMING_DAYS))
        .unwrap_or(today);
    let (mut due, mut owner_names): Due = Default::default();
    for (cm, owner_name) in countermeasures::store::due_before(db, ward_id, until, today).await? {
        if let (Some(id), Some(name)) = (cm.owner_member_id, owner_name) {
            owner_names.entry(cm.ward_id).or_default().insert(id, name);
        }
        due.entry(cm.ward_id).or_default().push(cm);
    }
    Ok((due, owner_names))
}

/// The ward's postponed evaluations of `period` (see
/// [`WardDashboard::postponed`]), from the due dates each history row
/// records beside its `changes` (migration 0011).
async fn postponed(db: &Db, ward_id: i64, period: Period) -> AppResult<Vec<Postponement>> {
    let (from, until) = period.instants();
    // `due_to > due_from` is the partial index's condition, repeated so
    // that SQLite uses it; NULLs (no date set, or a first date) fail it.
    let rows = sqlx::query(
        "SELECT e.id, e.countermeasure_id, c.title, e.kind, e.due_from, e.due_to, e.recorded_at, \
         COALESCE(NULLIF(a.display_name, ''), a.email, e.actor) AS changed_by \
         FROM countermeasures c JOIN countermeasure_events e ON e.countermeasure_id = c.id \
         LEFT JOIN accounts a ON a.id = e.recorded_by_account_id \
         WHERE c.ward_id = $1 AND e.due_to > e.due_from AND e.recorded_at >= $2 AND e.recorded_at < $3 \
         ORDER BY e.recorded_at DESC, e.id DESC LIMIT $4",
    )
    .bind(ward_id)
    .bind(timestamp(from))
    .bind(timestamp(until))
    .bind(POSTPONED_LIMIT)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let due_from: String = r.try_get("due_from")?;
            let due_to: String = r.try_get("due_to")?;
            let at: String = r.try_get("recorded_at")?;
            Ok(Postponement {
                countermeasure_id: r.try_get("countermeasure_id")?,
                title: r.try_get("title")?,
                previous_due_on: parse_date("due_from", &due_from)?,
                new_due_on: parse_date("due_to", &due_to)?,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Edited),
                changed_by: r.try_get("changed_by")?,
                changed_at: at,
                event_id: r.try_get("id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// One ward's dashboard from what was read for it.
fn assemble(
    ward: Ward,
    today: NaiveDate,
    covered: &HashSet<i64>,
    stages: &HashMap<i64, Stage>,
    due: Vec<Countermeasure>,
    owner_names: HashMap<i64, String>,
    with_lists: bool,
) -> WardDashboard {
    let period = Period::containing(today);
    let (overdue, upcoming): (Vec<_>, Vec<_>) = due.into_iter().partition(|c| c.overdue);
    WardDashboard {
        period: period.code(),
        period_label: period.label(),
        period_start: period.start(),
        period_end: period.end(),
        today,
        topics: topic_statuses(covered, stages),
        overdue_count: overdue.len() as i64,
        upcoming_count: upcoming.len() as i64,
        overdue: if with_lists { overdue } else { Vec::new() },
        upcoming: if with_lists { upcoming } else { Vec::new() },
        // Read for a single ward only; the caller sets them.
        postponed: Vec::new(),
        owner_names: if with_lists {
            owner_names
        } else {
            HashMap::new()
        },
        ward,
    }
}

/// Dashboards for the given wards, in the same order.
pub async fn for_wards(
    db: &Db,
    wards: Vec<Ward>,
    today: NaiveDate,
    with_lists: bool,
) -> AppResult<Vec<WardDashboard>> {
    let period = Period::containing(today);
    // One ward (its dashboard) reads only its own rows; a list reads them all at once.
    let single = if wards.len() == 1 {
        Some(wards[0].id)
    } else {
        None
    };
    let mut covered: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (ward, topic) in
        meetings::store::covered_topics(db, single, period.start(), period.end()).await?
    {
        covered.entry(ward).or_default().insert(topic);
    }
    let mut stages: HashMap<i64, HashMap<i64, Stage>> = HashMap::new();
    for (ward, topic, stage) in crate::trends::store::topic_stages_now(db, single).await? {
        stages.entry(ward).or_default().insert(topic, stage);
    }
    let (mut due, mut owner_names) = due(db, single, today).await?;
    // Only a single ward's dashboard lists them: the ward list leaves them
    // out, as it does the overdue and upcoming ones.
    let mut postponed_by_ward = match single {
        Some(w) if with_lists => HashMap::from([(w, postponed(db, w, period).await?)]),
        _ => HashMap::new(),
    };
    let empty_set = HashSet::new();
    let empty_map = HashMap::new();
    Ok(wards
        .into_iter()
        .map(|ward| {
            let id = ward.id;
            let mut board = assemble(
                ward,
                today,
                covered.get(&id).unwrap_or(&empty_set),
                stages.get(&id).unwrap_or(&empty_map),
                due.remove(&id).unwrap_or_default(),
                owner_names.remove(&id).unwrap_or_default(),
                with_lists,
            );
            board.postponed = postponed_by_ward.remove(&id).unwrap_or_default();
            board
        })
        .collect())
}

/// One ward's dashboard, with its overdue and upcoming lists.
pub async fn for_ward(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<WardDashboard> {
    let ward = wards::store::get(db, scope).await?;
    let mut all = for_wards(db, vec![ward], today, true).await?;
    Ok(all.remove(0))
}

/// The ward's dashboard page: its dashboard and its survey of the
/// half-year that ended last, whose charts the page embeds. The two
/// half-years' topics and stages are read together (two queries, not four:
/// this page is the one every secretariat opens; BENCHMARKS.md).
pub async fn for_ward_page(
    db: &Db,
    scope: &WardRead,
    today: NaiveDate,
) -> AppResult<(WardDashboard, Survey)> {
    let ward = wards::store::get(db, scope).await?;
    let ward_id = ward.id;
    let period = Period::containing(today);
    let previous = period.previous();
    let mut topics =
        meetings::store::ward_topics_by_period(db, ward_id, &[period, previous]).await?;
    let (now, then) =
        crate::trends::store::ward_topic_stages_now_and_at(db, ward_id, previous.end()).await?;
    let (mut due, mut owner_names) = due(db, Some(ward_id), today).await?;
    let postponed = postponed(db, ward_id, period).await?;
    let previous_topics = topics.pop().unwrap_or_default();
    let current_topics: HashSet<i64> = topics.pop().unwrap_or_default().into_iter().collect();
    let derived = survey::derived_from(&previous_topics, &then);
    let survey = survey::store::get_with_derived(db, &ward, previous, derived).await?;
    let mut board = assemble(
        ward,
        today,
        &current_topics,
        &now,
        due.remove(&ward_id).unwrap_or_default(),
        owner_names.remove(&ward_id).unwrap_or_default(),
        true,
    );
    board.postponed = postponed;
    Ok((board, survey))
}

/// The ward's [`Overview`] for `today`, from its stored parts while they
/// count (computed for today, at the current data version of the ward or
/// the municipality, in this build's format), each else computed and
/// stored. The versions are read before the figures, so a change committed
/// while they are computed leaves the stored part outdated, never wrong.
pub async fn overview(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<Overview> {
    let row = sqlx::query(
        "SELECT w.data_version AS ward_version, m.data_version AS city_version, \
         o.body AS ward_body, c.body AS city_body FROM wards w \
         JOIN municipalities m ON m.id = w.municipality_id \
         LEFT JOIN ward_overviews o ON o.ward_id = w.id AND o.as_of = $2 \
         AND o.data_version = w.data_version AND o.format = $3 \
         LEFT JOIN city_overviews c ON c.municipality_id = m.id AND c.as_of = $2 \
         AND c.data_version = m.data_version AND c.format = $3 \
         WHERE w.id = $1",
    )
    .bind(scope.ward_id())
    .bind(today.to_string())
    .bind(OVERVIEW_FORMAT)
    .fetch_one(&db.pool)
    .await?;
    let stored = |column: &str| -> Result<Option<String>, sqlx::Error> { row.try_get(column) };
    let ward = match stored("ward_body")?.and_then(|b| serde_json::from_str::<WardPart>(&b).ok()) {
        Some(part) => part,
        None => {
            let part = ward_part(db, scope, today).await?;
            let version: i64 = row.try_get("ward_version")?;
            save(db, Stored::Ward(scope.ward_id()), today, version, &part).await;
            part
        }
    };
    let city = match stored("city_body")?.and_then(|b| serde_json::from_str::<CityPart>(&b).ok()) {
        Some(part) => part,
        None => {
            let part = city_part(db, scope, today).await?;
            let version: i64 = row.try_get("city_version")?;
            save(
                db,
                Stored::City(scope.municipality_id()),
                today,
                version,
                &part,
            )
            .await;
            part
        }
    };
    let consultations = city
        .consultations
        .into_iter()
        .find(|c| c.ward_id == scope.ward_id())
        .ok_or(AppError::NotFound("区"))?;
    Ok(Overview {
        progress: crate::progress::Compact::new(
            scope.ward_id(),
            today,
            ward.progress.clone(),
            city.progress,
        ),
        participation_city: city.participation,
        trends_city: city.trends,
        consultations,
        own: ward,
    })
}

/// Makes every ward's overview parts current for `today`, computing those
/// that are not (after midnight, all of them), one ward after another, so
/// that the day's first views read them rather than compute them. Another
/// instance doing the same finds them current and reads them. Returns the
/// number of wards.
pub async fn prepare_all(db: &Db, today: NaiveDate) -> AppResult<usize> {
    let wards: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, municipality_id FROM wards ORDER BY municipality_id, id")
            .fetch_all(&db.pool)
            .await?;
    for (ward, municipality) in &wards {
        let scope = crate::access::operator().ward_read(*ward, *municipality);
        overview(db, &scope, today).await?;
    }
    Ok(wards.len())
}

/// Which stored part.
enum Stored {
    Ward(i64),
    City(i64),
}

/// Stores `part` unless a newer version is stored already (a slower
/// request computed from older data). Storing is a saving, not part of the
/// answer: a failure (a busy database) is logged and the next view
/// computes the part again.
async fn save(
    db: &Db,
    which: Stored,
    today: NaiveDate,
    version: i64,
    part: &impl serde::Serialize,
) {
    let (sql, id) = match which {
        Stored::Ward(id) => (
            "INSERT INTO ward_overviews (ward_id, as_of, data_version, format, body) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (ward_id) DO UPDATE SET as_of = excluded.as_of, \
             data_version = excluded.data_version, format = excluded.format, body = excluded.body \
             WHERE ward_overviews.data_version <= excluded.data_version",
            id,
        ),
        Stored::City(id) => (
            "INSERT INTO city_overviews (municipality_id, as_of, data_version, format, body) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (municipality_id) DO UPDATE SET as_of = excluded.as_of, \
             data_version = excluded.data_version, format = excluded.format, body = excluded.body \
             WHERE city_overviews.data_version <= excluded.data_version",
            id,
        ),
    };
    let written = match serde_json::to_string(part) {
        Ok(body) => sqlx::query(sql)
            .bind(id)
            .bind(today.to_string())
            .bind(version)
            .bind(OVERVIEW_FORMAT)
            .bind(body)
            .execute(&db.pool)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = written {
        tracing::warn!(%error, id, "dashboard overview part not stored");
    }
}

/// The ward part computed from the records, one section after another
/// (side by side, a page held up to five pooled connections and under
/// load requests queued for the pool; BENCHMARKS.md).
async fn ward_part(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<WardPart> {
    let period = Period::containing(today);
    let (board, survey) = for_ward_page(db, scope, today).await?;
    let participation = crate::participation::store::for_ward(db, scope, period, today).await?;
    let progress = crate::progress::store::ward_figures(db, scope.ward_id(), today).await?;
    let trends =
        crate::trends::store::compact_for_ward(db, scope, super::TREND_HALVES, today).await?;
    // A survey never saved reads as an empty draft.
    let survey_state = if survey.answers == survey::SurveyAnswers::default() {
        "未回答".to_string()
    } else {
        survey.status.as_str().to_string()
    };
    let due = |c: &Countermeasure| DueEvaluation {
        countermeasure_id: c.id,
        title: c.title.clone(),
        topic: c.topic,
        owner: c
            .owner_member_id
            .and_then(|o| board.owner_names.get(&o).cloned()),
        due_on: c.evaluation_due_on.unwrap_or(today),
    };
    Ok(WardPart {
        today,
        topics: board.topics.clone(),
        overdue: board.overdue.iter().map(due).collect(),
        upcoming: board.upcoming.iter().map(due).collect(),
        postponed: board.postponed.clone(),
        survey_state,
        participation,
        progress,
        trends,
        ward: board.ward,
    })
}

/// The city part computed from the records of the ward's municipality.
async fn city_part(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<CityPart> {
    let progress = crate::progress::store::city_figures(db, scope.municipality_id(), today).await?;
    let participation =
        crate::participation::store::city_totals(db, scope, Period::containing(today), today)
            .await?;
    let trends = crate::trends::store::city_stage_topics(
        db,
        scope.municipality_id(),
        super::TREND_HALVES,
        today,
    )
    .await?;
    let consultations = crate::consultations::store::compacts_for_city(
        db,
        scope,
        super::CONSULTATION_HALVES,
        today,
    )
    .await?;
    Ok(CityPart {
        today,
        progress,
        participation,
        trends,
        consultations,
    })
}
