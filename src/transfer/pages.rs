//! CSV downloads of a ward's lists: `/wards/{id}/members.csv`,
//! `/wards/{id}/meetings.csv`, `/wards/{id}/countermeasures.csv`
//! (`?encoding=sjis` for Shift_JIS). Each takes its list page's filters
//! (read by the list's own parser) and holds every row they keep, on all
//! pages; without filters it is the ward's whole list, archived
//! countermeasures included (the file an import takes back).

use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;

use crate::access::{WardRead, WardWrite};
use crate::error::AppResult;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Encoding, Table};
use crate::state::AppState;
use crate::web::page::{FieldParser, FormData, fail};

#[derive(Debug, Deserialize)]
pub struct EncodingQuery {
    encoding: Option<String>,
}

fn send(
    table: AppResult<Table>,
    q: &EncodingQuery,
    uri: &poem::http::Uri,
    name: String,
) -> poem::Result<Response> {
    let encoding = Encoding::from_param(q.encoding.as_deref())
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let bytes = table
        .map_err(fail)?
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(uri)))?;
    Ok(spreadsheet::download(bytes, encoding, &name))
}

#[handler]
pub async fn members_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<EncodingQuery>,
    uri: &poem::http::Uri,
) -> poem::Result<Response> {
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let filter = filter_of(uri);
    let active_only = crate::members::pages::list_active_only(&filter);
    let table = super::store::members(&state.db, &scope, active_only)
        .await
        .map(|m| super::members_table(&m));
    send(table, &q, uri, format!("{}_委員.csv", ward.name))
}

#[handler]
pub async fn meetings_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<EncodingQuery>,
    uri: &poem::http::Uri,
) -> poem::Result<Response> {
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let table = meetings_rows(state, &scope, &filter_of(uri)).await;
    send(table, &q, uri, format!("{}_会議.csv", ward.name))
}

#[handler]
pub async fn countermeasures_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<EncodingQuery>,
    uri: &poem::http::Uri,
) -> poem::Result<Response> {
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let table = countermeasure_rows(state, &scope, &filter_of(uri)).await;
    send(table, &q, uri, format!("{}_対応策.csv", ward.name))
}

/// The download's query as its list page reads it (`encoding` included,
/// which no list filter uses).
fn filter_of(uri: &poem::http::Uri) -> FormData {
    FormData::parse(uri.query().unwrap_or("").as_bytes())
}

async fn meetings_rows(state: &AppState, ward: &WardRead, filter: &FormData) -> AppResult<Table> {
    // An unreadable date leaves its bound out, as on the list page.
    let query = crate::meetings::pages::list_query(filter, &mut FieldParser::default());
    let meetings = super::store::meetings(&state.db, ward, query).await?;
    let members = super::store::all_members(&state.db, ward).await?;
    Ok(super::meetings_table(&meetings, &members))
}

async fn countermeasure_rows(
    state: &AppState,
    ward: &WardRead,
    filter: &FormData,
) -> AppResult<Table> {
    let today = state.clock.today();
    let mut query = crate::countermeasures::pages::list_query(filter);
    // Without `archived` the file is the whole ward; the list page's link
    // sends `archived=open` for its default.
    if filter.non_empty("archived").is_none() {
        query.archived = None;
        query.include_archived = true;
    }
    let list = super::store::countermeasures(&state.db, ward, query, today).await?;
    // The day the current stage was reached, so an import keeps the
    // half-year it belongs to.
    let days = crate::countermeasures::store::stage_days_in_ward(&state.db, ward).await?;
    let rows: Vec<_> = list
        .into_iter()
        .map(|c| {
            let on = days
                .get(&c.id)
                .copied()
                .filter(|_| c.stage != crate::countermeasures::Stage::Identified);
            (c, on)
        })
        .collect();
    let members = super::store::all_members(&state.db, ward).await?;
    let meetings = super::store::all_meetings(&state.db, ward).await?;
    Ok(super::countermeasures_table(&rows, &members, &meetings))
}

#[derive(askama::Template)]
#[template(path = "transfer/import.html")]
struct ImportPage {
    layout: crate::web::page::Layout,
    ward_id: i64,
    kind: String,
    encoding: String,
    errors: crate::web::page::Errors,
    imported: Option<String>,
}

