//! `GET /api/wards/{ward_id}/pdca`: a ward's PDCA sheet as JSON.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

use super::{Sheet, plan_period_param};
use crate::access;
use crate::state::AppState;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The API's tag for the PDCA sheet.
#[derive(Tags)]
pub enum PdcaTags {
    /// PDCAシート (目指すべき姿 → 目標 → 評価指標 → 対応策)
    Pdca,
}

/// `GET /api/wards/{ward_id}/pdca`.
pub struct PdcaApi {
    pub state: AppState,
}

#[OpenApi(tag = "PdcaTags::Pdca")]
impl PdcaApi {
    /// A ward's PDCA sheet for the plan period `plan_period` (`2024-2026`;
    /// default the one containing today, Asia/Tokyo): the municipality's
    /// and the ward's 目指すべき姿, the goals per scene, the municipality's
    /// indicators by level with the ward's latest value (its own, else the
    /// city-wide one), and the ward's countermeasures (not archived) by
    /// scene with their verdict and linked indicators.
    /// Errors: 422 (`plan_period` malformed), 404 (ward not visible).
    #[oai(
        path = "/wards/:ward_id/pdca",
        method = "get",
        operation_id = "getWardPdcaSheet"
    )]
    async fn get(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        plan_period: Query<Option<String>>,
    ) -> ApiResult<Json<Sheet>> {
        let period = plan_period_param(plan_period.0.as_deref(), self.state.clock.today())?;
        Ok(Json(
            super::store::sheet(&self.state.db, &ward.0, period).await?,
        ))
    }
}
