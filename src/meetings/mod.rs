//! Meetings of a ward's conference: when, what kind, who attended and which
//! of the ten agenda topics they covered.

pub mod api;
pub mod ical;
pub mod pages;
pub mod store;

use chrono::NaiveDate;
use poem_openapi::types::MaybeUndefined;

use crate::countermeasures::{EventKind, Stage, Step, TransitionRequest, Verdict};
use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::text::{MultiLine, SingleLine};
use crate::topics;

label_enum! {
    /// The kind of meeting.
    MeetingKind {
        Council => "推進会議",
        Practitioners => "実務者会議",
        Training => "研修会",
        Other => "その他",
    }
}

/// The longest title, in characters (trimmed).
pub const TITLE_MAX: usize = 200;
/// The longest minutes (議事録), in characters.
pub const MINUTES_MAX: usize = 20_000;

#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct Meeting {
    pub id: i64,
    pub ward_id: i64,
    pub held_on: NaiveDate,
    pub title: String,
    pub kind: MeetingKind,
    /// Agenda topics covered, each 1–10, ascending.
    pub topics: Vec<i64>,
    /// Members who attended, all of the meeting's ward.
    pub attendee_ids: Vec<i64>,
    pub minutes: String,
}

#[derive(Debug, Clone, poem_openapi::Object)]
pub struct NewMeeting {
    pub held_on: NaiveDate,
    pub title: SingleLine,
    pub kind: MeetingKind,
    #[oai(default)]
    pub topics: Vec<i64>,
    #[oai(default)]
    pub attendee_ids: Vec<i64>,
    #[oai(default)]
    pub minutes: MultiLine,
}

/// A partial update: absent fields stay as they are; lists replace the old list.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct MeetingPatch {
    pub held_on: Option<NaiveDate>,
    pub title: Option<SingleLine>,
    pub kind: Option<MeetingKind>,
    pub topics: Option<Vec<i64>>,
    pub attendee_ids: Option<Vec<i64>>,
    pub minutes: MaybeUndefined<MultiLine>,
}

impl Meeting {
    /// Checks the fields and puts the lists in canonical form (sorted, unique).
    pub fn normalized(mut self) -> AppResult<Meeting> {
        let mut errors = Vec::new();
        self.title = self.title.trim().to_string();
        if self.title.is_empty() {
            errors.push(FieldError::new("title", "会議名を入力してください"));
        } else if self.title.chars().count() > TITLE_MAX {
            errors.push(FieldError::new(
                "title",
                format!("会議名は{TITLE_MAX}文字以内で入力してください"),
            ));
        }
        if let Some(bad) = self.topics.iter().find(|t| topics::topic(**t).is_none()) {
            errors.push(FieldError::new(
                "topics",
                format!("会議の内容は1〜10の番号で指定してください（{bad}は無効です）"),
            ));
        }
        if let Err(e) = crate::calendar::check_year("held_on", "開催日", self.held_on) {
            errors.push(e);
        }
        if self.minutes.chars().count() > MINUTES_MAX {
            errors.push(FieldError::new(
                "minutes",
                format!("議事録は{MINUTES_MAX}文字以内で入力してください"),
            ));
        }
        self.topics.sort_unstable();
        self.topics.dedup();
        self.attendee_ids.sort_unstable();
        self.attendee_ids.dedup();
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(AppError::Invalid(errors))
        }
    }

    pub fn patched(&self, patch: &MeetingPatch) -> AppResult<Meeting> {
        let mut next = self.clone();
        if let Some(v) = patch.held_on {
            next.held_on = v;
        }
        if let Some(v) = &patch.title {
            next.title = v.to_string();
        }
        if let Some(v) = patch.kind {
            next.kind = v;
        }
        if let Some(v) = &patch.topics {
            next.topics = v.clone();
        }
        if let Some(v) = &patch.attendee_ids {
            next.attendee_ids = v.clone();
        }
        match &patch.minutes {
            MaybeUndefined::Value(v) => next.minutes = v.to_string(),
            MaybeUndefined::Null => next.minutes.clear(),
            MaybeUndefined::Undefined => {}
        }
        next.normalized()
    }
}

