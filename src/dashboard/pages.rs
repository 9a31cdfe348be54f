//! `/wards/{id}`: the ward dashboard, a one-screen overview: this
//! half-year's topic coverage and stages, the overdue, upcoming and
//! postponed evaluations, undelivered reminders, and the analytics in brief
//! (多職種の参画状況, 半期ごとの推移, 相談の内訳) with links to their pages.
//! The survey's charts are on the ward's report page.

use askama::Template;
use poem::web::Data;
use poem::{IntoResponse, handler};

use crate::access::WardRead;
use crate::countermeasures::pages::badge;
use crate::state::AppState;
use crate::web::page::{Badge, Layout, PageResult, date_label, fail, render, topic_label};

struct TopicRow {
    number: i64,
    label: String,
    covered: bool,
    badge: Badge,
}

struct DueRow {
    id: i64,
    title: String,
    topic: String,
    owner: String,
    due: String,
    /// Days past the due date (overdue) or left until it (upcoming).
    days: i64,
}

#[derive(Template)]
#[template(path = "wards/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    ward_id: i64,
    period_label: String,
    period_range: String,
    today: String,
    topics: Vec<TopicRow>,
    overdue: Vec<DueRow>,
    upcoming: Vec<DueRow>,
    postponed: Vec<super::Postponement>,
    /// The half-year that ended last (`2026H1`): its survey's state.
    survey_period: String,
    survey_period_label: String,
    /// 提出済, 下書き or 未回答.
    survey_state: String,
    participation: crate::participation::Participation,
    /// The city column of the participation's brief table (empty: none).
    participation_city: Vec<crate::participation::KindTotal>,
    progress: crate::progress::Compact,
    trends_compact: crate::trends::Compact,
    trends_city: Vec<crate::trends::CityStageTopics>,
    consultations_compact: crate::consultations::Compact,
    /// Reminder mails of this ward that could not be delivered.
    failed_mail: Vec<crate::reminders::store::Delivery>,
    failed_mail_total: i64,
    /// The actor may change the ward's data (the write actions are shown).
    can_write: bool,
    /// The actor may rename the ward (the city).
    can_rename: bool,
    /// A failed or refused reminder was just queued again (「再送する」 came
    /// back here with `?resent=ID`).
    resent: bool,
}

/// `GET /wards/{id}`: the page. `?resent=ID` (back from 「再送する」) says
/// a reminder was queued again.
#[handler]
pub async fn dashboard(
    Data(state): Data<&AppState>,
    scope: WardRead,
    uri: &poem::http::Uri,
) -> PageResult {
    let id = scope.ward_id();
    // The page kit knows its reader: no look-up for the links to show.
    let can_write = crate::web::page::reader_writes(id, scope.municipality_id());
    let can_rename = crate::web::page::reader_writes_city(scope.municipality_id());
    let today = state.clock.today();
    let period = crate::calendar::Period::containing(today);
    let overview = super::store::overview(&state.db, &scope, today)
        .await
        .map_err(fail)?;
    let row = |c: &super::DueEvaluation| DueRow {
        id: c.countermeasure_id,
        title: c.title.clone(),
        topic: topic_label(c.topic),
        owner: c.owner.clone().unwrap_or_else(|| "未設定".into()),
        due: date_label(c.due_on),
        days: (today - c.due_on).num_days().abs(),
    };
    let failed = crate::reminders::store::deliveries(
        &state.db,
        scope.wards(),
        None,
        &["failed", "refused"],
        crate::paging::Paging::new(Some(10), None),
    )
    .await
    .map_err(fail)?;
    // The survey's half-year is the one that ended last, as on the ward's report page.
    let survey_period = period.previous();
    let page = DashboardPage {
        layout: Layout::in_ward(
            format!("{} の状況", overview.own.ward.name),
            &overview.own.ward,
            "dashboard",
        ),
        ward_id: id,
        period_label: period.label(),
        period_range: format!("{} 〜 {}", period.start(), period.end()),
        today: date_label(today),
        topics: overview
            .own
            .topics
            .iter()
            .map(|t| TopicRow {
                number: t.topic,
                label: t.label.clone(),
                covered: t.covered,
                badge: badge(t.stage),
            })
            .collect(),
        overdue: overview.own.overdue.iter().map(row).collect(),
        upcoming: overview.own.upcoming.iter().map(row).collect(),
        survey_period: survey_period.code(),
        survey_period_label: survey_period.label(),
        survey_state: overview.own.survey_state,
        postponed: overview.own.postponed,
        participation: overview.own.participation,
        participation_city: overview.participation_city,
        progress: overview.progress,
        trends_compact: overview.own.trends,
        trends_city: overview.trends_city,
        consultations_compact: overview.consultations,
        failed_mail_total: failed.total,
        can_write,
        can_rename,
        failed_mail: failed.items,
        resent: crate::web::page::FormData::parse(uri.query().unwrap_or("").as_bytes())
            .non_empty("resent")
            .is_some(),
    };
    Ok(render(&page)?.into_response())
}
