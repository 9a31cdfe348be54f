//! The audit page (`/audit`): the audit log, newest first, 50 rows a page,
//! filtered by ward, account, kind of record and dates, for city accounts
//! (their municipality) and the installation's operator; and its CSV
//! (`/audit.csv`), the whole filtered log with the page's columns.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::{ENTITIES, Query, is_entity, store, tokyo_time};
use crate::access::{AccountsAdmin, Actor};
use crate::error::AppError;
use crate::paging::Paging;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::web::page::{
    Choice, Errors, FieldParser, FormData, Layout, PageResult, Pager, choices, fail, page_number,
    page_paging, render_with_status,
};

/// Where the page lives (its pager's and its error page's links).
const PATH: &str = "/audit";

/// The query keys that are the page's filters (what its links keep).
const FILTER_KEYS: [&str; 5] = ["ward_id", "account_id", "entity", "from", "to"];

/// One row as the page shows it.
struct ShownRow {
    /// Asia/Tokyo wall-clock time.
    at: String,
    r: super::Row,
}

/// The audit page: its filters as given, one page of the rows they match.
#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    /// Messages beside the filters that could not be read (those filters
    /// are left out, and the page says so).
    errors: Errors,
    wards: Vec<Choice>,
    accounts: Vec<Choice>,
    entities: Vec<Choice>,
    from: String,
    to: String,
    rows: Vec<ShownRow>,
    pager: Pager,
    /// The filters as a query string, for the CSV links.
    csv_query: String,
}

/// The filters of the query string: the store's query within the reader's
/// scope, the messages for unreadable values, and the filters as given.
struct Filters {
    query: Query,
    errors: Errors,
    kept: FormData,
}

/// Reads the filters; one that cannot be read gets a Japanese message and
/// is left out (the scope, the reader's municipality, always applies).
fn filters(actor: &Actor, form: &FormData) -> Filters {
    let mut p = FieldParser::default();
    let ward_id = p.number(form, "ward_id", "区");
    let account_id = p.number(form, "account_id", "操作したアカウント");
    let entity = p.label(form, "entity", "対象", |e| {
        is_entity(e).then(|| e.to_string())
    });
    let (from, to) = p.date_range(form, "期間（開始）", "期間（終了）");
    let kept = form.only(&FILTER_KEYS);
    Filters {
        query: Query {
            // Exactly the audit page's scope as it always was: the reader's
            // municipality (the operator: none).
            municipality_id: actor.municipality_id,
            ward_id,
            account_id,
            entity,
            from,
            to,
        },
        errors: Errors {
            fields: p.errors,
            ..Errors::none("")
        },
        kept,
    }
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
    let form = FormData::parse(req.uri().query().unwrap_or("").as_bytes());
    let page = page_number(PATH, &form)?;
    let f = filters(&actor, &form);
    let list = store::list(&state.db, &f.query, page_paging(page))
        .await
        .map_err(fail)?;
    let wards = crate::wards::store::list(&state.db, crate::access::visible(&actor), None)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.id.to_string(), w.name));
    let mut accounts: Vec<(String, String)> = store::actors(&state.db, actor.municipality_id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(id, label)| (id.to_string(), format!("{id}: {label}")))
        .collect();
    // An account asked for by number that has no row here still shows as
    // chosen, so the page never looks unfiltered while it is filtered.
    if let Some(a) = f.query.account_id
        && !accounts.iter().any(|(id, _)| *id == a.to_string())
    {
        accounts.push((a.to_string(), format!("{a}（この範囲の記録なし）")));
    }
    let status = if f.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let pager = Pager::new(PATH, &f.kept, page, list.total, list.items.len());
    let csv_query = f.kept.query_without("page");
    let page = AuditPage {
        layout: Layout::new("操作記録（監査ログ）"),
        errors: f.errors,
        wards: choices(&f.kept, "ward_id", wards),
        accounts: choices(&f.kept, "account_id", accounts),
        entities: choices(
            &f.kept,
            "entity",
            ENTITIES
                .iter()
                .map(|(code, label)| (code.to_string(), label.to_string())),
        ),
        from: f.kept.value("from").to_string(),
        to: f.kept.value("to").to_string(),
        rows: list
            .items
            .into_iter()
            .map(|r| ShownRow {
                at: tokyo_time(&r.recorded_at),
                r,
            })
            .collect(),
        pager,
        csv_query,
    };
    render_with_status(&page, status)
}

/// `/audit.csv`: the whole audit log the same filters select, newest first,
/// with the page's columns (`?encoding=sjis` for Shift_JIS). Unreadable
/// filters answer a 422 error page naming them, never a different list.
#[handler]
pub async fn audit_csv(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
) -> poem::Result<Response> {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = FormData::parse(req.uri().query().unwrap_or("").as_bytes());
    let f = filters(&actor, &form);
    if f.errors.any() {
        return Err(csv_fail(AppError::Invalid(f.errors.fields)));
    }
    let encoding = Encoding::from_param(form.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let rows = store::list(&state.db, &f.query, Paging::all())
        .await
        .map_err(fail)?
        .items;
    let bytes = super::table(&rows)
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    let name = format!("監査ログ_{}.csv", state.clock.today());
    Ok(spreadsheet::download(bytes, encoding, &name))
}
