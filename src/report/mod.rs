//! The half-year report (資料1), built from the submitted surveys of a
//! period and the records behind (イ). `build` is pure: [`store`] reads the
//! answers, `build` counts them into [`crate::charts::Chart`]s (drawn and
//! exported by [`crate::charts`]) and summaries.

pub mod api;
pub mod pages;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::calendar::{self, Period};
use crate::charts::{Chart, Row};
use crate::countermeasures::Stage;
use crate::survey::{
    self, AWARENESS_ITEMS, Awareness, CONTENTS, DerivedTopic, MAPS, MEETING_STEPS, MapStatus,
    Organizer, Progress, REQUESTERS, SEAMLESS_ITEMS, SHARING_ITEMS, Section, SurveyAnswers,
};
use crate::topics::TOPICS;
use crate::wards::Ward;

/// One chart of the report: the survey section (ア〜キ) it belongs to and
/// the chart. In JSON the chart's fields sit beside `section`, as they
/// always have.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, poem_openapi::Object)]
#[oai(rename = "Chart")]
pub struct SectionChart {
    pub section: Section,
    #[oai(flatten)]
    #[serde(flatten)]
    pub chart: Chart,
}

/// 「区役所 17区」
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct CountLine {
    pub label: String,
    pub wards: i64,
}

/// (カ)
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct TrainingSummary {
    pub n: i64,
    /// 「実施（今年度実施予定も含む）」
    pub held: i64,
    /// 主催者（複数回答）, in the catalogue's order.
    pub organizers: Vec<CountLine>,
    /// The same, as 資料1 prints it: equal counts share a line
    /// (「薬剤師会、相談支援室、CM連絡会 各 8区」).
    pub organizer_lines: Vec<String>,
    /// Reasons given by wards that held none, with how many gave each.
    pub reasons: Vec<CountLine>,
}

/// (キ)
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct AwarenessSummary {
    pub n: i64,
    pub planned: i64,
    /// 「2.３の両項目実施予定のない区」
    pub not_planned: i64,
    pub reasons: Vec<CountLine>,
}

/// (オ) offices opened in the same month.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct Cohort {
    /// A, B, … in order of opening.
    pub key: String,
    /// 「H28.8月～開設の11区（A）」
    pub label: String,
    pub opened: String,
    pub offices: i64,
    pub by_requester: Vec<i64>,
    pub by_content: Vec<i64>,
    pub total_requests: i64,
    pub total_contents: i64,
    /// ①〜⑤
    pub medical: i64,
    /// ⑥〜⑨
    pub care: i64,
}

/// One 相談支援室's consultations over the half-year and per month open.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct OfficeRate {
    pub ward: String,
    pub cohort: String,
    /// Consultation contents (相談内容) over the half-year.
    pub total: i64,
    pub months: i64,
    /// Consultation contents (相談内容) per month open: 「11件/月」, rounded
    /// as Excel's ROUND; 「－」 before the office opened.
    pub per_month: String,
}

/// (オ)
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct ConsultationSummary {
    pub offices: i64,
    pub cohorts: Vec<Cohort>,
    /// Requests of the first cohort over the last: 「4.1倍」.
    pub request_ratio: Option<String>,
    /// The same sentence 資料1 gives.
    pub request_ratio_text: Option<String>,
    /// Contents, first cohort over the last: 「A/B：3.6倍」.
    pub content_ratio: Option<String>,
    /// 「1区あたり11件/月」: consultation contents (相談内容, part (b), where
    /// 資料1 prints it) over the offices' months open, rounded as Excel's
    /// ROUND.
    pub per_office_month: Option<String>,
    pub offices_rates: Vec<OfficeRate>,
}

/// One ward's 【課題】 text for a section.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct WardText {
    pub ward: String,
    pub text: String,
}

/// 【課題】 of one section: the wards' texts and the city's summary.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct IssueSection {
    pub section: Section,
    pub title: String,
    pub texts: Vec<WardText>,
    pub summary: Option<String>,
}

