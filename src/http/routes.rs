//! The page route table: every page and form of the web UI with the
//! access [`Rule`] it requires. The router is made from this table and
//! only from it, so a page cannot be added without declaring who may use
//! it; each handler is wrapped in [`Guarded`], which decides the rule on
//! the router's decoded parameters before the handler runs.

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Response, Route, RouteMethod};

use crate::indicators;
use crate::state::AppState;
use crate::web::auth::{Guarded, Need, Rule};
use crate::web::page::error_page;
use crate::{
    accounts, audit, countermeasures, dashboard, meetings, members, municipalities, participation,
    pdca, progress, reminders, report,
};
use crate::{consultations, trends};
use crate::{scenes, visions};
use crate::{survey, transfer, wards};

/// One row of the table: method, pattern (`:id` is the id the rule
/// decides on), rule, handler.
pub struct PageRoute {
    pub method: Method,
    pub pattern: &'static str,
    pub rule: Rule,
    endpoint: poem::endpoint::BoxEndpoint<'static, Response>,
}

fn route<E>(method: Method, pattern: &'static str, rule: Rule, endpoint: E) -> PageRoute
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    PageRoute {
        method,
        pattern,
        rule,
        endpoint: endpoint.into_endpoint().map_to_response().boxed(),
    }
}

