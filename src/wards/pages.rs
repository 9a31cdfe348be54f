//! The ward's pages: its dashboard (this half-year's topic coverage and
//! stages, the overdue and upcoming evaluations), and adding and editing a ward.

use askama::Template;
use poem::web::Data;
use poem::{IntoResponse, handler};

use crate::access::WardRead;
use crate::countermeasures::Countermeasure;
use crate::countermeasures::pages::badge;
use crate::state::AppState;
use crate::web::page::{Badge, Layout, PageResult, date_label, fail, render, topic_label};

struct TopicRow {
    number: i64,
    label: String,
    covered: bool,
    badge: Badge,
}

struct DueRow {
    id: i64,
    title: String,
    topic: String,
    owner: String,
    due: String,
    /// Days past the due date (overdue) or left until it (upcoming).
    days: i64,
}

struct ChartView {
    title: String,
    n: i64,
    svg: std::sync::Arc<str>,
    csv_href: String,
}

#[derive(Template)]
#[template(path = "wards/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    ward_id: i64,
    period_label: String,
    period_range: String,
    today: String,
    topics: Vec<TopicRow>,
    overdue: Vec<DueRow>,
    upcoming: Vec<DueRow>,
    postponed: Vec<crate::dashboard::Postponement>,
    /// The half-year the ward last answered the survey for (`2026H1`).
    charts_period: String,
    charts_period_label: String,
    /// The ward has saved answers (draft or submitted) for that half-year.
    answered: bool,
    /// The report's charts for this ward alone (see `dashboard::ward_charts`).
    charts: Vec<ChartView>,
    /// Reminder mails of this ward that could not be delivered.
    failed_mail: Vec<crate::reminders::store::Delivery>,
    failed_mail_total: i64,
    /// The actor may change the ward's data (the write actions are shown).
    can_write: bool,
    /// The actor may rename the ward (the city).
    can_rename: bool,
    /// A failed or refused reminder was just queued again (「再送する」 came
    /// back here with `?resent=ID`).
    resent: bool,
}

#[handler]
pub async fn dashboard(
    Data(state): Data<&AppState>,
    scope: WardRead,
    uri: &poem::http::Uri,
) -> PageResult {
    let id = scope.ward_id();
    // The page kit knows its reader: no look-up for the links to show.
    let can_write = crate::web::page::reader_writes(id, scope.municipality_id());
    let can_rename = crate::web::page::reader_writes_city(scope.municipality_id());
    let today = state.clock.today();
    let (board, survey) = crate::dashboard::store::for_ward_page(&state.db, &scope, today)
        .await
        .map_err(fail)?;
    let row = |c: &Countermeasure| DueRow {
        id: c.id,
        title: c.title.clone(),
        topic: topic_label(c.topic),
        owner: c
            .owner_member_id
            .and_then(|o| board.owner_names.get(&o).cloned())
            .unwrap_or_else(|| "未設定".into()),
        due: c.evaluation_due_on.map(date_label).unwrap_or_default(),
        days: c
            .evaluation_due_on
            .map(|d| (today - d).num_days().abs())
            .unwrap_or(0),
    };
    let failed = crate::reminders::store::deliveries(
        &state.db,
        scope.wards(),
        None,
        &["failed", "refused"],
        crate::paging::Paging::new(Some(10), None),
    )
    .await
    .map_err(fail)?;
    // The survey's half-year is the one that ended last, as on the ward's report page.
    let charts_period = crate::calendar::Period::containing(today).previous();
    let answered = survey.answers != crate::survey::SurveyAnswers::default();
    let report = crate::report::for_ward(&board.ward, survey, charts_period);
    let charts = crate::dashboard::ward_charts(&report)
        .into_iter()
        .map(|c| ChartView {
            title: c.title.clone(),
            n: c.n,
            svg: c.svg(),
            csv_href: format!("/wards/{id}/report/{}/csv/{}", report.period, c.id),
        })
        .collect();
    let page = DashboardPage {
        layout: Layout::in_ward(
            format!("{} の状況", board.ward.name),
            &board.ward,
            "dashboard",
        ),
        ward_id: id,
        period_label: board.period_label.clone(),
        period_range: format!("{} 〜 {}", board.period_start, board.period_end),
        today: date_label(today),
        topics: board
            .topics
            .iter()
            .map(|t| TopicRow {
                number: t.topic,
                label: t.label.clone(),
                covered: t.covered,
                badge: badge(t.stage),
            })
            .collect(),
        overdue: board.overdue.iter().map(row).collect(),
        upcoming: board.upcoming.iter().map(row).collect(),
        postponed: board.postponed.clone(),
        charts_period: report.period.clone(),
        charts_period_label: report.period_label.clone(),
        answered,
        charts,
        failed_mail_total: failed.total,
        can_write,
        can_rename,
        failed_mail: failed.items,
        resent: crate::web::page::FormData::parse(uri.query().unwrap_or("").as_bytes())
            .non_empty("resent")
            .is_some(),
    };
    Ok(render(&page)?.into_response())
}

impl crate::web::page::InWard for crate::wards::Ward {
    fn ward_id(&self) -> i64 {
        self.id
    }

    fn ward_name(&self) -> &str {
        &self.name
    }

    fn municipality_id(&self) -> i64 {
        self.municipality_id
    }

    fn municipality_name(&self) -> &str {
        &self.municipality_name
    }
}

// ---------------------------------------------------------------------------
// Adding and editing a ward: the city adds and renames; a secretariat
// changes its ward's display order and secretariat address.