/// The report (資料1) of one half-year: its charts by section, the (カ)(キ)
/// and (オ) summaries and the 【課題】 texts.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct Report {
    pub period: String,
    /// 平成29年度上半期
    pub period_label: String,
    /// 平成29年4月～9月
    pub range_label: String,
    /// Wards that submitted (the report's N).
    pub n: i64,
    /// The wards counted, in their order.
    pub wards: Vec<String>,
    /// The wards of the view that did not submit.
    pub not_submitted: Vec<String>,
    /// In 資料1's order, (ア) to (キ).
    pub charts: Vec<SectionChart>,
    pub training: TrainingSummary,
    pub awareness: AwarenessSummary,
    pub consultations: ConsultationSummary,
    pub issues: Vec<IssueSection>,
}

impl Report {
    /// The chart with this `id`, with its section.
    pub fn chart(&self, id: &str) -> Option<&SectionChart> {
        self.charts.iter().find(|c| c.chart.id == id)
    }
}

/// What the report is built from.
pub struct Input<'a> {
    pub period: Period,
    /// The wards counted, with their answers.
    pub submitted: &'a [(Ward, SurveyAnswers)],
    /// Names of the wards that did not submit.
    pub not_submitted: Vec<String>,
    /// (イ)'s topics and stages from the records, by ward id (a ward
    /// missing counts as no topic covered).
    pub derived: &'a HashMap<i64, Vec<DerivedTopic>>,
    /// The city's summary per section.
    pub summaries: &'a [survey::SectionText],
}

fn count_levels<T: PartialEq + Copy>(answers: impl Iterator<Item = T>, levels: &[T]) -> Vec<i64> {
    let mut counts = vec![0; levels.len()];
    for a in answers {
        if let Some(i) = levels.iter().position(|l| *l == a) {
            counts[i] += 1;
        }
    }
    counts
}

fn numbered(i: usize, label: &str) -> String {
    format!("{}. {label}", i + 1)
}

fn progress_chart(
    id: &str,
    title: &str,
    period: Period,
    items: &[&str],
    lists: &[&Vec<Progress>],
) -> Chart {
    let complete: Vec<_> = lists.iter().filter(|l| l.len() == items.len()).collect();
    Chart {
        id: id.into(),
        title: title.into(),
        n: complete.len() as i64,
        levels: Progress::ALL
            .iter()
            .map(|p| p.report_label(period))
            .collect(),
        rows: items
            .iter()
            .enumerate()
            .map(|(i, label)| Row {
                label: numbered(i, label),
                counts: count_levels(complete.iter().map(|l| l[i]), Progress::ALL),
            })
            .collect(),
        stacked: true,
    }
}

/// Reasons given one per line, counted across wards in first-seen order.
fn reason_counts<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<CountLine> {
    let mut out: Vec<CountLine> = Vec::new();
    for text in texts {
        for line in text.lines() {
            let line = line.trim().trim_start_matches(['・', '-', '*']).trim();
            if line.is_empty() {
                continue;
            }
            match out.iter_mut().find(|c| c.label == line) {
                Some(c) => c.wards += 1,
                None => out.push(CountLine {
                    label: line.to_string(),
                    wards: 1,
                }),
            }
        }
    }
    out
}

/// 「H28.8」: the short era year and month of an opening date.
fn short_month(date: NaiveDate) -> String {
    match calendar::era_year(date) {
        Some((name, y)) => {
            let initial = match name {
                "令和" => "R",
                "平成" => "H",
                "昭和" => "S",
                _ => "",
            };
            format!("{initial}{y}.{}", date.month())
        }
        None => format!("{}.{}", date.year(), date.month()),
    }
}

/// Months of the period during which an office opened on `opened` was open.
fn months_open(period: Period, opened: NaiveDate) -> i64 {
    survey::period_months(period)
        .iter()
        .filter(|m| {
            let year = if **m >= 4 {
                period.fiscal_year
            } else {
                period.fiscal_year + 1
            };
            (opened.year(), opened.month()) <= (year, **m)
        })
        .count() as i64
}

