//! RFC 9457 problem details for the API: the one place where an
//! [`AppError`] and poem's own request errors become JSON responses.

use std::collections::HashMap;

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use serde_json::Value;

use crate::error::{AppError, FieldError};
use crate::text::{Kind, Multi, Single, TextError};

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when only the status matters).
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in Japanese.
    pub detail: String,
    /// Field-by-field messages for invalid input; absent when there are
    /// none (401, 403, 404 …), so not required.
    #[oai(skip_serializing_if_is_empty, default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors,
        }
    }
}

/// The error half of every API operation's response.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// No valid bearer token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The token's role or scope does not allow this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// Unknown id (or one outside the token's scope).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The PDCA ladder (or another rule of the current state) forbids this.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// Invalid input; `errors` names the fields.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let status = err.status();
        let detail = match &err {
            AppError::Rule(_) => format!("この段階変更はできません：{}", err.public_message()),
            _ => err.public_message(),
        };
        let problem = Json(Problem::new(status, detail, err.field_errors().to_vec()));
        match status {
            StatusCode::NOT_FOUND => ApiError::NotFound(problem),
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized(problem),
            StatusCode::FORBIDDEN => ApiError::Forbidden(problem),
            StatusCode::CONFLICT => ApiError::Conflict(problem),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(problem),
            _ => ApiError::Internal(problem),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Renders a problem response with the right content type.
pub fn response(problem: &Problem) -> Response {
    let body = serde_json::to_string(problem).unwrap_or_default();
    Response::builder()
        .status(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(CONTENT_TYPE)
        .body(body)
}

/// A Japanese reading of poem-openapi's (English) body parse error. It
/// names the object, not the field, so the message says what kind of value
/// was wrong and keeps the original reason for the developer.
fn payload_message(reason: &str) -> String {
    let what = if reason.contains("naive-date") {
        "日付は YYYY-MM-DD 形式の実在する日付で指定してください"
    } else if reason.contains(" at line ") {
        "JSON として読み取れません"
    } else if reason.contains("Expected input type") {
        "値の型が違うか、選べない値が指定されています"
    } else {
        "リクエストの内容が正しくありません"
    };
    format!("{what}（{reason}）")
}

/// Turns errors raised by poem itself under `/api` (no such route, a body or
/// parameter that does not parse) into problem details. Responses our
/// handlers already shaped pass through unchanged.
pub async fn catch_api_error(err: poem::Error) -> Response {
    use poem::error::{MethodNotAllowedError, NotFoundError};
    use poem_openapi::error::{
        ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
    };

    let problem = if err.is::<NotFoundError>() {
        Problem::new(StatusCode::NOT_FOUND, "指定されたURLは存在しません", vec![])
    } else if err.is::<ParsePathError>() {
        Problem::new(
            StatusCode::NOT_FOUND,
            "指定されたIDは見つかりません",
            vec![],
        )
    } else if err.is::<MethodNotAllowedError>() {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "このURLではそのメソッドは使えません",
            vec![],
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("パラメータ「{}」の値が正しくありません", e.name),
            vec![FieldError::new(e.name, e.reason.clone())],
        )
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            payload_message(&e.reason),
            vec![],
        )
    } else if err.is::<ContentTypeError>() {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type は application/json にしてください",
            vec![],
        )
    } else {
        return err.into_response();
    };
    response(&problem)
}

/// Which JSON properties of the API's request bodies hold which kind of
/// text, read from the spec (the text types mark their schemas with a
/// `format`). poem-openapi reports a refused value without saying where it
/// was, so this map lets [`name_refused_text`] find the field again.
#[derive(Debug, Default, Clone)]
pub struct TextFields {
    /// Property name → whether some schema has it as single-line / multi-line.
    kinds: HashMap<String, (bool, bool)>,
    /// Property names some schema has as a date (`format: date`, poem's `naive-date`):
    /// a date that does not parse (10000-01-01, 2026-02-30) is named too.
    dates: std::collections::HashSet<String>,
}

