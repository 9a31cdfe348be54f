//! Pages for reminders: the jobs with their next runs and last results,
//! a municipality's reminder settings, and the delivery log.

use askama::Template;
use poem::http::{StatusCode, Uri};
use poem::web::Data;
use poem::{Body, IntoResponse, handler};

use super::Overrides;
use super::store::{self, Delivery};
use crate::access::{CityOf, CityView};
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::page::{
    Errors, FieldParser, FormData, Layout, PageResult, fail, is_form_error, render,
    render_with_status, see_other,
};

struct JobRow {
    name: String,
    file: String,
    cron: String,
    time_zone: String,
    enabled: bool,
    next_runs: Vec<String>,
    params: super::Params,
    last: Option<store::JobRun>,
    /// The latest runs, newest first: an interrupted (中断) or failed run
    /// stays visible after the catch-up run that followed it.
    recent: Vec<store::JobRun>,
}

/// How many runs of each job `/jobs` lists.
const RECENT_RUNS: i64 = 10;

#[derive(Template)]
#[template(path = "reminders/jobs.html")]
struct JobsPage {
    layout: Layout,
    jobs: Vec<JobRow>,
    /// How the job files on disk differ from the loaded set (edited since
    /// startup; takes effect on restart).
    changed: Vec<String>,
    municipalities: Vec<(i64, String)>,
    failed: i64,
    pending: i64,
}