/// 「4.1倍」, rounded as Excel's ROUND ([`crate::figures`]).
fn ratio(a: i64, b: i64) -> Option<String> {
    crate::figures::times(a, b)
}

/// Counts the report: pure, so the same answers give the same report (and
/// the same charts, which lets [`crate::charts::Cache`] reuse drawings).
pub fn build(input: Input<'_>) -> Report {
    let period = input.period;
    let answers: Vec<&SurveyAnswers> = input.submitted.iter().map(|(_, a)| a).collect();
    let n = answers.len() as i64;
    let mut charts = Vec::new();

    // (ア)
    let map_levels = [MapStatus::Made, MapStatus::Planned, MapStatus::None];
    charts.push(SectionChart {
        section: Section::A,
        chart: Chart {
            id: "a-maps".into(),
            title: "マップ作成状況".into(),
            n,
            levels: map_levels.iter().map(|m| m.report_label(period)).collect(),
            rows: vec![
                Row {
                    label: MAPS[0].into(),
                    counts: count_levels(
                        answers.iter().filter_map(|a| a.maps.professional),
                        &map_levels,
                    ),
                },
                Row {
                    label: MAPS[1].into(),
                    counts: count_levels(answers.iter().filter_map(|a| a.maps.public), &map_levels),
                },
            ],
            stacked: true,
        },
    });

    // (イ)
    let steps: Vec<&Vec<Progress>> = answers.iter().map(|a| &a.meeting_steps).collect();
    charts.push(SectionChart {
        section: Section::I,
        chart: progress_chart(
            "i-steps",
            "課題抽出・協議の場 実施状況",
            period,
            &MEETING_STEPS,
            &steps,
        ),
    });
    let empty = survey::empty_derived();
    let derived: Vec<&Vec<DerivedTopic>> = input
        .submitted
        .iter()
        .map(|(w, _)| input.derived.get(&w.id).unwrap_or(&empty))
        .collect();
    charts.push(SectionChart {
        section: Section::I,
        chart: Chart {
            id: "i-topics".into(),
            title: "会議の内容".into(),
            n,
            levels: vec!["あてはまる".into(), "あてはまらない".into()],
            rows: TOPICS
                .iter()
                .enumerate()
                .map(|(i, t)| Row {
                    label: numbered(i, t.label),
                    counts: count_levels(derived.iter().map(|d| d[i].covered), &[true, false]),
                })
                .collect(),
            stacked: true,
        },
    });
    charts.push(SectionChart {
        section: Section::I,
        chart: Chart {
            id: "i-stages".into(),
            title: "対応策の具体化".into(),
            n,
            levels: Stage::ALL
                .iter()
                .map(|s| s.report_label().to_string())
                .collect(),
            rows: TOPICS
                .iter()
                .enumerate()
                .map(|(i, t)| Row {
                    label: numbered(i, t.label),
                    counts: count_levels(derived.iter().map(|d| d[i].stage), Stage::ALL),
                })
                .collect(),
            stacked: true,
        },
    });

    // (ウ)(エ): answered per 相談支援室.
    let offices: Vec<(&Ward, &survey::OfficeAnswers)> = input
        .submitted
        .iter()
        .filter_map(|(w, a)| a.office.as_ref().map(|o| (w, o)))
        .collect();
    let seamless: Vec<&Vec<Progress>> = offices.iter().map(|(_, o)| &o.seamless).collect();
    charts.push(SectionChart {
        section: Section::U,
        chart: progress_chart(
            "u-seamless",
            "切れ目のない在宅医療と在宅介護の提供体制の構築推進 取組状況",
            period,
            &SEAMLESS_ITEMS,
            &seamless,
        ),
    });
    let sharing: Vec<&Vec<Progress>> = offices.iter().map(|(_, o)| &o.sharing).collect();
    charts.push(SectionChart {
        section: Section::E,
        chart: progress_chart(
            "e-sharing",
            "医療・介護関係者の情報共有の支援の取組状況",
            period,
            &SHARING_ITEMS,
            &sharing,
        ),
    });

    // (オ)
    let consultations = consultation_summary(period, &offices);
    let cohort_levels: Vec<String> = consultations
        .cohorts
        .iter()
        .map(|c| c.label.clone())
        .collect();
    charts.push(SectionChart {
        section: Section::O,
        chart: Chart {
            id: "o-requesters".into(),
            title: "個別ケースに関する相談（相談者別内訳）".into(),
            n: consultations.offices,
            levels: cohort_levels.clone(),
            rows: REQUESTERS
                .iter()
                .enumerate()
                .map(|(i, label)| Row {
                    label: label.to_string(),
                    counts: consultations
                        .cohorts
                        .iter()
                        .map(|c| c.by_requester[i])
                        .collect(),
                })
                .collect(),
            stacked: false,
        },
    });
    charts.push(SectionChart {
        section: Section::O,
        chart: Chart {
            id: "o-contents".into(),
            title: "個別ケースに関する相談（相談内容別内訳）".into(),
            n: consultations.offices,
            levels: cohort_levels,
            rows: CONTENTS
                .iter()
                .enumerate()
                .map(|(i, label)| Row {
                    label: label.to_string(),
                    counts: consultations
                        .cohorts
                        .iter()
                        .map(|c| c.by_content[i])
                        .collect(),
                })
                .collect(),
            stacked: false,
        },
    });

    // (カ)
    let mut sessions: BTreeMap<i64, i64> = BTreeMap::new();
    for a in &answers {
        *sessions
            .entry(a.training.sessions.unwrap_or(0))
            .or_default() += 1;
    }
    charts.push(SectionChart {
        section: Section::Ka,
        chart: Chart {
            id: "ka-sessions".into(),
            title: "研修会の実施回数".into(),
            n,
            levels: sessions.keys().map(|k| format!("{k}回")).collect(),
            rows: vec![Row {
                label: "研修会の実施回数".into(),
                counts: sessions.values().copied().collect(),
            }],
            stacked: true,
        },
    });
    let held: Vec<&&SurveyAnswers> = answers.iter().filter(|a| a.training_held()).collect();
    let organizers: Vec<CountLine> = Organizer::ALL
        .iter()
        .map(|o| CountLine {
            label: o.as_str().into(),
            wards: held
                .iter()
                .filter(|a| a.training.organizers.contains(o))
                .count() as i64,
        })
        .collect();
    let training = TrainingSummary {
        n,
        held: held.len() as i64,
        organizer_lines: organizer_lines(&organizers),
        organizers,
        reasons: reason_counts(
            answers
                .iter()
                .filter(|a| a.training.sessions.unwrap_or(0) == 0)
                .map(|a| a.training.reasons.as_str()),
        ),
    };

    // (キ)
    let awareness_lists: Vec<&Vec<Awareness>> = answers
        .iter()
        .map(|a| &a.awareness)
        .filter(|l| l.len() == AWARENESS_ITEMS.len())
        .collect();
    charts.push(SectionChart {
        section: Section::Ki,
        chart: Chart {
            id: "ki-awareness".into(),
            title: "地域住民への普及啓発 実施内容".into(),
            n: awareness_lists.len() as i64,
            levels: Awareness::ALL
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            rows: AWARENESS_ITEMS
                .iter()
                .enumerate()
                .map(|(i, label)| Row {
                    label: numbered(i, label),
                    counts: count_levels(awareness_lists.iter().map(|l| l[i]), Awareness::ALL),
                })
                .collect(),
            stacked: true,
        },
    });
    let planned = answers.iter().filter(|a| a.awareness_planned()).count() as i64;
    let awareness = AwarenessSummary {
        n,
        planned,
        not_planned: n - planned,
        reasons: reason_counts(
            answers
                .iter()
                .filter(|a| !a.awareness_planned())
                .map(|a| a.awareness_reasons.as_str()),
        ),
    };

    let issues = Section::ALL
        .iter()
        .map(|s| IssueSection {
            section: *s,
            title: s.title().into(),
            texts: input
                .submitted
                .iter()
                .filter_map(|(w, a)| {
                    a.issue(*s).map(|t| WardText {
                        ward: w.name.clone(),
                        text: t.to_string(),
                    })
                })
                .collect(),
            summary: input
                .summaries
                .iter()
                .find(|t| t.section == *s)
                .map(|t| t.text.to_string()),
        })
        .collect();

    Report {
        period: period.code(),
        period_label: period.label(),
        range_label: period.range_label(),
        n,
        wards: input
            .submitted
            .iter()
            .map(|(w, _)| w.name.clone())
            .collect(),
        not_submitted: input.not_submitted,
        charts,
        training,
        awareness,
        consultations,
        issues,
    }
}

