//! SQL for reminders: the candidates, the outbox and its history, job runs,
//! per-municipality settings. Every outbox state change writes its
//! `outbox_events` row in the same transaction. As every `store.rs`: SQL,
//! row mapping and the transaction of one use case; the schedule's rules
//! (who is owed what, when) are pure functions in `mod.rs`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Candidate, Digest, History, Ledger, Overrides, RecipientKind, ScheduleKey, Track};
use crate::audit;
use crate::countermeasures::AWAITING_EVALUATION_SQL_C;
use crate::db::{Bind, Db, Filter, Tx, bind_all, parse_date, timestamp, values_list};
use crate::error::{AppError, AppResult};
use crate::paging::{Page, Paging};

/// Every 具体化, not archived countermeasure due on or before `until`: the
/// rules decide which of them are due for a reminder today.
pub async fn candidates(db: &Db, until: NaiveDate) -> AppResult<Vec<Candidate>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.ward_id, w.name AS ward_name, w.municipality_id, c.topic, c.title, \
                c.evaluation_due_on, c.owner_member_id, m.name AS owner_name, \
                CASE WHEN m.active = 1 THEN m.email END AS owner_email, w.secretariat_email, \
                COALESCE((SELECT MAX(e.id) FROM countermeasure_events e \
                          WHERE e.countermeasure_id = c.id AND e.plan_changed = 1), 0) AS plan_event_id \
         FROM countermeasures c \
         JOIN wards w ON w.id = c.ward_id \
         LEFT JOIN members m ON m.id = c.owner_member_id \
         WHERE {AWAITING_EVALUATION_SQL_C} AND c.evaluation_due_on <= $1 \
         ORDER BY c.evaluation_due_on, c.id"
    )))
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    let non_empty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    rows.iter()
        .map(|row| {
            let due: String = row.try_get("evaluation_due_on")?;
            Ok(Candidate {
                id: row.try_get("id")?,
                ward_id: row.try_get("ward_id")?,
                ward_name: row.try_get("ward_name")?,
                municipality_id: row.try_get("municipality_id")?,
                topic: row.try_get("topic")?,
                title: row.try_get("title")?,
                due_on: parse_date("evaluation_due_on", &due)?,
                owner_member_id: row.try_get("owner_member_id")?,
                owner_name: row.try_get("owner_name")?,
                owner_email: non_empty(row.try_get("owner_email")?),
                secretariat_email: non_empty(row.try_get("secretariat_email")?),
                plan_event_id: row.try_get("plan_event_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// What the outbox says about the items [`candidates`] returns for `until`:
/// each schedule's messages (not counting items dropped before an
/// attempt), the items waiting in a message still to send, and the
/// refused addresses. Two statements over the items' index and one over
/// the pending messages.
pub async fn ledger(db: &Db, until: NaiveDate) -> AppResult<Ledger> {
    let mut ledger = Ledger::default();
    // Only rows of the current due date: a postponed item's earlier
    // schedules are not read (most of its history).
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.countermeasure_id, i.track, o.recipient_kind, i.due_on, i.owner_member_id, \
                i.plan_event_id, COUNT(*) AS reminders, \
                MAX(CASE WHEN o.state = 'sent' AND i.days_overdue <= 0 THEN 1 ELSE 0 END) AS noticed, \
                MAX(CASE WHEN o.state = 'sent' AND i.days_overdue > 0 THEN o.reminder_date END) AS last_overdue \
         FROM countermeasures c \
         JOIN outbox_items i ON i.countermeasure_id = c.id AND i.due_on = c.evaluation_due_on \
         JOIN outbox o ON o.id = i.outbox_id \
         WHERE {AWAITING_EVALUATION_SQL_C} AND c.evaluation_due_on <= $1 AND i.dropped IS NULL \
         GROUP BY i.countermeasure_id, i.track, o.recipient_kind, i.due_on, i.owner_member_id, i.plan_event_id"
    )))
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    for row in &rows {
        let track: String = row.try_get("track")?;
        let kind: String = row.try_get("recipient_kind")?;
        let (Some(track), Some(recipient_kind)) =
            (Track::from_code(&track), RecipientKind::from_code(&kind))
        else {
            continue;
        };
        let due: String = row.try_get("due_on")?;
        let last: Option<String> = row.try_get("last_overdue")?;
        let noticed: i64 = row.try_get("noticed")?;
        ledger.schedules.insert(
            ScheduleKey {
                countermeasure_id: row.try_get("countermeasure_id")?,
                track,
                recipient_kind,
                due_on: parse_date("due_on", &due)?,
                owner_member_id: row.try_get("owner_member_id")?,
                plan_event_id: row.try_get("plan_event_id")?,
            },
            History {
                reminders: row.try_get("reminders")?,
                noticed: noticed != 0,
                last_overdue: last.map(|d| parse_date("reminder_date", &d)).transpose()?,
            },
        );
    }
    let waiting = sqlx::query(
        "SELECT DISTINCT i.countermeasure_id, i.track FROM outbox o \
         JOIN outbox_items i ON i.outbox_id = o.id \
         WHERE o.state IN ('queued', 'retrying', 'sending') AND i.dropped IS NULL",
    )
    .fetch_all(&db.pool)
    .await?;
    for row in &waiting {
        let track: String = row.try_get("track")?;
        if let Some(track) = Track::from_code(&track) {
            ledger
                .waiting
                .insert((row.try_get("countermeasure_id")?, track));
        }
    }
    ledger.refused = sqlx::query_scalar("SELECT address FROM refused_addresses")
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .collect();
    Ok(ledger)
}

// ---------------------------------------------------------------------------
// Settings

fn overrides_from_row(row: &AnyRow) -> Result<Overrides, sqlx::Error> {
    Ok(Overrides {
        days_before_due: row.try_get("days_before_due")?,
        repeat_interval_days: row.try_get("repeat_interval_days")?,
        escalation_after_days: row.try_get("escalation_after_days")?,
        absence_window: row.try_get("absence_window")?,
    })
}

/// Every municipality's overrides.
pub async fn all_overrides(db: &Db) -> AppResult<HashMap<i64, Overrides>> {
    let rows = sqlx::query(
        "SELECT municipality_id, days_before_due, repeat_interval_days, escalation_after_days, \
         absence_window FROM reminder_settings",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        out.insert(row.try_get("municipality_id")?, overrides_from_row(row)?);
    }
    Ok(out)
}

/// The municipality's overrides of the job's parameters (none: all `None`).
pub async fn overrides(db: &Db, city: &crate::access::CityRead) -> AppResult<Overrides> {
    let municipality_id = city.municipality_id();
    let row = sqlx::query(
        "SELECT days_before_due, repeat_interval_days, escalation_after_days, absence_window \
         FROM reminder_settings WHERE municipality_id = $1",
    )
    .bind(municipality_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row
        .map(|r| overrides_from_row(&r))
        .transpose()?
        .unwrap_or_default())
}

/// Checks a municipality's overrides against the job's other parameters
/// (`base`, from the loaded job file) and stores them. Errors: 404 for an
/// unknown municipality, 422 naming the field whose value does not fit.
pub async fn save_overrides(
    db: &Db,
    base: super::Params,
    city: &crate::access::CityOf,
    overrides: &Overrides,
    now: DateTime<Utc>,
) -> AppResult<()> {
    crate::municipalities::store::get(db, &city.read()).await?;
    // Every field's message at once: the job's parameters and the
    // participation window.
    let mut errors = match overrides.apply(base).validate() {
        Ok(()) => Vec::new(),
        Err(AppError::Invalid(errors)) => errors,
        Err(other) => return Err(other),
    };
    errors.extend(overrides.check_own());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    set_overrides(db, city, overrides, now).await
}

/// The participation window ([`Overrides::absence_window`]: a kind absent
/// from a ward's last N meetings is flagged) of each municipality whose
/// wards `visible` shows, by municipality id; a municipality that set none
/// is absent from the map (its window is [`super::ABSENCE_WINDOW_DEFAULT`]).
pub async fn absence_windows(
    db: &Db,
    visible: crate::access::Visible,
) -> AppResult<HashMap<i64, i64>> {
    let rows = match visible.municipality_id() {
        Some(m) => {
            sqlx::query(
                "SELECT municipality_id, absence_window FROM reminder_settings \
                 WHERE municipality_id = $1 AND absence_window IS NOT NULL",
            )
            .bind(m)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT municipality_id, absence_window FROM reminder_settings \
                 WHERE absence_window IS NOT NULL",
            )
            .fetch_all(&db.pool)
            .await?
        }
    };
    rows.iter()
        .map(|r| Ok((r.try_get("municipality_id")?, r.try_get("absence_window")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Replaces a municipality's overrides (the caller validated the resulting parameters).
pub async fn set_overrides(
    db: &Db,
    city: &crate::access::CityOf,
    new: &Overrides,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let municipality_id = city.municipality_id();
    let before = overrides(db, &city.read()).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO reminder_settings (municipality_id, days_before_due, repeat_interval_days, \
             escalation_after_days, absence_window, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (municipality_id) DO UPDATE SET days_before_due = excluded.days_before_due, \
             repeat_interval_days = excluded.repeat_interval_days, \
             escalation_after_days = excluded.escalation_after_days, \
             absence_window = excluded.absence_window, updated_at = excluded.updated_at",
    )
    .bind(municipality_id)
    .bind(new.days_before_due)
    .bind(new.repeat_interval_days)
    .bind(new.escalation_after_days)
    .bind(new.absence_window)
    .bind(timestamp(now))
    .execute(&mut *tx)
    .await?;
    let entry = audit::Entry {
        ward_id: None,
        municipality_id: Some(municipality_id),
        entity: "reminder_settings",
        entity_id: municipality_id,
        action: "update",
        actor: None,
        changes: audit::diff(&json!(before), &json!(new)),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Queueing

/// A digest rendered and ready to queue.
pub struct NewMessage<'a> {
    pub digest: &'a Digest,
    pub idempotency_key: String,
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub max_attempts: i64,
}

/// Writes all of a run's messages in one transaction; a message whose key
/// is already in the outbox is skipped. Returns how many were new.
///
/// The unique idempotency key, not a lock, is what makes this safe when
/// several instances run the job at the same time: `ON CONFLICT DO NOTHING`
/// waits for a concurrent transaction inserting the same key and then skips
/// it (or inserts it if that one rolled back), so each digest is queued once.
/// Every run inserts in the same order (by recipient), so two runs wait on
/// each other's keys in one direction and cannot deadlock.
pub async fn queue(
    db: &Db,
    job: &str,
    reminder_date: NaiveDate,
    messages: &[NewMessage<'_>],
    now: DateTime<Utc>,
) -> AppResult<usize> {
    // Multi-row statements: a national run queues ~100,000 messages, and two
    // statements each (message, history row) were 200,000 round trips.
    const COLUMNS: usize = 16;
    let rows = (db.dialect.binds_per_statement() / COLUMNS).max(1);
    let ts = timestamp(now);
    let reminder_date = reminder_date.to_string();
    let mut tx = db.begin_row_locked().await?;
    let mut queued = 0;
    for chunk in messages.chunks(rows) {
        let sql = format!(
            "INSERT INTO outbox (idempotency_key, message_id, job, recipient_kind, member_id, \
                 ward_id, recipient, subject, body_text, body_html, state, attempts, \
                 max_attempts, next_attempt_at, reminder_date, created_at) \
             VALUES {} ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
            values_list(chunk.len(), COLUMNS)
        );
        let mut insert = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for m in chunk {
            insert = insert
                .bind(m.idempotency_key.as_str())
                .bind(m.message_id.as_str())
                .bind(job)
                .bind(m.digest.kind.code())
                .bind(m.digest.member_id)
                .bind(m.digest.ward_id)
                .bind(m.digest.recipient.as_str())
                .bind(m.subject.as_str())
                .bind(m.text.as_str())
                .bind(m.html.as_str())
                .bind("queued")
                .bind(0_i64)
                .bind(m.max_attempts)
                .bind(ts.as_str())
                .bind(reminder_date.as_str())
                .bind(ts.as_str());
        }
        // Only the new ones come back: a key already queued is skipped.
        let new = insert.fetch_all(&mut *tx).await?;
        if new.is_empty() {
            continue;
        }
        let by_key: HashMap<&str, &Digest> = chunk
            .iter()
            .map(|m| (m.idempotency_key.as_str(), m.digest))
            .collect();
        let carried: Vec<(i64, &Digest)> = new
            .iter()
            .filter_map(|(id, key)| by_key.get(key.as_str()).map(|d| (*id, *d)))
            .collect();
        insert_items(&mut tx, db, &carried).await?;
        let ids: Vec<i64> = new.iter().map(|(id, _)| *id).collect();
        events(&mut tx, &ids, "queued", 0, None, now).await?;
        queued += ids.len();
    }
    tx.commit().await?;
    Ok(queued)
}

/// The `outbox_items` rows of new messages: each item with the schedule it
/// was reminded under.
async fn insert_items(tx: &mut Tx, db: &Db, messages: &[(i64, &Digest)]) -> AppResult<()> {
    const COLUMNS: usize = 10;
    let rows: Vec<(i64, usize, &super::Item)> = messages
        .iter()
        .flat_map(|(id, d)| d.items.iter().enumerate().map(move |(n, i)| (*id, n, i)))
        .collect();
    let per_statement = (db.dialect.binds_per_statement() / COLUMNS).max(1);
    for chunk in rows.chunks(per_statement) {
        let sql = format!(
            "INSERT INTO outbox_items (outbox_id, position, countermeasure_id, track, title, \
                 ward_name, due_on, owner_member_id, plan_event_id, days_overdue) VALUES {}",
            values_list(chunk.len(), COLUMNS)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (outbox_id, position, item) in chunk {
            insert = insert
                .bind(*outbox_id)
                .bind(i64::try_from(*position).unwrap_or(i64::MAX))
                .bind(item.id)
                .bind(item.track.code())
                .bind(item.title.as_str())
                .bind(item.ward_name.as_str())
                .bind(item.due_on.to_string())
                .bind(item.owner_member_id)
                .bind(item.plan_event_id)
                .bind(item.days_overdue);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Which of `keys` were ever queued (for the run report and dry runs): one
/// query per thousand keys (SQLite: 256), not one per key — a national run computes about
/// 100,000 digests, and a round trip each cost PostgreSQL 20 s.
pub async fn existing_keys(db: &Db, keys: &[&str]) -> AppResult<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    for chunk in keys.chunks(db.dialect.binds_per_statement().min(1000)) {
        let placeholders = crate::db::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT idempotency_key FROM outbox WHERE idempotency_key IN ({})",
            placeholders
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for key in chunk {
            query = query.bind(*key);
        }
        found.extend(query.fetch_all(&db.pool).await?);
    }
    Ok(found)
}

async fn event(
    tx: &mut Tx,
    outbox_id: i64,
    state: &str,
    attempt: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    events(tx, &[outbox_id], state, attempt, error, now).await
}

/// The same history row for each of `outbox_ids`, in one statement.
async fn events(
    tx: &mut Tx,
    outbox_ids: &[i64],
    state: &str,
    attempt: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let sql = format!(
        "INSERT INTO outbox_events (outbox_id, state, attempt, error, recorded_at) VALUES {}",
        values_list(outbox_ids.len(), 5)
    );
    let recorded_at = timestamp(now);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in outbox_ids {
        query = query
            .bind(*id)
            .bind(state)
            .bind(attempt)
            .bind(error)
            .bind(recorded_at.as_str());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Sending

/// A message the sender has claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub max_attempts: i64,
    /// `owner` or `secretariat`: whose items the message lists.
    pub recipient_kind: String,
    /// The owner the message was queued for (owner digests).
    pub member_id: Option<i64>,
    pub ward_id: Option<i64>,
    /// The items it carries (not dropped), re-checked before each attempt.
    pub items: Vec<super::QueuedItem>,
}

/// Takes the oldest message due at `now` and leases it until `lease_until`:
/// a sender that dies mid-send leaves it `sending`, and it is due again
/// when the lease runs out.
///
/// One statement picks and updates the row. On PostgreSQL the pick skips rows
/// another transaction holds ([`crate::db::Dialect::skip_locked`]) and the
/// transaction takes no global lock, so senders of several instances claim
/// different messages at the same time; a row another sender has just
/// claimed is re-checked after its commit and, leased now, passed over.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> AppResult<Option<Claimed>> {
    let mut tx = db.begin_row_locked().await?;
    let sql = format!(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
         WHERE id = (SELECT id FROM outbox \
             WHERE state IN ('queued', 'retrying', 'sending') AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at, id LIMIT 1{}) \
         RETURNING id, message_id, recipient, subject, body_text, body_html, attempts, max_attempts, \
             recipient_kind, member_id, ward_id",
        db.dialect.skip_locked()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(timestamp(lease_until))
        .bind(timestamp(now))
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let claimed = Claimed {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        text: row.try_get("body_text")?,
        html: row.try_get("body_html")?,
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        recipient_kind: row.try_get("recipient_kind")?,
        member_id: row.try_get("member_id")?,
        ward_id: row.try_get("ward_id")?,
        items: Vec::new(),
    };
    let claimed = Claimed {
        items: carried_items(&mut tx, claimed.id).await?,
        ..claimed
    };
    event(&mut tx, claimed.id, "sending", claimed.attempt, None, now).await?;
    tx.commit().await?;
    Ok(Some(claimed))
}

/// The items a message carries, in its order (dropped ones left out).
async fn carried_items(tx: &mut Tx, outbox_id: i64) -> AppResult<Vec<super::QueuedItem>> {
    let rows = sqlx::query(
        "SELECT countermeasure_id, track, title, due_on, days_overdue, owner_member_id \
         FROM outbox_items WHERE outbox_id = $1 AND dropped IS NULL ORDER BY position",
    )
    .bind(outbox_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let track: String = row.try_get("track")?;
        let due: String = row.try_get("due_on")?;
        let Some(track) = Track::from_code(&track) else {
            continue;
        };
        items.push(super::QueuedItem {
            id: row.try_get("countermeasure_id")?,
            track,
            title: row.try_get("title")?,
            due_on: parse_date("due_on", &due)?,
            days_overdue: row.try_get("days_overdue")?,
            owner_member_id: row.try_get("owner_member_id")?,
        });
    }
    Ok(items)
}

/// Of `items` carried by message `outbox_id`, those a newer message to the
/// same recipient carries too that was sent or is still to send: a resent
/// old message must not repeat what the next run reminded of already. A
/// newer message to someone else does not count: an owner whose address
/// was refused had its items go to the secretariat (宛先のない対応策), and a
/// resend of the refused message is still the owner's only reminder.
pub async fn carried_later(
    db: &Db,
    outbox_id: i64,
    items: &[super::QueuedItem],
) -> AppResult<std::collections::HashSet<(i64, Track)>> {
    let mut out = std::collections::HashSet::new();
    if items.is_empty() {
        return Ok(out);
    }
    let rows = sqlx::query(
        "SELECT DISTINCT i.countermeasure_id, i.track FROM outbox_items i \
         JOIN outbox_items mine ON mine.countermeasure_id = i.countermeasure_id AND mine.track = i.track \
         JOIN outbox o ON o.id = i.outbox_id \
         JOIN outbox me ON me.id = mine.outbox_id \
         WHERE mine.outbox_id = $1 AND i.outbox_id > $1 AND i.dropped IS NULL \
           AND o.state IN ('queued', 'retrying', 'sending', 'sent') \
           AND o.recipient_kind = me.recipient_kind \
           AND LOWER(TRIM(o.recipient)) = LOWER(TRIM(me.recipient))",
    )
    .bind(outbox_id)
    .fetch_all(&db.pool)
    .await?;
    for row in &rows {
        let track: String = row.try_get("track")?;
        if let Some(track) = Track::from_code(&track) {
            out.insert((row.try_get("countermeasure_id")?, track));
        }
    }
    Ok(out)
}

/// What became of one attempt.
pub enum Outcome<'a> {
    Sent,
    Retry {
        error: &'a str,
        at: DateTime<Utc>,
    },
    /// The retries on temporary failures ran out: its items are owed
    /// again at the next run.
    Failed {
        error: &'a str,
    },
    /// Refused for good (5xx, unusable address): the address is not
    /// mailed again until it changes or a resend gets through.
    Refused {
        error: &'a str,
    },
    /// None of its items is owed any more: not sent, `error` says why.
    Cancelled {
        error: &'a str,
        dropped: &'a [(super::QueuedItem, String)],
    },
}

/// Records an attempt's outcome, if the attempt still holds the message:
/// when its lease ran out and another sender claimed the message again, the
/// newer attempt records its own outcome and this one changes nothing.
/// Returns whether it was recorded.
pub async fn finish(
    db: &Db,
    claimed: &Claimed,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut tx = db.begin_row_locked().await?;
    let (state, error, next) = match &outcome {
        Outcome::Sent => ("sent", None, now),
        Outcome::Retry { error, at } => ("retrying", Some(*error), *at),
        Outcome::Failed { error } => ("failed", Some(*error), now),
        Outcome::Refused { error } => ("refused", Some(*error), now),
        Outcome::Cancelled { error, .. } => ("cancelled", Some(*error), now),
    };
    let updated = sqlx::query(
        "UPDATE outbox SET state = $1, last_error = COALESCE($2, last_error), next_attempt_at = $3, \
             sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END \
         WHERE id = $5 AND state = 'sending' AND attempts = $6",
    )
    .bind(state)
    .bind(error.map(str::to_string))
    .bind(timestamp(next))
    .bind(timestamp(now))
    .bind(claimed.id)
    .bind(claimed.attempt)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    let address = claimed.recipient.trim().to_lowercase();
    match outcome {
        Outcome::Refused { .. } => {
            sqlx::query(
                "INSERT INTO refused_addresses (address, outbox_id, refused_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (address) DO UPDATE SET outbox_id = excluded.outbox_id, \
                     refused_at = excluded.refused_at",
            )
            .bind(address.as_str())
            .bind(claimed.id)
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
        }
        Outcome::Sent => {
            // A resend got through: the address works after all.
            sqlx::query("DELETE FROM refused_addresses WHERE address = $1")
                .bind(address.as_str())
                .execute(&mut *tx)
                .await?;
        }
        Outcome::Cancelled { dropped, .. } => drop_items(&mut tx, claimed.id, dropped).await?,
        _ => {}
    }
    event(&mut tx, claimed.id, state, claimed.attempt, error, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Puts a failed or refused message back in the queue, due at `now`, its
/// attempts counted afresh, with its history row (「再送（依頼: account:7）」:
/// who asked, by account id only) and its audit row in the same
/// transaction. The sender re-checks its items before the attempt as for
/// any message: those a newer message to the same recipient carried drop
/// out, and a message left with none is cancelled. A refused address stays
/// in `refused_addresses` (the planner keeps skipping it) until the resend
/// gets through ([`finish`] deletes it on `Sent`); the sender itself never
/// looks there, so the resend is tried.
///
/// Errors: 409 when the message is in another state (queued again, sent,
/// cancelled …), also when a concurrent resend got there first.
pub async fn resend(
    db: &Db,
    message: &crate::access::OutboxWrite,
    now: DateTime<Utc>,
) -> AppResult<Delivery> {
    let id = message.id();
    let mut tx = db.begin_row_locked().await?;
    let (state, attempts): (String, i64) =
        sqlx::query_as("SELECT state, attempts FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound("通知メール"))?;
    super::resendable(&state)?;
    // Compare-and-set on the state read: a concurrent resend (or anything
    // else) that changed it meanwhile wins, and this one reports its state.
    let updated = sqlx::query(
        "UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = $1 \
         WHERE id = $2 AND state = $3",
    )
    .bind(timestamp(now))
    .bind(id)
    .bind(state.as_str())
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        let now_state: String = sqlx::query_scalar("SELECT state FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        super::resendable(&now_state)?;
        return Err(AppError::Conflict(
            "この通知メールは別の操作で変更されました。画面を読み込み直してください".into(),
        ));
    }
    let by = audit::current_actor().unwrap_or_else(|| "operator".into());
    let note = format!("再送（依頼: {by}）");
    event(&mut tx, id, "queued", 0, Some(&note), now).await?;
    let entry = audit::Entry {
        ward_id: Some(message.ward_id()),
        municipality_id: None,
        entity: "outbox",
        entity_id: id,
        action: "resend",
        actor: None,
        changes: audit::diff(
            &json!({ "state": state, "attempts": attempts }),
            &json!({ "state": "queued", "attempts": 0 }),
        ),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    delivery(db, &message.read()).await
}

/// Each of `ids` as it is now, for the re-check before an attempt; a
/// countermeasure that no longer exists is simply absent.
pub async fn current_items(db: &Db, ids: &[i64]) -> AppResult<HashMap<i64, super::Current>> {
    let mut out = HashMap::new();
    // A digest lists few items; the chunking only guards the bind limit.
    for chunk in ids.chunks(db.dialect.binds_per_statement().min(1000)) {
        let placeholders = crate::db::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT c.id, c.ward_id, w.name AS ward_name, c.topic, c.title, c.stage, c.archived, \
                    c.evaluation_due_on, c.owner_member_id, m.name AS owner_name, m.active AS owner_active, \
                    m.email AS owner_email, w.secretariat_email, \
                    CASE WHEN r.address IS NULL THEN 0 ELSE 1 END AS owner_refused \
             FROM countermeasures c \
             JOIN wards w ON w.id = c.ward_id \
             LEFT JOIN members m ON m.id = c.owner_member_id \
             LEFT JOIN refused_addresses r ON r.address = LOWER(TRIM(m.email)) \
             WHERE c.id IN ({})",
            placeholders
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&db.pool).await? {
            let due: Option<String> = row.try_get("evaluation_due_on")?;
            let archived: i64 = row.try_get("archived")?;
            let active: Option<i64> = row.try_get("owner_active")?;
            let current = super::Current {
                id: row.try_get("id")?,
                ward_id: row.try_get("ward_id")?,
                ward_name: row.try_get("ward_name")?,
                topic: row.try_get("topic")?,
                title: row.try_get("title")?,
                stage: row.try_get("stage")?,
                archived: archived != 0,
                due_on: due
                    .map(|d| parse_date("evaluation_due_on", &d))
                    .transpose()?,
                owner_member_id: row.try_get("owner_member_id")?,
                owner_name: row.try_get("owner_name")?,
                owner_active: active.is_some_and(|a| a != 0),
                owner_email: row.try_get("owner_email")?,
                owner_refused: row.try_get::<i64, _>("owner_refused")? != 0,
                secretariat_email: row.try_get("secretariat_email")?,
            };
            out.insert(current.id, current);
        }
    }
    Ok(out)
}

/// Replaces a claimed message's content with its re-rendered digest (some
/// items dropped out), if this attempt still holds it; the same Message-ID
/// goes out. The event row records which items dropped and why.
/// Returns whether it was recorded.
pub async fn revise(
    db: &Db,
    claimed: &Claimed,
    dropped: &[(super::QueuedItem, String)],
    rendered: &super::mail::Rendered,
    why: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut tx = db.begin_row_locked().await?;
    let updated = sqlx::query(
        "UPDATE outbox SET subject = $1, body_text = $2, body_html = $3 \
         WHERE id = $4 AND state = 'sending' AND attempts = $5",
    )
    .bind(rendered.subject.as_str())
    .bind(rendered.text.as_str())
    .bind(rendered.html.as_str())
    .bind(claimed.id)
    .bind(claimed.attempt)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    drop_items(&mut tx, claimed.id, dropped).await?;
    event(
        &mut tx,
        claimed.id,
        "revised",
        claimed.attempt,
        Some(why),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks items a message no longer carries, with why: they do not count
/// as reminded.
async fn drop_items(
    tx: &mut Tx,
    outbox_id: i64,
    dropped: &[(super::QueuedItem, String)],
) -> AppResult<()> {
    for (item, why) in dropped {
        sqlx::query(
            "UPDATE outbox_items SET dropped = $1 \
             WHERE outbox_id = $2 AND countermeasure_id = $3 AND track = $4",
        )
        .bind(why.as_str())
        .bind(outbox_id)
        .bind(item.id)
        .bind(item.track.code())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Gives back a claimed message the sender will not finish (it is shutting
/// down): due again at `now`, for the next start or another instance, not
/// after its lease. `started`: its SMTP exchange began and was cut off, so
/// the attempt counts (and it may have arrived: a resend carries the same
/// Message-ID); otherwise the claim is undone as if it never happened.
/// Returns false when the attempt was recorded meanwhile (nothing to give back).
pub async fn release(
    db: &Db,
    id: i64,
    attempt: i64,
    started: bool,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut tx = db.begin_row_locked().await?;
    let (state, attempts, error) = if started {
        ("retrying", attempt, Some("停止のため送信を中断しました"))
    } else if attempt > 1 {
        ("retrying", attempt - 1, None)
    } else {
        ("queued", 0, None)
    };
    let updated = sqlx::query(
        "UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, \
             last_error = COALESCE($4, last_error) \
         WHERE id = $5 AND state = 'sending' AND attempts = $6",
    )
    .bind(state)
    .bind(attempts)
    .bind(timestamp(now))
    .bind(error)
    .bind(id)
    .bind(attempt)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    event(&mut tx, id, state, attempt, error, now).await?;
    tx.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------------------
// Job runs
//
// A run is recorded 'running' with a lease (`lease_until`) before it does
// anything, and finished 'ok' or 'error'. A process that dies in between
// leaves the row 'running'; once its lease ran out, any instance's scheduler
// tick marks it 'interrupted' ([`interrupt_expired_runs`]). The scheduler
// starts a run only through [`claim_run`], which decides and inserts under
// the database's write lock, so two instances never both start the run a
// cron time owes.

/// How long a run holds its job: no scheduler starts the job again meanwhile,
/// and a run still 'running' after it is taken to have died with its process.
/// A run takes seconds (100,000 reminders queue in well under a minute).
pub const RUN_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// What [`interrupt_expired_runs`] records as the error of a run it marks.
pub const INTERRUPTED_ERROR: &str =
    "実行中にプロセスが停止しました（終了が記録されないまま実行の期限が過ぎました）";

/// Records the start of a run (the CLI's, or the scheduler's through
/// [`claim_run`]), leased for [`RUN_LEASE`]; returns its id.
pub async fn start_run(
    db: &Db,
    job: &str,
    reminder_date: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let mut tx = db.begin_write().await?;
    let id = insert_run(&mut tx, job, reminder_date, now).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_run(
    tx: &mut Tx,
    job: &str,
    reminder_date: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO job_runs (job, reminder_date, started_at, outcome, lease_until) \
         VALUES ($1, $2, $3, 'running', $4) RETURNING id",
    )
    .bind(job)
    .bind(reminder_date.to_string())
    .bind(timestamp(now))
    .bind(timestamp(now + RUN_LEASE))
    .fetch_one(&mut **tx)
    .await?)
}

/// What the scheduler knows of a job's runs when it decides whether a
/// cron time is owed a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunFacts {
    /// The start of the latest completed run (outcome 'ok' or 'error').
    pub last_completed: Option<DateTime<Utc>>,
    /// Whether any run of the job was ever recorded (interrupted ones too):
    /// a job that never ran is a new installation's.
    pub ever_ran: bool,
    /// A run in progress whose lease has not run out.
    pub live: bool,
}

async fn run_facts<'e, E>(executor: E, job: &str, now: DateTime<Utc>) -> AppResult<RunFacts>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT \
           (SELECT MAX(started_at) FROM job_runs WHERE job = $1 AND outcome IN ('ok', 'error')) \
             AS last_completed, \
           (SELECT COUNT(*) FROM job_runs WHERE job = $1) AS runs, \
           (SELECT COUNT(*) FROM job_runs WHERE job = $1 AND outcome = 'running' \
              AND lease_until > $2) AS live",
    )
    .bind(job)
    .bind(timestamp(now))
    .fetch_one(executor)
    .await?;
    let last: Option<String> = row.try_get("last_completed")?;
    let last_completed = last
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| sqlx::Error::ColumnDecode {
                    index: "last_completed".into(),
                    source: Box::new(e),
                })
        })
        .transpose()?;
    Ok(RunFacts {
        last_completed,
        ever_ran: row.try_get::<i64, _>("runs")? > 0,
        live: row.try_get::<i64, _>("live")? > 0,
    })
}

/// Starts a run of `job` if `owed` says the facts call for one, deciding and
/// recording under the write lock (shared by every instance), so of several
/// schedulers asking at once exactly one gets the run; the others see its
/// lease, or its completed start. Returns the run's id, or `None`.
///
/// The facts are read once without the lock first: a tick with nothing owed,
/// the usual case, takes no write lock.
pub async fn claim_run(
    db: &Db,
    job: &str,
    reminder_date: NaiveDate,
    now: DateTime<Utc>,
    owed: impl Fn(&RunFacts) -> bool,
) -> AppResult<Option<i64>> {
    if !owed(&run_facts(&db.pool, job, now).await?) {
        return Ok(None);
    }
    let mut tx = db.begin_write().await?;
    if !owed(&run_facts(&mut *tx, job, now).await?) {
        return Ok(None);
    }
    let id = insert_run(&mut tx, job, reminder_date, now).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Marks 'interrupted' every run still 'running' whose lease ran out at
/// `now` (or that holds none: an earlier version's): its process stopped
/// before recording a result. Every instance's scheduler calls this on each
/// tick; returns how many it marked.
pub async fn interrupt_expired_runs(db: &Db, now: DateTime<Utc>) -> AppResult<u64> {
    // The same condition in both statements.
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs \
         WHERE outcome = 'running' AND (lease_until IS NULL OR lease_until <= $1)",
    )
    .bind(timestamp(now))
    .fetch_one(&db.pool)
    .await?;
    if found == 0 {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let marked = sqlx::query(
        "UPDATE job_runs SET outcome = 'interrupted', finished_at = $1, error = $2 \
         WHERE outcome = 'running' AND (lease_until IS NULL OR lease_until <= $1)",
    )
    .bind(timestamp(now))
    .bind(INTERRUPTED_ERROR)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(marked)
}

/// Records a run's result. A run that outlived its lease and was marked
/// interrupted meanwhile still gets its real result: it did complete.
pub async fn finish_run(
    db: &Db,
    run_id: i64,
    result: Result<(usize, usize, usize), &str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (queued, skipped, undeliverable, outcome, error) = match result {
        Ok((q, s, u)) => (q as i64, s as i64, u as i64, "ok", None),
        Err(e) => (0, 0, 0, "error", Some(e.to_string())),
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE job_runs SET finished_at = $1, queued = $2, skipped = $3, outcome = $4, error = $5, \
             undeliverable = $7, lease_until = NULL WHERE id = $6",
    )
    .bind(timestamp(now))
    .bind(queued)
    .bind(skipped)
    .bind(outcome)
    .bind(error)
    .bind(run_id)
    .bind(undeliverable)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One recorded run of a job.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub reminder_date: String,
    pub started_at: String,
    /// 'running', 'ok', 'error' or 'interrupted'.
    pub outcome: String,
    pub queued: i64,
    pub skipped: i64,
    pub undeliverable: i64,
    pub error: Option<String>,
}

impl JobRun {
    /// The outcome as /jobs prints it: 実行中, 成功, 失敗 or 中断.
    pub fn outcome_label(&self) -> &'static str {
        outcome_label(&self.outcome)
    }
}

/// A run outcome in Japanese, wherever outcomes are printed.
pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "running" => "実行中",
        "ok" => "成功",
        "interrupted" => "中断",
        _ => "失敗",
    }
}

/// The last run of a job.
pub async fn last_run(db: &Db, job: &str) -> AppResult<Option<JobRun>> {
    Ok(recent_runs(db, job, 1).await?.into_iter().next())
}

/// A job's latest `limit` runs, newest first.
pub async fn recent_runs(db: &Db, job: &str, limit: i64) -> AppResult<Vec<JobRun>> {
    let rows = sqlx::query(
        "SELECT reminder_date, started_at, outcome, queued, skipped, undeliverable, error FROM job_runs \
         WHERE job = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(job)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(JobRun {
                reminder_date: r.try_get("reminder_date")?,
                started_at: r.try_get("started_at")?,
                outcome: r.try_get("outcome")?,
                queued: r.try_get("queued")?,
                skipped: r.try_get("skipped")?,
                undeliverable: r.try_get("undeliverable")?,
                error: r.try_get("error")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

// ---------------------------------------------------------------------------
// The delivery log

/// One row of the delivery log.
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Delivery {
    pub id: i64,
    pub ward_id: Option<i64>,
    pub recipient_kind: String,
    pub recipient: String,
    pub subject: String,
    /// The countermeasures it lists, in its order; those that dropped out
    /// before an attempt keep their place with the reason.
    pub items: Vec<DeliveryItem>,
    /// queued, sending, sent, retrying, failed (the retries on temporary
    /// failures ran out; its items are owed again at the next run), refused
    /// (for good: 5xx or an unusable address, not mailed again until the
    /// address changes) or cancelled (its items were no longer owed when it
    /// was due to go out; `last_error` says why).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub reminder_date: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub message_id: String,
}

/// One countermeasure of a reminder message.
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct DeliveryItem {
    /// The countermeasure's id.
    pub id: i64,
    pub title: String,
    pub ward: String,
    /// The evaluation due date the reminder was for (YYYY-MM-DD).
    pub due_on: String,
    /// Days past the due date on the reminder date; 0 or less: a notice.
    pub days_overdue: i64,
    /// `owner` (the owner's reminders, or the secretariat's 宛先のない対応策)
    /// or `escalation` (the secretariat's, once long overdue).
    pub track: String,
    /// Why it dropped out before an attempt; absent while listed.
    pub dropped: Option<String>,
}

/// The outbox columns a [`Delivery`] is read from.
const DELIVERY_COLUMNS: &str = "id, ward_id, recipient_kind, recipient, subject, state, attempts, \
     last_error, reminder_date, created_at, sent_at, message_id";

fn delivery_from_row(row: &AnyRow) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        id: row.try_get("id")?,
        ward_id: row.try_get("ward_id")?,
        recipient_kind: row.try_get("recipient_kind")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        items: Vec::new(),
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        reminder_date: row.try_get("reminder_date")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        message_id: row.try_get("message_id")?,
    })
}

/// What the delivery log is narrowed to, within the reader's view.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter<'a> {
    /// Only this ward's messages (none when it is outside the view).
    pub ward_id: Option<i64>,
    /// Only messages in these states (none: all; at most three).
    pub states: &'a [&'a str],
    /// Created on or after this Asia/Tokyo day.
    pub from: Option<NaiveDate>,
    /// Created on or before this Asia/Tokyo day.
    pub to: Option<NaiveDate>,
}

/// The outbox of the wards `visible` shows, newest first, optionally of
/// one ward (none outside the view) and/or of some states (none: all).
pub async fn deliveries(
    db: &Db,
    visible: crate::access::Visible,
    ward_id: Option<i64>,
    states: &[&str],
    paging: Paging,
) -> AppResult<Page<Delivery>> {
    let filter = DeliveryFilter {
        ward_id,
        states,
        ..DeliveryFilter::default()
    };
    deliveries_matching(db, visible, &filter, paging).await
}

/// The outbox of the wards `visible` shows that `f` selects, newest first,
/// with how many match in all (`Paging::all()`: every one, for the CSV).
pub async fn deliveries_matching(
    db: &Db,
    visible: crate::access::Visible,
    f: &DeliveryFilter<'_>,
    paging: Paging,
) -> AppResult<Page<Delivery>> {
    let mut filter = Filter::default();
    if let Some(w) = visible.ward_id() {
        filter.and("ward_id = ?", [Bind::Int(w)]);
    }
    if let Some(m) = visible.municipality_id() {
        filter.and(
            "ward_id IN (SELECT id FROM wards WHERE municipality_id = ?)",
            [Bind::Int(m)],
        );
    }
    if let Some(w) = f.ward_id {
        filter.and("ward_id = ?", [Bind::Int(w)]);
    }
    // The clause is static text: one per list length a caller uses.
    let clause = match f.states.len() {
        0 => None,
        1 => Some("state = ?"),
        2 => Some("state IN (?, ?)"),
        _ => Some("state IN (?, ?, ?)"),
    };
    if let Some(clause) = clause {
        filter.and(
            clause,
            f.states.iter().take(3).map(|s| Bind::Text(s.to_string())),
        );
    }
    // Tokyo days as UTC instants; `created_at` is RFC 3339 UTC text.
    if let Some(d) = f.from {
        filter.and(
            "created_at >= ?",
            [Bind::Text(timestamp(crate::calendar::day_start(d)))],
        );
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        filter.and(
            "created_at < ?",
            [Bind::Text(timestamp(crate::calendar::day_start(d)))],
        );
    }
    // The count rides along as an uncorrelated subquery (evaluated once).
    let n = filter.next_placeholder();
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS}, \
             (SELECT COUNT(*) FROM outbox{where_sql}) AS total FROM outbox{where_sql} \
         ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n,
        n + 1,
        where_sql = filter.where_sql(),
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .bind(paging.limit)
        .bind(paging.offset)
        .fetch_all(&db.pool)
        .await?;
    let total = crate::db::page_total(db, &rows, paging.offset, "FROM outbox", &filter).await?;
    let mut items: Vec<Delivery> = rows
        .iter()
        .map(delivery_from_row)
        .collect::<Result<_, _>>()?;
    // Items by pages of messages: a whole log (the CSV) stays within the
    // placeholders one statement may carry.
    for chunk in items.chunks_mut(500) {
        attach_items(db, chunk).await?;
    }
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// One message of the delivery log, with its items.
pub async fn delivery(db: &Db, message: &crate::access::OutboxRead) -> AppResult<Delivery> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM outbox WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(message.id())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("通知メール"))?;
    let mut one = [delivery_from_row(&row)?];
    attach_items(db, &mut one).await?;
    let [d] = one;
    Ok(d)
}

/// Fills in each delivery's items: one query for the page.
async fn attach_items(db: &Db, deliveries: &mut [Delivery]) -> AppResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let placeholders = crate::db::placeholders(1, deliveries.len());
    let sql = format!(
        "SELECT outbox_id, countermeasure_id, title, ward_name, due_on, days_overdue, track, dropped \
         FROM outbox_items WHERE outbox_id IN ({}) ORDER BY outbox_id, position, track",
        placeholders
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in deliveries.iter() {
        query = query.bind(d.id);
    }
    let mut by_message: HashMap<i64, Vec<DeliveryItem>> = HashMap::new();
    for row in query.fetch_all(&db.pool).await? {
        by_message
            .entry(row.try_get("outbox_id")?)
            .or_default()
            .push(DeliveryItem {
                id: row.try_get("countermeasure_id")?,
                title: row.try_get("title")?,
                ward: row.try_get("ward_name")?,
                due_on: row.try_get("due_on")?,
                days_overdue: row.try_get("days_overdue")?,
                track: row.try_get("track")?,
                dropped: row.try_get("dropped")?,
            });
    }
    for d in deliveries.iter_mut() {
        d.items = by_message.remove(&d.id).unwrap_or_default();
    }
    Ok(())
}