#[handler]
pub async fn jobs_page(Data(state): Data<&AppState>, view: CityView) -> PageResult {
    let now = state.clock.now();
    // The counts and settings links below cover the actor's city only
    // (`admin`: every city, or the one named).
    // The loaded set is what runs; the disk is read only to say it differs.
    let changed = state.jobs.changed_on_disk();
    let mut rows = Vec::new();
    for job in state.jobs.jobs.iter().cloned() {
        let recent = store::recent_runs(&state.db, &job.name, RECENT_RUNS)
            .await
            .map_err(fail)?;
        let last = recent.first().cloned();
        rows.push(JobRow {
            next_runs: job.next_run_labels(now, 3),
            name: job.name,
            file: job.file.display().to_string(),
            cron: job.cron,
            time_zone: job.time_zone.to_string(),
            enabled: job.enabled,
            params: job.params,
            last,
            recent,
        });
    }
    // Links to the settings each reader may change.
    let municipalities = crate::municipalities::store::list(&state.db, view.wards())
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|m| crate::web::page::reader_writes_city(m.id))
        .map(|m| (m.id, m.name))
        .collect();
    let failed = store::deliveries(
        &state.db,
        view.wards(),
        None,
        &["failed", "refused"],
        Paging::new(Some(1), None),
    )
    .await
    .map_err(fail)?
    .total;
    let pending = store::deliveries(
        &state.db,
        view.wards(),
        None,
        &["queued", "retrying", "sending"],
        Paging::new(Some(1), None),
    )
    .await
    .map_err(fail)?
    .total;
    Ok(render(&JobsPage {
        layout: Layout::new("定期処理と通知メール"),
        jobs: rows,
        changed,
        municipalities,
        failed,
        pending,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "reminders/settings.html")]
struct SettingsPage {
    layout: Layout,
    municipality_id: i64,
    base: super::Params,
    /// The participation window when none is set (3).
    absence_default: i64,
    /// Its bounds (1–20).
    absence_bounds: (i64, i64),
    form: FormData,
    errors: Errors,
    /// Shown after a successful save (Post/Redirect/Get lands here with `?saved=1`).
    saved: bool,
}

fn settings_page(
    id: i64,
    name: &str,
    base: super::Params,
    form: FormData,
    errors: Errors,
    status: StatusCode,
    saved: bool,
) -> PageResult {
    let page = SettingsPage {
        saved,
        layout: Layout::new(format!("{name} の通知設定"))
            .crumb(format!("/city/{id}"), name.to_string()),
        municipality_id: id,
        base,
        absence_default: super::ABSENCE_WINDOW_DEFAULT,
        absence_bounds: super::ABSENCE_WINDOW,
        form,
        errors,
    };
    render_with_status(&page, status)
}

fn opt(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

#[handler]
pub async fn settings_form(Data(state): Data<&AppState>, city: CityOf, uri: &Uri) -> PageResult {
    let saved = uri.query().is_some_and(|q| q.contains("saved=1"));
    let id = city.municipality_id();
    let m = crate::municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let o = store::overrides(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let base = state.jobs.overdue_params();
    let form = FormData::from_pairs([
        ("days_before_due", opt(o.days_before_due)),
        ("repeat_interval_days", opt(o.repeat_interval_days)),
        ("escalation_after_days", opt(o.escalation_after_days)),
        ("absence_window", opt(o.absence_window)),
    ]);
    settings_page(
        id,
        &m.name,
        base,
        form,
        Errors::none(""),
        StatusCode::OK,
        saved,
    )
}

#[handler]
pub async fn save_settings(Data(state): Data<&AppState>, city: CityOf, body: Body) -> PageResult {
    let id = city.municipality_id();
    let m = crate::municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let base = state.jobs.overdue_params();
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let o = Overrides {
        days_before_due: p.number(&form, "days_before_due", "期限前の通知日数"),
        repeat_interval_days: p.number(&form, "repeat_interval_days", "再通知の間隔"),
        escalation_after_days: p.number(&form, "escalation_after_days", "事務局への通知までの日数"),
        absence_window: p.number(&form, "absence_window", "参画なしとする直近の会議数"),
    };
    let result = if p.is_ok() {
        store::save_overrides(&state.db, base, &city, &o, state.clock.now()).await
    } else {
        Err(p.into_error::<()>(&form, Ok(())))
    };
    match result {
        Ok(()) => see_other(format!("/city/{id}/reminders?saved=1")),
        Err(e) if is_form_error(&e) => {
            let status = e.status();
            settings_page(
                id,
                &m.name,
                base,
                form,
                Errors::from_error(&e, ""),
                status,
                false,
            )
        }
        Err(e) => Err(fail(e)),
    }
}

struct DeliveryRow {
    d: Delivery,
    state_label: &'static str,
    /// 「北区: 多職種研修の評価（54日超過）」 per item.
    items: Vec<String>,
    /// Failed or refused, and the reader may resend it (「再送する」).
    resend: bool,
    /// When it was created, Asia/Tokyo wall-clock time.
    created_at: String,
}

#[derive(Template)]
#[template(path = "reminders/deliveries.html")]
struct DeliveriesPage {
    layout: Layout,
    rows: Vec<DeliveryRow>,
    /// Messages beside the filters that could not be read (those filters
    /// are left out, and the page says so).
    errors: Errors,
    /// The wards the reader may see, the chosen one selected.
    wards: Vec<crate::web::page::Choice>,
    /// The states with their labels, the chosen one selected.
    states: Vec<crate::web::page::Choice>,
    from: String,
    to: String,
    /// The filters as given (the resend buttons carry them back).
    state_filter: String,
    ward_filter: String,
    /// A message was just queued again (`?resent=ID` after 「再送する」).
    resent: bool,
    pager: crate::web::page::Pager,
    /// The filters as a query string, for the CSV links.
    csv_query: String,
}

pub use super::state_label;

/// One listed item as the delivery log prints it:
/// 「北区: 研修の評価（5日超過）」, or with why it dropped out.
fn item_line(i: &store::DeliveryItem) -> String {
    let status = if i.days_overdue > 0 {
        format!("{}日超過", i.days_overdue)
    } else {
        format!("期限 {}", i.due_on)
    };
    match &i.dropped {
        Some(why) => format!("{}: {}（除外: {why}）", i.ward, i.title),
        None => format!("{}: {}（{status}）", i.ward, i.title),
    }
}

/// Where the delivery log lives (its pager's and error page's links).
const DELIVERIES_PATH: &str = "/reminders/deliveries";

/// The query keys that are the delivery log's filters (what its links keep).
const DELIVERY_FILTER_KEYS: [&str; 4] = ["ward_id", "state", "from", "to"];

/// The states the delivery log filters by, in the order it lists them.
const DELIVERY_STATES: [&str; 7] = [
    "queued",
    "retrying",
    "sending",
    "sent",
    "failed",
    "refused",
    "cancelled",
];

/// The delivery log's filters read from the query string: the values the
/// store narrows by, the messages for unreadable ones (those are left out;
/// the reader's view always applies), and the filters as given.
struct DeliveryFilters {
    ward_id: Option<i64>,
    state: Option<&'static str>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    errors: Errors,
    kept: FormData,
}

impl DeliveryFilters {
    fn read(form: &FormData) -> Self {
        let mut p = FieldParser::default();
        let ward_id = p.number(form, "ward_id", "区");
        let state = p.label(form, "state", "状態", |s| {
            DELIVERY_STATES.iter().copied().find(|k| *k == s)
        });
        let (from, to) = p.date_range(form, "作成日（開始）", "作成日（終了）");
        let kept = form.only(&DELIVERY_FILTER_KEYS);
        Self {
            ward_id,
            state,
            from,
            to,
            errors: Errors {
                fields: p.errors,
                ..Errors::none("")
            },
            kept,
        }
    }

    /// The store's filter (borrowing the one state).
    fn store_filter<'a>(&self, states: &'a [&'a str]) -> store::DeliveryFilter<'a> {
        store::DeliveryFilter {
            ward_id: self.ward_id,
            states,
            from: self.from,
            to: self.to,
        }
    }
}

/// A stored instant (RFC 3339) as Asia/Tokyo wall-clock time,
/// `2026-11-24 12:00`; anything else as it is.
fn tokyo_minute(stored: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => stored.to_string(),
    }
}

/// `/reminders/deliveries`: the delivery log of the wards the reader may
/// see, newest first, 50 a page, filtered by ward, state and creation
/// dates, with the CSV of the whole filtered log beside it.
#[handler]
pub async fn deliveries(
    Data(state): Data<&AppState>,
    view: crate::access::Visible,
    req: &poem::Request,
    uri: &Uri,
) -> PageResult {
    // The jobs page is the city's: its crumb only for city-level accounts.
    let city_level = crate::web::auth::actor(req).is_ok_and(|a| a.is_city_level());
    let form = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let page_no = crate::web::page::page_number(DELIVERIES_PATH, &form)?;
    let f = DeliveryFilters::read(&form);
    let states: Vec<&str> = f.state.into_iter().collect();
    let page = store::deliveries_matching(
        &state.db,
        view,
        &f.store_filter(&states),
        crate::web::page::page_paging(page_no),
    )
    .await
    .map_err(fail)?;
    // Every row is of the view's municipality (`admin`'s view names none,
    // and `admin` writes every ward): the page kit decides the button.
    let municipality_id = view.municipality_id().unwrap_or_default();
    let pager = crate::web::page::Pager::new(
        DELIVERIES_PATH,
        &f.kept,
        page_no,
        page.total,
        page.items.len(),
    );
    let rows = page
        .items
        .into_iter()
        .map(|d| DeliveryRow {
            state_label: state_label(&d.state),
            items: d.items.iter().map(item_line).collect(),
            resend: super::RESENDABLE.contains(&d.state.as_str())
                && d.ward_id
                    .is_some_and(|w| crate::web::page::reader_writes(w, municipality_id)),
            created_at: tokyo_minute(&d.created_at),
            d,
        })
        .collect();
    let wards = crate::wards::store::list(&state.db, view, None)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.id.to_string(), w.name));
    let status = if f.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_with_status(
        &DeliveriesPage {
            layout: if city_level {
                Layout::new("通知メールの送信履歴").crumb("/jobs", "定期処理と通知メール")
            } else {
                Layout::new("通知メールの送信履歴")
            },
            rows,
            wards: crate::web::page::choices(&f.kept, "ward_id", wards),
            states: crate::web::page::choices(
                &f.kept,
                "state",
                DELIVERY_STATES
                    .iter()
                    .map(|s| (s.to_string(), state_label(s).to_string())),
            ),
            from: f.kept.value("from").to_string(),
            to: f.kept.value("to").to_string(),
            state_filter: f.state.unwrap_or("").to_string(),
            ward_filter: f.ward_id.map(|w| w.to_string()).unwrap_or_default(),
            resent: form.non_empty("resent").is_some(),
            csv_query: f.kept.query_without("page"),
            pager,
            errors: f.errors,
        },
        status,
    )
}

/// `/reminders/deliveries.csv`: the whole delivery log the same filters
/// select, newest first, with the page's columns and nothing more (no
/// subjects or bodies); `?encoding=sjis` for Shift_JIS. Unreadable filters
/// answer a 422 error page naming them, never a different list.
#[handler]
pub async fn deliveries_csv(
    Data(state): Data<&AppState>,
    view: crate::access::Visible,
    uri: &Uri,
) -> PageResult {
    use crate::report::pages::{csv_fail, csv_fail_at};
    use crate::spreadsheet::{Cell, Encoding, Table};
    let form = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let f = DeliveryFilters::read(&form);
    if f.errors.any() {
        return Err(csv_fail(crate::error::AppError::Invalid(f.errors.fields)));
    }
    let encoding = Encoding::from_param(form.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let states: Vec<&str> = f.state.into_iter().collect();
    let all = store::deliveries_matching(&state.db, view, &f.store_filter(&states), Paging::all())
        .await
        .map_err(fail)?;
    let mut table = Table::new(&[
        "宛先の種類",
        "宛先",
        "対応策",
        "状態",
        "試行回数",
        "最後のエラー",
        "作成日時",
    ]);
    for d in &all.items {
        table.push(vec![
            Cell::text(if d.recipient_kind == "secretariat" {
                "事務局"
            } else {
                "担当委員"
            }),
            Cell::text(&d.recipient),
            Cell::text(d.items.iter().map(item_line).collect::<Vec<_>>().join("\n")),
            Cell::text(state_label(&d.state)),
            Cell::value(d.attempts),
            Cell::text(d.last_error.as_deref().unwrap_or("")),
            Cell::value(tokyo_minute(&d.created_at)),
        ]);
    }
    let bytes = table.to_bytes(encoding).map_err(csv_fail_at(Some(uri)))?;
    let name = format!("通知メールの送信履歴_{}.csv", state.clock.today());
    Ok(crate::spreadsheet::download(bytes, encoding, &name))
}

/// `POST /reminders/deliveries/{id}/resend`, the 「再送する」 button beside a
/// failed or refused message on the delivery log and the ward dashboard:
/// queues it again ([`store::resend`]) and goes back to the page the button
/// was on (`back=dashboard`, or the delivery log with its filters), which
/// says so. A message in another state answers the 409 page.
#[handler]
pub async fn resend(
    Data(state): Data<&AppState>,
    message: crate::access::OutboxWrite,
    body: Body,
) -> PageResult {
    let form = FormData::parse(&body.into_vec().await?);
    store::resend(&state.db, &message, state.clock.now())
        .await
        .map_err(fail)?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    if form.value("back") == "dashboard" {
        query.append_pair("resent", &message.id().to_string());
        return see_other(format!("/wards/{}?{}", message.ward_id(), query.finish()));
    }
    if let Some(w) = form
        .non_empty("ward_id")
        .and_then(|w| w.parse::<i64>().ok())
    {
        query.append_pair("ward_id", &w.to_string());
    }
    if let Some(s) = form.non_empty("state").filter(|s| state_label(s) != "不明") {
        query.append_pair("state", s);
    }
    // Back to the same dates and page of the log (what is unreadable is
    // dropped: the log would only refuse it again).
    for key in ["from", "to"] {
        if let Some(d) = form
            .non_empty(key)
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        {
            query.append_pair(key, &d.to_string());
        }
    }
    if let Some(p) = form
        .non_empty("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p > 1)
    {
        query.append_pair("page", &p.to_string());
    }
    query.append_pair("resent", &message.id().to_string());
    see_other(format!("/reminders/deliveries?{}", query.finish()))
}
