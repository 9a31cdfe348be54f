//! The published OpenAPI document: poem-openapi's spec, completed with what
//! the layers around the operations answer (the bearer gate's 401, the body
//! limit's 413, the media-type check's 415) and the rules the domain
//! enforces on requests where a schema can say them (ranges, lengths,
//! non-blank text, date, e-mail and period forms, list sizes), so typed
//! clients generated from `/openapi.json` match the API and schemathesis
//! (`scripts/schemathesis.sh`) finds nothing between them.
//! The 405 answers carry `Allow`, taken from the same document.

use std::collections::HashSet;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::{Value, json};

/// A problem+json response of the given description.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// Completes poem-openapi's spec (see the module doc). `spec` is its JSON.
pub fn document(spec: &str) -> Value {
    let mut doc: Value = serde_json::from_str(spec).unwrap_or_default();
    let Some(obj) = doc.as_object_mut() else {
        return doc;
    };
    let components = obj.entry("components").or_insert_with(|| json!({}));
    if let Some(c) = components.as_object_mut() {
        c.insert(
            "securitySchemes".into(),
            json!({
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API トークン（`renkei token create` で発行、`rk_` で始まる）"
                }
            }),
        );
    }
    obj.insert("security".into(), json!([{ "bearerToken": [] }]));
    if let Some(paths) = obj.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                let has_body = op.contains_key("requestBody");
                let responses = op.entry("responses").or_insert_with(|| json!({}));
                let Some(responses) = responses.as_object_mut() else {
                    continue;
                };
                if path == "/health" {
                    // Public: never asks for a token.
                    responses.remove("401");
                    responses.remove("403");
                    continue;
                }
                responses
                    .entry("401")
                    .or_insert_with(|| problem("Not signed in: no valid bearer token."));
                if has_body {
                    responses.entry("413").or_insert_with(|| {
                        problem("The body is over the limit (1 MiB; 16 MiB for CSV imports).")
                    });
                    responses
                        .entry("415")
                        .or_insert_with(|| problem("The body's Content-Type is not accepted."));
                }
            }
            if path == "/health"
                && let Some(op) = item.get_mut("get").and_then(Value::as_object_mut)
            {
                op.insert("security".into(), json!([]));
            }
        }
    }
    complete_schemas(&mut doc);
    complete_parameters(&mut doc);
    // A 409 that is not about the PDCA ladder says what it is about.
    if let Some(conflict) =
        doc.pointer_mut("/paths/~1reminders~1deliveries~1{id}~1resend/post/responses/409")
    {
        conflict["description"] = json!(
            "The message is neither `failed` nor `refused` (queued again already, sent or cancelled); `detail` names its state."
        );
    }
    doc
}

/// What Rust's `trim` removes (Unicode White_Space), as the inside of a
/// character class: a text of only these is blank to the domain's rules.
const WHITE_SPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000";

/// A date a request may carry: RFC 3339 `full-date` in [`crate::calendar::YEARS`]
/// (422 outside them).
const DATE_PATTERN: &str = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// A period code as `calendar::Period::parse` reads it: `2017H1`, fiscal years from 1900.
const PERIOD_PATTERN: &str = r"^(19[0-9]{2}|[2-9][0-9]{3})[Hh][12]$";
/// [`PERIOD_PATTERN`] or empty, for a query's `period` (empty: the default;
/// surrounding white space is trimmed, as the handlers do).
const PERIOD_QUERY_PATTERN: &str = r"^\s*((19[0-9]{2}|[2-9][0-9]{3})[Hh][12])?\s*$";
/// The form of a plan period's code (`calendar::PlanPeriod::parse`:
/// `2024-2026`); one off the 期 grid (`2025-2027`) is refused with 422.
const PLAN_PERIOD_PATTERN: &str = r"^\s*[2-9][0-9]{3}-[2-9][0-9]{3}\s*$";
/// [`PLAN_PERIOD_PATTERN`] or empty.
const PLAN_PERIOD_QUERY_PATTERN: &str = r"^\s*([2-9][0-9]{3}-[2-9][0-9]{3})?\s*$";
/// A half-year or a fiscal year (`calendar::Span`), or empty.
const SPAN_QUERY_PATTERN: &str = r"^\s*((19[0-9]{2}|[2-9][0-9]{3})([Hh][12])?)?\s*$";

/// An e-mail address as `crate::email::check` stores it (ASCII, a domain of
/// dotted labels), or empty for none. What it also accepts and folds
/// (full-width letters, white space around) is left out.
const EMAIL_PATTERN: &str = r"^$|^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";

