//! The pages of 評価指標: the municipality's list by level with the city's
//! form to add one and the values CSV (export for every reader, import for
//! those who record values); one indicator with its definition, baseline
//! and target, each ward's values as a line chart and a table, the value
//! form (a ward's secretariat for its ward, the city for every ward and
//! 市全体) and the city's edit form.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, handler};
use poem_openapi::types::MaybeUndefined;

use super::{
    CITY_WIDE, DataSource, Direction, Frequency, Indicator, IndicatorPatch, Level, MeasuredValue,
    NewIndicator, PointInput, ValueInput, store, writers,
};
use crate::access::{self, CityOf, IndicatorRead, IndicatorWrite, PlanRead};
use crate::charts::line::{Lines, Reference, Series};
use crate::error::{AppError, AppResult, FieldError};
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::text::{MultiLine, SingleLine};
use crate::web::page::{
    Choice, Errors, FieldParser, FormData, Layout, PageResult, choices, fail, is_form_error,
    reader_writes, reader_writes_city, render_with_status, see_other,
};

/// Options of a label catalogue, the form's value selected.
fn options<T: Copy>(
    form: &FormData,
    key: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    shown: fn(T) -> &'static str,
) -> Vec<Choice> {
    choices(
        form,
        key,
        all.iter()
            .map(|&v| (code(v).to_string(), shown(v).to_string())),
    )
}

/// The choices of the indicator form.
struct FormChoices {
    levels: Vec<Choice>,
    sources: Vec<Choice>,
    directions: Vec<Choice>,
    frequencies: Vec<Choice>,
    scenes: Vec<Choice>,
}

impl FormChoices {
    fn of(form: &FormData, scenes: &crate::scenes::Scenes) -> Self {
        Self {
            levels: options(form, "level", Level::ALL, Level::as_str, Level::as_str),
            sources: options(
                form,
                "data_source",
                DataSource::ALL,
                DataSource::as_str,
                DataSource::display,
            ),
            directions: options(
                form,
                "direction",
                Direction::ALL,
                Direction::as_str,
                Direction::display,
            ),
            frequencies: options(
                form,
                "frequency",
                Frequency::ALL,
                Frequency::as_str,
                Frequency::as_str,
            ),
            scenes: choices(
                form,
                "scenes",
                scenes.names().map(|n| (n.to_string(), n.to_string())),
            ),
        }
    }
}

/// An indicator's form as its values fill it.
fn form_of(ind: &Indicator) -> FormData {
    let mut pairs: Vec<(String, String)> = vec![
        ("name".into(), ind.name.clone()),
        ("level".into(), ind.level.as_str().into()),
        ("unit".into(), ind.unit.clone()),
        ("definition".into(), ind.definition.clone()),
        ("data_source".into(), ind.data_source.as_str().into()),
        ("direction".into(), ind.direction.as_str().into()),
        ("frequency".into(), ind.frequency.as_str().into()),
    ];
    for (key, p) in [("baseline", &ind.baseline), ("target", &ind.target)] {
        if let Some(p) = p {
            pairs.push((format!("{key}.value"), p.value.clone()));
            pairs.push((format!("{key}.period"), p.period.clone()));
        }
    }
    pairs.extend(ind.scenes.iter().map(|s| ("scenes".to_string(), s.clone())));
    FormData::from_pairs(pairs)
}

/// The form's fields, read; catalogue values missing or unknown get a
/// message and a stand-in so the rest is still checked.
struct Fields {
    name: SingleLine,
    level: Option<Level>,
    unit: SingleLine,
    definition: MultiLine,
    data_source: Option<DataSource>,
    direction: Option<Direction>,
    baseline: Option<PointInput>,
    target: Option<PointInput>,
    frequency: Option<Frequency>,
    scenes: Vec<SingleLine>,
}

fn point_of(p: &mut FieldParser, form: &FormData, key: &str, label: &str) -> Option<PointInput> {
    let value: SingleLine = p.text(form, &format!("{key}.value"), &format!("{label}の値"));
    let period: SingleLine = p.text(form, &format!("{key}.period"), &format!("{label}の期間"));
    if value.trim().is_empty() && period.trim().is_empty() {
        None
    } else {
        Some(PointInput { value, period })
    }
}

