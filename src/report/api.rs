//! `/api/report/{period}`: the half-year report as JSON.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use super::Report;
use crate::state::AppState;
use crate::survey::api::SurveyTags;
use crate::survey::parse_period;
use crate::web::problem::ApiResult;

pub struct ReportApi {
    pub state: AppState,
}

#[OpenApi(tag = "SurveyTags::Report")]
impl ReportApi {
    /// The report (資料1) of a period (`2017H1`) over the wards that
    /// submitted (`n`): those of the actor's municipality (`admin`: every
    /// ward, or those of `municipality_id`).
    #[oai(path = "/report/:period", method = "get", operation_id = "getReport")]
    async fn get(
        &self,
        req: &poem::Request,
        period: Path<String>,
        municipality_id: Query<Option<i64>>,
    ) -> ApiResult<Json<Report>> {
        let view = crate::access::city_view(&crate::web::auth::actor(req)?, municipality_id.0)?;
        let period = parse_period(&period.0)?;
        Ok(Json(
            super::store::load(&self.state.db, &view, period).await?,
        ))
    }
}
