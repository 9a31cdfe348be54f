//! Who is asking, and may they: the one gate every request passes.
//!
//! - Identity: `/api/*` takes `Authorization: Bearer rk_…` only; pages take
//!   the session cookie, or a bearer token (scripts fetching CSV exports).
//! - Authorization: the path is resolved to an [`accounts::Target`] (the
//!   ward, municipality … it touches, looked up in the database) and
//!   [`accounts::decide`] rules. Reading what one may not read answers 404
//!   (existence does not leak); writing what one may only read answers 403.
//! - CSRF: a cookie-authenticated request that changes data must echo the
//!   session's synchronizer token (`csrf_token` form field, or the
//!   `X-CSRF-Token` header). Every HTML form of a signed-in page gets the
//!   hidden field added on the way out, so no form can forget it. Bearer
//!   requests carry no ambient credential and need no CSRF token.
//! - Login CSRF: the public forms (sign-in, password reset, invitation)
//!   have no session to tie a token to, so a POST there must come from this
//!   site: `Sec-Fetch-Site` must be `same-origin` (or `none`, typed by the
//!   user) when the browser sends it, else `Origin`, when sent, must be this
//!   site's (OWASP's "verifying origin with standard headers"). Clients that
//!   send neither (scripts) carry no ambient credential a forger could use.
//! - Lists spanning municipalities get `municipality_id` forced to the
//!   actor's own; handlers narrow ward lists with [`Actor::sees`].

use poem::http::{Method, StatusCode, Uri, header};
use poem::web::cookie::{Cookie, SameSite};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use crate::accounts::{self, Access, Actor, Decision, Target, store};
use crate::app::AppState;
use crate::error::AppError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "renkei_session";
/// Name of the CSRF form field.
pub const CSRF_FIELD: &str = "csrf_token";

/// The session behind a cookie-authenticated request.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub cookie_value: String,
    pub csrf_token: String,
}

/// What the path names, before the database tells us where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Public,
    Fixed(Target),
    Ward(i64),
    Member(i64),
    Meeting(i64),
    Countermeasure(i64),
    Municipality(i64),
}

fn id(seg: Option<&&str>) -> Option<i64> {
    seg.and_then(|s| s.parse().ok())
}

/// Classifies a path (without the `/api` prefix for API paths).
fn classify(path: &str, api: bool) -> Named {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let first = segs.first().copied().unwrap_or("");
    let by_id = |f: fn(i64) -> Named| {
        id(segs.get(1))
            .map(f)
            .unwrap_or(Named::Fixed(Target::CityLevel))
    };
    match first {
        "" if api => Named::Public,
        "" => Named::Fixed(Target::Anyone),
        "health" if api => Named::Public,
        "topics" if api => Named::Fixed(Target::Anyone),
        "login" | "static" | "calendar.ics" | "password-reset" | "invitation" if !api => {
            Named::Public
        }
        "logout" if !api => Named::Fixed(Target::Anyone),
        "account" if !api => Named::Fixed(Target::Anyone),
        "municipalities" if segs.len() == 1 => Named::Fixed(Target::Installation),
        "municipalities" if segs.get(1) == Some(&"new") => Named::Fixed(Target::Installation),
        "municipalities" | "city" => by_id(Named::Municipality),
        "wards" if segs.len() == 1 => Named::Fixed(Target::ScopedList),
        "wards" => by_id(Named::Ward),
        "members" => by_id(Named::Member),
        "meetings" => by_id(Named::Meeting),
        "countermeasures" => by_id(Named::Countermeasure),
        "report" | "surveys" | "jobs" | "reminders" => Named::Fixed(Target::CityLevel),
        "accounts" | "audit" => Named::Fixed(Target::Accounts),
        // Unknown paths: let the router answer 404, but only to the signed-in.
        _ => Named::Fixed(Target::Anyone),
    }
}

fn access_of(method: &Method, path: &str) -> Access {
    if method == Method::GET || method == Method::HEAD {
        Access::Read
    } else if path.starts_with("/countermeasures/")
        && (path.ends_with("/transitions") || path.ends_with("/transition"))
    {
        Access::Transition
    } else {
        Access::Write
    }
}

