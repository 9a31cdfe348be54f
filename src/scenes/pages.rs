//! The scene form of the municipality's plan page (the page itself is
//! `crate::visions::pages::plan_page`): adding a scene of its own.

use poem::handler;
use poem::web::Data;

use crate::access::CityOf;
use crate::calendar::PlanPeriod;
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::text::SingleLine;
use crate::web::page::{Errors, FormData, PageResult, fail, is_form_error, see_other};

/// `POST /municipalities/{id}/scenes`: adds a scene of the municipality's
/// own, back to the plan page of the form's `period`.
#[handler]
pub async fn add_scene(Data(state): Data<&AppState>, city: CityOf, body: Vec<u8>) -> PageResult {
    let form = FormData::parse(&body);
    let period = crate::visions::pages::posted_period(&form)
        .unwrap_or_else(|_| PlanPeriod::containing(state.clock.today()));
    let id = city.municipality_id();
    let name = form.value("name").to_string();
    let result = match SingleLine::parse(name.clone()) {
        Ok(n) => super::store::create(&state.db, &city, &n, state.clock.now()).await,
        Err(e) => Err(AppError::invalid("name", format!("場面の名前に{e}"))),
    };
    match result {
        Ok(_) => see_other(format!(
            "/municipalities/{id}/plan?period={}#scenes",
            period.code()
        )),
        Err(e) if is_form_error(&e) => {
            // A name already in the list is shown beside the field too.
            let shown = match &e {
                AppError::Conflict(m) => AppError::Invalid(vec![FieldError::new("name", m)]),
                _ => AppError::Invalid(e.field_errors().to_vec()),
            };
            let refused = crate::visions::pages::Refused {
                vision: None,
                scene: Some((name, Errors::from_error(&shown, "scene-"))),
            };
            crate::visions::pages::plan_page(state, city.plan(), period, refused, false, e.status())
                .await
        }
        Err(e) => Err(fail(e)),
    }
}
