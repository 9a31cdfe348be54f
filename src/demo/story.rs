//! The demo's past: five half-years before the current one for each ward,
//! so that the analytics (参画状況, PDCAの進み具合, 推移, 相談の内訳) show
//! wards that differ and change over time. Each ward has habits of its own
//! ([`Habits`]): how fast it turns an identified issue into a plan, how
//! often it evaluates on time, postpones or lets a countermeasure stall,
//! which organisations come to its meetings (some wards have no hospital
//! on the committee at all). Everything is drawn from a generator seeded by
//! the ward's index and dated relative to today, so the same day gives the
//! same demo.
//!
//! Every write goes through the stores as a user's would (history and audit
//! rows included), dated at the moment it happened, in time order.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::{ACTOR, text};
use crate::access::{WardWrite, operator};
use crate::calendar::{self, Period};
use crate::countermeasures::{
    self, CountermeasurePatch, NewCountermeasure, Stage, TransitionRequest,
};
use crate::db::Db;
use crate::error::AppResult;
use crate::meetings::{self, MeetingKind, NewMeeting};
use crate::members::OrganizationKind;
use crate::random::Rng;
use crate::survey::{self, SurveyAnswers};

/// How many half-years of history come before the current one.
pub const PAST_HALVES: u32 = 5;

/// One ward's ways, fixed by its index.
struct Habits {
    /// Days from the meeting that identified an issue to its plan (具体化).
    plan_days: u64,
    /// Of the planned ones: share evaluated on or before the due date,
    /// share postponed; the rest are evaluated late or not at all.
    on_time: f64,
    postponed: f64,
    /// Share of countermeasures that stall where they are.
    stalls: f64,
    /// Chance that a member of each kind attends a meeting (by kind).
    hospital: f64,
    dental_pharmacy: f64,
    /// Meetings per half-year, at least and at most.
    meetings: (u64, u64),
    /// Consultations: growth per half-year in percent (may be negative), and
    /// whether dentists' and pharmacies' requests are rare here.
    growth: i64,
    few_dental: bool,
}

fn habits(i: usize) -> Habits {
    Habits {
        plan_days: [14, 45, 120][i % 3],
        on_time: [0.85, 0.6, 0.3][(i / 3) % 3],
        postponed: [0.05, 0.2, 0.35][(i / 3) % 3],
        stalls: [0.05, 0.15, 0.3][(i + 1) % 3],
        // Every fourth ward has no hospital on its committee (see roster).
        hospital: [0.9, 0.5, 0.2, 0.0][i % 4],
        dental_pharmacy: [0.85, 0.5, 0.2][(i / 2) % 3],
        meetings: [(2, 3), (1, 2), (1, 3)][i % 3],
        growth: [12, 5, 0, -4][(i / 4) % 4],
        few_dental: i.is_multiple_of(3),
    }
}

/// Whether ward `i`'s committee has a hospital member.
pub fn has_hospital(i: usize) -> bool {
    habits(i).hospital > 0.0
}

fn attends(h: &Habits, kind: OrganizationKind, rng: &mut Rng) -> bool {
    let p = match kind {
        OrganizationKind::Hospital => h.hospital,
        OrganizationKind::DentalAssociation | OrganizationKind::PharmaceuticalAssociation => {
            h.dental_pharmacy
        }
        OrganizationKind::WardOffice => 1.0,
        _ => 0.85,
    };
    rng.chance(p)
}

