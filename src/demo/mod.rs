//! Demo data: Osaka City's 24 wards with clearly fictional members
//! (見本/試験/例示 names, example.jp addresses), meetings and countermeasures in
//! every stage, some of them overdue, and five half-years of history before
//! the current one ([`story`]) in which the wards differ. Dates are relative
//! to today, so the demo always shows the current half-year and overdue
//! evaluations.

mod plan;
mod story;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::calendar::{self, Period};
use crate::countermeasures::{self, NewCountermeasure, Stage, TransitionRequest};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::meetings::{self, MeetingKind, NewMeeting};
use crate::members::{self, NewMember, OrganizationKind};
use crate::municipalities::{self, NewMunicipality};
use crate::survey;
use crate::text::{Kind, Text};

pub const MUNICIPALITY: &str = "大阪市";

/// The 24 wards of Osaka City, in display order.
pub const OSAKA_WARDS: [&str; 24] = [
    "北区",
    "都島区",
    "福島区",
    "此花区",
    "中央区",
    "西区",
    "港区",
    "大正区",
    "天王寺区",
    "浪速区",
    "西淀川区",
    "淀川区",
    "東淀川区",
    "東成区",
    "生野区",
    "旭区",
    "城東区",
    "鶴見区",
    "阿倍野区",
    "住之江区",
    "住吉区",
    "東住吉区",
    "平野区",
    "西成区",
];

pub(crate) const ACTOR: &str = "デモデータ";

/// The demo's own text, checked like any input (a refusal is a bug here).
fn text<K: Kind>(s: impl Into<String>) -> AppResult<Text<K>> {
    Text::parse(s).map_err(|e| AppError::Internal(anyhow::anyhow!("demo text: {e}")))
}

/// Loads the demo data if the database has no municipality yet; true if it did.
pub async fn load_if_empty(db: &Db, now: DateTime<Utc>) -> AppResult<bool> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM municipalities")
        .fetch_one(&db.pool)
        .await?;
    if count > 0 {
        return Ok(false);
    }
    load(db, now).await?;
    Ok(true)
}

fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