/// A rule of the domain on one request property, stated in the spec so
/// that what the spec allows, the API accepts (schemathesis checks both ways).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Text that is not blank once trimmed, of at most so many characters.
    Required(usize),
    /// Text of at most so many characters.
    Max(usize),
    /// An e-mail address ([`EMAIL_PATTERN`]).
    Email,
    /// An integer in this range.
    Range(i64, i64),
    /// An integer at least this.
    AtLeast(i64),
    /// A list of exactly so many items, or an empty one (a draft's).
    AllOrNone(usize),
    /// A list of exactly so many items.
    Exactly(usize),
    /// A list without repeated items.
    Unique,
}

/// [`Rule::Range`] from an inclusive (min, max) pair.
const fn range((min, max): (i64, i64)) -> Rule {
    Rule::Range(min, max)
}

/// The rules of the request schemas: (schema, property, rule); `name[]`
/// is each item of the list `name`. The numbers come from the modules that
/// enforce them (422 beyond them).
fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    use crate::{countermeasures as cm, meetings, members, municipalities, reminders, survey};
    use Rule::*;
    let name = Required(municipalities::NAME_MAX);
    vec![
        ("NewMunicipality", "name", name),
        ("NewMunicipality", "wards[]", name),
        ("NewMunicipality", "wards", Unique),
        ("NewWard", "name", name),
        ("WardPatch", "name", name),
        ("WardPatch", "secretariat_email", Email),
        ("NewMember", "name", Required(members::NAME_MAX)),
        ("NewMember", "organization", Max(members::ORGANIZATION_MAX)),
        ("NewMember", "email", Email),
        ("MemberPatch", "name", Required(members::NAME_MAX)),
        (
            "MemberPatch",
            "organization",
            Max(members::ORGANIZATION_MAX),
        ),
        ("MemberPatch", "email", Email),
        ("NewMeetingRequest", "title", Required(meetings::TITLE_MAX)),
        ("NewMeetingRequest", "minutes", Max(meetings::MINUTES_MAX)),
        (
            "MeetingPatchRequest",
            "title",
            Required(meetings::TITLE_MAX),
        ),
        ("MeetingPatchRequest", "minutes", Max(meetings::MINUTES_MAX)),
        ("NewCountermeasure", "title", Required(cm::TITLE_MAX)),
        ("NewCountermeasure", "issue", Max(cm::TEXT_MAX)),
        ("NewCountermeasure", "plan", Max(cm::TEXT_MAX)),
        ("CountermeasurePatch", "title", Required(cm::TITLE_MAX)),
        ("CountermeasurePatch", "issue", Max(cm::TEXT_MAX)),
        ("CountermeasurePatch", "plan", Max(cm::TEXT_MAX)),
        (
            "Overrides",
            "days_before_due",
            range(reminders::DAYS_BEFORE_DUE),
        ),
        (
            "Overrides",
            "repeat_interval_days",
            range(reminders::REPEAT_INTERVAL_DAYS),
        ),
        (
            "Overrides",
            "escalation_after_days",
            range(reminders::ESCALATION_AFTER_DAYS),
        ),
        (
            "Overrides",
            "absence_window",
            range(reminders::ABSENCE_WINDOW),
        ),
        (
            "SurveyAnswers",
            "meeting_steps",
            AllOrNone(survey::MEETING_STEPS.len()),
        ),
        (
            "SurveyAnswers",
            "awareness",
            AllOrNone(survey::AWARENESS_ITEMS.len()),
        ),
        ("SurveyAnswers", "awareness_reasons", Max(survey::MAX_TEXT)),
        (
            "OfficeAnswers",
            "seamless",
            AllOrNone(survey::SEAMLESS_ITEMS.len()),
        ),
        (
            "OfficeAnswers",
            "sharing",
            AllOrNone(survey::SHARING_ITEMS.len()),
        ),
        ("ConsultationMonth", "month", Range(1, 12)),
        (
            "ConsultationMonth",
            "by_requester",
            Exactly(survey::REQUESTERS.len()),
        ),
        ("ConsultationMonth", "by_requester[]", AtLeast(0)),
        (
            "ConsultationMonth",
            "by_content",
            Exactly(survey::CONTENTS.len()),
        ),
        ("ConsultationMonth", "by_content[]", AtLeast(0)),
        ("Training", "sessions", Range(0, 999)),
        ("Training", "reasons", Max(survey::MAX_TEXT)),
        ("SectionText", "text", Max(survey::MAX_TEXT)),
    ]
}