/// Countermeasure ideas per topic: title and the 課題 it answers.
const IDEAS: [(i64, &[&str], &str, &str); 12] = [
    (
        1,
        &[],
        "医療・介護資源マップの更新",
        "資源情報が古く、相談時に使えない",
    ),
    (
        2,
        &[],
        "連携の取組状況の共有会",
        "各団体の取組が互いに知られていない",
    ),
    (
        3,
        &["入退院支援"],
        "退院前カンファレンスの共通様式",
        "退院時の情報が介護側に届くのが遅い",
    ),
    (
        4,
        &["日常の療養支援"],
        "夜間・休日の訪問診療の輪番づくり",
        "夜間の往診先が見つからない",
    ),
    (
        4,
        &["急変時の対応"],
        "急変時の救急搬送情報シート",
        "急変時に本人の情報が救急隊へ伝わらない",
    ),
    (
        5,
        &[],
        "多職種連絡会の定例化",
        "職種をまたぐ相談の窓口がない",
    ),
    (
        6,
        &[],
        "歯科・薬局との顔の見える交流会",
        "歯科と薬局の参加が少ない",
    ),
    (
        7,
        &["看取り"],
        "人生会議（ACP）の区民講座",
        "在宅での看取りが区民に知られていない",
    ),
    (
        8,
        &[],
        "相談支援室の周知ちらし",
        "相談支援室が専門職に知られていない",
    ),
    (
        9,
        &["日常の療養支援"],
        "服薬支援の事例検討会",
        "服薬管理の課題が共有されていない",
    ),
    (
        10,
        &[],
        "近隣区との合同研修",
        "区境をまたぐ患者の連携が途切れる",
    ),
    (
        3,
        &["入退院支援", "日常の療養支援"],
        "入院時情報提供の手順書",
        "入院時にケアマネジャーの情報が病院に届かない",
    ),
];

/// One write of the past, in time order.
enum Act {
    Meeting {
        topics: Vec<i64>,
        attendee_ids: Vec<i64>,
        kind: MeetingKind,
    },
    /// Decided at the meeting `meeting` (its index among this ward's).
    Decide {
        meeting: usize,
        idea: usize,
    },
    Plan {
        cm: usize,
        due: NaiveDate,
        owner: i64,
    },
    Postpone {
        cm: usize,
        due: NaiveDate,
    },
    StepBack {
        cm: usize,
    },
    Evaluate {
        cm: usize,
    },
}

/// The instant a dated act is recorded: 10:00 in Tokyo that day.
fn at(day: NaiveDate) -> DateTime<Utc> {
    calendar::day_start(day) + chrono::Duration::hours(10)
}

