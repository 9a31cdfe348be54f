//! The application's one error type, and its one mapping to HTTP status.
//! The API renders it as problem+json (`http::problem`), the pages as an
//! HTML message; internal causes are logged and never shown to a user.

use poem::http::StatusCode;
use serde::Serialize;

/// A message attached to one input field, in Japanese, for the UI and the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The named thing (in Japanese, e.g. 「会議」) does not exist.
    #[error("指定された{0}は見つかりません")]
    NotFound(&'static str),
    /// Input that cannot be accepted, field by field.
    #[error("入力内容に誤りがあります")]
    Invalid(Vec<FieldError>),
    /// A request that is well-formed but contradicts the current state
    /// (a ladder step the PDCA rules forbid, a duplicate name …).
    #[error("{0}")]
    Conflict(String),
    /// A PDCA ladder rule that the request does not meet, with the fields
    /// that are missing or wrong (409: the request is valid, the step is not).
    #[error("{}", join_messages(.0))]
    Rule(Vec<FieldError>),
    /// No valid session or token.
    #[error("ログインが必要です")]
    Unauthorized,
    /// Signed in, but the role or scope does not allow this.
    #[error("この操作を行う権限がありません")]
    Forbidden,
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The HTTP status for this error: the only place that decides it.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) | Self::Rule(_) => StatusCode::CONFLICT,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Field messages, if any.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(errors) | Self::Rule(errors) => errors,
            _ => &[],
        }
    }

    /// What a user may read: internal causes are replaced by a generic message
    /// and logged instead (the log carries no request data, only the cause).
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(e) => {
                tracing::error!(error = %e, "database error");
                "サーバー内部でエラーが発生しました".into()
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "サーバー内部でエラーが発生しました".into()
            }
            other => other.to_string(),
        }
    }
}

/// Turns a unique-constraint violation into a conflict with the given message;
/// other database errors pass through.
pub fn unique_violation(message: &str) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Conflict(message.into()),
        _ => AppError::Database(e),
    }
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("。")
}

pub type AppResult<T> = Result<T, AppError>;
