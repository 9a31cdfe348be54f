//! The audit page (`/audit`): the audit log, filtered by ward, account,
//! kind of record and dates, for city accounts (their municipality) and
//! the installation's operator.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, handler};

use super::store;
use crate::access::AccountsAdmin;
use crate::state::AppState;
use crate::web::page::{Layout, PageResult, fail, render_with_status};

/// The audit page: its filters as given, and the rows they match.
#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    wards: Vec<(i64, String)>,
    selected_ward: Option<i64>,
    account_id: String,
    entity: String,
    entities: Vec<(&'static str, &'static str)>,
    from: String,
    to: String,
    rows: Vec<store::Row>,
}

/// The audit log, for city accounts (their municipality) and the operator.
#[handler]
pub async fn audit_page(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
) -> PageResult {
    // The gate admits only accounts that may manage accounts.
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = crate::web::page::FormData::parse(req.uri().query().unwrap_or("").as_bytes());
    let int = |k: &str| form.non_empty(k).and_then(|v| v.trim().parse::<i64>().ok());
    let date = |k: &str| {
        form.non_empty(k)
            .and_then(|v| v.parse::<chrono::NaiveDate>().ok())
    };
    let q = store::Query {
        municipality_id: actor.municipality_id,
        ward_id: int("ward_id"),
        account_id: int("account_id"),
        entity: form.non_empty("entity").map(str::to_string),
        from: date("from"),
        to: date("to"),
    };
    let rows = store::list(&state.db, &q).await.map_err(fail)?;
    let wards = crate::wards::store::list(&state.db, crate::access::visible(&actor), None)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let page = AuditPage {
        layout: Layout::new("操作記録（監査ログ）"),
        wards,
        selected_ward: q.ward_id,
        account_id: q.account_id.map(|a| a.to_string()).unwrap_or_default(),
        entity: q.entity.clone().unwrap_or_default(),
        entities: vec![
            ("member", "委員"),
            ("meeting", "会議"),
            ("countermeasure", "対応策"),
            ("survey", "調査"),
            ("ward", "区"),
            ("account", "アカウント"),
            ("outbox", "通知メール"),
        ],
        from: q.from.map(|d| d.to_string()).unwrap_or_default(),
        to: q.to.map(|d| d.to_string()).unwrap_or_default(),
        rows,
    };
    render_with_status(&page, StatusCode::OK)
}
