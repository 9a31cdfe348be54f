//! `/api/wards/{ward_id}/surveys/{period}` (a ward's answers: draft,
//! submit; the city reopens), `/api/surveys/{period}/statuses` (who has not
//! submitted) and the city's summaries per section.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};

use super::{SectionText, Survey, SurveyAnswers, parse_period, store};
use crate::access;
use crate::state::AppState;
use crate::web::auth::{Checked, actor};
use crate::web::problem::ApiResult;

#[derive(Tags)]
pub enum SurveyTags {
    /// The half-year survey (事業項目 ア〜キ)
    Survey,
    /// The half-year report (資料1)
    Report,
    /// CSV import of meetings and countermeasures (Excel sheets in)
    Csv,
}

pub struct SurveyApi {
    pub state: AppState,
}

/// One ward's place in the collection of a period.
#[derive(Debug, Object)]
struct WardStatus {
    ward_id: i64,
    ward_name: String,
    /// 「未着手」「下書き」「提出済」
    status: String,
    submitted: bool,
}

#[derive(Debug, Object)]
struct StatusList {
    period: String,
    period_label: String,
    items: Vec<WardStatus>,
    /// Wards that have not submitted, in display order.
    not_submitted: Vec<String>,
}

#[derive(Debug, Object)]
struct Summaries {
    period: String,
    items: Vec<SectionText>,
}

#[OpenApi(tag = "SurveyTags::Survey")]
impl SurveyApi {
    /// A ward's survey for a period (`2017H1`); a blank draft when none is
    /// saved. `derived` carries (イ)'s topics and stages from the records.
    #[oai(
        path = "/wards/:ward_id/surveys/:period",
        method = "get",
        operation_id = "getSurvey"
    )]
    async fn get(
        &self,
        ward: Checked<access::WardRead>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Path<String>,
    ) -> ApiResult<Json<Survey>> {
        let ward = ward.0;
        let period = parse_period(&period.0)?;
        Ok(Json(store::get(&self.state.db, &ward, period).await?))
    }

    /// Saves the answers as a draft (lists may be empty, not partial).
    /// A submitted survey answers 409 until the city reopens it.
    #[oai(
        path = "/wards/:ward_id/surveys/:period",
        method = "put",
        operation_id = "saveSurveyDraft"
    )]
    async fn put(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Path<String>,
        body: Json<SurveyAnswers>,
    ) -> ApiResult<Json<Survey>> {
        let ward = ward.0;
        let period = parse_period(&period.0)?;
        let now = self.state.clock.now();
        Ok(Json(
            store::save_draft(&self.state.db, &ward, period, body.0, now).await?,
        ))
    }

    /// Submits the saved draft; every item must be answered (422 otherwise).
    #[oai(
        path = "/wards/:ward_id/surveys/:period/submit",
        method = "post",
        operation_id = "submitSurvey"
    )]
    async fn submit(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Path<String>,
    ) -> ApiResult<Json<Survey>> {
        let ward = ward.0;
        let period = parse_period(&period.0)?;
        let now = self.state.clock.now();
        Ok(Json(
            store::submit(&self.state.db, &ward, period, now).await?,
        ))
    }

    /// The city sends a submitted survey back to the ward as a draft (the
    /// city of the ward's municipality only: 403 for the ward's accounts).
    #[oai(
        path = "/wards/:ward_id/surveys/:period/reopen",
        method = "post",
        operation_id = "reopenSurvey"
    )]
    async fn reopen(
        &self,
        scope: Checked<(access::WardWrite, access::CityOf)>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        period: Path<String>,
    ) -> ApiResult<Json<Survey>> {
        let (ward, city) = scope.0;
        let period = parse_period(&period.0)?;
        let now = self.state.clock.now();
        Ok(Json(
            store::reopen(&self.state.db, &ward, &city, period, now).await?,
        ))
    }

    /// Every ward's status for a period, and the wards not yet submitted.
    #[oai(
        path = "/surveys/:period/statuses",
        method = "get",
        operation_id = "listSurveyStatuses"
    )]
    async fn statuses(
        &self,
        req: &poem::Request,
        period: Path<String>,
        municipality_id: Query<Option<i64>>,
    ) -> ApiResult<Json<StatusList>> {
        let view = access::city_view(&actor(req)?, municipality_id.0)?;
        let period = parse_period(&period.0)?;
        let rows = store::statuses(&self.state.db, &view, period).await?;
        let items: Vec<WardStatus> = rows
            .into_iter()
            .map(|(w, s)| WardStatus {
                ward_id: w.id,
                ward_name: w.name,
                status: s.map_or("未着手", |s| s.as_str()).to_string(),
                submitted: s == Some(super::SurveyStatus::Submitted),
            })
            .collect();
        let not_submitted = items
            .iter()
            .filter(|w| !w.submitted)
            .map(|w| w.ward_name.clone())
            .collect();
        Ok(Json(StatusList {
            period: period.code(),
            period_label: period.label(),
            items,
            not_submitted,
        }))
    }

    /// The city's summary of next actions per section (ア〜キ).
    #[oai(
        path = "/municipalities/:id/surveys/:period/summaries",
        method = "get",
        operation_id = "getSurveySummaries"
    )]
    async fn summaries(
        &self,
        city: Checked<access::CityRead>,
        #[oai(name = "id")] _id: Path<i64>,
        period: Path<String>,
    ) -> ApiResult<Json<Summaries>> {
        let city = city.0;
        let period = parse_period(&period.0)?;
        crate::municipalities::store::get(&self.state.db, &city).await?;
        let items = store::summaries(&self.state.db, &city, period).await?;
        Ok(Json(Summaries {
            period: period.code(),
            items,
        }))
    }

    /// Sets the city's summaries given (an empty text removes one).
    #[oai(
        path = "/municipalities/:id/surveys/:period/summaries",
        method = "put",
        operation_id = "saveSurveySummaries"
    )]
    async fn save_summaries(
        &self,
        city: Checked<access::CityOf>,
        #[oai(name = "id")] _id: Path<i64>,
        period: Path<String>,
        body: Json<Vec<SectionText>>,
    ) -> ApiResult<Json<Summaries>> {
        let city = city.0;
        let period = parse_period(&period.0)?;
        let now = self.state.clock.now();
        let items = store::save_summaries(&self.state.db, &city, period, &body.0, now).await?;
        Ok(Json(Summaries {
            period: period.code(),
            items,
        }))
    }
}
