//! 半期ごとの推移: a ward's last N fiscal half-years read as they stood at
//! each half-year's end, from the countermeasures' history (not from their
//! state today): per topic, the ward's stage and how the municipality's
//! wards were spread over the stages; the overdue evaluations on that day;
//! the meetings held and the topics they covered. The running half-year is
//! read as of today (the clock passed in).
//!
//! The rules here are pure: [`store`] reads the history rows and hands them
//! to [`stage_on`], [`overdue_on`] and [`build`].

pub mod api;
pub mod pages;
pub mod store;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::Period;
use crate::countermeasures::Stage;
use crate::error::{AppError, AppResult};
use crate::topics::TOPICS;

/// Half-years shown when the query names none.
pub const DEFAULT_HALVES: i64 = 6;
/// The least `?halves=`: one half-year.
pub const MIN_HALVES: i64 = 1;
/// The most `?halves=`: six fiscal years (one query per half-year reads
/// the city's stages, so the bound also bounds the work).
pub const MAX_HALVES: i64 = 12;

/// What a topic without any countermeasure shows (the report counts it as
/// 未具体化; here it is told apart).
pub const NO_COUNTERMEASURE: &str = "対応策なし";

/// `?halves=`: absent → [`DEFAULT_HALVES`]; otherwise a whole number from
/// [`MIN_HALVES`] to [`MAX_HALVES`]. Errors: 422 on `halves`, in Japanese.
pub fn check_halves(halves: Option<i64>) -> AppResult<i64> {
    match halves {
        None => Ok(DEFAULT_HALVES),
        Some(n) if (MIN_HALVES..=MAX_HALVES).contains(&n) => Ok(n),
        Some(_) => Err(halves_error()),
    }
}

fn halves_error() -> AppError {
    AppError::invalid(
        "halves",
        format!("表示する半期の数は{MIN_HALVES}〜{MAX_HALVES}の整数で指定してください"),
    )
}

/// [`check_halves`] over the query's text (pages read their query as text).
pub fn parse_halves(text: Option<&str>) -> AppResult<i64> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(DEFAULT_HALVES),
        Some(t) => check_halves(Some(t.parse::<i64>().map_err(|_| halves_error())?)),
    }
}

/// `?period=` (`2026H1`): absent or empty → `default`; a code that is not a
/// half-year, or one after the half-year of `today` (nothing has happened
/// there yet), is a 422 on `period`, in Japanese.
pub fn parse_period(text: Option<&str>, default: Period, today: NaiveDate) -> AppResult<Period> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(default);
    };
    let period = Period::parse(t).ok_or_else(|| {
        AppError::invalid(
            "period",
            "期間は「2026H1」のように年度＋H1（上半期）またはH2（下半期）で指定してください",
        )
    })?;
    if period > Period::containing(today) {
        return Err(AppError::invalid(
            "period",
            "まだ始まっていない半期は指定できません",
        ));
    }
    Ok(period)
}

/// The `n` half-years ending with `last`, oldest first.
pub fn periods_ending(last: Period, n: i64) -> Vec<Period> {
    let mut out = vec![last];
    for _ in 1..n.max(1) {
        let before = out.last().map_or(last, |p| p.previous());
        out.push(before);
    }
    out.reverse();
    out
}

/// The day a half-year is read as of: its last day once it has ended, today
/// while it runs (so the running half-year shows today's state).
pub fn as_of(period: Period, today: NaiveDate) -> NaiveDate {
    period.end().min(today)
}

/// One history row of a countermeasure that matters here: the stage it set,
/// the due date it set, or a close/reopen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The row's id: rows are in the order they were recorded.
    pub id: i64,
    /// The day it took effect (`occurred_on`; a step may be back-dated).
    pub on: NaiveDate,
    /// The stage it set (a step, or creation).
    pub stage: Option<Stage>,
    /// The evaluation due date it set (migration 0011's `due_to`).
    pub due: Option<NaiveDate>,
    /// `Some(true)` when it closed (archived) the countermeasure,
    /// `Some(false)` when it reopened it.
    pub archived: Option<bool>,
}