use poem::Body;
use poem::http::StatusCode;
use poem_openapi::types::MaybeUndefined;

use super::{NewWard, Ward, WardPatch, store};
use crate::access::{CityOf, WardWrite};
use crate::error::AppError;
use crate::municipalities;
use crate::web::page::{
    Errors, FieldParser, FormData, is_form_error, render_with_status, see_other,
};

/// The form that adds a ward (the city) or edits one.
#[derive(Template)]
#[template(path = "wards/form.html")]
struct WardForm {
    layout: Layout,
    action: String,
    cancel: String,
    /// Editing an existing ward (shows the display order too).
    editing: bool,
    /// The name field is shown: adding a ward, or the city editing one (a
    /// secretariat changes the display order and its address only).
    can_rename: bool,
    form: FormData,
    errors: Errors,
}

/// `/city/{id}/wards/new`: the form that adds a ward to the municipality.
#[handler]
pub async fn new_ward_form(Data(state): Data<&AppState>, city: CityOf) -> PageResult {
    let m = municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let page = WardForm {
        layout: Layout::new("区の追加").crumb(format!("/city/{}", m.id), m.name.clone()),
        action: format!("/city/{}/wards/new", m.id),
        cancel: format!("/city/{}", m.id),
        editing: false,
        can_rename: true,
        form: FormData::default(),
        errors: Errors::none(""),
    };
    render_with_status(&page, StatusCode::OK)
}

/// Adds the ward and goes to its dashboard; a bad or taken name shows the form again.
#[handler]
pub async fn create_ward(Data(state): Data<&AppState>, city: CityOf, body: Body) -> PageResult {
    let m = municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let new = NewWard {
        municipality_id: m.id,
        name: p.text(&form, "name", "区の名称"),
    };
    let result = if p.is_ok() {
        store::create(&state.db, &city, &new, state.clock.now()).await
    } else {
        Err(p.into_error(&form, new.validate()))
    };
    match result {
        Ok(w) => see_other(format!("/wards/{}", w.id)),
        Err(e) if is_form_error(&e) => {
            let page = WardForm {
                layout: Layout::new("区の追加").crumb(format!("/city/{}", m.id), m.name.clone()),
                action: format!("/city/{}/wards/new", m.id),
                cancel: format!("/city/{}", m.id),
                editing: false,
                can_rename: true,
                errors: Errors::from_error(&e, ""),
                form,
            };
            render_with_status(&page, e.status())
        }
        Err(e) => Err(fail(e)),
    }
}

fn ward_edit_page(
    ward: &Ward,
    can_rename: bool,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let page = WardForm {
        layout: Layout::in_ward(
            if can_rename {
                "区の名称・表示順"
            } else {
                "表示順・事務局のメールアドレス"
            },
            ward,
            "dashboard",
        ),
        action: format!("/wards/{}/edit", ward.id),
        cancel: format!("/wards/{}", ward.id),
        editing: true,
        can_rename,
        form,
        errors,
    };
    render_with_status(&page, status)
}

/// The city's scope over the ward, when the actor has it (it may rename).
fn renamer(req: &poem::Request, ward: &WardWrite) -> Option<CityOf> {
    let actor = crate::web::auth::actor(req).ok()?;
    crate::access::city_of(&actor, ward.municipality_id()).ok()
}

/// `/wards/{id}/edit`: the ward's form; the name field for the city only.
#[handler]
pub async fn edit_ward_form(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    req: &poem::Request,
) -> PageResult {
    let ward = store::get(&state.db, &scope.read()).await.map_err(fail)?;
    let can_rename = renamer(req, &scope).is_some();
    let form = FormData::from_pairs([
        ("name", ward.name.clone()),
        ("sort_order", ward.sort_order.to_string()),
        (
            "secretariat_email",
            ward.secretariat_email.clone().unwrap_or_default(),
        ),
    ]);
    ward_edit_page(&ward, can_rename, form, Errors::none(""), StatusCode::OK)
}

/// Saves the ward's display order and secretariat address (and its name,
/// from the city) and goes back to its dashboard.
#[handler]
pub async fn update_ward(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    req: &poem::Request,
    body: Body,
) -> PageResult {
    let ward = store::get(&state.db, &scope.read()).await.map_err(fail)?;
    let renamer = renamer(req, &scope);
    let can_rename = renamer.is_some();
    let form = FormData::parse(&body.into_vec().await?);
    let sort_order = match form.non_empty("sort_order").map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            let e = AppError::invalid("sort_order", "表示順は整数で入力してください");
            return ward_edit_page(
                &ward,
                can_rename,
                form,
                Errors::from_error(&e, ""),
                e.status(),
            );
        }
    };
    let mut p = FieldParser::default();
    let patch = WardPatch {
        // The name field is on the city's form only.
        name: can_rename.then(|| p.text(&form, "name", "区の名称")),
        sort_order,
        secretariat_email: MaybeUndefined::Value(p.text(
            &form,
            "secretariat_email",
            "事務局のメールアドレス",
        )),
    };
    let result = if p.is_ok() {
        let now = state.clock.now();
        store::update(&state.db, &scope, renamer.as_ref(), &patch, now).await
    } else {
        Err(p.into_error(&form, patch.validate()))
    };
    match result {
        Ok(w) => see_other(format!("/wards/{}", w.id)),
        Err(e) if is_form_error(&e) => ward_edit_page(
            &ward,
            can_rename,
            form,
            Errors::from_error(&e, ""),
            e.status(),
        ),
        Err(e) => Err(fail(e)),
    }
}
