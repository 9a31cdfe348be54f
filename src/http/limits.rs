//! Request body limits, applied before anything reads a body.
//!
//! The NUL filter, the access gate (CSRF) and the handlers all read whole
//! bodies into memory, so every body passes through [`BodyLimit`] first.
//! The limit depends on who may be asking and what is sent:
//!
//! - [`PUBLIC_FORM_LIMIT`] (64 KiB): the public forms (`/login`,
//!   `/password-reset`, `/password-reset/{token}`, `/invitation/{token}`)
//!   and every request that carries no credential at all (no
//!   `Authorization` header, no session cookie). Anonymous clients can only
//!   use the public forms, so nothing anonymous needs more.
//! - [`CSV_IMPORT_LIMIT`] (16 MiB): CSV imports, recognised by content type
//!   (`text/csv`, `application/octet-stream`, `multipart/form-data`).
//! - [`GENERAL_LIMIT`] (1 MiB): every other form and JSON body.
//!
//! The credential is only looked at, not checked (the gate does that
//! later), so a forged cookie buys at most the larger limits, which are
//! still bounded.
//!
//! A body over its limit is answered 413 (problem+json under `/api`, the
//! Japanese error page elsewhere): at once when `Content-Length` says so,
//! otherwise as soon as the stream passes the limit (chunked bodies), by
//! which time at most the limit has been handed on. The rest of the body is
//! then read and thrown away for a while ([`LINGER`]) before the connection
//! closes, as nginx does, so a client still sending gets the 413 instead of
//! a connection reset.
//!
//! A body the answer did not need (a 401, 403 or 404 decided before the
//! body is read) is treated alike: the answer says `Connection: close`,
//! since the server does not read another request after an unread body,
//! and the rest is read and thrown away meanwhile. Without the header a
//! client would send its next request on the closed connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

/// Body limit of the public forms and of requests without a credential.
pub const PUBLIC_FORM_LIMIT: u64 = 64 * 1024;
/// Body limit of signed-in forms and JSON.
pub const GENERAL_LIMIT: u64 = 1024 * 1024;
/// Body limit of CSV imports (by content type, signed-in only).
pub const CSV_IMPORT_LIMIT: u64 = 16 * 1024 * 1024;
/// How long the rest of an oversized body is read and discarded so the
/// client sees the 413 (nginx's `lingering_time` default).
pub const LINGER: Duration = Duration::from_secs(30);

/// The middleware: see the module documentation.
pub struct BodyLimit;

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner }
    }
}

/// [`BodyLimit`] around an endpoint.
pub struct BodyLimitEndpoint<E> {
    inner: E,
}

/// Which limit applies, and how the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`PUBLIC_FORM_LIMIT`]: public forms, and anyone without a credential.
    PublicForm,
    /// [`GENERAL_LIMIT`]: signed-in forms and JSON.
    General,
    /// [`CSV_IMPORT_LIMIT`]: signed-in CSV uploads.
    CsvImport,
}

impl Limit {
    /// The limit in bytes.
    pub fn bytes(self) -> u64 {
        match self {
            Limit::PublicForm => PUBLIC_FORM_LIMIT,
            Limit::General => GENERAL_LIMIT,
            Limit::CsvImport => CSV_IMPORT_LIMIT,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Limit::PublicForm => "送信された内容が大きすぎます（上限 64 KiB）",
            Limit::General => "送信された内容が大きすぎます（上限 1 MiB）",
            Limit::CsvImport => {
                "ファイルが大きすぎます（上限 16 MiB）。ファイルを分けて取り込んでください"
            }
        }
    }

    /// The limit for this request (see the module documentation).
    pub fn of(req: &Request) -> Limit {
        if is_public_form(req.uri().path()) || !carries_credential(req) {
            return Limit::PublicForm;
        }
        let content_type = req.content_type().unwrap_or("").to_ascii_lowercase();
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        match media_type {
            "text/csv" | "application/octet-stream" | "multipart/form-data" => Limit::CsvImport,
            _ => Limit::General,
        }
    }
}

