//! Countermeasures (対応策) and the PDCA ladder they climb:
//! 未具体化 → 具体化 → 評価改善, one step at a time, with a step back (a
//! re-plan) allowed with a reason. The rules here are pure: the store asks
//! them what a request means, then writes the result with its history row.
//!
//! The national guide's cycle (issue 18): a countermeasure serves several
//! scenes (names of its municipality's, `crate::scenes`) and answers to
//! indicators of its municipality; the step to 評価改善 records a
//! [`Verdict`] and its reason (required except in CSV imports), and its
//! history row keeps the linked indicators' latest values; 次のサイクルへ
//! ([`plan_next_cycle`], [`EventKind::NextCycle`]) takes a countermeasure
//! from 評価改善 back to 具体化 with a new due date and `cycle` one up.
//! Contract for counting: a history row of kind 「次のサイクルへ」 goes from
//! 評価改善 to 具体化, and `countermeasures.cycle > 1` means a round was
//! completed.

pub mod api;
pub mod cache;
pub mod pages;
pub mod store;

use chrono::NaiveDate;
use poem_openapi::types::MaybeUndefined;

use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::text::{MultiLine, SingleLine};
use crate::topics;

label_enum! {
    /// A countermeasure's stage, by the domain's own codes.
    Stage {
        Identified => "未具体化",
        Planned => "具体化",
        Evaluated => "評価改善",
    }
}

impl Stage {
    /// The wording of the half-year report (資料1).
    pub fn report_label(self) -> &'static str {
        match self {
            Stage::Identified => "対応策について具体化されていない",
            Stage::Planned => "対応策が具体化されている",
            Stage::Evaluated => "対応策が実施され、評価及び改善を行っている",
        }
    }

    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Identified => Some(Stage::Planned),
            Stage::Planned => Some(Stage::Evaluated),
            Stage::Evaluated => None,
        }
    }

    pub fn previous(self) -> Option<Stage> {
        match self {
            Stage::Identified => None,
            Stage::Planned => Some(Stage::Identified),
            Stage::Evaluated => Some(Stage::Planned),
        }
    }
}

/// The verdict of an evaluation (達成度 of the municipal evaluation
/// sheets), graded A/B/C there: shown as 「B 一部達成」. Its wire form (API,
/// database) is the label; the API, the forms and the CSV also take the
/// grade (`B`) or both as printed (`B 一部達成`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// 達成 (A).
    Achieved,
    /// 一部達成 (B).
    Partly,
    /// 未達成 (C).
    NotAchieved,
}

impl Verdict {
    /// The three, best first.
    pub const ALL: &'static [Verdict] = &[Verdict::Achieved, Verdict::Partly, Verdict::NotAchieved];

    /// The label: 達成, 一部達成, 未達成.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Achieved => "達成",
            Verdict::Partly => "一部達成",
            Verdict::NotAchieved => "未達成",
        }
    }

    /// The label back (as stored); None for anything else.
    pub fn parse(value: &str) -> Option<Verdict> {
        Verdict::ALL.iter().copied().find(|v| v.as_str() == value)
    }

    /// The sheets' grade: A 達成, B 一部達成, C 未達成.
    pub fn grade(self) -> &'static str {
        match self {
            Verdict::Achieved => "A",
            Verdict::Partly => "B",
            Verdict::NotAchieved => "C",
        }
    }

    /// How pages and files print it: 「B 一部達成」.
    pub fn display(self) -> String {
        format!("{} {}", self.grade(), self.as_str())
    }

    /// Reads what a person types: the label (一部達成), the grade (B, ｂ)
    /// or both as printed (B 一部達成); None for anything else.
    pub fn parse_loose(value: &str) -> Option<Verdict> {
        let v = value.trim();
        if let Some(verdict) = Verdict::parse(v) {
            return Some(verdict);
        }
        let grade = |g: &str| match g {
            "A" | "a" | "Ａ" | "ａ" => Some(Verdict::Achieved),
            "B" | "b" | "Ｂ" | "ｂ" => Some(Verdict::Partly),
            "C" | "c" | "Ｃ" | "ｃ" => Some(Verdict::NotAchieved),
            _ => None,
        };
        if let Some(verdict) = grade(v) {
            return Some(verdict);
        }
        let mut parts = v.split([' ', '\u{3000}']).filter(|p| !p.is_empty());
        let (Some(g), Some(label), None) = (parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        grade(g).filter(|verdict| Verdict::parse(label) == Some(*verdict))
    }
}

label_enum! {
    /// What an entry of a countermeasure's history records.
    EventKind {
        Created => "登録",
        Advanced => "段階を進めた",
        SteppedBack => "段階を戻した",
        Edited => "編集",
        Archived => "終了（アーカイブ）",
        Restored => "再開",
        NextCycle => "次のサイクルへ",
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Verdict::parse_loose(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown verdict {text:?}")))
    }
}

impl poem_openapi::types::Type for Verdict {
    const IS_REQUIRED: bool = true;

    type RawValueType = Self;

    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "Verdict".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        let mut items: Vec<serde_json::Value> = Verdict::ALL
            .iter()
            .map(|v| serde_json::Value::String(v.as_str().into()))
            .collect();
        items.extend(
            Verdict::ALL
                .iter()
                .map(|v| serde_json::Value::String(v.grade().into())),
        );
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                description: Some(
                    "達成度: 達成 / 一部達成 / 未達成 (A / B / C are accepted; answers carry the label)",
                ),
                enum_items: items,
                ..poem_openapi::registry::MetaSchema::new("string")
            },
        ))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ParseFromJSON for Verdict {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::String(s) => Verdict::parse_loose(&s).ok_or_else(|| {
                poem_openapi::types::ParseError::custom(format!(
                    "達成度「{s}」は選べません（達成・一部達成・未達成、またはA・B・C）"
                ))
            }),
            other => Err(poem_openapi::types::ParseError::expected_type(other)),
        }
    }
}