fn read_fields(p: &mut FieldParser, form: &FormData) -> Fields {
    Fields {
        name: p.text(form, "name", "指標名"),
        level: p.required_label(form, "level", "水準", Level::parse),
        unit: p.text(form, "unit", "単位"),
        definition: p.text(form, "definition", "定義"),
        data_source: p.required_label(form, "data_source", "データの出所", DataSource::parse),
        direction: p.required_label(form, "direction", "望ましい方向", Direction::parse),
        baseline: point_of(p, form, "baseline", "ベースライン"),
        target: point_of(p, form, "target", "目標値"),
        frequency: p.required_label(form, "frequency", "測定頻度", Frequency::parse),
        scenes: form
            .all("scenes")
            .into_iter()
            .map(SingleLine::lossy)
            .collect(),
    }
}

impl Fields {
    fn to_new(&self) -> NewIndicator {
        NewIndicator {
            name: self.name.clone(),
            level: self.level.unwrap_or(Level::Structure),
            unit: self.unit.clone(),
            definition: self.definition.clone(),
            data_source: self.data_source.unwrap_or(DataSource::Other),
            direction: self.direction.unwrap_or(Direction::Up),
            baseline: self.baseline.clone(),
            target: self.target.clone(),
            frequency: self.frequency.unwrap_or(Frequency::FiscalYear),
            scenes: self.scenes.clone(),
        }
    }

    fn to_patch(&self) -> IndicatorPatch {
        let point = |p: &Option<PointInput>| match p {
            Some(p) => MaybeUndefined::Value(p.clone()),
            None => MaybeUndefined::Null,
        };
        IndicatorPatch {
            name: Some(self.name.clone()),
            level: self.level,
            unit: Some(self.unit.clone()),
            definition: Some(self.definition.clone()),
            data_source: self.data_source,
            direction: self.direction,
            baseline: point(&self.baseline),
            target: point(&self.target),
            frequency: self.frequency,
            scenes: Some(self.scenes.clone()),
        }
    }
}

// ---------------------------------------------------------------------------
// The list

struct LevelGroup {
    level: &'static str,
    items: Vec<Indicator>,
}

#[derive(Template)]
#[template(path = "indicators/list.html")]
struct ListPage {
    layout: Layout,
    municipality_id: i64,
    groups: Vec<LevelGroup>,
    /// The city: the form to add one.
    writes: bool,
    /// Records values (the city, a ward's secretariat): the CSV import.
    enters: bool,
    form: FormData,
    errors: Errors,
    choices: FormChoices,
    upload_errors: Errors,
    imported: Option<String>,
}

/// Whether the reader records values of some ward of the municipality.
fn enters_values(req: &poem::Request, municipality_id: i64) -> bool {
    let Ok(actor) = crate::web::auth::actor(req) else {
        return false;
    };
    reader_writes_city(municipality_id)
        || actor
            .ward_id
            .is_some_and(|w| reader_writes(w, municipality_id))
}

struct ListState {
    form: FormData,
    errors: Errors,
    upload_errors: Errors,
    imported: Option<String>,
}

async fn list_page(
    state: &AppState,
    req: &poem::Request,
    plan: PlanRead,
    s: ListState,
    status: StatusCode,
) -> PageResult {
    let m = plan.municipality_id();
    let all = store::list(&state.db, plan).await.map_err(fail)?;
    let scenes = crate::scenes::store::list(&state.db, plan)
        .await
        .map_err(fail)?;
    let groups = Level::ALL
        .iter()
        .map(|&level| LevelGroup {
            level: level.as_str(),
            items: all.iter().filter(|i| i.level == level).cloned().collect(),
        })
        .collect();
    let name = store::municipality_name(&state.db, plan)
        .await
        .map_err(fail)?;
    let layout = Layout::new(format!("{name} 評価指標"));
    let page = ListPage {
        layout,
        municipality_id: m,
        groups,
        writes: reader_writes_city(m),
        enters: enters_values(req, m),
        choices: FormChoices::of(&s.form, &scenes),
        form: s.form,
        errors: s.errors,
        upload_errors: s.upload_errors,
        imported: s.imported,
    };
    render_with_status(&page, status)
}

fn empty_list_state() -> ListState {
    ListState {
        form: FormData::from_pairs([("frequency", "年度"), ("direction", "↑")]),
        errors: Errors::none("new-"),
        upload_errors: Errors::none("upload-"),
        imported: None,
    }
}

/// `/municipalities/:id/indicators`: the list by level.
#[handler]
pub async fn list(Data(state): Data<&AppState>, req: &poem::Request, plan: PlanRead) -> PageResult {
    list_page(state, req, plan, empty_list_state(), StatusCode::OK).await
}

