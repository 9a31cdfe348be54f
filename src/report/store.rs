//! Reads what a report needs and hands it to the pure [`super::build`].

use crate::access::CityView;
use crate::calendar::Period;
use crate::db::Db;
use crate::error::AppResult;
use crate::survey;
use crate::wards::Ward;

use super::{Input, Report, build, for_ward};

/// Loads what a period's report needs and builds it, over the wards of
/// `view` (one municipality, or every ward for `admin`). Errors: 404 when
/// the municipality does not exist.
pub async fn load(db: &Db, view: &CityView, period: Period) -> AppResult<Report> {
    if let Some(city) = view.city() {
        crate::municipalities::store::get(db, &city).await?;
    }
    let submitted = survey::store::submitted(db, view, period).await?;
    let statuses = survey::store::statuses(db, view, period).await?;
    let not_submitted = statuses
        .into_iter()
        .filter(|(_, s)| *s != Some(survey::SurveyStatus::Submitted))
        .map(|(w, _)| w.name)
        .collect();
    let derived = survey::store::derived(db, period).await?;
    let summaries = match view.city() {
        Some(city) => survey::store::summaries(db, &city, period).await?,
        None => Vec::new(),
    };
    Ok(build(Input {
        period,
        submitted: &submitted,
        not_submitted,
        derived: &derived,
        summaries: &summaries,
    }))
}

/// The same report for one ward alone, over its saved answers whether
/// submitted or still a draft (the ward's own view on its dashboard).
pub async fn load_for_ward(db: &Db, ward: &Ward, period: Period) -> AppResult<Report> {
    let survey = survey::store::get_for(db, ward, period).await?;
    Ok(for_ward(ward, survey, period))
}
