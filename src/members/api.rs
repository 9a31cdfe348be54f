//! `/api/wards/{ward_id}/members`, `/api/members/{id}`.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{Member, MemberPatch, NewMember, store};
use crate::access;
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::api::{ApiTags, Created, PageInfo};
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

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
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        active_only: Query<Option<bool>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<MemberList>> {
        let ward = ward.0;
        let page = store::list(
            &self.state.db,
            &ward,
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
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        body: Json<NewMember>,
    ) -> ApiResult<Created<Member>> {
        let ward = ward.0;
        let m = store::create(&self.state.db, &ward, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(m)))
    }

    #[oai(path = "/members/:id", method = "get", operation_id = "getMember")]
    async fn get(
        &self,
        member: Checked<access::MemberRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<Member>> {
        let member = member.0;
        Ok(Json(store::get(&self.state.db, &member).await?))
    }

    /// Updates some fields; `email: null` removes the address, `active: false` retires the member.
    #[oai(path = "/members/:id", method = "patch", operation_id = "updateMember")]
    async fn update(
        &self,
        member: Checked<access::MemberWrite>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<MemberPatch>,
    ) -> ApiResult<Json<Member>> {
        let member = member.0;
        Ok(Json(
            store::update(&self.state.db, &member, &body.0, self.state.clock.now()).await?,
        ))
    }
}
