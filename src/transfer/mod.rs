//! CSV export of a ward's members, meetings and countermeasures, and CSV
//! import of meetings and countermeasures in the same columns: how a
//! secretariat moves its existing Excel sheets in.
//!
//! An import is checked as a whole before anything is written: every row
//! through the domain's own validation (`NewMeeting::to_meeting`,
//! `NewCountermeasure::to_countermeasure`, `plan_transition`), errors named
//! by row and column in Japanese. Any error imports nothing; a good file is
//! written in one transaction with the usual history and audit rows.
//!
//! Ids are ward-local, so the files name rows, not ids: 担当委員 and 出席者
//! are members' 氏名 in the importing ward, 決定した会議 is a meeting's
//! 開催日 and 会議名 (import the meetings first), 場面 the municipality's
//! scene names separated by `;`. 達成度 (「B 一部達成」, A/B/C or the label)
//! and 達成度の理由 are optional even for 評価改善 rows: sheets kept before
//! verdicts have none. Archived countermeasures
//! are exported with 状態 終了 and imported closed, so export → import →
//! export gives the same file. The columns added for that (出席者,
//! 決定した会議, 状態) may be missing from older files.
//!
//! This file is pure (tables in, tables out); reading the ward's records
//! and writing an import are in `store.rs`.