/// Equal neighbouring counts share a line, as 資料1 prints them.
fn organizer_lines(lines: &[CountLine]) -> Vec<String> {
    let mut sorted: Vec<&CountLine> = lines.iter().filter(|c| c.wards > 0).collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.wards));
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let same: Vec<&str> = sorted[i..]
            .iter()
            .take_while(|c| c.wards == sorted[i].wards)
            .map(|c| c.label.as_str())
            .collect();
        if same.len() == 1 {
            out.push(format!("{} {}区", same[0], sorted[i].wards));
        } else {
            out.push(format!("{} 各 {}区", same.join("、"), sorted[i].wards));
        }
        i += same.len();
    }
    out
}

fn consultation_summary(
    period: Period,
    offices: &[(&Ward, &survey::OfficeAnswers)],
) -> ConsultationSummary {
    // Cohorts by opening month, oldest first.
    let mut by_month: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
    for (i, (_, o)) in offices.iter().enumerate() {
        by_month
            .entry((o.opened_on.year(), o.opened_on.month()))
            .or_default()
            .push(i);
    }
    let mut cohort_of = vec![String::new(); offices.len()];
    let mut cohorts = Vec::new();
    for (k, members) in by_month.values().enumerate() {
        let key = char::from(b'A' + (k.min(25) as u8)).to_string();
        let opened = short_month(offices[members[0]].1.opened_on);
        let mut by_requester = vec![0i64; REQUESTERS.len()];
        let mut by_content = vec![0i64; CONTENTS.len()];
        for &i in members {
            cohort_of[i] = key.clone();
            for m in &offices[i].1.consultations {
                for (t, v) in by_requester.iter_mut().zip(&m.by_requester) {
                    *t += v;
                }
                for (t, v) in by_content.iter_mut().zip(&m.by_content) {
                    *t += v;
                }
            }
        }
        let sum = |from: usize, to: usize| by_requester[from..=to].iter().sum::<i64>();
        cohorts.push(Cohort {
            label: format!("{opened}月～開設の{}区（{key}）", members.len()),
            key,
            opened,
            offices: members.len() as i64,
            total_requests: by_requester.iter().sum(),
            total_contents: by_content.iter().sum(),
            medical: sum(0, 4),
            care: sum(5, 8),
            by_requester,
            by_content,
        });
    }
    let (first, last) = (cohorts.first(), cohorts.last());
    let pair = first.zip(last).filter(|_| cohorts.len() >= 2);
    let request_ratio = pair.and_then(|(a, b)| ratio(a.total_requests, b.total_requests));
    let request_ratio_text = pair.zip(request_ratio.as_ref()).map(|((a, b), r)| {
        format!(
            "相談件数：{}～設置{}区と比べて{}～設置{}区の方が、{r}多い。",
            b.opened, b.offices, a.opened, a.offices
        )
    });
    let content_ratio = pair.and_then(|(a, b)| {
        ratio(a.total_contents, b.total_contents).map(|r| format!("{}/{}：{r}", a.key, b.key))
    });
    let mut offices_rates = Vec::new();
    let (mut total, mut months) = (0i64, 0i64);
    for (i, (w, o)) in offices.iter().enumerate() {
        // The rate is printed in the consultation-content part (b), beside
        // its A/B: it counts contents, as 資料1 does.
        let t: i64 = o
            .consultations
            .iter()
            .map(|m| m.by_content.iter().sum::<i64>())
            .sum();
        let m = months_open(period, o.opened_on);
        total += t;
        months += m;
        offices_rates.push(OfficeRate {
            ward: w.name.clone(),
            cohort: cohort_of[i].clone(),
            total: t,
            months: m,
            per_month: crate::figures::per_month(t, m).unwrap_or_else(|| "－".into()),
        });
    }
    ConsultationSummary {
        offices: offices.len() as i64,
        cohorts,
        request_ratio,
        request_ratio_text,
        content_ratio,
        per_office_month: crate::figures::per_month(total, months).map(|r| format!("1区あたり{r}")),
        offices_rates,
    }
}

