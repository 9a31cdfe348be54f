//! 相談の内訳（区と市の比較）: from the survey's (オ) answers, a ward's share
//! of each requester ①–⑬ and each consultation content against the city's
//! (the pooled counts of the municipality's wards, not an average of their
//! percentages), the shares that fall low flagged, and 件/月 per half-year
//! as a trend.
//!
//! Which answers count follows the report: the city's figures, like 資料1,
//! count submitted surveys only; the ward's own figures, like its own
//! charts (`/wards/{id}/report`), count its saved answers, draft or
//! submitted, and say which. A half-year without (オ) counts is 未回答: no
//! figure, never zero.
//!
//! The rules are pure; [`store`] reads the answers.

pub mod api;
pub mod pages;
pub mod store;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::calendar::Period;
use crate::figures;
use crate::spreadsheet::{Cell, Table};
use crate::survey::{CONTENTS, REQUESTERS, SurveyStatus, period_months, requester_group};

/// What a half-year without (オ) counts shows.
pub const NOT_ANSWERED: &str = "未回答";

/// A ward's survey still a draft, in the city's view (not counted, as in 資料1).
pub const DRAFT_IN_CITY: &str = "未提出（下書き）";

/// The low-share rule, as the pages and the API state it.
pub const LOW_RULE: &str = "この区の割合が市全体の割合の半分未満の項目を「低い」としています（市全体で0件の項目と、この区の件数が0件の半期は判定しません）。";

/// A ward's (オ) counts of one half-year, summed over its months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// When the 相談支援室 opened.
    pub opened_on: NaiveDate,
    /// In the order of [`REQUESTERS`].
    pub by_requester: Vec<i64>,
    /// In the order of [`CONTENTS`].
    pub by_content: Vec<i64>,
}

impl Counts {
    /// Sums monthly counts (each in the catalogues' order; a short list
    /// counts as zeros beyond its end).
    pub fn sum<'a>(
        opened_on: NaiveDate,
        months: impl Iterator<Item = (&'a [i64], &'a [i64])>,
    ) -> Self {
        let mut by_requester = vec![0; REQUESTERS.len()];
        let mut by_content = vec![0; CONTENTS.len()];
        for (r, c) in months {
            for (t, v) in by_requester.iter_mut().zip(r) {
                *t += v;
            }
            for (t, v) in by_content.iter_mut().zip(c) {
                *t += v;
            }
        }
        Counts {
            opened_on,
            by_requester,
            by_content,
        }
    }

    /// 相談者 over the half-year (件).
    pub fn requests(&self) -> i64 {
        self.by_requester.iter().sum()
    }

    /// 相談内容 over the half-year (件): what 件/月 counts, as 資料1.
    pub fn contents(&self) -> i64 {
        self.by_content.iter().sum()
    }
}

/// One ward's survey of one half-year, as far as (オ) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub ward_id: i64,
    pub period: Period,
    pub status: SurveyStatus,
    /// None: the survey has no (オ) counts (no 相談支援室, or none entered).
    pub counts: Option<Counts>,
}

/// The months of `period` the office was open, up to `as_of` (a month
/// counts once it has begun): the denominator of 件/月, as 資料1 divides
/// each office's contents by its months open; 6 for a whole half-year
/// ([`Period::months`]).
pub fn months_open(period: Period, opened_on: NaiveDate, as_of: NaiveDate) -> i64 {
    period_months(period)
        .iter()
        .filter(|m| {
            let year = if **m >= 4 {
                period.fiscal_year
            } else {
                period.fiscal_year + 1
            };
            (opened_on.year(), opened_on.month()) <= (year, **m)
                && (year, **m) <= (as_of.year(), as_of.month())
        })
        .count() as i64
}

/// Whether a ward's share (`ward` of `ward_total`) is low against the
/// city's (`city` of `city_total`): below half of it, compared in exact
/// integers. Not judged when either side has nothing to share.
pub fn is_low(ward: i64, ward_total: i64, city: i64, city_total: i64) -> bool {
    ward_total > 0
        && city_total > 0
        && city > 0
        && i128::from(ward) * i128::from(city_total) * 2 < i128::from(city) * i128::from(ward_total)
}

/// The label of a survey's state for (オ): 提出済 / 下書き, or 未回答 when
/// there are no counts.
pub fn answer_label(status: Option<SurveyStatus>, answered: bool) -> String {
    match status {
        Some(s) if answered => s.as_str().to_string(),
        _ => NOT_ANSWERED.to_string(),
    }
}

