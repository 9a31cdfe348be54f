//! `GET, POST /api/municipalities/{id}/scenes`: the municipality's scenes
//! (the national four, then its own).

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{SceneEntry, store};
use crate::access;
use crate::state::AppState;
use crate::text::SingleLine;
use crate::visions::api::VisionTags;
use crate::web::api::Created;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The scene operations.
pub struct ScenesApi {
    pub state: AppState,
}

/// A scene to add.
#[derive(Debug, Clone, Object)]
struct NewScene {
    /// The name (trimmed; 1–40 characters; not one of the list).
    name: SingleLine,
}

#[OpenApi(tag = "VisionTags::Visions")]
impl ScenesApi {
    /// The municipality's scenes in order: 日常の療養支援, 入退院支援,
    /// 急変時の対応, 看取り (`national`), then its own. Every account of the
    /// municipality. Errors: 404 (another municipality, or none).
    #[oai(
        path = "/municipalities/:id/scenes",
        method = "get",
        operation_id = "listScenes"
    )]
    async fn list(
        &self,
        plan: Checked<access::PlanRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<Vec<SceneEntry>>> {
        store::municipality_name(&self.state.db, plan.0).await?;
        Ok(Json(store::list(&self.state.db, plan.0).await?.0))
    }

    /// Adds a scene of the municipality's own (e.g. 災害・感染症) after the
    /// others; answers the whole list. The city and `admin`. Errors: 422
    /// (blank, longer than 40 characters), 409 (already in the list,
    /// national names included), 404, 403.
    #[oai(
        path = "/municipalities/:id/scenes",
        method = "post",
        operation_id = "createScene"
    )]
    async fn create(
        &self,
        city: Checked<access::CityOf>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<NewScene>,
    ) -> ApiResult<Created<Vec<SceneEntry>>> {
        let now = self.state.clock.now();
        let scenes = store::create(&self.state.db, &city.0, &body.0.name, now).await?;
        Ok(Created::Created(Json(scenes.0)))
    }
}
