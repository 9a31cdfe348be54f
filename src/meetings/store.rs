//! SQL for meetings, their topics and attendees. `store.rs` is SQL, row
//! mapping and the transaction of one use case; a store may call another
//! concept's `*_in(tx, …)` store functions so a use case writes in one
//! transaction; rules (what a value must be, what a change implies) are
//! pure functions in `mod.rs` that stores call.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Meeting, MeetingKind, MeetingPatch, NewMeeting, Problems, StageChange};
use crate::access::{MeetingRead, MeetingWrite, WardRead, WardWrite};
use crate::audit;
use crate::calendar;
use crate::db::{Bind, Db, Filter, Tx, bind_all, parse_date, timestamp};
use crate::error::{AppError, AppResult};
use crate::paging::{Page, Paging};

const COLUMNS: &str = "id, ward_id, held_on, title, kind, minutes";

fn from_row(row: &AnyRow) -> Result<Meeting, sqlx::Error> {
    let held_on: String = row.try_get("held_on")?;
    let kind: String = row.try_get("kind")?;
    Ok(Meeting {
        id: row.try_get("id")?,
        ward_id: row.try_get("ward_id")?,
        held_on: parse_date("held_on", &held_on)?,
        title: row.try_get("title")?,
        kind: MeetingKind::parse(&kind).unwrap_or(MeetingKind::Other),
        topics: Vec::new(),
        attendee_ids: Vec::new(),
        minutes: row.try_get("minutes")?,
    })
}

fn audit_view(m: &Meeting) -> serde_json::Value {
    json!({
        "held_on": m.held_on.to_string(),
        "title": m.title,
        "kind": m.kind.as_str(),
        "topics": m.topics,
        "attendee_ids": m.attendee_ids,
        "minutes": m.minutes,
    })
}

/// Filters for listing a ward's meetings.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeetingQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A ward's meetings, newest first, with topics and attendees (three queries per page).
pub async fn list(
    db: &Db,
    ward: &WardRead,
    query: MeetingQuery,
    paging: Paging,
) -> AppResult<Page<Meeting>> {
    let ward_id = ward.ward_id();
    let mut filter = Filter::default();
    filter.and("ward_id = ?", [Bind::Int(ward_id)]);
    if let Some(from) = query.from {
        filter.and("held_on >= ?", [Bind::Text(from.to_string())]);
    }
    if let Some(to) = query.to {
        filter.and("held_on <= ?", [Bind::Text(to.to_string())]);
    }
    let n = filter.next_placeholder();
    let page_sql = format!(
        "SELECT id FROM meetings{} ORDER BY held_on DESC, id DESC LIMIT ${n} OFFSET ${}",
        filter.where_sql(),
        n + 1
    );
    let mut binds = filter.binds().to_vec();
    binds.push(Bind::Int(paging.limit));
    binds.push(Bind::Int(paging.offset));

    let rows = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM meetings WHERE id IN ({page_sql}) ORDER BY held_on DESC, id DESC"
        ))),
        &binds,
    )
    .fetch_all(&db.pool)
    .await?;
    let mut items: Vec<Meeting> = rows.iter().map(from_row).collect::<Result<_, _>>()?;

    let mut topics: HashMap<i64, Vec<i64>> = HashMap::new();
    let topic_rows = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT meeting_id, topic FROM meeting_topics WHERE meeting_id IN ({page_sql}) ORDER BY topic"
        ))),
        &binds,
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &topic_rows {
        topics
            .entry(r.try_get("meeting_id")?)
            .or_default()
            .push(r.try_get("topic")?);
    }
    let mut attendees: HashMap<i64, Vec<i64>> = HashMap::new();
    let attendee_rows = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT meeting_id, member_id FROM meeting_attendees WHERE meeting_id IN ({page_sql}) ORDER BY member_id"
        ))),
        &binds,
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &attendee_rows {
        attendees
            .entry(r.try_get("meeting_id")?)
            .or_default()
            .push(r.try_get("member_id")?);
    }
    for m in &mut items {
        m.topics = topics.remove(&m.id).unwrap_or_default();
        m.attendee_ids = attendees.remove(&m.id).unwrap_or_default();
    }

    let total: i64 = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM meetings{}",
            filter.where_sql()
        ))),
        filter.binds(),
    )
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