/// The rules of [`rules`] whose schema or property the document lacks (a
/// renamed field would silently lose its rule; a test keeps this empty).
pub fn missing_rule_targets(doc: &Value) -> Vec<String> {
    rules()
        .into_iter()
        .filter(|(schema, path, _)| {
            let (name, item) = match path.strip_suffix("[]") {
                Some(list) => (list, true),
                None => (*path, false),
            };
            let prop = &doc["components"]["schemas"][*schema]["properties"][name];
            prop.is_null() || (item && prop["items"].is_null())
        })
        .map(|(schema, path, _)| format!("{schema}.{path}"))
        .collect()
}

/// The character class of what a text kind refuses, read back from its
/// pattern (`^[^…]*$`).
fn refused_class(pattern: &str) -> Option<&str> {
    pattern.strip_prefix("^[^")?.strip_suffix("]*$")
}

impl Rule {
    fn apply(self, schema: &mut serde_json::Map<String, Value>) {
        match self {
            Rule::Required(max) => {
                schema.insert("minLength".into(), json!(1));
                schema.insert("maxLength".into(), json!(max));
                let refused = schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .and_then(refused_class)
                    .map(str::to_string);
                if let Some(refused) = refused {
                    // Some character neither refused nor white space.
                    schema.insert(
                        "pattern".into(),
                        json!(format!(
                            "^[^{refused}]*[^{refused}{WHITE_SPACE}][^{refused}]*$"
                        )),
                    );
                }
            }
            Rule::Max(max) => {
                schema.insert("maxLength".into(), json!(max));
            }
            Rule::Email => {
                schema.insert("pattern".into(), json!(EMAIL_PATTERN));
                schema.insert("maxLength".into(), json!(254));
            }
            Rule::Range(min, max) => {
                schema.insert("minimum".into(), json!(min));
                schema.insert("maximum".into(), json!(max));
            }
            Rule::AtLeast(min) => {
                schema.insert("minimum".into(), json!(min));
            }
            Rule::AllOrNone(n) => {
                schema.insert(
                    "anyOf".into(),
                    json!([{ "maxItems": 0 }, { "minItems": n, "maxItems": n }]),
                );
            }
            Rule::Exactly(n) => {
                schema.insert("minItems".into(), json!(n));
                schema.insert("maxItems".into(), json!(n));
            }
            Rule::Unique => {
                schema.insert("uniqueItems".into(), json!(true));
            }
        }
    }
}

/// The schemas a request body uses, directly or through others.
fn request_schemas(doc: &Value) -> HashSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    out.push(r.trim_start_matches("#/components/schemas/").to_string());
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            refs(&op["requestBody"], &mut todo);
        }
    }
    let mut seen = HashSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// Lists whose items may be `null` (a share with nothing to divide).
const NULLABLE_ITEMS: &[(&str, &str)] = &[
    ("CityConsultations", "requester_shares"),
    ("CityConsultations", "content_shares"),
];

/// One pass over the schemas. poem-openapi writes an absent `Option` as
/// `null` but declares it without `nullable`: every property a schema does
/// not require may be null (OpenAPI 3.0; a `$ref` is wrapped, as 3.0
/// ignores its siblings). chrono's dates are RFC 3339 `full-date`s (poem
/// calls the format `naive-date`, which no client knows). And the rules the
/// domain enforces on requests (422 beyond them) are stated.
fn complete_schemas(doc: &mut Value) {
    let requests = request_schemas(doc);
    let rules = rules();
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (schema_name, schema) in schemas.iter_mut() {
        let request = requests.contains(schema_name);
        let required: Vec<String> = schema["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (name, prop) in props.iter_mut() {
            let topic = match name.as_str() {
                "topic" => Some(&mut *prop),
                "topics" => prop.get_mut("items"),
                _ => None,
            };
            if let Some(t) = topic.and_then(Value::as_object_mut)
                && t.get("type") == Some(&json!("integer"))
            {
                t.insert("minimum".into(), json!(1));
                t.insert("maximum".into(), json!(10));
            }
            date_format(prop, request);
            if let Some(items) = prop.get_mut("items") {
                date_format(items, request);
                // A list of `Option`s: poem-openapi declares its items plain.
                if NULLABLE_ITEMS.contains(&(schema_name.as_str(), name.as_str()))
                    && let Some(i) = items.as_object_mut()
                {
                    i.insert("nullable".into(), json!(true));
                }
            }
            if request {
                for (_, path, rule) in rules.iter().filter(|(s, ..)| s == schema_name) {
                    let target = match path.strip_suffix("[]") {
                        Some(list) if list == name => prop.get_mut("items"),
                        None if path == name => Some(&mut *prop),
                        _ => None,
                    };
                    if let Some(t) = target.and_then(Value::as_object_mut) {
                        rule.apply(t);
                    }
                }
            }
            if required.contains(name) {
                continue;
            }
            if let Some(r) = prop.get("$ref").cloned() {
                *prop = json!({ "allOf": [{ "$ref": r }], "nullable": true });
            } else if let Some(p) = prop.as_object_mut() {
                p.insert("nullable".into(), json!(true));
            }
        }
    }
}

