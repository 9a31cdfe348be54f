//! Meeting pages: the ward's list, one form to record or edit a meeting
//! (topics and attendees as checkboxes), the detail page and deletion.

use askama::Template;
use poem::http::{StatusCode, Uri};
use poem::web::Data;
use poem::{IntoResponse, handler};
use poem_openapi::types::MaybeUndefined;

use super::store::MeetingQuery;
use super::{Meeting, MeetingKind, MeetingPatch, NewMeeting, StageChange, change_field};
use crate::access::{MeetingRead, MeetingWrite, WardRead, WardWrite};
use crate::countermeasures::pages::badge;
use crate::countermeasures::store::CountermeasureQuery;
use crate::countermeasures::{Countermeasure, Stage};
use crate::error::AppError;
use crate::members::Member;
use crate::paging::Paging;
use crate::state::AppState;
use crate::wards::{self, Ward};
use crate::web::page::{
    Badge, Choice, Errors, ExportLinks, FieldParser, FormData, Layout, PageResult, Pager, choices,
    date_label, fail, is_form_error, page_number, page_paging, render, render_with_status,
    see_other, topic_choices, topic_label,
};

struct MeetingRow {
    id: i64,
    held_on: String,
    kind: &'static str,
    title: String,
    topics: Vec<(i64, String)>,
    attendees: usize,
}

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage {
    layout: Layout,
    ward_id: i64,
    filter: FormData,
    /// Messages beside the period's inputs (an unreadable date is left out
    /// of the filter, not an error page).
    errors: Errors,
    meetings: Vec<MeetingRow>,
    pager: Pager,
    export: ExportLinks,
}

/// The list's period as sent: `from` and `to` bound 開催日 (inclusive,
/// `YYYY-MM-DD`). An unreadable date leaves its bound out and gets a
/// message in `p`. The CSV export reads its filters with this too.
pub fn list_query(filter: &FormData, p: &mut FieldParser) -> MeetingQuery {
    MeetingQuery {
        from: p.date(filter, "from", "期間の開始日"),
        to: p.date(filter, "to", "期間の終了日"),
    }
}