impl poem_openapi::types::ToJSON for Verdict {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.as_str().into()))
    }
}

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest 課題 and 計画, in characters.
pub const TEXT_MAX: usize = 20_000;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Countermeasure {
    pub id: i64,
    pub ward_id: i64,
    /// Agenda topic, 1–10.
    pub topic: i64,
    /// The scenes of home care it serves: names of its municipality's
    /// scenes (the national four and its own), in that list's order.
    pub scenes: Vec<String>,
    /// The 評価指標 it answers to: indicators of its municipality.
    pub indicator_ids: Vec<i64>,
    pub title: String,
    /// The 課題 this countermeasure answers.
    pub issue: String,
    pub plan: String,
    pub owner_member_id: Option<i64>,
    pub evaluation_due_on: Option<NaiveDate>,
    /// The meeting that decided it.
    pub meeting_id: Option<i64>,
    pub stage: Stage,
    /// The latest evaluation (set on reaching 評価改善).
    pub evaluation: Option<String>,
    pub improvement: Option<String>,
    /// The latest evaluation's verdict (none: 未記録, as for evaluations
    /// recorded before verdicts existed, or outside 評価改善).
    pub verdict: Option<Verdict>,
    /// Why that verdict.
    pub verdict_reason: Option<String>,
    /// The PDCA round it is in, from 1; 次のサイクルへ adds one.
    pub cycle: i64,
    pub archived: bool,
    /// 具体化, not archived, and the evaluation due date is before today (Asia/Tokyo).
    pub overdue: bool,
}

/// The SQL of "awaiting its evaluation" — 具体化, not archived, with a due
/// date — for columns prefixed `$p` (`""` or `"c."`): the one place the
/// rule is written in SQL, as [`is_overdue`] is in Rust. Overdue on a day
/// is this and `evaluation_due_on < that day`. A test reads the source
/// tree for a second copy.
#[macro_export]
macro_rules! awaiting_evaluation_sql {
    ($p:literal) => {
        concat!(
            "(",
            $p,
            "stage = '具体化' AND ",
            $p,
            "archived = 0 AND ",
            $p,
            "evaluation_due_on IS NOT NULL)"
        )
    };
}

/// [`awaiting_evaluation_sql!`] over unprefixed columns.
pub const AWAITING_EVALUATION_SQL: &str = awaiting_evaluation_sql!("");
/// [`awaiting_evaluation_sql!`] over the columns of `countermeasures c`.
pub const AWAITING_EVALUATION_SQL_C: &str = awaiting_evaluation_sql!("c.");
/// Overdue on the day bound to `?` (`Filter` placeholders).
pub const OVERDUE_SQL: &str = concat!(
    "(",
    awaiting_evaluation_sql!(""),
    " AND evaluation_due_on < ?)"
);
/// Not overdue on the day bound to `?`.
pub const NOT_OVERDUE_SQL: &str = concat!(
    "NOT (",
    awaiting_evaluation_sql!(""),
    " AND evaluation_due_on < ?)"
);

/// The rule of a ward's topic stage, in SQL: the most advanced stage among
/// its countermeasures for the topic (none: 未具体化), where one that has
/// completed a round (`cycle > 1`: it went 次のサイクルへ from 評価改善 back
/// to 具体化) and is not archived counts as 評価改善; archived ones count
/// with their stage, as before. Written once here, as [`topic_stage`] is in
/// Rust; the queries (`trends::store`) take the MAX of
/// [`STAGE_RANK_SQL_C`] (0 未具体化, 1 具体化, 2 評価改善: read from the
/// (ward, topic, stage, last_stage_on) index alone) and add a 評価改善 row
/// per countermeasure matching [`ROUND_COMPLETED_SQL_C`] (now) or
/// [`ROUND_COMPLETED_BY_SQL_C`] (as of a day), so the completed-round test
/// reads the table only where it is needed, not inside the MAX.
pub const STAGE_RANK_SQL_C: &str =
    "CASE c.stage WHEN '評価改善' THEN 2 WHEN '具体化' THEN 1 ELSE 0 END";

/// Over `countermeasures c`: has completed a round and is not archived —
/// counts as 評価改善 for its ward's topic now ([`STAGE_RANK_SQL_C`]).
pub const ROUND_COMPLETED_SQL_C: &str = "(c.cycle > 1 AND c.archived = 0)";

/// [`ROUND_COMPLETED_SQL_C`] as of the day bound to `$1`: its first
/// 次のサイクルへ row is dated on or before the day — from then on it counts
/// as 評価改善 in the history (the trends, 資料1 of a past half-year). The
/// history lookup runs only for countermeasures with `cycle > 1`.
pub const ROUND_COMPLETED_BY_SQL_C: &str = "(c.cycle > 1 AND c.archived = 0 AND EXISTS (\
     SELECT 1 FROM countermeasure_events n WHERE n.countermeasure_id = c.id \
     AND n.kind = '次のサイクルへ' AND n.occurred_on <= $1))";