/// One requester or content: the ward's count and share against the city's.
#[derive(Debug, Clone, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct ShareLine {
    /// 「②歯科」, 「医療に関すること」…
    pub label: String,
    /// 医療関係 (①〜⑤) or 介護関係 (⑥〜⑨) for requesters; none otherwise.
    pub group: Option<String>,
    /// The ward's count (件); none when unanswered.
    pub ward_count: Option<i64>,
    /// The ward's share in percent with one decimal (`"12.5"`, Excel's ROUND).
    pub ward_share: Option<String>,
    /// The city's pooled count (件).
    pub city_count: i64,
    /// The city's share in percent with one decimal.
    pub city_share: Option<String>,
    /// The ward's share is below half the city's ([`LOW_RULE`]).
    pub low: bool,
}

fn share_lines(
    labels: &[&str],
    group: impl Fn(usize) -> Option<&'static str>,
    ward: Option<&[i64]>,
    city: &[i64],
) -> Vec<ShareLine> {
    let ward_total: Option<i64> = ward.map(|w| w.iter().sum());
    let city_total: i64 = city.iter().sum();
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let w = ward.map(|w| w[i]);
            let c = city[i];
            ShareLine {
                label: label.to_string(),
                group: group(i).map(str::to_string),
                ward_count: w,
                ward_share: w
                    .zip(ward_total)
                    .and_then(|(w, t)| figures::percent_1(w, t)),
                city_count: c,
                city_share: figures::percent_1(c, city_total),
                low: w
                    .zip(ward_total)
                    .is_some_and(|(w, t)| is_low(w, t, c, city_total)),
            }
        })
        .collect()
}

/// The city's pool of one half-year: the submitted surveys with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct CityPool {
    /// Submitted surveys with (オ) counts (相談支援室).
    pub offices: i64,
    pub by_requester: Vec<i64>,
    pub by_content: Vec<i64>,
    pub requests_total: i64,
    pub contents_total: i64,
    /// The offices' months open, summed.
    pub months: i64,
    /// 相談内容 over the offices' months: 「11件/月」 (1 office's average).
    pub per_month: Option<String>,
}

/// Pools the submitted answers with counts of one half-year.
pub fn pool(answers: &[&Answer], period: Period, as_of: NaiveDate) -> CityPool {
    let mut p = CityPool {
        by_requester: vec![0; REQUESTERS.len()],
        by_content: vec![0; CONTENTS.len()],
        ..CityPool::default()
    };
    for a in answers {
        let Some(c) = a
            .counts
            .as_ref()
            .filter(|_| a.status == SurveyStatus::Submitted)
        else {
            continue;
        };
        p.offices += 1;
        for (t, v) in p.by_requester.iter_mut().zip(&c.by_requester) {
            *t += v;
        }
        for (t, v) in p.by_content.iter_mut().zip(&c.by_content) {
            *t += v;
        }
        p.months += months_open(period, c.opened_on, as_of);
    }
    p.requests_total = p.by_requester.iter().sum();
    p.contents_total = p.by_content.iter().sum();
    p.per_month = figures::per_month(p.contents_total, p.months);
    p
}

/// One half-year of the 件/月 trend.
#[derive(Debug, Clone, Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct RatePoint {
    /// `2026H1`
    pub period: String,
    /// 令和8年度上半期
    pub label: String,
    /// 提出済 / 下書き / 未回答.
    pub answer: String,
    /// The ward's 相談内容 over the half-year; none when 未回答.
    pub contents: Option<i64>,
    /// The office's months open in the half-year (up to today for the
    /// running one); none when 未回答.
    pub months: Option<i64>,
    /// 「11件/月」: `contents` over `months`, Excel's ROUND; none when 未回答.
    pub per_month: Option<String>,
    /// The city's pooled 件/月 (one office's average), submitted surveys only.
    pub city_per_month: Option<String>,
    /// Offices in the city's pool.
    pub city_offices: i64,
    /// The pool's 相談内容 and months open (the fraction behind
    /// `city_per_month`).
    pub city_contents: i64,
    pub city_months: i64,
}

