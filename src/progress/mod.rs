//! PDCAの進み具合: how far each ward's countermeasures move through the
//! PDCA ladder, per ward and side by side for the city. The rules here are
//! pure; `store.rs` reads the evaluation rounds (migration 0017) and the
//! countermeasures into a [`Tally`] per ward, and [`Figures::of`] turns a
//! tally into the printed figures.
//!
//! **An evaluation round** (評価の周期) is one stay of a countermeasure at
//! 具体化: it starts with the step into 具体化 (from 未具体化, or back from
//! 評価改善: a re-plan starts the next round) and ends with the next stage
//! change: to 評価改善 (evaluated, on that step's date) or back to 未具体化
//! (ended unevaluated). Archiving does not end a round; restoring resumes
//! it. A round's **first due date** is the evaluation due date in force when
//! it started; a later change never moves it. So:
//!
//! - **期限内評価率** of a period: of the rounds whose first due date falls in
//!   the period, the share evaluated on or before that first due date (an
//!   evaluation recorded on its due date is on time). Rounds not yet judged
//!   (open, not evaluated, first due today or later: 期限前) are left out of
//!   the denominator until their day comes; a round ended unevaluated is
//!   judged at once. Rounds whose due date was moved later during the round
//!   are counted and shown as 延期あり and still judged against the first
//!   date, so postponing never raises the rate. A countermeasure stepped
//!   back to 未具体化 and up again has two rounds: the first, ended
//!   unevaluated, counts as 未評価 in its period, the second with its own
//!   first due date. The rate is whole percent, rounded as Excel's `ROUND`
//!   ([`crate::figures::percent`]); the city total divides the pooled
//!   counts, never averages the wards' percentages.
//! - **評価期限超過（現在）**: 具体化, not archived, due before today
//!   ([`crate::countermeasures::is_overdue`], the dashboard's rule, against
//!   the due date in force), with the longest and the median days past it:
//!   the longest tells the secretariat which one to chase first, the median
//!   whether lateness is the rule or one straggler.
//! - **中央値（日）** of 未具体化 → 具体化 and 具体化 → 評価改善: over the steps
//!   dated in the period (steps into 具体化 from 未具体化; steps to 評価改善),
//!   the exact day count since the countermeasure entered the stage it left
//!   (a step back-dated before that counts 0). The median of an even count
//!   is the mean of the two middle values (Excel's `MEDIAN`), rounded half
//!   up to whole days as [`crate::figures::rounded`] does.
//! - **停滞** (now): not 評価改善, not archived, and its stage has not changed
//!   since the end of the half-year before last ([`stuck_since`]): it stood
//!   unchanged at the last two half-year ends and is still there.
//! - **対応策のない議題**: the topics (of the ten) with no countermeasure at
//!   all, archived ones included; for the city total, the topics no ward has
//!   one for.
//!
//! Overdue, 停滞 and the topics are as of today whatever the period asked;
//! the pages say so.

pub mod api;
pub mod pages;
pub mod store;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{Period, Span};
use crate::error::{AppError, AppResult};

/// A count per exact day count (days → how many): a histogram from which a
/// median is read exactly.
pub type Days = BTreeMap<i64, i64>;

/// What the store reads for one ward (or, merged, for a city): counts and
/// day histograms, before any rate or median is taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Rounds whose first due date falls in the period.
    pub due: i64,
    /// Of those, evaluated on or before the first due date.
    pub on_time: i64,
    /// Evaluated after it.
    pub late: i64,
    /// Not evaluated, still open, first due today or later.
    pub pending: i64,
    /// Of `due`, the rounds whose due date was moved later.
    pub postponed: i64,
    /// Steps 未具体化 → 具体化 dated in the period, by days taken.
    pub to_planned: Days,
    /// Steps 具体化 → 評価改善 dated in the period, by days taken.
    pub to_evaluated: Days,
    /// Countermeasures overdue today, by days past the due date.
    pub overdue: Days,
    /// 停滞 countermeasures (now).
    pub stuck: i64,
    /// Topics with at least one countermeasure (archived ones too).
    pub topics: BTreeSet<i64>,
}

