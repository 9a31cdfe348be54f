//! The audit trail: every write to members, meetings and countermeasures
//! leaves a row here, inside the transaction that made the change, so a
//! change without its record (or a record without its change) cannot exist.
//! Every store writes its row with [`store::record`] in its own transaction;
//! the audit page is in `pages.rs`.

pub mod pages;
pub mod store;

use serde_json::{Map, Value};

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