/// The ward's trend line over `periods` (oldest first): its own answer
/// per half-year (draft or submitted) against the city's pool.
pub fn trend(
    ward_id: i64,
    periods: &[Period],
    answers: &[Answer],
    today: NaiveDate,
) -> Vec<RatePoint> {
    periods
        .iter()
        .map(|p| {
            let as_of = p.end().min(today);
            let own = answers
                .iter()
                .find(|a| a.ward_id == ward_id && a.period == *p);
            let counts = own.and_then(|a| a.counts.as_ref());
            let months = counts.map(|c| months_open(*p, c.opened_on, as_of));
            let city: Vec<&Answer> = answers.iter().filter(|a| a.period == *p).collect();
            let city = pool(&city, *p, as_of);
            RatePoint {
                period: p.code(),
                label: p.label(),
                answer: answer_label(own.map(|a| a.status), counts.is_some()),
                contents: counts.map(Counts::contents),
                months,
                per_month: counts
                    .zip(months)
                    .and_then(|(c, m)| figures::per_month(c.contents(), m)),
                city_per_month: city.per_month,
                city_offices: city.offices,
                city_contents: city.contents_total,
                city_months: city.months,
            }
        })
        .collect()
}

/// 相談の内訳 of one ward for one half-year, against the city, with the
/// 件/月 trend.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct WardConsultations {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    /// `2026H1`
    pub period: String,
    /// 令和8年度上半期
    pub period_label: String,
    /// 令和8年4月～9月
    pub range_label: String,
    /// 提出済 / 下書き (the ward's own answers count either way) / 未回答.
    pub answer: String,
    /// The ward's requests (相談者) and contents (相談内容) in the
    /// half-year; none when 未回答.
    pub requests_total: Option<i64>,
    pub contents_total: Option<i64>,
    /// The city's pool (submitted surveys of the municipality's wards).
    pub city: CityPool,
    /// ①〜⑬
    pub requesters: Vec<ShareLine>,
    pub contents: Vec<ShareLine>,
    /// [`LOW_RULE`]
    pub low_rule: String,
    /// 件/月 over the half-years ending with `period`, oldest first.
    pub trend: Vec<RatePoint>,
}

/// Builds a ward's view from the answers of its municipality over
/// `periods` (the last is the one shown).
pub fn for_ward(
    ward: &crate::wards::Ward,
    periods: &[Period],
    answers: &[Answer],
    today: NaiveDate,
) -> WardConsultations {
    let period = periods.last().copied().unwrap_or(Period::containing(today));
    let as_of = period.end().min(today);
    let own = answers
        .iter()
        .find(|a| a.ward_id == ward.id && a.period == period);
    let counts = own.and_then(|a| a.counts.as_ref());
    let this: Vec<&Answer> = answers.iter().filter(|a| a.period == period).collect();
    let city = pool(&this, period, as_of);
    WardConsultations {
        ward_id: ward.id,
        ward_name: ward.name.clone(),
        municipality_id: ward.municipality_id,
        period: period.code(),
        period_label: period.label(),
        range_label: period.range_label(),
        answer: answer_label(own.map(|a| a.status), counts.is_some()),
        requests_total: counts.map(Counts::requests),
        contents_total: counts.map(Counts::contents),
        requesters: share_lines(
            &REQUESTERS,
            requester_group,
            counts.map(|c| c.by_requester.as_slice()),
            &city.by_requester,
        ),
        contents: share_lines(
            &CONTENTS,
            |_| None,
            counts.map(|c| c.by_content.as_slice()),
            &city.by_content,
        ),
        city,
        low_rule: LOW_RULE.to_string(),
        trend: trend(ward.id, periods, answers, today),
    }
}

/// One ward of the city's view.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct WardRow {
    pub ward_id: i64,
    pub ward_name: String,
    /// 提出済, 未提出（下書き） (not counted in the city's figures, as in
    /// 資料1) or 未回答.
    pub answer: String,
    /// In the order of `requesters`; empty when not counted.
    pub by_requester: Vec<i64>,
    /// In the order of `contents`; empty when not counted.
    pub by_content: Vec<i64>,
    pub requests_total: Option<i64>,
    pub contents_total: Option<i64>,
    pub months: Option<i64>,
    /// 「11件/月」 (相談内容 over months open).
    pub per_month: Option<String>,
    /// The requesters whose share is low against the city's ([`LOW_RULE`]).
    pub low: Vec<String>,
}

