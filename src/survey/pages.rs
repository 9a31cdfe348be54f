//! Survey pages: a ward's form for a period (save as draft, submit), and
//! the city's list of wards with their status and a reopen button.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, handler};

use super::{
    AWARENESS_ITEMS, Awareness, CONTENTS, ConsultationMonth, MAPS, MEETING_STEPS, MapStatus,
    OfficeAnswers, Organizer, Progress, REQUESTERS, ResourceMaps, SEAMLESS_ITEMS, SHARING_ITEMS,
    Section, SectionText, Survey, SurveyAnswers, SurveyStatus, Training, parse_period,
    period_months, store,
};
use crate::access::{CityOf, CityView, WardRead, WardWrite};
use crate::calendar::Period;
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::web::page::{
    Choice, Errors, FieldParser, FormData, Layout, PageResult, choices, fail, is_form_error,
    path_param, render, render_with_status, see_other,
};

/// A select per item of a question; `field` is where the domain reports
/// errors for the whole list.
struct SelectGroup {
    field: &'static str,
    legend: String,
    rows: Vec<SelectRow>,
}

struct SelectRow {
    name: String,
    label: String,
    options: Vec<Choice>,
}

/// One line of the (オ) table: a category and an input per month.
struct CountRow {
    label: String,
    cells: Vec<CountCell>,
}

struct CountCell {
    name: String,
    aria: String,
    value: String,
}

struct IssueField {
    name: String,
    title: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "survey/form.html")]
struct FormPage {
    layout: Layout,
    survey: Survey,
    action: String,
    submitted: bool,
    form: FormData,
    errors: Errors,
    maps: SelectGroup,
    steps: SelectGroup,
    seamless: SelectGroup,
    sharing: SelectGroup,
    awareness: SelectGroup,
    months: Vec<String>,
    requesters: Vec<CountRow>,
    contents: Vec<CountRow>,
    organizers: Vec<Choice>,
    issues: Vec<IssueField>,
    report_href: String,
}

fn select_group<T: Copy>(
    form: &FormData,
    field: &'static str,
    legend: String,
    items: &[&str],
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> SelectGroup {
    SelectGroup {
        field,
        legend,
        rows: items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name = format!("{field}.{i}");
                SelectRow {
                    options: choices(
                        form,
                        &name,
                        all.iter().map(|v| (value(*v).to_string(), label(*v))),
                    ),
                    label: format!("{}. {item}", i + 1),
                    name,
                }
            })
            .collect(),
    }
}

