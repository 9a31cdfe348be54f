//! `GET /api/wards/{ward_id}/trends`: 半期ごとの推移 as JSON.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

use super::WardTrends;
use crate::access;
use crate::calendar::Period;
use crate::state::AppState;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The API's tag for the sections read across half-years.
#[derive(Tags)]
pub enum TrendTags {
    /// 半期ごとの推移 and 相談の内訳 (read from the records and the surveys)
    Trends,
}

/// `GET /api/wards/{ward_id}/trends`.
pub struct TrendsApi {
    pub state: AppState,
}

#[OpenApi(tag = "TrendTags::Trends")]
impl TrendsApi {
    /// 半期ごとの推移 of a ward: the `halves` half-years (1–12, default 6)
    /// ending with `period` (`2026H1`; default the running one), each read
    /// as of its last day (the running one as of today, Asia/Tokyo): per
    /// topic the ward's stage and the municipality's wards per stage; the
    /// overdue count on that day; meetings held and topics covered.
    /// Errors: 422 (`halves` out of range, `period` unreadable or not begun),
    /// 404 (ward not visible), 403.
    #[oai(
        path = "/wards/:ward_id/trends",
        method = "get",
        operation_id = "getWardTrends"
    )]
    async fn get(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        halves: Query<Option<i64>>,
        period: Query<Option<String>>,
    ) -> ApiResult<Json<WardTrends>> {
        let today = self.state.clock.today();
        let halves = super::check_halves(halves.0)?;
        let period = super::parse_period(period.0.as_deref(), Period::containing(today), today)?;
        Ok(Json(
            super::store::load(&self.state.db, &ward.0, period, halves, today).await?,
        ))
    }
}
