//! `/api/wards/{ward_id}/meetings`, `/api/meetings/{id}`.

use chrono::NaiveDate;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::store::{self, MeetingQuery};
use super::{Meeting, MeetingPatch, NewMeeting, StageChange};
use crate::access;
use crate::error::{AppError, FieldError};
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::api::{ApiTags, Created, NoContent, PageInfo, Rows};
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

pub struct MeetingsApi {
    pub state: AppState,
}

#[derive(Object, serde::Serialize)]
struct MeetingList {
    items: Vec<Meeting>,
    #[oai(flatten)]
    #[serde(flatten)]
    page: PageInfo,
}

/// A meeting to record, with the ladder steps it decided.
#[derive(Object)]
struct NewMeetingRequest {
    #[oai(flatten)]
    meeting: NewMeeting,
    /// Steps up the ladder this meeting decided for open countermeasures of
    /// its ward, recorded with it in one transaction (all or nothing); the
    /// errors of a step name their fields `cm-{countermeasure_id}-{field}`.
    #[oai(default)]
    stage_changes: Vec<StageChange>,
}

/// Changes to a meeting, with the ladder steps it decided.
#[derive(Object)]
struct MeetingPatchRequest {
    #[oai(flatten)]
    patch: MeetingPatch,
    /// As for a new meeting; the steps are dated the meeting's `held_on`.
    #[oai(default)]
    stage_changes: Vec<StageChange>,
}

/// A calendar subscription URL.
#[derive(Object)]
struct CalendarFeed {
    /// `BASE_URL/calendar.ics?token=TOKEN`; keep it private: the token is the credential.
    url: String,
}

impl MeetingsApi {
    /// Issues a new feed token for `scope` and answers its URL.
    async fn feed(&self, scope: super::ical::Scope) -> ApiResult<Json<CalendarFeed>> {
        let token = super::ical::issue(&self.state.db, scope, self.state.clock.now()).await?;
        Ok(Json(CalendarFeed {
            url: super::ical::feed_url(&self.state.config.base_url, &token),
        }))
    }
}

#[OpenApi(tag = "ApiTags::Meetings")]
impl MeetingsApi {
    /// A ward's meetings, newest first; `from`/`to` bound `held_on` (inclusive).
    #[oai(
        path = "/wards/:ward_id/meetings",
        method = "get",
        operation_id = "listMeetings"
    )]
    async fn list(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Rows<MeetingList>> {
        let ward = ward.0;
        let years: Vec<FieldError> = [
            ("from", "期間の開始日", from.0),
            ("to", "期間の終了日", to.0),
        ]
        .into_iter()
        .filter_map(|(field, label, date)| crate::calendar::check_year(field, label, date?).err())
        .collect();
        if !years.is_empty() {
            return Err(AppError::Invalid(years).into());
        }
        let query = MeetingQuery {
            from: from.0,
            to: to.0,
        };
        let page =
            store::list(&self.state.db, &ward, query, Paging::new(limit.0, offset.0)).await?;
        Ok(Rows(MeetingList {
            page: PageInfo::from(&page),
            items: page.items,
        }))
    }

    /// Records a meeting, with `stage_changes` for the ladder steps it decided.
    #[oai(
        path = "/wards/:ward_id/meetings",
        method = "post",
        operation_id = "createMeeting"
    )]
    async fn create(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        body: Json<NewMeetingRequest>,
    ) -> ApiResult<Created<Meeting>> {
        let ward = ward.0;
        let m = store::create_deciding(
            &self.state.db,
            &ward,
            &body.0.meeting,
            &body.0.stage_changes,
            self.state.clock.now(),
        )
        .await?;
        Ok(Created::Created(Json(m)))
    }

    #[oai(path = "/meetings/:id", method = "get", operation_id = "getMeeting")]
    async fn get(
        &self,
        meeting: Checked<access::MeetingRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<Meeting>> {
        let meeting = meeting.0;
        Ok(Json(store::get(&self.state.db, &meeting).await?))
    }

    /// Updates some fields; `topics` and `attendee_ids`, when given, replace
    /// the lists; `stage_changes` records the ladder steps the meeting decided.
    #[oai(
        path = "/meetings/:id",
        method = "patch",
        operation_id = "updateMeeting"
    )]
    async fn update(
        &self,
        meeting: Checked<access::MeetingWrite>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<MeetingPatchRequest>,
    ) -> ApiResult<Json<Meeting>> {
        let meeting = meeting.0;
        Ok(Json(
            store::update_deciding(
                &self.state.db,
                &meeting,
                &body.0.patch,
                &body.0.stage_changes,
                self.state.clock.now(),
            )
            .await?,
        ))
    }

    /// Deletes a meeting; 409 while countermeasures name it as the meeting that decided them.
    #[oai(
        path = "/meetings/:id",
        method = "delete",
        operation_id = "deleteMeeting"
    )]
    async fn delete(
        &self,
        meeting: Checked<access::MeetingWrite>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<NoContent> {
        let meeting = meeting.0;
        store::delete(&self.state.db, &meeting, self.state.clock.now()).await?;
        Ok(NoContent::NoContent)
    }

    /// Issues the ward's iCal feed URL (meetings and evaluation due dates);
    /// an earlier URL stops working.
    #[oai(
        path = "/wards/:ward_id/calendar-feed",
        method = "post",
        operation_id = "issueWardCalendarFeed"
    )]
    async fn ward_feed(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
    ) -> ApiResult<Json<CalendarFeed>> {
        let ward = ward.0;
        self.feed(super::ical::Scope::Ward(ward)).await
    }

    /// Issues a member's iCal feed URL (meetings attended, own due dates);
    /// an earlier URL stops working.
    #[oai(
        path = "/members/:member_id/calendar-feed",
        method = "post",
        operation_id = "issueMemberCalendarFeed"
    )]
    async fn member_feed(
        &self,
        member: Checked<access::MemberWrite>,
        #[oai(name = "member_id")] _member_id: Path<i64>,
    ) -> ApiResult<Json<CalendarFeed>> {
        let member = member.0;
        self.feed(super::ical::Scope::Member(member)).await
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::meetings::MeetingKind;

    /// Sent with serde (`Rows`): the serde form must be the spec's `ToJSON` form.
    #[test]
    fn the_list_is_sent_as_the_spec_describes() {
        let list = MeetingList {
            items: vec![Meeting {
                id: 1,
                ward_id: 2,
                held_on: "2026-11-24".parse().unwrap(),
                title: "第3回 推進会議 \"全体\"".into(),
                kind: MeetingKind::Practitioners,
                topics: vec![1, 3, 10],
                attendee_ids: vec![],
                minutes: "議事録\n二行目".into(),
            }],
            page: PageInfo {
                total: 1,
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
