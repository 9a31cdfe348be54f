//! Generated data at scale, for benchmarks and load tests: `renkei seed`.
//!
//! `national` models Japan: the 20 designated cities with their wards (171
//! areas), the 23 special wards of Tokyo and 1,698 other cities, towns and
//! villages as single-area municipalities (1,892 areas), 40,000 meetings a
//! year over five years with attendees and topics, 500,000 countermeasures
//! spread over every stage with a history that climbs the ladder, and
//! 300,000 committee members, and each area's submitted half-year surveys
//! (consultation counts that differ by area and over time). `city` is one designated city (Osaka's 24
//! wards) at the same density. Sizes are skewed (a designated city's ward
//! holds more meetings than a village), topics are uneven as in the source
//! report, and names come from short syllable lists, so nothing is real.
//!
//! The same seed number and day give the same rows. Rows go in with
//! explicit ids as multi-row INSERTs (one statement text per table, so the
//! prepared statement is reused), all in one transaction per run: a failed
//! seed leaves the database empty. Each municipality gets one audit row
//! (`seed`) in that transaction; rows carry their history as the ladder
//! would have written it, without an audit row each.

use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::json;
use sqlx::{Acquire, Any, Executor};

use crate::calendar::Period;
use crate::countermeasures::{EventKind, Stage};
use crate::db::{Db, Dialect, timestamp};
use crate::error::{AppError, AppResult};
use crate::meetings::MeetingKind;
use crate::members::OrganizationKind;
use crate::random::Rng;
use crate::survey::SurveyAnswers;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Scale {
    /// Municipalities and their wards; no wards means one area named after it.
    pub municipalities: Vec<(String, Vec<String>, AreaKind)>,
    pub meetings_per_year: usize,
    pub years: u32,
    pub countermeasures: usize,
    pub members: usize,
}

/// The kind of area sets its size (a designated city's ward ≫ a village).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    DesignatedCityWard,
    SpecialWard,
    City,
    Town,
    Village,
}

impl AreaKind {
    /// Typical population, in thousands: the centre of a log-normal spread.
    fn typical_size(self) -> f64 {
        match self {
            AreaKind::DesignatedCityWard => 140.0,
            AreaKind::SpecialWard => 350.0,
            AreaKind::City => 55.0,
            AreaKind::Town => 12.0,
            AreaKind::Village => 3.0,
        }
    }
}

/// The 20 designated cities (政令指定都市) and their number of wards.
const DESIGNATED: [(&str, usize); 20] = [
    ("札幌市", 10),
    ("仙台市", 5),
    ("さいたま市", 10),
    ("千葉市", 6),
    ("横浜市", 18),
    ("川崎市", 7),
    ("相模原市", 3),
    ("新潟市", 8),
    ("静岡市", 3),
    ("浜松市", 3),
    ("名古屋市", 16),
    ("京都市", 11),
    ("大阪市", 24),
    ("堺市", 7),
    ("神戸市", 9),
    ("岡山市", 4),
    ("広島市", 8),
    ("北九州市", 7),
    ("福岡市", 7),
    ("熊本市", 5),
];

/// Ward names for designated cities other than Osaka (whose real 24 are in
/// [`crate::demo::OSAKA_WARDS`]); the first n are used.
const WARD_NAMES: [&str; 18] = [
    "中央区",
    "北区",
    "南区",
    "東区",
    "西区",
    "中区",
    "港区",
    "緑区",
    "青葉区",
    "泉区",
    "若葉区",
    "美浜区",
    "花見川区",
    "稲毛区",
    "見沼区",
    "桜区",
    "浦和区",
    "大宮区",
];

const SPECIAL_WARDS: [&str; 23] = [
    "千代田区",
    "中央区",
    "港区",
    "新宿区",
    "文京区",
    "台東区",
    "墨田区",
    "江東区",
    "品川区",
    "目黒区",
    "大田区",
    "世田谷区",
    "渋谷区",
    "中野区",
    "杉並区",
    "豊島区",
    "北区",
    "荒川区",
    "板橋区",
    "練馬区",
    "足立区",
    "葛飾区",
    "江戸川区",
];

const PLACE_HEAD: [&str; 32] = [
    "大", "小", "新", "上", "下", "東", "西", "南", "北", "高", "長", "松", "山", "川", "田", "石",
    "岡", "本", "宮", "森", "富", "若", "豊", "福", "清", "白", "青", "緑", "桜", "竹", "朝", "日",
];
const PLACE_TAIL: [&str; 20] = [
    "川", "田", "山", "野", "原", "沢", "津", "島", "浜", "岡", "崎", "井", "谷", "瀬", "里", "丘",
    "見", "倉", "和", "部",
];
const SURNAME: [&str; 20] = [
    "山", "田", "中", "川", "本", "木", "村", "井", "上", "松", "藤", "野", "石", "原", "小", "大",
    "高", "林", "森", "池",
];
const GIVEN_HEAD: [&str; 16] = [
    "健", "翔", "大", "美", "恵", "由", "直", "裕", "誠", "拓", "陽", "千", "明", "亮", "修", "真",
];
const GIVEN_TAIL: [&str; 12] = [
    "太", "子", "郎", "介", "美", "香", "也", "斗", "菜", "樹", "奈", "人",
];

/// How often each topic (1–10) is on an agenda: resources, the state of
/// the work and face-to-face relations most, goals and evaluation least.
const TOPIC_WEIGHTS: [u32; 10] = [14, 18, 10, 9, 12, 16, 9, 4, 3, 5];