/// The last row up to `day` (by id) that sets what `pick` reads.
fn last_on<T>(
    rows: &[HistoryRow],
    day: NaiveDate,
    pick: impl Fn(&HistoryRow) -> Option<T>,
) -> Option<T> {
    rows.iter()
        .filter(|r| r.on <= day)
        .filter_map(|r| pick(r).map(|v| (r.id, v)))
        .max_by_key(|(id, _)| *id)
        .map(|(_, v)| v)
}

/// A countermeasure's stage at the end of `day`, as the report reads it
/// (`store::topic_stages_at`, before a completed round): the stage of its last
/// stage-setting row up to that day, by id; none when it had none (it was
/// recorded later).
pub fn stage_on(rows: &[HistoryRow], day: NaiveDate) -> Option<Stage> {
    last_on(rows, day, |r| r.stage)
}

/// Whether a countermeasure was overdue at the end of `day`: 具体化 then,
/// not closed then, and the due date in force then (the last one a row up
/// to that day set) before `day` — [`crate::countermeasures::is_overdue`]
/// on the state of that day. A due date postponed before `day` to `day` or
/// later is not overdue there.
pub fn overdue_on(rows: &[HistoryRow], day: NaiveDate) -> bool {
    let stage = stage_on(rows, day);
    let archived = last_on(rows, day, |r| r.archived).unwrap_or(false);
    let due = last_on(rows, day, |r| r.due);
    stage.is_some_and(|s| crate::countermeasures::is_overdue(s, archived, due, day))
}

/// How many wards stood at each stage for a topic, or had no countermeasure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct StageCounts {
    /// 評価改善
    pub evaluated: i64,
    /// 具体化
    pub planned: i64,
    /// 未具体化
    pub identified: i64,
    /// No countermeasure for the topic (対応策なし).
    pub none: i64,
    /// The municipality's wards (the sum of the four).
    pub wards: i64,
}

impl StageCounts {
    fn add(&mut self, stage: Option<Stage>) {
        match stage {
            Some(Stage::Evaluated) => self.evaluated += 1,
            Some(Stage::Planned) => self.planned += 1,
            Some(Stage::Identified) => self.identified += 1,
            None => self.none += 1,
        }
        self.wards += 1;
    }

    /// The counts in the order of [`STAGE_LEVELS`].
    pub fn in_order(&self) -> [i64; 4] {
        [self.evaluated, self.planned, self.identified, self.none]
    }
}

/// The levels of the city's distribution, most advanced first.
pub const STAGE_LEVELS: [&str; 4] = ["評価改善", "具体化", "未具体化", NO_COUNTERMEASURE];

/// The label of a ward's stage for a topic (none: [`NO_COUNTERMEASURE`]).
pub fn stage_label(stage: Option<Stage>) -> &'static str {
    stage.map_or(NO_COUNTERMEASURE, Stage::as_str)
}

/// One topic in one half-year.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct TopicPoint {
    /// The half-year, `2026H1`.
    pub period: String,
    /// The ward's most advanced stage among its countermeasures for the
    /// topic at the half-year's end; `null` when it had none.
    pub stage: Option<Stage>,
    /// The same as shown: the stage, or 「対応策なし」.
    pub stage_label: String,
    /// A meeting of the ward held in the half-year (up to `as_of`) covered
    /// the topic (あてはまる).
    pub covered: bool,
    /// The municipality's wards by their stage for the topic on the same day.
    pub city: StageCounts,
}

/// One topic over the half-years.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct TopicTrend {
    /// 1–10.
    pub topic: i64,
    pub label: String,
    /// One per half-year, in the order of [`WardTrends::periods`].
    pub points: Vec<TopicPoint>,
}