/// `POST /municipalities/:id/indicators`: the city adds one.
#[handler]
pub async fn create(
    Data(state): Data<&AppState>,
    req: &poem::Request,
    city: CityOf,
    body: Body,
) -> PageResult {
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let fields = read_fields(&mut p, &form);
    let new = fields.to_new();
    let result = if p.is_ok() {
        store::create(&state.db, &city, &new, state.clock.now()).await
    } else {
        let scenes = crate::scenes::store::list(&state.db, city.plan())
            .await
            .map_err(fail)?;
        Err(p.into_error(&form, new.to_indicator(city.municipality_id(), &scenes)))
    };
    match result {
        Ok(ind) => see_other(format!("/indicators/{}", ind.id)),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Conflict(_)) => {
            let errors = match e {
                AppError::Conflict(m) => {
                    Errors::from_error(&AppError::Invalid(vec![FieldError::new("name", m)]), "new-")
                }
                other => Errors::from_error(&other, "new-"),
            };
            let s = ListState {
                form,
                errors,
                ..empty_list_state()
            };
            list_page(state, req, city.plan(), s, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(fail(e)),
    }
}

/// `/municipalities/:id/indicator-values.csv`: every value the reader sees
/// (`?encoding=sjis` for Shift_JIS).
#[handler]
pub async fn values_csv(
    Data(state): Data<&AppState>,
    req: &poem::Request,
    plan: PlanRead,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let encoding = Encoding::from_param(
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "encoding")
            .map(|(_, v)| v.into_owned())
            .as_deref(),
    )
    .map_err(fail)?
    .unwrap_or(Encoding::Utf8);
    let indicators = store::list(&state.db, plan).await.map_err(fail)?;
    let values = store::municipality_values(&state.db, plan, access::visible(&actor))
        .await
        .map_err(fail)?;
    let bytes = super::sheet::table(&indicators, &values)
        .to_bytes(encoding)
        .map_err(fail)?;
    Ok(spreadsheet::download(bytes, encoding, "評価指標の値.csv"))
}

async fn read_upload(
    multipart: poem::Result<poem::web::Multipart>,
) -> AppResult<(String, Vec<u8>)> {
    let bad = || AppError::invalid("file", "CSVファイルを選んでください");
    let mut multipart = multipart.map_err(|_| bad())?;
    let (mut encoding, mut file) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(|_| bad())?;
        match name.as_str() {
            "encoding" => encoding = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = bytes,
            _ => {}
        }
    }
    if file.is_empty() {
        return Err(bad());
    }
    Ok((encoding, file))
}

