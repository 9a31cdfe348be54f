//! `/api/reminders/deliveries` (the delivery log) and
//! `/api/municipalities/{id}/reminder-settings` (per-municipality parameters).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::Overrides;
use super::store::{self, Delivery};
use crate::access::{self, CityRead};
use crate::error::AppError;
use crate::paging::Paging;
use crate::state::AppState;
use crate::web::api::{PageInfo, Rows};
use crate::web::auth::{Checked, actor};
use crate::web::problem::ApiResult;

#[derive(Tags)]
enum ReminderTags {
    /// E-mail reminders for overdue evaluations: delivery log and settings
    Reminders,
}

pub struct RemindersApi {
    pub state: AppState,
}

#[derive(Object, serde::Serialize)]
struct DeliveryList {
    /// Newest first.
    items: Vec<Delivery>,
    #[oai(flatten)]
    #[serde(flatten)]
    page: PageInfo,
}

/// A municipality's reminder parameters: its overrides and what applies.
#[derive(Object)]
struct ReminderSettings {
    municipality_id: i64,
    /// What the municipality set (`null`: the job file's value applies).
    overrides: Overrides,
    days_before_due: i64,
    repeat_interval_days: i64,
    escalation_after_days: i64,
    /// 多職種の参画状況: an organisation kind that attended none of a ward's
    /// last this-many meetings is flagged (the override, or 3).
    absence_window: i64,
}

/// The answer to a resend.
#[derive(ApiResponse)]
enum Resent {
    /// The message, queued again: `state` is `queued` and `attempts` 0
    /// (its history has a `queued` row naming who asked).
    #[oai(status = 200)]
    Queued(Json<Delivery>),
}

/// The outbox states a delivery can be in (the `state` filter).
pub const STATES: [&str; 7] = [
    "queued",
    "sending",
    "sent",
    "retrying",
    "failed",
    "refused",
    "cancelled",
];

#[OpenApi(tag = "ReminderTags::Reminders")]
impl RemindersApi {
    /// Every reminder message with its recipient, items, state, attempts
    /// and last error; filter by ward and state. City-level accounts see
    /// their municipality's, a ward's accounts their own ward's.
    #[oai(
        path = "/reminders/deliveries",
        method = "get",
        operation_id = "listDeliveries"
    )]
    async fn deliveries(
        &self,
        req: &poem::Request,
        /// Only this municipality's deliveries (`admin`; a city account sees its own).
        municipality_id: Query<Option<i64>>,
        ward_id: Query<Option<i64>>,
        /// queued, sending, sent, retrying, failed (retries ran out),
        /// refused (refused for good) or cancelled.
        state: Query<Option<String>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Rows<DeliveryList>> {
        let view = access::wards_view(&actor(req)?, municipality_id.0)?;
        if let Some(s) = &state.0
            && !STATES.contains(&s.as_str())
        {
            return Err(AppError::invalid(
                "state",
                format!("状態は {} のいずれかです", STATES.join(", ")),
            )
            .into());
        }
        let page = store::deliveries(
            &self.state.db,
            view,
            ward_id.0,
            &state.0.as_deref().into_iter().collect::<Vec<_>>(),
            Paging::new(limit.0, offset.0),
        )
        .await?;
        Ok(Rows(DeliveryList {
            page: PageInfo::from(&page),
            items: page.items,
        }))
    }

    /// Resends a failed or refused reminder message
    ///
    /// A message whose retries ran out (`failed`) or that the server refused
    /// (`refused`) is queued again, due now, with its attempts counted
    /// afresh; the sender tries it at its next pass (within 30 s), also to
    /// an address listed as refused, and one that gets through lifts the
    /// block on its address. Items a newer message to the same recipient
    /// carried drop out before the attempt, and a message left with none is
    /// cancelled rather than sent twice. Audited (`outbox`, `resend`). The
    /// ward's secretariat, the city of its municipality and `admin` may.
    #[oai(
        path = "/reminders/deliveries/:id/resend",
        method = "post",
        operation_id = "resendDelivery"
    )]
    async fn resend(
        &self,
        message: Checked<access::OutboxWrite>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Resent> {
        let delivery = store::resend(&self.state.db, &message.0, self.state.clock.now()).await?;
        Ok(Resent::Queued(Json(delivery)))
    }

    #[oai(
        path = "/municipalities/:id/reminder-settings",
        method = "get",
        operation_id = "getReminderSettings"
    )]
    async fn settings(
        &self,
        city: Checked<access::CityRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<ReminderSettings>> {
        self.settings_of(&city.0).await
    }

    /// Replaces the municipality's overrides (`null` fields: the job file's
    /// value; `absence_window` null: 3). Errors: 422 naming each field out of
    /// bounds (`absence_window`: 1–20).
    #[oai(
        path = "/municipalities/:id/reminder-settings",
        method = "put",
        operation_id = "setReminderSettings"
    )]
    async fn set_settings(
        &self,
        city: Checked<access::CityOf>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<Overrides>,
    ) -> ApiResult<Json<ReminderSettings>> {
        let city = city.0;
        store::save_overrides(
            &self.state.db,
            self.state.jobs.overdue_params(),
            &city,
            &body.0,
            self.state.clock.now(),
        )
        .await?;
        self.settings_of(&city.read()).await
    }
}

impl RemindersApi {
    async fn settings_of(&self, city: &CityRead) -> ApiResult<Json<ReminderSettings>> {
        crate::municipalities::store::get(&self.state.db, city).await?;
        let overrides = store::overrides(&self.state.db, city).await?;
        let p = overrides.apply(self.state.jobs.overdue_params());
        Ok(Json(ReminderSettings {
            municipality_id: city.municipality_id(),
            overrides,
            days_before_due: p.days_before_due,
            repeat_interval_days: p.repeat_interval_days,
            escalation_after_days: p.escalation_after_days,
            absence_window: overrides.absence_window(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::reminders::store::DeliveryItem;

    /// Sent with serde (`Rows`): the serde form must be the spec's `ToJSON` form.
    #[test]
    fn the_list_is_sent_as_the_spec_describes() {
        let item = |dropped: Option<&str>| DeliveryItem {
            id: 3,
            title: "連携シート".into(),
            ward: "北区".into(),
            due_on: "2026-11-01".into(),
            days_overdue: -2,
            track: "owner".into(),
            dropped: dropped.map(String::from),
        };
        let list = DeliveryList {
            items: vec![Delivery {
                id: 1,
                ward_id: None,
                recipient_kind: "secretariat".into(),
                recipient: "kita@example.jp".into(),
                subject: "【renkei】評価期限".into(),
                items: vec![item(None), item(Some("評価済み"))],
                state: "sent".into(),
                attempts: 1,
                last_error: None,
                reminder_date: "2026-11-24".into(),
                created_at: "2026-11-24T00:00:00Z".into(),
                sent_at: Some("2026-11-24T00:01:00Z".into()),
                message_id: "<x@renkei>".into(),
            }],
            page: PageInfo {
                total: 201,
                limit: 50,
                offset: 200,
            },
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            list.to_json().unwrap()
        );
    }
}