/// `naive-date` as `date`; in a request, within the years the API takes.
fn date_format(schema: &mut Value, request: bool) {
    if schema.get("format") == Some(&json!("naive-date")) {
        schema["format"] = json!("date");
        if request {
            schema["pattern"] = json!(DATE_PATTERN);
        }
    }
}

/// The parameters' rules: dates, topics, periods, the CSV encodings and the
/// deliveries' states, as the handlers check them (422, or 404 for a period
/// in a path, which names no resource then).
fn complete_parameters(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                let in_query = p["in"] == "query";
                let schema = &mut p["schema"];
                date_format(schema, true);
                match name.as_str() {
                    "topic" => {
                        if let Some(s) = schema.as_object_mut() {
                            Rule::Range(1, 10).apply(s);
                        }
                    }
                    "limit" => {
                        p["description"] = json!(format!(
                            "Rows per page: {} when absent; below 1 is read as 1, above {} as {}.",
                            crate::paging::Paging::DEFAULT_LIMIT,
                            crate::paging::Paging::MAX_LIMIT,
                            crate::paging::Paging::MAX_LIMIT
                        ));
                    }
                    "offset" => {
                        p["description"] = json!("Rows to skip; below 0 is read as 0.");
                    }
                    // A query's period may be empty (the current half-year);
                    // PDCAの進み具合 also takes a fiscal year (`2026`).
                    "period" if in_query => {
                        schema["pattern"] = json!(if path.ends_with("/progress") {
                            SPAN_QUERY_PATTERN
                        } else {
                            PERIOD_QUERY_PATTERN
                        })
                    }
                    "period" => schema["pattern"] = json!(PERIOD_PATTERN),
                    // A query's plan period may be empty (the one containing today).
                    "plan_period" if in_query => {
                        schema["pattern"] = json!(PLAN_PERIOD_QUERY_PATTERN)
                    }
                    "plan_period" => schema["pattern"] = json!(PLAN_PERIOD_PATTERN),
                    "halves" => {
                        if let Some(s) = schema.as_object_mut() {
                            Rule::Range(crate::trends::MIN_HALVES, crate::trends::MAX_HALVES)
                                .apply(s);
                        }
                    }
                    // Empty or padded: the default order, as `Sort::parse` reads it.
                    "sort" if path.ends_with("/progress") => {
                        let keys: Vec<&str> = crate::progress::SortKey::ALL
                            .iter()
                            .map(|(_, code, _)| *code)
                            .collect();
                        schema["pattern"] = json!(format!(r"^\s*(-?({}))?\s*$", keys.join("|")));
                    }
                    "encoding" => {
                        // Absent or empty: detected from the file.
                        let mut values = vec![json!("")];
                        values.extend(
                            crate::spreadsheet::Encoding::PARAM_VALUES
                                .iter()
                                .map(|(v, _)| json!(v)),
                        );
                        schema["enum"] = Value::Array(values);
                    }
                    "state" if path == "/reminders/deliveries" => {
                        schema["enum"] = json!(crate::reminders::api::STATES);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The methods each path of the document takes, for `Allow`.
pub struct Methods(Vec<(Vec<String>, String)>);

impl Methods {
    /// From the document's `paths` (templates like `/wards/{ward_id}`).
    pub fn of(doc: &Value) -> Methods {
        let mut out = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, item) in paths {
                let methods: Vec<String> = item
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                let segments = path.split('/').map(str::to_string).collect();
                out.push((segments, methods.join(", ")));
            }
        }
        Methods(out)
    }

    /// The `Allow` value for a request path (without `/api`), if a path matches.
    fn allow(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == asked.len()
                    && template
                        .iter()
                        .zip(&asked)
                        .all(|(t, a)| (t.starts_with('{') && !a.is_empty()) || t == a)
            })
            .map(|(_, m)| m.as_str())
    }
}

