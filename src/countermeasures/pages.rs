//! Countermeasure pages: the ward's filtered list, the form to register or
//! edit one, and the detail page with its history and the PDCA ladder's
//! forms (the next step as the primary action, a step back with a reason,
//! archive/reopen). The ladder's rules stay in the store and `mod.rs`.

use std::collections::BTreeMap;

use askama::Template;
use chrono::NaiveDate;
use poem::http::{StatusCode, Uri};
use poem::web::Data;
use poem::{IntoResponse, handler};
use poem_openapi::types::MaybeUndefined;

use super::store::{CountermeasureQuery, HistoryEntry};
use super::{
    Countermeasure, CountermeasurePatch, NewCountermeasure, NextCycleRequest, Stage,
    TransitionRequest, Verdict,
};
use crate::access::{
    CountermeasureRead, CountermeasureStep, CountermeasureWrite, WardRead, WardWrite,
};
use crate::error::AppError;
use crate::meetings::store::MeetingQuery;
use crate::members::Member;
use crate::paging::Paging;
use crate::state::AppState;
use crate::wards::{self, Ward};
use crate::web::page::{
    Badge, Choice, Errors, ExportLinks, FieldParser, FormData, Layout, PageResult, Pager, choices,
    date_label, fail, is_form_error, page_number, page_paging, render, render_with_status,
    see_other, topic_choices, topic_label,
};

fn stage_choices(form: &FormData, key: &str) -> Vec<Choice> {
    choices(
        form,
        key,
        Stage::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.as_str().to_string())),
    )
}

/// Members as options: active ones, plus `keep` (the current owner) even if retired.
fn member_choices(
    form: &FormData,
    key: &str,
    members: &[Member],
    keep: Option<i64>,
) -> Vec<Choice> {
    choices(
        form,
        key,
        members
            .iter()
            .filter(|m| m.active || Some(m.id) == keep)
            .map(|m| {
                let label = if m.active {
                    m.name.clone()
                } else {
                    format!("{}（退任）", m.name)
                };
                (m.id.to_string(), label)
            }),
    )
}

async fn ward_members(state: &AppState, ward: &WardRead) -> poem::Result<Vec<Member>> {
    Ok(
        crate::members::store::list(&state.db, ward, false, Paging::all())
            .await
            .map_err(fail)?
            .items,
    )
}

// ---------------------------------------------------------------------------
// List

struct Row {
    id: i64,
    topic: i64,
    topic_label: String,
    title: String,
    badge: Badge,
    owner: String,
    due: String,
    overdue: bool,
    archived: bool,
}

#[derive(Template)]
#[template(path = "countermeasures/list.html")]
struct ListPage {
    layout: Layout,
    ward_id: i64,
    filter: FormData,
    stages: Vec<Choice>,
    topics: Vec<Choice>,
    archived: Vec<Choice>,
    rows: Vec<Row>,
    pager: Pager,
    export: ExportLinks,
}

/// The list's filters as sent (`stage`, `topic`, `overdue`, `archived`:
/// empty or anything but `archived`/`all` is the open ones). Unreadable
/// values are ignored: a filter is never an error. The CSV export reads
/// its filters with this too, so the file holds what the list shows.
pub fn list_query(filter: &FormData) -> CountermeasureQuery {
    let archived = filter.value("archived");
    CountermeasureQuery {
        stage: Stage::parse(filter.value("stage")),
        topic: filter
            .value("topic")
            .parse::<i64>()
            .ok()
            .filter(|t| crate::topics::topic(*t).is_some()),
        // Present and not empty, as the pager's links keep it.
        overdue: filter.non_empty("overdue").is_some().then_some(true),
        archived: Some(archived == "archived"),
        include_archived: archived == "all",
    }
}

