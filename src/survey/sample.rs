//! Sample answers of Osaka City's 24 wards, consistent with the figures
//! printed in the city's 資料1 (平成29年度上半期). The demo data submits them
//! for the last completed half-year, and the tests build the seed's report
//! from them: one copy of the figures for both.

use chrono::Months;
use poem_openapi::types::ParseFromJSON;
use serde_json::{Value, json};

use super::{SurveyAnswers, period_months};
use crate::calendar::Period;
use crate::error::{AppError, AppResult};

/// How many wards the sample answers for.
pub const WARDS: usize = 24;

/// The answers of ward `i` (0–23) to a half-year survey (for `period`;
/// the seed is 平成29年度上半期), built so that the report reproduces the figures of the seed (資料1):
/// - (ウ)(エ)(オ): offices in wards 0–21 (22), A = opened H28.8 (0–10),
///   B = opened H29.4 (11–21); requests A 1,167 / B 285 → 「4.1倍」,
///   contents A 1,100 / B 305 → 「A/B：3.6倍」, 1,452 / (22 × 6) → 「11件/月」;
/// - (ウ) item 2 done by 6 of 22 (3割弱), items 3・4 by 16 (7割以上);
/// - (カ) 18 wards held 1–8 sessions, wards 18–23 none, of which 20–23 plan
///   it in the second half: 実施 22区; organisers 区役所 17, 医師会 13,
///   歯科医師会 10, 薬剤師会・相談支援室・CM連絡会 各 8; reasons as printed;
/// - (キ) wards 22 and 23 plan neither item 2 nor 3 (他の業務取組み優先).
pub fn answers(i: usize, period: Period) -> Value {
    let months = period_months(period);
    // Cohort A opened eight months before the period (H28.8 for 2017H1),
    // cohort B on its first day (H29.4).
    let opened_a = period
        .start()
        .checked_sub_months(Months::new(8))
        .unwrap_or(period.start());
    let opened_b = period.start();
    let map = |made: usize, planned: usize| {
        if i < made {
            "作成済"
        } else if i < planned {
            "今後作成予定"
        } else {
            "作成しない"
        }
    };
    let progress = |done: usize, this_year: usize, next_year: usize| {
        if i < done {
            "既に実施"
        } else if i < this_year {
            "今年度中に実施予定"
        } else if i < next_year {
            "次年度に実施予定"
        } else {
            "未実施"
        }
    };
    let office = if i < 22 {
        let cohort_a = i < 11;
        // ①〜⑬ and the five contents of one office's half-year.
        let requesters: Vec<i64> = if cohort_a {
            vec![10, 1, 2, 40, 6, 30, 10, 3, 0, 0, 2, 2, 0]
        } else {
            vec![3, 0, 1, 9, 2, 7, 3, 0, 0, 0, 0, 0, 0]
        };
        let contents: Vec<i64> = if cohort_a {
            vec![40, 25, 25, 5, 5]
        } else {
            vec![10, 8, 6, 2, 1]
        };
        // The remainders that make the totals exact, in the last month's row.
        let mut september_requests = vec![0i64; 13];
        let mut september_contents = vec![0i64; 5];
        if (cohort_a && i == 0) || (!cohort_a && i < 21) {
            september_requests[12] = 1;
        }
        if !cohort_a && i < 19 {
            september_contents[4] = 1;
        }
        // The first month carries the rest; the months between are empty.
        let k = i % 11;
        json!({
            "opened_on": if cohort_a { opened_a } else { opened_b }.to_string(),
            "seamless": [
                progress(20, 22, 22),
                if k < 3 { "既に実施" } else { progress(0, 14, 18) },
                progress(16, 18, 20),
                progress(16, 20, 21),
            ],
            "sharing": [
                progress(18, 20, 22),
                progress(22, 22, 22),
                progress(12, 16, 20),
                progress(8, 12, 16),
                progress(4, 8, 12),
            ],
            "consultations": [
                { "month": months[0], "by_requester": requesters, "by_content": contents },
                { "month": months[5], "by_requester": september_requests, "by_content": september_contents },
            ],
        })
    } else {
        Value::Null
    };
    // (カ)
    let sessions = match i {
        0..=7 => 1,
        8..=12 => 2,
        13..=15 => 3,
        16 => 5,
        17 => 8,
        _ => 0,
    };
    let planned = i >= 20;
    let reasons = match i {
        18 => "実施方法がわからない",
        19 => "実施する人員体制希薄\n他の業務取組み優先",
        20..=23 => "下半期に実施予定",
        _ => "",
    };
    // k-th ward among the 22 that hold (or plan) training.
    let organizers: Vec<&str> = match i {
        18 | 19 => vec![],
        _ => {
            let k = if i < 18 { i } else { i - 2 };
            let mut o = vec![];
            if k < 17 {
                o.push("区役所");
            }
            if k < 13 {
                o.push("医師会");
            }
            if k < 10 {
                o.push("歯科医師会");
            }
            if k < 8 {
                o.push("薬剤師会");
            }
            if k >= 14 {
                o.push("相談支援室");
            }
            if (5..13).contains(&k) {
                o.push("CM連絡会");
            }
            o
        }
    };
    // (キ)
    let awareness = if i >= 22 {
        json!([
            "既に実施している",
            "今年度の実施の予定はない",
            "今年度の実施の予定はない"
        ])
    } else {
        json!([
            "既に実施している",
            if i < 14 {
                "既に実施している"
            } else {
                "現時点では未実施だが、実施に向けて準備している"
            },
            if i < 9 {
                "既に実施している"
            } else {
                "現時点では未実施だが、実施に向けて準備している"
            },
        ])
    };
    let mut issues = vec![];
    match i {
        0 => {
            issues.push(json!({"section": "ア", "text": "関係機関との連携・協力"}));
            issues.push(json!({"section": "イ", "text": "目標設定・取組評価・進捗管理のPDCAを踏まえた会議の開催が不十分"}));
        }
        1 => {
            issues.push(json!({"section": "ア", "text": "把握する目的の明確化"}));
            issues.push(json!({"section": "イ", "text": "区内病院の参画が少ない"}));
        }
        2 => issues.push(json!({"section": "カ", "text": "顔の見える関係構築のためにも継続的な研修の実施が必要"})),
        3 => issues.push(json!({"section": "オ", "text": "歯科・薬局の相談件数が少なく、より一層の関係構築の推進が必要"})),
        _ => {}
    }
    json!({
        "maps": { "professional": map(16, 20), "public": map(7, 15) },
        "meeting_steps": [
            progress(20, 23, 24),
            progress(16, 20, 22),
            progress(12, 18, 21),
            progress(14, 19, 22),
            progress(10, 16, 20),
        ],
        "office": office,
        "training": {
            "sessions": sessions,
            "planned_this_year": planned,
            "organizers": organizers,
            "reasons": reasons,
        },
        "awareness": awareness,
        "awareness_reasons": if i >= 22 { "他の業務取組み優先" } else { "" },
        "issues": issues,
    })
}