fn count_rows(form: &FormData, period: Period, kind: char, labels: &[&str]) -> Vec<CountRow> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| CountRow {
            label: label.to_string(),
            cells: period_months(period)
                .iter()
                .map(|m| {
                    let name = format!("o{m}{kind}{i}");
                    CountCell {
                        value: form.value(&name).to_string(),
                        aria: format!("{m}月 {label}"),
                        name,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The saved answers as form values.
fn answer_values(a: &SurveyAnswers) -> FormData {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(m) = a.maps.professional {
        pairs.push(("maps.0".into(), m.as_str().into()));
    }
    if let Some(m) = a.maps.public {
        pairs.push(("maps.1".into(), m.as_str().into()));
    }
    for (i, p) in a.meeting_steps.iter().enumerate() {
        pairs.push((format!("meeting_steps.{i}"), p.as_str().into()));
    }
    if let Some(o) = &a.office {
        pairs.push(("has_office".into(), "1".into()));
        pairs.push(("office.opened_on".into(), o.opened_on.to_string()));
        for (i, p) in o.seamless.iter().enumerate() {
            pairs.push((format!("office.seamless.{i}"), p.as_str().into()));
        }
        for (i, p) in o.sharing.iter().enumerate() {
            pairs.push((format!("office.sharing.{i}"), p.as_str().into()));
        }
        for m in &o.consultations {
            for (i, n) in m.by_requester.iter().enumerate() {
                pairs.push((format!("o{}r{i}", m.month), n.to_string()));
            }
            for (i, n) in m.by_content.iter().enumerate() {
                pairs.push((format!("o{}c{i}", m.month), n.to_string()));
            }
        }
    }
    if let Some(n) = a.training.sessions {
        pairs.push(("training.sessions".into(), n.to_string()));
    }
    if a.training.planned_this_year {
        pairs.push(("training.planned_this_year".into(), "1".into()));
    }
    for o in &a.training.organizers {
        pairs.push(("training.organizers".into(), o.as_str().into()));
    }
    pairs.push(("training.reasons".into(), a.training.reasons.to_string()));
    for (i, s) in a.awareness.iter().enumerate() {
        pairs.push((format!("awareness.{i}"), s.as_str().into()));
    }
    pairs.push(("awareness_reasons".into(), a.awareness_reasons.to_string()));
    for t in &a.issues {
        pairs.push((issue_name(t.section), t.text.to_string()));
    }
    FormData::from_pairs(pairs)
}

/// Form names stay ASCII so ids built from them stay unique.
fn issue_name(section: Section) -> String {
    let i = Section::ALL.iter().position(|s| *s == section).unwrap_or(0);
    format!("issue{i}")
}

/// A list of selects: empty when none is chosen, else every item (a
/// missing one makes the domain report the list as incomplete).
fn read_list<T>(
    p: &mut FieldParser,
    form: &FormData,
    field: &str,
    n: usize,
    label: &str,
    parse: impl Fn(&str) -> Option<T> + Copy,
) -> Vec<T> {
    let values: Vec<Option<T>> = (0..n)
        .map(|i| p.label(form, &format!("{field}.{i}"), label, parse))
        .collect();
    if values.iter().all(Option::is_none) {
        return Vec::new();
    }
    if values.iter().any(Option::is_none) {
        p.errors.push(FieldError::new(
            field,
            format!("{label}は{n}項目すべてに回答してください"),
        ));
    }
    values.into_iter().flatten().collect()
}

fn read_form(form: &FormData, period: Period) -> Result<SurveyAnswers, AppError> {
    let mut p = FieldParser::default();
    let maps = ResourceMaps {
        professional: p.label(form, "maps.0", "（ア）関係者向けマップ", MapStatus::parse),
        public: p.label(form, "maps.1", "（ア）市民向けマップ", MapStatus::parse),
    };
    let meeting_steps = read_list(
        &mut p,
        form,
        "meeting_steps",
        MEETING_STEPS.len(),
        "（イ）実施状況",
        Progress::parse,
    );
    let office = if form.checked("has_office") {
        let opened_on = p.required_date(form, "office.opened_on", "相談支援室の開設日");
        let seamless = read_list(
            &mut p,
            form,
            "office.seamless",
            SEAMLESS_ITEMS.len(),
            "（ウ）取組状況",
            Progress::parse,
        );
        let sharing = read_list(
            &mut p,
            form,
            "office.sharing",
            SHARING_ITEMS.len(),
            "（エ）取組状況",
            Progress::parse,
        );
        let mut consultations = Vec::new();
        for m in period_months(period) {
            let mut any = false;
            let mut read = |kind: char, i: usize, label: &str| {
                let key = format!("o{m}{kind}{i}");
                if form.non_empty(&key).is_some() {
                    any = true;
                }
                p.number(form, &key, &format!("（オ）{m}月 {label}"))
                    .unwrap_or(0)
            };
            let by_requester: Vec<i64> = REQUESTERS
                .iter()
                .enumerate()
                .map(|(i, l)| read('r', i, l))
                .collect();
            let by_content: Vec<i64> = CONTENTS
                .iter()
                .enumerate()
                .map(|(i, l)| read('c', i, l))
                .collect();
            if any {
                consultations.push(ConsultationMonth {
                    month: m,
                    by_requester,
                    by_content,
                });
            }
        }
        opened_on.map(|opened_on| OfficeAnswers {
            opened_on,
            seamless,
            sharing,
            consultations,
        })
    } else {
        None
    };
    let organizers = form
        .all("training.organizers")
        .into_iter()
        .filter_map(Organizer::parse)
        .collect();
    let training = Training {
        sessions: p.number(form, "training.sessions", "（カ）研修会の実施回数"),
        planned_this_year: form.checked("training.planned_this_year"),
        organizers,
        reasons: p.text(form, "training.reasons", "（カ）実施していない理由"),
    };
    let awareness = read_list(
        &mut p,
        form,
        "awareness",
        AWARENESS_ITEMS.len(),
        "（キ）実施内容",
        Awareness::parse,
    );
    let issues = Section::ALL
        .iter()
        .map(|s| SectionText {
            section: *s,
            text: p.text(form, &issue_name(*s), &format!("【課題】{}", s.title())),
        })
        .collect();
    let answers = SurveyAnswers {
        maps,
        meeting_steps,
        office,
        training,
        awareness,
        awareness_reasons: p.text(form, "awareness_reasons", "（キ）予定がない理由"),
        issues,
    };
    if p.is_ok() {
        Ok(answers)
    } else {
        Err(p.into_error(form, answers.clone().normalized(period, false)))
    }
}

fn form_page(
    survey: Survey,
    period: Period,
    form: FormData,
    errors: Errors,
    status: StatusCode,
    ward: &crate::wards::Ward,
) -> PageResult {
    let submitted = survey.status == SurveyStatus::Submitted;
    let progress_label = move |p: Progress| p.report_label(period);
    let page = FormPage {
        layout: Layout::in_ward(
            format!("{} 半期調査（{}）", ward.name, period.label()),
            ward,
            "dashboard",
        ),
        action: format!("/wards/{}/surveys/{}", ward.id, period.code()),
        submitted,
        maps: select_group(
            &form,
            "maps",
            "（ア）マップ作成状況".into(),
            &MAPS,
            MapStatus::ALL,
            MapStatus::as_str,
            move |m| m.report_label(period),
        ),
        steps: select_group(
            &form,
            "meeting_steps",
            "（イ）課題抽出・協議の場 実施状況".into(),
            &MEETING_STEPS,
            Progress::ALL,
            Progress::as_str,
            progress_label,
        ),
        seamless: select_group(
            &form,
            "office.seamless",
            "（ウ）切れ目のない在宅医療と在宅介護の提供体制の構築推進 取組状況".into(),
            &SEAMLESS_ITEMS,
            Progress::ALL,
            Progress::as_str,
            progress_label,
        ),
        sharing: select_group(
            &form,
            "office.sharing",
            "（エ）医療・介護関係者の情報共有の支援 取組状況".into(),
            &SHARING_ITEMS,
            Progress::ALL,
            Progress::as_str,
            progress_label,
        ),
        awareness: select_group(
            &form,
            "awareness",
            "（キ）地域住民への普及啓発 実施内容".into(),
            &AWARENESS_ITEMS,
            Awareness::ALL,
            Awareness::as_str,
            |a| a.as_str().to_string(),
        ),
        months: period_months(period)
            .iter()
            .map(|m| format!("{m}月"))
            .collect(),
        requesters: count_rows(&form, period, 'r', &REQUESTERS),
        contents: count_rows(&form, period, 'c', &CONTENTS),
        organizers: choices(
            &form,
            "training.organizers",
            Organizer::ALL
                .iter()
                .map(|o| (o.as_str().to_string(), o.as_str().to_string())),
        ),
        issues: Section::ALL
            .iter()
            .map(|s| IssueField {
                name: issue_name(*s),
                title: s.title(),
                value: form.value(&issue_name(*s)).to_string(),
            })
            .collect(),
        report_href: format!("/report/{}", period.code()),
        survey,
        form,
        errors,
    };
    render_with_status(&page, status)
}

#[handler]
pub async fn form_handler(
    Data(state): Data<&AppState>,
    scope: WardRead,
    req: &poem::Request,
) -> PageResult {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let ward = crate::wards::store::get(&state.db, &scope)
        .await
        .map_err(fail)?;
    let survey = store::get(&state.db, &scope, period).await.map_err(fail)?;
    let form = answer_values(&survey.answers);
    form_page(
        survey,
        period,
        form,
        Errors::none(""),
        StatusCode::OK,
        &ward,
    )
}

/// Saves the draft; with `action=submit`, then submits it.
#[handler]
pub async fn save(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    req: &poem::Request,
    body: Vec<u8>,
) -> PageResult {
    let id = scope.ward_id();
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let ward = crate::wards::store::get(&state.db, &scope.read())
        .await
        .map_err(fail)?;
    let form = FormData::parse(&body);
    let now = state.clock.now();
    let result = match read_form(&form, period) {
        Ok(answers) => match store::save_draft(&state.db, &scope, period, answers, now).await {
            Ok(s) if form.value("action") == "submit" => {
                store::submit(&state.db, &scope, period, now)
                    .await
                    .map(|_| s)
            }
            other => other,
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("/wards/{id}/surveys/{}", period.code())),
        Err(e) if is_form_error(&e) => {
            let survey = store::get(&state.db, &scope.read(), period)
                .await
                .map_err(fail)?;
            let mut errors = Errors::from_error(&e, "");
            // The domain names the maps by meaning; the form by position.
            for f in &mut errors.fields {
                match f.field.as_str() {
                    "maps.professional" => f.field = "maps.0".into(),
                    "maps.public" => f.field = "maps.1".into(),
                    _ => {}
                }
            }
            form_page(survey, period, form, errors, e.status(), &ward)
        }
        Err(e) => Err(fail(e)),
    }
}

/// The city sends a submission back to the ward.
#[handler]
pub async fn reopen(
    Data(state): Data<&AppState>,
    scope: WardWrite,
    city: CityOf,
    req: &poem::Request,
) -> PageResult {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    store::reopen(&state.db, &scope, &city, period, state.clock.now())
        .await
        .map_err(fail)?;
    see_other(format!("/surveys/{}", period.code()))
}

struct StatusRow {
    ward_id: i64,
    ward_name: String,
    status: &'static str,
    submitted: bool,
}

#[derive(Template)]
#[template(path = "survey/statuses.html")]
struct StatusPage {
    layout: Layout,
    period_code: String,
    previous: String,
    next: String,
    rows: Vec<StatusRow>,
    submitted: usize,
    /// The actor may send a submitted survey back (the city).
    can_reopen: bool,
}

/// Every ward's status for a period, for the city.
#[handler]
pub async fn statuses(
    Data(state): Data<&AppState>,
    view: CityView,
    req: &poem::Request,
) -> PageResult {
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    // Only the city sends a survey back: the button is the city's.
    let can_reopen = crate::web::auth::actor(req).is_ok_and(|a| {
        matches!(
            a.role,
            crate::accounts::Role::City | crate::accounts::Role::Admin
        )
    });
    let rows: Vec<StatusRow> = store::statuses(&state.db, &view, period)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|(w, s)| StatusRow {
            ward_id: w.id,
            ward_name: w.name,
            status: s.map_or("未着手", SurveyStatus::as_str),
            submitted: s == Some(SurveyStatus::Submitted),
        })
        .collect();
    let next = Period {
        fiscal_year: if period.half == crate::calendar::Half::First {
            period.fiscal_year
        } else {
            period.fiscal_year + 1
        },
        half: if period.half == crate::calendar::Half::First {
            crate::calendar::Half::Second
        } else {
            crate::calendar::Half::First
        },
    };
    let page = StatusPage {
        layout: Layout::new(format!("半期調査の提出状況（{}）", period.label())),
        period_code: period.code(),
        previous: period.previous().code(),
        next: next.code(),
        submitted: rows.iter().filter(|r| r.submitted).count(),
        can_reopen,
        rows,
    };
    Ok(render(&page)?.into_response())
}

/// `/wards/{id}/surveys`: the survey of the half-year that ended last
/// (the one being collected), so the dashboard can link without a period.
#[handler]
pub async fn latest(Data(state): Data<&AppState>, scope: WardRead) -> PageResult {
    let id = scope.ward_id();
    let period = Period::containing(state.clock.today()).previous();
    see_other(format!("/wards/{id}/surveys/{}", period.code()))
}

struct SummaryField {
    name: String,
    title: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "survey/summaries.html")]
struct SummaryPage {
    layout: Layout,
    action: String,
    report_href: String,
    fields: Vec<SummaryField>,
    errors: Errors,
}

fn summary_page(
    municipality_id: i64,
    period: Period,
    texts: &[SectionText],
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let page = SummaryPage {
        layout: Layout::new(format!("市のまとめ（{}）", period.label())),
        action: format!(
            "/city/{municipality_id}/surveys/{}/summaries",
            period.code()
        ),
        report_href: format!(
            "/report/{}?municipality_id={municipality_id}",
            period.code()
        ),
        fields: Section::ALL
            .iter()
            .map(|s| SummaryField {
                name: issue_name(*s),
                title: s.title(),
                value: texts
                    .iter()
                    .find(|t| t.section == *s)
                    .map(|t| t.text.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        errors,
    };
    render_with_status(&page, status)
}

/// The city's summary of next actions per section, shown in the report.
#[handler]
pub async fn summaries_form(
    Data(state): Data<&AppState>,
    city: CityOf,
    req: &poem::Request,
) -> PageResult {
    let id = city.municipality_id();
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    crate::municipalities::store::get(&state.db, &city.read())
        .await
        .map_err(fail)?;
    let texts = store::summaries(&state.db, &city.read(), period)
        .await
        .map_err(fail)?;
    summary_page(id, period, &texts, Errors::none(""), StatusCode::OK)
}

#[handler]
pub async fn summaries_save(
    Data(state): Data<&AppState>,
    city: CityOf,
    req: &poem::Request,
    body: Vec<u8>,
) -> PageResult {
    let id = city.municipality_id();
    let period = parse_period(&path_param(req, "period")).map_err(fail)?;
    let form = FormData::parse(&body);
    let mut p = FieldParser::default();
    let texts: Vec<SectionText> = Section::ALL
        .iter()
        .map(|s| SectionText {
            section: *s,
            text: p.text(&form, &issue_name(*s), &format!("市のまとめ{}", s.title())),
        })
        .collect();
    let result = if p.is_ok() {
        store::save_summaries(&state.db, &city, period, &texts, state.clock.now()).await
    } else {
        Err(p.into_error(&form, Ok::<(), AppError>(())))
    };
    match result {
        Ok(_) => see_other(format!("/report/{}?municipality_id={id}", period.code())),
        Err(e) if is_form_error(&e) => {
            let errors = Errors::from_error(&e, "");
            summary_page(id, period, &texts, errors, e.status())
        }
        Err(e) => Err(fail(e)),
    }
}
