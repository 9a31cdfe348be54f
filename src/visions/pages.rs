//! The 目指すべき姿 pages: the municipality's plan page
//! (`/municipalities/{id}/plan`: its vision, goals per scene and the scene
//! list of a plan period) and a ward's (`/wards/{id}/vision`: the
//! municipality's shown above, the ward's own below). Forms re-render with
//! a message beside the bad field and store nothing on error.

use askama::Template;
use poem::handler;
use poem::http::{StatusCode, Uri};
use poem::web::Data;

use super::{GoalInput, Sharing, Vision, VisionInput, goal_field, parse_period, store};
use crate::access::{CityOf, PlanRead, WardRead, WardWrite};
use crate::audit::tokyo_time;
use crate::calendar::PlanPeriod;
use crate::error::AppError;
use crate::scenes::{self, SceneEntry, Scenes};
use crate::state::AppState;
use crate::wards::{self, Ward};
use crate::web::page::{
    Choice, Errors, FieldParser, FormData, Layout, PageResult, choices, error_page, fail,
    is_form_error, reader_writes_city, render_with_status, see_other,
};

/// The most goals a form may send (far more than any scene list).
const GOALS_MAX: usize = 200;

/// A vision as the pages show it.
pub struct VisionView {
    /// The vision's text (shown with its line breaks).
    pub text: String,
    /// The sharing level's label.
    pub sharing: &'static str,
    /// The improvement cycle: `1年`.
    pub cycle: String,
    /// (scene, goal) in scene order.
    pub goals: Vec<(String, String)>,
    /// Asia/Tokyo time of the last save.
    pub updated: String,
}

impl VisionView {
    fn of(v: &Vision) -> Self {
        Self {
            text: v.text.clone(),
            sharing: v.sharing.as_str(),
            cycle: v.cycle_label.clone(),
            goals: v
                .goals
                .iter()
                .map(|g| (g.scene.clone(), g.goal.clone()))
                .collect(),
            updated: tokyo_time(&v.updated_at),
        }
    }
}

/// One goal input of the form: a scene and its textarea.
pub struct GoalRow {
    /// The scene's name.
    pub scene: String,
    /// One of the national four (else the municipality's own).
    pub national: bool,
    /// The hidden input's name (`goals.{i}.scene`).
    pub scene_field: String,
    /// The textarea's name (`goals.{i}.goal`).
    pub goal_field: String,
}

/// The form of a vision: its values, the sharing options, a row per scene.
pub struct VisionForm {
    /// The values shown (stored, or as sent when refused).
    pub form: FormData,
    /// The five sharing levels, the chosen one selected.
    pub sharing: Vec<Choice>,
    /// A goal input per scene of the municipality, in order.
    pub goals: Vec<GoalRow>,
    /// The messages beside the fields.
    pub errors: Errors,
}

impl VisionForm {
    fn new(scenes: &Scenes, form: FormData, errors: Errors) -> Self {
        let goals = scenes
            .0
            .iter()
            .enumerate()
            .map(|(i, s)| GoalRow {
                scene: s.name.clone(),
                national: s.national,
                scene_field: goal_field(i, "scene"),
                goal_field: goal_field(i, "goal"),
            })
            .collect();
        Self {
            sharing: choices(
                &form,
                "sharing",
                Sharing::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), s.as_str().to_string())),
            ),
            form,
            goals,
            errors,
        }
    }

    /// The stored vision's values (a new one: cycle 1年).
    fn values(scenes: &Scenes, vision: Option<&Vision>) -> FormData {
        let mut form = FormData::from_pairs([("cycle_years", "1")]);
        if let Some(v) = vision {
            form.set("text", v.text.clone());
            form.set("sharing", v.sharing.as_str());
            form.set("cycle_years", v.cycle_years.to_string());
        }
        for (i, s) in scenes.0.iter().enumerate() {
            form.set(&goal_field(i, "scene"), s.name.clone());
            let goal = vision.and_then(|v| v.goal_of(&s.name)).unwrap_or_default();
            form.set(&goal_field(i, "goal"), goal);
        }
        form
    }
}

/// The form's fields as a vision input; unreadable ones become field errors.
fn read_form(form: &FormData, scenes: &Scenes) -> Result<VisionInput, AppError> {
    let mut p = FieldParser::default();
    let text = p.text(form, "text", "目指すべき姿");
    let sharing = p.required_label(form, "sharing", "共有の状況", Sharing::parse);
    let cycle_years = p.number(form, "cycle_years", "改善のサイクル").unwrap_or(1);
    let mut goals = Vec::new();
    for i in 0..GOALS_MAX {
        let key = goal_field(i, "scene");
        if form.position(&key).is_none() {
            break;
        }
        goals.push(GoalInput {
            scene: p.text(form, &key, "場面"),
            goal: p.text(form, &goal_field(i, "goal"), "目標"),
        });
    }
    let input = VisionInput {
        text,
        sharing: sharing.unwrap_or(Sharing::NotSet),
        cycle_years,
        goals,
    };
    if p.is_ok() {
        Ok(input)
    } else {
        Err(p.into_error(form, super::check(&input, scenes)))
    }
}

