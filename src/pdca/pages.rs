//! The PDCA sheet's faces: `GET /wards/{id}/pdca` (one page, printable on
//! A4) and `GET /wards/{id}/pdca.csv` (the same chain as rows for Excel,
//! `?encoding=sjis` for Shift_JIS). `?plan_period=2024-2026` picks the
//! plan period (the one containing today when absent); a malformed one is
//! a Japanese 400 page.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{IntoResponse, handler};
use serde::Deserialize;

use super::{Sheet, plan_period_param};
use crate::access::WardRead;
use crate::error::AppError;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Cell, Encoding, Table};
use crate::state::AppState;
use crate::web::page::{Layout, PageResult, error_page, fail, render_with_status, topic_label};

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    plan_period: Option<String>,
    encoding: Option<String>,
}

/// The ward as the layout names it.
struct WardOf<'a>(&'a Sheet);

impl crate::web::page::InWard for WardOf<'_> {
    fn ward_id(&self) -> i64 {
        self.0.ward_id
    }
    fn ward_name(&self) -> &str {
        &self.0.ward_name
    }
    fn municipality_id(&self) -> i64 {
        self.0.municipality_id
    }
    fn municipality_name(&self) -> &str {
        &self.0.municipality_name
    }
}

/// A malformed `?plan_period=`: its Japanese message on a 400 page.
fn bad_period(err: AppError) -> poem::Error {
    match err.field_errors().first() {
        Some(e) => poem::Error::from_response(error_page(StatusCode::BAD_REQUEST, &e.message)),
        None => fail(err),
    }
}

/// A vision as the page prints it.
struct VisionView {
    who: &'static str,
    body: String,
    sharing: String,
    cycle: String,
}

/// An indicator as the page and the CSV print it.
struct IndicatorView {
    level: String,
    name: String,
    unit: String,
    direction: String,
    scenes: String,
    baseline: String,
    target: String,
    latest: String,
    latest_period: String,
}

/// A countermeasure as the page and the CSV print it.
struct CountermeasureView {
    id: i64,
    title: String,
    topic: String,
    scenes: String,
    stage: String,
    owner: String,
    due: String,
    verdict: String,
    cycle: i64,
    indicators: String,
}

struct GroupView {
    scene: String,
    countermeasures: Vec<CountermeasureView>,
}

struct GoalView {
    scene: String,
    municipality_goal: String,
    ward_goal: String,
}

/// `値（期間）`, the value alone, or empty.
fn with_period(value: Option<&str>, period: Option<&str>) -> String {
    match (value, period) {
        (Some(v), Some(p)) if !p.is_empty() => format!("{v}（{p}）"),
        (Some(v), _) => v.to_string(),
        _ => String::new(),
    }
}

/// The sheet in the words the page and the CSV print.
struct Views {
    visions: Vec<VisionView>,
    goals: Vec<GoalView>,
    indicators: Vec<IndicatorView>,
    groups: Vec<GroupView>,
}

