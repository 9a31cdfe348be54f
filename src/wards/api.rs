//! `/api/wards`: wards with their dashboard figures.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{NewWard, WardPatch, store};
use crate::app::AppState;
use crate::dashboard::{self, WardDashboard};
use crate::http::api::{ApiTags, Created};
use crate::http::problem::ApiResult;

pub struct WardsApi {
    pub state: AppState,
}

#[derive(Object)]
struct WardList {
    /// Each ward with its dashboard figures (the overdue and upcoming lists are left empty here; see the counts).
    items: Vec<WardDashboard>,
    /// Number of wards listed (the list is not paged).
    total: i64,
}

#[OpenApi(tag = "ApiTags::Wards")]
impl WardsApi {
    /// Wards, optionally of one municipality, with the city view's figures.
    #[oai(path = "/wards", method = "get", operation_id = "listWards")]
    async fn list(
        &self,
        req: &poem::Request,
        municipality_id: Query<Option<i64>>,
    ) -> ApiResult<Json<WardList>> {
        let actor = crate::http::auth::actor(req)?;
        let wards: Vec<_> = store::list(&self.state.db, municipality_id.0)
            .await?
            .into_iter()
            .filter(|w| {
                actor.sees(crate::accounts::WardScope {
                    ward_id: w.id,
                    municipality_id: w.municipality_id,
                })
            })
            .collect();
        let items =
            dashboard::store::for_wards(&self.state.db, wards, self.state.clock.today(), false)
                .await?;
        Ok(Json(WardList {
            total: items.len() as i64,
            items,
        }))
    }

    #[oai(path = "/wards", method = "post", operation_id = "createWard")]
    async fn create(
        &self,
        req: &poem::Request,
        body: Json<NewWard>,
    ) -> ApiResult<Created<WardDashboard>> {
        if !crate::http::auth::actor(req)?.can_write_municipality(body.0.municipality_id) {
            return Err(crate::error::AppError::Forbidden.into());
        }
        let ward = store::create(&self.state.db, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(
            dashboard::store::for_ward(&self.state.db, ward.id, self.state.clock.today()).await?,
        )))
    }

    /// One ward with its dashboard: topics 1–10 (coverage in the current
    /// fiscal half-year, stage), overdue and upcoming evaluations.
    #[oai(path = "/wards/:ward_id", method = "get", operation_id = "getWard")]
    async fn get(&self, ward_id: Path<i64>) -> ApiResult<Json<WardDashboard>> {
        Ok(Json(
            dashboard::store::for_ward(&self.state.db, ward_id.0, self.state.clock.today()).await?,
        ))
    }

    #[oai(
        path = "/wards/:ward_id",
        method = "patch",
        operation_id = "updateWard"
    )]
    async fn update(
        &self,
        ward_id: Path<i64>,
        body: Json<WardPatch>,
    ) -> ApiResult<Json<WardDashboard>> {
        store::update(&self.state.db, ward_id.0, &body.0, self.state.clock.now()).await?;
        Ok(Json(
            dashboard::store::for_ward(&self.state.db, ward_id.0, self.state.clock.today()).await?,
        ))
    }
}