/// One half-year's figures for the ward.
#[derive(Debug, Clone, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct PeriodFigures {
    /// `2026H1`
    pub period: String,
    /// 令和8年度上半期
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The day the half-year is read as of: its last day, or today for the
    /// running half-year.
    pub as_of: NaiveDate,
    /// The running half-year, read as of today.
    pub running: bool,
    /// Meetings of the ward held from `start` to `as_of`.
    pub meetings_held: i64,
    /// The topics (1–10) those meetings covered, ascending.
    pub topics_covered: Vec<i64>,
    /// How many topics they covered (of 10).
    pub topics_covered_count: i64,
    /// The ward's countermeasures overdue at the end of `as_of`: 具体化,
    /// open, with the due date in force that day before it.
    pub overdue: i64,
}

/// 半期ごとの推移 of one ward.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct WardTrends {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    /// Wards of the municipality counted in each `city` distribution.
    pub city_wards: i64,
    /// Today in Asia/Tokyo.
    pub today: NaiveDate,
    /// The half-years, oldest first; the last is the one asked for (by
    /// default the running one).
    pub periods: Vec<PeriodFigures>,
    /// Topics 1–10.
    pub topics: Vec<TopicTrend>,
}

/// What [`build`] reads, for one ward and its municipality.
pub struct Input<'a> {
    pub ward: &'a crate::wards::Ward,
    pub today: NaiveDate,
    pub periods: &'a [Period],
    /// Each countermeasure of the ward: its topic and history rows.
    pub ward_history: &'a [(i64, Vec<HistoryRow>)],
    /// The municipality's wards (ids), the ward among them.
    pub city_wards: &'a [i64],
    /// Per half-year (in the order of `periods`), the most advanced stage
    /// per (ward, topic) of the municipality's wards on its `as_of` day, as
    /// `store::topic_stages_at` reads it; a pair without an
    /// entry had no countermeasure then.
    pub city_stages: &'a [HashMap<(i64, i64), Stage>],
    /// The ward's meetings: (held on, topics).
    pub meetings: &'a [(NaiveDate, Vec<i64>)],
}