/// A countermeasure's stage as it counts for its ward's topic stage
/// ([`ROUND_COMPLETED_SQL_C`] in Rust): 評価改善 once it has completed a
/// round (`cycle > 1`) unless archived, else its stage.
pub fn topic_stage(stage: Stage, cycle: i64, archived: bool) -> Stage {
    if cycle > 1 && !archived {
        Stage::Evaluated
    } else {
        stage
    }
}

/// Awaiting evaluation and due on or before the day bound to `?`.
pub const DUE_BY_SQL: &str = concat!(
    "(",
    awaiting_evaluation_sql!(""),
    " AND evaluation_due_on <= ?)"
);

/// Whether a countermeasure's evaluation is overdue on `today`.
pub fn is_overdue(stage: Stage, archived: bool, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    stage == Stage::Planned && !archived && due.is_some_and(|d| d < today)
}

#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewCountermeasure {
    pub topic: i64,
    /// Scene names of the ward's municipality (none when absent).
    #[oai(default)]
    pub scenes: Vec<String>,
    /// Indicators of the ward's municipality (none when absent).
    #[oai(default)]
    pub indicator_ids: Vec<i64>,
    pub title: SingleLine,
    #[oai(default)]
    pub issue: MultiLine,
    #[oai(default)]
    pub plan: MultiLine,
    pub owner_member_id: Option<i64>,
    pub evaluation_due_on: Option<NaiveDate>,
    pub meeting_id: Option<i64>,
    /// Who records it (shown in the history).
    pub actor: Option<SingleLine>,
}

/// A partial update: absent fields stay; `null` clears an optional field.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct CountermeasurePatch {
    pub topic: Option<i64>,
    /// Replaces the scenes (`[]`: none); absent keeps them.
    pub scenes: Option<Vec<String>>,
    /// Replaces the linked indicators (`[]`: none); absent keeps them.
    pub indicator_ids: Option<Vec<i64>>,
    pub title: Option<SingleLine>,
    pub issue: Option<MultiLine>,
    pub plan: Option<MultiLine>,
    pub owner_member_id: MaybeUndefined<i64>,
    pub evaluation_due_on: MaybeUndefined<NaiveDate>,
    pub meeting_id: MaybeUndefined<i64>,
    /// Close (true) or reopen (false) the countermeasure.
    pub archived: Option<bool>,
    /// Why (kept in the history).
    pub note: Option<MultiLine>,
    pub actor: Option<SingleLine>,
}

/// A request to move a countermeasure on the ladder.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct TransitionRequest {
    /// The stage to move to: the next one, or the previous one (a re-plan).
    pub to: Stage,
    /// When it happened; today (Asia/Tokyo) when absent.
    pub on: Option<NaiveDate>,
    /// A note; required when stepping back (the reason).
    pub note: Option<MultiLine>,
    /// Required for 評価改善.
    pub evaluation: Option<MultiLine>,
    /// Required for 評価改善.
    pub improvement: Option<MultiLine>,
    /// 達成度: required for 評価改善 once the municipality has 評価指標
    /// (before that, and in a CSV import, it may be left out: 未記録).
    pub verdict: Option<Verdict>,
    /// Its reason; required with the verdict.
    pub verdict_reason: Option<MultiLine>,
    /// May be given with 具体化 (or a re-plan) to set the owner.
    pub owner_member_id: Option<i64>,
    /// May be given with 具体化 (or a re-plan) to set the due date.
    pub evaluation_due_on: Option<NaiveDate>,
    /// Who made the change.
    pub actor: Option<SingleLine>,
}

/// A checked transition, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: EventKind,
    pub from: Stage,
    pub to: Stage,
    pub on: NaiveDate,
    pub note: String,
    pub owner_member_id: Option<i64>,
    pub evaluation_due_on: Option<NaiveDate>,
    pub evaluation: Option<String>,
    pub improvement: Option<String>,
    pub verdict: Option<Verdict>,
    pub verdict_reason: Option<String>,
}

/// A request to start the countermeasure's next PDCA round from 評価改善:
/// back to 具体化 with a new evaluation due date (and plan), the round
/// number one up; the finished round stays in the history.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NextCycleRequest {
    /// The new round's evaluation due date, after the step's date.
    pub evaluation_due_on: NaiveDate,
    /// The new round's plan; the current one is kept when absent.
    pub plan: Option<MultiLine>,
    pub note: Option<MultiLine>,
    /// When it happened; today (Asia/Tokyo) when absent.
    pub on: Option<NaiveDate>,
    /// A new owner; the current one is kept when absent.
    pub owner_member_id: Option<i64>,
    /// Who made the change.
    pub actor: Option<SingleLine>,
}

/// Whether a step to 評価改善 must carry a verdict and its reason: yes
/// from the UI, the API and a meeting; a CSV import may leave them out
/// (sheets kept before verdicts have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictRule {
    Required,
    Optional,
}