impl Tally {
    /// Adds another ward's counts: the city total pools the counts, so its
    /// rate and medians are taken over every ward's rounds and steps.
    pub fn merge(&mut self, other: &Tally) {
        self.due += other.due;
        self.on_time += other.on_time;
        self.late += other.late;
        self.pending += other.pending;
        self.postponed += other.postponed;
        for (into, from) in [
            (&mut self.to_planned, &other.to_planned),
            (&mut self.to_evaluated, &other.to_evaluated),
            (&mut self.overdue, &other.overdue),
        ] {
            for (days, n) in from {
                *into.entry(*days).or_default() += n;
            }
        }
        self.stuck += other.stuck;
        self.topics.extend(other.topics.iter().copied());
    }
}

/// The evaluation rounds first due in the period (期限内評価率 and its parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct Rounds {
    /// Rounds whose first due date falls in the period (評価予定).
    pub due: i64,
    /// Evaluated on or before the first due date (期限内評価).
    pub on_time: i64,
    /// Evaluated after the first due date (期限後評価).
    pub late: i64,
    /// Not evaluated: past the first due date, or ended (stepped back)
    /// without an evaluation (未評価).
    pub missed: i64,
    /// Not judged yet: open, not evaluated, first due today or later (期限前).
    pub pending: i64,
    /// The judged rounds, `due − pending`: the rate's denominator.
    pub judged: i64,
    /// Rounds whose due date was moved later during the round (延期あり),
    /// counted in the figures above against their first due date.
    pub postponed: i64,
    /// 期限内評価率: `on_time / judged` in whole percent, rounded half up
    /// (`"67"`); absent when no round is judged.
    pub on_time_rate: Option<String>,
}

/// Countermeasures overdue today (評価期限超過).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct Overdue {
    pub count: i64,
    /// Days past the due date of the one overdue longest.
    pub longest_days: Option<i64>,
    /// The median of the days past the due date (whole days, half up).
    pub median_days: Option<i64>,
}

/// Steps of one kind dated in the period, and how long they took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct Steps {
    /// How many steps.
    pub count: i64,
    /// The median of their exact day counts (whole days, half up).
    pub median_days: Option<i64>,
}

/// The figures of one ward, or of the city total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct Figures {
    /// The rounds first due in the period (期限内評価率).
    pub rounds: Rounds,
    /// Overdue today.
    pub overdue: Overdue,
    /// 未具体化 → 具体化, steps dated in the period.
    pub to_planned: Steps,
    /// 具体化 → 評価改善, steps dated in the period.
    pub to_evaluated: Steps,
    /// 停滞 countermeasures, today.
    pub stuck: i64,
    /// The topics (1–10) with no countermeasure at all, today.
    pub topics_without: Vec<i64>,
}

impl Figures {
    /// The figures of a tally, by the rules of the module's documentation.
    pub fn of(t: &Tally) -> Figures {
        let judged = t.due - t.pending;
        Figures {
            rounds: Rounds {
                due: t.due,
                on_time: t.on_time,
                late: t.late,
                missed: judged - t.on_time - t.late,
                pending: t.pending,
                judged,
                postponed: t.postponed,
                on_time_rate: crate::figures::percent(t.on_time, judged),
            },
            overdue: Overdue {
                count: t.overdue.values().sum(),
                longest_days: t.overdue.keys().next_back().copied(),
                median_days: median(&t.overdue),
            },
            to_planned: steps(&t.to_planned),
            to_evaluated: steps(&t.to_evaluated),
            stuck: t.stuck,
            topics_without: crate::topics::TOPICS
                .iter()
                .map(|topic| i64::from(topic.number))
                .filter(|n| !t.topics.contains(n))
                .collect(),
        }
    }
}

fn steps(days: &Days) -> Steps {
    Steps {
        count: days.values().sum(),
        median_days: median(days),
    }
}

