//! Meetings of a ward's conference: when, what kind, who attended and which
//! of the ten agenda topics they covered.

pub mod api;
pub mod pages;
pub mod store;

use chrono::NaiveDate;
use poem_openapi::types::MaybeUndefined;

use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
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
    pub title: String,
    pub kind: MeetingKind,
    #[oai(default)]
    pub topics: Vec<i64>,
    #[oai(default)]
    pub attendee_ids: Vec<i64>,
    #[oai(default)]
    pub minutes: String,
}

/// A partial update: absent fields stay as they are; lists replace the old list.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub struct MeetingPatch {
    pub held_on: Option<NaiveDate>,
    pub title: Option<String>,
    pub kind: Option<MeetingKind>,
    pub topics: Option<Vec<i64>>,
    pub attendee_ids: Option<Vec<i64>>,
    pub minutes: MaybeUndefined<String>,
}

impl Meeting {
    /// Checks the fields and puts the lists in canonical form (sorted, unique).
    pub fn normalized(mut self) -> AppResult<Meeting> {
        let mut errors = Vec::new();
        self.title = self.title.trim().to_string();
        if self.title.is_empty() {
            errors.push(FieldError::new("title", "会議名を入力してください"));
        } else if self.title.chars().count() > 200 {
            errors.push(FieldError::new(
                "title",
                "会議名は200文字以内で入力してください",
            ));
        }
        if let Some(bad) = self.topics.iter().find(|t| topics::topic(**t).is_none()) {
            errors.push(FieldError::new(
                "topics",
                format!("会議の内容は1〜10の番号で指定してください（{bad}は無効です）"),
            ));
        }
        if self.minutes.chars().count() > 20_000 {
            errors.push(FieldError::new(
                "minutes",
                "議事録は20000文字以内で入力してください",
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
            next.title = v.clone();
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
            MaybeUndefined::Value(v) => next.minutes = v.clone(),
            MaybeUndefined::Null => next.minutes.clear(),
            MaybeUndefined::Undefined => {}
        }
        next.normalized()
    }
}

impl NewMeeting {
    pub fn to_meeting(&self, ward_id: i64) -> AppResult<Meeting> {
        Meeting {
            id: 0,
            ward_id,
            held_on: self.held_on,
            title: self.title.clone(),
            kind: self.kind,
            topics: self.topics.clone(),
            attendee_ids: self.attendee_ids.clone(),
            minutes: self.minutes.clone(),
        }
        .normalized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(topics: Vec<i64>) -> NewMeeting {
        NewMeeting {
            held_on: "2026-10-01".parse().unwrap(),
            title: " 第1回推進会議 ".into(),
            kind: MeetingKind::Council,
            topics,
            attendee_ids: vec![3, 1, 3],
            minutes: String::new(),
        }
    }

    #[test]
    fn topics_outside_one_to_ten_are_refused() {
        let err = new(vec![1, 11]).to_meeting(1).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "topics");
        assert!(new(vec![0]).to_meeting(1).is_err());
    }

    #[test]
    fn lists_are_sorted_and_deduplicated_and_title_trimmed() {
        let m = new(vec![5, 2, 5]).to_meeting(1).unwrap();
        assert_eq!(m.topics, vec![2, 5]);
        assert_eq!(m.attendee_ids, vec![1, 3]);
        assert_eq!(m.title, "第1回推進会議");
    }
}