/// `/wards/{id}/meetings`: one page of the ward's meetings, newest first
/// (period and `page` in the query).
#[handler]
pub async fn list(Data(state): Data<&AppState>, scope: WardRead, uri: &Uri) -> PageResult {
    let id = scope.ward_id();
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    let filter = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let path = format!("/wards/{id}/meetings");
    let page = page_number(&path, &filter)?;
    let mut parser = FieldParser::default();
    let query = list_query(&filter, &mut parser);
    let errors = if parser.is_ok() {
        Errors::none("f-")
    } else {
        Errors::from_error(&parser.into_error(&filter, Ok(())), "f-")
    };
    let meetings = super::store::list(&state.db, &scope, query, page_paging(page))
        .await
        .map_err(fail)?;
    let rows: Vec<MeetingRow> = meetings
        .items
        .iter()
        .map(|m| MeetingRow {
            id: m.id,
            held_on: date_label(m.held_on),
            kind: m.kind.as_str(),
            title: m.title.clone(),
            topics: m.topics.iter().map(|t| (*t, topic_label(*t))).collect(),
            attendees: m.attendee_ids.len(),
        })
        .collect();
    let page = ListPage {
        layout: Layout::in_ward(format!("{} 会議", ward.name), &ward, "meetings"),
        ward_id: id,
        pager: Pager::new(&path, &filter, page, meetings.total, rows.len()),
        export: ExportLinks::new(&format!("/wards/{id}/meetings.csv"), &filter),
        errors,
        filter,
        meetings: rows,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "meetings/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    cancel: String,
    form: FormData,
    kinds: Vec<Choice>,
    /// The topics not covered by a meeting this half-year (proposed for a
    /// new meeting; empty on the edit form), then the others.
    proposed_topics: Vec<Choice>,
    topics: Vec<Choice>,
    attendees: Vec<Choice>,
    /// The ward's open countermeasures the meeting may advance, the
    /// proposed ones (overdue, 停滞) first.
    review: Vec<ReviewRow>,
    /// How many of them are proposed: overdue, 停滞.
    proposed_overdue: usize,
    proposed_stuck: usize,
    errors: Errors,
}

/// The agenda a new meeting is proposed (議題の提案): nothing of it is
/// stored; it only orders and marks the form's own inputs.
#[derive(Default)]
struct Agenda {
    /// False on the edit form: a meeting being corrected gets no proposal.
    on: bool,
    /// Countermeasures in 停滞 today (`progress::store::stuck`).
    stuck: std::collections::HashSet<i64>,
    /// Topics not covered by a meeting this half-year up to today.
    uncovered: Vec<i64>,
}

/// Reads the proposal for the ward's next meeting.
async fn agenda(state: &AppState, ward: &WardRead) -> poem::Result<Agenda> {
    let today = state.clock.today();
    let period = crate::calendar::Period::containing(today);
    let (stuck, covered) = tokio::try_join!(
        crate::progress::store::stuck(&state.db, ward, today),
        super::store::covered_topics(&state.db, Some(ward.ward_id()), period.start(), today),
    )
    .map_err(fail)?;
    let covered: std::collections::HashSet<i64> = covered.iter().map(|(_, t)| *t).collect();
    Ok(Agenda {
        on: true,
        stuck: stuck.iter().map(|r| r.id).collect(),
        uncovered: (1..=10).filter(|t| !covered.contains(t)).collect(),
    })
}

/// One input of a countermeasure under review, named `cm-{id}-{field}`.
struct ReviewField {
    name: String,
    value: String,
    error: Option<String>,
    /// `aria-invalid` and `aria-describedby` when it has an error.
    aria: String,
    err_id: String,
}

impl ReviewField {
    fn new(form: &FormData, errors: &Errors, id: i64, field: &str) -> Self {
        let name = change_field(id, field);
        Self {
            value: form.value(&name).to_string(),
            error: errors.get(&name),
            aria: errors.aria(&name),
            err_id: errors.err_id(&name),
            name,
        }
    }
}

/// An open countermeasure on the meeting form, with the inputs of its next step.
struct ReviewRow {
    id: i64,
    title: String,
    topic: String,
    badge: Badge,
    owner: String,
    due: String,
    overdue: bool,
    /// The stage a step would reach.
    next: Badge,
    /// Proposed for this meeting: 評価期限超過 or 停滞.
    proposed: Option<&'static str>,
    to: ReviewField,
    checked: bool,
    owner_member_id: ReviewField,
    owners: Vec<Choice>,
    evaluation_due_on: ReviewField,
    evaluation: ReviewField,
    improvement: ReviewField,
    verdict: ReviewField,
    /// The verdict's choices, 「A 達成」…, with the one sent selected.
    verdicts: Vec<Choice>,
    verdict_reason: ReviewField,
    note: ReviewField,
}

/// The ward's countermeasures a meeting can carry forward: open, and with a
/// next stage on the ladder (評価改善 has none: a new round is a re-plan,
/// done on the countermeasure's page with its reason).
async fn reviewable(state: &AppState, ward: &WardRead) -> poem::Result<Vec<Countermeasure>> {
    let open = crate::countermeasures::store::list(
        &state.db,
        ward,
        CountermeasureQuery::default(),
        state.clock.today(),
        Paging::all(),
    )
    .await
    .map_err(fail)?;
    Ok(open
        .items
        .into_iter()
        .filter(|c| c.stage.next().is_some())
        .collect())
}

/// Each reviewable countermeasure's current owner and due date, as the
/// initial values of its 具体化 inputs.
fn review_defaults(form: &mut FormData, open: &[Countermeasure]) {
    for c in open {
        if let Some(o) = c.owner_member_id {
            form.set(&change_field(c.id, "owner_member_id"), o.to_string());
        }
        if let Some(d) = c.evaluation_due_on {
            form.set(&change_field(c.id, "evaluation_due_on"), d.to_string());
        }
    }
}

fn review_rows(
    form: &FormData,
    errors: &Errors,
    open: &[Countermeasure],
    members: &[Member],
    agenda: &Agenda,
) -> Vec<ReviewRow> {
    let names = crate::members::names(members);
    let mut rows: Vec<ReviewRow> = open
        .iter()
        .filter_map(|c| {
            let next = c.stage.next()?;
            let owner_key = change_field(c.id, "owner_member_id");
            let owners = choices(
                form,
                &owner_key,
                members
                    .iter()
                    .filter(|m| m.active || Some(m.id) == c.owner_member_id)
                    .map(|m| (m.id.to_string(), m.name.clone())),
            );
            Some(ReviewRow {
                id: c.id,
                title: c.title.clone(),
                topic: topic_label(c.topic),
                badge: badge(c.stage),
                owner: c
                    .owner_member_id
                    .and_then(|o| names.get(&o).cloned())
                    .unwrap_or_else(|| "未設定".into()),
                due: c
                    .evaluation_due_on
                    .map(date_label)
                    .unwrap_or_else(|| "未設定".into()),
                overdue: c.overdue,
                next: badge(next),
                proposed: if !agenda.on {
                    None
                } else if c.overdue {
                    Some("評価期限超過")
                } else if agenda.stuck.contains(&c.id) {
                    Some("停滞")
                } else {
                    None
                },
                checked: form.non_empty(&change_field(c.id, "to")).is_some(),
                to: ReviewField::new(form, errors, c.id, "to"),
                owner_member_id: ReviewField::new(form, errors, c.id, "owner_member_id"),
                owners,
                evaluation_due_on: ReviewField::new(form, errors, c.id, "evaluation_due_on"),
                evaluation: ReviewField::new(form, errors, c.id, "evaluation"),
                improvement: ReviewField::new(form, errors, c.id, "improvement"),
                verdict: ReviewField::new(form, errors, c.id, "verdict"),
                verdicts: choices(
                    form,
                    &change_field(c.id, "verdict"),
                    crate::countermeasures::Verdict::ALL
                        .iter()
                        .map(|v| (v.as_str().to_string(), v.display())),
                ),
                verdict_reason: ReviewField::new(form, errors, c.id, "verdict_reason"),
                note: ReviewField::new(form, errors, c.id, "note"),
            })
        })
        .collect();
    // Proposed first, overdue before 停滞; the stable sort keeps the list's order.
    rows.sort_by_key(|r| match r.proposed {
        Some("評価期限超過") => 0,
        Some(_) => 1,
        None => 2,
    });
    rows
}

async fn form_page(
    state: &AppState,
    scope: &WardRead,
    ward: &Ward,
    meeting: Option<&Meeting>,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let members = crate::members::store::list(&state.db, scope, false, Paging::all())
        .await
        .map_err(fail)?;
    // Active members, plus former members already recorded as attending.
    let attending = form.all("attendee_ids");
    let attendee_options = members
        .items
        .iter()
        .filter(|m| m.active || attending.contains(&m.id.to_string().as_str()))
        .map(|m| {
            let label = if m.organization.is_empty() {
                m.name.clone()
            } else {
                format!("{}（{}）", m.name, m.organization)
            };
            (m.id.to_string(), label)
        })
        .collect::<Vec<_>>();
    let (title, action, cancel) = match meeting {
        Some(m) => (
            format!("会議の編集（{}）", m.title),
            format!("/meetings/{}/edit", m.id),
            format!("/meetings/{}", m.id),
        ),
        None => (
            "会議の記録".to_string(),
            format!("/wards/{}/meetings/new", ward.id),
            format!("/wards/{}/meetings", ward.id),
        ),
    };
    let open = reviewable(state, scope).await?;
    // Proposals are for a meeting being recorded, not one being corrected.
    let agenda = match meeting {
        None => agenda(state, scope).await?,
        Some(_) => Agenda::default(),
    };
    let review = review_rows(&form, &errors, &open, &members.items, &agenda);
    let count = |what: &str| review.iter().filter(|r| r.proposed == Some(what)).count();
    let (proposed_overdue, proposed_stuck) = (count("評価期限超過"), count("停滞"));
    let (proposed_topics, topics): (Vec<Choice>, Vec<Choice>) =
        topic_choices(&form, "topics").into_iter().partition(|t| {
            t.value
                .parse::<i64>()
                .is_ok_and(|n| agenda.uncovered.contains(&n))
        });
    let page = FormPage {
        layout: Layout::in_ward(title, ward, "meetings")
            .crumb(format!("/wards/{}/meetings", ward.id), "会議"),
        action,
        cancel,
        kinds: choices(
            &form,
            "kind",
            MeetingKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), k.as_str().to_string())),
        ),
        proposed_topics,
        topics,
        attendees: choices(&form, "attendee_ids", attendee_options),
        review,
        proposed_overdue,
        proposed_stuck,
        form,
        errors,
    };
    render_with_status(&page, status)
}

