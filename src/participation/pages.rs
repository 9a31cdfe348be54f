//! 多職種の参画状況 pages: `/wards/{id}/participation` (one ward, every
//! kind) and `/city/{id}/participation` (the ward × kind matrix), each with
//! a CSV for Excel beside it (`….csv`, UTF-8 with BOM; `?encoding=sjis`
//! for Shift_JIS, as the report's). `?period=2026H1` picks the half-year
//! (the running one when absent); a bad one is a Japanese 422 page.

use askama::Template;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{CityParticipation, KindFlag, Participation, period_param, store};
use crate::access::{CityRead, WardRead};
use crate::calendar::Period;
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::web::page::{Layout, PageResult, date_label, fail, reader_writes_city, render};

/// The pages' query: the half-year, and the CSV's encoding.
#[derive(Debug, Deserialize)]
pub struct ParticipationQuery {
    period: Option<String>,
    encoding: Option<String>,
}

/// The half-years around the one shown, for the links between them.
struct PeriodNav {
    previous: (String, String),
    next: (String, String),
}

fn nav(period: Period) -> PeriodNav {
    let (p, n) = (period.previous(), period.next());
    PeriodNav {
        previous: (p.code(), p.label()),
        next: (n.code(), n.label()),
    }
}

#[derive(Template)]
#[template(path = "participation_ward.html")]
struct WardPage {
    layout: Layout,
    /// What `participation_compact.html` reads.
    participation: Participation,
    as_of_label: String,
    nav: PeriodNav,
}

/// The half-year the query asks for; a bad code is a Japanese 422 page.
fn period_of(q: &ParticipationQuery, today: chrono::NaiveDate) -> poem::Result<Period> {
    period_param(q.period.as_deref(), today).map_err(csv_fail)
}

/// The CSV download of `table`, in the query's encoding (UTF-8 with BOM
/// unless `?encoding=sjis`), named `{period}_多職種の参画状況_{name}.csv`.
fn csv_download(
    q: &ParticipationQuery,
    req: &poem::Request,
    table: spreadsheet::Table,
    period_label: &str,
    name: &str,
) -> poem::Result<Response> {
    let encoding = Encoding::from_param(q.encoding.as_deref())
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let bytes = table
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    let name = format!("{period_label}_多職種の参画状況_{name}.csv");
    Ok(spreadsheet::download(bytes, encoding, &name))
}

/// `GET /wards/{id}/participation`: one ward's kinds for a half-year.
#[handler]
pub async fn ward_page(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<ParticipationQuery>,
) -> PageResult {
    let today = state.clock.today();
    let period = period_of(&q, today)?;
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let participation = store::for_ward(&state.db, &scope, period, today)
        .await
        .map_err(fail)?;
    let layout = Layout::in_ward(
        format!(
            "{} 多職種の参画状況（{}）",
            ward.name, participation.period_label
        ),
        &ward,
        "participation",
    );
    Ok(render(&WardPage {
        layout,
        as_of_label: date_label(participation.as_of),
        nav: nav(period),
        participation,
    })?
    .into_response())
}

/// `GET /wards/{id}/participation.csv`: the ward's page as CSV.
#[handler]
pub async fn ward_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    Query(q): Query<ParticipationQuery>,
    req: &poem::Request,
) -> poem::Result<Response> {
    let today = state.clock.today();
    let period = period_of(&q, today)?;
    let p = store::for_ward(&state.db, &scope, period, today)
        .await
        .map_err(fail)?;
    csv_download(
        &q,
        req,
        super::ward_table(&p),
        &p.period_label,
        &p.ward.ward_name,
    )
}

/// One cell of the matrix.
struct CellView {
    kind: &'static str,
    attended: i64,
    held: i64,
    percent: Option<String>,
    members: i64,
    flag: Option<KindFlag>,
}

struct RowView {
    ward_id: i64,
    ward_name: String,
    held: i64,
    window: i64,
    cells: Vec<CellView>,
}

#[derive(Template)]
#[template(path = "participation_city.html")]
struct CityPage {
    layout: Layout,
    municipality_id: i64,
    matrix: CityParticipation,
    rows: Vec<RowView>,
    kinds: Vec<&'static str>,
    /// How many wards have no 病院 member (listed first) …
    hospital_without_members: usize,
    /// … and how many have 病院 参画なし (listed next).
    hospital_absent: usize,
    as_of_label: String,
    nav: PeriodNav,
    /// The reader may change the municipality's settings (N is one).
    writes: bool,
}

