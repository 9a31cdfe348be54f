//! `/wards/{id}/trends`: 半期ごとの推移 of a ward (a strip per topic over
//! the half-years, with its table; the meetings, topics covered and overdue
//! evaluations per half-year; the city's distribution), and its CSV at
//! `/wards/{id}/trends.csv` (`?encoding=sjis` for Shift_JIS). Both take
//! `?period=2026H1&halves=6`.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};

use super::{Compact, STAGE_LEVELS, WardTrends};
use crate::access::WardRead;
use crate::calendar::Period;
use crate::charts::trend::{Strip, StripRow, short_period, stage_strip};
use crate::error::AppError;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::web::page::{Errors, FormData, Layout, PageResult, date_label, fail, render};

/// The query of a page over half-years: `period`, `halves` and (CSV)
/// `encoding`, read with a Japanese message for each value that cannot be.
pub struct HalvesQuery {
    pub period: Period,
    pub halves: i64,
    /// The values as given, for the form.
    pub period_text: String,
    pub halves_text: String,
    /// Messages beside the fields; the values at fault fall back to their
    /// defaults.
    pub errors: Errors,
    pub form: FormData,
}

impl HalvesQuery {
    /// Reads `?period=&halves=`; `default` is the period when none is given.
    pub fn read(req: &Request, default: Period, today: chrono::NaiveDate) -> Self {
        let form = FormData::parse(req.uri().query().unwrap_or("").as_bytes());
        let mut fields = Vec::new();
        let period =
            super::parse_period(form.non_empty("period"), default, today).unwrap_or_else(|e| {
                fields.extend(e.field_errors().iter().cloned());
                default
            });
        let halves = super::parse_halves(form.non_empty("halves")).unwrap_or_else(|e| {
            fields.extend(e.field_errors().iter().cloned());
            super::DEFAULT_HALVES
        });
        HalvesQuery {
            period,
            halves,
            period_text: form.value("period").to_string(),
            halves_text: form.value("halves").to_string(),
            errors: Errors {
                fields,
                ..Errors::none("")
            },
            form,
        }
    }

    /// The errors as one `AppError` (a CSV download has no form to show them in).
    pub fn check(&self) -> Result<(), AppError> {
        if self.errors.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors.fields.clone()))
        }
    }

    /// The query to carry on links (`period=…&halves=…&`), the valid values only.
    pub fn carried(&self) -> String {
        let mut q = String::new();
        if !self.period_text.is_empty() && self.errors.get("period").is_none() {
            q.push_str(&format!("period={}&", self.period.code()));
        }
        if !self.halves_text.is_empty() && self.errors.get("halves").is_none() {
            q.push_str(&format!("halves={}&", self.halves));
        }
        q
    }

    /// The status of a page that shows these errors.
    pub fn status(&self) -> StatusCode {
        if self.errors.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// One cell of the stage table.
struct Cell {
    stage: String,
    class: &'static str,
    covered: bool,
}

struct TopicRow {
    number: i64,
    label: String,
    cells: Vec<Cell>,
    /// The city's distribution in the last half-year, by [`STAGE_LEVELS`].
    city: [i64; 4],
    /// The ward's stage in the last half-year.
    last: String,
}

#[derive(Template)]
#[template(path = "trends.html")]
struct TrendsPage {
    layout: Layout,
    ward_id: i64,
    q: HalvesQuery,
    /// The query's messages (what `_summary.html` shows).
    errors: Errors,
    t: WardTrends,
    trends_compact: Compact,
    /// The compact table's city column (the page shows the distribution
    /// in full below instead).
    trends_city: Vec<super::CityStageTopics>,
    headings: Vec<String>,
    strip: String,
    rows: Vec<TopicRow>,
    levels: [&'static str; 4],
    /// The last half-year, as shown.
    last_label: String,
    /// The running half-year is among those shown: 「本日時点」.
    running: Option<String>,
    csv_query: String,
}

fn stage_class(label: &str) -> &'static str {
    match label {
        "評価改善" => "stage-evaluated",
        "具体化" => "stage-planned",
        "未具体化" => "stage-identified",
        _ => "stage-none",
    }
}

fn level_of(label: &str) -> usize {
    STAGE_LEVELS.iter().position(|l| *l == label).unwrap_or(3)
}

/// The strip of the ward's stage per topic over the half-years.
fn strip(t: &WardTrends, headings: &[String]) -> Strip {
    Strip {
        id: "trend-stages".into(),
        title: format!("{} 対応策の具体化の推移（会議の内容別）", t.ward_name),
        description: format!(
            "会議の内容1〜10ごとに、{}の各半期末時点の段階（{}）を左から古い順に示します。同じ内容の表が下にあります。",
            t.ward_name,
            STAGE_LEVELS.join("・")
        ),
        columns: headings.to_vec(),
        levels: STAGE_LEVELS.iter().map(|s| s.to_string()).collect(),
        marks: ["評価改善", "具体化", "未具体化", "なし"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: t
            .topics
            .iter()
            .map(|topic| StripRow {
                label: format!("{}. {}", topic.topic, topic.label),
                cells: topic
                    .points
                    .iter()
                    .map(|p| level_of(&p.stage_label))
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /wards/{id}/trends`.
#[handler]
pub async fn trends_page(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &Request,
) -> PageResult {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today), today);
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let t = super::store::load(&state.db, &scope, q.period, q.halves, today)
        .await
        .map_err(fail)?;
    let headings: Vec<String> = t.periods.iter().map(|p| short_period(&p.label)).collect();
    let last = t.periods.len() - 1;
    let rows = t
        .topics
        .iter()
        .map(|topic| TopicRow {
            number: topic.topic,
            label: topic.label.clone(),
            cells: topic
                .points
                .iter()
                .map(|p| Cell {
                    class: stage_class(&p.stage_label),
                    stage: p.stage_label.clone(),
                    covered: p.covered,
                })
                .collect(),
            city: topic.points[last].city.in_order(),
            last: topic.points[last].stage_label.clone(),
        })
        .collect();
    let running = t.periods.iter().find(|p| p.running).map(|p| {
        format!(
            "{}は本日（{}）時点の記録です。",
            p.label,
            date_label(p.as_of)
        )
    });
    let page = TrendsPage {
        layout: Layout::in_ward(format!("{} 半期ごとの推移", ward.name), &ward, "trends"),
        ward_id: ward.id,
        strip: stage_strip(&strip(&t, &headings)),
        trends_compact: Compact::of(&t),
        trends_city: Vec::new(),
        last_label: t.periods[last].label.clone(),
        csv_query: q.carried(),
        headings,
        rows,
        levels: STAGE_LEVELS,
        running,
        errors: q.errors.clone(),
        q,
        t,
    };
    let status = page.q.status();
    Ok(render(&page)?.with_status(status).into_response())
}

/// `GET /wards/{id}/trends.csv`: one line per half-year and topic. A bad
/// `period` or `halves` answers an error page (422) naming it.
#[handler]
pub async fn trends_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &Request,
) -> poem::Result<Response> {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today), today);
    let encoding = Encoding::from_param(q.form.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    q.check().map_err(csv_fail)?;
    let t = super::store::load(&state.db, &scope, q.period, q.halves, today)
        .await
        .map_err(fail)?;
    let bytes = super::table(&t)
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    let name = format!("{}_半期ごとの推移_{}.csv", t.ward_name, q.period.code());
    Ok(spreadsheet::download(bytes, encoding, &name))
}