/// A plan period from the query (`?period=2024-2026`), or the one
/// containing today. Errors: an error page (404) naming the accepted form.
fn period_of(uri: &Uri, today: chrono::NaiveDate) -> poem::Result<PlanPeriod> {
    let query = FormData::parse(uri.query().unwrap_or("").as_bytes());
    match query.non_empty("period") {
        None => Ok(PlanPeriod::containing(today)),
        Some(code) => parse_period("period", code).map_err(|e| {
            poem::Error::from_response(error_page(StatusCode::NOT_FOUND, &message(&e)))
        }),
    }
}

/// A posted form's plan period. Errors: an error page (422) naming the
/// accepted form.
pub fn posted_period(form: &FormData) -> poem::Result<PlanPeriod> {
    parse_period("period", form.value("period")).map_err(|e| {
        poem::Error::from_response(error_page(StatusCode::UNPROCESSABLE_ENTITY, &message(&e)))
    })
}

/// The first field message of an error, or its public message.
fn message(e: &AppError) -> String {
    e.field_errors()
        .first()
        .map(|f| f.message.clone())
        .unwrap_or_else(|| e.public_message())
}

/// A refused vision form's messages, each beside an input: a goal's scene
/// is a hidden input, so its message goes beside the goal's textarea.
fn form_errors(e: &AppError) -> Errors {
    let mut errors = Errors::from_error(e, "");
    for f in &mut errors.fields {
        if let Some(i) = f
            .field
            .strip_prefix("goals.")
            .and_then(|rest| rest.strip_suffix(".scene"))
        {
            f.field = format!("goals.{i}.goal");
        }
    }
    errors
}

/// A link to a plan period: (href, label).
fn period_link(base: &str, p: PlanPeriod) -> (String, String) {
    (format!("{base}?period={}", p.code()), p.label())
}

#[derive(Template)]
#[template(path = "visions/plan.html")]
struct PlanPage {
    layout: Layout,
    municipality_id: i64,
    period: String,
    period_label: String,
    previous: (String, String),
    next: (String, String),
    saved: bool,
    vision: Option<VisionView>,
    writes: bool,
    /// Where the vision form posts.
    action: String,
    edit: VisionForm,
    /// The summary's messages: the refused form's (the vision's or the
    /// scene's).
    errors: Errors,
    scenes: Vec<SceneEntry>,
    scene_name: String,
    scene_errors: Errors,
}

/// What the plan page shows again after a refused form.
#[derive(Default)]
pub struct Refused {
    /// The vision form as sent, and its errors.
    pub vision: Option<(FormData, Errors)>,
    /// The scene name as sent, and its errors.
    pub scene: Option<(String, Errors)>,
}

/// Renders the municipality's plan page for `period`; `refused` carries a
/// form shown again with its messages (status `status`).
pub async fn plan_page(
    state: &AppState,
    plan: PlanRead,
    period: PlanPeriod,
    refused: Refused,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    let id = plan.municipality_id();
    let name = scenes::store::municipality_name(&state.db, plan)
        .await
        .map_err(fail)?;
    let scene_list = scenes::store::list(&state.db, plan).await.map_err(fail)?;
    let vision = store::of_municipality(&state.db, plan, period)
        .await
        .map_err(fail)?;
    let (form, errors) = match refused.vision {
        Some(sent) => sent,
        None => (
            VisionForm::values(&scene_list, vision.as_ref()),
            Errors::none(""),
        ),
    };
    let (scene_name, scene_errors) = refused
        .scene
        .unwrap_or_else(|| (String::new(), Errors::none("scene-")));
    let summary = if scene_errors.any() {
        scene_errors.clone()
    } else {
        errors.clone()
    };
    let base = format!("/municipalities/{id}/plan");
    let page = PlanPage {
        layout: Layout::new(format!("{name} 目指すべき姿と目標（{}）", period.label())),
        municipality_id: id,
        period: period.code(),
        period_label: period.label(),
        previous: period_link(&base, period.previous()),
        next: period_link(&base, period.next()),
        saved,
        vision: vision.as_ref().map(VisionView::of),
        writes: reader_writes_city(id),
        action: base.clone(),
        errors: summary,
        edit: VisionForm::new(&scene_list, form, errors),
        scenes: scene_list.0,
        scene_name,
        scene_errors,
    };
    render_with_status(&page, status)
}