/// A step up the PDCA ladder that a meeting decides for one of its ward's
/// open countermeasures (the form's review of countermeasures carried over).
/// The ladder's own rules decide whether it is allowed and what it needs.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct StageChange {
    pub countermeasure_id: i64,
    /// The next stage: a meeting only advances; a re-plan stays on the
    /// countermeasure's own page, where its reason is asked for.
    pub to: Stage,
    /// For 具体化 (kept from the countermeasure when absent).
    pub owner_member_id: Option<i64>,
    /// For 具体化 (kept from the countermeasure when absent).
    pub evaluation_due_on: Option<NaiveDate>,
    /// Required for 評価改善.
    pub evaluation: Option<MultiLine>,
    /// Required for 評価改善.
    pub improvement: Option<MultiLine>,
    /// Required for 評価改善: 達成 / 一部達成 / 未達成.
    pub verdict: Option<Verdict>,
    /// Required for 評価改善.
    pub verdict_reason: Option<MultiLine>,
    pub note: Option<MultiLine>,
}

impl StageChange {
    /// The ladder's request, dated the day the meeting was held.
    pub fn request(&self, held_on: NaiveDate) -> TransitionRequest {
        TransitionRequest {
            to: self.to,
            on: Some(held_on),
            note: self.note.clone(),
            evaluation: self.evaluation.clone(),
            improvement: self.improvement.clone(),
            verdict: self.verdict,
            verdict_reason: self.verdict_reason.clone(),
            owner_member_id: self.owner_member_id,
            evaluation_due_on: self.evaluation_due_on,
            actor: None,
        }
    }
}

/// What a meeting may record for a countermeasure: a step up the ladder. A
/// step back (a re-plan) needs its reason, asked for on the countermeasure's
/// own page.
pub fn check_meeting_step(step: &Step) -> AppResult<()> {
    if step.kind == EventKind::Advanced {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "会議では段階を進めることだけを記録できます。戻す場合は対応策のページで理由を添えてください"
                .into(),
        ))
    }
}

/// One change per countermeasure: the change at `index` may not name a
/// countermeasure an earlier change of the same meeting named.
pub fn check_not_repeated(changes: &[StageChange], index: usize) -> AppResult<()> {
    let id = changes.get(index).map(|c| c.countermeasure_id);
    if changes[..index.min(changes.len())]
        .iter()
        .any(|c| Some(c.countermeasure_id) == id)
    {
        Err(AppError::Conflict(
            "同じ対応策の段階変更が二つ指定されています".into(),
        ))
    } else {
        Ok(())
    }
}

/// A meeting may be deleted only while nothing names it: no countermeasure
/// it decided (`decided`), so none loses its origin silently, and no step
/// it recorded (`steps`), since the history is never rewritten.
pub fn check_deletable(decided: i64, steps: i64) -> AppResult<()> {
    if decided > 0 {
        return Err(AppError::Conflict(format!(
            "この会議で決定した対応策が{decided}件あるため削除できません。先に対応策の「決定した会議」を変更してください"
        )));
    }
    if steps > 0 {
        return Err(AppError::Conflict(format!(
            "この会議で対応策の段階を{steps}件変更しているため削除できません（対応策の経過に記録されています）"
        )));
    }
    Ok(())
}

/// The name of a stage change's field, as the meeting form names its inputs
/// and errors: `cm-{countermeasure_id}-{field}`.
pub fn change_field(countermeasure_id: i64, field: &str) -> String {
    format!("cm-{countermeasure_id}-{field}")
}

/// Every problem of a meeting and its stage changes, gathered so the form
/// shows them all at once. 422 when any input is malformed, else 409 (the
/// ladder's refusals).
#[derive(Debug, Default)]
pub struct Problems {
    fields: Vec<FieldError>,
    malformed: bool,
}

impl Problems {
    /// Keeps a form error's messages; any other error is handed back.
    pub fn add(&mut self, err: AppError) -> AppResult<()> {
        match err {
            AppError::Invalid(fields) => {
                self.malformed = true;
                self.fields.extend(fields);
            }
            AppError::Rule(fields) => self.fields.extend(fields),
            other => return Err(other),
        }
        Ok(())
    }

