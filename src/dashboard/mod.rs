//! The ward dashboard and the city view: for each of the ten topics,
//! whether a meeting of the current fiscal half-year covered it and the
//! ward's stage for it; the overdue and upcoming evaluations; the
//! evaluations postponed this half-year (延期された評価).

pub mod pages;
pub mod store;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::countermeasures::{Countermeasure, EventKind, Stage};
use crate::topics::TOPICS;
use crate::wards::Ward;

/// How far ahead "upcoming" due dates look.
pub const UPCOMING_DAYS: u64 = 30;

/// At most this many postponements are listed (newest first); a ward
/// postpones a few a half-year, so the cap only bounds the unusual.
pub const POSTPONED_LIMIT: i64 = 100;

pub const COVERED: &str = "あてはまる";
pub const NOT_COVERED: &str = "あてはまらない";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, poem_openapi::Object)]
pub struct TopicStatus {
    pub topic: i64,
    pub label: String,
    /// A meeting in the current fiscal half-year covered this topic.
    pub covered: bool,
    /// 「あてはまる」 or 「あてはまらない」.
    pub coverage: String,
    /// The most advanced stage among the ward's countermeasures for the topic (none: 未具体化).
    pub stage: Stage,
}

/// The per-topic figures of one ward, from the topics its meetings covered
/// and the most advanced stage per topic.
pub fn topic_statuses(covered: &HashSet<i64>, stages: &HashMap<i64, Stage>) -> Vec<TopicStatus> {
    TOPICS
        .iter()
        .map(|t| {
            let n = i64::from(t.number);
            let is_covered = covered.contains(&n);
            TopicStatus {
                topic: n,
                label: t.label.to_string(),
                covered: is_covered,
                coverage: if is_covered { COVERED } else { NOT_COVERED }.to_string(),
                stage: stages.get(&n).copied().unwrap_or(Stage::Identified),
            }
        })
        .collect()
}

/// One change that moved a countermeasure's evaluation due date later:
/// an edit, or a step on the ladder that set a new date (a re-plan).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct Postponement {
    pub countermeasure_id: i64,
    /// The countermeasure's title as it is now.
    pub title: String,
    /// The due date before the change. For a date cleared at 未具体化 and
    /// set again by the re-plan, the last date it had.
    pub previous_due_on: NaiveDate,
    /// The later due date the change set.
    pub new_due_on: NaiveDate,
    /// How: 編集 (an edit), or 段階を戻した / 段階を進めた (a re-plan).
    pub kind: EventKind,
    /// Who: the signed-in account's display name (its address when it has
    /// none), as the history shows it; for a change made without an account
    /// (CLI, demo data), the actor recorded with it.
    pub changed_by: Option<String>,
    /// When it was recorded (UTC, RFC 3339, as the history's `recorded_at`).
    pub changed_at: String,
    /// Its entry in the countermeasure's history.
    pub event_id: i64,
}

impl Postponement {
    /// `changed_at` as an instant; `None` only for text not written by the
    /// history (it writes RFC 3339).
    fn changed_instant(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.changed_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The Asia/Tokyo day of the change, for the page.
    pub fn changed_on(&self) -> Option<NaiveDate> {
        self.changed_instant().map(crate::calendar::today)
    }

    /// The Asia/Tokyo time of the change (`14:05`), for the page.
    pub fn changed_time(&self) -> String {
        self.changed_instant()
            .map(crate::calendar::clock_time)
            .unwrap_or_default()
    }
}

/// The shape of a stored [`Overview`]: raise it when the type changes, so
/// overviews stored by an older build are computed again, not misread.
/// 2: a countermeasure that has completed a round counts as 評価改善 for its
/// ward's topic stage.
pub const OVERVIEW_FORMAT: i64 = 2;

/// An evaluation due, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueEvaluation {
    pub countermeasure_id: i64,
    pub title: String,
    /// The agenda topic's number (1–10).
    pub topic: i64,
    /// The owner's name; `None` when no owner is set.
    pub owner: Option<String>,
    pub due_on: NaiveDate,
}

/// What the ward dashboard page shows that only the stored records and
/// the day decide: everything but its undelivered reminders (the outbox
/// changes them without an audit row). Put together from a [`WardPart`]
/// and a [`CityPart`], each stored (migration 0019) and used while its day
/// is today and its data version is the one it was computed from (issue
/// 17's performance target; BENCHMARKS.md).
#[derive(Debug, Clone)]
pub struct Overview {
    /// The ward's own figures, as stored.
    pub own: WardPart,
    /// PDCAの進み具合: the ward's figures beside the city's.
    pub progress: crate::progress::Compact,
    /// Per kind over the city's wards (the participation's city column).
    pub participation_city: Vec<crate::participation::KindTotal>,
    /// The city column of 半期ごとの推移 in brief, per half-year.
    pub trends_city: Vec<crate::trends::CityStageTopics>,
    /// 相談の内訳 in brief: the ward's shares beside the city's.
    pub consultations: crate::consultations::Compact,
}

