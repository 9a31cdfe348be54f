//! `/api/wards/{ward_id}/progress`, `/api/municipalities/{id}/progress`
//! and `/api/progress`: PDCAの進み具合 as JSON (`?period=2026H1|2026`,
//! the current half-year when absent; `?sort=` for the side-by-side view).
//! The CSV for Excel is on the pages' routes (`…/progress.csv`), which take
//! the same bearer token.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

use super::{CityProgress, Sort, WardProgress, span_param};
use crate::access;
use crate::state::AppState;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

#[derive(Tags)]
pub enum ProgressTags {
    /// PDCAの進み具合: evaluations on time, overdue, medians, 停滞
    Progress,
}

pub struct ProgressApi {
    pub state: AppState,
}

#[OpenApi(tag = "ProgressTags::Progress")]
impl ProgressApi {
    /// One ward's PDCAの進み具合 over `period` (`2026H1`, `2026H2` or the
    /// fiscal year `2026`; the current half-year when absent): 期限内評価率
    /// of the evaluation rounds first due in the period, the medians of the
    /// steps dated in it, and (today) overdue, 停滞 and the topics without a
    /// countermeasure. Errors: 404 outside the actor's wards, 422 for a bad
    /// `period` (a Japanese message on the field `period`).
    #[oai(
        path = "/wards/:ward_id/progress",
        method = "get",
        operation_id = "getWardProgress"
    )]
    async fn ward(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Query<Option<String>>,
    ) -> ApiResult<Json<WardProgress>> {
        let today = self.state.clock.today();
        let span = span_param(period.0.as_deref(), today)?;
        Ok(Json(
            super::store::ward(&self.state.db, &ward.0, span, today).await?,
        ))
    }

    /// The municipality's wards side by side over `period`, sorted by
    /// `sort` (a column: `ward` (default), `rate`, `due`, `postponed`,
    /// `missed`, `overdue`, `overdue_longest`, `to_planned`, `to_evaluated`,
    /// `stuck`, `topics_without`; `-` first for descending; wards without a
    /// value last), with the city total of the pooled counts. For the
    /// municipality's city-level accounts and `admin`. Errors: 403 for its
    /// ward-level accounts, 404 for anyone outside it, 422 for a bad
    /// `period` or `sort`.
    #[oai(
        path = "/municipalities/:id/progress",
        method = "get",
        operation_id = "getMunicipalityProgress"
    )]
    async fn city(
        &self,
        city: Checked<access::CityRead>,
        #[oai(name = "id")] _id: Path<i64>,
        period: Query<Option<String>>,
        sort: Query<Option<String>>,
    ) -> ApiResult<Json<CityProgress>> {
        let today = self.state.clock.today();
        let span = span_param(period.0.as_deref(), today)?;
        let sort = Sort::parse(sort.0.as_deref())?;
        let (_, progress) = super::store::city(&self.state.db, &city.0, span, today, sort).await?;
        Ok(Json(progress))
    }

    /// As `getMunicipalityProgress`, over the wards of the actor's
    /// municipality; `admin` names one with `municipality_id` or, without
    /// it, sees every ward of every municipality. Errors: 403 for
    /// ward-level accounts, 404 for another municipality, 422 as above.
    #[oai(path = "/progress", method = "get", operation_id = "listProgress")]
    async fn all(
        &self,
        req: &poem::Request,
        municipality_id: Query<Option<i64>>,
        period: Query<Option<String>>,
        sort: Query<Option<String>>,
    ) -> ApiResult<Json<CityProgress>> {
        let view = access::city_view(&crate::web::auth::actor(req)?, municipality_id.0)?;
        let today = self.state.clock.today();
        let span = span_param(period.0.as_deref(), today)?;
        let sort = Sort::parse(sort.0.as_deref())?;
        Ok(Json(
            super::store::view(&self.state.db, &view, span, today, sort).await?,
        ))
    }
}