pub mod api;
pub mod pages;
pub mod store;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::countermeasures::{
    self, Countermeasure, NewCountermeasure, Stage, TransitionRequest, Verdict, VerdictRule,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::meetings::{Meeting, MeetingKind, NewMeeting};
use crate::members::Member;
use crate::scenes::Scenes;
use crate::spreadsheet::{self, Cell, Sheet, Table};
use crate::text::{Kind, MultiLine, Text};

pub const MEMBER_COLUMNS: [&str; 5] = ["氏名", "所属", "所属区分", "メールアドレス", "状態"];

pub const MEETING_COLUMNS: [&str; 6] =
    ["開催日", "会議名", "種別", "会議の内容", "議事録", "出席者"];

/// The meeting columns a file must have (出席者 may be missing).
const MEETING_REQUIRED: usize = 5;

pub const COUNTERMEASURE_COLUMNS: [&str; 15] = [
    "会議の内容（番号）",
    "場面",
    "対応策",
    "課題",
    "計画",
    "担当委員",
    "評価予定日",
    "段階",
    "評価",
    "改善",
    "段階の日付",
    "決定した会議",
    "状態",
    "達成度",
    "達成度の理由",
];

/// The countermeasure columns a file must have (the rest may be missing).
const COUNTERMEASURE_REQUIRED: usize = 8;

/// 状態 of an archived countermeasure; an open one is 対応中.
const ARCHIVED: &str = "終了";
const OPEN: &str = "対応中";

/// Separator of several names in one cell: 「委員 一郎;委員 二子」.
const LIST_SEPARATORS: [char; 2] = [';', '；'];

/// A meeting as a cell: 「2026-05-10 第1回推進会議」.
fn meeting_cell(m: &Meeting) -> String {
    format!("{} {}", m.held_on, m.title)
}

/// Topics as a cell: 「1;3;7」.
fn topics_cell(topics: &[i64]) -> String {
    topics
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

pub fn members_table(members: &[Member]) -> Table {
    let mut t = Table::new(&MEMBER_COLUMNS);
    for m in members {
        t.push(vec![
            Cell::text(&m.name),
            Cell::text(&m.organization),
            Cell::value(m.organization_kind.as_str()),
            Cell::text(m.email.clone().unwrap_or_default()),
            Cell::value(if m.active { "有効" } else { "無効" }),
        ]);
    }
    t
}

/// Meetings with their attendees by name (sorted, so the cell does not
/// depend on the ids of the ward the file came from).
pub fn meetings_table(list: &[Meeting], members: &[Member]) -> Table {
    let names: HashMap<i64, &str> = members.iter().map(|m| (m.id, m.name.as_str())).collect();
    let mut t = Table::new(&MEETING_COLUMNS);
    for m in list {
        let mut attendees: Vec<&str> = m
            .attendee_ids
            .iter()
            .filter_map(|id| names.get(id).copied())
            .collect();
        attendees.sort_unstable();
        t.push(vec![
            Cell::value(m.held_on),
            Cell::text(&m.title),
            Cell::value(m.kind.as_str()),
            Cell::value(topics_cell(&m.topics)),
            Cell::text(&m.minutes),
            Cell::text(attendees.join(";")),
        ]);
    }
    t
}

pub fn countermeasures_table(
    list: &[(Countermeasure, Option<NaiveDate>)],
    members: &[Member],
    meetings: &[Meeting],
) -> Table {
    let names: HashMap<i64, &str> = members.iter().map(|m| (m.id, m.name.as_str())).collect();
    let meetings: HashMap<i64, &Meeting> = meetings.iter().map(|m| (m.id, m)).collect();
    let mut t = Table::new(&COUNTERMEASURE_COLUMNS);
    for (c, stage_on) in list {
        t.push(vec![
            Cell::value(c.topic),
            Cell::text(c.scenes.join(";")),
            Cell::text(&c.title),
            Cell::text(&c.issue),
            Cell::text(&c.plan),
            Cell::text(
                c.owner_member_id
                    .and_then(|id| names.get(&id))
                    .copied()
                    .unwrap_or_default(),
            ),
            Cell::value(
                c.evaluation_due_on
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            Cell::value(c.stage.as_str()),
            Cell::text(c.evaluation.clone().unwrap_or_default()),
            Cell::text(c.improvement.clone().unwrap_or_default()),
            Cell::value(stage_on.map(|d| d.to_string()).unwrap_or_default()),
            Cell::text(
                c.meeting_id
                    .and_then(|id| meetings.get(&id))
                    .map(|m| meeting_cell(m))
                    .unwrap_or_default(),
            ),
            Cell::value(if c.archived { ARCHIVED } else { OPEN }),
            Cell::value(c.verdict.map(Verdict::display).unwrap_or_default()),
            Cell::text(c.verdict_reason.clone().unwrap_or_default()),
        ]);
    }
    t
}

/// One data row, addressed by column name; collects errors by row/column.
struct Row<'a> {
    line: usize,
    header: &'a HashMap<&'a str, usize>,
    cells: &'a [String],
    errors: &'a mut Vec<FieldError>,
}

impl Row<'_> {
    /// The cell as the file holds it ("" when the column is missing).
    fn raw(&self, column: &str) -> &str {
        self.header
            .get(column)
            .and_then(|i| self.cells.get(*i))
            .map_or("", String::as_str)
    }

    /// A date, number or code cell, trimmed (Excel users pad them).
    fn get(&self, column: &str) -> &str {
        self.raw(column).trim()
    }

    /// A name the export wrote as free text (a member's 氏名, a meeting's
    /// 開催日 会議名), used as a key: trimmed and unguarded.
    fn key(&self, column: &str) -> &str {
        spreadsheet::unguard(self.get(column))
    }

    /// A free-text cell of the kind the input type asks for, kept exactly
    /// as written except for the export's formula guard ([`spreadsheet::unguard`]);
    /// the domain trims what it trims for a form too. One the kind refuses
    /// is an error on its row and column, and a stand-in without the
    /// refused characters lets the rest of the row be checked.
    fn text<K: Kind>(&mut self, column: &str) -> Text<K> {
        let raw = spreadsheet::unguard(self.raw(column));
        match Text::<K>::parse(raw) {
            Ok(t) => t,
            Err(e) => {
                let stand_in = Text::<K>::lossy(raw);
                self.error(column, e.to_string());
                stand_in
            }
        }
    }

    fn error(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(
            &format!("{}行目「{column}」", self.line),
            message,
        ));
    }

    fn date(&mut self, column: &str, required: bool) -> Option<NaiveDate> {
        let raw = self.get(column).to_string();
        if raw.is_empty() {
            if required {
                self.error(column, "日付を入力してください");
            }
            return None;
        }
        // Excel turns 2017-06-01 into 2017/6/1 on save, and staff type
        // 平成29年6月1日 or H29.6.1: calendar reads them all.
        match crate::calendar::parse_date(&raw) {
            // The one date rule (crate::calendar::YEARS), as for the API and the forms.
            Ok(d) if !crate::calendar::YEARS.contains(&chrono::Datelike::year(&d)) => {
                self.error(column, crate::calendar::year_message(column));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(column, e.message(&raw));
                None
            }
        }
    }

