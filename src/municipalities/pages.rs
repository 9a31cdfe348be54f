//! Setting up the city: a municipality registered with its wards (adding
//! and editing a ward later is the ward's: `wards::pages`), and the home
//! and city views.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, IntoResponse, handler};

use super::{NewMunicipality, store};
use crate::countermeasures::pages::badge;
use crate::error::{AppError, FieldError};
use crate::municipalities;
use crate::state::AppState;
use crate::text::{MultiLine, SingleLine};
use crate::topics::TOPICS;
use crate::wards;
use crate::web::page::{
    Badge, Errors, FieldParser, FormData, Layout, PageResult, date_label, fail, is_form_error,
    reader_writes_city, render, render_with_status, see_other,
};

#[derive(Template)]
#[template(path = "municipalities/form.html")]
struct MunicipalityForm {
    layout: Layout,
    form: FormData,
    errors: Errors,
}

#[handler]
pub async fn new_form() -> PageResult {
    let page = MunicipalityForm {
        layout: Layout::new("自治体の登録"),
        form: FormData::default(),
        errors: Errors::none(""),
    };
    render_with_status(&page, StatusCode::OK)
}

/// Ward names, one per line, each with the line number it was typed on;
/// blank lines are ignored.
fn ward_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| (n, l.to_string()))
        .collect()
}

/// The rules name a bad ward by its place in the list (`wards[2]`); the form
/// shows it beside the text area, by the line it was typed on.
fn errors_by_line(err: &AppError, lines: &[(usize, String)]) -> Errors {
    let mut errors = Errors::from_error(err, "");
    for f in &mut errors.fields {
        let index = f
            .field
            .strip_prefix("wards[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(i) = index {
            let line = lines.get(i).map_or(i + 1, |(n, _)| *n);
            *f = FieldError::new("wards", format!("{line}行目: {}", f.message));
        }
    }
    errors
}

#[handler]
pub async fn create(
    Data(state): Data<&AppState>,
    operator: crate::access::Installation,
    body: Body,
) -> PageResult {
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let name = p.text(&form, "name", "自治体名");
    // The text area as a whole may hold line breaks; each line is one name.
    let wards_text: MultiLine = p.text(&form, "wards", "区");
    let lines = ward_lines(&wards_text);
    let mut wards = Vec::with_capacity(lines.len());
    for (n, line) in &lines {
        match SingleLine::parse(line.as_str()) {
            Ok(w) => wards.push(w),
            Err(e) => {
                p.errors
                    .push(FieldError::new("wards", format!("{n}行目: 区の名称に{e}")));
                // Keeps the places of the later lines for the rules' messages.
                wards.push(SingleLine::lossy(line));
            }
        }
    }
    let new = NewMunicipality { name, wards };
    let result = if p.is_ok() {
        store::create(&state.db, &operator, &new, state.clock.now()).await
    } else {
        Err(p.into_error(&form, new.validate()))
    };
    match result {
        Ok(m) => see_other(format!("/city/{}", m.id)),
        Err(e) if is_form_error(&e) => {
            let page = MunicipalityForm {
                layout: Layout::new("自治体の登録"),
                errors: errors_by_line(&e, &lines),
                form,
            };
            render_with_status(&page, e.status())
        }
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ward_names_come_one_per_line() {
        assert_eq!(
            ward_lines("北区\r\n\n 都島区 \n"),
            vec![(1, "北区".to_string()), (3, "都島区".to_string())]
        );
    }
}

// ---------------------------------------------------------------------------
// Home and city view

struct HomeMunicipality {
    municipality: municipalities::Municipality,
    wards: Vec<wards::Ward>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    municipalities: Vec<HomeMunicipality>,
    /// Links to account management and the audit log (city accounts).
    can_manage: bool,
    /// Links to the city views (city-level accounts).
    city_level: bool,
    /// Links to registering a municipality (the installation's operator).
    operator: bool,
}

#[handler]
pub async fn home(Data(state): Data<&AppState>, req: &poem::Request) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let visible = crate::access::visible(&actor);
    let all_wards = wards::store::list(&state.db, visible, None)
        .await
        .map_err(fail)?;
    let list = municipalities::store::list(&state.db, visible)
        .await
        .map_err(fail)?;
    let municipalities = list
        .into_iter()
        .map(|m| HomeMunicipality {
            wards: all_wards
                .iter()
                .filter(|w| w.municipality_id == m.id)
                .cloned()
                .collect(),
            municipality: m,
        })
        .collect();
    let mut layout = Layout::new("在宅医療・介護連携推進事業 進捗管理");
    layout.crumbs.clear();
    Ok(render(&HomePage {
        layout,
        municipalities,
        can_manage: actor.can_manage_accounts(),
        city_level: actor.is_city_level(),
        operator: crate::access::installation(&actor).is_ok(),
    })?
    .into_response())
}

struct CityCell {
    topic: i64,
    covered: bool,
    badge: Badge,
}

struct CityRow {
    ward: wards::Ward,
    cells: Vec<CityCell>,
    overdue_count: i64,
    upcoming_count: i64,
}

#[derive(Template)]
#[template(path = "city.html")]
struct CityPage {
    layout: Layout,
    municipality: municipalities::Municipality,
    period_label: String,
    today: String,
    topics: Vec<(i64, String)>,
    rows: Vec<CityRow>,
    covered_totals: Vec<usize>,
    /// The reader may add wards (the city).
    writes: bool,
}

#[handler]
pub async fn city_view(Data(state): Data<&AppState>, scope: crate::access::CityRead) -> PageResult {
    let id = scope.municipality_id();
    let municipality = municipalities::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let ward_list = wards::store::list(&state.db, scope.wards(), None)
        .await
        .map_err(fail)?;
    let today = state.clock.today();
    let boards = crate::dashboard::store::for_wards(&state.db, ward_list, today, false)
        .await
        .map_err(fail)?;
    let period_label = crate::calendar::Period::containing(today).label();
    let rows: Vec<CityRow> = boards
        .into_iter()
        .map(|b| CityRow {
            cells: b
                .topics
                .iter()
                .map(|t| CityCell {
                    topic: t.topic,
                    covered: t.covered,
                    badge: badge(t.stage),
                })
                .collect(),
            overdue_count: b.overdue_count,
            upcoming_count: b.upcoming_count,
            ward: b.ward,
        })
        .collect();
    let covered_totals = (0..TOPICS.len())
        .map(|i| rows.iter().filter(|r| r.cells[i].covered).count())
        .collect();
    let layout = Layout::new(format!("{} 全区の状況", municipality.name))
        .crumb(format!("/city/{id}"), municipality.name.clone());
    Ok(render(&CityPage {
        layout,
        period_label,
        today: date_label(today),
        topics: TOPICS
            .iter()
            .map(|t| (i64::from(t.number), t.label.to_string()))
            .collect(),
        rows,
        covered_totals,
        writes: reader_writes_city(municipality.id),
        municipality,
    })?
    .into_response())
}
