//! Meeting pages: the ward's list, one form to record or edit a meeting
//! (topics and attendees as checkboxes), the detail page and deletion.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, handler};
use poem_openapi::types::MaybeUndefined;

use super::store::MeetingQuery;
use super::{Meeting, MeetingKind, MeetingPatch, NewMeeting};
use crate::app::AppState;
use crate::countermeasures::store::CountermeasureQuery;
use crate::error::AppError;
use crate::pages::{
    Badge, Choice, Errors, FieldParser, FormData, Layout, PageResult, badge, choices, date_label,
    fail, is_form_error, member_names, path_id, render, render_with_status, see_other,
    topic_choices, topic_label,
};
use crate::paging::Paging;
use crate::wards::{self, Ward};

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
    meetings: Vec<MeetingRow>,
}

#[handler]
pub async fn list(Data(state): Data<&AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    let ward = wards::store::get(&state.db, id).await.map_err(fail)?;
    let meetings = super::store::list(&state.db, id, MeetingQuery::default(), Paging::all())
        .await
        .map_err(fail)?;
    let page = ListPage {
        layout: Layout::in_ward(format!("{} 会議", ward.name), &ward, "meetings"),
        ward_id: id,
        meetings: meetings
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
            .collect(),
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
    topics: Vec<Choice>,
    attendees: Vec<Choice>,
    errors: Errors,
}

async fn form_page(
    state: &AppState,
    ward: &Ward,
    meeting: Option<&Meeting>,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let members = crate::members::store::list(&state.db, ward.id, false, Paging::all())
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
        topics: topic_choices(&form, "topics"),
        attendees: choices(&form, "attendee_ids", attendee_options),
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
        title: form.value("title").to_string(),
        kind: kind.unwrap_or(MeetingKind::Other),
        topics,
        attendee_ids,
        minutes: form.value("minutes").to_string(),
    };
    if p.is_ok() {
        Ok(new)
    } else {
        Err(p.into_error(new.to_meeting(ward_id)))
    }
}

#[handler]
pub async fn new_form(Data(state): Data<&AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    let ward = wards::store::get(&state.db, id).await.map_err(fail)?;
    let form = FormData::from_pairs([
        ("held_on", state.clock.today().to_string()),
        ("kind", MeetingKind::Council.as_str().to_string()),
    ]);
    form_page(state, &ward, None, form, Errors::none(""), StatusCode::OK).await
}

#[handler]
pub async fn create(
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    body: Vec<u8>,
) -> PageResult {
    let id = path_id(&id)?;
    let ward = wards::store::get(&state.db, id).await.map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_form(&form, id, state.clock.today()) {
        Ok(new) => super::store::create(&state.db, id, &new, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => see_other(format!("/meetings/{}", m.id)),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            form_page(state, &ward, None, form, errors, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn edit_form(Data(state): Data<&AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    let meeting = super::store::get(&state.db, id).await.map_err(fail)?;
    let ward = wards::store::get(&state.db, meeting.ward_id)
        .await
        .map_err(fail)?;
    let form = meeting_values(&meeting);
    form_page(
        state,
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
    Path(id): Path<String>,
    body: Vec<u8>,
) -> PageResult {
    let id = path_id(&id)?;
    let meeting = super::store::get(&state.db, id).await.map_err(fail)?;
    let ward = wards::store::get(&state.db, meeting.ward_id)
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_form(&form, ward.id, state.clock.today()) {
        Ok(new) => {
            let patch = MeetingPatch {
                held_on: Some(new.held_on),
                title: Some(new.title),
                kind: Some(new.kind),
                topics: Some(new.topics),
                attendee_ids: Some(new.attendee_ids),
                minutes: MaybeUndefined::Value(new.minutes),
            };
            super::store::update(&state.db, id, &patch, state.clock.now()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/meetings/{id}")),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            form_page(state, &ward, Some(&meeting), form, errors, e.status()).await
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

#[derive(Template)]
#[template(path = "meetings/detail.html")]
struct DetailPage {
    layout: Layout,
    meeting: Meeting,
    held_on: String,
    topics: Vec<String>,
    attendees: Vec<String>,
    decided: Vec<DecidedRow>,
    /// Why the last delete request was refused.
    refusal: Option<String>,
}

async fn detail_page(state: &AppState, id: i64, refusal: Option<&AppError>) -> PageResult {
    let meeting = super::store::get(&state.db, id).await.map_err(fail)?;
    let ward = wards::store::get(&state.db, meeting.ward_id)
        .await
        .map_err(fail)?;
    let members = crate::members::store::list(&state.db, ward.id, false, Paging::all())
        .await
        .map_err(fail)?;
    let names = member_names(&members.items);
    let today = state.clock.today();
    let query = CountermeasureQuery {
        include_archived: true,
        ..Default::default()
    };
    let all = crate::countermeasures::store::list(&state.db, ward.id, query, today, Paging::all())
        .await
        .map_err(fail)?;
    let page = DetailPage {
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
        decided: all
            .items
            .iter()
            .filter(|c| c.meeting_id == Some(id))
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
pub async fn detail(Data(state): Data<&AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    detail_page(state, id, None).await
}

#[handler]
pub async fn delete(Data(state): Data<&AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id(&id)?;
    let meeting = super::store::get(&state.db, id).await.map_err(fail)?;
    match super::store::delete(&state.db, id, state.clock.now()).await {
        Ok(()) => see_other(format!("/wards/{}/meetings", meeting.ward_id)),
        Err(e) if is_form_error(&e) => detail_page(state, id, Some(&e)).await,
        Err(e) => Err(fail(e)),
    }
}