fn non_empty(v: &Option<MultiLine>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Decides what a transition request means for `current`, or why the ladder forbids it.
pub fn plan_transition(
    current: &Countermeasure,
    req: &TransitionRequest,
    today: NaiveDate,
) -> AppResult<Step> {
    plan_transition_with(current, req, today, VerdictRule::Required)
}

/// [`plan_transition`], with the verdict required or not (`rule`).
pub fn plan_transition_with(
    current: &Countermeasure,
    req: &TransitionRequest,
    today: NaiveDate,
    rule: VerdictRule,
) -> AppResult<Step> {
    if current.archived {
        return Err(AppError::Conflict(
            "終了（アーカイブ）した対応策の段階は変更できません。先に再開してください".into(),
        ));
    }
    let years: Vec<FieldError> = [
        ("on", "実施日", req.on),
        ("evaluation_due_on", "評価予定日", req.evaluation_due_on),
    ]
    .into_iter()
    .filter_map(|(field, label, date)| crate::calendar::check_year(field, label, date?).err())
    .collect();
    if !years.is_empty() {
        return Err(AppError::Invalid(years));
    }
    let on = req.on.unwrap_or(today);
    if on > today {
        return Err(AppError::invalid(
            "on",
            "実施日に未来の日付は指定できません",
        ));
    }
    let note = non_empty(&req.note).unwrap_or_default();
    let owner = req.owner_member_id.or(current.owner_member_id);
    let due = req.evaluation_due_on.or(current.evaluation_due_on);
    let from = current.stage;
    if req.to == from {
        return Err(AppError::Conflict(format!(
            "この対応策は既に「{from}」です"
        )));
    }
    let mut step = Step {
        kind: EventKind::Advanced,
        from,
        to: req.to,
        on,
        note,
        owner_member_id: owner,
        evaluation_due_on: due,
        evaluation: None,
        improvement: None,
        verdict: None,
        verdict_reason: None,
    };
    if from.next() == Some(req.to) {
        let mut missing = Vec::new();
        match req.to {
            Stage::Planned => {
                if owner.is_none() {
                    missing.push(FieldError::new(
                        "owner_member_id",
                        "具体化するには担当者を指定してください",
                    ));
                }
                if due.is_none() {
                    missing.push(FieldError::new(
                        "evaluation_due_on",
                        "具体化するには評価予定日を指定してください",
                    ));
                }
            }
            Stage::Evaluated => {
                step.evaluation = non_empty(&req.evaluation);
                step.improvement = non_empty(&req.improvement);
                if step.evaluation.is_none() {
                    missing.push(FieldError::new(
                        "evaluation",
                        "評価改善に進めるには評価の内容を入力してください",
                    ));
                }
                if step.improvement.is_none() {
                    missing.push(FieldError::new(
                        "improvement",
                        "評価改善に進めるには改善の内容を入力してください",
                    ));
                }
                step.verdict = req.verdict;
                step.verdict_reason = non_empty(&req.verdict_reason);
                // Optional means both may be left out, not one of the two.
                let given = step.verdict.is_some() || step.verdict_reason.is_some();
                if rule == VerdictRule::Required || given {
                    if step.verdict.is_none() {
                        missing.push(FieldError::new(
                            "verdict",
                            "評価改善に進めるには達成度（A 達成・B 一部達成・C 未達成）を選んでください",
                        ));
                    }
                    if step.verdict_reason.is_none() {
                        missing.push(FieldError::new(
                            "verdict_reason",
                            "評価改善に進めるには達成度の理由を入力してください",
                        ));
                    }
                }
            }
            Stage::Identified => {}
        }
        if !missing.is_empty() {
            return Err(AppError::Rule(missing));
        }
        Ok(step)
    } else if from.previous() == Some(req.to) {
        if step.note.is_empty() {
            return Err(AppError::Rule(vec![FieldError::new(
                "note",
                "段階を戻すには理由を入力してください",
            )]));
        }
        step.kind = EventKind::SteppedBack;
        Ok(step)
    } else {
        Err(AppError::Conflict(format!(
            "「{from}」から「{}」へは直接移れません。段階は一つずつ進めてください",
            req.to
        )))
    }
}

/// Decides what a 次のサイクルへ request means for `current`: only from
/// 評価改善 (409 otherwise, or when archived), dated today or earlier, with
/// a due date after that day (422). The step goes 評価改善 → 具体化 with
/// kind [`EventKind::NextCycle`].
pub fn plan_next_cycle(
    current: &Countermeasure,
    req: &NextCycleRequest,
    today: NaiveDate,
) -> AppResult<Step> {
    if current.archived {
        return Err(AppError::Conflict(
            "終了（アーカイブ）した対応策は次のサイクルへ進められません。先に再開してください"
                .into(),
        ));
    }
    if current.stage != Stage::Evaluated {
        return Err(AppError::Conflict(format!(
            "次のサイクルへ進めるのは「評価改善」の対応策だけです（この対応策は「{}」です）",
            current.stage
        )));
    }
    let mut errors: Vec<FieldError> = [
        ("on", "実施日", req.on),
        (
            "evaluation_due_on",
            "評価予定日",
            Some(req.evaluation_due_on),
        ),
    ]
    .into_iter()
    .filter_map(|(field, label, date)| crate::calendar::check_year(field, label, date?).err())
    .collect();
    let on = req.on.unwrap_or(today);
    if on > today {
        errors.push(FieldError::new("on", "実施日に未来の日付は指定できません"));
    }
    if errors.is_empty() && req.evaluation_due_on <= on {
        errors.push(FieldError::new(
            "evaluation_due_on",
            "次のサイクルの評価予定日は実施日より後の日付にしてください",
        ));
    }
    if let Some(plan) = req.plan.as_deref()
        && plan.trim().chars().count() > TEXT_MAX
    {
        errors.push(FieldError::new(
            "plan",
            format!("{TEXT_MAX}文字以内で入力してください"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Step {
        kind: EventKind::NextCycle,
        from: Stage::Evaluated,
        to: Stage::Planned,
        on,
        note: non_empty(&req.note).unwrap_or_default(),
        owner_member_id: req.owner_member_id.or(current.owner_member_id),
        evaluation_due_on: Some(req.evaluation_due_on),
        evaluation: None,
        improvement: None,
        verdict: None,
        verdict_reason: None,
    })
}

/// What a countermeasure's owner (a `member`, not managing the ward) may
/// record: the step to 評価改善 with its texts and a note. Changing the
/// owner or the evaluation due date, stepping back (re-plan) and starting
/// the next cycle are the secretariat's and the city's, so that no one can
/// postpone their own evaluation. Errors: 403 for anything else.
pub fn check_owner_step(current: &Countermeasure, req: &TransitionRequest) -> AppResult<()> {
    let keeps_owner = req
        .owner_member_id
        .is_none_or(|o| Some(o) == current.owner_member_id);
    let keeps_due = req
        .evaluation_due_on
        .is_none_or(|d| Some(d) == current.evaluation_due_on);
    if req.to == Stage::Evaluated && keeps_owner && keeps_due {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Checks a countermeasure's own fields (not the references, which need the database).
pub fn validate(cm: &Countermeasure) -> AppResult<()> {
    let mut errors = Vec::new();
    if topics::topic(cm.topic).is_none() {
        errors.push(FieldError::new(
            "topic",
            format!(
                "会議の内容は1〜10の番号で指定してください（{}は無効です）",
                cm.topic
            ),
        ));
    }
    if cm.title.trim().is_empty() {
        errors.push(FieldError::new("title", "対応策の名称を入力してください"));
    } else if cm.title.chars().count() > TITLE_MAX {
        errors.push(FieldError::new(
            "title",
            format!("対応策の名称は{TITLE_MAX}文字以内で入力してください"),
        ));
    }
    for (field, value) in [("issue", &cm.issue), ("plan", &cm.plan)] {
        if value.chars().count() > TEXT_MAX {
            errors.push(FieldError::new(
                field,
                format!("{TEXT_MAX}文字以内で入力してください"),
            ));
        }
    }
    if let Some(due) = cm.evaluation_due_on
        && let Err(e) = crate::calendar::check_year("evaluation_due_on", "評価予定日", due)
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    // A concrete plan keeps its owner and due date; removing them is a re-plan.
    if cm.stage != Stage::Identified {
        let mut missing = Vec::new();
        if cm.owner_member_id.is_none() {
            missing.push(FieldError::new(
                "owner_member_id",
                "具体化済みの対応策から担当者は外せません（段階を戻してください）",
            ));
        }
        if cm.evaluation_due_on.is_none() {
            missing.push(FieldError::new(
                "evaluation_due_on",
                "具体化済みの対応策から評価予定日は外せません（段階を戻してください）",
            ));
        }
        if !missing.is_empty() {
            return Err(AppError::Rule(missing));
        }
    }
    Ok(())
}

impl NewCountermeasure {
    pub fn to_countermeasure(&self, ward_id: i64) -> AppResult<Countermeasure> {
        let cm = Countermeasure {
            id: 0,
            ward_id,
            topic: self.topic,
            scenes: self.scenes.iter().map(|s| s.trim().to_string()).collect(),
            indicator_ids: dedup(&self.indicator_ids),
            title: self.title.trim().to_string(),
            issue: self.issue.trim().to_string(),
            plan: self.plan.trim().to_string(),
            owner_member_id: self.owner_member_id,
            evaluation_due_on: self.evaluation_due_on,
            meeting_id: self.meeting_id,
            stage: Stage::Identified,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            cycle: 1,
            archived: false,
            overdue: false,
        };
        validate(&cm)?;
        Ok(cm)
    }
}

/// Ids once each, in their first order.
fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for &id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn apply<T: Clone>(field: &mut Option<T>, patch: &MaybeUndefined<T>) {
    match patch {
        MaybeUndefined::Value(v) => *field = Some(v.clone()),
        MaybeUndefined::Null => *field = None,
        MaybeUndefined::Undefined => {}
    }
}

impl EventKind {
    /// The audit log's action for a history row of this kind.
    pub fn audit_action(self) -> &'static str {
        match self {
            EventKind::Created => "create",
            EventKind::Advanced | EventKind::SteppedBack => "transition",
            EventKind::Edited => "update",
            EventKind::Archived => "archive",
            EventKind::Restored => "restore",
            EventKind::NextCycle => "next_cycle",
        }
    }
}

/// Whether a history row starts the countermeasure's reminder schedule
/// afresh (migration 0013): it sets a stage or a due date, or changes the
/// owner (`changes` as recorded); the reminders follow what it implies.
pub fn changes_reminder_plan(
    sets_stage: bool,
    sets_due: bool,
    changes: &serde_json::Value,
) -> bool {
    sets_stage || sets_due || changes.get("owner_member_id").is_some()
}

/// Who acted, as the request names them: a blank name is no one.
pub fn named_actor(actor: &Option<SingleLine>) -> Option<&str> {
    actor.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CountermeasurePatch {
    /// Closing (`Some(true)`) or reopening (`Some(false)`) that the patch
    /// asks of `current`; none when it leaves it as it is.
    pub fn archive_change(&self, current: &Countermeasure) -> Option<bool> {
        self.archived.filter(|&a| a != current.archived)
    }
}

impl Countermeasure {
    /// This countermeasure after `step`: the stage, owner and due date the
    /// step sets. A step to 評価改善 writes its evaluation and improvement;
    /// any other step clears them, since the evaluation of an earlier round
    /// stays in the history, not on the row.
    pub fn stepped(&self, step: &Step) -> Countermeasure {
        let mut after = self.clone();
        after.stage = step.to;
        after.owner_member_id = step.owner_member_id;
        after.evaluation_due_on = step.evaluation_due_on;
        if step.to == Stage::Evaluated {
            after.evaluation = step.evaluation.clone();
            after.improvement = step.improvement.clone();
            after.verdict = step.verdict;
            after.verdict_reason = step.verdict_reason.clone();
        } else {
            after.evaluation = None;
            after.improvement = None;
            after.verdict = None;
            after.verdict_reason = None;
        }
        if step.kind == EventKind::NextCycle {
            after.cycle += 1;
        }
        after
    }

    /// This countermeasure in its next round ([`plan_next_cycle`]'s
    /// `step`): 具体化, the round one up, the new due date, owner and
    /// (when given) plan; the last round's evaluation and verdict cleared.
    pub fn next_cycle(&self, step: &Step, plan: Option<&str>) -> Countermeasure {
        let mut after = self.stepped(step);
        if let Some(plan) = plan.map(str::trim) {
            after.plan = plan.to_string();
        }
        after
    }

    /// This countermeasure with the editable fields of a patch applied (not
    /// `archived`, which is a history event of its own), checked.
    pub fn patched(&self, patch: &CountermeasurePatch) -> AppResult<Countermeasure> {
        let mut next = self.clone();
        if let Some(v) = patch.topic {
            next.topic = v;
        }
        if let Some(v) = &patch.scenes {
            next.scenes = v.iter().map(|s| s.trim().to_string()).collect();
        }
        if let Some(v) = &patch.indicator_ids {
            next.indicator_ids = dedup(v);
        }
        if let Some(v) = &patch.title {
            next.title = v.trim().to_string();
        }
        if let Some(v) = &patch.issue {
            next.issue = v.trim().to_string();
        }
        if let Some(v) = &patch.plan {
            next.plan = v.trim().to_string();
        }
        apply(&mut next.owner_member_id, &patch.owner_member_id);
        apply(&mut next.evaluation_due_on, &patch.evaluation_due_on);
        apply(&mut next.meeting_id, &patch.meeting_id);
        validate(&next)?;
        Ok(next)
    }
}

/// Filters for a ward's countermeasures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CountermeasureQuery {
    pub stage: Option<Stage>,
    pub topic: Option<i64>,
    pub overdue: Option<bool>,
    /// None: open ones only; Some(true): archived only; Some(false): open only.
    pub archived: Option<bool>,
    /// Include both open and archived ones (overrides `archived`).
    pub include_archived: bool,
}

/// A countermeasure as a list page prints it: the row and its owner's name,
/// read with the page's rows (not from the ward's whole roster).
#[derive(Debug, Clone)]
pub struct Listed {
    pub cm: Countermeasure,
    /// None when it has no owner.
    pub owner_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cm(stage: Stage) -> Countermeasure {
        Countermeasure {
            id: 1,
            ward_id: 1,
            topic: 3,
            scenes: Vec::new(),
            indicator_ids: Vec::new(),
            title: "入退院時の情報共有シートの作成".into(),
            issue: String::new(),
            plan: String::new(),
            owner_member_id: None,
            evaluation_due_on: None,
            meeting_id: None,
            stage,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            cycle: 1,
            archived: false,
            overdue: false,
        }
    }

    fn req(to: Stage) -> TransitionRequest {
        TransitionRequest {
            to,
            on: None,
            note: None,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            owner_member_id: None,
            evaluation_due_on: None,
            actor: None,
        }
    }

    const TODAY: &str = "2026-11-24";

    #[test]
    fn a_step_clears_an_earlier_rounds_evaluation_unless_it_records_one() {
        let mut evaluated = cm(Stage::Evaluated);
        evaluated.owner_member_id = Some(7);
        evaluated.evaluation_due_on = Some(d("2026-10-31"));
        evaluated.evaluation = Some("前回の評価".into());
        evaluated.improvement = Some("前回の改善".into());
        // The next round (a re-plan) starts without the last evaluation.
        let mut r = req(Stage::Planned);
        r.note = Some(MultiLine::lossy("次の周期"));
        r.evaluation_due_on = Some(d("2027-03-31"));
        let step = plan_transition(&evaluated, &r, d(TODAY)).unwrap();
        let after = evaluated.stepped(&step);
        assert_eq!(
            (after.stage, after.owner_member_id, after.evaluation_due_on),
            (Stage::Planned, Some(7), Some(d("2027-03-31")))
        );
        assert!(after.evaluation.is_none() && after.improvement.is_none());
        // A step to 評価改善 writes the texts it carries.
        let mut r = req(Stage::Evaluated);
        r.evaluation = Some(MultiLine::lossy("評価"));
        r.improvement = Some(MultiLine::lossy("改善"));
        r.verdict = Some(Verdict::Partly);
        r.verdict_reason = Some(MultiLine::lossy("参加が半数"));
        let planned = after;
        let step = plan_transition(&planned, &r, d(TODAY)).unwrap();
        let after = planned.stepped(&step);
        assert_eq!(after.evaluation.as_deref(), Some("評価"));
        assert_eq!(after.improvement.as_deref(), Some("改善"));
        assert_eq!(after.verdict, Some(Verdict::Partly));
        assert_eq!(after.verdict_reason.as_deref(), Some("参加が半数"));
    }

    #[test]
    fn a_verdict_reads_as_label_grade_or_both_and_prints_both() {
        for text in ["一部達成", "B", " ｂ ", "B 一部達成", "Ｂ\u{3000}一部達成"] {
            assert_eq!(Verdict::parse_loose(text), Some(Verdict::Partly), "{text}");
        }
        assert_eq!(Verdict::parse_loose("A 未達成"), None);
        assert_eq!(Verdict::parse_loose("D"), None);
        assert_eq!(Verdict::NotAchieved.display(), "C 未達成");
    }

    #[test]
    fn the_next_cycle_starts_from_an_evaluation_with_a_later_due_date() {
        let mut evaluated = cm(Stage::Evaluated);
        evaluated.owner_member_id = Some(7);
        evaluated.evaluation_due_on = Some(d("2026-10-31"));
        evaluated.evaluation = Some("評価".into());
        evaluated.verdict = Some(Verdict::NotAchieved);
        evaluated.verdict_reason = Some("理由".into());
        let next = |due: &str| NextCycleRequest {
            evaluation_due_on: d(due),
            plan: Some(MultiLine::lossy(" 新しい計画 ")),
            note: None,
            on: None,
            owner_member_id: None,
            actor: None,
        };
        let step = plan_next_cycle(&evaluated, &next("2027-03-31"), d(TODAY)).unwrap();
        assert_eq!(
            (step.kind, step.from, step.to),
            (EventKind::NextCycle, Stage::Evaluated, Stage::Planned)
        );
        let after = evaluated.next_cycle(&step, Some(" 新しい計画 "));
        assert_eq!((after.stage, after.cycle), (Stage::Planned, 2));
        assert_eq!(after.plan, "新しい計画");
        assert_eq!(after.evaluation_due_on, Some(d("2027-03-31")));
        assert!(after.evaluation.is_none() && after.verdict.is_none());
        assert!(after.verdict_reason.is_none());
        let err = plan_next_cycle(&evaluated, &next(TODAY), d(TODAY)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "evaluation_due_on");
        let err = plan_next_cycle(&cm(Stage::Planned), &next("2027-03-31"), d(TODAY)).unwrap_err();
        assert_eq!(err.status(), 409);
    }

    #[test]
    fn a_stage_a_due_date_or_an_owner_restarts_the_reminders() {
        let none = serde_json::json!({});
        let owner = serde_json::json!({ "owner_member_id": { "before": 1, "after": 2 } });
        let title = serde_json::json!({ "title": { "before": "a", "after": "b" } });
        assert!(changes_reminder_plan(true, false, &none));
        assert!(changes_reminder_plan(false, true, &none));
        assert!(changes_reminder_plan(false, false, &owner));
        assert!(!changes_reminder_plan(false, false, &title));
    }

    #[test]
    fn a_blank_actor_is_no_one() {
        assert_eq!(named_actor(&Some(SingleLine::lossy("  "))), None);
        assert_eq!(
            named_actor(&Some(SingleLine::lossy(" 山田 "))),
            Some("山田")
        );
        assert_eq!(named_actor(&None), None);
    }

    #[test]
    fn a_patch_archives_or_reopens_only_what_it_changes() {
        let open = cm(Stage::Identified);
        let patch = |archived| CountermeasurePatch {
            archived,
            ..Default::default()
        };
        assert_eq!(patch(Some(true)).archive_change(&open), Some(true));
        assert_eq!(patch(Some(false)).archive_change(&open), None);
        assert_eq!(patch(None).archive_change(&open), None);
        assert_eq!(EventKind::SteppedBack.audit_action(), "transition");
    }

    #[test]
    fn planning_needs_an_owner_and_a_due_date() {
        let err =
            plan_transition(&cm(Stage::Identified), &req(Stage::Planned), d(TODAY)).unwrap_err();
        assert_eq!(err.status(), 409);
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["owner_member_id", "evaluation_due_on"]);

        let mut r = req(Stage::Planned);
        r.owner_member_id = Some(7);
        r.evaluation_due_on = Some(d("2027-03-31"));
        let step = plan_transition(&cm(Stage::Identified), &r, d(TODAY)).unwrap();
        assert_eq!(
            (step.kind, step.from, step.to),
            (EventKind::Advanced, Stage::Identified, Stage::Planned)
        );
        assert_eq!(step.on, d(TODAY));
        assert_eq!(step.owner_member_id, Some(7));
    }

    #[test]
    fn owner_and_due_date_already_on_record_suffice() {
        let mut c = cm(Stage::Identified);
        c.owner_member_id = Some(2);
        c.evaluation_due_on = Some(d("2027-01-31"));
        assert!(plan_transition(&c, &req(Stage::Planned), d(TODAY)).is_ok());
    }

    #[test]
    fn evaluating_needs_evaluation_and_improvement_texts() {
        let mut c = cm(Stage::Planned);
        c.owner_member_id = Some(2);
        c.evaluation_due_on = Some(d("2027-01-31"));
        let mut r = req(Stage::Evaluated);
        r.evaluation = Some("  ".parse().unwrap());
        let err = plan_transition(&c, &r, d(TODAY)).unwrap_err();
        assert_eq!(err.field_errors().len(), 4);
        r.evaluation = Some("参加者アンケートで満足度85%".parse().unwrap());
        r.improvement = Some("次年度は病院側の参加を増やす".parse().unwrap());
        let err = plan_transition(&c, &r, d(TODAY)).unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["verdict", "verdict_reason"]);
        // A CSV import may leave the verdict out.
        assert!(plan_transition_with(&c, &r, d(TODAY), VerdictRule::Optional).is_ok());
        r.verdict = Some(Verdict::Achieved);
        r.verdict_reason = Some("目標の85%を上回った".parse().unwrap());
        let step = plan_transition(&c, &r, d(TODAY)).unwrap();
        assert_eq!(
            step.evaluation.as_deref(),
            Some("参加者アンケートで満足度85%")
        );
    }

    #[test]
    fn the_ladder_cannot_be_skipped_or_repeated() {
        let err =
            plan_transition(&cm(Stage::Identified), &req(Stage::Evaluated), d(TODAY)).unwrap_err();
        assert_eq!(err.status(), 409);
        let err = plan_transition(&cm(Stage::Planned), &req(Stage::Planned), d(TODAY)).unwrap_err();
        assert_eq!(err.status(), 409);
        let err =
            plan_transition(&cm(Stage::Evaluated), &req(Stage::Identified), d(TODAY)).unwrap_err();
        assert_eq!(err.status(), 409);
    }

    #[test]
    fn stepping_back_needs_a_reason() {
        let err =
            plan_transition(&cm(Stage::Evaluated), &req(Stage::Planned), d(TODAY)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "note");
        let mut r = req(Stage::Planned);
        r.note = Some("評価指標を見直すため再計画".parse().unwrap());
        let mut c = cm(Stage::Evaluated);
        c.owner_member_id = Some(1);
        c.evaluation_due_on = Some(d("2026-12-01"));
        let step = plan_transition(&c, &r, d(TODAY)).unwrap();
        assert_eq!(step.kind, EventKind::SteppedBack);
    }

    #[test]
    fn archived_ones_do_not_move_and_future_dates_are_refused() {
        let mut c = cm(Stage::Identified);
        c.archived = true;
        assert_eq!(
            plan_transition(&c, &req(Stage::Planned), d(TODAY))
                .unwrap_err()
                .status(),
            409
        );
        let mut r = req(Stage::Planned);
        r.on = Some(d("2026-11-25"));
        assert_eq!(
            plan_transition(&cm(Stage::Identified), &r, d(TODAY))
                .unwrap_err()
                .status(),
            422
        );
    }

    /// The SQL rule of "awaiting evaluation" is written once
    /// ([`awaiting_evaluation_sql!`]): no other source file spells
    /// `stage = '具体化'` (a second copy would drift from it).
    #[test]
    fn the_awaiting_evaluation_rule_is_written_once_in_sql() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "examples"] {
            walk(&root.join(dir), &mut files);
        }
        let needle = ["stage = ", "'具体化'"].concat();
        let home = root.join("src/countermeasures/mod.rs");
        let mut copies = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            // Code only: comments may name the rule, and this test does.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let n = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .filter(|l| l.contains(&needle))
                .count();
            let allowed = usize::from(*file == home);
            if n > allowed {
                copies.push(format!("{} ({n})", file.display()));
            }
        }
        assert!(copies.is_empty(), "a second copy of the rule: {copies:?}");
        assert!(files.contains(&home));
    }

    #[test]
    fn overdue_means_planned_open_and_due_before_today() {
        let today = d(TODAY);
        assert!(is_overdue(
            Stage::Planned,
            false,
            Some(d("2026-11-23")),
            today
        ));
        assert!(!is_overdue(Stage::Planned, false, Some(today), today));
        assert!(!is_overdue(
            Stage::Planned,
            true,
            Some(d("2026-11-23")),
            today
        ));
        assert!(!is_overdue(
            Stage::Evaluated,
            false,
            Some(d("2026-11-23")),
            today
        ));
        assert!(!is_overdue(Stage::Planned, false, None, today));
    }

    #[test]
    fn a_planned_countermeasure_keeps_its_owner() {
        let mut c = cm(Stage::Planned);
        c.owner_member_id = Some(1);
        c.evaluation_due_on = Some(d("2026-12-01"));
        let patch = CountermeasurePatch {
            owner_member_id: MaybeUndefined::Null,
            ..Default::default()
        };
        assert_eq!(c.patched(&patch).unwrap_err().status(), 409);
        let patch = CountermeasurePatch {
            topic: Some(11),
            ..Default::default()
        };
        assert_eq!(c.patched(&patch).unwrap_err().status(), 422);
    }
}