/// `/wards/{id}/countermeasures`: one page of the ward's countermeasures
/// (filters and `page` in the query), each with its owner's name.
#[handler]
pub async fn list(Data(state): Data<&AppState>, scope: WardRead, uri: &Uri) -> PageResult {
    let id = scope.ward_id();
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    let filter = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let path = format!("/wards/{id}/countermeasures");
    let page = page_number(&path, &filter)?;
    let today = state.clock.today();
    let items = super::store::list_page(
        &state.db,
        &state.lists,
        &scope,
        list_query(&filter),
        today,
        page_paging(page),
    )
    .await
    .map_err(fail)?;
    let rows: Vec<Row> = items
        .items
        .iter()
        .map(|l| {
            let c = &l.cm;
            Row {
                id: c.id,
                topic: c.topic,
                topic_label: topic_label(c.topic),
                title: c.title.clone(),
                badge: badge(c.stage),
                owner: l.owner_name.clone().unwrap_or_default(),
                due: c.evaluation_due_on.map(date_label).unwrap_or_default(),
                overdue: c.overdue,
                archived: c.archived,
            }
        })
        .collect();
    let pager = Pager::new(&path, &filter, page, items.total, rows.len());
    // An export without `archived` is the whole ward (the file an import
    // takes back); the list without it shows the open ones, so its link
    // says so.
    let mut export_filter = filter.clone();
    if export_filter.non_empty("archived").is_none() {
        export_filter.set("archived", "open");
    }
    let page = ListPage {
        layout: Layout::in_ward(format!("{} 対応策", ward.name), &ward, "countermeasures"),
        ward_id: id,
        stages: stage_choices(&filter, "stage"),
        topics: topic_choices(&filter, "topic"),
        archived: choices(
            &filter,
            "archived",
            [
                ("archived".to_string(), "終了したもの".to_string()),
                ("all".to_string(), "すべて".to_string()),
            ],
        ),
        export: ExportLinks::new(&format!("/wards/{id}/countermeasures.csv"), &export_filter),
        filter,
        rows,
        pager,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------------------
// Register and edit

#[derive(Template)]
#[template(path = "countermeasures/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    cancel: String,
    editing: bool,
    form: FormData,
    topics: Vec<Choice>,
    /// The municipality's scenes, as checkboxes.
    scenes: Vec<Choice>,
    /// The municipality's indicators by name, as checkboxes.
    indicators: Vec<Choice>,
    owners: Vec<Choice>,
    meetings: Vec<Choice>,
    errors: Errors,
}

async fn form_page(
    state: &AppState,
    scope: &WardRead,
    ward: &Ward,
    cm: Option<&Countermeasure>,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let members = ward_members(state, scope).await?;
    let meetings =
        crate::meetings::store::list(&state.db, scope, MeetingQuery::default(), Paging::all())
            .await
            .map_err(fail)?;
    let scenes = crate::scenes::store::list(&state.db, scope.plan())
        .await
        .map_err(fail)?;
    let indicators = super::store::indicator_names(&state.db, &scope.plan())
        .await
        .map_err(fail)?;
    let (title, action, cancel) = match cm {
        Some(c) => (
            format!("対応策の編集（{}）", c.title),
            format!("/countermeasures/{}/edit", c.id),
            format!("/countermeasures/{}", c.id),
        ),
        None => (
            "対応策の登録".to_string(),
            format!("/wards/{}/countermeasures/new", ward.id),
            format!("/wards/{}/countermeasures", ward.id),
        ),
    };
    let page = FormPage {
        layout: Layout::in_ward(title, ward, "countermeasures")
            .crumb(format!("/wards/{}/countermeasures", ward.id), "対応策"),
        action,
        cancel,
        editing: cm.is_some(),
        topics: topic_choices(&form, "topic"),
        scenes: choices(
            &form,
            "scenes",
            scenes.names().map(|s| (s.to_string(), s.to_string())),
        ),
        indicators: choices(
            &form,
            "indicator_ids",
            indicators
                .into_iter()
                .map(|(id, name)| (id.to_string(), name)),
        ),
        owners: member_choices(
            &form,
            "owner_member_id",
            &members,
            cm.and_then(|c| c.owner_member_id),
        ),
        meetings: choices(
            &form,
            "meeting_id",
            meetings
                .items
                .iter()
                .map(|m| (m.id.to_string(), format!("{} {}", m.held_on, m.title))),
        ),
        form,
        errors,
    };
    render_with_status(&page, status)
}

fn values(c: &Countermeasure) -> FormData {
    let mut pairs = vec![
        ("topic", c.topic.to_string()),
        ("title", c.title.clone()),
        ("issue", c.issue.clone()),
        ("plan", c.plan.clone()),
        (
            "owner_member_id",
            c.owner_member_id.map(|o| o.to_string()).unwrap_or_default(),
        ),
        (
            "evaluation_due_on",
            c.evaluation_due_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "meeting_id",
            c.meeting_id.map(|m| m.to_string()).unwrap_or_default(),
        ),
    ];
    pairs.extend(c.scenes.iter().map(|s| ("scenes", s.clone())));
    pairs.extend(
        c.indicator_ids
            .iter()
            .map(|i| ("indicator_ids", i.to_string())),
    );
    FormData::from_pairs(pairs)
}

fn read_form(form: &FormData, ward_id: i64) -> Result<NewCountermeasure, AppError> {
    let mut p = FieldParser::default();
    let topic = p.required_label(form, "topic", "会議の内容", |v| {
        v.parse::<i64>()
            .ok()
            .filter(|t| crate::topics::topic(*t).is_some())
    });
    let new = NewCountermeasure {
        topic: topic.unwrap_or(1),
        scenes: form.all("scenes").into_iter().map(str::to_string).collect(),
        indicator_ids: p.numbers(form, "indicator_ids", "評価指標"),
        title: p.text(form, "title", "対応策"),
        issue: p.text(form, "issue", "課題"),
        plan: p.text(form, "plan", "計画"),
        owner_member_id: p.number(form, "owner_member_id", "担当者"),
        evaluation_due_on: p.date(form, "evaluation_due_on", "評価予定日"),
        meeting_id: p.number(form, "meeting_id", "決定した会議"),
        actor: p.optional_text(form, "actor", "登録者"),
    };
    if p.is_ok() {
        Ok(new)
    } else {
        Err(p.into_error(form, new.to_countermeasure(ward_id)))
    }
}

fn set_or_clear<T>(v: Option<T>) -> MaybeUndefined<T> {
    match v {
        Some(v) => MaybeUndefined::Value(v),
        None => MaybeUndefined::Null,
    }
}

#[handler]
pub async fn new_form(Data(state): Data<&AppState>, scope: WardWrite, uri: &Uri) -> PageResult {
    let scope = scope.read();
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    // `?meeting_id=…&topic=…` pre-fills from a meeting page or the dashboard.
    let query = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let form = FormData::from_pairs([
        ("topic", query.value("topic")),
        ("meeting_id", query.value("meeting_id")),
    ]);
    form_page(
        state,
        &scope,
        &ward,
        None,
        form,
        Errors::none(""),
        StatusCode::OK,
    )
    .await
}

#[handler]
pub async fn create(Data(state): Data<&AppState>, scope: WardWrite, body: Vec<u8>) -> PageResult {
    let id = scope.ward_id();
    let ward = wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_form(&form, id) {
        Ok(new) => super::store::create(&state.db, &scope, &new, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => see_other(format!("/countermeasures/{}", c.id)),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            form_page(state, &scope.read(), &ward, None, form, errors, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn edit_form(Data(state): Data<&AppState>, scope: CountermeasureWrite) -> PageResult {
    let cm = super::store::get(&state.db, &scope.read(), state.clock.today())
        .await
        .map_err(fail)?;
    let ward_scope = scope.ward_read();
    let ward = wards::store::get(&state.db, &ward_scope)
        .await
        .map_err(fail)?;
    form_page(
        state,
        &ward_scope,
        &ward,
        Some(&cm),
        values(&cm),
        Errors::none(""),
        StatusCode::OK,
    )
    .await
}

#[handler]
pub async fn update(
    Data(state): Data<&AppState>,
    scope: CountermeasureWrite,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.id();
    let cm = super::store::get(&state.db, &scope.read(), state.clock.today())
        .await
        .map_err(fail)?;
    let ward_scope = scope.ward_read();
    let ward = wards::store::get(&state.db, &ward_scope)
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let mut notes = FieldParser::default();
    let note = notes.optional_text(&form, "note", "編集の理由・メモ");
    let result = match read_form(&form, ward.id) {
        Ok(new) if notes.is_ok() => {
            let patch = CountermeasurePatch {
                topic: Some(new.topic),
                scenes: Some(new.scenes),
                indicator_ids: Some(new.indicator_ids),
                title: Some(new.title),
                issue: Some(new.issue),
                plan: Some(new.plan),
                owner_member_id: set_or_clear(new.owner_member_id),
                evaluation_due_on: set_or_clear(new.evaluation_due_on),
                meeting_id: set_or_clear(new.meeting_id),
                archived: None,
                note,
                actor: new.actor,
            };
            super::store::update(&state.db, &scope, &patch, state.clock.now()).await
        }
        checked => Err(notes.into_error(&form, checked)),
    };
    match result {
        Ok(_) => see_other(format!("/countermeasures/{id}")),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            form_page(
                state,
                &ward_scope,
                &ward,
                Some(&cm),
                form,
                errors,
                e.status(),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}

// ---------------------------------------------------------------------------
// Detail, ladder steps and archiving

struct HistoryRow {
    on: String,
    kind: &'static str,
    stages: Option<(String, String)>,
    actor: String,
    /// The account that recorded the step.
    recorded_by: String,
    note: String,
    evaluation: String,
    improvement: String,
    /// 「B 一部達成」, or empty.
    verdict: String,
    verdict_reason: String,
    /// The linked indicators' values kept with an evaluation, one line each.
    indicator_values: Vec<String>,
    changes: Vec<String>,
    /// The meeting that decided the step (id, title).
    meeting: Option<(i64, String)>,
}

/// Field names of the history's `changes`, in Japanese.
fn field_label(field: &str) -> &str {
    match field {
        "topic" => "会議の内容",
        "scene" | "scenes" => "場面",
        "indicator_ids" => "評価指標",
        "verdict" => "達成度",
        "verdict_reason" => "達成度の理由",
        "cycle" => "サイクル",
        "title" => "対応策",
        "issue" => "課題",
        "plan" => "計画",
        "owner_member_id" => "担当者",
        "evaluation_due_on" => "評価予定日",
        "meeting_id" => "決定した会議",
        "stage" => "段階",
        "evaluation" => "評価",
        "improvement" => "改善",
        "archived" => "終了",
        other => other,
    }
}

fn change_value(field: &str, v: &serde_json::Value, names: &BTreeMap<i64, String>) -> String {
    match v {
        serde_json::Value::Null => "（なし）".into(),
        serde_json::Value::Bool(b) => if *b { "はい" } else { "いいえ" }.into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) if items.is_empty() => "（なし）".into(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| change_value(field, i, names))
            .collect::<Vec<_>>()
            .join("・"),
        serde_json::Value::Number(n) if field == "owner_member_id" => n
            .as_i64()
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

fn history_row(h: &HistoryEntry, names: &BTreeMap<i64, String>) -> HistoryRow {
    let changes = match &h.changes {
        serde_json::Value::Object(map) if !matches!(h.kind, super::EventKind::Created) => map
            .iter()
            .map(|(field, v)| match (v.get("before"), v.get("after")) {
                (Some(b), Some(a)) => format!(
                    "{}: {} → {}",
                    field_label(field),
                    change_value(field, b, names),
                    change_value(field, a, names)
                ),
                _ => format!("{}: {}", field_label(field), change_value(field, v, names)),
            })
            .collect(),
        _ => Vec::new(),
    };
    HistoryRow {
        on: date_label(h.on),
        kind: h.kind.as_str(),
        stages: match (h.from_stage, h.to_stage) {
            (Some(f), Some(t)) => Some((f.as_str().to_string(), t.as_str().to_string())),
            (None, Some(t)) => Some(("－".to_string(), t.as_str().to_string())),
            _ => None,
        },
        actor: h.actor.clone().unwrap_or_default(),
        recorded_by: h.recorded_by.clone().unwrap_or_default(),
        note: h.note.clone(),
        evaluation: h.evaluation.clone().unwrap_or_default(),
        improvement: h.improvement.clone().unwrap_or_default(),
        verdict: h.verdict.map(Verdict::display).unwrap_or_default(),
        verdict_reason: h.verdict_reason.clone().unwrap_or_default(),
        indicator_values: h
            .indicator_values
            .iter()
            .flatten()
            .map(|v| {
                let whose = if v.city_wide { "（市全体）" } else { "" };
                format!("{}: {}{}（{}）{whose}", v.name, v.value, v.unit, v.period)
            })
            .collect(),
        changes,
        meeting: h
            .meeting_id
            .map(|m| (m, h.meeting_title.clone().unwrap_or_default())),
    }
}

#[derive(Template)]
#[template(path = "countermeasures/detail.html")]
struct DetailPage {
    layout: Layout,
    cm: Countermeasure,
    /// The actor manages the ward (edit, step back, archive, any step).
    manages: bool,
    /// The actor may record a step (its owner: to 評価改善 only).
    may_step: bool,
    badge: Badge,
    topic: String,
    owner: String,
    due: String,
    meeting: Option<(i64, String)>,
    /// The scenes, 「・」-joined, or 指定なし.
    scenes: String,
    /// The linked indicators' names.
    indicators: Vec<String>,
    /// 「B 一部達成」, or 未記録.
    verdict: String,
    verdicts: Vec<Choice>,
    history: Vec<HistoryRow>,
    next: Option<Badge>,
    previous: Option<Badge>,
    today: String,
    owners: Vec<Choice>,
    /// The summary of whichever form failed.
    errors: Errors,
    adv_form: FormData,
    adv: Errors,
    back_form: FormData,
    back: Errors,
    arch_form: FormData,
    arch: Errors,
    /// The 次のサイクルへ form (writers, at 評価改善).
    cycle_form: FormData,
    cycle: Errors,
}

/// Which of the detail page's forms was sent, with what, and what went wrong.
struct Failed<'a> {
    which: &'static str,
    form: FormData,
    err: &'a AppError,
}

async fn detail_page(
    state: &AppState,
    req: &poem::Request,
    scope: &CountermeasureRead,
    failed: Option<Failed<'_>>,
) -> PageResult {
    let today = state.clock.today();
    let cm = super::store::get(&state.db, scope, today)
        .await
        .map_err(fail)?;
    let ward_scope = scope.ward_read();
    let ward = wards::store::get(&state.db, &ward_scope)
        .await
        .map_err(fail)?;
    let members = ward_members(state, &ward_scope).await?;
    let names = crate::members::names(&members);
    let history = super::store::history(&state.db, scope)
        .await
        .map_err(fail)?;
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let step = crate::access::countermeasure_step(&state.db, &actor, scope.id())
        .await
        .ok();
    let meeting = match cm.meeting_id {
        Some(m) => match crate::access::meeting_read(&state.db, &actor, m).await {
            Ok(m) => crate::meetings::store::get(&state.db, &m)
                .await
                .ok()
                .map(|m| (m.id, format!("{} {}", date_label(m.held_on), m.title))),
            Err(_) => None,
        },
        None => None,
    };
    let mut adv_form = FormData::from_pairs([
        ("on", today.to_string()),
        (
            "owner_member_id",
            cm.owner_member_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
        ),
        (
            "evaluation_due_on",
            cm.evaluation_due_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    ]);
    let mut back_form = FormData::from_pairs([("on", today.to_string())]);
    let mut arch_form = FormData::default();
    let mut cycle_form =
        FormData::from_pairs([("on", today.to_string()), ("plan", cm.plan.clone())]);
    let (mut adv, mut back, mut arch, mut cycle) = (
        Errors::none("adv-"),
        Errors::none("back-"),
        Errors::none("arch-"),
        Errors::none("cycle-"),
    );
    let mut errors = Errors::none("");
    let mut status = StatusCode::OK;
    if let Some(f) = failed {
        status = f.err.status();
        let (form, errs) = match f.which {
            "back" => (&mut back_form, &mut back),
            "archive" => (&mut arch_form, &mut arch),
            "cycle" => (&mut cycle_form, &mut cycle),
            _ => (&mut adv_form, &mut adv),
        };
        *form = f.form;
        *errs = Errors::from_error(f.err, errs.prefix);
        errors = errs.clone();
    }
    let owners = member_choices(&adv_form, "owner_member_id", &members, cm.owner_member_id);
    let verdicts = choices(
        &adv_form,
        "verdict",
        Verdict::ALL
            .iter()
            .map(|v| (v.as_str().to_string(), v.display())),
    );
    let indicator_names = super::store::indicator_names(&state.db, &ward_scope.plan())
        .await
        .map_err(fail)?;
    let indicators = cm
        .indicator_ids
        .iter()
        .map(|id| {
            indicator_names
                .iter()
                .find(|(i, _)| i == id)
                .map_or_else(|| format!("ID {id}"), |(_, name)| name.clone())
        })
        .collect();
    let page = DetailPage {
        layout: Layout::in_ward(cm.title.clone(), &ward, "countermeasures")
            .crumb(format!("/wards/{}/countermeasures", ward.id), "対応策"),
        badge: badge(cm.stage),
        topic: topic_label(cm.topic),
        owner: cm
            .owner_member_id
            .and_then(|o| names.get(&o).cloned())
            .unwrap_or_else(|| "未設定".into()),
        due: cm
            .evaluation_due_on
            .map(date_label)
            .unwrap_or_else(|| "未設定".into()),
        meeting,
        scenes: if cm.scenes.is_empty() {
            "指定なし".into()
        } else {
            cm.scenes.join("・")
        },
        indicators,
        verdict: cm
            .verdict
            .map(Verdict::display)
            .unwrap_or_else(|| "未記録".into()),
        verdicts,
        history: history.iter().map(|h| history_row(h, &names)).collect(),
        next: cm.stage.next().map(badge),
        previous: cm.stage.previous().map(badge),
        today: today.to_string(),
        owners,
        errors,
        adv_form,
        adv,
        back_form,
        back,
        arch_form,
        arch,
        cycle_form,
        cycle,
        manages: step.is_some_and(|s| s.manages()),
        may_step: step.is_some(),
        cm,
    };
    render_with_status(&page, status)
}

#[handler]
pub async fn detail(
    Data(state): Data<&AppState>,
    scope: CountermeasureRead,
    req: &poem::Request,
) -> PageResult {
    detail_page(state, req, &scope, None).await
}

fn read_transition(form: &FormData) -> Result<TransitionRequest, AppError> {
    let mut p = FieldParser::default();
    let to = p.required_label(form, "to", "移る段階", Stage::parse);
    let on: Option<NaiveDate> = p.date(form, "on", "実施日");
    let owner_member_id = p.number(form, "owner_member_id", "担当者");
    let evaluation_due_on = p.date(form, "evaluation_due_on", "評価予定日");
    let note_label = if form.value("form") == "back" {
        "戻す理由"
    } else {
        "メモ"
    };
    let note = p.optional_text(form, "note", note_label);
    let evaluation = p.optional_text(form, "evaluation", "評価");
    let improvement = p.optional_text(form, "improvement", "改善");
    let verdict = p.label(form, "verdict", "達成度", Verdict::parse_loose);
    let verdict_reason = p.optional_text(form, "verdict_reason", "達成度の理由");
    let actor = p.optional_text(form, "actor", "実施者");
    match to {
        Some(to) if p.is_ok() => Ok(TransitionRequest {
            to,
            on,
            note,
            evaluation,
            improvement,
            verdict,
            verdict_reason,
            owner_member_id,
            evaluation_due_on,
            actor,
        }),
        _ => Err(p.into_error(form, Ok::<(), AppError>(()))),
    }
}

#[handler]
pub async fn transition(
    Data(state): Data<&AppState>,
    scope: CountermeasureStep,
    req: &poem::Request,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.id();
    let form = FormData::parse(&body);
    let which = if form.value("form") == "back" {
        "back"
    } else {
        "advance"
    };
    let result = match read_transition(&form) {
        Ok(step) => super::store::transition(&state.db, &scope, &step, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/countermeasures/{id}")),
        Err(e) if is_form_error(&e) => {
            detail_page(
                state,
                req,
                &scope.read(),
                Some(Failed {
                    which,
                    form,
                    err: &e,
                }),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn archive(
    Data(state): Data<&AppState>,
    scope: CountermeasureWrite,
    req: &poem::Request,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.id();
    let form = FormData::parse(&body);
    let result = match form.value("archived") {
        "true" | "false" => {
            let mut p = FieldParser::default();
            let note = p.optional_text(&form, "note", "理由・メモ");
            let actor = p.optional_text(&form, "actor", "実施者");
            if p.is_ok() {
                let patch = CountermeasurePatch {
                    archived: Some(form.value("archived") == "true"),
                    note,
                    actor,
                    ..Default::default()
                };
                super::store::update(&state.db, &scope, &patch, state.clock.now()).await
            } else {
                Err(p.into_error(&form, Ok::<(), AppError>(())))
            }
        }
        _ => Err(AppError::invalid(
            "archived",
            "終了か再開かを指定してください",
        )),
    };
    match result {
        Ok(_) => see_other(format!("/countermeasures/{id}")),
        Err(e) if is_form_error(&e) => {
            detail_page(
                state,
                req,
                &scope.read(),
                Some(Failed {
                    which: "archive",
                    form,
                    err: &e,
                }),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}

fn read_next_cycle(form: &FormData) -> Result<NextCycleRequest, AppError> {
    let mut p = FieldParser::default();
    let due = p.required_date(form, "evaluation_due_on", "次のサイクルの評価予定日");
    let on = p.date(form, "on", "実施日");
    let plan = p.optional_text(form, "plan", "計画");
    let note = p.optional_text(form, "note", "メモ");
    let actor = p.optional_text(form, "actor", "実施者");
    match due {
        Some(evaluation_due_on) if p.is_ok() => Ok(NextCycleRequest {
            evaluation_due_on,
            plan,
            note,
            on,
            owner_member_id: None,
            actor,
        }),
        _ => Err(p.into_error(form, Ok::<(), AppError>(()))),
    }
}

/// `POST /countermeasures/{id}/next-cycle`: the 次のサイクルへ form.
#[handler]
pub async fn next_cycle(
    Data(state): Data<&AppState>,
    scope: CountermeasureWrite,
    req: &poem::Request,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.id();
    let form = FormData::parse(&body);
    let result = match read_next_cycle(&form) {
        Ok(next) => super::store::next_cycle(&state.db, &scope, &next, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/countermeasures/{id}")),
        Err(e) if is_form_error(&e) => {
            detail_page(
                state,
                req,
                &scope.read(),
                Some(Failed {
                    which: "cycle",
                    form,
                    err: &e,
                }),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}

/// A stage as its badge: the ladder's label, a CSS class per stage and
/// the report's wording as the title.
pub fn badge(stage: Stage) -> Badge {
    Badge {
        label: stage.as_str(),
        class: match stage {
            Stage::Identified => "stage-identified",
            Stage::Planned => "stage-planned",
            Stage::Evaluated => "stage-evaluated",
        },
        title: stage.report_label(),
    }
}
