//! `/report/{period}`: the printable report, and a CSV per chart at
//! `/report/{period}/csv/{chart}` (`?encoding=sjis` for Shift_JIS).

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::Report;
use crate::access::{CityView, WardRead};
use crate::charts::{self, Chart};
use crate::error::AppError;
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::survey::parse_period;
use crate::web::page::{Layout, PageResult, error_page, fail, path_param, render};

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    encoding: Option<String>,
}

struct ChartView {
    chart: Chart,
    svg: std::sync::Arc<str>,
    csv_href: String,
}

/// One section of 資料1 (ア〜キ) with its charts and 【課題】.
struct SectionView {
    key: &'static str,
    title: &'static str,
    charts: Vec<ChartView>,
    issue: super::IssueSection,
}

#[derive(Template)]
#[template(path = "report/report.html")]
struct ReportPage {
    layout: Layout,
    report: Report,
    sections: Vec<SectionView>,
    /// Kept on the CSV links (`municipality_id=…&`).
    query: String,
    /// One ward's own charts (its draft counts too), not the city's report.
    ward_view: bool,
    /// Where the city edits its summaries (when the report is one city's).
    summaries_href: Option<String>,
}

#[handler]
pub async fn report_page(
    Data(state): Data<&AppState>,
    view: CityView,
    req: &poem::Request,
) -> PageResult {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let report = super::store::load(&state.db, &view, period)
        .await
        .map_err(fail)?;
    let query = view
        .municipality_id()
        .map(|m| format!("municipality_id={m}&"))
        .unwrap_or_default();
    let title = format!(
        "{} 在宅医療・介護連携推進事業 取組み状況 結果",
        report.period_label
    );
    // The summaries' form is the city's to edit.
    let summaries_href = view
        .municipality_id()
        .filter(|m| crate::web::page::reader_writes_city(*m))
        .map(|m| format!("/city/{m}/surveys/{}/summaries", report.period));
    page(
        &state.charts,
        report,
        query,
        Layout::new(title),
        "/report",
        false,
        summaries_href,
    )
}

/// `/wards/{id}/report/{period}`: the charts of one ward alone (its saved
/// answers, draft or submitted), with the same layout and CSV downloads.
#[handler]
pub async fn ward_report(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &poem::Request,
) -> PageResult {
    let id = scope.ward_id();
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let report = super::store::load_for_ward(&state.db, &ward, period)
        .await
        .map_err(fail)?;
    let layout = Layout::in_ward(
        format!("{} 集計グラフ（{}）", ward.name, report.period_label),
        &ward,
        "dashboard",
    );
    page(
        &state.charts,
        report,
        String::new(),
        layout,
        &format!("/wards/{id}/report"),
        true,
        None,
    )
}

/// `/wards/{id}/report`: the ward's charts of the half-year that ended last.
#[handler]
pub async fn ward_report_latest(Data(state): Data<&AppState>, scope: WardRead) -> PageResult {
    let id = scope.ward_id();
    let period = crate::calendar::Period::containing(state.clock.today()).previous();
    crate::web::page::see_other(format!("/wards/{id}/report/{}", period.code()))
}

/// Renders a report, its charts drawn through `drawings`; `base` is where
/// its CSV links hang (`{base}/{period}/csv/{chart}`).
fn page(
    drawings: &charts::Cache,
    report: Report,
    query: String,
    layout: Layout,
    base: &str,
    ward_view: bool,
    summaries_href: Option<String>,
) -> PageResult {
    let sections = report
        .issues
        .iter()
        .map(|issue| SectionView {
            key: issue.section.as_str(),
            title: issue.section.title(),
            charts: report
                .charts
                .iter()
                .filter(|c| c.section == issue.section)
                .map(|c| ChartView {
                    // Count tables are shown as tables: nothing to draw.
                    svg: if c.chart.stacked {
                        drawings.svg(&c.chart)
                    } else {
                        std::sync::Arc::from("")
                    },
                    csv_href: format!("{base}/{}/csv/{}", report.period, c.chart.id),
                    chart: c.chart.clone(),
                })
                .collect(),
            issue: issue.clone(),
        })
        .collect();
    let page = ReportPage {
        layout,
        report,
        sections,
        query,
        ward_view,
        summaries_href,
    };
    Ok(poem::IntoResponse::into_response(render(&page)?))
}

/// A CSV failure as a page that lists every cell at fault (a download link
/// has no form to show errors beside).
pub fn csv_fail(err: AppError) -> poem::Error {
    csv_fail_at(None)(err)
}

/// [`csv_fail`] for the download at `uri`: when every cell at fault has a
/// Windows-31J look-alike, the page links to the same download with
/// `encoding=sjis-lookalike`, so nobody has to edit a URL to get it.
pub fn csv_fail_at(uri: Option<&poem::http::Uri>) -> impl Fn(AppError) -> poem::Error + '_ {
    move |err| {
        let status = err.status();
        let mut message = err.public_message();
        for e in err.field_errors() {
            message.push_str(&format!(" ／ {}：{}", e.field, e.message));
        }
        let lookalikes_do = !err.field_errors().is_empty()
            && err
                .field_errors()
                .iter()
                .all(|e| e.message.contains("encoding=sjis-lookalike"));
        let action = uri.filter(|_| lookalikes_do).map(|uri| {
            let kept: Vec<&str> = uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("encoding="))
                .chain(["encoding=sjis-lookalike"])
                .collect();
            (
                format!("{}?{}", uri.path(), kept.join("&")),
                "似た文字（￥ など）に置き換えて Shift_JIS で出力する".to_string(),
            )
        });
        poem::Error::from_response(crate::web::page::error_page_with(status, &message, action))
    }
}

#[handler]
pub async fn chart_csv(
    Data(state): Data<&AppState>,
    view: CityView,
    req: &poem::Request,
    Query(q): Query<ReportQuery>,
) -> poem::Result<Response> {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let chart = path_param(req, "chart");
    let encoding = Encoding::from_param(q.encoding.as_deref())
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let report = super::store::load(&state.db, &view, period)
        .await
        .map_err(fail)?;
    send_chart(&report, &chart, encoding, req.uri())
}

#[handler]
pub async fn ward_chart_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &poem::Request,
    Query(q): Query<ReportQuery>,
) -> poem::Result<Response> {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let chart = path_param(req, "chart");
    let encoding = Encoding::from_param(q.encoding.as_deref())
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let report = super::store::load_for_ward(&state.db, &ward, period)
        .await
        .map_err(fail)?;
    send_chart(&report, &chart, encoding, req.uri())
}

fn send_chart(
    report: &Report,
    chart: &str,
    encoding: Encoding,
    uri: &poem::http::Uri,
) -> poem::Result<Response> {
    let Some(chart) = report.chart(chart) else {
        return Err(poem::Error::from_response(error_page(
            StatusCode::NOT_FOUND,
            "指定されたグラフは見つかりません",
        )));
    };
    let bytes = chart
        .chart
        .table()
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(uri)))?;
    let name = format!(
        "{}_{}_{}.csv",
        report.period_label,
        chart.section.as_str(),
        chart.chart.title
    );
    Ok(spreadsheet::download(bytes, encoding, &name))
}
