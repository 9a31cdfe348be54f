//! The pages of PDCAの進み具合: `/wards/{id}/progress` (one ward, with the
//! rounds behind its rate and its 停滞 countermeasures) and
//! `/city/{id}/progress` (every ward side by side, sortable by each column,
//! with the city total), each with its CSV for Excel at `…/progress.csv`
//! (`?encoding=sjis` for Shift_JIS, as the report's). `?period=2026H1`
//! or `2026` (the current half-year when absent); a bad code shows the
//! page again with the message beside the field (422).

use askama::Template;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{CityProgress, Figures, Sort, SortKey, WardProgress, span_param};
use crate::access::{CityRead, WardRead};
use crate::calendar::Span;
use crate::charts::{self, Chart};
use crate::error::AppError;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Cell, Encoding, Table};
use crate::state::AppState;
use crate::web::page::{
    Errors, FormData, Layout, PageResult, Pager, PagerList, date_label, fail, page_number_of,
    page_paging, render_with_status, topic_label,
};

#[derive(Debug, Deserialize)]
pub struct ProgressQuery {
    period: Option<String>,
    sort: Option<String>,
    encoding: Option<String>,
}

/// The figures of one line as the tables print them.
struct Cells {
    due: i64,
    on_time: i64,
    late: i64,
    missed: i64,
    pending: i64,
    postponed: i64,
    /// `67%`, or `－` when no round is judged.
    rate: String,
    overdue: i64,
    overdue_longest: String,
    overdue_median: String,
    to_planned: String,
    to_planned_count: i64,
    to_evaluated: String,
    to_evaluated_count: i64,
    stuck: i64,
    /// `1, 7, 9`, or `なし`.
    topics_without: String,
    topics_without_count: usize,
}

fn days(d: Option<i64>) -> String {
    d.map_or_else(|| "－".into(), |d| format!("{d}日"))
}