/// The public forms, as the router matches them: on the raw path, static
/// segments byte for byte (so `/%6Cogin` is no form but a 404).
fn is_public_form(path: &str) -> bool {
    let segs: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    match segs.as_slice() {
        ["login"] | ["password-reset"] => true,
        ["password-reset" | "invitation", token] => !token.is_empty(),
        _ => false,
    }
}

fn carries_credential(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || crate::web::auth::session_cookie_value(req).is_some()
}

fn content_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn expects_continue(req: &Request) -> bool {
    req.headers()
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let limit = Limit::of(&req);
        let api = is_api(req.uri().path());
        if content_length(&req).is_some_and(|n| n > limit.bytes()) {
            // A client waiting for "100 Continue" sends nothing: no need to linger.
            if !expects_continue(&req) {
                linger(Box::pin(req.take_body().into_bytes_stream()));
            }
            return Ok(too_large(api, limit));
        }
        let body = req.take_body();
        if body.is_empty() {
            req.set_body(body);
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let rest = Arc::new(Mutex::new(None));
        let unread = Arc::new(Mutex::new(None));
        req.set_body(Body::from_bytes_stream(Capped {
            inner: Some(Box::pin(body.into_bytes_stream())),
            left: limit.bytes(),
            rest: rest.clone(),
            unread: unread.clone(),
        }));
        let result = self.inner.call(req).await;
        // Whatever the reader made of the cut-off body, the answer is 413.
        let overflowed = rest.lock().ok().and_then(|mut r| r.take());
        if let Some(stream) = overflowed {
            linger(stream);
            return Ok(too_large(api, limit));
        }
        let Some(stream) = unread.lock().ok().and_then(|mut r| r.take()) else {
            return result.map(IntoResponse::into_response);
        };
        linger(stream);
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        Ok(resp)
    }
}