fn import_page(
    ward: &crate::wards::Ward,
    kind: &str,
    encoding: &str,
    errors: crate::web::page::Errors,
    imported: Option<String>,
    status: poem::http::StatusCode,
) -> crate::web::page::PageResult {
    let page = ImportPage {
        layout: crate::web::page::Layout::in_ward(
            format!("{} CSV取込", ward.name),
            ward,
            "dashboard",
        ),
        ward_id: ward.id,
        kind: kind.into(),
        encoding: encoding.into(),
        errors,
        imported,
    };
    crate::web::page::render_with_status(&page, status)
}

/// `/wards/{id}/import`: upload a meetings or countermeasures CSV.
#[handler]
pub async fn import_form(
    Data(state): Data<&AppState>,
    scope: WardWrite,
) -> crate::web::page::PageResult {
    let ward = crate::wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    import_page(
        &ward,
        "meetings",
        "",
        crate::web::page::Errors::none(""),
        None,
        poem::http::StatusCode::OK,
    )
}

#[handler]
pub async fn import_upload(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    mut multipart: poem::web::Multipart,
) -> crate::web::page::PageResult {
    let ward = crate::wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let (mut kind, mut encoding, mut file) = (String::new(), String::new(), Vec::new());
    // A broken upload is shown on the form like any other input problem.
    let unreadable =
        || crate::error::AppError::invalid("file", "アップロードされたファイルを読み取れません");
    let mut read_error = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "kind" => kind = String::from_utf8_lossy(&bytes).into_owned(),
                        "encoding" => encoding = String::from_utf8_lossy(&bytes).into_owned(),
                        "file" => file = bytes,
                        _ => {}
                    },
                    Err(_) => read_error = Some(unreadable()),
                }
            }
            Ok(None) => break,
            Err(_) => {
                read_error = Some(unreadable());
                break;
            }
        }
    }
    let now = state.clock.now();
    let result = match read_error {
        Some(e) => Err(e),
        None => import(state, &scope, &kind, &encoding, &file, now).await,
    };
    match result {
        Ok(n) => import_page(
            &ward,
            &kind,
            &encoding,
            crate::web::page::Errors::none(""),
            Some(format!("{n}件を取り込みました。")),
            poem::http::StatusCode::OK,
        ),
        Err(e) if crate::web::page::is_form_error(&e) => {
            let errors = crate::web::page::Errors::from_error(&e, "");
            import_page(&ward, &kind, &encoding, errors, None, e.status())
        }
        Err(e) => Err(fail(e)),
    }
}

async fn import(
    state: &AppState,
    ward: &WardWrite,
    kind: &str,
    encoding: &str,
    file: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    if file.is_empty() {
        return Err(crate::error::AppError::invalid(
            "file",
            "CSVファイルを選んでください",
        ));
    }
    let text = spreadsheet::decode(file, Encoding::from_param(Some(encoding))?)?;
    let table = spreadsheet::parse(&text)?;
    match kind {
        "meetings" => {
            let members = super::store::all_members(&state.db, &ward.read()).await?;
            let present = super::store::all_meetings(&state.db, &ward.read()).await?;
            let list = super::parse_meetings(&table, ward.ward_id(), &members, &present)?;
            Ok(super::store::import_meetings(&state.db, ward, list, now)
                .await?
                .len())
        }
        "countermeasures" => {
            let members = super::store::all_members(&state.db, &ward.read()).await?;
            let meetings = super::store::all_meetings(&state.db, &ward.read()).await?;
            let today = state.clock.today();
            let present = super::store::all_countermeasures(&state.db, &ward.read(), today).await?;
            let scenes = super::store::scenes(&state.db, ward).await?;
            let list = super::parse_countermeasures(
                &table,
                ward.ward_id(),
                &scenes,
                &members,
                &meetings,
                &present,
                today,
            )?;
            Ok(
                super::store::import_countermeasures(&state.db, ward, list, now)
                    .await?
                    .len(),
            )
        }
        _ => Err(crate::error::AppError::invalid(
            "kind",
            "取り込む内容を選んでください",
        )),
    }
}