/// 相談の内訳 of a municipality's wards side by side for one half-year.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct CityConsultations {
    pub municipality_id: i64,
    pub period: String,
    pub period_label: String,
    pub range_label: String,
    /// ①〜⑬
    pub requesters: Vec<String>,
    pub contents: Vec<String>,
    /// The municipality's wards in their order.
    pub wards: Vec<WardRow>,
    /// The pool of the submitted surveys.
    pub city: CityPool,
    /// The city's share of each requester, percent with one decimal.
    pub requester_shares: Vec<Option<String>>,
    /// The city's share of each content, percent with one decimal.
    pub content_shares: Vec<Option<String>>,
    pub low_rule: String,
}

/// Builds the city's view of `period` over `wards` (id, name) from their
/// answers of that half-year: submitted surveys only, as 資料1.
pub fn for_city(
    municipality_id: i64,
    wards: &[(i64, String)],
    period: Period,
    answers: &[Answer],
    today: NaiveDate,
) -> CityConsultations {
    let as_of = period.end().min(today);
    let this: Vec<&Answer> = answers.iter().filter(|a| a.period == period).collect();
    let city = pool(&this, period, as_of);
    let rows = wards
        .iter()
        .map(|(id, name)| {
            let own = this.iter().find(|a| a.ward_id == *id);
            let draft = own.is_some_and(|a| a.status == SurveyStatus::Draft);
            let counts = own
                .filter(|a| a.status == SurveyStatus::Submitted)
                .and_then(|a| a.counts.as_ref());
            let months = counts.map(|c| months_open(period, c.opened_on, as_of));
            WardRow {
                ward_id: *id,
                ward_name: name.clone(),
                answer: if draft {
                    DRAFT_IN_CITY.to_string()
                } else {
                    answer_label(own.map(|a| a.status), counts.is_some())
                },
                by_requester: counts.map(|c| c.by_requester.clone()).unwrap_or_default(),
                by_content: counts.map(|c| c.by_content.clone()).unwrap_or_default(),
                requests_total: counts.map(Counts::requests),
                contents_total: counts.map(Counts::contents),
                months,
                per_month: counts
                    .zip(months)
                    .and_then(|(c, m)| figures::per_month(c.contents(), m)),
                low: counts
                    .map(|c| {
                        REQUESTERS
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| {
                                is_low(
                                    c.by_requester[*i],
                                    c.requests(),
                                    city.by_requester[*i],
                                    city.requests_total,
                                )
                            })
                            .map(|(_, l)| l.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    CityConsultations {
        municipality_id,
        period: period.code(),
        period_label: period.label(),
        range_label: period.range_label(),
        requesters: REQUESTERS.iter().map(|s| s.to_string()).collect(),
        contents: CONTENTS.iter().map(|s| s.to_string()).collect(),
        requester_shares: city
            .by_requester
            .iter()
            .map(|c| figures::percent_1(*c, city.requests_total))
            .collect(),
        content_shares: city
            .by_content
            .iter()
            .map(|c| figures::percent_1(*c, city.contents_total))
            .collect(),
        wards: rows,
        city,
        low_rule: LOW_RULE.to_string(),
    }
}

fn opt(v: Option<impl ToString>) -> Cell {
    v.map_or_else(|| Cell::value(""), |v| Cell::value(v.to_string()))
}

/// The ward's shares as a CSV table: one line per requester and content.
pub fn shares_table(c: &WardConsultations) -> Table {
    let mut t = Table::new(&[
        "区",
        "期間",
        "回答",
        "区分",
        "項目",
        "この区（件）",
        "この区の割合（%）",
        "市全体（件）",
        "市全体の割合（%）",
        "低い",
    ]);
    for (kind, lines) in [("相談者別", &c.requesters), ("相談内容別", &c.contents)] {
        for l in lines {
            t.push(vec![
                Cell::text(&c.ward_name),
                Cell::text(&c.period_label),
                Cell::text(&c.answer),
                Cell::text(kind),
                Cell::text(&l.label),
                opt(l.ward_count),
                opt(l.ward_share.as_deref()),
                Cell::value(l.city_count),
                opt(l.city_share.as_deref()),
                Cell::text(if l.low { "低い" } else { "" }),
            ]);
        }
    }
    t
}

/// The ward's 件/月 trend as a CSV table.
pub fn trend_table(c: &WardConsultations) -> Table {
    let mut t = Table::new(&[
        "区",
        "期間",
        "半期",
        "回答",
        "相談内容（件）",
        "月数",
        "件/月",
        "市全体 件/月（1区あたり）",
        "市全体の相談支援室数",
    ]);
    for p in &c.trend {
        t.push(vec![
            Cell::text(&c.ward_name),
            Cell::value(&p.period),
            Cell::text(&p.label),
            Cell::text(&p.answer),
            opt(p.contents),
            opt(p.months),
            opt(p.per_month.as_deref()),
            opt(p.city_per_month.as_deref()),
            Cell::value(p.city_offices),
        ]);
    }
    t
}

/// The city's view as a CSV table: one line per ward, then 市全体.
pub fn city_table(c: &CityConsultations) -> Table {
    let mut header: Vec<String> = vec!["区".into(), "回答".into()];
    header.extend(c.requesters.iter().cloned());
    header.push("相談者 計".into());
    header.extend(c.contents.iter().cloned());
    header.extend(["相談内容 計", "月数", "件/月", "割合が低い相談者"].map(String::from));
    let mut t = Table::new(&header);
    for w in &c.wards {
        let mut row = vec![Cell::text(&w.ward_name), Cell::text(&w.answer)];
        if w.by_requester.is_empty() {
            row.extend((0..c.requesters.len()).map(|_| Cell::value("")));
        } else {
            row.extend(w.by_requester.iter().map(Cell::value));
        }
        row.push(opt(w.requests_total));
        if w.by_content.is_empty() {
            row.extend((0..c.contents.len()).map(|_| Cell::value("")));
        } else {
            row.extend(w.by_content.iter().map(Cell::value));
        }
        row.push(opt(w.contents_total));
        row.push(opt(w.months));
        row.push(opt(w.per_month.as_deref()));
        row.push(Cell::text(w.low.join("・")));
        t.push(row);
    }
    let mut total = vec![
        Cell::text("市全体"),
        Cell::text(format!("提出済 {}区", c.city.offices)),
    ];
    total.extend(c.city.by_requester.iter().map(Cell::value));
    total.push(Cell::value(c.city.requests_total));
    total.extend(c.city.by_content.iter().map(Cell::value));
    total.push(Cell::value(c.city.contents_total));
    total.push(Cell::value(c.city.months));
    total.push(opt(c.city.per_month.as_deref()));
    total.push(Cell::text(""));
    t.push(total);
    t
}

/// The compact form for the ward dashboard: the last half-year's shares of
/// ②歯科 and ③薬局・薬剤師 (資料1's concern) and any other low share, with
/// the 件/月 trend.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Compact {
    pub ward_id: i64,
    pub period_label: String,
    pub answer: String,
    /// ②歯科 and ③薬局・薬剤師, then any other low requester.
    pub lines: Vec<ShareLine>,
    pub trend: Vec<RatePoint>,
}

impl Compact {
    /// The compact form of a view already built.
    pub fn of(c: &WardConsultations) -> Self {
        Compact {
            ward_id: c.ward_id,
            period_label: c.period_label.clone(),
            answer: c.answer.clone(),
            lines: c
                .requesters
                .iter()
                .enumerate()
                .filter(|(i, l)| *i == 1 || *i == 2 || l.low)
                .map(|(_, l)| l.clone())
                .collect(),
            trend: c.trend.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_open_count_from_the_opening_month_up_to_today() {
        let p = Period::parse("2026H1").unwrap();
        assert_eq!(months_open(p, d("2016-08-01"), d("2026-09-30")), 6);
        assert_eq!(months_open(p, d("2026-07-15"), d("2026-09-30")), 3);
        let q = Period::parse("2026H2").unwrap();
        assert_eq!(months_open(q, d("2016-08-01"), d("2026-11-24")), 2);
        assert_eq!(months_open(q, d("2016-08-01"), d("2027-03-31")), 6);
    }

    #[test]
    fn a_share_is_low_below_half_the_citys_in_exact_integers() {
        // 1 of 20 (5 %) against 10 of 100 (10 %): exactly half, not low.
        assert!(!is_low(1, 20, 10, 100));
        // 1 of 21 (4.8 %): below half.
        assert!(is_low(1, 21, 10, 100));
        assert!(is_low(0, 21, 10, 100));
        // Nothing to compare.
        assert!(!is_low(0, 0, 10, 100));
        assert!(!is_low(0, 21, 0, 100));
    }
}