/// Adds `Allow` to the API's 405 answers (RFC 9110).
pub async fn allow_on_405<E: Endpoint>(
    next: E,
    req: Request,
    methods: std::sync::Arc<Methods>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_string();
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        let path = path.strip_prefix("/api").unwrap_or(&path);
        if let Some(allow) = methods
            .allow(path)
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Kind;

    /// `[…]` ranges of the characters `pred` holds for, as in [`WHITE_SPACE`].
    fn class_of(pred: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        let mut run: Option<(char, char)> = None;
        let flush = |out: &mut String, (a, b): (char, char)| {
            if a == b {
                out.push_str(&format!("\\u{:04X}", a as u32));
            } else {
                out.push_str(&format!("\\u{:04X}-\\u{:04X}", a as u32, b as u32));
            }
        };
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            if !pred(c) {
                continue;
            }
            run = match run {
                Some((a, b)) if b as u32 + 1 == c as u32 => Some((a, c)),
                Some(r) => {
                    flush(&mut out, r);
                    Some((c, c))
                }
                None => Some((c, c)),
            };
        }
        if let Some(r) = run {
            flush(&mut out, r);
        }
        out
    }

    #[test]
    fn white_space_is_what_trim_removes() {
        assert_eq!(WHITE_SPACE, class_of(char::is_whitespace));
    }

    #[test]
    fn the_stated_bounds_are_those_the_rules_enforce() {
        // DATE_PATTERN spells out these years.
        assert_eq!(crate::calendar::YEARS, 2000..=2100);
        // PERIOD_PATTERN: fiscal years 1900 to 9999.
        assert!(crate::calendar::Period::parse("1899H2").is_none());
        assert!(crate::calendar::Period::parse("1900H1").is_some());
        assert!(crate::calendar::Period::parse("9999h2").is_some());
        // The reminder parameters (Overrides).
        use crate::reminders::Params;
        let valid = |p: Params| p.validate().is_ok();
        let d = Params::default;
        for (field, min, max) in [
            ("days_before_due", 0, 90),
            ("repeat_interval_days", 1, 90),
            ("escalation_after_days", 1, 365),
        ] {
            let Some((_, _, Rule::Range(lo, hi))) = rules()
                .into_iter()
                .find(|(s, p, _)| *s == "Overrides" && *p == field)
            else {
                panic!("no range for {field}");
            };
            assert_eq!((lo, hi), (min, max), "{field}");
            let with = |v: i64| match field {
                "days_before_due" => Params {
                    days_before_due: v,
                    ..d()
                },
                "repeat_interval_days" => Params {
                    repeat_interval_days: v,
                    ..d()
                },
                _ => Params {
                    escalation_after_days: v,
                    ..d()
                },
            };
            assert!(valid(with(min)) && valid(with(max)), "{field}");
            assert!(!valid(with(min - 1)) && !valid(with(max + 1)), "{field}");
        }
    }

    #[test]
    fn addresses_of_the_email_pattern_are_accepted() {
        // Extremes of EMAIL_PATTERN: every atext character and dots
        // anywhere in the local part, numeric and hyphenated labels.
        let local = format!("{}.", "!#$%&'*+/=?^_`{|}~-".repeat(3));
        let long_label = format!("a{}b", "-".repeat(61));
        for address in [
            "a@b.c",
            ".@0.0",
            &format!("{local}@x-1.{long_label}"),
            &format!("{}@example.jp", "a".repeat(64)),
        ] {
            assert!(crate::email::check(address).is_ok(), "{address}");
        }
    }

    #[test]
    fn a_required_text_keeps_its_kind_and_asks_for_a_visible_character() {
        let mut schema = json!({
            "type": "string",
            "pattern": crate::text::Single::PATTERN,
        });
        Rule::Required(100).apply(schema.as_object_mut().unwrap());
        let refused = refused_class(crate::text::Single::PATTERN).unwrap();
        assert_eq!(
            schema["pattern"],
            format!("^[^{refused}]*[^{refused}{WHITE_SPACE}][^{refused}]*$")
        );
        assert_eq!(
            (schema["minLength"].clone(), schema["maxLength"].clone()),
            (json!(1), json!(100))
        );
    }

    #[test]
    fn allow_matches_templates_segment_by_segment() {
        let doc = json!({ "paths": {
            "/health": { "get": {} },
            "/wards/{ward_id}": { "get": {}, "patch": {} }
        }});
        let m = Methods::of(&doc);
        assert_eq!(m.allow("/health"), Some("GET"));
        assert_eq!(m.allow("/wards/12"), Some("GET, PATCH"));
        assert_eq!(m.allow("/wards/"), None);
        assert_eq!(m.allow("/wards/12/x"), None);
    }
}
