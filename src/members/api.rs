//! `/api/wards/{ward_id}/members`, `/api/members/{id}`.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::{Member, MemberPatch, NewMember, store};
use crate::access;
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::api::{ApiTags, Created, PageInfo, Rows};
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

pub struct MembersApi {
    pub state: AppState,
}

#[derive(Object, serde::Serialize)]
struct MemberList {
    items: Vec<Member>,
    #[oai(flatten)]
    #[serde(flatten)]
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
    ) -> ApiResult<Rows<MemberList>> {
        let ward = ward.0;
        let page = store::list(
            &self.state.db,
            &ward,
            active_only.0.unwrap_or(false),
            Paging::new(limit.0, offset.0),
        )
        .await?;
        Ok(Rows(MemberList {
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

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::members::OrganizationKind;

    /// Sent with serde (`Rows`): the serde form must be the spec's `ToJSON` form.
    #[test]
    fn the_list_is_sent_as_the_spec_describes() {
        let member = |id, email: Option<&str>| Member {
            id,
            ward_id: 2,
            name: "山田 太郎".into(),
            organization: "北区医師会".into(),
            organization_kind: OrganizationKind::Hospital,
            email: email.map(String::from),
            active: email.is_some(),
        };
        let list = MemberList {
            items: vec![member(1, Some("taro@example.jp")), member(2, None)],
            page: PageInfo {
                total: 2,
                limit: 50,
                offset: 0,
            },
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            list.to_json().unwrap()
        );
    }
}