/// Resolves what the path names to a target; None when the id is unknown
/// (the handler then answers 404 as it always did).
async fn resolve(state: &AppState, named: Named) -> Result<Option<Target>, AppError> {
    let db = &state.db;
    Ok(match named {
        Named::Public => Some(Target::Anyone),
        Named::Fixed(t) => Some(t),
        Named::Municipality(m) => Some(Target::Municipality(m)),
        Named::Ward(w) => store::ward_scope(db, w).await?.map(Target::Ward),
        Named::Member(m) => store::member_scope(db, m).await?.map(Target::Ward),
        Named::Meeting(m) => store::meeting_scope(db, m).await?.map(Target::Ward),
        Named::Countermeasure(c) => {
            store::countermeasure_scope(db, c)
                .await?
                .map(|(ward, owner_member_id)| Target::Countermeasure {
                    ward,
                    owner_member_id,
                })
        }
    })
}

/// Whether reading the target is allowed (to choose 404 over 403).
fn readable(actor: &Actor, target: Target) -> bool {
    accounts::decide(actor, target, Access::Read) == Decision::Allow
}

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

fn error_response(api: bool, err: AppError) -> Response {
    if api {
        let problem =
            crate::http::problem::Problem::new(err.status(), err.public_message(), vec![]);
        crate::http::problem::response(&problem)
    } else {
        crate::pages::error_page(err.status(), &err.public_message())
    }
}

/// Whether a request to a public form comes from another site (login CSRF).
fn cross_site(req: &Request, base_url: &str) -> bool {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site.as_str(), "same-origin" | "none");
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    // "null" (a sandboxed or privacy-stripped origin) is not this site.
    let base = base_url.trim_end_matches('/').to_ascii_lowercase();
    let host = header("host").unwrap_or_default();
    let same_host = origin
        .split_once("://")
        .is_some_and(|(_, authority)| !host.is_empty() && authority == host);
    !(origin == base || same_host)
}

/// Finds `csrf_token` in a URL-encoded or multipart body.
fn csrf_in_body(content_type: &str, body: &[u8]) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    if content_type.starts_with("multipart/form-data") {
        let needle = format!("name=\"{CSRF_FIELD}\"");
        let text = String::from_utf8_lossy(body);
        let at = text.find(&needle)?;
        let rest = &text[at..];
        let start = rest.find("\r\n\r\n")? + 4;
        let end = rest[start..].find("\r\n")?;
        return Some(rest[start..start + end].to_string());
    }
    None
}

/// Forces `municipality_id=<actor's>` into the query of a cross-ward list.
fn force_municipality(uri: &Uri, municipality_id: i64) -> Option<Uri> {
    let kept: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "municipality_id")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        q.append_pair(k, v);
    }
    q.append_pair("municipality_id", &municipality_id.to_string());
    format!("{}?{}", uri.path(), q.finish()).parse().ok()
}

