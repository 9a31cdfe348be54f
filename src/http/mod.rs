//! The HTTP surface: the JSON API under `/api` (spec at `/openapi.json`,
//! Swagger UI at `/docs`) and the Japanese web UI everywhere else.

pub mod limits;
pub mod log;
pub mod routes;
pub mod spec;

use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};
use poem_openapi::OpenApiService;

use crate::consultations::api::ConsultationsApi;
use crate::countermeasures::api::CountermeasuresApi;
use crate::indicators::api::IndicatorsApi;
use crate::meetings::api::MeetingsApi;
use crate::members::api::MembersApi;
use crate::municipalities::api::CatalogueApi;
use crate::participation::api::ParticipationApi;
use crate::pdca::api::PdcaApi;
use crate::progress::api::ProgressApi;
use crate::reminders::api::RemindersApi;
use crate::report::api::ReportApi;
use crate::scenes::api::ScenesApi;
use crate::state::AppState;
use crate::survey::api::SurveyApi;
use crate::transfer::api::TransferApi;
use crate::trends::api::TrendsApi;
use crate::visions::api::VisionsApi;
use crate::wards::api::WardsApi;
use crate::web::{auth, problem};

/// Every API operation set, in the order the spec lists them.
type Apis = (
    CatalogueApi,
    WardsApi,
    MembersApi,
    MeetingsApi,
    CountermeasuresApi,
    (SurveyApi, ReportApi, TransferApi),
    RemindersApi,
    (TrendsApi, ConsultationsApi),
    (ParticipationApi, ProgressApi, PdcaApi),
    (ScenesApi, VisionsApi, IndicatorsApi),
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
            (
                TrendsApi {
                    state: state.clone(),
                },
                ConsultationsApi {
                    state: state.clone(),
                },
            ),
            (
                ParticipationApi {
                    state: state.clone(),
                },
                ProgressApi {
                    state: state.clone(),
                },
                PdcaApi {
                    state: state.clone(),
                },
            ),
            (
                ScenesApi {
                    state: state.clone(),
                },
                VisionsApi {
                    state: state.clone(),
                },
                IndicatorsApi {
                    state: state.clone(),
                },
            ),
        ),
        "renkei API",
        env!("CARGO_PKG_VERSION"),
    )
    .description("在宅医療・介護連携推進事業の会議と対応策（PDCA）の進捗管理")
    .server("/api")
}

pub fn routes(state: AppState) -> impl Endpoint + 'static {
    let api = api_service(&state);
    let spec_text = api.spec();
    let text_fields = std::sync::Arc::new(problem::TextFields::from_spec(
        &serde_json::from_str(&spec_text).unwrap_or_default(),
    ));
    let doc = spec::document(&spec_text);
    let methods = std::sync::Arc::new(spec::Methods::of(&doc));
    let spec = spec_endpoint(&doc);
    let docs = api.swagger_ui();
    Route::new()
        .nest(
            "/api",
            auth::ApiGate {
                inner: api
                    .into_endpoint()
                    .around(move |next, req| {
                        problem::name_refused_text(next, req, text_fields.clone())
                    })
                    .catch_all_error(problem::catch_api_error)
                    // On the final answer: the 405 problem gets its Allow.
                    .around(move |next, req| spec::allow_on_405(next, req, methods.clone())),
                state: state.clone(),
            },
        )
        // The spec and Swagger UI are public documentation.
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", routes::router(state))
        .around(refuse_nul)
        // Outside everything that reads a body; inside the log, which
        // records the 413s too.
        .with(limits::BodyLimit)
        .around(log::log_request)
        .into_endpoint()
}

/// Serves the completed spec ([`spec::document`]).
fn spec_endpoint(doc: &serde_json::Value) -> impl Endpoint + 'static {
    let body = serde_json::to_string(doc).unwrap_or_default();
    poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json")
            .body(body.clone())
    })
}

/// Refuses `%00` in the query string, before any handler. What a client
/// sends in a body is text checked by its type (`crate::text`) wherever it
/// is read, whatever the media type. Query strings are filters and look-ups
/// (the audit log's `entity`, the deliveries' `state` …), never stored, so
/// they are not text of either kind; but PostgreSQL's text cannot hold
/// U+0000 (SQLite's can), and a NUL compared in SQL would be a 500 there and
/// a plain miss on SQLite. Refusing it here keeps the two databases alike.
async fn refuse_nul<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let found = req.uri().query().is_some_and(|q| q.contains("%00"));
    if !found {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let message = "文字コード0（NUL文字）を含む入力は受け付けられません";
    Ok(if req.uri().path().starts_with("/api") {
        problem::response(&problem::Problem::new(
            poem::http::StatusCode::UNPROCESSABLE_ENTITY,
            message,
            Vec::new(),
        ))
    } else {
        crate::web::page::error_page(poem::http::StatusCode::UNPROCESSABLE_ENTITY, message)
    })
}