const ORGANIZATIONS: [(OrganizationKind, &str, u32); 10] = [
    (OrganizationKind::MedicalAssociation, "医師会", 12),
    (OrganizationKind::DentalAssociation, "歯科医師会", 6),
    (OrganizationKind::PharmaceuticalAssociation, "薬剤師会", 7),
    (OrganizationKind::Hospital, "病院 地域連携室", 10),
    (
        OrganizationKind::VisitingNursing,
        "訪問看護ステーション",
        12,
    ),
    (OrganizationKind::CareManager, "居宅介護支援事業所", 25),
    (
        OrganizationKind::CommunityCareCenter,
        "地域包括支援センター",
        12,
    ),
    (
        OrganizationKind::ConsultationOffice,
        "在宅医療・介護連携相談支援室",
        6,
    ),
    (OrganizationKind::WardOffice, "保健福祉センター", 5),
    (OrganizationKind::Other, "社会福祉協議会", 5),
];

const MEETING_KINDS: [(MeetingKind, u32); 4] = [
    (MeetingKind::Council, 35),
    (MeetingKind::Practitioners, 40),
    (MeetingKind::Training, 15),
    (MeetingKind::Other, 10),
];

const TITLES: [&str; 12] = [
    "入退院時の情報共有シートの運用",
    "多職種の顔の見える交流会",
    "区民向け在宅医療講演会の開催",
    "急変時の連絡ルールづくり",
    "在宅医療・介護資源マップの更新",
    "看取りに関する事例検討会",
    "ケアマネジャー向け医療連携研修",
    "退院前カンファレンスの手順書作成",
    "夜間・休日の相談窓口の周知",
    "連携推進の目標と指標の設定",
    "取組評価シートの導入",
    "ICTによる情報共有の試行",
];
const ISSUES: [&str; 6] = [
    "病院とケアマネジャーの情報共有が遅れる",
    "在宅看取りが区民に知られていない",
    "職種間で相談しにくい",
    "夜間の急変時に連絡先が分からない",
    "地域の資源が把握されていない",
    "取組の成果が評価されていない",
];
const EVALUATIONS: [&str; 4] = [
    "参加者アンケートで8割が「役立った」と回答",
    "運用開始後、情報提供の遅れが半減した",
    "相談件数が前年度より増えた",
    "関係機関の参加が目標に届かなかった",
];
const IMPROVEMENTS: [&str; 4] = [
    "次回は病院の参加を増やす",
    "様式を簡素化して再周知する",
    "開催時期を見直す",
    "対象を介護事業所に広げる",
];
const STEP_BACK_REASONS: [&str; 3] = [
    "担当者の異動により再計画",
    "関係機関との調整がつかず再検討",
    "評価の結果、計画を見直す",
];

impl Scale {
    /// Japan: about 1,900 areas, 40,000 meetings a year for five years,
    /// 500,000 countermeasures, 300,000 members.
    pub fn national(rng: &mut Rng) -> Scale {
        let mut municipalities = Vec::new();
        let mut taken: HashSet<String> = HashSet::new();
        for (name, wards) in DESIGNATED {
            let wards: Vec<String> = if name == crate::demo::MUNICIPALITY {
                crate::demo::OSAKA_WARDS
                    .iter()
                    .map(|w| w.to_string())
                    .collect()
            } else {
                WARD_NAMES[..wards].iter().map(|w| w.to_string()).collect()
            };
            taken.insert(name.to_string());
            municipalities.push((name.to_string(), wards, AreaKind::DesignatedCityWard));
        }
        for name in SPECIAL_WARDS {
            taken.insert(name.to_string());
            municipalities.push((name.to_string(), Vec::new(), AreaKind::SpecialWard));
        }
        // 792 cities in all (20 designated), 743 towns, 183 villages.
        for (count, suffix, kind) in [
            (772, "市", AreaKind::City),
            (743, "町", AreaKind::Town),
            (183, "村", AreaKind::Village),
        ] {
            let mut made = 0;
            while made < count {
                let mut name = String::new();
                name.push_str(rng.pick::<&str>(&PLACE_HEAD));
                name.push_str(rng.pick::<&str>(&PLACE_TAIL));
                if rng.chance(0.35) {
                    name.push_str(rng.pick::<&str>(&PLACE_TAIL));
                }
                name.push_str(suffix);
                if taken.insert(name.clone()) {
                    municipalities.push((name, Vec::new(), kind));
                    made += 1;
                }
            }
        }
        Scale {
            municipalities,
            meetings_per_year: 40_000,
            years: 5,
            countermeasures: 500_000,
            members: 300_000,
        }
    }

    /// One designated city (Osaka's 24 wards) at the national density.
    pub fn city() -> Scale {
        let wards = crate::demo::OSAKA_WARDS
            .iter()
            .map(|w| w.to_string())
            .collect();
        Scale {
            municipalities: vec![(
                crate::demo::MUNICIPALITY.to_string(),
                wards,
                AreaKind::DesignatedCityWard,
            )],
            meetings_per_year: 500,
            years: 5,
            countermeasures: 6_400,
            members: 3_800,
        }
    }

    /// A few areas, for tests.
    pub fn tiny() -> Scale {
        Scale {
            municipalities: vec![
                (
                    "見本市".into(),
                    vec!["北区".into(), "南区".into()],
                    AreaKind::DesignatedCityWard,
                ),
                ("試験町".into(), Vec::new(), AreaKind::Town),
                ("例示村".into(), Vec::new(), AreaKind::Village),
            ],
            meetings_per_year: 40,
            years: 5,
            countermeasures: 300,
            members: 120,
        }
    }
}

/// Splits `total` over `weights`, each share at least `min` (when the
/// total allows), the shares summing to `total` exactly.
pub fn allocate(total: usize, weights: &[f64], min: usize) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let min = min.min(total / n);
    let rest = total - min * n;
    let sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut shares: Vec<usize> = weights
        .iter()
        .map(|w| min + (rest as f64 * w / sum).floor() as usize)
        .collect();
    let mut left = total - shares.iter().sum::<usize>();
    // The remainder goes to the largest areas, one each, in a fixed order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| weights[*b].total_cmp(&weights[*a]).then(a.cmp(b)));
    let mut i = 0;
    while left > 0 {
        shares[order[i % n]] += 1;
        left -= 1;
        i += 1;
    }
    shares
}

