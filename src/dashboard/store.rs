//! Loads dashboards for one ward or many, with a fixed number of queries
//! whatever the number of wards.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use sqlx::Row;

use super::{POSTPONED_LIMIT, Postponement, UPCOMING_DAYS, WardDashboard, topic_statuses};
use crate::access::WardRead;
use crate::calendar::Period;
use crate::countermeasures::{self, Countermeasure, EventKind, Stage};
use crate::db::{Db, parse_date, timestamp};
use crate::error::AppResult;
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
                changed_instant: DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| sqlx::Error::ColumnDecode {
                        index: "recorded_at".into(),
                        source: e.into(),
                    })?
                    .with_timezone(&Utc),
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
    for (ward, topic, stage) in countermeasures::store::stages_by_topic(db, single).await? {
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
        countermeasures::store::ward_stages_now_and_at(db, ward_id, previous.end()).await?;
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