impl Cells {
    fn of(f: &Figures) -> Cells {
        Cells {
            due: f.rounds.due,
            on_time: f.rounds.on_time,
            late: f.rounds.late,
            missed: f.rounds.missed,
            pending: f.rounds.pending,
            postponed: f.rounds.postponed,
            rate: f
                .rounds
                .on_time_rate
                .as_ref()
                .map_or_else(|| "－".into(), |r| format!("{r}%")),
            overdue: f.overdue.count,
            overdue_longest: days(f.overdue.longest_days),
            overdue_median: days(f.overdue.median_days),
            to_planned: days(f.to_planned.median_days),
            to_planned_count: f.to_planned.count,
            to_evaluated: days(f.to_evaluated.median_days),
            to_evaluated_count: f.to_evaluated.count,
            stuck: f.stuck,
            topics_without: if f.topics_without.is_empty() {
                "なし".into()
            } else {
                f.topics_without
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            topics_without_count: f.topics_without.len(),
        }
    }
}

/// Links to the neighbouring periods and to the other kind of period.
struct PeriodNav {
    code: String,
    label: String,
    range: String,
    previous: (String, String),
    next: (String, String),
    /// The fiscal year of a half-year, or the current half-year of a year.
    other: (String, String),
}

fn period_nav(span: Span, today: NaiveDate) -> PeriodNav {
    let link = |s: Span| (s.code(), s.label());
    let other = match span {
        Span::Half(p) => Span::FiscalYear(p.fiscal_year),
        Span::FiscalYear(_) => Span::Half(crate::calendar::Period::containing(today)),
    };
    PeriodNav {
        code: span.code(),
        label: span.label(),
        range: format!("{} 〜 {}", date_label(span.start()), date_label(span.end())),
        previous: link(span.previous()),
        next: link(span.next()),
        other: link(other),
    }
}

struct RoundRow {
    id: i64,
    title: String,
    topic: String,
    started: String,
    due: String,
    outcome: &'static str,
    evaluated: String,
    postponed: bool,
}

struct StuckView {
    id: i64,
    title: String,
    topic: String,
    stage: String,
    since: String,
}

#[derive(Template)]
#[template(path = "progress_ward.html")]
struct WardPage {
    layout: Layout,
    ward_id: i64,
    /// The code as typed, shown again in the field.
    period_input: String,
    /// A bad `?period=`, beside the field (`f-period`) and in the summary.
    errors: Errors,
    nav: Option<PeriodNav>,
    as_of: String,
    stuck_since: String,
    cells: Option<Cells>,
    topics_without: Vec<String>,
    rounds: Vec<RoundRow>,
    /// The rounds' pages (`?rounds_page=`); none before the period is read.
    rounds_pager: Option<Pager>,
    stuck: Vec<StuckView>,
    /// The 停滞 list's pages (`?stuck_page=`).
    stuck_pager: Option<Pager>,
    csv_utf8: String,
    csv_sjis: String,
}

/// The two lists of the ward page, each paged by its own parameter, their
/// links jumping to the list's section.
const ROUNDS_LIST: (&str, &str, &str) = ("rounds_page", "rounds", "評価の周期のページ送り");
const STUCK_LIST: (&str, &str, &str) = ("stuck_page", "stuck", "停滞している対応策のページ送り");

fn pager_list<'a>(path: &'a str, list: (&'a str, &'a str, &'a str)) -> PagerList<'a> {
    PagerList {
        path,
        key: list.0,
        anchor: Some(list.1),
        label: list.2,
    }
}

fn outcome(r: &super::store::Round, today: NaiveDate) -> &'static str {
    match r.evaluated_on {
        Some(e) if e <= r.first_due_on => "期限内評価",
        Some(_) => "期限後評価",
        None if r.ended_on.is_some() || r.first_due_on < today => "未評価",
        None => "期限前",
    }
}

/// `GET /wards/{id}/progress`: one ward's figures over `?period=`, its
/// rounds and 停滞 lists 50 rows a page (`?rounds_page=`, `?stuck_page=`;
/// one that is not a whole number from 1 is a Japanese 400 page).
#[handler]
pub async fn ward_page(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<ProgressQuery>,
    uri: &poem::http::Uri,
) -> PageResult {
    let today = state.clock.today();
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let layout = Layout::in_ward(format!("{} PDCAの進み具合", ward.name), &ward, "progress");
    let typed = q.period.clone().unwrap_or_default();
    let mut page = WardPage {
        layout,
        ward_id: ward.id,
        period_input: typed.clone(),
        errors: Errors::none("f-"),
        nav: None,
        as_of: date_label(today),
        stuck_since: date_label(super::stuck_since(today)),
        cells: None,
        topics_without: Vec::new(),
        rounds: Vec::new(),
        rounds_pager: None,
        stuck: Vec::new(),
        stuck_pager: None,
        csv_utf8: String::new(),
        csv_sjis: String::new(),
    };
    let span = match span_param(q.period.as_deref(), today) {
        Ok(span) => span,
        Err(e) => {
            page.errors = Errors::from_error(&e, "f-");
            return render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let filter = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let path = format!("/wards/{}/progress", ward.id);
    let rounds_page = page_number_of(&path, &filter, ROUNDS_LIST.0)?;
    let stuck_page = page_number_of(&path, &filter, STUCK_LIST.0)?;
    let progress = super::store::ward(&state.db, &scope, span, today)
        .await
        .map_err(fail)?;
    let rounds = super::store::rounds(&state.db, &scope, span, page_paging(rounds_page))
        .await
        .map_err(fail)?;
    let stuck = super::store::stuck_page(&state.db, &scope, today, page_paging(stuck_page))
        .await
        .map_err(fail)?;
    page.rounds_pager = Some(Pager::of(
        pager_list(&path, ROUNDS_LIST),
        &filter,
        rounds_page,
        rounds.total,
        rounds.items.len(),
    ));
    page.stuck_pager = Some(Pager::of(
        pager_list(&path, STUCK_LIST),
        &filter,
        stuck_page,
        stuck.total,
        stuck.items.len(),
    ));
    let code = span.code();
    page.period_input = code.clone();
    page.nav = Some(period_nav(span, today));
    page.topics_without = progress
        .figures
        .topics_without
        .iter()
        .map(|t| topic_label(*t))
        .collect();
    page.cells = Some(Cells::of(&progress.figures));
    page.rounds = rounds
        .items
        .iter()
        .map(|r| RoundRow {
            id: r.countermeasure_id,
            title: r.title.clone(),
            topic: topic_label(r.topic),
            started: date_label(r.started_on),
            due: date_label(r.first_due_on),
            outcome: outcome(r, today),
            evaluated: r.evaluated_on.map(date_label).unwrap_or_default(),
            postponed: r.postponed,
        })
        .collect();
    page.stuck = stuck
        .items
        .into_iter()
        .map(|s| StuckView {
            id: s.id,
            title: s.title,
            topic: topic_label(s.topic),
            stage: s.stage,
            since: s.since.map(date_label).unwrap_or_default(),
        })
        .collect();
    page.csv_utf8 = format!("/wards/{}/progress.csv?period={code}", ward.id);
    page.csv_sjis = format!("{}&encoding=sjis", page.csv_utf8);
    render_with_status(&page, StatusCode::OK)
}

/// One sortable column header.
struct Header {
    label: &'static str,
    href: String,
    /// `ascending`/`descending` when the table is sorted by it.
    aria_sort: Option<&'static str>,
}

struct CityRow {
    ward_id: i64,
    name: String,
    cells: Cells,
}

#[derive(Template)]
#[template(path = "progress_city.html")]
struct CityPage {
    layout: Layout,
    municipality_id: i64,
    period_input: String,
    sort_input: String,
    /// A bad `?period=` beside its field; a bad `?sort=` (a hidden field)
    /// in the summary only.
    errors: Errors,
    nav: Option<PeriodNav>,
    as_of: String,
    stuck_since: String,
    headers: Vec<Header>,
    rows: Vec<CityRow>,
    total: Option<Cells>,
    chart: Option<(Chart, std::sync::Arc<str>)>,
    csv_utf8: String,
    csv_sjis: String,
}

/// The sortable headers: a column sorted ascending links to descending,
/// any other to ascending.
fn headers(period: &str, sort: Sort, base: &str) -> Vec<Header> {
    SortKey::ALL
        .iter()
        .map(|(key, code, label)| {
            let current = sort.key == *key;
            let next = if current && !sort.descending {
                format!("-{code}")
            } else {
                code.to_string()
            };
            Header {
                label,
                href: format!("{base}?period={period}&sort={next}"),
                aria_sort: current.then_some(if sort.descending {
                    "descending"
                } else {
                    "ascending"
                }),
            }
        })
        .collect()
}

/// The rounds' outcomes per ward as 100 % bars (the table beside it holds
/// the same counts); only for a city's tens of wards.
fn outcome_chart(p: &CityProgress) -> Option<Chart> {
    const MAX_WARDS: usize = 60;
    if p.wards.len() > MAX_WARDS || p.total.rounds.due == 0 {
        return None;
    }
    Some(Chart {
        id: "progress-outcomes".into(),
        title: format!("{} に評価期限を迎えた評価の周期", p.period.label),
        n: p.total.rounds.due,
        levels: ["期限内評価", "期限後評価", "未評価", "期限前"]
            .map(String::from)
            .to_vec(),
        rows: p
            .wards
            .iter()
            .map(|w| charts::Row {
                label: w.ward_name.clone(),
                counts: vec![
                    w.figures.rounds.on_time,
                    w.figures.rounds.late,
                    w.figures.rounds.missed,
                    w.figures.rounds.pending,
                ],
            })
            .collect(),
        stacked: true,
    })
}

/// `GET /city/{id}/progress`: the wards side by side over `?period=`,
/// sorted by `?sort=`.
#[handler]
pub async fn city_page(
    Data(state): Data<&AppState>,
    city: CityRead,
    Query(q): Query<ProgressQuery>,
) -> PageResult {
    let today = state.clock.today();
    let id = city.municipality_id();
    let municipality = crate::municipalities::store::get(&state.db, &city)
        .await
        .map_err(fail)?;
    let base = format!("/city/{id}/progress");
    let mut page = CityPage {
        layout: Layout::new(format!("{} PDCAの進み具合", municipality.name))
            .crumb(format!("/city/{id}"), municipality.name.clone()),
        municipality_id: id,
        period_input: q.period.clone().unwrap_or_default(),
        sort_input: q.sort.clone().unwrap_or_default(),
        errors: Errors::none("f-"),
        nav: None,
        as_of: date_label(today),
        stuck_since: date_label(super::stuck_since(today)),
        headers: Vec::new(),
        rows: Vec::new(),
        total: None,
        chart: None,
        csv_utf8: String::new(),
        csv_sjis: String::new(),
    };
    let parsed = span_param(q.period.as_deref(), today)
        .and_then(|span| Sort::parse(q.sort.as_deref()).map(|sort| (span, sort)));
    let (span, sort) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let mut errors = Errors::from_error(&e, "f-");
            if let Some(sort) = errors.get("sort") {
                errors.fields.retain(|f| f.field != "sort");
                errors.summary = Some(sort);
            }
            page.errors = errors;
            return render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let (_, progress) = super::store::city(&state.db, &city, span, today, sort)
        .await
        .map_err(fail)?;
    let code = span.code();
    page.period_input = code.clone();
    page.sort_input = sort.code();
    page.nav = Some(period_nav(span, today));
    page.headers = headers(&code, sort, &base);
    page.chart = outcome_chart(&progress).map(|c| {
        let svg = state.charts.svg(&c);
        (c, svg)
    });
    page.rows = progress
        .wards
        .iter()
        .map(|w| CityRow {
            ward_id: w.ward_id,
            name: w.ward_name.clone(),
            cells: Cells::of(&w.figures),
        })
        .collect();
    page.total = Some(Cells::of(&progress.total));
    page.csv_utf8 = format!("{base}.csv?period={code}&sort={}", sort.code());
    page.csv_sjis = format!("{}&encoding=sjis", page.csv_utf8);
    render_with_status(&page, StatusCode::OK)
}

/// The CSV's columns, the same for the ward and the city (one line each).
const CSV_HEADER: [&str; 19] = [
    "区",
    "期間",
    "評価予定（件）",
    "期限内評価（件）",
    "期限後評価（件）",
    "未評価（件）",
    "期限前（件）",
    "延期あり（件）",
    "期限内評価率（%）",
    "評価期限超過（件）",
    "最長超過日数",
    "超過日数の中央値",
    "未具体化→具体化（件）",
    "未具体化→具体化 中央値（日）",
    "具体化→評価改善（件）",
    "具体化→評価改善 中央値（日）",
    "停滞（件）",
    "対応策のない議題（件）",
    "対応策のない議題",
];

fn csv_line(name: &str, period: &str, f: &Figures) -> Vec<Cell> {
    let opt = |v: Option<i64>| v.map_or_else(|| Cell::value(""), Cell::value);
    vec![
        Cell::text(name),
        Cell::value(period),
        Cell::value(f.rounds.due),
        Cell::value(f.rounds.on_time),
        Cell::value(f.rounds.late),
        Cell::value(f.rounds.missed),
        Cell::value(f.rounds.pending),
        Cell::value(f.rounds.postponed),
        Cell::value(f.rounds.on_time_rate.clone().unwrap_or_default()),
        Cell::value(f.overdue.count),
        opt(f.overdue.longest_days),
        opt(f.overdue.median_days),
        Cell::value(f.to_planned.count),
        opt(f.to_planned.median_days),
        Cell::value(f.to_evaluated.count),
        opt(f.to_evaluated.median_days),
        Cell::value(f.stuck),
        Cell::value(f.topics_without.len()),
        Cell::value(
            f.topics_without
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    ]
}

fn send(table: Table, encoding: Encoding, name: &str, uri: &poem::http::Uri) -> PageResult {
    let bytes = table.to_bytes(encoding).map_err(csv_fail_at(Some(uri)))?;
    Ok(spreadsheet::download(bytes, encoding, name).into_response())
}

fn csv_request(q: &ProgressQuery, today: NaiveDate) -> Result<(Span, Encoding), AppError> {
    let encoding = Encoding::from_param(q.encoding.as_deref())?.unwrap_or(Encoding::Utf8);
    Ok((span_param(q.period.as_deref(), today)?, encoding))
}

/// `GET /wards/{id}/progress.csv`: the ward's line.
#[handler]
pub async fn ward_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<ProgressQuery>,
    req: &poem::Request,
) -> poem::Result<Response> {
    let today = state.clock.today();
    let (span, encoding) = csv_request(&q, today).map_err(csv_fail)?;
    let p: WardProgress = super::store::ward(&state.db, &scope, span, today)
        .await
        .map_err(fail)?;
    let mut table = Table::new(&CSV_HEADER);
    table.push(csv_line(&p.ward_name, &p.period.code, &p.figures));
    let name = format!("PDCAの進み具合_{}_{}.csv", p.ward_name, p.period.label);
    send(table, encoding, &name, req.uri())
}

/// `GET /city/{id}/progress.csv`: a line per ward in the page's order,
/// then the city total (市全体).
#[handler]
pub async fn city_csv(
    Data(state): Data<&AppState>,
    city: CityRead,
    Query(q): Query<ProgressQuery>,
    req: &poem::Request,
) -> poem::Result<Response> {
    let today = state.clock.today();
    let (span, encoding) = csv_request(&q, today).map_err(csv_fail)?;
    let sort = Sort::parse(q.sort.as_deref()).map_err(csv_fail)?;
    let (municipality, p) = super::store::city(&state.db, &city, span, today, sort)
        .await
        .map_err(fail)?;
    let mut table = Table::new(&CSV_HEADER);
    for w in &p.wards {
        table.push(csv_line(&w.ward_name, &p.period.code, &w.figures));
    }
    table.push(csv_line("市全体", &p.period.code, &p.total));
    let name = format!(
        "PDCAの進み具合_{}_{}.csv",
        municipality.name, p.period.label
    );
    send(table, encoding, &name, req.uri())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Compact, Figures, Tally};

    /// The dashboard's partial compiles against [`Compact`] and prints the
    /// ward beside the city.
    #[derive(Template)]
    #[template(source = "{% include \"progress_compact.html\" %}", ext = "html")]
    struct Dashboard {
        progress: Compact,
    }

    #[test]
    fn the_compact_partial_shows_the_ward_beside_the_city() {
        let ward = Tally {
            due: 3,
            on_time: 1,
            late: 1,
            ..Default::default()
        };
        let mut city = ward.clone();
        city.merge(&Tally {
            due: 1,
            on_time: 1,
            ..Default::default()
        });
        let page = Dashboard {
            progress: Compact {
                ward_id: 7,
                period: Span::parse("2026H2").unwrap().into(),
                as_of: "2026-11-24".parse().unwrap(),
                ward: Figures::of(&ward),
                city: Figures::of(&city),
            },
        };
        let html = page.render().unwrap();
        assert!(html.contains("PDCAの進み具合（令和8年度下半期）"), "{html}");
        assert!(
            html.contains("33%（1／3件）") && html.contains("50%（2／4件）"),
            "{html}"
        );
        assert!(html.contains("/wards/7/progress?period=2026H2"));
    }

    #[test]
    fn sorted_headers_link_to_the_other_direction() {
        let h = headers(
            "2026H1",
            Sort::parse(Some("rate")).unwrap(),
            "/city/1/progress",
        );
        let rate = &h[1];
        assert_eq!(rate.href, "/city/1/progress?period=2026H1&sort=-rate");
        assert_eq!(rate.aria_sort, Some("ascending"));
        assert_eq!(h[2].href, "/city/1/progress?period=2026H1&sort=due");
        assert_eq!(h[2].aria_sort, None);
    }
}