/// A value of a generated row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    NullInt,
    NullText,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullInt, Value::Int)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}

/// The tables in the order their rows must be written (parents first).
pub const TABLES: [(&str, &[&str]); 11] = [
    ("municipalities", &["id", "name", "created_at"]),
    (
        "wards",
        &[
            "id",
            "municipality_id",
            "name",
            "sort_order",
            "secretariat_email",
            "created_at",
        ],
    ),
    (
        "audit_log",
        &[
            "ward_id",
            "entity",
            "entity_id",
            "action",
            "actor",
            "changes",
            "recorded_at",
        ],
    ),
    (
        "members",
        &[
            "id",
            "ward_id",
            "name",
            "organization",
            "organization_kind",
            "email",
            "active",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "meetings",
        &[
            "id",
            "ward_id",
            "held_on",
            "title",
            "kind",
            "minutes",
            "created_at",
            "updated_at",
        ],
    ),
    ("meeting_topics", &["meeting_id", "topic"]),
    (
        "meeting_attendees",
        &["meeting_id", "member_id", "organization_kind"],
    ),
    (
        "countermeasures",
        &[
            "id",
            "ward_id",
            "topic",
            "title",
            "issue",
            "plan",
            "owner_member_id",
            "evaluation_due_on",
            "meeting_id",
            "stage",
            "evaluation",
            "improvement",
            "archived",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "countermeasure_events",
        &[
            "id",
            "countermeasure_id",
            "kind",
            "from_stage",
            "to_stage",
            "occurred_on",
            "actor",
            "note",
            "evaluation",
            "improvement",
            "changes",
            "recorded_at",
            "due_from",
            "due_to",
        ],
    ),
    (
        "surveys",
        &[
            "id",
            "ward_id",
            "period",
            "status",
            "answers",
            "submitted_at",
            "created_at",
            "updated_at",
        ],
    ),
    ("countermeasure_scenes", &["countermeasure_id", "scene"]),
];

pub const MUNICIPALITIES: usize = 0;
pub const WARDS: usize = 1;
pub const AUDIT: usize = 2;
pub const MEMBERS: usize = 3;
pub const MEETINGS: usize = 4;
pub const TOPICS: usize = 5;
pub const ATTENDEES: usize = 6;
pub const COUNTERMEASURES: usize = 7;
pub const EVENTS: usize = 8;
pub const SURVEYS: usize = 9;
/// A countermeasure's scenes (migration 0020), after their countermeasures.
pub const CM_SCENES: usize = 10;

/// Where generated rows go: the database, or memory (tests of the rules).
pub trait Sink {
    fn push(
        &mut self,
        table: usize,
        row: Vec<Value>,
    ) -> impl std::future::Future<Output = AppResult<()>>;
}

/// Rows kept in memory, per table.
#[derive(Debug, Default)]
pub struct Memory {
    pub rows: [Vec<Vec<Value>>; TABLES.len()],
}

impl Sink for Memory {
    async fn push(&mut self, table: usize, row: Vec<Value>) -> AppResult<()> {
        self.rows[table].push(row);
        Ok(())
    }
}

/// Totals of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub rows: [usize; TABLES.len()],
    pub overdue: usize,
    pub archived: usize,
    pub by_stage: [usize; 3],
}

fn date_add(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).unwrap_or(d)
}

fn date_sub(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(days)).unwrap_or(d)
}

/// The instant a generated row was recorded: 10:00 in Tokyo that day.
fn stamp(d: NaiveDate) -> String {
    format!("{d}T01:00:00Z")
}

fn stage_index(s: Stage) -> usize {
    match s {
        Stage::Identified => 0,
        Stage::Planned => 1,
        Stage::Evaluated => 2,
    }
}