/// [`answers`] as the typed answers the store takes.
pub fn typed(i: usize, period: Period) -> AppResult<SurveyAnswers> {
    SurveyAnswers::parse_from_json(Some(answers(i, period)))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("sample answers: {}", e.message())))
}

/// How one ward's (オ) counts depart from the sample's, for the half-years
/// before the seed's: the demo's wards ([`crate::demo`]) and the generated
/// areas of `renkei seed` ([`crate::seed`]) both draw their past from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsultationTrend {
    /// Growth per half-year, in percent (may be negative): the counts of
    /// `back` half-years before the seed's are the sample's shrunk by it
    /// `back` times.
    pub growth: i64,
    /// Dentists' and pharmacies' requests (② and ③) are a quarter of the
    /// sample's, as in the wards the source flags (歯科・薬局の相談件数が少ない).
    pub few_dental: bool,
    /// The ward's volume against an Osaka ward's, in percent (100: the sample).
    pub size_percent: i64,
}

/// Ward `i`'s answers for `period`, `back` half-years before the seed's,
/// with (オ) scaled by `trend` (see [`scale_consultations`]).
pub fn past(
    i: usize,
    period: Period,
    back: u32,
    trend: ConsultationTrend,
) -> AppResult<SurveyAnswers> {
    let mut answers = typed(i, period)?;
    scale_consultations(&mut answers, back, trend);
    Ok(answers)
}

/// Scales the (オ) counts of `answers` by `trend`, `back` half-years before
/// the seed's. Integer arithmetic, so the same inputs give the same counts.
pub fn scale_consultations(answers: &mut SurveyAnswers, back: u32, trend: ConsultationTrend) {
    // Percent of the seed period's counts: growth compounds backwards.
    let mut percent: i64 = 100;
    for _ in 0..back {
        percent = percent * 100 / (100 + trend.growth).max(1);
    }
    let size = trend.size_percent.max(0);
    if let Some(office) = answers.office.as_mut() {
        for month in &mut office.consultations {
            for (k, n) in month.by_requester.iter_mut().enumerate() {
                let rare = trend.few_dental && (k == 1 || k == 2);
                *n = *n * percent / 100 * size / 100 / if rare { 4 } else { 1 };
            }
            for n in &mut month.by_content {
                *n = *n * percent / 100 * size / 100;
            }
        }
    }
}