fn views(sheet: &Sheet) -> Views {
    let vision = |who: &'static str, v: &super::Vision| VisionView {
        who,
        body: v.body.clone(),
        sharing: v.sharing.clone(),
        cycle: format!("{}年", v.cycle_years),
    };
    let mut visions = Vec::new();
    if let Some(v) = &sheet.municipality_vision {
        visions.push(vision("市", v));
    }
    if let Some(v) = &sheet.ward_vision {
        visions.push(vision("区", v));
    }
    let unset = |g: &Option<String>| g.clone().unwrap_or_else(|| "未設定".into());
    Views {
        visions,
        goals: sheet
            .goals
            .iter()
            .map(|g| GoalView {
                scene: g.scene.clone(),
                municipality_goal: unset(&g.municipality_goal),
                ward_goal: unset(&g.ward_goal),
            })
            .collect(),
        indicators: sheet
            .indicators
            .iter()
            .map(|i| IndicatorView {
                level: i.level.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                direction: i.direction.clone(),
                scenes: i.scenes.join("・"),
                baseline: with_period(i.baseline_value.as_deref(), i.baseline_period.as_deref()),
                target: with_period(i.target_value.as_deref(), i.target_period.as_deref()),
                latest: match &i.latest {
                    Some(l) if l.city_wide => format!("{}（市全体）", l.value),
                    Some(l) => l.value.clone(),
                    None => "未測定".into(),
                },
                latest_period: i
                    .latest
                    .as_ref()
                    .map(|l| l.period.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        groups: sheet
            .groups
            .iter()
            .map(|g| GroupView {
                scene: g.scene.clone(),
                countermeasures: g
                    .countermeasures
                    .iter()
                    .map(|c| CountermeasureView {
                        id: c.id,
                        title: c.title.clone(),
                        topic: topic_label(c.topic),
                        scenes: c.scenes.join("・"),
                        stage: c.stage.clone(),
                        owner: c.owner_name.clone().unwrap_or_else(|| "未定".into()),
                        due: c.evaluation_due_on.clone().unwrap_or_default(),
                        verdict: c.verdict.clone(),
                        cycle: c.cycle,
                        indicators: c.indicators.join("・"),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "pdca/sheet.html")]
struct SheetPage {
    layout: Layout,
    ward_id: i64,
    plan_period: String,
    plan_period_label: String,
    views: Views,
    csv_utf8: String,
    csv_sjis: String,
}

/// `GET /wards/{id}/pdca`: the ward's PDCA sheet.
#[handler]
pub async fn sheet_page(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<SheetQuery>,
) -> PageResult {
    let period =
        plan_period_param(q.plan_period.as_deref(), state.clock.today()).map_err(bad_period)?;
    let sheet = super::store::sheet(&state.db, &scope, period)
        .await
        .map_err(fail)?;
    let layout = Layout::in_ward(
        format!("{} PDCAシート {}", sheet.ward_name, sheet.plan_period_label),
        &WardOf(&sheet),
        "dashboard",
    );
    let csv = format!(
        "/wards/{}/pdca.csv?plan_period={}",
        sheet.ward_id, sheet.plan_period
    );
    let page = SheetPage {
        layout,
        ward_id: sheet.ward_id,
        plan_period: sheet.plan_period.clone(),
        plan_period_label: sheet.plan_period_label.clone(),
        views: views(&sheet),
        csv_sjis: format!("{csv}&encoding=sjis"),
        csv_utf8: csv,
    };
    render_with_status(&page, StatusCode::OK)
}

/// The CSV's columns: one row per item of the chain, in the page's order.
pub const CSV_HEADER: [&str; 15] = [
    "区分",
    "場面",
    "水準・テーマ",
    "名称・内容",
    "単位",
    "基準値",
    "目標値",
    "最新値",
    "最新値の期間",
    "段階",
    "担当者",
    "評価予定日",
    "評価",
    "サイクル",
    "評価指標・共有の程度",
];

/// The sheet as CSV rows ([`CSV_HEADER`]).
pub fn csv_table(sheet: &Sheet) -> Table {
    let v = views(sheet);
    let mut table = Table::new(&CSV_HEADER);
    let row = |cells: [String; 15]| cells.into_iter().map(Cell::text).collect::<Vec<_>>();
    let e = String::new;
    for x in &v.visions {
        table.push(row([
            format!("目指すべき姿（{}）", x.who),
            e(),
            e(),
            x.body.clone(),
            e(),
            e(),
            e(),
            e(),
            e(),
            e(),
            e(),
            e(),
            e(),
            x.cycle.clone(),
            x.sharing.clone(),
        ]));
    }
    for g in &v.goals {
        for (who, goal) in [("市", &g.municipality_goal), ("区", &g.ward_goal)] {
            table.push(row([
                format!("目標（{who}）"),
                g.scene.clone(),
                e(),
                goal.clone(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
                e(),
            ]));
        }
    }
    for i in &v.indicators {
        table.push(row([
            "評価指標".into(),
            i.scenes.clone(),
            i.level.clone(),
            i.name.clone(),
            i.unit.clone(),
            i.baseline.clone(),
            i.target.clone(),
            i.latest.clone(),
            i.latest_period.clone(),
            e(),
            e(),
            e(),
            e(),
            e(),
            format!("望ましい方向 {}", i.direction),
        ]));
    }
    for g in &v.groups {
        for c in &g.countermeasures {
            table.push(row([
                "対応策".into(),
                g.scene.clone(),
                c.topic.clone(),
                c.title.clone(),
                e(),
                e(),
                e(),
                e(),
                e(),
                c.stage.clone(),
                c.owner.clone(),
                c.due.clone(),
                c.verdict.clone(),
                c.cycle.to_string(),
                c.indicators.clone(),
            ]));
        }
    }
    table
}

/// `GET /wards/{id}/pdca.csv`: the sheet as rows for Excel.
#[handler]
pub async fn sheet_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<SheetQuery>,
    req: &poem::Request,
) -> PageResult {
    let encoding = Encoding::from_param(q.encoding.as_deref())
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let period =
        plan_period_param(q.plan_period.as_deref(), state.clock.today()).map_err(bad_period)?;
    let sheet = super::store::sheet(&state.db, &scope, period)
        .await
        .map_err(fail)?;
    let bytes = csv_table(&sheet)
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    let name = format!(
        "PDCAシート_{}_{}.csv",
        sheet.ward_name, sheet.plan_period_label
    );
    Ok(spreadsheet::download(bytes, encoding, &name).into_response())
}