/// Generates every row of `scale` into `sink`, deterministically from
/// `seed` and `today` (the last day anything happens on).
pub async fn generate<S: Sink>(
    sink: &mut S,
    scale: &Scale,
    seed: u64,
    today: NaiveDate,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(&str),
) -> AppResult<Totals> {
    let mut rng = Rng::new(seed);
    let mut totals = Totals::default();
    let created = timestamp(now);
    // Areas: (id, municipality index, name, kind, size).
    let mut areas: Vec<(i64, usize, String, AreaKind, f64)> = Vec::new();
    // Each area's ward in the survey sample (see [`Surveys`]).
    let mut samples: Vec<usize> = Vec::new();
    for (m, (name, wards, kind)) in scale.municipalities.iter().enumerate() {
        let mid = m as i64 + 1;
        sink.push(
            MUNICIPALITIES,
            vec![mid.into(), name.as_str().into(), created.as_str().into()],
        )
        .await?;
        totals.rows[MUNICIPALITIES] += 1;
        let names: Vec<&String> = if wards.is_empty() {
            vec![name]
        } else {
            wards.iter().collect()
        };
        for (i, ward) in names.iter().enumerate() {
            let id = areas.len() as i64 + 1;
            let size = kind.typical_size() * (0.6 * rng.normal()).exp();
            // Most secretariats have an address; a few have not set one yet.
            let email = rng
                .chance(0.9)
                .then(|| format!("jimukyoku{id}@seed.example.jp"));
            sink.push(
                WARDS,
                vec![
                    id.into(),
                    mid.into(),
                    ward.as_str().into(),
                    (i as i64 + 1).into(),
                    email.into(),
                    created.as_str().into(),
                ],
            )
            .await?;
            totals.rows[WARDS] += 1;
            areas.push((id, m, (*ward).clone(), *kind, size));
            // A designated city's wards answer as the sample's wards in
            // order (Osaka's are the sample's); single areas spread over
            // the sample's 22 offices.
            samples.push(if wards.is_empty() {
                (id as usize - 1) % 22
            } else {
                i % crate::survey::sample::WARDS
            });
        }
        let changes = json!({ "name": name, "wards": names, "seed": seed });
        sink.push(
            AUDIT,
            vec![
                Value::NullInt,
                "municipality".into(),
                mid.into(),
                "seed".into(),
                "seed".into(),
                changes.to_string().into(),
                created.as_str().into(),
            ],
        )
        .await?;
        totals.rows[AUDIT] += 1;
    }
    progress(&format!(
        "{} municipalities, {} areas",
        totals.rows[MUNICIPALITIES], totals.rows[WARDS]
    ));

    // Activity grows more slowly than population: a ward ten times a
    // village's size does not hold ten times its meetings.
    let sqrt: Vec<f64> = areas.iter().map(|a| a.4.sqrt()).collect();
    let pow6: Vec<f64> = areas.iter().map(|a| a.4.powf(0.6)).collect();
    let years = scale.years.max(1);
    let days = 365 * u64::from(years);
    let first_day = date_sub(today, days - 1);
    let member_counts = allocate(scale.members, &sqrt, 6);
    let meeting_counts = allocate(scale.meetings_per_year * years as usize, &sqrt, 2);
    let cm_counts = allocate(scale.countermeasures, &pow6, 3);

    let mut member_id = 0i64;
    let mut meeting_id = 0i64;
    let mut cm_id = 0i64;
    let mut event_id = 0i64;
    let mut surveys = Surveys::new(first_day, today);
    let org_weights: Vec<u32> = ORGANIZATIONS.iter().map(|o| o.2).collect();
    let kind_weights: Vec<u32> = MEETING_KINDS.iter().map(|k| k.1).collect();
    let mut next_report = 0.0;
    for (a, (ward_id, _m, area_name, _kind, _size)) in areas.iter().enumerate() {
        let ward_id = *ward_id;
        let secretariat = format!("{area_name}事務局");
        // Members; the active ones attend and own countermeasures.
        let mut active: Vec<i64> = Vec::new();
        // Each member's kind, for its attendance rows (the kind at the meeting).
        let mut kinds: std::collections::HashMap<i64, OrganizationKind> =
            std::collections::HashMap::new();
        for _ in 0..member_counts[a] {
            member_id += 1;
            let (kind, org, _) = ORGANIZATIONS[rng.weighted(&org_weights)];
            kinds.insert(member_id, kind);
            let name = format!(
                "{}{} {}{}",
                rng.pick(&SURNAME),
                rng.pick(&SURNAME),
                rng.pick(&GIVEN_HEAD),
                rng.pick(&GIVEN_TAIL)
            );
            let is_active = rng.chance(0.92);
            if is_active {
                active.push(member_id);
            }
            let email = rng
                .chance(0.9)
                .then(|| format!("member{member_id}@seed.example.jp"));
            let since = stamp(date_add(first_day, rng.range(0, days / 2)));
            sink.push(
                MEMBERS,
                vec![
                    member_id.into(),
                    ward_id.into(),
                    name.into(),
                    format!("{area_name}{org}").into(),
                    kind.as_str().into(),
                    email.into(),
                    i64::from(is_active).into(),
                    since.as_str().into(),
                    since.into(),
                ],
            )
            .await?;
        }
        totals.rows[MEMBERS] += member_counts[a];
        if active.is_empty() {
            // Every area keeps at least one active member to own plans.
            active.push(member_id);
        }

        // Meetings, by date, each with its topics and attendees.
        let mut dates: Vec<NaiveDate> = (0..meeting_counts[a])
            .map(|_| date_add(first_day, rng.range(0, days - 1)))
            .collect();
        dates.sort();
        let mut meetings: Vec<(i64, NaiveDate, Vec<i64>)> = Vec::with_capacity(dates.len());
        for (n, held) in dates.iter().enumerate() {
            meeting_id += 1;
            let (kind, _) = MEETING_KINDS[rng.weighted(&kind_weights)];
            let mut weights = TOPIC_WEIGHTS;
            let mut topics = Vec::new();
            for _ in 0..rng.range(1, 4) {
                let t = rng.weighted(&weights);
                weights[t] = 0;
                topics.push(t as i64 + 1);
            }
            topics.sort();
            sink.push(
                MEETINGS,
                vec![
                    meeting_id.into(),
                    ward_id.into(),
                    held.to_string().into(),
                    format!("{area_name}{kind}（第{}回）", n + 1).into(),
                    kind.as_str().into(),
                    "【生成データ】資源と課題を共有し、対応策を協議した。".into(),
                    stamp(*held).into(),
                    stamp(*held).into(),
                ],
            )
            .await?;
            for t in &topics {
                sink.push(TOPICS, vec![meeting_id.into(), (*t).into()])
                    .await?;
            }
            totals.rows[TOPICS] += topics.len();
            let want = (rng.range(3, 12) as usize).min(active.len());
            let start = rng.range(0, active.len() as u64 - 1) as usize;
            let mut attendees: Vec<i64> = (0..want)
                .map(|k| active[(start + k * 7) % active.len()])
                .collect();
            attendees.sort();
            attendees.dedup();
            for m in &attendees {
                let kind = kinds.get(m).copied().unwrap_or(OrganizationKind::Other);
                sink.push(
                    ATTENDEES,
                    vec![meeting_id.into(), (*m).into(), kind.as_str().into()],
                )
                .await?;
            }
            totals.rows[ATTENDEES] += attendees.len();
            meetings.push((meeting_id, *held, topics));
        }
        totals.rows[MEETINGS] += meetings.len();

        // Countermeasures, each decided at one of the area's meetings on
        // one of its topics, then walked up the ladder.
        for _ in 0..cm_counts[a] {
            cm_id += 1;
            let (decided_at, decided_on, topics) = rng.pick(&meetings).clone();
            let topic = *rng.pick(&topics);
            let scene = match rng.weighted(&[30, 25, 25, 10, 10]) {
                n @ 1..=4 => crate::scenes::NATIONAL.get(n - 1).copied(),
                _ => None,
            };
            let title = rng.pick(&TITLES).to_string();
            let issue = rng.pick(&ISSUES).to_string();
            let mut events: Vec<Vec<Value>> = Vec::new();
            let mut event = |kind: EventKind,
                             from: Option<Stage>,
                             to: Option<Stage>,
                             on: NaiveDate,
                             note: &str,
                             evaluation: Option<String>,
                             improvement: Option<String>,
                             changes: serde_json::Value| {
                event_id += 1;
                // A generated history never clears a due date, so the
                // `before` of a date change is the date it replaced.
                let (due_from, due_to) = match crate::countermeasures::store::due_set(&changes) {
                    Some((before, after)) => (before, Some(after)),
                    None => (None, None),
                };
                events.push(vec![
                    event_id.into(),
                    cm_id.into(),
                    kind.as_str().into(),
                    from.map(|s| s.as_str().to_string()).into(),
                    to.map(|s| s.as_str().to_string()).into(),
                    on.to_string().into(),
                    Some(secretariat.clone()).into(),
                    note.into(),
                    evaluation.into(),
                    improvement.into(),
                    changes.to_string().into(),
                    stamp(on).into(),
                    due_from.into(),
                    due_to.into(),
                ]);
            };
            event(
                EventKind::Created,
                None,
                Some(Stage::Identified),
                decided_on,
                "",
                None,
                None,
                json!({ "stage": { "before": null, "after": "未具体化" }, "topic": { "before": null, "after": topic } }),
            );
            let mut stage = Stage::Identified;
            let mut owner: Option<i64> = None;
            let mut due: Option<NaiveDate> = None;
            let mut evaluation: Option<String> = None;
            let mut improvement: Option<String> = None;
            let mut last = decided_on;
            // A few rounds at most: plan, evaluate, sometimes re-plan.
            for _round in 0..4 {
                match stage {
                    Stage::Identified => {
                        // Most 課題 get a concrete plan within weeks; some wait.
                        if !rng.chance(0.82) {
                            break;
                        }
                        let on = date_add(last, rng.range(7, 120));
                        if on > today {
                            break;
                        }
                        let who = *rng.pick(&active);
                        let when = date_add(on, rng.range(60, 400));
                        event(
                            EventKind::Advanced,
                            Some(stage),
                            Some(Stage::Planned),
                            on,
                            "",
                            None,
                            None,
                            json!({
                                "stage": { "before": stage.as_str(), "after": "具体化" },
                                "owner_member_id": { "before": owner, "after": who },
                                "evaluation_due_on": { "before": due.map(|d| d.to_string()), "after": when.to_string() },
                            }),
                        );
                        stage = Stage::Planned;
                        owner = Some(who);
                        due = Some(when);
                        last = on;
                    }
                    Stage::Planned => {
                        let Some(d) = due else { break };
                        // Re-plans happen; forgotten evaluations become overdue.
                        if rng.chance(0.05) {
                            let on = date_add(last, rng.range(14, 90));
                            if on > today {
                                break;
                            }
                            let reason = *rng.pick(&STEP_BACK_REASONS);
                            event(
                                EventKind::SteppedBack,
                                Some(stage),
                                Some(Stage::Identified),
                                on,
                                reason,
                                None,
                                None,
                                json!({ "stage": { "before": "具体化", "after": "未具体化" } }),
                            );
                            stage = Stage::Identified;
                            last = on;
                            continue;
                        }
                        if rng.chance(0.1) {
                            break;
                        }
                        let on = if rng.chance(0.5) {
                            date_sub(d, rng.range(0, 30))
                        } else {
                            date_add(d, rng.range(0, 45))
                        }
                        .max(last);
                        if on > today {
                            break;
                        }
                        let e = rng.pick(&EVALUATIONS).to_string();
                        let i = rng.pick(&IMPROVEMENTS).to_string();
                        event(
                            EventKind::Advanced,
                            Some(stage),
                            Some(Stage::Evaluated),
                            on,
                            "",
                            Some(e.clone()),
                            Some(i.clone()),
                            json!({
                                "stage": { "before": "具体化", "after": "評価改善" },
                                "evaluation": { "before": null, "after": e },
                                "improvement": { "before": null, "after": i },
                            }),
                        );
                        stage = Stage::Evaluated;
                        evaluation = Some(e);
                        improvement = Some(i);
                        last = on;
                    }
                    Stage::Evaluated => {
                        // An evaluation sometimes leads to a new plan round.
                        if !rng.chance(0.08) {
                            break;
                        }
                        let on = date_add(last, rng.range(14, 120));
                        if on > today {
                            break;
                        }
                        let when = date_add(on, rng.range(60, 300));
                        let reason = *rng.pick(&STEP_BACK_REASONS);
                        event(
                            EventKind::SteppedBack,
                            Some(stage),
                            Some(Stage::Planned),
                            on,
                            reason,
                            None,
                            None,
                            json!({
                                "stage": { "before": "評価改善", "after": "具体化" },
                                "evaluation_due_on": { "before": due.map(|d| d.to_string()), "after": when.to_string() },
                            }),
                        );
                        stage = Stage::Planned;
                        due = Some(when);
                        evaluation = None;
                        improvement = None;
                        last = on;
                    }
                }
            }
            // Finished work is closed after a while; stale 課題 too, now and then.
            let age = (today - last).num_days();
            let archive = match stage {
                Stage::Evaluated => age > 180 && rng.chance(0.35),
                Stage::Identified => age > 540 && rng.chance(0.2),
                Stage::Planned => false,
            };
            if archive {
                let on = date_add(last, rng.range(30, age as u64));
                event(
                    EventKind::Archived,
                    None,
                    None,
                    on,
                    "",
                    None,
                    None,
                    json!({ "archived": { "before": false, "after": true } }),
                );
                last = on;
                totals.archived += 1;
            }
            if stage == Stage::Planned && due.is_some_and(|d| d < today) {
                totals.overdue += 1;
            }
            totals.by_stage[stage_index(stage)] += 1;
            sink.push(
                COUNTERMEASURES,
                vec![
                    cm_id.into(),
                    ward_id.into(),
                    topic.into(),
                    title.into(),
                    issue.into(),
                    "担当者が案を作成し、次回会議で報告する。".into(),
                    owner.into(),
                    due.map(|d| d.to_string()).into(),
                    Some(decided_at).into(),
                    stage.as_str().into(),
                    evaluation.into(),
                    improvement.into(),
                    i64::from(archive).into(),
                    stamp(decided_on).into(),
                    stamp(last).into(),
                ],
            )
            .await?;
            if let Some(scene) = scene {
                sink.push(CM_SCENES, vec![cm_id.into(), scene.to_string().into()])
                    .await?;
                totals.rows[CM_SCENES] += 1;
            }
            totals.rows[EVENTS] += events.len();
            for e in events {
                sink.push(EVENTS, e).await?;
            }
        }
        totals.rows[COUNTERMEASURES] += cm_counts[a];
        for row in surveys.rows(seed, a, ward_id, samples[a], areas[a].4)? {
            sink.push(SURVEYS, row).await?;
            totals.rows[SURVEYS] += 1;
        }
        let done = (a + 1) as f64 / areas.len() as f64;
        if done >= next_report {
            progress(&format!(
                "{:>3.0}% of areas: {} members, {} meetings, {} countermeasures",
                done * 100.0,
                totals.rows[MEMBERS],
                totals.rows[MEETINGS],
                totals.rows[COUNTERMEASURES]
            ));
            next_report += 0.1;
        }
    }
    Ok(totals)
}

