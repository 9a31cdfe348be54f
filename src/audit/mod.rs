//! The audit trail: every write to members, meetings and countermeasures
//! leaves a row here, inside the transaction that made the change, so a
//! change without its record (or a record without its change) cannot exist.
//! Every store writes its row with [`store::record`] in its own transaction;
//! the audit page (`/audit`, paged, newest first) and its CSV (`/audit.csv`,
//! the whole filtered log) are in `pages.rs`.

pub mod pages;
pub mod store;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::spreadsheet::{Cell, Table};

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
    /// For an entry about no ward: the municipality whose data or settings
    /// changed (its dashboards' stored overviews no longer count), if any.
    pub municipality_id: Option<i64>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    /// Who acted, when not a signed-in account (the CLI, the demo loader,
    /// a job); the account of the current request takes precedence.
    pub actor: Option<&'a str>,
    /// Changed fields: `{"field": {"before": …, "after": …}}`, or the created row.
    pub changes: Value,
}

/// One row of the audit log, as the audit page and its CSV show it.
#[derive(Debug, Clone)]
pub struct Row {
    /// When, as stored (RFC 3339, UTC); shown with [`tokyo_time`].
    pub recorded_at: String,
    pub ward_name: String,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    /// The account's display name or address, or the non-account actor.
    pub actor: String,
    pub changes: String,
}

/// Filters of the audit log; `municipality_id` is the viewer's scope (None:
/// every municipality, for the operator), which the other filters narrow
/// and never widen.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub municipality_id: Option<i64>,
    pub ward_id: Option<i64>,
    /// Rows recorded by this account (`account:<id>`).
    pub account_id: Option<i64>,
    /// One of [`ENTITIES`]' codes.
    pub entity: Option<String>,
    /// Inclusive Asia/Tokyo calendar days.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The kinds of record the log covers: the code stored in `entity` and its
/// Japanese name (the audit page's 対象 filter).
pub const ENTITIES: [(&str, &str); 13] = [
    ("member", "委員"),
    ("meeting", "会議"),
    ("countermeasure", "対応策"),
    ("survey", "調査"),
    ("survey_summary", "調査のまとめ"),
    ("ward", "区"),
    ("municipality", "自治体"),
    ("account", "アカウント"),
    ("api_token", "APIトークン"),
    ("outbox", "通知メール"),
    ("reminder_settings", "通知メールの設定"),
    ("scene", "場面"),
    ("vision", "目指すべき姿"),
];

/// Whether `code` is one of [`ENTITIES`].
pub fn is_entity(code: &str) -> bool {
    ENTITIES.iter().any(|(c, _)| *c == code)
}

/// A stored instant (RFC 3339) as Asia/Tokyo wall-clock time,
/// `2026-11-24 12:00:05`; text that is no instant is shown as it is.
pub fn tokyo_time(stored: &str) -> String {
    match DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&Utc)
            .with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => stored.to_string(),
    }
}

/// The audit log as a CSV table: the columns the audit page shows, in its
/// order. Names and changes are free text (guarded against formulas).
pub fn table(rows: &[Row]) -> Table {
    let mut t = Table::new(&["日時", "区", "対象", "番号", "操作", "操作者", "変更内容"]);
    for r in rows {
        t.push(vec![
            Cell::value(tokyo_time(&r.recorded_at)),
            Cell::text(&r.ward_name),
            Cell::value(&r.entity),
            Cell::value(r.entity_id),
            Cell::value(&r.action),
            Cell::text(&r.actor),
            Cell::text(&r.changes),
        ]);
    }
    t
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

    #[test]
    fn instants_are_shown_in_tokyo_time() {
        assert_eq!(tokyo_time("2026-11-23T15:00:00Z"), "2026-11-24 00:00:00");
        assert_eq!(tokyo_time("昨日"), "昨日");
    }

    #[test]
    fn the_csv_carries_the_page_columns_and_guards_free_text() {
        let row = Row {
            recorded_at: "2026-11-24T03:00:00Z".into(),
            ward_name: "北区".into(),
            entity: "member".into(),
            entity_id: 7,
            action: "update".into(),
            actor: "=HYPERLINK(1)".into(),
            changes: "{}".into(),
        };
        let bytes = table(&[row])
            .to_bytes(crate::spreadsheet::Encoding::Utf8)
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(
            text.contains("日時,区,対象,番号,操作,操作者,変更内容"),
            "{text}"
        );
        assert!(
            text.contains("2026-11-24 12:00:00,北区,member,7,update,'=HYPERLINK(1),{}"),
            "{text}"
        );
        assert!(is_entity("outbox") && !is_entity("drop table"));
    }
}
