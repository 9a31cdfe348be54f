//! `GET /api/wards/{ward_id}/consultations` and
//! `GET /api/municipalities/{id}/consultations`: 相談の内訳 as
//! JSON.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use super::{CityConsultations, WardConsultations};
use crate::access;
use crate::calendar::Period;
use crate::state::AppState;
use crate::trends::api::TrendTags;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The ward's and the city's 相談の内訳.
pub struct ConsultationsApi {
    pub state: AppState,
}

#[OpenApi(tag = "TrendTags::Trends")]
impl ConsultationsApi {
    /// 相談の内訳 of a ward for `period` (`2026H1`; default the half-year
    /// that ended last): its share of each requester ①–⑬ and content
    /// against the city's pooled counts (submitted surveys, as 資料1; the
    /// ward's own answers count as a draft too), low shares flagged (below
    /// half the city's), and 件/月 over the `halves` half-years (1–12,
    /// default 6) ending with `period`. Errors: 422, 404, 403.
    #[oai(
        path = "/wards/:ward_id/consultations",
        method = "get",
        operation_id = "getWardConsultations"
    )]
    async fn ward(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Query<Option<String>>,
        halves: Query<Option<i64>>,
    ) -> ApiResult<Json<WardConsultations>> {
        let today = self.state.clock.today();
        let halves = crate::trends::check_halves(halves.0)?;
        let default = Period::containing(today).previous();
        let period = crate::trends::parse_period(period.0.as_deref(), default, today)?;
        Ok(Json(
            super::store::load_for_ward(&self.state.db, &ward.0, period, halves, today).await?,
        ))
    }

    /// 相談の内訳 of a municipality's wards side by side for `period`
    /// (default the half-year that ended last): each ward's counts, 件/月 and
    /// low requesters, and the city's pool (submitted surveys, as 資料1).
    /// City-level accounts of the municipality and `admin`. Errors: 422,
    /// 404 (another municipality), 403 (a ward's account).
    #[oai(
        path = "/municipalities/:id/consultations",
        method = "get",
        operation_id = "getCityConsultations"
    )]
    async fn city(
        &self,
        city: Checked<access::CityRead>,
        #[oai(name = "id")] _id: Path<i64>,
        period: Query<Option<String>>,
    ) -> ApiResult<Json<CityConsultations>> {
        let today = self.state.clock.today();
        let default = Period::containing(today).previous();
        let period = crate::trends::parse_period(period.0.as_deref(), default, today)?;
        Ok(Json(
            super::store::load_for_city(&self.state.db, &city.0, period, today).await?,
        ))
    }
}