/// The median of the values a histogram counts, as Excel's `MEDIAN`: the
/// middle value, or for an even count the mean of the two middle ones,
/// rounded half up to a whole number ([`crate::figures::rounded`]). `None`
/// for no values.
pub fn median(days: &Days) -> Option<i64> {
    let n: i64 = days.values().sum();
    if n <= 0 {
        return None;
    }
    // The k-th smallest value (1-based).
    let nth = |k: i64| {
        let mut seen = 0;
        days.iter().find_map(|(value, count)| {
            seen += count;
            (seen >= k).then_some(*value)
        })
    };
    let (low, high) = if n % 2 == 1 {
        let m = nth(n / 2 + 1)?;
        (m, m)
    } else {
        (nth(n / 2)?, nth(n / 2 + 1)?)
    };
    crate::figures::rounded(low + high, 2, 1, 0).and_then(|m| m.parse().ok())
}

/// The day on or before which a countermeasure's last stage change must
/// fall for it to be 停滞 today: the end of the half-year before last (on
/// 2026-11-24, in 2026H2: 2026-03-31, so it stood unchanged at 2026-03-31
/// and 2026-09-30 and since).
pub fn stuck_since(today: NaiveDate) -> NaiveDate {
    Period::containing(today).previous().previous().end()
}

/// The span a request names (`?period=`), the current half-year when it
/// names none. Errors: 422 with the Japanese message of
/// [`crate::calendar::SpanError`] on the field `period`.
pub fn span_param(code: Option<&str>, today: NaiveDate) -> AppResult<Span> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(Span::Half(Period::containing(today))),
        Some(_) => Span::parse(code.unwrap_or_default())
            .map_err(|e| AppError::invalid("period", e.message())),
    }
}

/// A column of the side-by-side view, to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The wards' own order (the default).
    Ward,
    Rate,
    Due,
    Postponed,
    Missed,
    Overdue,
    OverdueLongest,
    ToPlanned,
    ToEvaluated,
    Stuck,
    TopicsWithout,
}

impl SortKey {
    /// Every key with its code in `?sort=` and its column label.
    pub const ALL: [(SortKey, &'static str, &'static str); 11] = [
        (SortKey::Ward, "ward", "区"),
        (SortKey::Rate, "rate", "期限内評価率"),
        (SortKey::Due, "due", "評価予定"),
        (SortKey::Postponed, "postponed", "延期あり"),
        (SortKey::Missed, "missed", "未評価"),
        (SortKey::Overdue, "overdue", "評価期限超過"),
        (SortKey::OverdueLongest, "overdue_longest", "最長超過日数"),
        (SortKey::ToPlanned, "to_planned", "未具体化→具体化"),
        (SortKey::ToEvaluated, "to_evaluated", "具体化→評価改善"),
        (SortKey::Stuck, "stuck", "停滞"),
        (SortKey::TopicsWithout, "topics_without", "対応策のない議題"),
    ];

    pub fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or("ward", |(_, code, _)| code)
    }
}