fn meeting_values(m: &Meeting) -> FormData {
    let mut pairs = vec![
        ("held_on", m.held_on.to_string()),
        ("title", m.title.clone()),
        ("kind", m.kind.as_str().to_string()),
        ("minutes", m.minutes.clone()),
    ];
    pairs.extend(m.topics.iter().map(|t| ("topics", t.to_string())));
    pairs.extend(
        m.attendee_ids
            .iter()
            .map(|a| ("attendee_ids", a.to_string())),
    );
    FormData::from_pairs(pairs)
}

fn read_form(
    form: &FormData,
    ward_id: i64,
    today: chrono::NaiveDate,
) -> Result<NewMeeting, AppError> {
    let mut p = FieldParser::default();
    let held_on = p.required_date(form, "held_on", "開催日");
    let kind = p.required_label(form, "kind", "種別", MeetingKind::parse);
    let topics = p.numbers(form, "topics", "会議の内容");
    let attendee_ids = p.numbers(form, "attendee_ids", "出席者");
    let new = NewMeeting {
        held_on: held_on.unwrap_or(today),
        title: p.text(form, "title", "会議名"),
        kind: kind.unwrap_or(MeetingKind::Other),
        topics,
        attendee_ids,
        minutes: p.text(form, "minutes", "議事録"),
    };
    if p.is_ok() {
        Ok(new)
    } else {
        Err(p.into_error(form, new.to_meeting(ward_id)))
    }
}