/// Adds the hidden CSRF field after every `<form … method="post" …>` tag.
pub fn inject_csrf(html: &str, token: &str) -> String {
    let field = format!("<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{token}\">");
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start..start + len + 1];
        out.push_str(&rest[..start + len + 1]);
        if tag.to_ascii_lowercase().contains("method=\"post\"") {
            out.push_str(&field);
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The middleware: see the module documentation.
pub struct Gate<E> {
    pub inner: E,
    pub state: AppState,
}

impl<E: Endpoint> Endpoint for Gate<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let full_path = req.uri().path().to_string();
        let (api, path) = match full_path.strip_prefix("/api") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => (true, rest.to_string()),
            _ => (false, full_path.clone()),
        };
        // The spec and Swagger UI are public documentation.
        if !api && (path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/")) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let named = classify(&path, api);
        if named == Named::Public {
            if !api && req.method() == Method::POST && cross_site(&req, &self.state.config.base_url)
            {
                tracing::warn!("cross-site POST to a public form refused");
                return Ok(crate::pages::error_page(
                    StatusCode::FORBIDDEN,
                    "別のサイトからの送信は受け付けられません。このサイトのページを開いてから、もう一度操作してください",
                ));
            }
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let now = self.state.clock.now();

        // Who is asking.
        let mut session = None;
        let actor = if let Some(token) = bearer(&req) {
            store::token_actor(&self.state.db, &token).await
        } else if api {
            Ok(None)
        } else if let Some(value) = session_cookie_value(&req) {
            match store::session_actor(&self.state.db, &value, now).await {
                Ok(Some((actor, csrf_token))) => {
                    session = Some(SessionInfo {
                        cookie_value: value,
                        csrf_token,
                    });
                    Ok(Some(actor))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        } else {
            Ok(None)
        };
        let actor = match actor {
            Ok(Some(a)) => a,
            Ok(None) if !api && req.method() == Method::GET => {
                return Ok(poem::web::Redirect::see_other("/login").into_response());
            }
            Ok(None) => return Ok(error_response(api, AppError::Unauthorized)),
            Err(e) => return Ok(error_response(api, e)),
        };

        // May they.
        let access = access_of(req.method(), &path);
        let target = match resolve(&self.state, named).await {
            Ok(t) => t,
            Err(e) => return Ok(error_response(api, e)),
        };
        if let Some(target) = target {
            if accounts::decide(&actor, target, access) == Decision::Deny {
                let err = match target {
                    Target::Ward(_) | Target::Countermeasure { .. }
                        if !readable(&actor, target) =>
                    {
                        AppError::NotFound(if api { "データ" } else { "ページ" })
                    }
                    _ => AppError::Forbidden,
                };
                return Ok(error_response(api, err));
            }
            if matches!(target, Target::CityLevel | Target::ScopedList)
                && access == Access::Read
                && let Some(m) = actor.municipality_id
                && let Some(uri) = force_municipality(req.uri(), m)
            {
                *req.uri_mut() = uri;
            }
        }

        // CSRF for cookie sessions.
        if let Some(s) = &session
            && access != Access::Read
        {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let header_token = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = req.take_body().into_bytes().await?;
            let given = header_token.or_else(|| csrf_in_body(&content_type, &body));
            req.set_body(Body::from(body));
            let ok = given.is_some_and(|g| accounts::secret::constant_time_eq(&g, &s.csrf_token));
            if !ok {
                return Ok(crate::pages::error_page(
                    StatusCode::FORBIDDEN,
                    "フォームの有効期限が切れたか、不正な送信です。ページを読み込み直してから、もう一度操作してください",
                ));
            }
        }

        let label = actor.label.clone();
        req.extensions_mut().insert(actor);
        if let Some(s) = session.clone() {
            req.extensions_mut().insert(s);
        }
        let resp = crate::audit::acting_as(label, self.inner.call(req))
            .await
            .map(IntoResponse::into_response);
        let resp = match resp {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        // Every form of a signed-in page carries the token.
        let is_html = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        match session {
            Some(s) if is_html => {
                let (parts, body) = resp.into_parts();
                let html = body.into_string().await?;
                let html = inject_csrf(&html, &s.csrf_token);
                Ok(Response::from_parts(parts, Body::from(html)))
            }
            _ => Ok(resp),
        }
    }
}

/// The actor the gate put on the request (401 if none: a route the gate
/// treats as public must not ask for one).
pub fn actor(req: &Request) -> Result<Actor, AppError> {
    req.extensions()
        .get::<Actor>()
        .cloned()
        .ok_or(AppError::Unauthorized)
}

/// The session cookie's value, read from the `Cookie` header.
pub fn session_cookie_value(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// The session cookie as configured: HttpOnly, SameSite=Lax, Secure when
/// served over HTTPS.
pub fn session_cookie(value: &str, secure: bool, max_age_secs: i64) -> Cookie {
    let mut c = Cookie::new_with_str(SESSION_COOKIE, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c.set_path("/");
    c.set_max_age(std::time::Duration::from_secs(max_age_secs.max(0) as u64));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_what_they_touch() {
        assert_eq!(classify("/wards/3/meetings", true), Named::Ward(3));
        assert_eq!(classify("/wards", true), Named::Fixed(Target::ScopedList));
        assert_eq!(
            classify("/municipalities", true),
            Named::Fixed(Target::Installation)
        );
        assert_eq!(
            classify("/municipalities/2/reminder-settings", true),
            Named::Municipality(2)
        );
        assert_eq!(
            classify("/city/2/surveys/2026H1/summaries", false),
            Named::Municipality(2)
        );
        assert_eq!(
            classify("/countermeasures/9/history", true),
            Named::Countermeasure(9)
        );
        assert_eq!(classify("/health", true), Named::Public);
        assert_eq!(classify("/login", false), Named::Public);
        assert_eq!(classify("/calendar.ics", false), Named::Public);
        assert_eq!(classify("/invitation/abc", false), Named::Public);
        assert_eq!(
            classify("/accounts/3/member", false),
            Named::Fixed(Target::Accounts)
        );
        assert_eq!(
            classify("/accounts/invite", false),
            Named::Fixed(Target::Accounts)
        );
        assert_eq!(
            classify("/report/2026H1", false),
            Named::Fixed(Target::CityLevel)
        );
    }

    #[test]
    fn public_form_posts_from_another_site_are_cross_site() {
        let base = "https://renkei.example.jp";
        let post = |headers: &[(&str, &str)]| {
            let mut b = Request::builder().method(Method::POST).uri_str("/login");
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            cross_site(&b.finish(), base)
        };
        assert!(!post(&[]), "scripts send neither header");
        assert!(!post(&[("sec-fetch-site", "same-origin")]));
        assert!(!post(&[("sec-fetch-site", "none")]));
        assert!(post(&[("sec-fetch-site", "cross-site")]));
        assert!(post(&[("sec-fetch-site", "same-site")]));
        assert!(!post(&[("origin", "https://renkei.example.jp")]));
        assert!(!post(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ]));
        assert!(post(&[("origin", "https://evil.example")]));
        assert!(post(&[("origin", "null")]));
        // Fetch metadata, when sent, decides.
        assert!(post(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://renkei.example.jp")
        ]));
    }

    #[test]
    fn transitions_are_their_own_kind_of_write() {
        assert_eq!(
            access_of(&Method::POST, "/countermeasures/1/transitions"),
            Access::Transition
        );
        assert_eq!(
            access_of(&Method::POST, "/countermeasures/1/archive"),
            Access::Write
        );
        assert_eq!(access_of(&Method::GET, "/countermeasures/1"), Access::Read);
    }

    #[test]
    fn csrf_field_is_added_to_post_forms_only() {
        let html =
            r#"<form method="get" action="/x"></form><form class="s" method="post" action="/y">"#;
        let out = inject_csrf(html, "T");
        assert_eq!(out.matches("name=\"csrf_token\"").count(), 1);
        assert!(out.ends_with(r#"action="/y"><input type="hidden" name="csrf_token" value="T">"#));
    }

    #[test]
    fn csrf_token_is_read_from_urlencoded_and_multipart_bodies() {
        assert_eq!(
            csrf_in_body("application/x-www-form-urlencoded", b"a=1&csrf_token=abc"),
            Some("abc".into())
        );
        let mp =
            b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nxyz\r\n--b--\r\n";
        assert_eq!(
            csrf_in_body("multipart/form-data; boundary=b", mp),
            Some("xyz".into())
        );
        assert_eq!(csrf_in_body("application/json", b"{}"), None);
    }

    #[test]
    fn cross_ward_lists_are_pinned_to_the_actors_municipality() {
        let uri: Uri = "/report/2026H1?municipality_id=9&x=1".parse().unwrap();
        let forced = force_municipality(&uri, 2).unwrap();
        assert_eq!(forced.to_string(), "/report/2026H1?x=1&municipality_id=2");
    }
}