    /// Keeps the errors of one stage change under its countermeasure's names;
    /// a refusal without a field (an archived one …) goes beside its
    /// 「この会議で進める」 choice, and a meeting dated after today beside 開催日.
    pub fn add_change(&mut self, countermeasure_id: i64, err: AppError) -> AppResult<()> {
        let fields = match err {
            AppError::Conflict(message) => {
                vec![FieldError::new("countermeasure_id", message)]
            }
            AppError::Invalid(fields) => {
                self.malformed = true;
                fields
            }
            AppError::Rule(fields) => fields,
            other => return Err(other),
        };
        for f in fields {
            let renamed = match f.field.as_str() {
                "on" => FieldError::new(
                    "held_on",
                    "開催日が今日より後の会議では対応策の段階を進められません",
                ),
                "countermeasure_id" | "to" => {
                    FieldError::new(&change_field(countermeasure_id, "to"), f.message)
                }
                other => FieldError::new(&change_field(countermeasure_id, other), f.message),
            };
            if !self
                .fields
                .iter()
                .any(|x| x.field == renamed.field && x.message == renamed.message)
            {
                self.fields.push(renamed);
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn into_error(self) -> AppError {
        if self.malformed {
            AppError::Invalid(self.fields)
        } else {
            AppError::Rule(self.fields)
        }
    }
}

impl NewMeeting {
    pub fn to_meeting(&self, ward_id: i64) -> AppResult<Meeting> {
        Meeting {
            id: 0,
            ward_id,
            held_on: self.held_on,
            title: self.title.to_string(),
            kind: self.kind,
            topics: self.topics.clone(),
            attendee_ids: self.attendee_ids.clone(),
            minutes: self.minutes.to_string(),
        }
        .normalized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: i64) -> StageChange {
        StageChange {
            countermeasure_id: id,
            to: Stage::Planned,
            owner_member_id: None,
            evaluation_due_on: None,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            note: None,
        }
    }

    #[test]
    fn a_meeting_names_each_countermeasure_once() {
        let changes = [change(1), change(2), change(1)];
        assert!(check_not_repeated(&changes, 0).is_ok());
        assert!(check_not_repeated(&changes, 1).is_ok());
        assert_eq!(check_not_repeated(&changes, 2).unwrap_err().status(), 409);
    }

    #[test]
    fn a_meeting_records_steps_up_only() {
        let day: NaiveDate = "2026-11-24".parse().unwrap();
        let step = |kind| Step {
            kind,
            from: Stage::Planned,
            to: Stage::Evaluated,
            on: day,
            note: String::new(),
            owner_member_id: None,
            evaluation_due_on: None,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
        };
        assert!(check_meeting_step(&step(EventKind::Advanced)).is_ok());
        assert_eq!(
            check_meeting_step(&step(EventKind::SteppedBack))
                .unwrap_err()
                .status(),
            409
        );
    }

    #[test]
    fn a_meeting_something_names_is_kept() {
        assert!(check_deletable(0, 0).is_ok());
        let decided = check_deletable(2, 1).unwrap_err().to_string();
        assert!(decided.contains("決定した対応策が2件"), "{decided}");
        let steps = check_deletable(0, 3).unwrap_err().to_string();
        assert!(steps.contains("段階を3件変更"), "{steps}");
    }

    fn new(topics: Vec<i64>) -> NewMeeting {
        NewMeeting {
            held_on: "2026-10-01".parse().unwrap(),
            title: " 第1回推進会議 ".parse().unwrap(),
            kind: MeetingKind::Council,
            topics,
            attendee_ids: vec![3, 1, 3],
            minutes: Default::default(),
        }
    }

    #[test]
    fn topics_outside_one_to_ten_are_refused() {
        let err = new(vec![1, 11]).to_meeting(1).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "topics");
        assert!(new(vec![0]).to_meeting(1).is_err());
    }

    #[test]
    fn a_stage_changes_errors_are_named_after_its_countermeasure() {
        let mut p = Problems::default();
        p.add_change(
            12,
            AppError::Rule(vec![FieldError::new("owner_member_id", "担当者")]),
        )
        .unwrap();
        p.add_change(13, AppError::Conflict("終了した対応策".into()))
            .unwrap();
        // A meeting after today: the step's date is the meeting's, so 開催日 is at fault, once.
        for id in [12, 13] {
            p.add_change(id, AppError::invalid("on", "未来")).unwrap();
        }
        assert!(p.add_change(14, AppError::NotFound("対応策")).is_err());
        let err = p.into_error();
        assert_eq!(
            err.status(),
            422,
            "malformed input wins over a ladder refusal"
        );
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["cm-12-owner_member_id", "cm-13-to", "held_on"]);

        let mut p = Problems::default();
        p.add_change(
            12,
            AppError::Rule(vec![FieldError::new("evaluation", "評価")]),
        )
        .unwrap();
        assert_eq!(p.into_error().status(), 409);
    }

    #[test]
    fn lists_are_sorted_and_deduplicated_and_title_trimmed() {
        let m = new(vec![5, 2, 5]).to_meeting(1).unwrap();
        assert_eq!(m.topics, vec![2, 5]);
        assert_eq!(m.attendee_ids, vec![1, 3]);
        assert_eq!(m.title, "第1回推進会議");
    }
}