/// Counts the trends: pure, the same rows give the same figures.
pub fn build(input: Input<'_>) -> WardTrends {
    let ward_id = input.ward.id;
    let days: Vec<NaiveDate> = input
        .periods
        .iter()
        .map(|p| as_of(*p, input.today))
        .collect();
    let empty = HashMap::new();
    let stages: Vec<&HashMap<(i64, i64), Stage>> = (0..days.len())
        .map(|i| input.city_stages.get(i).unwrap_or(&empty))
        .collect();
    let mut periods = Vec::new();
    let mut covered_sets = Vec::new();
    for (p, day) in input.periods.iter().zip(&days) {
        let held: Vec<&(NaiveDate, Vec<i64>)> = input
            .meetings
            .iter()
            .filter(|(on, _)| p.start() <= *on && on <= day)
            .collect();
        let covered: BTreeSet<i64> = held.iter().flat_map(|(_, t)| t.iter().copied()).collect();
        let overdue = input
            .ward_history
            .iter()
            .filter(|(_, rows)| overdue_on(rows, *day))
            .count() as i64;
        periods.push(PeriodFigures {
            period: p.code(),
            label: p.label(),
            start: p.start(),
            end: p.end(),
            as_of: *day,
            running: *day < p.end(),
            meetings_held: held.len() as i64,
            topics_covered_count: covered.len() as i64,
            topics_covered: covered.iter().copied().collect(),
            overdue,
        });
        covered_sets.push(covered);
    }
    let topics = TOPICS
        .iter()
        .map(|t| {
            let topic = i64::from(t.number);
            TopicTrend {
                topic,
                label: t.label.to_string(),
                points: input
                    .periods
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let stage = stages[i].get(&(ward_id, topic)).copied();
                        let mut city = StageCounts::default();
                        for w in input.city_wards {
                            city.add(stages[i].get(&(*w, topic)).copied());
                        }
                        TopicPoint {
                            period: p.code(),
                            stage,
                            stage_label: stage_label(stage).to_string(),
                            covered: covered_sets[i].contains(&topic),
                            city,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    WardTrends {
        ward_id,
        ward_name: input.ward.name.clone(),
        municipality_id: input.ward.municipality_id,
        city_wards: input.city_wards.len() as i64,
        today: input.today,
        periods,
        topics,
    }
}

/// The trends as one CSV table for Excel, one line per half-year and
/// topic, the half-year's own figures repeated on each of its lines (so a
/// pivot table or filter works on any column).
pub fn table(t: &WardTrends) -> crate::spreadsheet::Table {
    use crate::spreadsheet::{Cell, Table};
    let mut table = Table::new(&[
        "区",
        "期間",
        "半期",
        "時点",
        "会議の開催回数",
        "取り上げた会議の内容の数",
        "評価期限を過ぎた対応策",
        "番号",
        "会議の内容",
        "今期の会議",
        "この区の対応策の具体化",
        "市内 評価改善（区）",
        "市内 具体化（区）",
        "市内 未具体化（区）",
        "市内 対応策なし（区）",
        "市内の区数",
    ]);
    for (i, p) in t.periods.iter().enumerate() {
        for topic in &t.topics {
            let point = &topic.points[i];
            let mut row = vec![
                Cell::text(&t.ward_name),
                Cell::value(&p.period),
                Cell::text(&p.label),
                Cell::value(p.as_of),
                Cell::value(p.meetings_held),
                Cell::value(p.topics_covered_count),
                Cell::value(p.overdue),
                Cell::value(topic.topic),
                Cell::text(&topic.label),
                Cell::text(if point.covered {
                    "あてはまる"
                } else {
                    "あてはまらない"
                }),
                Cell::text(&point.stage_label),
            ];
            row.extend(point.city.in_order().iter().map(Cell::value));
            row.push(Cell::value(point.city.wards));
            table.push(row);
        }
    }
    table
}

/// The compact form for the ward dashboard: the last few half-years'
/// overdue counts, meetings held, topics covered and how many topics stood
/// at each stage, for the ward alone (the city's distribution is on the
/// full page: reading it costs the municipality's countermeasures).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Compact {
    pub ward_id: i64,
    pub periods: Vec<PeriodFigures>,
    /// Per half-year: the ward's topics at 評価改善, 具体化, 未具体化 and
    /// without a countermeasure ([`STAGE_LEVELS`]).
    pub stage_topics: Vec<[i64; 4]>,
}

impl Compact {
    /// The compact form of trends already read.
    pub fn of(t: &WardTrends) -> Self {
        let mut stage_topics = vec![[0i64; 4]; t.periods.len()];
        for topic in &t.topics {
            for (i, p) in topic.points.iter().enumerate() {
                let k = match p.stage {
                    Some(Stage::Evaluated) => 0,
                    Some(Stage::Planned) => 1,
                    Some(Stage::Identified) => 2,
                    None => 3,
                };
                stage_topics[i][k] += 1;
            }
        }
        Compact {
            ward_id: t.ward_id,
            periods: t.periods.clone(),
            stage_topics,
        }
    }

    /// Each half-year with its topics per stage, for the template.
    pub fn rows(&self) -> Vec<(&PeriodFigures, [i64; 4])> {
        self.periods
            .iter()
            .zip(self.stage_topics.iter().copied())
            .collect()
    }
}

/// The city's topics at each stage at one half-year end, over its wards:
/// the dashboard's city column beside [`Compact`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CityStageTopics {
    /// `2026H1`
    pub period: String,
    /// The municipality's wards (each has 10 topics).
    pub wards: i64,
    /// Ward × topic pairs at 評価改善, 具体化, 未具体化 and without a
    /// countermeasure ([`STAGE_LEVELS`]).
    pub stage_topics: [i64; 4],
}

impl CityStageTopics {
    /// Topics at 評価改善 per ward, one decimal (Excel's ROUND, half up);
    /// `None` without wards.
    pub fn evaluated_per_ward(&self) -> Option<String> {
        crate::figures::rounded(self.stage_topics[0], self.wards, 1, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn row(id: i64, on: &str) -> HistoryRow {
        HistoryRow {
            id,
            on: d(on),
            stage: None,
            due: None,
            archived: None,
        }
    }

    #[test]
    fn halves_default_to_six_and_stay_within_one_to_twelve() {
        assert_eq!(check_halves(None).unwrap(), 6);
        assert_eq!(check_halves(Some(1)).unwrap(), 1);
        assert_eq!(check_halves(Some(12)).unwrap(), 12);
        assert!(check_halves(Some(0)).is_err());
        assert!(check_halves(Some(13)).is_err());
        assert!(parse_halves(Some("x")).is_err());
        assert_eq!(parse_halves(Some(" ")).unwrap(), 6);
    }

    #[test]
    fn periods_end_with_the_one_asked_for_oldest_first() {
        let p = Period::parse("2026H2").unwrap();
        let codes: Vec<String> = periods_ending(p, 3).iter().map(|p| p.code()).collect();
        assert_eq!(codes, ["2025H2", "2026H1", "2026H2"]);
        let today = d("2026-11-24");
        assert_eq!(as_of(p, today), today);
        assert_eq!(as_of(p.previous(), today), d("2026-09-30"));
        assert!(parse_period(Some("2027H1"), p, today).is_err());
        assert!(parse_period(Some("2026X1"), p, today).is_err());
        assert_eq!(parse_period(None, p, today).unwrap(), p);
    }

    #[test]
    fn a_step_back_and_up_again_reads_as_it_stood_on_each_day() {
        let rows = vec![
            HistoryRow {
                stage: Some(Stage::Identified),
                ..row(1, "2025-05-01")
            },
            HistoryRow {
                stage: Some(Stage::Planned),
                due: Some(d("2025-08-31")),
                ..row(2, "2025-06-01")
            },
            HistoryRow {
                stage: Some(Stage::Identified),
                ..row(3, "2025-09-15")
            },
            HistoryRow {
                stage: Some(Stage::Planned),
                due: Some(d("2026-01-31")),
                ..row(4, "2025-10-10")
            },
        ];
        assert_eq!(stage_on(&rows, d("2025-04-30")), None);
        assert_eq!(stage_on(&rows, d("2025-09-30")), Some(Stage::Identified));
        assert_eq!(stage_on(&rows, d("2026-03-31")), Some(Stage::Planned));
        // Overdue on 2025-09-01 (due 08-31), not at the September end (re-planned).
        assert!(overdue_on(&rows, d("2025-09-01")));
        assert!(!overdue_on(&rows, d("2025-09-30")));
        assert!(overdue_on(&rows, d("2026-03-31")));
    }

    #[test]
    fn a_due_date_postponed_before_the_end_is_not_overdue_there_and_closing_stops_it() {
        let rows = vec![
            HistoryRow {
                stage: Some(Stage::Planned),
                due: Some(d("2026-06-30")),
                ..row(1, "2026-04-10")
            },
            HistoryRow {
                due: Some(d("2026-12-31")),
                ..row(2, "2026-09-01")
            },
        ];
        assert!(overdue_on(&rows, d("2026-08-31")));
        assert!(!overdue_on(&rows, d("2026-09-30")));
        assert!(!overdue_on(&rows, d("2026-12-31")));
        assert!(overdue_on(&rows, d("2027-01-01")));
        let mut closed = rows.clone();
        closed.push(HistoryRow {
            archived: Some(true),
            ..row(3, "2026-12-01")
        });
        assert!(!overdue_on(&closed, d("2027-03-31")));
        closed.push(HistoryRow {
            archived: Some(false),
            ..row(4, "2027-02-01")
        });
        assert!(overdue_on(&closed, d("2027-03-31")));
    }
}