async fn load(executor: &mut sqlx::AnyConnection, id: i64) -> AppResult<Meeting> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM meetings WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *executor)
    .await?
    .ok_or(AppError::NotFound("会議"))?;
    let mut m = from_row(&row)?;
    m.topics =
        sqlx::query_scalar("SELECT topic FROM meeting_topics WHERE meeting_id = $1 ORDER BY topic")
            .bind(id)
            .fetch_all(&mut *executor)
            .await?;
    m.attendee_ids = sqlx::query_scalar(
        "SELECT member_id FROM meeting_attendees WHERE meeting_id = $1 ORDER BY member_id",
    )
    .bind(id)
    .fetch_all(&mut *executor)
    .await?;
    Ok(m)
}

/// The meeting `meeting` names, with its topics and attendees.
pub async fn get(db: &Db, meeting: &MeetingRead) -> AppResult<Meeting> {
    let mut conn = db.pool.acquire().await?;
    load(&mut conn, meeting.id()).await
}

/// Writes a meeting's topics and attendees afresh. Each attendance row
/// carries the organisation kind of its member *at the meeting* (多職種の
/// 参画状況 counts by it): an attendee already recorded keeps the kind it was
/// recorded with, a new one takes the member's current kind.
async fn write_lists(tx: &mut Tx, m: &Meeting) -> AppResult<()> {
    sqlx::query("DELETE FROM meeting_topics WHERE meeting_id = $1")
        .bind(m.id)
        .execute(&mut **tx)
        .await?;
    let recorded: HashMap<i64, String> = sqlx::query(
        "SELECT member_id, organization_kind FROM meeting_attendees WHERE meeting_id = $1",
    )
    .bind(m.id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("member_id")?, r.try_get("organization_kind")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    sqlx::query("DELETE FROM meeting_attendees WHERE meeting_id = $1")
        .bind(m.id)
        .execute(&mut **tx)
        .await?;
    for t in &m.topics {
        sqlx::query("INSERT INTO meeting_topics (meeting_id, topic) VALUES ($1, $2)")
            .bind(m.id)
            .bind(*t)
            .execute(&mut **tx)
            .await?;
    }
    for a in &m.attendee_ids {
        match recorded.get(a) {
            Some(kind) => {
                sqlx::query(
                    "INSERT INTO meeting_attendees (meeting_id, member_id, organization_kind) \
                     VALUES ($1, $2, $3)",
                )
                .bind(m.id)
                .bind(*a)
                .bind(kind.as_str())
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO meeting_attendees (meeting_id, member_id, organization_kind) \
                     SELECT $1, id, organization_kind FROM members WHERE id = $2",
                )
                .bind(m.id)
                .bind(*a)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// Records a meeting that decided no steps.
pub async fn create(
    db: &Db,
    ward: &WardWrite,
    new: &NewMeeting,
    now: DateTime<Utc>,
) -> AppResult<Meeting> {
    create_deciding(db, ward, new, &[], now).await
}

/// Records a meeting with the ladder steps it decided for its ward's
/// countermeasures, in one transaction: the meeting, its lists, each step
/// with its history row (naming the meeting) and every audit row — or
/// nothing. Every problem is reported at once; a step's fields are named
/// `cm-{id}-{field}` ([`super::change_field`]).
pub async fn create_deciding(
    db: &Db,
    ward: &WardWrite,
    new: &NewMeeting,
    changes: &[StageChange],
    now: DateTime<Utc>,
) -> AppResult<Meeting> {
    let ward_id = ward.ward_id();
    let mut problems = Problems::default();
    let checked = match new.to_meeting(ward_id) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.add(e)?;
            None
        }
    };
    let mut tx = db.begin_write().await?;
    if let Some(m) = &checked
        && let Err(e) =
            crate::members::store::ensure_in_ward(&mut tx, ward_id, &m.attendee_ids, "attendee_ids")
                .await
    {
        problems.add(e)?;
    }
    check_changes(&mut tx, ward_id, new.held_on, changes, now, &mut problems).await?;
    let Some(mut meeting) = checked.filter(|_| problems.is_empty()) else {
        return Err(problems.into_error());
    };
    meeting.id = sqlx::query_scalar(
        "INSERT INTO meetings (ward_id, held_on, title, kind, minutes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(ward_id)
    .bind(meeting.held_on.to_string())
    .bind(meeting.title.as_str())
    .bind(meeting.kind.as_str())
    .bind(meeting.minutes.as_str())
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await?;
    write_lists(&mut tx, &meeting).await?;
    let entry = audit::Entry {
        ward_id: Some(ward_id),
        municipality_id: None,
        entity: "meeting",
        entity_id: meeting.id,
        action: "create",
        actor: None,
        changes: audit_view(&meeting),
    };
    audit::store::record(&mut tx, entry, now).await?;
    write_changes(&mut tx, &meeting, changes, now).await?;
    tx.commit().await?;
    Ok(meeting)
}

/// Edits a meeting, deciding no steps.
pub async fn update(
    db: &Db,
    meeting: &MeetingWrite,
    patch: &MeetingPatch,
    now: DateTime<Utc>,
) -> AppResult<Meeting> {
    update_deciding(db, meeting, patch, &[], now).await
}

/// Edits a meeting and records the ladder steps it decided, as
/// [`create_deciding`] does.
pub async fn update_deciding(
    db: &Db,
    meeting: &MeetingWrite,
    patch: &MeetingPatch,
    changes: &[StageChange],
    now: DateTime<Utc>,
) -> AppResult<Meeting> {
    let id = meeting.id();
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    let mut problems = Problems::default();
    let checked = match before.patched(patch) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.add(e)?;
            None
        }
    };
    if let Some(m) = &checked
        && let Err(e) = crate::members::store::ensure_in_ward(
            &mut tx,
            m.ward_id,
            &m.attendee_ids,
            "attendee_ids",
        )
        .await
    {
        problems.add(e)?;
    }
    let held_on = patch.held_on.unwrap_or(before.held_on);
    check_changes(
        &mut tx,
        before.ward_id,
        held_on,
        changes,
        now,
        &mut problems,
    )
    .await?;
    let Some(after) = checked.filter(|_| problems.is_empty()) else {
        return Err(problems.into_error());
    };
    sqlx::query("UPDATE meetings SET held_on = $1, title = $2, kind = $3, minutes = $4, updated_at = $5 WHERE id = $6")
        .bind(after.held_on.to_string())
        .bind(after.title.as_str())
        .bind(after.kind.as_str())
        .bind(after.minutes.as_str())
        .bind(timestamp(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    write_lists(&mut tx, &after).await?;
    let entry = audit::Entry {
        ward_id: Some(after.ward_id),
        municipality_id: None,
        entity: "meeting",
        entity_id: id,
        action: "update",
        actor: None,
        changes: audit::diff(&audit_view(&before), &audit_view(&after)),
    };
    audit::store::record(&mut tx, entry, now).await?;
    write_changes(&mut tx, &after, changes, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Checks each stage change against the ladder (writing nothing), keeping
/// the problems under the countermeasure's field names.
async fn check_changes(
    tx: &mut Tx,
    ward_id: i64,
    held_on: NaiveDate,
    changes: &[StageChange],
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> AppResult<()> {
    let today = calendar::today(now);
    for (i, c) in changes.iter().enumerate() {
        let id = c.countermeasure_id;
        if let Err(e) = super::check_not_repeated(changes, i) {
            problems.add_change(id, e)?;
            continue;
        }
        let checked = crate::countermeasures::store::check_transition_in(
            tx,
            ward_id,
            id,
            &c.request(held_on),
            today,
        )
        .await;
        if let Err(e) = checked.and_then(|step| super::check_meeting_step(&step)) {
            problems.add_change(id, e)?;
        }
    }
    Ok(())
}

/// Writes the checked stage changes, each with its history row naming the meeting.
async fn write_changes(
    tx: &mut Tx,
    meeting: &Meeting,
    changes: &[StageChange],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for c in changes {
        crate::countermeasures::store::transition_in(
            tx,
            c.countermeasure_id,
            &c.request(meeting.held_on),
            Some(meeting.id),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Deletes a meeting; refused while countermeasures name it as the meeting
/// that decided them, so no countermeasure loses its origin silently.
pub async fn delete(db: &Db, meeting: &MeetingWrite, now: DateTime<Utc>) -> AppResult<()> {
    let id = meeting.id();
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    let decided: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM countermeasures WHERE meeting_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let steps: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM countermeasure_events WHERE meeting_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    super::check_deletable(decided, steps)?;
    sqlx::query("DELETE FROM meetings WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entry = audit::Entry {
        ward_id: Some(before.ward_id),
        municipality_id: None,
        entity: "meeting",
        entity_id: id,
        action: "delete",
        actor: None,
        changes: audit_view(&before),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Topics covered by meetings between two dates (inclusive), as
/// `(ward_id, topic)` pairs, for the dashboard and the survey; `ward_id`
/// None means every ward.
pub async fn covered_topics(
    db: &Db,
    ward_id: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(i64, i64)>> {
    let mut filter = Filter::default();
    filter.and("m.held_on >= ?", [Bind::Text(from.to_string())]);
    filter.and("m.held_on <= ?", [Bind::Text(to.to_string())]);
    if let Some(w) = ward_id {
        filter.and("m.ward_id = ?", [Bind::Int(w)]);
    }
    let sql = format!(
        "SELECT DISTINCT m.ward_id, t.topic FROM meetings m JOIN meeting_topics t ON t.meeting_id = m.id{}",
        filter.where_sql()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("ward_id")?, r.try_get("topic")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The topics one ward's meetings covered in each of `periods` (a set per
/// period, in order), in one query: the dashboard shows the running
/// half-year and charts the one before.
pub async fn ward_topics_by_period(
    db: &Db,
    ward_id: i64,
    periods: &[calendar::Period],
) -> AppResult<Vec<std::collections::BTreeSet<i64>>> {
    let mut sets = vec![std::collections::BTreeSet::new(); periods.len()];
    let (Some(from), Some(to)) = (
        periods.iter().map(|p| p.start()).min(),
        periods.iter().map(|p| p.end()).max(),
    ) else {
        return Ok(sets);
    };
    let rows = sqlx::query(
        "SELECT DISTINCT t.topic, m.held_on FROM meetings m JOIN meeting_topics t ON t.meeting_id = m.id \
         WHERE m.ward_id = $1 AND m.held_on >= $2 AND m.held_on <= $3",
    )
    .bind(ward_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        let held_on = parse_date("held_on", &r.try_get::<String, _>("held_on")?)?;
        let topic: i64 = r.try_get("topic")?;
        for (set, period) in sets.iter_mut().zip(periods) {
            if period.start() <= held_on && held_on <= period.end() {
                set.insert(topic);
            }
        }
    }
    Ok(sets)
}

/// Records an already validated meeting (from [`NewMeeting::to_meeting`])
/// in the caller's transaction, with its audit row: the CSV import writes
/// a whole file this way and commits once.
pub async fn create_in(
    tx: &mut Tx,
    mut meeting: Meeting,
    now: DateTime<Utc>,
) -> AppResult<Meeting> {
    crate::members::store::ensure_in_ward(
        tx,
        meeting.ward_id,
        &meeting.attendee_ids,
        "attendee_ids",
    )
    .await?;
    meeting.id = sqlx::query_scalar(
        "INSERT INTO meetings (ward_id, held_on, title, kind, minutes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(meeting.ward_id)
    .bind(meeting.held_on.to_string())
    .bind(meeting.title.as_str())
    .bind(meeting.kind.as_str())
    .bind(meeting.minutes.as_str())
    .bind(timestamp(now))
    .fetch_one(&mut **tx)
    .await?;
    write_lists(tx, &meeting).await?;
    let entry = audit::Entry {
        ward_id: Some(meeting.ward_id),
        municipality_id: None,
        entity: "meeting",
        entity_id: meeting.id,
        action: "import",
        actor: None,
        changes: audit_view(&meeting),
    };
    audit::store::record(tx, entry, now).await?;
    Ok(meeting)
}

/// The names of a meeting's attendees by member id: what the meeting page
/// prints, without the ward's whole roster.
pub async fn attendee_names(
    db: &Db,
    meeting: &MeetingRead,
) -> AppResult<std::collections::BTreeMap<i64, String>> {
    let rows = sqlx::query(
        "SELECT m.id, m.name FROM meeting_attendees a JOIN members m ON m.id = a.member_id \
         WHERE a.meeting_id = $1",
    )
    .bind(meeting.id())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
