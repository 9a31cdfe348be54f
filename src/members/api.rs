//! `/api/wards/{ward_id}/members`, `/api/members/{id}`.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{Member, MemberPatch, NewMember, store};
use crate::app::AppState;
use crate::http::api::{ApiTags, Created, PageInfo};
use crate::http::problem::ApiResult;
use crate::paging::Paging;

pub struct MembersApi {
    pub state: AppState,
}

#[derive(Object)]
struct MemberList {
    items: Vec<Member>,
    #[oai(flatten)]
    page: PageInfo,
}

#[OpenApi(tag = "ApiTags::Members")]
impl MembersApi {
    /// A ward's members; former (inactive) members are included unless `active_only`.
    #[oai(
        path = "/wards/:ward_id/members",
        method = "get",
        operation_id = "listMembers"
    )]
    async fn list(
        &self,
        ward_id: Path<i64>,
        active_only: Query<Option<bool>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<MemberList>> {
        crate::wards::store::get(&self.state.db, ward_id.0).await?;
        let page = store::list(
            &self.state.db,
            ward_id.0,
            active_only.0.unwrap_or(false),
            Paging::new(limit.0, offset.0),
        )
        .await?;
        Ok(Json(MemberList {
            page: PageInfo::from(&page),
            items: page.items,
        }))
    }

    #[oai(
        path = "/wards/:ward_id/members",
        method = "post",
        operation_id = "createMember"
    )]
    async fn create(
        &self,
        ward_id: Path<i64>,
        body: Json<NewMember>,
    ) -> ApiResult<Created<Member>> {
        let m = store::create(&self.state.db, ward_id.0, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(m)))
    }

    #[oai(path = "/members/:id", method = "get", operation_id = "getMember")]
    async fn get(&self, id: Path<i64>) -> ApiResult<Json<Member>> {
        Ok(Json(store::get(&self.state.db, id.0).await?))
    }

    /// Updates some fields; `email: null` removes the address, `active: false` retires the member.
    #[oai(path = "/members/:id", method = "patch", operation_id = "updateMember")]
    async fn update(&self, id: Path<i64>, body: Json<MemberPatch>) -> ApiResult<Json<Member>> {
        Ok(Json(
            store::update(&self.state.db, id.0, &body.0, self.state.clock.now()).await?,
        ))
    }
}