impl TextFields {
    /// Reads every object schema's properties; a property of an array of
    /// text (`wards`) counts as text.
    pub fn from_spec(spec: &Value) -> Self {
        let mut kinds: HashMap<String, (bool, bool)> = HashMap::new();
        let mut dates = std::collections::HashSet::new();
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        for schema in schemas.into_iter().flat_map(|m| m.values()) {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, property) in properties.into_iter().flatten() {
                let entry = kinds.entry(name.clone()).or_default();
                entry.0 |= has_format(property, Single::FORMAT);
                entry.1 |= has_format(property, Multi::FORMAT);
                if has_format(property, "naive-date") || has_format(property, "date") {
                    dates.insert(name.clone());
                }
            }
        }
        kinds.retain(|_, (single, multi)| *single || *multi);
        Self { kinds, dates }
    }

    /// Every date property in `body` whose value is not a YYYY-MM-DD date
    /// of [`crate::calendar::YEARS`], by path, with the message.
    pub fn bad_dates(&self, body: &Value) -> Vec<FieldError> {
        let mut out = Vec::new();
        self.walk_dates(body, String::new(), None, &mut out);
        out
    }

    fn walk_dates(
        &self,
        value: &Value,
        path: String,
        key: Option<&str>,
        out: &mut Vec<FieldError>,
    ) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk_dates(v, child, Some(k), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.walk_dates(v, format!("{path}[{i}]"), key, out);
                }
            }
            Value::String(text) if key.is_some_and(|k| self.dates.contains(k)) => {
                let ok = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .is_ok_and(|d| crate::calendar::YEARS.contains(&chrono::Datelike::year(&d)))
                    && text.len() == 10;
                if !ok {
                    out.push(FieldError::new(
                        &path,
                        format!(
                            "日付は YYYY-MM-DD 形式の実在する日付（{}〜{}年）で指定してください",
                            crate::calendar::YEARS.start(),
                            crate::calendar::YEARS.end()
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    /// Property names that are single-line in one schema and multi-line in
    /// another: a refused value under such a name cannot be told apart.
    pub fn ambiguous(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .kinds
            .iter()
            .filter(|(_, (single, multi))| *single && *multi)
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// Every string in `body` that its property's kind refuses, by path
    /// (`title`, `wards[2]`, `stage_changes[0].note`), with the message.
    pub fn refused(&self, body: &Value) -> Vec<FieldError> {
        let mut out = Vec::new();
        self.walk(body, String::new(), None, &mut out);
        out
    }

    fn walk(&self, value: &Value, path: String, key: Option<&str>, out: &mut Vec<FieldError>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(v, child, Some(k), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.walk(v, format!("{path}[{i}]"), key, out);
                }
            }
            Value::String(text) => {
                let Some((single, multi)) = key.and_then(|k| self.kinds.get(k)) else {
                    return;
                };
                let refused = if *single && TextError::NotSingleLine.refuses(text) {
                    Some(TextError::NotSingleLine)
                } else if *multi && TextError::ControlCharacter.refuses(text) {
                    Some(TextError::ControlCharacter)
                } else {
                    None
                };
                if let Some(e) = refused {
                    out.push(FieldError::new(&path, e.message()));
                }
            }
            _ => {}
        }
    }
}

fn has_format(schema: &Value, format: &str) -> bool {
    schema.get("format").and_then(Value::as_str) == Some(format)
        || schema
            .get("items")
            .is_some_and(|items| has_format(items, format))
        || ["allOf", "anyOf", "oneOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|list| list.iter().any(|s| has_format(s, format)))
        })
}

/// The media types poem-openapi reads as JSON: `application/json` and
/// `application/*+json` (as its `Json` payload decides).
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Answers a JSON body whose text the text types refused (whatever its
/// JSON media type) with a 422 naming every such field. This only words
/// the answer: the refusal itself happened in the types, and without the
/// body the 422 still comes, without the field names. The body is kept
/// (shared, not copied) so it can be searched after poem-openapi read it.
pub async fn name_refused_text<E: Endpoint>(
    next: E,
    mut req: Request,
    fields: std::sync::Arc<TextFields>,
) -> poem::Result<Response> {
    let body = if req.content_type().is_some_and(is_json) {
        let bytes = req.take_body().into_bytes().await?;
        req.set_body(bytes.clone());
        Some(bytes)
    } else {
        None
    };
    let err = match next.call(req).await {
        Ok(resp) => return Ok(resp.into_response()),
        Err(err) => err,
    };
    let Some(reason) = err
        .downcast_ref::<ParseRequestPayloadError>()
        .map(|e| e.reason.clone())
    else {
        return Err(err);
    };
    let body = body.and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    if reason.contains("naive-date") {
        // A date poem-openapi could not read: name the field(s).
        let errors = body.map(|v| fields.bad_dates(&v)).unwrap_or_default();
        if errors.is_empty() {
            return Err(err);
        }
        let detail = errors
            .iter()
            .map(|f| format!("「{}」: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("。");
        return Ok(response(&Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            detail,
            errors,
        )));
    }
    let Some(refused) = TextError::found_in(&reason) else {
        return Err(err);
    };
    let errors = body.map(|v| fields.refused(&v)).unwrap_or_default();
    let detail = if errors.is_empty() {
        refused.message().to_string()
    } else {
        errors
            .iter()
            .map(|f| format!("「{}」に{}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("。")
    };
    Ok(response(&Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        detail,
        errors,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refused_text_is_found_by_the_kind_of_its_property() {
        let spec = json!({"components": {"schemas": {
            "NewMeeting": {"properties": {
                "title": {"type": "string", "format": "single-line"},
                "minutes": {"type": "string", "format": "multi-line"},
                "held_on": {"type": "string", "format": "naive-date"}
            }},
            "NewMunicipality": {"properties": {
                "wards": {"type": "array", "items": {"type": "string", "format": "single-line"}}
            }},
            "StageChange": {"properties": {
                "note": {"allOf": [{"type": "string", "format": "multi-line"}]}
            }}
        }}});
        let fields = TextFields::from_spec(&spec);
        assert!(fields.ambiguous().is_empty());
        let body = json!({
            "title": "一行目\n二行目",
            "minutes": "一行目\r\n二行目\t",
            "held_on": "2026\u{0}",
            "wards": ["北区", "都島\t区"],
            "stage_changes": [{"note": "可"}, {"note": "不\u{0}可"}]
        });
        let mut found: Vec<(String, String)> = fields
            .refused(&body)
            .into_iter()
            .map(|f| (f.field, f.message))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "stage_changes[1].note".to_string(),
                    TextError::ControlCharacter.message().to_string()
                ),
                (
                    "title".to_string(),
                    TextError::NotSingleLine.message().to_string()
                ),
                (
                    "wards[1]".to_string(),
                    TextError::NotSingleLine.message().to_string()
                ),
            ]
        );
    }

    #[test]
    fn json_media_types_are_those_poem_openapi_reads_as_json() {
        for t in [
            "application/json",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "Application/Problem+JSON",
            "application/vnd.foo+json;v=1",
        ] {
            assert!(is_json(t), "{t}");
        }
        for t in [
            "text/json",
            "application/x-www-form-urlencoded",
            "application/jsonx",
        ] {
            assert!(!is_json(t), "{t}");
        }
    }
}
