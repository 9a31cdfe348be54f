//! `/api/wards/{id}/participation`, `/api/municipalities/{id}/participation`
//! and `/api/participation`: 多職種の参画状況 as JSON (`?period=2026H1`,
//! the running half-year when absent). The CSVs are the pages'
//! (`/wards/{id}/participation.csv`, `/city/{id}/participation.csv`).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

use super::{CityParticipation, Participation, period_param, store};
use crate::access;
use crate::state::AppState;
use crate::web::auth::{Checked, actor};
use crate::web::problem::ApiResult;

#[derive(Tags)]
enum ParticipationTags {
    /// 多職種の参画状況: attendance by organisation kind
    Participation,
}

pub struct ParticipationApi {
    pub state: AppState,
}

#[OpenApi(tag = "ParticipationTags::Participation")]
impl ParticipationApi {
    /// One ward's participation by organisation kind over a half-year:
    /// meetings attended of meetings held (by the kind each attendee had at
    /// the meeting), active members now, and each kind's `flag`: 参画なし
    /// (members on the committee, absent from the ward's last N meetings;
    /// N: the municipality's `absence_window`) or 委員なし (no member of
    /// the kind, not counted as an absence).
    /// Readers of the ward may. Errors: 422 for a period that is not
    /// `2026H1`-like.
    #[oai(
        path = "/wards/:id/participation",
        method = "get",
        operation_id = "getWardParticipation"
    )]
    async fn ward(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "id")] _id: Path<i64>,
        /// The half-year, `2026H1` (April–September) or `2026H2`
        /// (October–March); the running one when absent.
        period: Query<Option<String>>,
    ) -> ApiResult<Json<Participation>> {
        let today = self.state.clock.today();
        let period = period_param(period.0.as_deref(), today)?;
        Ok(Json(
            store::for_ward(&self.state.db, &ward.0, period, today).await?,
        ))
    }

    /// The municipality's ward × kind matrix over a half-year: wards
    /// without a 病院 member (委員なし) first, then wards whose 病院 is
    /// 参画なし, then the others, each in display order, with per-kind
    /// totals. The municipality's city-level accounts and `admin` may.
    /// Errors: 422 for a bad period.
    #[oai(
        path = "/municipalities/:id/participation",
        method = "get",
        operation_id = "getCityParticipation"
    )]
    async fn city(
        &self,
        city: Checked<access::CityRead>,
        #[oai(name = "id")] _id: Path<i64>,
        /// As for a ward: `2026H1`, the running half-year when absent.
        period: Query<Option<String>>,
    ) -> ApiResult<Json<CityParticipation>> {
        let today = self.state.clock.today();
        let period = period_param(period.0.as_deref(), today)?;
        Ok(Json(
            store::for_city(&self.state.db, &city.0, period, today).await?,
        ))
    }

    /// The same matrix over the actor's cross-ward view: its municipality
    /// (city-level accounts), or every ward — or those of
    /// `municipality_id` — for `admin`; each ward flagged with its own
    /// municipality's N.
    #[oai(
        path = "/participation",
        method = "get",
        operation_id = "listParticipation"
    )]
    async fn view(
        &self,
        req: &poem::Request,
        /// Only this municipality's wards (`admin`; a city account sees its own).
        municipality_id: Query<Option<i64>>,
        /// As for a ward: `2026H1`, the running half-year when absent.
        period: Query<Option<String>>,
    ) -> ApiResult<Json<CityParticipation>> {
        let view = access::city_view(&actor(req)?, municipality_id.0)?;
        let today = self.state.clock.today();
        let period = period_param(period.0.as_deref(), today)?;
        Ok(Json(
            store::for_view(&self.state.db, &view, period, today).await?,
        ))
    }
}
