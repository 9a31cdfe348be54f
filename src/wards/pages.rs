//! The ward's pages: adding and editing a ward, and the ward as the page
//! kit sees it. The ward's dashboard is the dashboard's
//! ([`crate::dashboard::pages`]).

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, handler};
use poem_openapi::types::MaybeUndefined;

use super::{NewWard, Ward, WardPatch, store};
use crate::access::{CityOf, WardWrite};
use crate::error::AppError;
use crate::municipalities;
use crate::state::AppState;
use crate::web::page::{
    Errors, FieldParser, FormData, Layout, PageResult, fail, is_form_error, render_with_status,
    see_other,
};

impl crate::web::page::InWard for crate::wards::Ward {
    fn ward_id(&self) -> i64 {
        self.id
    }

    fn ward_name(&self) -> &str {
        &self.name
    }

    fn municipality_id(&self) -> i64 {
        self.municipality_id
    }

    fn municipality_name(&self) -> &str {
        &self.municipality_name
    }
}

// ---------------------------------------------------------------------------
// Adding and editing a ward: the city adds and renames; a secretariat
// changes its ward's display order and secretariat address.

/// The form that adds a ward (the city) or edits one.
#[derive(Template)]
#[template(path = "wards/form.html")]
struct WardForm {
    layout: Layout,
    action: String,
    cancel: String,
    /// Editing an existing ward (shows the display order too).
    editing: bool,
    /// The name field is shown: adding a ward, or the city editing one (a
    /// secretariat changes the display order and its address only).
    can_rename: bool,
    form: FormData,
    errors: Errors,
}

/// `/city/{id}/wards/new`: the form that adds a ward to the municipality.
#[handler]
pub async fn new_ward_form(Data(state): Data<&AppState>, city: CityOf) -> PageResult {
    let m = municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let page = WardForm {
        layout: Layout::new("区の追加").crumb(format!("/city/{}", m.id), m.name.clone()),
        action: format!("/city/{}/wards/new", m.id),
        cancel: format!("/city/{}", m.id),
        editing: false,
        can_rename: true,
        form: FormData::default(),
        errors: Errors::none(""),
    };
    render_with_status(&page, StatusCode::OK)
}

/// Adds the ward and goes to its dashboard; a bad or taken name shows the form again.
#[handler]
pub async fn create_ward(Data(state): Data<&AppState>, city: CityOf, body: Body) -> PageResult {
    let m = municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let new = NewWard {
        municipality_id: m.id,
        name: p.text(&form, "name", "区の名称"),
    };
    let result = if p.is_ok() {
        store::create(&state.db, &city, &new, state.clock.now()).await
    } else {
        Err(p.into_error(&form, new.validate()))
    };
    match result {
        Ok(w) => see_other(format!("/wards/{}", w.id)),
        Err(e) if is_form_error(&e) => {
            let page = WardForm {
                layout: Layout::new("区の追加").crumb(format!("/city/{}", m.id), m.name.clone()),
                action: format!("/city/{}/wards/new", m.id),
                cancel: format!("/city/{}", m.id),
                editing: false,
                can_rename: true,
                errors: Errors::from_error(&e, ""),
                form,
            };
            render_with_status(&page, e.status())
        }
        Err(e) => Err(fail(e)),
    }
}

fn ward_edit_page(
    ward: &Ward,
    can_rename: bool,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let page = WardForm {
        layout: Layout::in_ward(
            if can_rename {
                "区の名称・表示順"
            } else {
                "表示順・事務局のメールアドレス"
            },
            ward,
            "dashboard",
        ),
        action: format!("/wards/{}/edit", ward.id),
        cancel: format!("/wards/{}", ward.id),
        editing: true,
        can_rename,
        form,
        errors,
    };
    render_with_status(&page, status)
}

/// The city's scope over the ward, when the actor has it (it may rename).
fn renamer(req: &poem::Request, ward: &WardWrite) -> Option<CityOf> {
    let actor = crate::web::auth::actor(req).ok()?;
    crate::access::city_of(&actor, ward.municipality_id()).ok()
}

/// `/wards/{id}/edit`: the ward's form; the name field for the city only.
#[handler]
pub async fn edit_ward_form(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    req: &poem::Request,
) -> PageResult {
    let ward = store::get(&state.db, &scope.read()).await.map_err(fail)?;
    let can_rename = renamer(req, &scope).is_some();
    let form = FormData::from_pairs([
        ("name", ward.name.clone()),
        ("sort_order", ward.sort_order.to_string()),
        (
            "secretariat_email",
            ward.secretariat_email.clone().unwrap_or_default(),
        ),
    ]);
    ward_edit_page(&ward, can_rename, form, Errors::none(""), StatusCode::OK)
}

/// Saves the ward's display order and secretariat address (and its name,
/// from the city) and goes back to its dashboard.
#[handler]
pub async fn update_ward(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    req: &poem::Request,
    body: Body,
) -> PageResult {
    let ward = store::get(&state.db, &scope.read()).await.map_err(fail)?;
    let renamer = renamer(req, &scope);
    let can_rename = renamer.is_some();
    let form = FormData::parse(&body.into_vec().await?);
    let sort_order = match form.non_empty("sort_order").map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            let e = AppError::invalid("sort_order", "表示順は整数で入力してください");
            return ward_edit_page(
                &ward,
                can_rename,
                form,
                Errors::from_error(&e, ""),
                e.status(),
            );
        }
    };
    let mut p = FieldParser::default();
    let patch = WardPatch {
        // The name field is on the city's form only.
        name: can_rename.then(|| p.text(&form, "name", "区の名称")),
        sort_order,
        secretariat_email: MaybeUndefined::Value(p.text(
            &form,
            "secretariat_email",
            "事務局のメールアドレス",
        )),
    };
    let result = if p.is_ok() {
        let now = state.clock.now();
        store::update(&state.db, &scope, renamer.as_ref(), &patch, now).await
    } else {
        Err(p.into_error(&form, patch.validate()))
    };
    match result {
        Ok(w) => see_other(format!("/wards/{}", w.id)),
        Err(e) if is_form_error(&e) => ward_edit_page(
            &ward,
            can_rename,
            form,
            Errors::from_error(&e, ""),
            e.status(),
        ),
        Err(e) => Err(fail(e)),
    }
}