/// How the side-by-side view is sorted: a column, ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Reads `?sort=`: a column code (`rate`), descending with a leading
    /// `-` (`-rate`); absent or empty: the wards' own order. Errors: 422 on
    /// the field `sort`, listing the codes.
    pub fn parse(code: Option<&str>) -> AppResult<Sort> {
        let code = code.map(str::trim).unwrap_or("");
        let (descending, name) = match code.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, code),
        };
        if name.is_empty() && !descending {
            return Ok(Sort {
                key: SortKey::Ward,
                descending: false,
            });
        }
        match SortKey::ALL.iter().find(|(_, c, _)| *c == name) {
            Some((key, ..)) => Ok(Sort {
                key: *key,
                descending,
            }),
            None => Err(AppError::invalid(
                "sort",
                format!(
                    "並べ替え「{code}」は指定できません。{} のいずれか（降順は先頭に -）を指定してください",
                    SortKey::ALL
                        .iter()
                        .map(|(_, c, _)| *c)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
        }
    }

    /// The code it is read back from: `rate`, `-rate`.
    pub fn code(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.key.code()
        )
    }

    /// Orders `rows` (figures with the ward's place in its own order) by
    /// this column; a row without a value (no judged round, no median)
    /// comes last either way, and ties keep the wards' own order. Rates are
    /// compared as exact fractions, not as rounded percentages.
    pub fn apply<T>(self, rows: &mut [T], figures: impl Fn(&T) -> (&Figures, usize)) {
        rows.sort_by(|a, b| {
            let (fa, oa) = figures(a);
            let (fb, ob) = figures(b);
            let by_value = match (self.value(fa), self.value(fb)) {
                (Some(x), Some(y)) => {
                    let c = x.cmp(&y);
                    if self.descending { c.reverse() } else { c }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let by_order = if self.key == SortKey::Ward && self.descending {
                ob.cmp(&oa)
            } else {
                oa.cmp(&ob)
            };
            by_value.then(by_order)
        });
    }

    /// The value a row is sorted on; `None` sorts last.
    fn value(self, f: &Figures) -> Option<Value> {
        let int = |v: i64| Some(Value::Int(v));
        match self.key {
            SortKey::Ward => None,
            SortKey::Rate => {
                (f.rounds.judged > 0).then_some(Value::Ratio(f.rounds.on_time, f.rounds.judged))
            }
            SortKey::Due => int(f.rounds.due),
            SortKey::Postponed => int(f.rounds.postponed),
            SortKey::Missed => int(f.rounds.missed),
            SortKey::Overdue => int(f.overdue.count),
            SortKey::OverdueLongest => f.overdue.longest_days.map(Value::Int),
            SortKey::ToPlanned => f.to_planned.median_days.map(Value::Int),
            SortKey::ToEvaluated => f.to_evaluated.median_days.map(Value::Int),
            SortKey::Stuck => int(f.stuck),
            SortKey::TopicsWithout => int(f.topics_without.len() as i64),
        }
    }
}

/// A sortable value: a count, or a fraction compared exactly.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    /// numerator, denominator (> 0)
    Ratio(i64, i64),
}

impl Value {
    fn cmp(&self, other: &Value) -> Ordering {
        let (a, b) = self.fraction();
        let (c, d) = other.fraction();
        (i128::from(a) * i128::from(d)).cmp(&(i128::from(c) * i128::from(b)))
    }

    fn fraction(&self) -> (i64, i64) {
        match *self {
            Value::Int(v) => (v, 1),
            Value::Ratio(n, d) => (n, d),
        }
    }
}

/// The period as the API and the pages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct PeriodInfo {
    /// `2026H1` or `2026`.
    pub code: String,
    /// 令和8年度上半期, 令和8年度.
    pub label: String,
    pub start: NaiveDate,
    /// The last day, inclusive.
    pub end: NaiveDate,
}

impl From<Span> for PeriodInfo {
    fn from(s: Span) -> Self {
        PeriodInfo {
            code: s.code(),
            label: s.label(),
            start: s.start(),
            end: s.end(),
        }
    }
}

/// One ward's PDCAの進み具合.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct WardProgress {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    pub period: PeriodInfo,
    /// The day overdue, 停滞 and the topics are counted on (Asia/Tokyo).
    pub as_of: NaiveDate,
    /// 停滞: the last stage change on or before this day ([`stuck_since`]).
    pub stuck_since: NaiveDate,
    pub figures: Figures,
}

/// One ward's line of the side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct WardLine {
    pub ward_id: i64,
    pub ward_name: String,
    pub figures: Figures,
}

/// The wards side by side, sorted, with the city total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct CityProgress {
    /// The municipality; absent when the view spans every one (`admin`).
    pub municipality_id: Option<i64>,
    pub period: PeriodInfo,
    pub as_of: NaiveDate,
    pub stuck_since: NaiveDate,
    /// The order (`ward`, `rate`, `-rate` …; see `sort` in the request).
    pub sort: String,
    pub wards: Vec<WardLine>,
    /// The total over the pooled counts of every ward listed.
    pub total: Figures,
}

/// What the ward dashboard shows of this section (the partial
/// `templates/progress_compact.html` reads it as `progress`): this
/// half-year's figures of the ward and, pooled, of its city (the city's
/// `topics_without`: the topics no ward has a countermeasure for). The
/// dashboard stores the city's once per municipality and data version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Compact {
    pub ward_id: i64,
    pub period: PeriodInfo,
    pub as_of: NaiveDate,
    pub ward: Figures,
    pub city: Figures,
}

