//! `store.rs` is SQL, row mapping and the transaction of one use case; a
//! store may call another concept's `*_in(tx, …)` store functions so a use
//! case writes in one transaction. Here: the audit log's one write and the
//! audit page's read.

use chrono::{DateTime, Utc};

use super::{Entry, current_actor};
use crate::db::{Tx, timestamp};
use crate::error::AppResult;

/// Writes `entry` in the caller's transaction, so the change and its record
/// commit or roll back together; the signed-in actor of the request wins
/// over `entry.actor`.
pub async fn record(tx: &mut Tx, entry: Entry<'_>, now: DateTime<Utc>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (ward_id, entity, entity_id, action, actor, changes, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.ward_id)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(entry.action)
    .bind(current_actor().or_else(|| entry.actor.map(str::to_string)))
    .bind(entry.changes.to_string())
    .bind(timestamp(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One row of the audit log, as the audit page shows it.
#[derive(Debug, Clone)]
pub struct Row {
    pub recorded_at: String,
    pub ward_name: String,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    /// The account's display name or address, or the non-account actor.
    pub actor: String,
    pub changes: String,
}

/// Filters of the audit page; `municipality_id` is the viewer's scope.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub municipality_id: Option<i64>,
    pub ward_id: Option<i64>,
    pub account_id: Option<i64>,
    pub entity: Option<String>,
    /// Inclusive dates (UTC days), `YYYY-MM-DD`.
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// The newest 500 rows matching the query.
pub async fn list(db: &crate::db::Db, q: &Query) -> AppResult<Vec<Row>> {
    use crate::db::{Bind, Filter, bind_all};
    use sqlx::Row as _;
    let mut filter = Filter::default();
    if let Some(m) = q.municipality_id {
        filter.and("w.municipality_id = ?", [Bind::Int(m)]);
    }
    if let Some(w) = q.ward_id {
        filter.and("l.ward_id = ?", [Bind::Int(w)]);
    }
    if let Some(a) = q.account_id {
        filter.and("l.actor = ?", [Bind::Text(format!("account:{a}"))]);
    }
    if let Some(e) = &q.entity {
        filter.and("l.entity = ?", [Bind::Text(e.clone())]);
    }
    if let Some(d) = q.from {
        filter.and("l.recorded_at >= ?", [Bind::Text(d.to_string())]);
    }
    if let Some(d) = q.to.and_then(|d| d.succ_opt()) {
        filter.and("l.recorded_at < ?", [Bind::Text(d.to_string())]);
    }
    let sql = format!(
        "SELECT l.recorded_at, COALESCE(w.name, '') AS ward_name, l.entity, l.entity_id, l.action, \
         COALESCE(NULLIF(a.display_name, ''), a.email, l.actor, '') AS actor_name, l.changes \
         FROM audit_log l LEFT JOIN wards w ON w.id = l.ward_id \
         LEFT JOIN accounts a ON l.actor = 'account:' || a.id{} ORDER BY l.id DESC LIMIT 500",
        filter.where_sql()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Row {
                recorded_at: r.try_get("recorded_at")?,
                ward_name: r.try_get("ward_name")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                action: r.try_get("action")?,
                actor: r.try_get("actor_name")?,
                changes: r.try_get("changes")?,
            })
        })
        .collect()
}