    /// The member of the importing ward with this 氏名, or an error on `column`.
    fn member(&mut self, column: &str, name: &str, members: &[Member]) -> Option<i64> {
        let found: Vec<&Member> = members.iter().filter(|m| m.name == name).collect();
        match found.as_slice() {
            [m] => Some(m.id),
            [] => {
                self.error(
                    column,
                    format!("「{name}」はこの区の委員に登録されていません"),
                );
                None
            }
            _ => {
                self.error(
                    column,
                    format!(
                        "「{name}」という委員が複数います。委員名を区別できるようにしてください"
                    ),
                );
                None
            }
        }
    }

    /// Moves domain errors (named by API field) onto this row's columns.
    fn domain(&mut self, err: AppError, columns: &[(&str, &str)]) {
        let fields = err.field_errors().to_vec();
        if fields.is_empty() {
            let message = err.public_message();
            self.error("", message);
        }
        for f in fields {
            let column = columns
                .iter()
                .find(|(field, _)| *field == f.field)
                .map_or(f.field.as_str(), |(_, c)| *c)
                .to_string();
            self.error(&column, f.message);
        }
    }
}

/// Checks the header against a file kind's columns: each known column at
/// most once, none unknown (a column without a name and without data, as
/// Excel leaves after the last one, is ignored), and the first `required`
/// present. Every problem is a 422 naming the column and listing the
/// accepted ones, so no column of the file is dropped or shadowed unseen.
fn header_index<'a>(
    sheet: &'a Sheet,
    columns: &[&str],
    required: usize,
) -> AppResult<HashMap<&'a str, usize>> {
    let accepted = columns.join("・");
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, raw) in sheet.header.iter().enumerate() {
        let name = raw.trim_start_matches('\u{feff}');
        let field = format!("1行目「{name}」");
        if name.is_empty() {
            let has_data = sheet
                .rows
                .iter()
                .any(|r| r.get(i).is_some_and(|c| !c.trim().is_empty()));
            if has_data {
                errors.push(FieldError::new(
                    &format!("1行目{}列目", i + 1),
                    format!(
                        "{}列目に見出しがありません（取り込める列：{accepted}）",
                        i + 1
                    ),
                ));
            }
        } else if !columns.contains(&name) {
            errors.push(FieldError::new(
                &field,
                format!("「{name}」は取り込める列ではありません（取り込める列：{accepted}）"),
            ));
        } else if let Some(first) = index.get(name) {
            errors.push(FieldError::new(
                &field,
                format!(
                    "「{name}」の列が2つ以上あります（{}列目と{}列目）。1つにしてください（取り込める列：{accepted}）",
                    first + 1,
                    i + 1
                ),
            ));
        } else {
            index.insert(name, i);
        }
    }
    for c in &columns[..required] {
        if !sheet
            .header
            .iter()
            .any(|h| h.trim_start_matches('\u{feff}') == *c)
        {
            errors.push(FieldError::new(
                &format!("1行目「{c}」"),
                format!("見出しに「{c}」の列がありません（エクスポートしたファイルと同じ列にしてください）"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn check_rows(table: &Sheet) -> AppResult<()> {
    if table.rows.is_empty() {
        return Err(AppError::invalid("file", "取り込むデータ行がありません"));
    }
    if table.rows.len() > 5000 {
        return Err(AppError::invalid(
            "file",
            "一度に取り込めるのは5000行までです",
        ));
    }
    Ok(())
}

/// Every row of a meetings file as a checked meeting, or every error. A
/// row whose meeting the ward already has (`present`: same 開催日 and
/// 会議名) is an error too, so importing a file twice adds nothing.
pub fn parse_meetings(
    table: &Sheet,
    ward_id: i64,
    members: &[Member],
    present: &[Meeting],
) -> AppResult<Vec<Meeting>> {
    let header = header_index(table, &MEETING_COLUMNS, MEETING_REQUIRED)?;
    check_rows(table)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, cells) in table.rows.iter().enumerate() {
        let mut row = Row {
            line: i + 2,
            header: &header,
            cells,
            errors: &mut errors,
        };
        let held_on = row.date("開催日", true);
        let kind_text = row.get("種別").to_string();
        let kind = MeetingKind::parse(&kind_text);
        if kind.is_none() {
            let choices: Vec<&str> = MeetingKind::ALL.iter().map(|k| k.as_str()).collect();
            row.error(
                "種別",
                format!(
                    "「{kind_text}」は選べません（{}のいずれか）",
                    choices.join("・")
                ),
            );
        }
        let mut topics = Vec::new();
        let topics_text = row.get("会議の内容").to_string();
        for part in topics_text.split([';', '；', ',', '、', ' ']) {
            if part.is_empty() {
                continue;
            }
            match part.parse::<i64>() {
                Ok(n) => topics.push(n),
                Err(_) => row.error(
                    "会議の内容",
                    format!(
                        "「{part}」は番号ではありません（1;3;7 のように1〜10の番号を区切って入力）"
                    ),
                ),
            }
        }
        let mut attendee_ids = Vec::new();
        let attendees_text = row.key("出席者").to_string();
        for name in attendees_text.split(LIST_SEPARATORS).map(str::trim) {
            if name.is_empty() {
                continue;
            }
            if let Some(id) = row.member("出席者", name, members) {
                attendee_ids.push(id);
            }
        }
        let (Some(held_on), Some(kind)) = (held_on, kind) else {
            continue;
        };
        let new = NewMeeting {
            held_on,
            title: row.text("会議名"),
            kind,
            topics,
            attendee_ids,
            minutes: row.text("議事録"),
        };
        match new.to_meeting(ward_id) {
            Ok(m)
                if present
                    .iter()
                    .any(|p| p.held_on == m.held_on && p.title == m.title) =>
            {
                row.error(
                    "会議名",
                    format!(
                        "「{}」はこの区に登録済みです（同じ開催日・会議名）。取り込み済みの行を除いてください",
                        meeting_cell(&m)
                    ),
                );
            }
            Ok(m) => out.push(m),
            Err(e) => row.domain(
                e,
                &[
                    ("title", "会議名"),
                    ("topics", "会議の内容"),
                    ("minutes", "議事録"),
                    ("attendee_ids", "出席者"),
                ],
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// A countermeasure to write and the ladder steps that bring it to its stage.
pub struct ImportedCountermeasure {
    pub cm: Countermeasure,
    pub steps: Vec<TransitionRequest>,
    /// Closed after the steps (状態 終了).
    pub archived: bool,
}

const CM_FIELDS: [(&str, &str); 12] = [
    ("topic", "会議の内容（番号）"),
    ("title", "対応策"),
    ("issue", "課題"),
    ("plan", "計画"),
    ("owner_member_id", "担当委員"),
    ("evaluation_due_on", "評価予定日"),
    ("evaluation", "評価"),
    ("improvement", "改善"),
    ("meeting_id", "決定した会議"),
    ("scenes", "場面"),
    ("verdict", "達成度"),
    ("verdict_reason", "達成度の理由"),
];

/// Every row of a countermeasures file, checked against the ladder's
/// rules as if each step were taken, or every error. A row whose
/// countermeasure the ward already has (`present`, archived ones included:
/// same 会議の内容（番号） and 対応策) is an error too. 場面 names are
/// checked against `scenes`, the ward's municipality's.
pub fn parse_countermeasures(
    table: &Sheet,
    ward_id: i64,
    scenes: &Scenes,
    members: &[Member],
    meetings: &[Meeting],
    present: &[Countermeasure],
    today: NaiveDate,
) -> AppResult<Vec<ImportedCountermeasure>> {
    let header = header_index(table, &COUNTERMEASURE_COLUMNS, COUNTERMEASURE_REQUIRED)?;
    check_rows(table)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, cells) in table.rows.iter().enumerate() {
        let mut row = Row {
            line: i + 2,
            header: &header,
            cells,
            errors: &mut errors,
        };
        let topic_text = row.get("会議の内容（番号）").to_string();
        let topic = topic_text.parse::<i64>().unwrap_or_else(|_| {
            row.error(
                "会議の内容（番号）",
                format!("「{topic_text}」は番号ではありません（1〜10）"),
            );
            0
        });
        let scene_text = row.key("場面").to_string();
        let names: Vec<&str> = scene_text.split(LIST_SEPARATORS).collect();
        let scene_names = match scenes.resolve("場面", &names) {
            Ok(found) => found,
            Err(e) => {
                row.error("場面", e.message);
                Vec::new()
            }
        };
        let verdict_text = row.get("達成度").to_string();
        let verdict = Verdict::parse_loose(&verdict_text);
        if verdict.is_none() && !verdict_text.is_empty() {
            row.error(
                "達成度",
                format!(
                    "「{verdict_text}」は選べません（A 達成・B 一部達成・C 未達成のいずれか、または空欄）"
                ),
            );
        }
        let verdict_reason: MultiLine = row.text("達成度の理由");
        let owner_name = row.key("担当委員").to_string();
        let owner = if owner_name.is_empty() {
            None
        } else {
            row.member("担当委員", &owner_name, members)
        };
        let meeting_text = row.key("決定した会議").to_string();
        let meeting_id = if meeting_text.is_empty() {
            None
        } else {
            let found: Vec<&Meeting> = meetings
                .iter()
                .filter(|m| meeting_cell(m) == meeting_text)
                .collect();
            match found.as_slice() {
                [m] => Some(m.id),
                [] => {
                    row.error(
                        "決定した会議",
                        format!("「{meeting_text}」（開催日 会議名）はこの区の会議にありません。先に会議のCSVを取り込んでください"),
                    );
                    None
                }
                _ => {
                    row.error(
                        "決定した会議",
                        format!("「{meeting_text}」という会議が複数あります。会議名を区別できるようにしてください"),
                    );
                    None
                }
            }
        };
        let status = row.get("状態").to_string();
        let archived = match status.as_str() {
            "" | OPEN => false,
            ARCHIVED => true,
            other => {
                row.error(
                    "状態",
                    format!("「{other}」は選べません（{OPEN}・{ARCHIVED}のいずれか、または空欄）"),
                );
                false
            }
        };
        let due = row.date("評価予定日", false);
        let stage_text = row.get("段階").to_string();
        let stage = if stage_text.is_empty() {
            Some(Stage::Identified)
        } else {
            Stage::parse(&stage_text)
        };
        if stage.is_none() {
            row.error(
                "段階",
                format!("「{stage_text}」は選べません（未具体化・具体化・評価改善のいずれか）"),
            );
        }
        let stage_on = if header.contains_key("段階の日付") {
            row.date("段階の日付", false)
        } else {
            None
        };
        if stage_on.is_some_and(|d| d > today) {
            row.error("段階の日付", "未来の日付は指定できません");
        }
        let Some(stage) = stage else { continue };
        let new = NewCountermeasure {
            topic,
            scenes: scene_names,
            indicator_ids: Vec::new(),
            title: row.text("対応策"),
            issue: row.text("課題"),
            plan: row.text("計画"),
            owner_member_id: owner,
            evaluation_due_on: due,
            meeting_id,
            actor: None,
        };
        let cm = match new.to_countermeasure(ward_id) {
            Ok(cm)
                if present
                    .iter()
                    .any(|p| p.topic == cm.topic && p.title == cm.title) =>
            {
                row.error(
                    "対応策",
                    format!(
                        "「{}」（会議の内容 {}）はこの区に登録済みです。取り込み済みの行を除いてください",
                        cm.title, cm.topic
                    ),
                );
                continue;
            }
            Ok(cm) => cm,
            Err(e) => {
                row.domain(e, &CM_FIELDS);
                continue;
            }
        };
        // The steps up the ladder, each checked by the same rule as a
        // transition made in the UI.
        let mut steps = Vec::new();
        let mut at = cm.clone();
        let evaluation: MultiLine = row.text("評価");
        let improvement: MultiLine = row.text("改善");
        for to in [Stage::Planned, Stage::Evaluated] {
            if stage < to {
                break;
            }
            let req = TransitionRequest {
                to,
                on: stage_on,
                note: None,
                evaluation: Some(evaluation.clone()),
                improvement: Some(improvement.clone()),
                verdict: if to == Stage::Evaluated {
                    verdict
                } else {
                    None
                },
                verdict_reason: (to == Stage::Evaluated).then(|| verdict_reason.clone()),
                owner_member_id: None,
                evaluation_due_on: None,
                actor: None,
            };
            match countermeasures::plan_transition_with(&at, &req, today, VerdictRule::Optional) {
                Ok(step) => {
                    at.stage = step.to;
                    steps.push(req);
                }
                Err(e) => {
                    row.domain(e, &CM_FIELDS);
                    break;
                }
            }
        }
        // (Rows after an error are still checked, for the full list; nothing
        // is written unless the whole file is clean.)
        if at.stage == stage {
            out.push(ImportedCountermeasure {
                cm,
                steps,
                archived,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// An import writes into the importing ward only: a row of another ward
/// (the parse sets each row's ward, so none should be) answers like an
/// unknown ward.
pub fn check_same_ward(ward_id: i64, mut row_wards: impl Iterator<Item = i64>) -> AppResult<()> {
    if row_wards.any(|w| w != ward_id) {
        Err(AppError::NotFound("区"))
    } else {
        Ok(())
    }
}