impl Compact {
    /// The compact view of this half-year (the one containing `today`)
    /// from the ward's and the city's figures.
    pub fn new(ward_id: i64, today: NaiveDate, ward: Figures, city: Figures) -> Self {
        Compact {
            ward_id,
            period: Span::Half(Period::containing(today)).into(),
            as_of: today,
            ward,
            city,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(pairs: &[(i64, i64)]) -> Days {
        pairs.iter().copied().collect()
    }

    #[test]
    fn medians_follow_excel_and_round_half_up() {
        assert_eq!(median(&days(&[])), None);
        assert_eq!(median(&days(&[(7, 1)])), Some(7));
        // 10, 20, 30 → 20
        assert_eq!(median(&days(&[(10, 1), (20, 1), (30, 1)])), Some(20));
        // 10, 15 → 12.5 → 13 (half up, not to even)
        assert_eq!(median(&days(&[(10, 1), (15, 1)])), Some(13));
        // 1, 2, 2, 2 → 2
        assert_eq!(median(&days(&[(1, 1), (2, 3)])), Some(2));
        // 0, 0, 5, 100 → 2.5 → 3
        assert_eq!(median(&days(&[(0, 2), (5, 1), (100, 1)])), Some(3));
    }

    #[test]
    fn the_rate_leaves_out_rounds_not_judged_yet_and_pools_counts() {
        let a = Tally {
            due: 4,
            on_time: 1,
            late: 1,
            pending: 1,
            postponed: 1,
            ..Default::default()
        };
        let f = Figures::of(&a);
        assert_eq!(
            (
                f.rounds.judged,
                f.rounds.missed,
                f.rounds.on_time_rate.as_deref()
            ),
            (3, 1, Some("33"))
        );
        let b = Tally {
            due: 1,
            on_time: 1,
            ..Default::default()
        };
        // Averaging 33 % and 100 % would give 67 %; the pooled 2 of 4 is 50 %.
        let mut total = a.clone();
        total.merge(&b);
        assert_eq!(
            Figures::of(&total).rounds.on_time_rate.as_deref(),
            Some("50")
        );
        assert_eq!(Figures::of(&Tally::default()).rounds.on_time_rate, None);
        assert_eq!(Figures::of(&Tally::default()).topics_without.len(), 10);
    }

    #[test]
    fn stuck_means_unchanged_since_the_end_of_the_half_year_before_last() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(stuck_since(d("2026-11-24")), d("2026-03-31"));
        assert_eq!(stuck_since(d("2026-04-01")), d("2025-09-30"));
        assert_eq!(stuck_since(d("2027-03-31")), d("2026-03-31"));
    }

    #[test]
    fn sorting_puts_missing_values_last_and_compares_rates_exactly() {
        let f = |on_time: i64, judged: i64| {
            Figures::of(&Tally {
                due: judged,
                on_time,
                late: judged - on_time,
                ..Default::default()
            })
        };
        // 2/3 (67 %) and 667/1000 (67 %) differ; 0 judged has no rate.
        let mut rows = vec![(f(2, 3), 0), (f(0, 0), 1), (f(667, 1000), 2), (f(1, 4), 3)];
        Sort::parse(Some("-rate"))
            .unwrap()
            .apply(&mut rows, |r| (&r.0, r.1));
        assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [2, 0, 3, 1]);
        Sort::parse(Some("rate"))
            .unwrap()
            .apply(&mut rows, |r| (&r.0, r.1));
        assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [3, 0, 2, 1]);
        Sort::parse(None).unwrap().apply(&mut rows, |r| (&r.0, r.1));
        assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(Sort::parse(Some("-stuck")).unwrap().code(), "-stuck");
        let e = Sort::parse(Some("name")).unwrap_err();
        assert_eq!(e.field_errors()[0].field, "sort");
        assert!(e.field_errors()[0].message.contains("rate"));
    }

    #[test]
    fn a_period_defaults_to_the_current_half_year_and_refuses_bad_codes_in_japanese() {
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        assert_eq!(span_param(None, today).unwrap().code(), "2026H2");
        assert_eq!(span_param(Some(""), today).unwrap().code(), "2026H2");
        assert_eq!(span_param(Some("2026"), today).unwrap().code(), "2026");
        let e = span_param(Some("2026H3"), today).unwrap_err();
        assert_eq!(e.status(), 422);
        assert!(e.field_errors()[0].message.contains("2026H3"));
    }
}
