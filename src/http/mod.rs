//! The HTTP surface: the JSON API under `/api` (spec at `/openapi.json`,
//! Swagger UI at `/docs`) and the Japanese web UI everywhere else.

pub mod api;
pub mod problem;

use std::time::Instant;

use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;

use crate::app::AppState;
use crate::countermeasures::api::CountermeasuresApi;
use crate::meetings::api::MeetingsApi;
use crate::members::api::MembersApi;
use crate::municipalities::api::CatalogueApi;
use crate::reminders::api::RemindersApi;
use crate::report::api::ReportApi;
use crate::survey::api::SurveyApi;
use crate::transfer::api::TransferApi;
use crate::wards::api::WardsApi;

/// Every API operation set, in the order the spec lists them.
type Apis = (
    CatalogueApi,
    WardsApi,
    MembersApi,
    MeetingsApi,
    CountermeasuresApi,
    (SurveyApi, ReportApi, TransferApi),
    RemindersApi,
);

pub fn api_service(state: &AppState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            CatalogueApi {
                state: state.clone(),
            },
            WardsApi {
                state: state.clone(),
            },
            MembersApi {
                state: state.clone(),
            },
            MeetingsApi {
                state: state.clone(),
            },
            CountermeasuresApi {
                state: state.clone(),
            },
            (
                SurveyApi {
                    state: state.clone(),
                },
                ReportApi {
                    state: state.clone(),
                },
                TransferApi {
                    state: state.clone(),
                },
            ),
            RemindersApi {
                state: state.clone(),
            },
        ),
        "renkei API",
        env!("CARGO_PKG_VERSION"),
    )
    .description("在宅医療・介護連携推進事業の会議と対応策（PDCA）の進捗管理")
    .server("/api")
}

pub fn routes(state: AppState) -> impl Endpoint + 'static {
    let api = api_service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .nest(
            "/api",
            api.into_endpoint()
                .catch_all_error(problem::catch_api_error),
        )
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", crate::pages::routes(state.clone()))
        .around(log_request)
        .into_endpoint()
}

/// One log line per request: method, path (ids only, never query strings or
/// bodies, which may carry personal data), status and latency.
async fn log_request<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    tracing::info!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        latency_ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(resp)
}
