//! `/api/wards`: wards with their dashboard figures.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{NewWard, WardPatch, store};
use crate::access;
use crate::dashboard::{self, WardDashboard};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::api::{ApiTags, Created};
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

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
        let actor = crate::web::auth::actor(req)?;
        let wards = store::list(
            &self.state.db,
            crate::access::visible(&actor),
            municipality_id.0,
        )
        .await?;
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
        let actor = crate::web::auth::actor(req)?;
        // Another municipality answers like one that does not exist.
        let city = access::city_of(&actor, body.0.municipality_id).map_err(|e| match e {
            AppError::NotFound(_) => {
                AppError::invalid("municipality_id", "指定された自治体は存在しません")
            }
            other => other,
        })?;
        let ward = store::create(&self.state.db, &city, &body.0, self.state.clock.now()).await?;
        let scope = access::ward_read(&self.state.db, &actor, ward.id).await?;
        Ok(Created::Created(Json(
            dashboard::store::for_ward(&self.state.db, &scope, self.state.clock.today()).await?,
        )))
    }

    /// One ward with its dashboard: topics 1–10 (coverage in the current
    /// fiscal half-year, stage), overdue and upcoming evaluations.
    #[oai(path = "/wards/:ward_id", method = "get", operation_id = "getWard")]
    async fn get(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
    ) -> ApiResult<Json<WardDashboard>> {
        let ward = ward.0;
        Ok(Json(
            dashboard::store::for_ward(&self.state.db, &ward, self.state.clock.today()).await?,
        ))
    }

    #[oai(
        path = "/wards/:ward_id",
        method = "patch",
        operation_id = "updateWard"
    )]
    /// Renaming is for the city (and `admin`); the ward's secretariat
    /// changes `sort_order` and `secretariat_email` only (403 otherwise).
    async fn update(
        &self,
        req: &poem::Request,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        body: Json<WardPatch>,
    ) -> ApiResult<Json<WardDashboard>> {
        let actor = crate::web::auth::actor(req)?;
        let ward = ward.0;
        let renamer = access::city_of(&actor, ward.municipality_id()).ok();
        let now = self.state.clock.now();
        store::update(&self.state.db, &ward, renamer.as_ref(), &body.0, now).await?;
        Ok(Json(
            dashboard::store::for_ward(&self.state.db, &ward.read(), self.state.clock.today())
                .await?,
        ))
    }
}