/// `/municipalities/{id}/plan?period=2024-2026`: the municipality's vision
/// and goals of a plan period (default: the one containing today), its
/// scenes, and for the city the forms that change them.
#[handler]
pub async fn plan_view(Data(state): Data<&AppState>, plan: PlanRead, uri: &Uri) -> PageResult {
    let period = period_of(uri, state.clock.today())?;
    let saved = uri.query().is_some_and(|q| q.contains("saved=1"));
    plan_page(
        state,
        plan,
        period,
        Refused::default(),
        saved,
        StatusCode::OK,
    )
    .await
}

/// `POST /municipalities/{id}/plan`: saves the municipality's vision of the
/// form's `period`.
#[handler]
pub async fn save_plan(Data(state): Data<&AppState>, city: CityOf, body: Vec<u8>) -> PageResult {
    let form = FormData::parse(&body);
    let period = posted_period(&form)?;
    let id = city.municipality_id();
    let scene_list = scenes::store::list(&state.db, city.plan())
        .await
        .map_err(fail)?;
    let result = match read_form(&form, &scene_list) {
        Ok(input) => {
            store::save_municipality(&state.db, &city, period, &input, state.clock.now()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!(
            "/municipalities/{id}/plan?period={}&saved=1",
            period.code()
        )),
        Err(e) if is_form_error(&e) => {
            let refused = Refused {
                vision: Some((form, form_errors(&e))),
                scene: None,
            };
            plan_page(state, city.plan(), period, refused, false, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[derive(Template)]
#[template(path = "visions/ward.html")]
struct WardPage {
    layout: Layout,
    municipality_id: i64,
    period: String,
    period_label: String,
    previous: (String, String),
    next: (String, String),
    saved: bool,
    municipality: Option<VisionView>,
    vision: Option<VisionView>,
    /// Where the vision form posts.
    action: String,
    edit: VisionForm,
    errors: Errors,
}

async fn ward_page(
    state: &AppState,
    scope: &WardRead,
    period: PlanPeriod,
    refused: Option<(FormData, Errors)>,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    let ward: Ward = wards::store::get(&state.db, scope).await.map_err(fail)?;
    let scene_list = scenes::store::list(&state.db, scope.plan())
        .await
        .map_err(fail)?;
    let own = store::of_ward(&state.db, scope, period)
        .await
        .map_err(fail)?;
    let municipality = store::of_municipality(&state.db, scope.plan(), period)
        .await
        .map_err(fail)?;
    let (form, errors) = refused.unwrap_or_else(|| {
        (
            VisionForm::values(&scene_list, own.as_ref()),
            Errors::none(""),
        )
    });
    let base = format!("/wards/{}/vision", ward.id);
    let page = WardPage {
        layout: Layout::in_ward(
            format!("{} 目指すべき姿と目標（{}）", ward.name, period.label()),
            &ward,
            "vision",
        ),
        municipality_id: ward.municipality_id,
        period: period.code(),
        period_label: period.label(),
        previous: period_link(&base, period.previous()),
        next: period_link(&base, period.next()),
        saved,
        municipality: municipality.as_ref().map(VisionView::of),
        vision: own.as_ref().map(VisionView::of),
        action: base.clone(),
        errors: errors.clone(),
        edit: VisionForm::new(&scene_list, form, errors),
    };
    render_with_status(&page, status)
}

/// `/wards/{id}/vision?period=2024-2026`: the municipality's vision of the
/// period read-only, the ward's own below it (a form for those who change
/// the ward's data).
#[handler]
pub async fn ward_view(Data(state): Data<&AppState>, scope: WardRead, uri: &Uri) -> PageResult {
    let period = period_of(uri, state.clock.today())?;
    let saved = uri.query().is_some_and(|q| q.contains("saved=1"));
    ward_page(state, &scope, period, None, saved, StatusCode::OK).await
}

/// `POST /wards/{id}/vision`: saves the ward's own vision of the form's
/// `period`.
#[handler]
pub async fn save_ward(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    body: Vec<u8>,
) -> PageResult {
    let form = FormData::parse(&body);
    let period = posted_period(&form)?;
    let scene_list = scenes::store::list(&state.db, scope.plan())
        .await
        .map_err(fail)?;
    let result = match read_form(&form, &scene_list) {
        Ok(input) => store::save_ward(&state.db, &scope, period, &input, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!(
            "/wards/{}/vision?period={}&saved=1",
            scope.ward_id(),
            period.code()
        )),
        Err(e) if is_form_error(&e) => {
            let refused = Some((form, form_errors(&e)));
            ward_page(state, &scope.read(), period, refused, false, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}