/// The stage changes ticked on the form: every `cm-{id}-to` with a value,
/// whichever countermeasure it names (the store refuses another ward's).
fn read_changes(form: &FormData) -> Result<Vec<StageChange>, AppError> {
    let mut p = FieldParser::default();
    let mut changes = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for id in form
        .keys()
        .filter_map(|k| k.strip_prefix("cm-")?.strip_suffix("-to")?.parse().ok())
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in ids {
        let key = |field: &str| change_field(id, field);
        if form.non_empty(&key("to")).is_none() {
            continue;
        }
        let to = p.label(form, &key("to"), "進める段階", Stage::parse);
        let owner_member_id = p.number(form, &key("owner_member_id"), "担当者");
        let evaluation_due_on = p.date(form, &key("evaluation_due_on"), "評価予定日");
        let evaluation = p.optional_text(form, &key("evaluation"), "評価");
        let improvement = p.optional_text(form, &key("improvement"), "改善");
        let verdict = p.label(
            form,
            &key("verdict"),
            "達成度",
            crate::countermeasures::Verdict::parse_loose,
        );
        let verdict_reason = p.optional_text(form, &key("verdict_reason"), "達成度の理由");
        let note = p.optional_text(form, &key("note"), "メモ");
        if let Some(to) = to {
            changes.push(StageChange {
                countermeasure_id: id,
                to,
                owner_member_id,
                evaluation_due_on,
                evaluation,
                improvement,
                verdict,
                verdict_reason,
                note,
            });
        }
    }
    if p.is_ok() {
        Ok(changes)
    } else {
        Err(p.into_error(form, Ok::<(), AppError>(())))
    }
}

