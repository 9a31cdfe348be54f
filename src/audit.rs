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