/// The half-year surveys of the generated areas: each area submits one for
/// every completed half-year of the generated years, its (オ) consultation
/// counts drawn by the demo's generator ([`crate::survey::sample::past`])
/// from the area's sample ward, scaled to the area's size, with its own
/// growth and, in about a third of the areas, few requests from dentists
/// and pharmacies. The other answers are the sample ward's.
struct Surveys {
    /// Newest first: the last completed half-year is `back` 0.
    periods: Vec<Period>,
    today: NaiveDate,
    /// The sample's answers per (sample ward, period index), normalized:
    /// built once, since thousands of areas share them.
    base: std::collections::HashMap<(usize, usize), SurveyAnswers>,
    id: i64,
}

impl Surveys {
    fn new(first_day: NaiveDate, today: NaiveDate) -> Self {
        let mut periods = Vec::new();
        let mut p = Period::containing(today).previous();
        while p.end() >= first_day {
            periods.push(p);
            p = p.previous();
        }
        Surveys {
            periods,
            today,
            base: std::collections::HashMap::new(),
            id: 0,
        }
    }

    /// The rows of area `a` (table [`SURVEYS`]), one per half-year.
    fn rows(
        &mut self,
        seed: u64,
        a: usize,
        ward_id: i64,
        sample: usize,
        size: f64,
    ) -> AppResult<Vec<Vec<Value>>> {
        // A generator of the area's own, so the other tables' rows stay
        // those of earlier versions of the seed.
        let mut rng = Rng::new(seed ^ 0x5E1F_0000_0000_0000 ^ a as u64);
        let trend = crate::survey::sample::ConsultationTrend {
            growth: rng.range(0, 16) as i64 - 4,
            few_dental: rng.chance(0.3),
            // Consultations grow more slowly than population (as meetings do).
            size_percent: ((size / AreaKind::DesignatedCityWard.typical_size()).sqrt() * 100.0)
                .round()
                .clamp(5.0, 400.0) as i64,
        };
        let mut rows = Vec::with_capacity(self.periods.len());
        for (back, period) in self.periods.iter().enumerate() {
            let base = match self.base.entry((sample, back)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    crate::survey::sample::typed(sample, *period)?.normalized(*period, true)?,
                ),
            };
            let mut answers = base.clone();
            crate::survey::sample::scale_consultations(&mut answers, back as u32, trend);
            // Submitted two weeks after the half-year, or today if sooner.
            let submitted = stamp(date_add(period.end(), 14).min(self.today));
            self.id += 1;
            rows.push(vec![
                self.id.into(),
                ward_id.into(),
                period.code().into(),
                "提出済".into(),
                crate::survey::store::encode(&answers).into(),
                submitted.as_str().into(),
                submitted.as_str().into(),
                submitted.into(),
            ]);
        }
        Ok(rows)
    }
}