/// The overview's part that only the ward's own records (and its city's
/// settings) decide, stored in `ward_overviews` at `wards.data_version`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WardPart {
    pub ward: Ward,
    /// The day it was computed for (Asia/Tokyo).
    pub today: NaiveDate,
    /// This half-year's topics: covered by a meeting, and their stage now.
    pub topics: Vec<TopicStatus>,
    /// Open 具体化 countermeasures past their evaluation due date.
    pub overdue: Vec<DueEvaluation>,
    /// Due within [`UPCOMING_DAYS`].
    pub upcoming: Vec<DueEvaluation>,
    /// This half-year's postponed evaluations, newest first, at most
    /// [`POSTPONED_LIMIT`].
    pub postponed: Vec<Postponement>,
    /// The survey of the half-year that ended last: 提出済, 下書き or 未回答.
    pub survey_state: String,
    pub participation: crate::participation::Participation,
    /// The ward's column of PDCAの進み具合.
    pub progress: crate::progress::Figures,
    pub trends: crate::trends::Compact,
}

/// The overview's part that compares a ward with its city, for all the
/// municipality's wards at once, stored in `city_overviews` at
/// `municipalities.data_version`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CityPart {
    /// The day it was computed for (Asia/Tokyo).
    pub today: NaiveDate,
    /// The city's column of PDCAの進み具合 (pooled over its wards).
    pub progress: crate::progress::Figures,
    /// Per kind, the wards where it attended of the wards that held a
    /// meeting this half-year (多職種の参画状況's city column).
    pub participation: Vec<crate::participation::KindTotal>,
    /// The city's topics per stage at each half-year end of the ward's
    /// 半期ごとの推移 in brief.
    pub trends: Vec<crate::trends::CityStageTopics>,
    /// 相談の内訳 in brief, one per ward of the municipality.
    pub consultations: Vec<crate::consultations::Compact>,
}

/// One ward's dashboard.
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct WardDashboard {
    #[oai(flatten)]
    #[serde(flatten)]
    pub ward: Ward,
    /// The current fiscal half-year, e.g. `2026H2`.
    pub period: String,
    /// 令和8年度下半期
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Today in Asia/Tokyo, the day "overdue" is judged against.
    pub today: NaiveDate,
    pub topics: Vec<TopicStatus>,
    pub overdue_count: i64,
    pub upcoming_count: i64,
    /// Overdue evaluations, oldest due date first.
    pub overdue: Vec<Countermeasure>,
    /// Evaluations due from today to `UPCOMING_DAYS` ahead.
    pub upcoming: Vec<Countermeasure>,
    /// 延期された評価: every change recorded in the current fiscal
    /// half-year (`period_start`..=`period_end`, Asia/Tokyo) that moved one
    /// of the ward's countermeasures' evaluation due date later, by an edit
    /// or a re-plan; a date moved earlier is not listed. Newest first, at
    /// most `POSTPONED_LIMIT`. Empty in the ward list (`GET /api/wards`),
    /// as `overdue` and `upcoming` are.
    pub postponed: Vec<Postponement>,
    /// The owners' names of the listed countermeasures, by member id, for
    /// the page (the API names owners by id).
    #[oai(skip)]
    #[serde(skip)]
    pub owner_names: HashMap<i64, String>,
}

/// How many half-years the dashboard's 推移 shows: this one and the last,
/// each read as of its end from the history, which is most of the page's
/// database time (BENCHMARKS.md); the trends page shows six.
pub const TREND_HALVES: i64 = 2;

/// How many half-years of 件/月 the dashboard's 相談の内訳 shows (cheap: one
/// survey row a half-year).
pub const CONSULTATION_HALVES: i64 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_topic_takes_coverage_and_its_best_stage_or_none() {
        let covered: HashSet<i64> = [1, 7].into();
        let stages: HashMap<i64, Stage> = [(7, Stage::Evaluated), (3, Stage::Planned)].into();
        let s = topic_statuses(&covered, &stages);
        assert_eq!(s.len(), 10);
        assert_eq!(
            (s[0].covered, s[0].coverage.as_str(), s[0].stage),
            (true, "あてはまる", Stage::Identified)
        );
        assert_eq!(
            (s[2].covered, s[2].coverage.as_str(), s[2].stage),
            (false, "あてはまらない", Stage::Planned)
        );
        assert_eq!((s[6].covered, s[6].stage), (true, Stage::Evaluated));
    }
}