/// `POST /municipalities/:id/indicator-values/import`: the CSV upload, all
/// or nothing.
#[handler]
pub async fn import(
    Data(state): Data<&AppState>,
    req: &poem::Request,
    plan: PlanRead,
    multipart: poem::Result<poem::web::Multipart>,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let result = async {
        let (encoding, file) = read_upload(multipart).await?;
        let encoding = Encoding::from_param(Some(encoding.as_str()).filter(|e| !e.is_empty()))?;
        let text = spreadsheet::decode(&file, encoding)?;
        let sheet = spreadsheet::parse(&text)?;
        writers::import_csv(&state.db, &actor, plan, &sheet, state.clock.now()).await
    }
    .await;
    match result {
        Ok(n) => {
            let s = ListState {
                imported: Some(format!("{n}件の値を取り込みました")),
                ..empty_list_state()
            };
            list_page(state, req, plan, s, StatusCode::OK).await
        }
        Err(e) if is_form_error(&e) => {
            let s = ListState {
                upload_errors: Errors::from_error(&e, "upload-"),
                ..empty_list_state()
            };
            list_page(state, req, plan, s, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

// ---------------------------------------------------------------------------
// One indicator

/// A period's label shortened for the chart's axis: 令和8年度 → R8年度,
/// 令和8年度上半期 → R8上.
fn short(label: &str) -> String {
    label
        .replace("令和", "R")
        .replace("平成", "H")
        .replace("年度上半期", "上")
        .replace("年度下半期", "下")
}

struct TableRow {
    name: String,
    cells: Vec<String>,
    latest: String,
    from_baseline: String,
    to_target: String,
    reached: bool,
}

#[derive(Template)]
#[template(path = "indicators/show.html")]
struct ShowPage {
    layout: Layout,
    ind: Indicator,
    source: &'static str,
    direction: &'static str,
    chart: String,
    periods: Vec<String>,
    rows: Vec<TableRow>,
    values: Vec<MeasuredValue>,
    /// The city: the edit link.
    writes: bool,
    /// The wards (and 市全体) the reader records values for: (value, label).
    targets: Vec<Choice>,
    form: FormData,
    errors: Errors,
}

/// `a - b` of two stored decimals, canonical; empty when either is not one.
fn difference(a: &str, b: &str) -> String {
    match (super::decimal(a), super::decimal(b)) {
        (Some(a), Some(b)) => {
            let d = (a - b).normalize();
            if d.is_sign_positive() && !d.is_zero() {
                format!("+{d}")
            } else {
                d.to_string()
            }
        }
        _ => String::new(),
    }
}

fn reached(ind: &Indicator, latest: &str) -> bool {
    let (Some(t), Some(v)) = (
        ind.target.as_ref().and_then(|t| super::decimal(&t.value)),
        super::decimal(latest),
    ) else {
        return false;
    };
    match ind.direction {
        Direction::Up => v >= t,
        Direction::Down => v <= t,
        Direction::Keep => v == t,
    }
}

/// The chart and the table of an indicator's values.
fn figures(ind: &Indicator, values: &[MeasuredValue]) -> (String, Vec<String>, Vec<TableRow>) {
    let mut codes: Vec<String> = values.iter().map(|v| v.period.clone()).collect();
    codes.sort_by_key(|c| super::period_order(c));
    codes.dedup();
    let periods: Vec<String> = codes
        .iter()
        .map(|c| {
            crate::calendar::Span::parse(c).map_or_else(|_| c.clone(), crate::calendar::Span::label)
        })
        .collect();
    let mut names: Vec<(Option<i64>, String)> = Vec::new();
    for v in values {
        if !names.iter().any(|(w, _)| *w == v.ward_id) {
            names.push((v.ward_id, v.ward_name.clone()));
        }
    }
    let mut series = Vec::new();
    let mut rows = Vec::new();
    for (ward, name) in &names {
        let cells: Vec<Option<&MeasuredValue>> = codes
            .iter()
            .map(|c| values.iter().find(|v| v.ward_id == *ward && &v.period == c))
            .collect();
        series.push(Series {
            name: name.clone(),
            values: cells
                .iter()
                .map(|c| c.and_then(|v| v.value.parse::<f64>().ok()))
                .collect(),
        });
        let latest = cells
            .iter()
            .rev()
            .flatten()
            .next()
            .map(|v| v.value.clone())
            .unwrap_or_default();
        rows.push(TableRow {
            name: name.clone(),
            cells: cells
                .iter()
                .map(|c| c.map(|v| v.value.clone()).unwrap_or_default())
                .collect(),
            from_baseline: ind
                .baseline
                .as_ref()
                .map(|b| difference(&latest, &b.value))
                .unwrap_or_default(),
            to_target: ind
                .target
                .as_ref()
                .map(|t| difference(&t.value, &latest))
                .unwrap_or_default(),
            reached: reached(ind, &latest),
            latest,
        });
    }
    let mut references = Vec::new();
    for (label, p) in [("ベースライン", &ind.baseline), ("目標値", &ind.target)] {
        if let Some(p) = p
            && let Ok(v) = p.value.parse::<f64>()
        {
            references.push(Reference {
                name: format!("{label} {}（{}）", ind.with_unit(&p.value), p.period_label),
                value: v,
            });
        }
    }
    let description = rows
        .iter()
        .map(|r| {
            let pairs: Vec<String> = periods
                .iter()
                .zip(&r.cells)
                .filter(|(_, c)| !c.is_empty())
                .map(|(p, c)| format!("{p} {}", ind.with_unit(c)))
                .collect();
            format!("{}: {}", r.name, pairs.join("、"))
        })
        .collect::<Vec<_>>()
        .join("。");
    let chart = crate::charts::line::lines(&Lines {
        id: format!("indicator-{}", ind.id),
        title: format!("{}の推移（区別）", ind.name),
        description: if description.is_empty() {
            "値はまだ記録されていません".into()
        } else {
            description
        },
        columns: periods.iter().map(|p| short(p)).collect(),
        series,
        references,
    });
    (chart, periods, rows)
}

async fn show_page(
    state: &AppState,
    req: &poem::Request,
    read: IndicatorRead,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let ind = store::get(&state.db, &read).await.map_err(fail)?;
    let values = store::values(&state.db, &read, access::visible(&actor))
        .await
        .map_err(fail)?;
    let m = read.municipality_id();
    let mut targets = Vec::new();
    let city = reader_writes_city(m);
    if city {
        targets.push((String::new(), CITY_WIDE.to_string()));
    }
    for (id, name) in store::wards(&state.db, read.plan()).await.map_err(fail)? {
        if city || (actor.ward_id == Some(id) && reader_writes(id, m)) {
            targets.push((id.to_string(), name));
        }
    }
    let (chart, periods, rows) = figures(&ind, &values);
    let name = store::municipality_name(&state.db, read.plan())
        .await
        .map_err(fail)?;
    let layout = Layout::new(ind.name.clone()).crumb(
        format!("/municipalities/{m}/indicators"),
        format!("{name} 評価指標"),
    );
    let page = ShowPage {
        layout,
        source: ind.data_source.display(),
        direction: ind.direction.display(),
        chart,
        periods,
        rows,
        values: values
            .into_iter()
            .map(|v| MeasuredValue {
                recorded_at: crate::audit::tokyo_time(&v.recorded_at),
                ..v
            })
            .collect(),
        writes: city,
        targets: choices(&form, "ward", targets),
        form,
        errors,
        ind,
    };
    render_with_status(&page, status)
}

/// `/indicators/:id`.
#[handler]
pub async fn show(
    Data(state): Data<&AppState>,
    req: &poem::Request,
    read: IndicatorRead,
) -> PageResult {
    show_page(
        state,
        req,
        read,
        FormData::default(),
        Errors::none("value-"),
        StatusCode::OK,
    )
    .await
}

/// `POST /indicators/:id/values`: one value (ward, period, value).
#[handler]
pub async fn record_value(
    Data(state): Data<&AppState>,
    req: &poem::Request,
    read: IndicatorRead,
    body: Body,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let ward_id = p.number(&form, "ward", "区");
    let input = ValueInput {
        ward_id,
        period: p.text(&form, "period", "期間"),
        value: p.text(&form, "value", "値"),
    };
    let result = if p.is_ok() {
        writers::record_values(&state.db, &actor, &read, &[input], state.clock.now()).await
    } else {
        Err(AppError::Invalid(p.errors))
    };
    match result {
        Ok(_) => see_other(format!("/indicators/{}", read.id())),
        Err(e) if is_form_error(&e) => {
            // The API's names (`values[0].period`) are the form's fields.
            let fields = e
                .field_errors()
                .iter()
                .map(|f| {
                    let field = f.field.strip_prefix("values[0].").unwrap_or(&f.field);
                    let field = if field == "ward_id" { "ward" } else { field };
                    FieldError::new(field, f.message.clone())
                })
                .collect();
            let errors = Errors::from_error(&AppError::Invalid(fields), "value-");
            show_page(state, req, read, form, errors, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[derive(Template)]
#[template(path = "indicators/form.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    form: FormData,
    errors: Errors,
    choices: FormChoices,
}

async fn edit_page(
    state: &AppState,
    write: IndicatorWrite,
    form: FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let scenes = crate::scenes::store::list(&state.db, write.plan())
        .await
        .map_err(fail)?;
    let ind = store::get(&state.db, &write.read()).await.map_err(fail)?;
    let layout = Layout::new(format!("{}の編集", ind.name))
        .crumb(
            format!("/municipalities/{}/indicators", write.municipality_id()),
            "評価指標",
        )
        .crumb(format!("/indicators/{}", ind.id), ind.name.clone());
    let page = EditPage {
        layout,
        id: ind.id,
        choices: FormChoices::of(&form, &scenes),
        form,
        errors,
    };
    render_with_status(&page, status)
}

/// `/indicators/:id/edit`.
#[handler]
pub async fn edit_form(Data(state): Data<&AppState>, write: IndicatorWrite) -> PageResult {
    let ind = store::get(&state.db, &write.read()).await.map_err(fail)?;
    edit_page(
        state,
        write,
        form_of(&ind),
        Errors::none(""),
        StatusCode::OK,
    )
    .await
}

/// `POST /indicators/:id/edit`.
#[handler]
pub async fn edit(Data(state): Data<&AppState>, write: IndicatorWrite, body: Body) -> PageResult {
    let form = FormData::parse(&body.into_vec().await?);
    let mut p = FieldParser::default();
    let fields = read_fields(&mut p, &form);
    let result = if p.is_ok() {
        store::update(&state.db, &write, &fields.to_patch(), state.clock.now()).await
    } else {
        let scenes = crate::scenes::store::list(&state.db, write.plan())
            .await
            .map_err(fail)?;
        Err(p.into_error(&form, fields.to_new().to_indicator(0, &scenes)))
    };
    match result {
        Ok(ind) => see_other(format!("/indicators/{}", ind.id)),
        Err(e) if is_form_error(&e) || matches!(e, AppError::Conflict(_)) => {
            let errors = match &e {
                AppError::Conflict(m) => Errors {
                    summary: Some(m.clone()),
                    ..Errors::none("")
                },
                other => Errors::from_error(other, ""),
            };
            let status = e.status();
            edit_page(state, write, form, errors, status).await
        }
        Err(e) => Err(fail(e)),
    }
}