fn is_api(path: &str) -> bool {
    path.strip_prefix("/api")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn too_large(api: bool, limit: Limit) -> Response {
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    let mut resp = if api {
        crate::web::problem::response(&crate::web::problem::Problem::new(
            status,
            limit.message(),
            Vec::new(),
        ))
    } else {
        crate::web::page::error_page(status, limit.message())
    };
    // What is left of the body is not a request: the connection ends.
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A body that ends in an error once more than `left` bytes arrive; the
/// unread rest is handed to `rest` (for [`linger`]). Dropped before its
/// end (the answer did not need it), it hands what is left to `unread`.
struct Capped {
    inner: Option<ByteStream>,
    left: u64,
    rest: Arc<Mutex<Option<ByteStream>>>,
    unread: Arc<Mutex<Option<ByteStream>>>,
}

impl Drop for Capped {
    fn drop(&mut self) {
        if let (Some(inner), Ok(mut unread)) = (self.inner.take(), self.unread.lock()) {
            *unread = Some(inner);
        }
    }
}

impl Stream for Capped {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let len = chunk.len() as u64;
                if len <= self.left {
                    self.left -= len;
                    return Poll::Ready(Some(Ok(chunk)));
                }
                if let (Some(inner), Ok(mut rest)) = (self.inner.take(), self.rest.lock()) {
                    *rest = Some(inner);
                }
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "request body over the limit",
                ))))
            }
            Poll::Ready(None) => {
                // Read to its end: nothing is left for `unread`.
                self.inner = None;
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

/// Reads and discards the rest of a body for at most [`LINGER`], on its
/// own task: the 413 goes out meanwhile.
fn linger(mut rest: ByteStream) {
    tokio::spawn(async move {
        let drain = async { while let Some(Ok(_)) = rest.next().await {} };
        let _ = tokio::time::timeout(LINGER, drain).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(path: &str, headers: &[(&str, &str)]) -> Limit {
        let mut b = Request::builder()
            .method(poem::http::Method::POST)
            .uri_str(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        Limit::of(&b.finish())
    }

    #[test]
    fn anonymous_requests_and_public_forms_get_the_small_limit() {
        let bearer = ("authorization", "Bearer rk_x");
        let csv = ("content-type", "text/csv");
        assert_eq!(limit("/api/wards/1/meetings", &[]), Limit::PublicForm);
        assert_eq!(limit("/wards/1/import", &[csv]), Limit::PublicForm);
        for path in [
            "/login",
            "/password-reset",
            "/password-reset/abc",
            "/invitation/abc",
        ] {
            assert_eq!(limit(path, &[bearer, csv]), Limit::PublicForm, "{path}");
        }
        assert_eq!(limit("/invitation", &[bearer]), Limit::General);
        assert_eq!(limit("/invitation/", &[bearer]), Limit::General);
        assert_eq!(limit("/login/x", &[bearer]), Limit::General);
    }

    #[test]
    fn signed_in_requests_get_the_csv_limit_by_content_type() {
        let cookie = ("cookie", "a=b; renkei_session=s");
        assert_eq!(limit("/wards/1", &[cookie]), Limit::General);
        assert_eq!(
            limit(
                "/wards/1/import",
                &[cookie, ("content-type", "multipart/form-data; boundary=x")]
            ),
            Limit::CsvImport
        );
        let bearer = ("authorization", "Bearer rk_x");
        for ct in ["text/csv; charset=Shift_JIS", "Application/Octet-Stream"] {
            assert_eq!(
                limit(
                    "/api/wards/1/meetings/import",
                    &[bearer, ("content-type", ct)]
                ),
                Limit::CsvImport
            );
        }
        assert_eq!(
            limit(
                "/api/wards/1/meetings",
                &[bearer, ("content-type", "application/json")]
            ),
            Limit::General
        );
        // An empty session cookie is no credential.
        assert_eq!(
            limit("/wards/1", &[("cookie", "renkei_session=")]),
            Limit::PublicForm
        );
    }

    #[tokio::test]
    async fn a_stream_past_the_limit_ends_in_an_error_and_keeps_the_rest() {
        let chunks: Vec<io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"12345")),
            Ok(Bytes::from_static(b"678")),
            Ok(Bytes::from_static(b"9")),
        ];
        let rest = Arc::new(Mutex::new(None));
        let mut capped = Capped {
            inner: Some(Box::pin(futures_util::stream::iter(chunks))),
            left: 7,
            rest: rest.clone(),
            unread: Arc::new(Mutex::new(None)),
        };
        assert_eq!(capped.next().await.unwrap().unwrap(), "12345");
        assert!(capped.next().await.unwrap().is_err());
        assert!(capped.next().await.is_none());
        let mut left = rest.lock().unwrap().take().expect("the rest is kept");
        assert_eq!(left.next().await.unwrap().unwrap(), "9");
    }

    #[tokio::test]
    async fn a_body_dropped_before_its_end_hands_over_the_rest() {
        let chunks: Vec<io::Result<Bytes>> =
            vec![Ok(Bytes::from_static(b"12")), Ok(Bytes::from_static(b"34"))];
        let unread = Arc::new(Mutex::new(None));
        let mut capped = Capped {
            inner: Some(Box::pin(futures_util::stream::iter(chunks))),
            left: 100,
            rest: Arc::new(Mutex::new(None)),
            unread: unread.clone(),
        };
        assert_eq!(capped.next().await.unwrap().unwrap(), "12");
        drop(capped);
        let mut left = unread.lock().unwrap().take().expect("the rest is kept");
        assert_eq!(left.next().await.unwrap().unwrap(), "34");

        // Read to its end, it leaves nothing.
        let unread = Arc::new(Mutex::new(None));
        let mut capped = Capped {
            inner: Some(Box::pin(futures_util::stream::iter(vec![Ok(
                Bytes::from_static(b"1"),
            )]))),
            left: 100,
            rest: Arc::new(Mutex::new(None)),
            unread: unread.clone(),
        };
        while capped.next().await.is_some() {}
        drop(capped);
        assert!(unread.lock().unwrap().is_none());
    }
}
