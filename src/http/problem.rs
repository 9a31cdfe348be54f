//! RFC 9457 problem details for the API: the one place where an
//! [`AppError`] and poem's own request errors become JSON responses.

use poem::Response;
use poem::http::StatusCode;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::error::{AppError, FieldError};

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
    /// Field-by-field messages for invalid input.
    #[oai(skip_serializing_if_is_empty)]
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