/// The matrix of the city's pages, with its half-year and municipality (for
/// the title and the CSV's name).
async fn city_matrix(
    state: &AppState,
    city: &CityRead,
    q: &ParticipationQuery,
) -> poem::Result<(
    Period,
    crate::municipalities::Municipality,
    CityParticipation,
)> {
    let today = state.clock.today();
    let period = period_of(q, today)?;
    let municipality = crate::municipalities::store::get(&state.db, city)
        .await
        .map_err(fail)?;
    let matrix = store::for_city(&state.db, city, period, today)
        .await
        .map_err(fail)?;
    Ok((period, municipality, matrix))
}

/// `GET /city/{id}/participation`: the ward × kind matrix, wards without a
/// 病院 member first, then wards whose 病院 is 参画なし.
#[handler]
pub async fn city_page(
    Data(state): Data<&AppState>,
    city: CityRead,
    Query(q): Query<ParticipationQuery>,
) -> PageResult {
    let (period, municipality, matrix) = city_matrix(state, &city, &q).await?;
    let id = city.municipality_id();
    let rows = matrix
        .wards
        .iter()
        .map(|w| RowView {
            ward_id: w.ward_id,
            ward_name: w.ward_name.clone(),
            held: w.meetings_held,
            window: w.absence_window,
            cells: w
                .kinds
                .iter()
                .map(|k| CellView {
                    kind: k.kind.as_str(),
                    attended: k.meetings_attended,
                    held: k.meetings_held,
                    percent: k.attendance_percent.clone(),
                    members: k.members,
                    flag: k.flag,
                })
                .collect(),
        })
        .collect();
    let layout = Layout::new(format!(
        "{} 多職種の参画状況（{}）",
        municipality.name, matrix.period_label
    ))
    .crumb(format!("/city/{id}"), municipality.name.clone());
    Ok(render(&CityPage {
        layout,
        municipality_id: id,
        rows,
        kinds: crate::members::OrganizationKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
        hospital_without_members: matrix
            .wards
            .iter()
            .filter(|w| w.hospital_without_members)
            .count(),
        hospital_absent: matrix.wards.iter().filter(|w| w.hospital_absent).count(),
        as_of_label: date_label(matrix.as_of),
        nav: nav(period),
        writes: reader_writes_city(id),
        matrix,
    })?
    .into_response())
}

/// `GET /city/{id}/participation.csv`: the matrix as CSV, one row per
/// ward and kind, in the page's order.
#[handler]
pub async fn city_csv(
    Data(state): Data<&AppState>,
    city: CityRead,
    Query(q): Query<ParticipationQuery>,
    req: &poem::Request,
) -> poem::Result<Response> {
    let (_, municipality, matrix) = city_matrix(state, &city, &q).await?;
    csv_download(
        &q,
        req,
        super::city_table(&matrix),
        &matrix.period_label,
        &municipality.name,
    )
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::super::{Counts, WardRef, ward};
    use super::Participation;

    /// What the dashboard will do: include the partial beside a field
    /// named `participation`.
    #[derive(Template)]
    #[template(source = "{% include \"participation_compact.html\" %}", ext = "html")]
    struct Probe {
        participation: Participation,
        participation_city: Vec<super::super::KindTotal>,
    }

    fn probe(counts: &Counts) -> String {
        let w = WardRef {
            id: 7,
            name: "北区".into(),
            municipality_id: 1,
        };
        Probe {
            participation: Participation {
                period: "2026H2".into(),
                period_label: "令和8年度下半期".into(),
                as_of: "2026-11-24".parse().unwrap(),
                ward: ward(&w, counts, 3),
            },
            participation_city: Vec::new(),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_compact_partial_names_the_absent_kinds_and_links_the_page() {
        let mut counts = Counts::default();
        counts.held.insert(7, 2);
        counts.recent.insert(7, 2);
        // 病院 has a member who missed both meetings: 参画なし.
        counts.members.insert((7, "病院".into()), 1);
        for kind in crate::members::OrganizationKind::ALL {
            if *kind != crate::members::OrganizationKind::Hospital {
                counts.attended.insert((7, kind.as_str().into()), 1);
                counts.last_rank.insert((7, kind.as_str().into()), 2);
            }
        }
        let html = probe(&counts);
        assert!(
            html.contains("直近2回の会議に出席のない職種（参画なし）：<strong>病院</strong>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"num\">1／2回</td>"), "{html}");
        assert!(html.contains("2回前に出席"), "{html}");
        assert!(html.contains("href=\"/wards/7/participation?period=2026H2\""));
        let empty = probe(&Counts::default());
        assert!(
            empty.contains("2026-11-24までに記録された会議はありません。"),
            "{empty}"
        );
        assert!(!empty.contains("<table"), "{empty}");
    }
}