/// Every page route, in the order a reader looks for them.
pub fn pages() -> Vec<PageRoute> {
    use Method as M;
    use Need::{Read, Step, Write};
    use Rule::*;
    vec![
        route(M::GET, "/", SignedIn, municipalities::pages::home),
        route(
            M::GET,
            "/static/style.css",
            Public,
            crate::web::page::stylesheet,
        ),
        // Signing in and out, one's own password, resets and invitations.
        route(M::GET, "/login", PublicForm, accounts::pages::login_form),
        route(M::POST, "/login", PublicForm, accounts::pages::login),
        route(M::POST, "/logout", SignedIn, accounts::pages::logout),
        route(
            M::GET,
            "/password-reset",
            PublicForm,
            accounts::pages::reset_request_form,
        ),
        route(
            M::POST,
            "/password-reset",
            PublicForm,
            accounts::pages::reset_request,
        ),
        route(
            M::GET,
            "/password-reset/:token",
            PublicForm,
            accounts::pages::reset_form_page,
        ),
        route(
            M::POST,
            "/password-reset/:token",
            PublicForm,
            accounts::pages::reset_complete,
        ),
        route(
            M::GET,
            "/invitation/:token",
            PublicForm,
            accounts::pages::invitation_form_page,
        ),
        route(
            M::POST,
            "/invitation/:token",
            PublicForm,
            accounts::pages::invitation_complete,
        ),
        route(
            M::GET,
            "/account/password",
            SignedIn,
            accounts::pages::password_form,
        ),
        route(
            M::POST,
            "/account/password",
            SignedIn,
            accounts::pages::change_password,
        ),
        // Accounts and the audit log.
        route(
            M::GET,
            "/accounts",
            Accounts,
            accounts::pages::accounts_list,
        ),
        route(
            M::GET,
            "/accounts.csv",
            Accounts,
            accounts::pages::accounts_csv,
        ),
        route(
            M::POST,
            "/accounts/new",
            Accounts,
            accounts::pages::account_create,
        ),
        route(
            M::POST,
            "/accounts/invite",
            Accounts,
            accounts::pages::account_invite,
        ),
        route(
            M::POST,
            "/accounts/:id",
            Accounts,
            accounts::pages::account_update,
        ),
        route(
            M::POST,
            "/accounts/:id/member",
            Accounts,
            accounts::pages::account_member,
        ),
        route(M::GET, "/audit", Accounts, audit::pages::audit_page),
        route(M::GET, "/audit.csv", Accounts, audit::pages::audit_csv),
        // Municipalities and the city's pages.
        route(
            M::GET,
            "/municipalities/new",
            Installation,
            municipalities::pages::new_form,
        ),
        route(
            M::POST,
            "/municipalities/new",
            Installation,
            municipalities::pages::create,
        ),
        route(
            M::GET,
            "/city/:id",
            City(Read),
            municipalities::pages::city_view,
        ),
        route(
            M::GET,
            "/city/:id/wards/new",
            City(Write),
            wards::pages::new_ward_form,
        ),
        route(
            M::POST,
            "/city/:id/wards/new",
            City(Write),
            wards::pages::create_ward,
        ),
        route(
            M::GET,
            "/city/:id/reminders",
            City(Write),
            reminders::pages::settings_form,
        ),
        route(
            M::POST,
            "/city/:id/reminders",
            City(Write),
            reminders::pages::save_settings,
        ),
        route(
            M::GET,
            "/city/:id/surveys/:period/summaries",
            City(Write),
            survey::pages::summaries_form,
        ),
        route(
            M::POST,
            "/city/:id/surveys/:period/summaries",
            City(Write),
            survey::pages::summaries_save,
        ),
        route(
            M::GET,
            "/city/:id/consultations",
            City(Read),
            consultations::pages::city_page,
        ),
        route(
            M::GET,
            "/city/:id/consultations.csv",
            City(Read),
            consultations::pages::city_csv,
        ),
        route(
            M::GET,
            "/city/:id/participation",
            City(Read),
            participation::pages::city_page,
        ),
        route(
            M::GET,
            "/city/:id/participation.csv",
            City(Read),
            participation::pages::city_csv,
        ),
        route(
            M::GET,
            "/city/:id/progress",
            City(Read),
            progress::pages::city_page,
        ),
        route(
            M::GET,
            "/city/:id/progress.csv",
            City(Read),
            progress::pages::city_csv,
        ),
        // 評価指標 (indicators) and their values.
        route(
            M::GET,
            "/municipalities/:id/indicators",
            Plan,
            indicators::pages::list,
        ),
        route(
            M::POST,
            "/municipalities/:id/indicators",
            City(Write),
            indicators::pages::create,
        ),
        route(
            M::GET,
            "/municipalities/:id/indicator-values.csv",
            Plan,
            indicators::pages::values_csv,
        ),
        route(
            M::POST,
            "/municipalities/:id/indicator-values/import",
            Plan,
            indicators::pages::import,
        ),
        route(
            M::GET,
            "/indicators/:id",
            Indicator(Read),
            indicators::pages::show,
        ),
        route(
            M::POST,
            "/indicators/:id/values",
            Indicator(Read),
            indicators::pages::record_value,
        ),
        route(
            M::GET,
            "/indicators/:id/edit",
            Indicator(Write),
            indicators::pages::edit_form,
        ),
        route(
            M::POST,
            "/indicators/:id/edit",
            Indicator(Write),
            indicators::pages::edit,
        ),
        route(
            M::GET,
            "/report/:period",
            CityView,
            report::pages::report_page,
        ),
        route(
            M::GET,
            "/report/:period/csv/:chart",
            CityView,
            report::pages::chart_csv,
        ),
        route(
            M::GET,
            "/surveys/:period",
            CityView,
            survey::pages::statuses,
        ),
        route(M::GET, "/jobs", CityView, reminders::pages::jobs_page),
        route(
            M::GET,
            "/reminders/deliveries",
            WardsView,
            reminders::pages::deliveries,
        ),
        route(
            M::GET,
            "/reminders/deliveries.csv",
            WardsView,
            reminders::pages::deliveries_csv,
        ),
        route(
            M::POST,
            "/reminders/deliveries/:id/resend",
            Outbox(Write),
            reminders::pages::resend,
        ),
        // A ward.
        route(
            M::GET,
            "/wards/:id",
            Ward(Read),
            dashboard::pages::dashboard,
        ),
        route(
            M::GET,
            "/wards/:id/progress",
            Ward(Read),
            progress::pages::ward_page,
        ),
        route(
            M::GET,
            "/wards/:id/progress.csv",
            Ward(Read),
            progress::pages::ward_csv,
        ),
        route(
            M::GET,
            "/wards/:id/pdca",
            Ward(Read),
            pdca::pages::sheet_page,
        ),
        route(
            M::GET,
            "/wards/:id/pdca.csv",
            Ward(Read),
            pdca::pages::sheet_csv,
        ),
        route(
            M::GET,
            "/wards/:id/edit",
            Ward(Write),
            wards::pages::edit_ward_form,
        ),
        route(
            M::POST,
            "/wards/:id/edit",
            Ward(Write),
            wards::pages::update_ward,
        ),
        route(
            M::GET,
            "/wards/:id/members",
            Ward(Read),
            members::pages::list,
        ),
        route(
            M::GET,
            "/wards/:id/members/new",
            Ward(Write),
            members::pages::new_form,
        ),
        route(
            M::POST,
            "/wards/:id/members/new",
            Ward(Write),
            members::pages::create,
        ),
        route(
            M::GET,
            "/members/:id/edit",
            Member(Write),
            members::pages::edit_form,
        ),
        route(
            M::POST,
            "/members/:id/edit",
            Member(Write),
            members::pages::update,
        ),
        route(
            M::GET,
            "/wards/:id/meetings",
            Ward(Read),
            meetings::pages::list,
        ),
        route(
            M::GET,
            "/wards/:id/meetings/new",
            Ward(Write),
            meetings::pages::new_form,
        ),
        route(
            M::POST,
            "/wards/:id/meetings/new",
            Ward(Write),
            meetings::pages::create,
        ),
        route(
            M::GET,
            "/meetings/:id",
            Meeting(Read),
            meetings::pages::detail,
        ),
        route(
            M::GET,
            "/meetings/:id/edit",
            Meeting(Write),
            meetings::pages::edit_form,
        ),
        route(
            M::POST,
            "/meetings/:id/edit",
            Meeting(Write),
            meetings::pages::update,
        ),
        route(
            M::POST,
            "/meetings/:id/delete",
            Meeting(Write),
            meetings::pages::delete,
        ),
        route(
            M::GET,
            "/wards/:id/countermeasures",
            Ward(Read),
            countermeasures::pages::list,
        ),
        route(
            M::GET,
            "/wards/:id/countermeasures/new",
            Ward(Write),
            countermeasures::pages::new_form,
        ),
        route(
            M::POST,
            "/wards/:id/countermeasures/new",
            Ward(Write),
            countermeasures::pages::create,
        ),
        route(
            M::GET,
            "/countermeasures/:id",
            Countermeasure(Read),
            countermeasures::pages::detail,
        ),
        route(
            M::GET,
            "/countermeasures/:id/edit",
            Countermeasure(Write),
            countermeasures::pages::edit_form,
        ),
        route(
            M::POST,
            "/countermeasures/:id/edit",
            Countermeasure(Write),
            countermeasures::pages::update,
        ),
        route(
            M::POST,
            "/countermeasures/:id/transition",
            Countermeasure(Step),
            countermeasures::pages::transition,
        ),
        route(
            M::POST,
            "/countermeasures/:id/next-cycle",
            Countermeasure(Write),
            countermeasures::pages::next_cycle,
        ),
        route(
            M::POST,
            "/countermeasures/:id/archive",
            Countermeasure(Write),
            countermeasures::pages::archive,
        ),
        route(
            M::GET,
            "/wards/:id/surveys",
            Ward(Read),
            survey::pages::latest,
        ),
        route(
            M::GET,
            "/wards/:id/surveys/:period",
            Ward(Read),
            survey::pages::form_handler,
        ),
        route(
            M::POST,
            "/wards/:id/surveys/:period",
            Ward(Write),
            survey::pages::save,
        ),
        route(
            M::POST,
            "/wards/:id/surveys/:period/reopen",
            WardByCity,
            survey::pages::reopen,
        ),
        route(
            M::GET,
            "/wards/:id/report",
            Ward(Read),
            report::pages::ward_report_latest,
        ),
        route(
            M::GET,
            "/wards/:id/report/:period",
            Ward(Read),
            report::pages::ward_report,
        ),
        route(
            M::GET,
            "/wards/:id/report/:period/csv/:chart",
            Ward(Read),
            report::pages::ward_chart_csv,
        ),
        route(
            M::GET,
            "/wards/:id/trends",
            Ward(Read),
            trends::pages::trends_page,
        ),
        route(
            M::GET,
            "/wards/:id/trends.csv",
            Ward(Read),
            trends::pages::trends_csv,
        ),
        route(
            M::GET,
            "/wards/:id/consultations",
            Ward(Read),
            consultations::pages::ward_page,
        ),
        route(
            M::GET,
            "/wards/:id/consultations.csv",
            Ward(Read),
            consultations::pages::ward_csv,
        ),
        route(
            M::GET,
            "/wards/:id/consultations-trend.csv",
            Ward(Read),
            consultations::pages::ward_trend_csv,
        ),
        route(
            M::GET,
            "/wards/:id/participation",
            Ward(Read),
            participation::pages::ward_page,
        ),
        route(
            M::GET,
            "/wards/:id/participation.csv",
            Ward(Read),
            participation::pages::ward_csv,
        ),
        route(
            M::GET,
            "/wards/:id/members.csv",
            Ward(Read),
            transfer::pages::members_csv,
        ),
        route(
            M::GET,
            "/wards/:id/meetings.csv",
            Ward(Read),
            transfer::pages::meetings_csv,
        ),
        route(
            M::GET,
            "/wards/:id/countermeasures.csv",
            Ward(Read),
            transfer::pages::countermeasures_csv,
        ),
        route(
            M::GET,
            "/wards/:id/import",
            Ward(Write),
            transfer::pages::import_form,
        ),
        route(
            M::POST,
            "/wards/:id/import",
            Ward(Write),
            transfer::pages::import_upload,
        ),
        route(
            M::GET,
            "/wards/:id/calendar-feed",
            Ward(Read),
            meetings::pages::calendar_feed_form,
        ),
        route(
            M::POST,
            "/wards/:id/calendar-feed",
            Ward(Write),
            meetings::pages::issue_calendar_feed,
        ),
        route(M::GET, "/calendar.ics", Public, meetings::pages::calendar),
        // 目指すべき姿 and scenes (issue 18).
        route(
            M::GET,
            "/municipalities/:id/plan",
            Plan,
            visions::pages::plan_view,
        ),
        route(
            M::POST,
            "/municipalities/:id/plan",
            City(Write),
            visions::pages::save_plan,
        ),
        route(
            M::POST,
            "/municipalities/:id/scenes",
            City(Write),
            scenes::pages::add_scene,
        ),
        route(
            M::GET,
            "/wards/:id/vision",
            Ward(Read),
            visions::pages::ward_view,
        ),
        route(
            M::POST,
            "/wards/:id/vision",
            Ward(Write),
            visions::pages::save_ward,
        ),
    ]
}

/// The web UI's router, made from [`pages`]: each handler behind its rule.
pub fn router(state: AppState) -> impl Endpoint + 'static {
    let mut patterns: Vec<(&'static str, RouteMethod)> = Vec::new();
    for page in pages() {
        let guarded = Guarded {
            rule: page.rule,
            inner: page.endpoint,
            state: state.clone(),
        };
        match patterns.iter_mut().find(|(p, _)| *p == page.pattern) {
            Some((_, methods)) => {
                let taken = std::mem::take(methods);
                *methods = taken.method(page.method, guarded);
            }
            None => patterns.push((
                page.pattern,
                RouteMethod::new().method(page.method, guarded),
            )),
        }
    }
    let mut route = Route::new();
    for (pattern, methods) in patterns {
        route = route.at(pattern, methods);
    }
    route
        .data(state)
        .catch_error(|_: NotFoundError| async {
            error_page(StatusCode::NOT_FOUND, "ページが見つかりません")
        })
        .catch_error(|_: MethodNotAllowedError| async {
            error_page(
                StatusCode::METHOD_NOT_ALLOWED,
                "この操作はこのページでは行えません",
            )
        })
}