fn after(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

fn before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// Loads ward `i`'s past (the half-years before `today`'s) through the
/// stores. `roster`: the ward's active members with their kinds.
pub async fn load_past(
    db: &Db,
    scope: &WardWrite,
    i: usize,
    ward_name: &str,
    roster: &[(i64, OrganizationKind)],
    today: NaiveDate,
) -> AppResult<()> {
    let h = habits(i);
    let mut rng = Rng::new(0x5EED_0000 + i as u64);
    let mut plan: Vec<(NaiveDate, Act)> = Vec::new();
    let current = Period::containing(today);
    let mut meetings = 0usize;
    let mut cms = 0usize;
    // Topics this ward seldom reaches, so that "not covered" differs by ward.
    let neglected = [(i % 10) as i64 + 1, ((i + 4) % 10) as i64 + 1];
    let mut half = current;
    let mut halves = Vec::new();
    for _ in 0..PAST_HALVES {
        half = half.previous();
        halves.push(half);
    }
    halves.reverse();
    for half in halves {
        let n = rng.range(h.meetings.0, h.meetings.1);
        let mut days: Vec<u64> = (0..n).map(|_| rng.range(12, 170)).collect();
        days.sort_unstable();
        days.dedup();
        for (k, d) in days.iter().enumerate() {
            let held_on = after(half.start(), *d).min(half.end());
            let mut topics: Vec<i64> = (1..=10)
                .filter(|t| {
                    let p = if neglected.contains(t) { 0.1 } else { 0.45 };
                    rng.chance(p)
                })
                .collect();
            if topics.is_empty() {
                topics.push(rng.range(1, 10) as i64);
            }
            let attendee_ids = roster
                .iter()
                .filter(|(_, kind)| attends(&h, *kind, &mut rng))
                .map(|(id, _)| *id)
                .collect();
            let kind = if k == 0 || rng.chance(0.5) {
                MeetingKind::Council
            } else {
                MeetingKind::Practitioners
            };
            plan.push((
                held_on,
                Act::Meeting {
                    topics: topics.clone(),
                    attendee_ids,
                    kind,
                },
            ));
            let meeting = meetings;
            meetings += 1;
            if k > 0 {
                continue;
            }
            // The first meeting of a half-year decides one to three countermeasures.
            for _ in 0..rng.range(1, 3) {
                let candidates: Vec<usize> = (0..IDEAS.len())
                    .filter(|x| topics.contains(&IDEAS[*x].0))
                    .collect();
                let idea = if candidates.is_empty() {
                    rng.range(0, IDEAS.len() as u64 - 1) as usize
                } else {
                    *rng.pick(&candidates)
                };
                plan.push((held_on, Act::Decide { meeting, idea }));
                let cm = cms;
                cms += 1;
                schedule(&h, &mut rng, &mut plan, cm, held_on, roster);
            }
        }
    }
    // In time order; the stable sort keeps a meeting before what it decided.
    plan.sort_by_key(|(day, _)| *day);
    let mut meeting_ids = Vec::new();
    let mut cm_ids = Vec::new();
    let actor = Some(text(ACTOR)?);
    for (day, act) in plan {
        if day >= today {
            continue;
        }
        let now = at(day);
        match act {
            Act::Meeting {
                topics,
                attendee_ids,
                kind,
            } => {
                let n = meeting_ids.len() + 1;
                let m = meetings::store::create(
                    db,
                    scope,
                    &NewMeeting {
                        held_on: day,
                        title: text(format!("{ward_name}{}（{}）", kind.as_str(), n))?,
                        kind,
                        topics,
                        attendee_ids,
                        minutes: text("【デモ】各団体から現状と課題を報告し、対応策を協議した。")?,
                    },
                    now,
                )
                .await?;
                meeting_ids.push(m.id);
            }
            Act::Decide { meeting, idea } => {
                let (topic, scene, title, issue) = IDEAS[idea];
                let cm = countermeasures::store::create(
                    db,
                    scope,
                    &NewCountermeasure {
                        topic,
                        scenes: scene.iter().map(|s| s.to_string()).collect(),
                        indicator_ids: Vec::new(),
                        title: text(title)?,
                        issue: text(issue)?,
                        plan: text("【デモ】担当団体が案をまとめ、次回の会議で報告する。")?,
                        owner_member_id: None,
                        evaluation_due_on: None,
                        meeting_id: meeting_ids.get(meeting).copied(),
                        actor: actor.clone(),
                    },
                    now,
                )
                .await?;
                cm_ids.push(cm.id);
            }
            Act::Plan { cm, due, owner } => {
                let Some(&id) = cm_ids.get(cm) else { continue };
                let step = TransitionRequest {
                    to: Stage::Planned,
                    on: Some(day),
                    note: Some(text("【デモ】実施計画を決定")?),
                    evaluation: None,
                    improvement: None,
                    verdict: None,
                    verdict_reason: None,
                    owner_member_id: Some(owner),
                    evaluation_due_on: Some(due),
                    actor: actor.clone(),
                };
                let scope = operator().countermeasure_step(id, scope);
                countermeasures::store::transition(db, &scope, &step, now).await?;
            }
            Act::Postpone { cm, due } => {
                let Some(&id) = cm_ids.get(cm) else { continue };
                let patch = CountermeasurePatch {
                    evaluation_due_on: poem_openapi::types::MaybeUndefined::Value(due),
                    note: Some(text("【デモ】関係団体の調整に時間がかかり、評価を延期")?),
                    actor: actor.clone(),
                    ..CountermeasurePatch::default()
                };
                let scope = operator().countermeasure_write(id, scope);
                countermeasures::store::update(db, &scope, &patch, now).await?;
            }
            Act::StepBack { cm } => {
                let Some(&id) = cm_ids.get(cm) else { continue };
                let step = TransitionRequest {
                    to: Stage::Identified,
                    on: Some(day),
                    note: Some(text("【デモ】担当団体が変わり、計画を練り直す")?),
                    evaluation: None,
                    improvement: None,
                    verdict: None,
                    verdict_reason: None,
                    owner_member_id: None,
                    evaluation_due_on: None,
                    actor: actor.clone(),
                };
                let scope = operator().countermeasure_step(id, scope);
                countermeasures::store::transition(db, &scope, &step, now).await?;
            }
            Act::Evaluate { cm } => {
                let Some(&id) = cm_ids.get(cm) else { continue };
                let step = TransitionRequest {
                    to: Stage::Evaluated,
                    on: Some(day),
                    note: Some(text("【デモ】")?),
                    evaluation: Some(text("【デモ】参加者の7割が「役立った」と回答")?),
                    improvement: Some(text("【デモ】次年度は対象を広げて継続する")?),
                    verdict: Some(countermeasures::Verdict::Achieved),
                    verdict_reason: Some(text("【デモ】目標とした参加者数を上回った")?),
                    owner_member_id: None,
                    evaluation_due_on: None,
                    actor: actor.clone(),
                };
                let scope = operator().countermeasure_step(id, scope);
                countermeasures::store::transition(db, &scope, &step, now).await?;
            }
        }
    }
    Ok(())
}

/// Plans the ladder of countermeasure `cm`, decided on `decided`, by the
/// ward's habits: plan, perhaps a step back and a re-plan, a postponement,
/// an evaluation on time, late or never — or a stall at either stage.
fn schedule(
    h: &Habits,
    rng: &mut Rng,
    plan: &mut Vec<(NaiveDate, Act)>,
    cm: usize,
    decided: NaiveDate,
    roster: &[(i64, OrganizationKind)],
) {
    if rng.chance(h.stalls) {
        return; // stays 未具体化
    }
    let mut planned = after(decided, h.plan_days + rng.range(0, h.plan_days / 2));
    let owner = rng.pick(roster).0;
    let mut due = after(planned, rng.range(120, 200));
    plan.push((planned, Act::Plan { cm, due, owner }));
    if rng.chance(0.06) {
        // Re-planned: back to 未具体化, then planned again with a new date.
        let back = after(planned, 30);
        plan.push((back, Act::StepBack { cm }));
        planned = after(back, 20);
        due = after(planned, rng.range(120, 200));
        plan.push((planned, Act::Plan { cm, due, owner }));
    }
    if rng.chance(h.stalls) {
        return; // stays 具体化 past its due date
    }
    let roll = rng.unit();
    if roll < h.on_time {
        // Some on the due date itself.
        let early = if rng.chance(0.15) {
            0
        } else {
            rng.range(1, 25)
        };
        plan.push((before(due, early), Act::Evaluate { cm }));
    } else if roll < h.on_time + h.postponed {
        let new_due = after(due, rng.range(60, 120));
        plan.push((
            before(due, rng.range(3, 15)),
            Act::Postpone { cm, due: new_due },
        ));
        if rng.chance(0.6) {
            plan.push((before(new_due, rng.range(0, 20)), Act::Evaluate { cm }));
        }
    } else if rng.chance(0.7) {
        plan.push((after(due, rng.range(10, 90)), Act::Evaluate { cm }));
    }
}

/// Ward `i`'s survey answers for a past half-year `period`, `back`
/// half-years before the seed's (the last completed one, whose answers are
/// the sample's unchanged, so that its 資料1 stays the seed's): the sample
/// with (オ)'s counts scaled by the ward's growth, and dentists' and
/// pharmacies' requests rare where the ward's habits say so.
pub fn past_answers(i: usize, period: Period, back: u32) -> AppResult<SurveyAnswers> {
    let h = habits(i);
    let trend = survey::sample::ConsultationTrend {
        growth: h.growth,
        few_dental: h.few_dental,
        size_percent: 100,
    };
    survey::sample::past(i, period, back, trend)
}
