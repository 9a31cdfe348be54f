//! `GET, PUT /api/municipalities/{id}/visions/{plan_period}` and
//! `GET, PUT /api/wards/{ward_id}/visions/{plan_period}`: 地域の目指すべき姿 of a
//! plan period (`2024-2026`), the municipality's and a ward's.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

use super::{Vision, VisionInput, WardVision, parse_period, store};
use crate::access;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The API's tag for the start of the national PDCA chain.
#[derive(Tags)]
pub enum VisionTags {
    /// 場面 (scenes) and 地域の目指すべき姿 (visions with a 目標 per scene)
    Visions,
}

/// The vision operations.
pub struct VisionsApi {
    pub state: AppState,
}

/// What a vision not set yet answers.
fn not_set() -> AppError {
    AppError::NotFound("目指すべき姿")
}

#[OpenApi(tag = "VisionTags::Visions")]
impl VisionsApi {
    /// The municipality's vision of plan period `plan_period` (`2024-2026`):
    /// text, sharing (one of the national survey's five levels), the
    /// improvement cycle and a goal per scene. Every account of the
    /// municipality. Errors: 422 (a period not of the form `2024-2026` on
    /// the 期 grid), 404 (not set, or another municipality).
    #[oai(
        path = "/municipalities/:id/visions/:plan_period",
        method = "get",
        operation_id = "getMunicipalityVision"
    )]
    async fn get_municipality(
        &self,
        plan: Checked<access::PlanRead>,
        #[oai(name = "id")] _id: Path<i64>,
        #[oai(name = "plan_period")] period: Path<String>,
    ) -> ApiResult<Json<Vision>> {
        let period = parse_period("plan_period", &period.0)?;
        crate::scenes::store::municipality_name(&self.state.db, plan.0).await?;
        let vision = store::of_municipality(&self.state.db, plan.0, period).await?;
        Ok(Json(vision.ok_or_else(not_set)?))
    }

    /// Sets or replaces the municipality's vision of `period` whole (goals
    /// not sent are removed; a blank goal drops its scene). The city and
    /// `admin`. Errors: 422 (period; blank text unless `sharing` is 未設定;
    /// cycle outside 1–6; an unknown or repeated scene, named; nothing is
    /// stored), 404, 403.
    #[oai(
        path = "/municipalities/:id/visions/:plan_period",
        method = "put",
        operation_id = "putMunicipalityVision"
    )]
    async fn put_municipality(
        &self,
        city: Checked<access::CityOf>,
        #[oai(name = "id")] _id: Path<i64>,
        #[oai(name = "plan_period")] period: Path<String>,
        body: Json<VisionInput>,
    ) -> ApiResult<Json<Vision>> {
        let period = parse_period("plan_period", &period.0)?;
        let now = self.state.clock.now();
        Ok(Json(
            store::save_municipality(&self.state.db, &city.0, period, &body.0, now).await?,
        ))
    }

    /// The ward's own vision of `period`, with its municipality's of the
    /// same period in `municipality` (null when not set). The ward's
    /// accounts, the municipality's city-level accounts, `admin`. Errors:
    /// 422 (period), 404 (the ward's not set; another ward).
    #[oai(
        path = "/wards/:ward_id/visions/:plan_period",
        method = "get",
        operation_id = "getWardVision"
    )]
    async fn get_ward(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        #[oai(name = "plan_period")] period: Path<String>,
    ) -> ApiResult<Json<WardVision>> {
        let period = parse_period("plan_period", &period.0)?;
        let vision = store::for_ward(&self.state.db, &ward.0, period).await?;
        Ok(Json(vision.ok_or_else(not_set)?))
    }

    /// Sets or replaces the ward's own vision of `period` whole; scenes are
    /// its municipality's. The ward's secretariat, the city, `admin` (a
    /// member or a viewer: 403). Errors: 422 as for the municipality's,
    /// 404, 403.
    #[oai(
        path = "/wards/:ward_id/visions/:plan_period",
        method = "put",
        operation_id = "putWardVision"
    )]
    async fn put_ward(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        #[oai(name = "plan_period")] period: Path<String>,
        body: Json<VisionInput>,
    ) -> ApiResult<Json<Vision>> {
        let period = parse_period("plan_period", &period.0)?;
        let now = self.state.clock.now();
        Ok(Json(
            store::save_ward(&self.state.db, &ward.0, period, &body.0, now).await?,
        ))
    }
}
