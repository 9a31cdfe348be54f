//! Committee member pages: the ward's roster, and one form to add or edit.

use askama::Template;
use poem::http::{StatusCode, Uri};
use poem::web::Data;
use poem::{IntoResponse, handler};
use poem_openapi::types::MaybeUndefined;

use super::{Member, MemberPatch, NewMember, OrganizationKind};
use crate::access::{MemberWrite, WardRead, WardWrite};
use crate::error::AppError;
use crate::state::AppState;
use crate::wards::{self, Ward};
use crate::web::page::{
    Choice, Errors, ExportLinks, FieldParser, FormData, Layout, PageResult, Pager, choices, fail,
    is_form_error, page_number, page_paging, render, render_with_status, see_other,
};

#[derive(Template)]
#[template(path = "members/list.html")]
struct ListPage {
    layout: Layout,
    ward_id: i64,
    active_only: bool,
    members: Vec<Member>,
    pager: Pager,
    export: ExportLinks,
}

/// The list's filter as sent: `active_only` (present and not empty) hides
/// former members. The CSV export reads its filter with this too.
pub fn list_active_only(filter: &FormData) -> bool {
    filter.non_empty("active_only").is_some()
}

/// `/wards/{id}/members`: one page of the ward's roster, active members
/// first (filter and `page` in the query).
#[handler]
pub async fn list(Data(state): Data<&AppState>, scope: WardRead, uri: &Uri) -> PageResult {
    let id = scope.ward_id();
    let ward = wards::store::get(&state.db, &scope).await.map_err(fail)?;
    let filter = FormData::parse(uri.query().unwrap_or("").as_bytes());
    let path = format!("/wards/{id}/members");
    let page = page_number(&path, &filter)?;
    let active_only = list_active_only(&filter);
    let members = super::store::list(&state.db, &scope, active_only, page_paging(page))
        .await
        .map_err(fail)?;
    let page = ListPage {
        layout: Layout::in_ward(format!("{} 委員", ward.name), &ward, "members"),
        ward_id: id,
        active_only,
        pager: Pager::new(&path, &filter, page, members.total, members.items.len()),
        export: ExportLinks::new(&format!("/wards/{id}/members.csv"), &filter),
        members: members.items,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "members/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    cancel: String,
    form: FormData,
    kinds: Vec<Choice>,
    errors: Errors,
}

fn form_page(
    ward: &Ward,
    member: Option<&Member>,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let (title, action) = match member {
        Some(m) => (
            format!("委員の編集（{}）", m.name),
            format!("/members/{}/edit", m.id),
        ),
        None => (
            "委員の追加".to_string(),
            format!("/wards/{}/members/new", ward.id),
        ),
    };
    let page = FormPage {
        layout: Layout::in_ward(title, ward, "members")
            .crumb(format!("/wards/{}/members", ward.id), "委員"),
        action,
        cancel: format!("/wards/{}/members", ward.id),
        kinds: choices(
            &form,
            "organization_kind",
            OrganizationKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), k.as_str().to_string())),
        ),
        form,
        errors,
    };
    render_with_status(&page, status)
}

fn member_values(m: &Member) -> FormData {
    let mut form = FormData::from_pairs([
        ("name", m.name.clone()),
        ("organization", m.organization.clone()),
        (
            "organization_kind",
            m.organization_kind.as_str().to_string(),
        ),
        ("email", m.email.clone().unwrap_or_default()),
    ]);
    if m.active {
        form.set("active", "1");
    }
    form
}

/// The form's fields as a new member; unreadable choices become field errors.
fn read_form(form: &FormData) -> Result<NewMember, AppError> {
    let mut p = FieldParser::default();
    let kind = p.required_label(
        form,
        "organization_kind",
        "所属種別",
        OrganizationKind::parse,
    );
    let new = NewMember {
        name: p.text(form, "name", "氏名"),
        organization: p.text(form, "organization", "所属"),
        organization_kind: kind.unwrap_or(OrganizationKind::Other),
        email: p.optional_text(form, "email", "メールアドレス"),
        active: form.checked("active"),
    };
    if p.is_ok() {
        Ok(new)
    } else {
        Err(p.into_error(form, new.to_member(0)))
    }
}

#[handler]
pub async fn new_form(Data(state): Data<&AppState>, scope: WardWrite) -> PageResult {
    let ward = wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let form = FormData::from_pairs([("active", "1")]);
    form_page(&ward, None, form, Errors::none(""), StatusCode::OK)
}

#[handler]
pub async fn create(Data(state): Data<&AppState>, scope: WardWrite, body: Vec<u8>) -> PageResult {
    let id = scope.ward_id();
    let ward = wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_form(&form) {
        Ok(new) => super::store::create(&state.db, &scope, &new, state.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/wards/{id}/members")),
        Err(e) if is_form_error(&e) => {
            form_page(&ward, None, form, Errors::from_error(&e, ""), e.status())
        }
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn edit_form(Data(state): Data<&AppState>, scope: MemberWrite) -> PageResult {
    let member = super::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let ward = wards::store::get(&state.db, &scope.ward_read())
        .await
        .map_err(fail)?;
    let form = member_values(&member);
    form_page(&ward, Some(&member), form, Errors::none(""), StatusCode::OK)
}

#[handler]
pub async fn update(Data(state): Data<&AppState>, scope: MemberWrite, body: Vec<u8>) -> PageResult {
    let member = super::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let ward = wards::store::get(&state.db, &scope.ward_read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let result = match read_form(&form) {
        Ok(new) => {
            let patch = MemberPatch {
                name: Some(new.name),
                organization: Some(new.organization),
                organization_kind: Some(new.organization_kind),
                email: match new.email {
                    Some(e) => MaybeUndefined::Value(e),
                    None => MaybeUndefined::Null,
                },
                active: Some(new.active),
            };
            super::store::update(&state.db, &scope, &patch, state.clock.now()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/wards/{}/members", ward.id)),
        Err(e) if is_form_error(&e) => form_page(
            &ward,
            Some(&member),
            form,
            Errors::from_error(&e, ""),
            e.status(),
        ),
        Err(e) => Err(fail(e)),
    }
}