fn days_after(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

async fn load(db: &Db, now: DateTime<Utc>) -> AppResult<()> {
    let today = calendar::today(now);
    let period = Period::containing(today);
    let operator = crate::access::operator();
    let city = municipalities::store::create(
        db,
        &operator.installation(),
        &NewMunicipality {
            name: text(MUNICIPALITY)?,
            wards: OSAKA_WARDS
                .iter()
                .map(|w| text(*w))
                .collect::<AppResult<_>>()?,
        },
        now,
    )
    .await?;
    let wards = crate::wards::store::list(db, operator.all_wards(), Some(city.id)).await?;
    let scopes: Vec<_> = wards
        .iter()
        .map(|w| operator.ward_write(w.id, w.municipality_id))
        .collect();
    let plan_indicators = plan::load(db, city.id, &scopes, today, now).await?;
    let founded = calendar::day_start(
        (0..story::PAST_HALVES)
            .fold(period, |p, _| p.previous())
            .start(),
    );
    for (i, ward) in wards.iter().enumerate() {
        let n = i as u64;
        let scope = operator.ward_write(ward.id, ward.municipality_id);
        let roster = [
            (
                "見本 一郎",
                "医師会",
                OrganizationKind::MedicalAssociation,
                "ishikai",
            ),
            (
                "見本 二美",
                "歯科医師会",
                OrganizationKind::DentalAssociation,
                "shika",
            ),
            (
                "試験 三郎",
                "薬剤師会",
                OrganizationKind::PharmaceuticalAssociation,
                "yakuzai",
            ),
            (
                "試験 四子",
                "訪問看護ステーション（架空）",
                OrganizationKind::VisitingNursing,
                "houkan",
            ),
            (
                "例示 五郎",
                "居宅介護支援事業所（架空）",
                OrganizationKind::CareManager,
                "cm",
            ),
            (
                "例示 六花",
                "在宅医療・介護連携相談支援室",
                OrganizationKind::ConsultationOffice,
                "soudan",
            ),
        ];
        // The rest of the committee: the ward office, the 地域包括支援センター
        // and, in most wards, a hospital (story::has_hospital).
        let mut more = vec![
            (
                "例示 七海",
                "地域包括支援センター（架空）",
                OrganizationKind::CommunityCareCenter,
                "houkatsu",
            ),
            (
                "見本 八重",
                "保健福祉課",
                OrganizationKind::WardOffice,
                "kuyakusho",
            ),
        ];
        if story::has_hospital(i) {
            more.push((
                "試験 九郎",
                "病院 地域医療連携室（架空）",
                OrganizationKind::Hospital,
                "byouin",
            ));
        }
        let mut member_ids = Vec::new();
        let mut committee = Vec::new();
        for (j, (name, org, kind, mail)) in roster.iter().chain(&more).enumerate() {
            let new = NewMember {
                name: text(*name)?,
                organization: text(format!("{}{}", ward.name, org))?,
                organization_kind: *kind,
                email: Some(text(format!("{mail}.ward{:02}@example.jp", i + 1))?),
                // One former member per few wards, to show the active flag.
                active: !(j == 5 && i % 4 == 3),
            };
            // On the committee since the demo's history begins.
            let id = members::store::create(db, &scope, &new, founded).await?.id;
            if new.active {
                committee.push((id, *kind));
            }
            member_ids.push(id);
        }
        story::load_past(db, &scope, i, &ward.name, &committee, today).await?;

        // Two meetings this half-year (fewer topics in some wards), one last half-year.
        let first = days_after(period.start(), 10 + n % 7).min(today);
        let covered: Vec<i64> = (1..=10)
            .filter(|t| (t + i as i64) % 3 != 0 || *t == 2)
            .collect();
        let m1 = meetings::store::create(
            db,
            &scope,
            &NewMeeting {
                held_on: first,
                title: text(format!("{}在宅医療・介護連携推進会議（第1回）", ward.name))?,
                kind: MeetingKind::Council,
                topics: covered.clone(),
                attendee_ids: member_ids[..4].to_vec(),
                minutes: text("【デモ】地域の資源と課題を共有した。")?,
            },
            now,
        )
        .await?;
        if i % 2 == 0 {
            meetings::store::create(
                db,
                &scope,
                &NewMeeting {
                    held_on: days_before(today, 3 + n % 5).max(period.start()),
                    title: text(format!("{}実務者会議", ward.name))?,
                    kind: MeetingKind::Practitioners,
                    topics: vec![3, 4, 6],
                    attendee_ids: member_ids[2..].to_vec(),
                    minutes: text("【デモ】入退院時の情報共有について協議した。")?,
                },
                now,
            )
            .await?;
        }
        meetings::store::create(
            db,
            &scope,
            &NewMeeting {
                held_on: days_before(period.start(), 60),
                title: text(format!("{}在宅医療・介護連携推進会議（前期）", ward.name))?,
                kind: MeetingKind::Council,
                topics: vec![1, 2, 5],
                attendee_ids: member_ids[..3].to_vec(),
                minutes: text("【デモ】前期の振り返り。")?,
            },
            now,
        )
        .await?;

        // Countermeasures: one per stage, plus an overdue one in most wards.
        let plans: [(i64, &[&str], &str, &str); 4] = [
            (
                3,
                &["入退院支援"],
                "入退院時の情報共有シートの運用",
                "病院とケアマネジャーの情報共有が遅れる",
            ),
            (
                7,
                &["看取り"],
                "区民向け看取り講演会の開催",
                "在宅看取りが区民に知られていない",
            ),
            (6, &[], "多職種の顔の見える交流会", "職種間で相談しにくい"),
            (
                4,
                &["急変時の対応", "日常の療養支援"],
                "急変時の連絡ルールづくり",
                "夜間の急変時に連絡先が分からない",
            ),
        ];
        for (k, (topic, scene, title, issue)) in plans.iter().enumerate() {
            let owner = member_ids[k % member_ids.len()];
            let cm = countermeasures::store::create(
                db,
                &scope,
                &NewCountermeasure {
                    topic: *topic,
                    scenes: scene.iter().map(|s| s.to_string()).collect(),
                    indicator_ids: match k {
                        0 => vec![plan_indicators.discharge],
                        1 => vec![plan_indicators.end_of_life],
                        2 => vec![plan_indicators.training],
                        _ => Vec::new(),
                    },
                    title: text(*title)?,
                    issue: text(*issue)?,
                    plan: text("【デモ】担当者が案を作成し、次回会議で報告する。")?,
                    owner_member_id: None,
                    evaluation_due_on: None,
                    meeting_id: Some(m1.id),
                    actor: Some(text(ACTOR)?),
                },
                now,
            )
            .await?;
            // k = 0: stays 未具体化 in odd wards; k = 1: 具体化, due soon;
            // k = 2: 評価改善; k = 3: 具体化 and overdue in most wards.
            let target = match k {
                0 if i % 2 == 1 => Stage::Identified,
                0 | 1 | 3 => Stage::Planned,
                _ => Stage::Evaluated,
            };
            if target == Stage::Identified {
                continue;
            }
            let due = match k {
                3 if i % 5 != 4 => days_before(today, 5 + n * 3),
                1 => days_after(today, 7 + n % 20),
                _ => days_after(today, 60),
            };
            let step = |to: Stage, on: NaiveDate| -> AppResult<TransitionRequest> {
                let evaluated = to == Stage::Evaluated;
                Ok(TransitionRequest {
                    to,
                    on: Some(on),
                    note: Some(text("【デモ】")?),
                    evaluation: evaluated
                        .then(|| text("【デモ】参加者アンケートで8割が「役立った」と回答"))
                        .transpose()?,
                    improvement: evaluated
                        .then(|| text("【デモ】次回は病院の参加を増やす"))
                        .transpose()?,
                    verdict: evaluated.then_some(countermeasures::Verdict::Partly),
                    verdict_reason: evaluated
                        .then(|| text("【デモ】病院の参加が目標の半数にとどまった"))
                        .transpose()?,
                    owner_member_id: Some(owner),
                    evaluation_due_on: Some(due),
                    actor: Some(text(ACTOR)?),
                })
            };
            let cm_scope = operator.countermeasure_step(cm.id, &scope);
            countermeasures::store::transition(
                db,
                &cm_scope,
                &step(Stage::Planned, days_before(today, 40).max(first))?,
                now,
            )
            .await?;
            if target == Stage::Evaluated {
                countermeasures::store::transition(
                    db,
                    &cm_scope,
                    &step(Stage::Evaluated, days_before(today, 2))?,
                    now,
                )
                .await?;
                // Every fourth ward has already started the next round.
                if i % 4 == 0 {
                    let next = countermeasures::NextCycleRequest {
                        evaluation_due_on: days_after(today, 120),
                        plan: Some(text(
                            "【デモ】病院の参加を増やすため、案内先を広げて再度開催する。",
                        )?),
                        note: Some(text("【デモ】評価を踏まえ次のサイクルへ")?),
                        on: Some(days_before(today, 1)),
                        owner_member_id: None,
                        actor: Some(text(ACTOR)?),
                    };
                    countermeasures::store::next_cycle(
                        db,
                        &operator.countermeasure_write(cm.id, &scope),
                        &next,
                        now,
                    )
                    .await?;
                }
            }
        }
    }
    load_surveys(db, &wards, period.previous(), now).await?;
    load_past_surveys(db, &wards, period.previous()).await
}

/// The surveys of the half-years before the seed's: every ward submits,
/// except that 西成区 skipped two (a half-year with no survey).
async fn load_past_surveys(db: &Db, wards: &[crate::wards::Ward], seed: Period) -> AppResult<()> {
    let mut period = seed;
    for back in 1..story::PAST_HALVES {
        period = period.previous();
        let now = calendar::day_start(days_after(period.end(), 14));
        for (i, ward) in wards.iter().enumerate().take(survey::sample::WARDS) {
            if i == 23 && back % 2 == 1 {
                continue;
            }
            let scope = crate::access::operator().ward_write(ward.id, ward.municipality_id);
            let answers = story::past_answers(i, period, back)?;
            survey::store::save_draft(db, &scope, period, answers, now).await?;
            survey::store::submit(db, &scope, period, now).await?;
        }
    }
    Ok(())
}

/// The last completed half-year's survey: the seed's sample answers,
/// submitted by 22 wards, so the report (資料1) for that period has data;
/// one ward is still drafting and one has not started, to show both.
async fn load_surveys(
    db: &Db,
    wards: &[crate::wards::Ward],
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for (i, ward) in wards.iter().enumerate().take(survey::sample::WARDS) {
        if i == 23 {
            continue;
        }
        let answers = survey::sample::typed(i, period)?;
        let scope = crate::access::operator().ward_write(ward.id, ward.municipality_id);
        survey::store::save_draft(db, &scope, period, answers, now).await?;
        if i != 22 {
            survey::store::submit(db, &scope, period, now).await?;
        }
    }
    Ok(())
}

/// One demo account: its address, role and the password generated for it.
pub struct DemoAccount {
    pub email: String,
    pub role: crate::accounts::Role,
    pub password: String,
}

/// Creates one account per role: a city account and a city-level viewer,
/// and a secretariat, a member and a viewer for each of two wards (北区 and
/// 西成区). Passwords are random; the caller shows them once.
pub async fn create_accounts(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<DemoAccount>> {
    use crate::accounts::Role;
    use crate::accounts::secret::{hash_password, random_token};
    use crate::accounts::store::{NewAccount, create};
    let Some(municipality_id) = municipalities::store::find_by_name(db, MUNICIPALITY).await? else {
        return Ok(Vec::new());
    };
    let all = crate::access::operator().all_wards();
    let wards = crate::wards::store::list(db, all, Some(municipality_id)).await?;
    let mut plan: Vec<(String, Role, Option<i64>)> = vec![
        ("city@demo.example.jp".into(), Role::City, None),
        ("viewer@demo.example.jp".into(), Role::Viewer, None),
    ];
    for (slug, name) in [("kita", "北区"), ("nishinari", "西成区")] {
        let Some(ward) = wards.iter().find(|w| w.name == name) else {
            continue;
        };
        for role in [Role::Secretariat, Role::Member, Role::Viewer] {
            plan.push((
                format!("{}.{slug}@demo.example.jp", role.as_str()),
                role,
                Some(ward.id),
            ));
        }
    }
    let mut out = Vec::new();
    for (email, role, ward_id) in plan {
        // 16 hex characters: readable enough to type in a demo.
        let password = random_token()?[..16].to_string();
        let member_id = match (role, ward_id) {
            (Role::Member, Some(w)) => sqlx::query_scalar(
                "SELECT owner_member_id FROM countermeasures WHERE ward_id = $1 AND owner_member_id IS NOT NULL ORDER BY id LIMIT 1",
            )
            .bind(w)
            .fetch_optional(&db.pool)
            .await?
            .flatten(),
            _ => None,
        };
        create(
            db,
            &NewAccount {
                email: email.clone(),
                display_name: String::new(),
                role,
                municipality_id: Some(municipality_id),
                ward_id,
                member_id,
                password_hash: Some(hash_password(password.clone()).await?),
            },
            Some(ACTOR),
            now,
        )
        .await?;
        out.push(DemoAccount {
            email,
            role,
            password,
        });
    }
    Ok(out)
}
