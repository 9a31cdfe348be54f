//! `/api/wards/{ward_id}/countermeasures`, `/api/countermeasures/{id}` and
//! the ladder: `/transitions`, `/next-cycle`, `/history`.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::store::{self, CountermeasureQuery, HistoryEntry};
use super::{
    Countermeasure, CountermeasurePatch, NewCountermeasure, NextCycleRequest, Stage,
    TransitionRequest,
};
use crate::access;
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::api::{ApiTags, Created, PageInfo, Rows};
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

pub struct CountermeasuresApi {
    pub state: AppState,
}

#[derive(Object, serde::Serialize)]
struct CountermeasureList {
    items: Vec<Countermeasure>,
    #[oai(flatten)]
    #[serde(flatten)]
    page: PageInfo,
}

#[derive(Object)]
struct History {
    items: Vec<HistoryEntry>,
}

#[OpenApi(tag = "ApiTags::Countermeasures")]
impl CountermeasuresApi {
    /// A ward's countermeasures by topic. Archived ones are left out unless `archived=true`.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/wards/:ward_id/countermeasures",
        method = "get",
        operation_id = "listCountermeasures"
    )]
    async fn list(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        stage: Query<Option<Stage>>,
        topic: Query<Option<i64>>,
        overdue: Query<Option<bool>>,
        archived: Query<Option<bool>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Rows<CountermeasureList>> {
        if let Some(t) = topic.0
            && crate::topics::topic(t).is_none()
        {
            return Err(crate::error::AppError::invalid(
                "topic",
                "会議の内容は1〜10の番号で指定してください",
            )
            .into());
        }
        let query = CountermeasureQuery {
            stage: stage.0,
            topic: topic.0,
            overdue: overdue.0,
            archived: archived.0,
            include_archived: false,
        };
        let ward = ward.0;
        let today = self.state.clock.today();
        let page = store::list_page(
            &self.state.db,
            &self.state.lists,
            &ward,
            query,
            today,
            Paging::new(limit.0, offset.0),
        )
        .await?;
        Ok(Rows(CountermeasureList {
            page: PageInfo::from(&*page),
            items: page.items.iter().map(|l| l.cm.clone()).collect(),
        }))
    }

    /// Records a countermeasure at stage 未具体化.
    #[oai(
        path = "/wards/:ward_id/countermeasures",
        method = "post",
        operation_id = "createCountermeasure"
    )]
    async fn create(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        body: Json<NewCountermeasure>,
    ) -> ApiResult<Created<Countermeasure>> {
        let ward = ward.0;
        let c = store::create(&self.state.db, &ward, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(c)))
    }

    #[oai(
        path = "/countermeasures/:id",
        method = "get",
        operation_id = "getCountermeasure"
    )]
    async fn get(
        &self,
        scope: Checked<access::CountermeasureRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<Countermeasure>> {
        let scope = scope.0;
        Ok(Json(
            store::get(&self.state.db, &scope, self.state.clock.today()).await?,
        ))
    }

    /// Edits fields, or archives (`archived: true`) / reopens it. The stage
    /// changes only through transitions. For the ward's secretariat and the
    /// city (an owner changes neither owner nor due date: 403).
    #[oai(
        path = "/countermeasures/:id",
        method = "patch",
        operation_id = "updateCountermeasure"
    )]
    async fn update(
        &self,
        scope: Checked<access::CountermeasureWrite>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<CountermeasurePatch>,
    ) -> ApiResult<Json<Countermeasure>> {
        let scope = scope.0;
        Ok(Json(
            store::update(&self.state.db, &scope, &body.0, self.state.clock.now()).await?,
        ))
    }

    /// Moves it one step up the ladder (未具体化 → 具体化 needs an owner and
    /// an evaluation due date; 具体化 → 評価改善 needs evaluation and
    /// improvement texts) or one step back with a reason in `note`. The
    /// owner (a `member`) records the step to 評価改善 only; the rest is for
    /// the ward's secretariat and the city (403).
    #[oai(
        path = "/countermeasures/:id/transitions",
        method = "post",
        operation_id = "transitionCountermeasure"
    )]
    async fn transition(
        &self,
        scope: Checked<access::CountermeasureStep>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<TransitionRequest>,
    ) -> ApiResult<Json<Countermeasure>> {
        let scope = scope.0;
        Ok(Json(
            store::transition(&self.state.db, &scope, &body.0, self.state.clock.now()).await?,
        ))
    }

    /// Starts the next PDCA round of a countermeasure at 評価改善: back to
    /// 具体化 with a new `evaluation_due_on` (after the step's date) and,
    /// when given, a new plan or owner; `cycle` goes up by one and the
    /// row's evaluation and verdict are cleared (the finished round stays
    /// in the history, followed by a 次のサイクルへ entry). For the ward's
    /// secretariat and the city (an owner: 403); 409 from any other stage.
    #[oai(
        path = "/countermeasures/:id/next-cycle",
        method = "post",
        operation_id = "nextCycleCountermeasure"
    )]
    async fn next_cycle(
        &self,
        scope: Checked<access::CountermeasureWrite>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<NextCycleRequest>,
    ) -> ApiResult<Json<Countermeasure>> {
        let scope = scope.0;
        Ok(Json(
            store::next_cycle(&self.state.db, &scope, &body.0, self.state.clock.now()).await?,
        ))
    }

    /// Every change, oldest first.
    #[oai(
        path = "/countermeasures/:id/history",
        method = "get",
        operation_id = "countermeasureHistory"
    )]
    async fn history(
        &self,
        scope: Checked<access::CountermeasureRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<History>> {
        let scope = scope.0;
        Ok(Json(History {
            items: store::history(&self.state.db, &scope).await?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::countermeasures::{Stage, Verdict};

    fn row(id: i64, stage: Stage, full: bool) -> Countermeasure {
        Countermeasure {
            id,
            ward_id: 7,
            topic: 3,
            scenes: if full {
                vec!["看取り".into(), "災害・感染症".into()]
            } else {
                Vec::new()
            },
            indicator_ids: if full { vec![3] } else { Vec::new() },
            title: "入退院時の「連携シート」".into(),
            issue: "課題\n二行目 \"引用\" \\ <b>".into(),
            plan: String::new(),
            owner_member_id: full.then_some(12),
            evaluation_due_on: full.then(|| "2027-03-31".parse().unwrap()),
            meeting_id: full.then_some(4),
            stage,
            evaluation: full.then(|| "評価".into()),
            improvement: full.then(|| "改善".into()),
            verdict: full.then_some(Verdict::Partly),
            verdict_reason: full.then(|| "理由".into()),
            cycle: if full { 2 } else { 1 },
            archived: full,
            overdue: !full,
        }
    }

    /// The list is sent with serde (`Rows`): its serde form must be the
    /// `ToJSON` form the spec describes, field for field.
    #[test]
    fn the_list_is_sent_as_the_spec_describes() {
        let list = CountermeasureList {
            items: vec![
                row(1, Stage::Identified, false),
                row(2, Stage::Planned, true),
                row(3, Stage::Evaluated, true),
            ],
            page: PageInfo {
                total: 120,
                limit: 50,
                offset: 50,
            },
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            list.to_json().unwrap()
        );
    }
}
