//! `/wards/{id}/consultations` (the ward against the city, with the 件/月
//! trend) and `/city/{id}/consultations` (the wards side by side), with
//! their CSV: `/wards/{id}/consultations.csv` (shares),
//! `/wards/{id}/consultations-trend.csv` (件/月) and
//! `/city/{id}/consultations.csv`. All take `?period=2026H1`; the ward's
//! also `&halves=6`; CSV `&encoding=sjis`.

use askama::Template;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};

use super::{CityConsultations, Compact, WardConsultations};
use crate::access::{CityRead, WardRead};
use crate::calendar::Period;
use crate::charts::trend::{Bar, Bars, rate_bars, short_period};
use crate::report::pages::{csv_fail, csv_fail_at};
use crate::spreadsheet::{self, Encoding, Table};
use crate::state::AppState;
use crate::trends::pages::HalvesQuery;
use crate::web::page::{Errors, Layout, PageResult, fail, render};

/// One table of shares (相談者別 / 相談内容別).
struct ShareSection {
    title: &'static str,
    lines: Vec<super::ShareLine>,
    ward_total: Option<i64>,
    city_total: i64,
}

#[derive(Template)]
#[template(path = "consultations.html")]
struct WardPage {
    sections: Vec<ShareSection>,
    layout: Layout,
    ward_id: i64,
    q: HalvesQuery,
    errors: Errors,
    c: WardConsultations,
    consultations_compact: Compact,
    chart: String,
    csv_query: String,
}

/// The 件/月 bars of the trend, drawn from the exact fractions (the
/// counts over the months), labelled with the rounded text.
fn chart(c: &WardConsultations) -> Bars {
    Bars {
        id: "consultation-rate".into(),
        title: format!("{} 相談件数（相談内容）の推移（件/月）", c.ward_name),
        description: format!(
            "{}の各半期の相談内容の件数を、相談支援室の開設月数で割った件/月を棒で、市全体（提出済みの区の合計を月数の合計で割った1区あたりの件/月）を破線で示します。未回答の半期は棒がありません。同じ内容の表が下にあります。",
            c.ward_name
        ),
        bar_name: "この区".into(),
        reference_name: "市全体（1区あたり）".into(),
        bars: c
            .trend
            .iter()
            .map(|p| Bar {
                label: short_period(&p.label),
                value: p.contents.zip(p.months).filter(|(_, m)| *m > 0),
                text: p.per_month.clone().unwrap_or_else(|| p.answer.clone()),
                reference: Some((p.city_contents, p.city_months)).filter(|(_, m)| *m > 0),
            })
            .collect(),
    }
}

/// `GET /wards/{id}/consultations`.
#[handler]
pub async fn ward_page(Data(state): Data<&AppState>, scope: WardRead, req: &Request) -> PageResult {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today).previous(), today);
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let c = super::store::load_for_ward(&state.db, &scope, q.period, q.halves, today)
        .await
        .map_err(fail)?;
    let page = WardPage {
        layout: Layout::in_ward(
            format!("{} 相談の内訳（区と市の比較）", ward.name),
            &ward,
            "consultations",
        ),
        ward_id: ward.id,
        sections: vec![
            ShareSection {
                title: "相談者別内訳",
                lines: c.requesters.clone(),
                ward_total: c.requests_total,
                city_total: c.city.requests_total,
            },
            ShareSection {
                title: "相談内容別内訳",
                lines: c.contents.clone(),
                ward_total: c.contents_total,
                city_total: c.city.contents_total,
            },
        ],
        chart: rate_bars(&chart(&c)),
        consultations_compact: Compact::of(&c),
        csv_query: q.carried(),
        errors: q.errors.clone(),
        q,
        c,
    };
    let status = page.q.status();
    Ok(render(&page)?.with_status(status).into_response())
}

fn send(table: Table, encoding: Encoding, req: &Request, name: &str) -> poem::Result<Response> {
    let bytes = table
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    Ok(spreadsheet::download(bytes, encoding, name))
}

async fn ward_view(
    state: &AppState,
    scope: &WardRead,
    req: &Request,
) -> poem::Result<(WardConsultations, Encoding)> {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today).previous(), today);
    let encoding = Encoding::from_param(q.form.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    q.check().map_err(csv_fail)?;
    let c = super::store::load_for_ward(&state.db, scope, q.period, q.halves, today)
        .await
        .map_err(fail)?;
    Ok((c, encoding))
}

/// `GET /wards/{id}/consultations.csv`: the shares, one line per requester
/// and content.
#[handler]
pub async fn ward_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &Request,
) -> poem::Result<Response> {
    let (c, encoding) = ward_view(state, &scope, req).await?;
    let name = format!("{}_相談の内訳_{}.csv", c.ward_name, c.period);
    send(super::shares_table(&c), encoding, req, &name)
}

/// `GET /wards/{id}/consultations-trend.csv`: 件/月 per half-year.
#[handler]
pub async fn ward_trend_csv(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &Request,
) -> poem::Result<Response> {
    let (c, encoding) = ward_view(state, &scope, req).await?;
    let name = format!("{}_相談件数の推移_{}.csv", c.ward_name, c.period);
    send(super::trend_table(&c), encoding, req, &name)
}

#[derive(Template)]
#[template(path = "consultations_city.html")]
struct CityPage {
    layout: Layout,
    municipality_id: i64,
    q: HalvesQuery,
    errors: Errors,
    c: CityConsultations,
    csv_query: String,
}

/// `GET /city/{id}/consultations`: the wards side by side.
#[handler]
pub async fn city_page(Data(state): Data<&AppState>, city: CityRead, req: &Request) -> PageResult {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today).previous(), today);
    let municipality = crate::municipalities::store::get(&state.db, &city)
        .await
        .map_err(fail)?;
    let c = super::store::load_for_city(&state.db, &city, q.period, today)
        .await
        .map_err(fail)?;
    let page = CityPage {
        layout: Layout::new(format!("{} 相談の内訳（区の比較）", municipality.name)).crumb(
            format!("/city/{}", municipality.id),
            municipality.name.clone(),
        ),
        municipality_id: municipality.id,
        csv_query: q.carried(),
        errors: q.errors.clone(),
        q,
        c,
    };
    let status = page.q.status();
    Ok(render(&page)?.with_status(status).into_response())
}

/// `GET /city/{id}/consultations.csv`: one line per ward, then 市全体.
#[handler]
pub async fn city_csv(
    Data(state): Data<&AppState>,
    city: CityRead,
    req: &Request,
) -> poem::Result<Response> {
    let today = state.clock.today();
    let q = HalvesQuery::read(req, Period::containing(today).previous(), today);
    let encoding = Encoding::from_param(q.form.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    q.check().map_err(csv_fail)?;
    let municipality = crate::municipalities::store::get(&state.db, &city)
        .await
        .map_err(fail)?;
    let c = super::store::load_for_city(&state.db, &city, q.period, today)
        .await
        .map_err(fail)?;
    let name = format!("{}_相談の内訳_{}.csv", municipality.name, c.period);
    send(super::city_table(&c), encoding, req, &name)
}
