//! `/api/health`, `/api/topics`, `/api/municipalities`.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{Municipality, NewMunicipality, store};
use crate::state::AppState;
use crate::topics::TOPICS;
use crate::web::api::{ApiTags, Created};
use crate::web::problem::ApiResult;

pub struct CatalogueApi {
    pub state: AppState,
}

#[derive(Object)]
struct Health {
    status: String,
    database: String,
}

#[derive(Object)]
struct TopicOut {
    number: i64,
    label: String,
}

#[derive(Object)]
struct TopicList {
    items: Vec<TopicOut>,
}

#[derive(Object)]
struct MunicipalityList {
    items: Vec<Municipality>,
    /// Number of municipalities listed (the list is not paged).
    total: i64,
}

#[OpenApi(tag = "ApiTags::Catalogue")]
impl CatalogueApi {
    /// Service health: answers when the server runs and the database responds.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> ApiResult<Json<Health>> {
        sqlx::query("SELECT 1")
            .execute(&self.state.db.pool)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(Json(Health {
            status: "ok".into(),
            database: "ok".into(),
        }))
    }

    /// The ten agenda topics (会議の内容) with their Japanese labels.
    #[oai(path = "/topics", method = "get", operation_id = "listTopics")]
    async fn topics(&self) -> Json<TopicList> {
        Json(TopicList {
            items: TOPICS
                .iter()
                .map(|t| TopicOut {
                    number: i64::from(t.number),
                    label: t.label.into(),
                })
                .collect(),
        })
    }

    /// Municipalities served by this deployment.
    #[oai(
        path = "/municipalities",
        method = "get",
        operation_id = "listMunicipalities",
        tag = "ApiTags::Wards"
    )]
    async fn list_municipalities(&self, req: &poem::Request) -> ApiResult<Json<MunicipalityList>> {
        let actor = crate::web::auth::actor(req)?;
        let items = store::list(&self.state.db, crate::access::visible(&actor)).await?;
        Ok(Json(MunicipalityList {
            total: items.len() as i64,
            items,
        }))
    }

    /// Creates a municipality with its wards (or, with none, one area for all of it).
    #[oai(
        path = "/municipalities",
        method = "post",
        operation_id = "createMunicipality",
        tag = "ApiTags::Wards"
    )]
    async fn create_municipality(
        &self,
        operator: crate::web::auth::Checked<crate::access::Installation>,
        body: Json<NewMunicipality>,
    ) -> ApiResult<Created<Municipality>> {
        let operator = operator.0;
        let m = store::create(&self.state.db, &operator, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(m)))
    }
}
