//! The ward dashboard and the city view: for each of the ten topics,
//! whether a meeting of the current fiscal half-year covered it and the
//! ward's stage for it; the overdue and upcoming evaluations.

pub mod store;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::countermeasures::{Countermeasure, Stage};
use crate::topics::TOPICS;
use crate::wards::Ward;

/// How far ahead "upcoming" due dates look.
pub const UPCOMING_DAYS: u64 = 30;

pub const COVERED: &str = "あてはまる";
pub const NOT_COVERED: &str = "あてはまらない";

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
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
    /// The owners' names of the listed countermeasures, by member id, for
    /// the page (the API names owners by id).
    #[oai(skip)]
    #[serde(skip)]
    pub owner_names: HashMap<i64, String>,
}

/// The report's charts that apply to one ward alone, for its dashboard:
/// the 100 % bars that its answers (or, for (イ), its records) fill. The
/// (オ) count tables and charts without a count stay on the ward's report page.
pub fn ward_charts(report: &crate::report::Report) -> Vec<&crate::report::Chart> {
    report
        .charts
        .iter()
        .filter(|c| c.stacked && c.rows.iter().any(|r| r.counts.iter().any(|&k| k > 0)))
        .collect()
}

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
