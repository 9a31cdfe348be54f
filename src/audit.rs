//! The audit trail: every write to members, meetings and countermeasures
//! leaves a row here, inside the transaction that made the change, so a
//! change without its record (or a record without its change) cannot exist.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::db::{Tx, timestamp};
use crate::error::AppResult;

tokio::task_local! {
    /// The signed-in account handling the current request (`account:<id>`),
    /// set by the access gate around each request. Scoped to the request's
    /// task, so stores record who acted without every call passing it.
    static CURRENT_ACTOR: String;
}

/// Runs a request's handling with `actor` as the one who acts.
pub async fn acting_as<F: std::future::Future>(actor: String, f: F) -> F::Output {
    CURRENT_ACTOR.scope(actor, f).await
}

/// The account acting in the current request, if any.
pub fn current_actor() -> Option<String> {
    CURRENT_ACTOR.try_with(Clone::clone).ok()
}

/// One write, as it will be recorded.
pub struct Entry<'a> {
    pub ward_id: Option<i64>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    /// Who acted, when not a signed-in account (the CLI, the demo loader,
    /// a job); the account of the current request takes precedence.
    pub actor: Option<&'a str>,
    /// Changed fields: `{"field": {"before": …, "after": …}}`, or the created row.
    pub changes: Value,
}

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

/// The fields that differ between two JSON objects, as `{"f": {"before", "after"}}`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for (key, new) in a {
        let old = b.get(key).unwrap_or(&Value::Null);
        if old != new {
            out.insert(
                key.clone(),
                serde_json::json!({ "before": old, "after": new }),
            );
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_keeps_only_changed_fields() {
        let d = diff(&json!({"a": 1, "b": "x"}), &json!({"a": 2, "b": "x"}));
        assert_eq!(d, json!({"a": {"before": 1, "after": 2}}));
        assert_eq!(diff(&json!({"a": 1}), &json!({"a": 1})), json!({}));
    }
}