/// The meeting and its stage changes as read from the form, or every
/// problem of both at once.
fn read_all(
    form: &FormData,
    ward_id: i64,
    today: chrono::NaiveDate,
) -> Result<(NewMeeting, Vec<StageChange>), AppError> {
    match (read_form(form, ward_id, today), read_changes(form)) {
        (Ok(m), Ok(c)) => Ok((m, c)),
        (m, c) => {
            let mut fields = Vec::new();
            for e in [m.err(), c.err()].into_iter().flatten() {
                fields.extend(e.field_errors().iter().cloned());
            }
            Err(AppError::Invalid(fields))
        }
    }
}

#[handler]
pub async fn new_form(Data(state): Data<&AppState>, scope: WardWrite) -> PageResult {
    let scope = scope.read();
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    let mut form = FormData::from_pairs([
        ("held_on", state.clock.today().to_string()),
        ("kind", MeetingKind::Council.as_str().to_string()),
    ]);
    review_defaults(&mut form, &reviewable(state, &scope).await?);
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
    let result = match read_all(&form, id, state.clock.today()) {
        Ok((new, changes)) => {
            super::store::create_deciding(&state.db, &scope, &new, &changes, state.clock.now())
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => see_other(format!("/meetings/{}", m.id)),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            form_page(state, &scope.read(), &ward, None, form, errors, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn edit_form(Data(state): Data<&AppState>, scope: MeetingWrite) -> PageResult {
    let meeting = super::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let ward_scope = scope.ward_read();
    let ward = wards::store::get(&state.db, &ward_scope)
        .await
        .map_err(fail)?;
    let mut form = meeting_values(&meeting);
    review_defaults(&mut form, &reviewable(state, &ward_scope).await?);
    form_page(
        state,
        &ward_scope,
        &ward,
        Some(&meeting),
        form,
        Errors::none(""),
        StatusCode::OK,
    )
    .await
}

#[handler]
pub async fn update(
    Data(state): Data<&AppState>,
    scope: MeetingWrite,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.id();
    let meeting = super::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let ward = wards::store::get(&state.db, &scope.ward_read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_all(&form, ward.id, state.clock.today()) {
        Ok((new, changes)) => {
            let patch = MeetingPatch {
                held_on: Some(new.held_on),
                title: Some(new.title),
                kind: Some(new.kind),
                topics: Some(new.topics),
                attendee_ids: Some(new.attendee_ids),
                minutes: MaybeUndefined::Value(new.minutes),
            };
            super::store::update_deciding(&state.db, &scope, &patch, &changes, state.clock.now())
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/meetings/{id}")),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            let ward_scope = scope.ward_read();
            form_page(
                state,
                &ward_scope,
                &ward,
                Some(&meeting),
                form,
                errors,
                e.status(),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}

struct DecidedRow {
    id: i64,
    title: String,
    badge: Badge,
    archived: bool,
}

struct StepRow {
    id: i64,
    title: String,
    from: Option<Badge>,
    to: Option<Badge>,
}

#[derive(Template)]
#[template(path = "meetings/detail.html")]
struct DetailPage {
    layout: Layout,
    meeting: Meeting,
    held_on: String,
    topics: Vec<String>,
    attendees: Vec<String>,
    decided: Vec<DecidedRow>,
    /// Countermeasures whose stage this meeting changed.
    steps: Vec<StepRow>,
    /// Why the last delete request was refused.
    refusal: Option<String>,
}

async fn detail_page(
    state: &AppState,
    scope: &MeetingRead,
    refusal: Option<&AppError>,
) -> PageResult {
    let meeting = super::store::get(&state.db, scope).await.map_err(fail)?;
    let ward_scope = scope.ward_read();
    let ward = wards::store::get(&state.db, &ward_scope)
        .await
        .map_err(fail)?;
    // Only what the page prints: the attendees' names and the
    // countermeasures this meeting decided.
    let names = super::store::attendee_names(&state.db, scope)
        .await
        .map_err(fail)?;
    let decided = crate::countermeasures::store::decided_at(&state.db, scope, state.clock.today())
        .await
        .map_err(fail)?;
    let steps = crate::countermeasures::store::steps_at_meeting(&state.db, scope)
        .await
        .map_err(fail)?;
    let page = DetailPage {
        steps: steps
            .into_iter()
            .map(|s| StepRow {
                id: s.countermeasure_id,
                title: s.title,
                from: s.from.map(badge),
                to: s.to.map(badge),
            })
            .collect(),
        layout: Layout::in_ward(meeting.title.clone(), &ward, "meetings")
            .crumb(format!("/wards/{}/meetings", ward.id), "会議"),
        held_on: date_label(meeting.held_on),
        topics: meeting.topics.iter().map(|t| topic_label(*t)).collect(),
        attendees: meeting
            .attendee_ids
            .iter()
            .map(|a| {
                names
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| format!("委員(ID {a})"))
            })
            .collect(),
        decided: decided
            .iter()
            .map(|c| DecidedRow {
                id: c.id,
                title: c.title.clone(),
                badge: badge(c.stage),
                archived: c.archived,
            })
            .collect(),
        refusal: refusal.map(AppError::public_message),
        meeting,
    };
    let status = refusal.map(AppError::status).unwrap_or(StatusCode::OK);
    render_with_status(&page, status)
}

#[handler]
pub async fn detail(Data(state): Data<&AppState>, scope: MeetingRead) -> PageResult {
    detail_page(state, &scope, None).await
}

#[handler]
pub async fn delete(Data(state): Data<&AppState>, scope: MeetingWrite) -> PageResult {
    match super::store::delete(&state.db, &scope, state.clock.now()).await {
        Ok(()) => see_other(format!("/wards/{}/meetings", scope.ward_id())),
        Err(e) if is_form_error(&e) => detail_page(state, &scope.read(), Some(&e)).await,
        Err(e) => Err(fail(e)),
    }
}

// ---------------------------------------------------------------------------
// The calendar feed: its page for the ward, and the feed itself.

/// `/calendar.ics?token=TOKEN`: the iCal feed. The token rides in the query
/// string because the request log records paths but never query strings,
/// and the token is a credential. Unknown tokens are 404 like any page.
#[handler]
pub async fn calendar(Data(state): Data<&AppState>, uri: &Uri) -> PageResult {
    let query = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let token = query.value("token");
    if token.is_empty() {
        return Err(fail(AppError::NotFound("カレンダー")));
    }
    let (name, events) = super::ical::events(&state.db, token, &state.config.base_url)
        .await
        .map_err(fail)?;
    let body = super::ical::render(&name, &events, state.clock.now());
    Ok(poem::Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .header("cache-control", "private, max-age=900")
        .body(body))
}

/// The ward's calendar subscription page.
#[derive(Template)]
#[template(path = "meetings/calendar_feed.html")]
struct CalendarFeedPage {
    layout: Layout,
    ward_id: i64,
    /// The URL just issued: shown once, as the token is not kept readable.
    url: Option<String>,
}

fn calendar_feed_page(ward: &Ward, url: Option<String>) -> PageResult {
    let page = CalendarFeedPage {
        layout: Layout::in_ward(format!("{} カレンダー購読", ward.name), ward, "dashboard").crumb(
            format!("/wards/{}/calendar-feed", ward.id),
            "カレンダー購読",
        ),
        ward_id: ward.id,
        url,
    };
    Ok(render(&page)?.into_response())
}

/// `/wards/{id}/calendar-feed`: explains the ward's calendar subscription
/// and offers to issue its URL.
#[handler]
pub async fn calendar_feed_form(Data(state): Data<&AppState>, scope: WardRead) -> PageResult {
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    calendar_feed_page(&ward, None)
}

/// Issues a new URL for the ward's feed (the previous one stops working).
#[handler]
pub async fn issue_calendar_feed(Data(state): Data<&AppState>, scope: WardWrite) -> PageResult {
    let ward = wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let token = super::ical::issue(
        &state.db,
        super::ical::Scope::Ward(scope),
        state.clock.now(),
    )
    .await
    .map_err(fail)?;
    calendar_feed_page(
        &ward,
        Some(super::ical::feed_url(&state.config.base_url, &token)),
    )
}