/// Writes rows as multi-row INSERTs inside one transaction. A child table's
/// batch is only written after its parents' pending rows, so foreign keys
/// hold at every statement.
pub struct Loader<'c> {
    tx: sqlx::Transaction<'c, Any>,
    pending: [Vec<Vec<Value>>; TABLES.len()],
    full_sql: [String; TABLES.len()],
    batch_rows: [usize; TABLES.len()],
}

fn insert_sql(table: usize, rows: usize) -> String {
    let (name, columns) = TABLES[table];
    format!(
        "INSERT INTO {name} ({}) VALUES {}",
        columns.join(", "),
        crate::db::values_list(rows, columns.len())
    )
}

impl<'c> Loader<'c> {
    pub fn new(tx: sqlx::Transaction<'c, Any>, dialect: Dialect) -> Self {
        let batch_rows: [usize; TABLES.len()] = std::array::from_fn(|t| {
            (dialect.binds_per_statement() / TABLES[t].1.len()).clamp(1, 1000)
        });
        Loader {
            tx,
            pending: Default::default(),
            full_sql: std::array::from_fn(|t| insert_sql(t, batch_rows[t])),
            batch_rows,
        }
    }

    async fn write(&mut self, table: usize) -> AppResult<()> {
        let rows = std::mem::take(&mut self.pending[table]);
        if rows.is_empty() {
            return Ok(());
        }
        let sql = if rows.len() == self.batch_rows[table] {
            self.full_sql[table].clone()
        } else {
            insert_sql(table, rows.len())
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in rows {
            for v in row {
                query = match v {
                    Value::Int(i) => query.bind(i),
                    Value::Text(s) => query.bind(s),
                    Value::NullInt => query.bind(None::<i64>),
                    Value::NullText => query.bind(None::<String>),
                };
            }
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Writes every pending row, parents first.
    pub async fn flush(&mut self) -> AppResult<()> {
        for t in 0..TABLES.len() {
            self.write(t).await?;
        }
        Ok(())
    }

    pub async fn commit(mut self) -> AppResult<()> {
        self.flush().await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl Sink for Loader<'_> {
    async fn push(&mut self, table: usize, row: Vec<Value>) -> AppResult<()> {
        self.pending[table].push(row);
        if self.pending[table].len() >= self.batch_rows[table] {
            for parent in 0..table {
                self.write(parent).await?;
            }
            self.write(table).await?;
        }
        Ok(())
    }
}

/// Generates `scale` into an empty, migrated database in one transaction,
/// then brings PostgreSQL's id sequences past the explicit ids and refreshes
/// the planner's statistics on both dialects.
pub async fn load(
    db: &Db,
    scale: &Scale,
    seed: u64,
    today: NaiveDate,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(&str),
) -> AppResult<Totals> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM municipalities")
        .fetch_one(&db.pool)
        .await?;
    if existing > 0 {
        return Err(AppError::Conflict(
            "データベースが空ではありません。生成データは新しいデータベースにだけ入れられます"
                .into(),
        ));
    }
    // One connection of its own, closed afterwards, so bulk-load settings
    // never reach a connection that serves requests.
    let mut conn = db.pool.acquire().await?.detach();
    if db.dialect == Dialect::Sqlite {
        // The database is new and the load is all-or-nothing: losing it to a
        // power cut costs a re-run, so skip fsyncs; a big page cache keeps
        // the indexes' pages in memory during the load.
        conn.execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -524288;")
            .await?;
    }
    let totals = {
        let tx = match db.dialect {
            Dialect::Sqlite => sqlx::Connection::begin_with(&mut conn, "BEGIN IMMEDIATE").await?,
            Dialect::Postgres => {
                let mut tx = conn.begin().await?;
                sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(125779969795433)")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        let mut loader = Loader::new(tx, db.dialect);
        let totals = generate(&mut loader, scale, seed, today, now, progress).await?;
        progress("committing");
        loader.commit().await?;
        totals
    };
    // The rows were loaded without `last_stage_on`; date them as migration
    // 0008 does for existing data (`stages_at` relies on it).
    progress("dating the last stage change of each countermeasure");
    sqlx::query(
        "UPDATE countermeasures SET last_stage_on = (SELECT MAX(e.occurred_on) \
         FROM countermeasure_events e \
         WHERE e.countermeasure_id = countermeasures.id AND e.to_stage IS NOT NULL) \
         WHERE last_stage_on IS NULL",
    )
    .execute(&mut conn)
    .await?;
    // And without `plan_changed`: mark the rows that set a stage, a due date
    // or an owner, as migration 0013 does (the reminder schedule's plan).
    sqlx::query(
        "UPDATE countermeasure_events SET plan_changed = 1 \
         WHERE plan_changed = 0 AND (to_stage IS NOT NULL OR due_to IS NOT NULL \
             OR changes LIKE '%\"owner_member_id\"%')",
    )
    .execute(&mut conn)
    .await?;
    // And without evaluation rounds: rebuild them as migration 0017 does
    // (PDCAの進み具合 reads them).
    progress("rebuilding the evaluation rounds");
    crate::countermeasures::store::rebuild_evaluation_rounds(db).await?;
    // Rows loaded here write no audit rows, so no data version moved:
    // overview parts stored before the load would count on.
    for table in ["ward_overviews", "city_overviews"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&db.pool)
            .await?;
    }
    if db.dialect == Dialect::Postgres {
        for table in [
            "municipalities",
            "wards",
            "members",
            "meetings",
            "countermeasures",
            "countermeasure_events",
            "audit_log",
            "surveys",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )))
            .execute(&mut conn)
            .await?;
        }
    }
    progress("analyzing");
    conn.execute("ANALYZE").await?;
    sqlx::Connection::close(conn).await?;
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn tiny(seed: u64) -> (Memory, Totals) {
        let mut mem = Memory::default();
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        let now = "2026-11-24T03:00:00Z".parse().unwrap();
        let totals = generate(&mut mem, &Scale::tiny(), seed, today, now, &mut |_| {})
            .await
            .unwrap();
        (mem, totals)
    }

    fn int(v: &Value) -> i64 {
        match v {
            Value::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }

    fn text(v: &Value) -> Option<&str> {
        match v {
            Value::Text(s) => Some(s),
            Value::NullText => None,
            other => panic!("not text: {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
        let (a, _) = tiny(7).await;
        let (b, _) = tiny(7).await;
        let (c, _) = tiny(8).await;
        assert_eq!(a.rows, b.rows);
        assert_ne!(a.rows[MEMBERS], c.rows[MEMBERS]);
    }

    #[tokio::test]
    async fn totals_match_the_scale_and_every_stage_appears() {
        let (mem, totals) = tiny(1).await;
        let scale = Scale::tiny();
        assert_eq!(mem.rows[WARDS].len(), 4);
        assert_eq!(mem.rows[MEMBERS].len(), scale.members);
        assert_eq!(mem.rows[MEETINGS].len(), scale.meetings_per_year * 5);
        assert_eq!(mem.rows[COUNTERMEASURES].len(), scale.countermeasures);
        for (t, rows) in mem.rows.iter().enumerate() {
            assert_eq!(rows.len(), totals.rows[t], "table {}", TABLES[t].0);
        }
        assert!(totals.by_stage.iter().all(|n| *n > 0), "{totals:?}");
        assert!(totals.overdue > 0 && totals.archived > 0, "{totals:?}");
    }

    /// Each countermeasure's history replays to its row: it starts at
    /// 未具体化, each step is one rung up or down from the stage before,
    /// dates never go backwards or past today, and 具体化 has an owner and
    /// a due date.
    #[tokio::test]
    async fn every_history_climbs_the_ladder_to_the_stored_stage() {
        let (mem, _) = tiny(3).await;
        let today = "2026-11-24";
        let mut events: std::collections::BTreeMap<i64, Vec<&Vec<Value>>> = Default::default();
        for e in &mem.rows[EVENTS] {
            events.entry(int(&e[1])).or_default().push(e);
        }
        for cm in &mem.rows[COUNTERMEASURES] {
            let id = int(&cm[0]);
            let history = &events[&id];
            assert_eq!(text(&history[0][2]), Some("登録"));
            let mut stage = Stage::Identified;
            let mut last = "";
            let mut archived = false;
            for e in history {
                let on = text(&e[5]).unwrap();
                assert!(on >= last && on <= today, "dates of {id}: {last} then {on}");
                last = on;
                if let Some(to) = text(&e[4]) {
                    let to = Stage::parse(to).unwrap();
                    if let Some(from) = text(&e[3]) {
                        let from = Stage::parse(from).unwrap();
                        assert_eq!(from, stage);
                        assert!(from.next() == Some(to) || from.previous() == Some(to));
                    }
                    stage = to;
                } else {
                    archived = true;
                }
            }
            assert_eq!(text(&cm[9]), Some(stage.as_str()), "countermeasure {id}");
            assert_eq!(int(&cm[12]) == 1, archived);
            if stage == Stage::Planned {
                assert!(matches!(cm[6], Value::Int(_)) && text(&cm[7]).is_some());
            }
            if stage == Stage::Evaluated {
                assert!(text(&cm[10]).is_some() && text(&cm[11]).is_some());
            }
        }
    }

    /// Each generated date change carries the date it set and the one it
    /// replaced, as the app records them; some move a date later (the
    /// dashboard's 延期された評価).
    #[tokio::test]
    async fn history_rows_carry_the_due_dates_their_changes_set() {
        let (mem, _) = tiny(3).await;
        let mut later = 0;
        for e in &mem.rows[EVENTS] {
            let changes: serde_json::Value = serde_json::from_str(text(&e[10]).unwrap()).unwrap();
            let due = &changes["evaluation_due_on"];
            assert_eq!(text(&e[12]), due["before"].as_str(), "{changes}");
            assert_eq!(text(&e[13]), due["after"].as_str(), "{changes}");
            if let (Some(from), Some(to)) = (text(&e[12]), text(&e[13])) {
                later += usize::from(to > from);
            }
        }
        assert!(later > 0);
    }

    /// References stay inside the area: owners and attendees are members
    /// of the ward, the deciding meeting is the ward's and covered the topic.
    #[tokio::test]
    async fn every_area_submits_a_survey_for_each_completed_half_year() {
        let (mem, totals) = tiny(42).await;
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        let first = date_sub(today, 365 * 5 - 1);
        let mut expected = Vec::new();
        let mut p = Period::containing(today).previous();
        while p.end() >= first {
            expected.push(p.code());
            p = p.previous();
        }
        let mut per_ward: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
        for row in &mem.rows[SURVEYS] {
            assert_eq!(text(&row[3]), Some("提出済"));
            per_ward
                .entry(int(&row[1]))
                .or_default()
                .push(text(&row[2]).unwrap_or_default().to_string());
        }
        assert_eq!(per_ward.len(), totals.rows[WARDS]);
        for periods in per_ward.values() {
            assert_eq!(periods, &expected);
        }
        assert_eq!(totals.rows[SURVEYS], mem.rows[SURVEYS].len());
    }

    #[tokio::test]
    async fn references_stay_within_the_ward() {
        let (mem, _) = tiny(5).await;
        let ward_of_member: std::collections::HashMap<i64, i64> = mem.rows[MEMBERS]
            .iter()
            .map(|m| (int(&m[0]), int(&m[1])))
            .collect();
        let ward_of_meeting: std::collections::HashMap<i64, i64> = mem.rows[MEETINGS]
            .iter()
            .map(|m| (int(&m[0]), int(&m[1])))
            .collect();
        let topics: HashSet<(i64, i64)> = mem.rows[TOPICS]
            .iter()
            .map(|t| (int(&t[0]), int(&t[1])))
            .collect();
        for a in &mem.rows[ATTENDEES] {
            assert_eq!(ward_of_member[&int(&a[1])], ward_of_meeting[&int(&a[0])]);
        }
        for cm in &mem.rows[COUNTERMEASURES] {
            let ward = int(&cm[1]);
            let meeting = int(&cm[8]);
            assert_eq!(ward_of_meeting[&meeting], ward);
            assert!(topics.contains(&(meeting, int(&cm[2]))));
            if let Value::Int(owner) = cm[6] {
                assert_eq!(ward_of_member[&owner], ward);
            }
        }
    }

    #[test]
    fn allocation_sums_to_the_total_and_respects_the_minimum() {
        let shares = allocate(1000, &[1.0, 10.0, 100.0, 0.01], 5);
        assert_eq!(shares.iter().sum::<usize>(), 1000);
        assert!(shares.iter().all(|s| *s >= 5));
        assert!(shares[2] > shares[1] && shares[1] > shares[0]);
    }

    #[test]
    fn the_national_scale_has_about_1900_areas_with_unique_names() {
        let scale = Scale::national(&mut Rng::new(1));
        let areas: usize = scale
            .municipalities
            .iter()
            .map(|(_, w, _)| w.len().max(1))
            .sum();
        assert_eq!(scale.municipalities.len(), 1741);
        assert!((1850..=1950).contains(&areas), "{areas}");
        let names: HashSet<&String> = scale.municipalities.iter().map(|m| &m.0).collect();
        assert_eq!(names.len(), scale.municipalities.len());
    }
}