/// The report of one ward alone over its survey (draft or submitted):
/// [`store::load_for_ward`] over a survey already read.
pub fn for_ward(ward: &Ward, survey: survey::Survey, period: Period) -> Report {
    let mut derived = HashMap::new();
    derived.insert(ward.id, survey.derived);
    let answers = [(ward.clone(), survey.answers)];
    build(Input {
        period,
        submitted: &answers,
        not_submitted: Vec::new(),
        derived: &derived,
        summaries: &[],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_counts_share_a_line() {
        let lines = [
            ("区役所", 17),
            ("医師会", 13),
            ("薬剤師会", 8),
            ("相談支援室", 8),
        ]
        .map(|(l, n)| CountLine {
            label: l.into(),
            wards: n,
        });
        assert_eq!(
            organizer_lines(&lines),
            vec!["区役所 17区", "医師会 13区", "薬剤師会、相談支援室 各 8区"]
        );
    }

    #[test]
    fn opening_months_in_era_form_and_months_open() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(short_month(d("2016-08-01")), "H28.8");
        assert_eq!(short_month(d("2019-05-01")), "R1.5");
        let p = Period::parse("2017H1").unwrap();
        assert_eq!(months_open(p, d("2016-08-01")), 6);
        assert_eq!(months_open(p, d("2017-07-15")), 3);
        let q = Period::parse("2017H2").unwrap();
        assert_eq!(months_open(q, d("2018-02-01")), 2);
    }

    #[test]
    fn the_rate_per_office_counts_the_contents_it_is_printed_with() {
        let period = Period::parse("2017H1").unwrap();
        let mut submitted: Vec<(Ward, SurveyAnswers)> = (0..crate::survey::sample::WARDS)
            .map(|i| {
                let ward = Ward {
                    id: i as i64 + 1,
                    municipality_id: 1,
                    municipality_name: "大阪市".into(),
                    name: format!("第{i}区"),
                    sort_order: i as i64,
                    secretariat_email: None,
                };
                (ward, crate::survey::sample::typed(i, period).unwrap())
            })
            .collect();
        let build_it = |submitted: &[(Ward, SurveyAnswers)]| {
            build(Input {
                period,
                submitted,
                not_submitted: Vec::new(),
                derived: &HashMap::new(),
                summaries: &[],
            })
            .consultations
        };
        // The seed: 1,405 contents over 22 offices × 6 months = 10.64 → 11.
        let seed = build_it(&submitted);
        assert_eq!(seed.per_office_month.as_deref(), Some("1区あたり11件/月"));
        // Contents drop to 1,056 (8.0 a month) while requesters stay 1,452
        // (11.0): the rate follows the contents.
        let mut removed = 1405 - 1056;
        for (_, a) in &mut submitted {
            for m in a.office.iter_mut().flat_map(|o| o.consultations.iter_mut()) {
                for c in &mut m.by_content {
                    let take = (*c).min(removed);
                    *c -= take;
                    removed -= take;
                }
            }
        }
        let fewer = build_it(&submitted);
        assert_eq!(fewer.per_office_month.as_deref(), Some("1区あたり8件/月"));
        let requests: i64 = fewer.cohorts.iter().map(|c| c.total_requests).sum();
        assert_eq!(requests, 1452);
    }

    #[test]
    fn ratios_have_one_decimal() {
        assert_eq!(ratio(1167, 285).as_deref(), Some("4.1倍"));
        assert_eq!(ratio(1, 0), None);
    }
}
