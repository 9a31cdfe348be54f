//! Who is asking, and may they.
//!
//! - Identity: `/api/*` takes `Authorization: Bearer rk_…` only
//!   ([`ApiGate`]); pages take the session cookie, or a bearer token
//!   (scripts fetching CSV exports).
//! - Authorization is decided on the typed, decoded ids the handler gets,
//!   never on the raw path: each page route declares a [`Rule`] in the
//!   route table (`http::routes`), and [`Guarded`] decides it on the
//!   router's decoded `:id` and hands the handler the scope value
//!   (`crate::access`) it needs to reach the data; each API operation
//!   decides on its `Path` values with the same `crate::access` checks.
//!   Missing and out-of-scope ids answer alike (404); what one may only
//!   read answers 403 to a write.
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

use poem::http::{Method, StatusCode, header};
use poem::web::cookie::{Cookie, SameSite};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use crate::access;
use crate::accounts::{self, Actor, store};
use crate::error::AppError;
use crate::state::AppState;

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

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

fn error_response(api: bool, err: AppError) -> Response {
    if api {
        let problem = crate::web::problem::Problem::new(err.status(), err.public_message(), vec![]);
        crate::web::problem::response(&problem)
    } else {
        crate::web::page::error_page(err.status(), &err.public_message())
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

/// What a page route requires, declared beside it in the route table
/// (`http::routes`); the table has no other way to add a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, no sign-in (the stylesheet; the calendar feed, whose secret
    /// is in its query).
    Public,
    /// Anyone, no sign-in; a POST must come from this site (sign-in,
    /// password reset, invitation: login CSRF).
    PublicForm,
    /// Any signed-in account (home, own password, sign-out).
    SignedIn,
    /// Ward `:id`.
    Ward(Need),
    /// Committee member `:id`.
    Member(Need),
    /// Meeting `:id`.
    Meeting(Need),
    /// Countermeasure `:id`.
    Countermeasure(Need),
    /// Reminder message `:id` of the outbox, as a record of its ward
    /// (resending one that failed or was refused).
    Outbox(Need),
    /// Ward `:id`, changed by the city of its municipality (or `admin`)
    /// only: reopening a submitted survey.
    WardByCity,
    /// Municipality `:id` (the city's pages).
    City(Need),
    /// Municipality `:id`'s plan (scenes, 目指すべき姿, indicators), read by
    /// every account of it; changing it is [`Rule::City`]`(Write)`.
    Plan,
    /// Indicator (評価指標) `:id`: read by every account of its
    /// municipality, changed by its city.
    Indicator(Need),
    /// The cross-ward views of the actor's municipality; `admin` names one
    /// with `?municipality_id=` (or sees all).
    CityView,
    /// A list spanning wards, narrowed to the wards the actor sees (its
    /// own ward for a ward's accounts; `?municipality_id=` as for
    /// [`Rule::CityView`] for city-level ones): the delivery log.
    WardsView,
    /// Creating municipalities: `admin`.
    Installation,
    /// Accounts and the audit log: `city`, `admin`.
    Accounts,
}

/// The level a rule asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    /// A countermeasure's PDCA step (its owner may record it).
    Step,
}

/// The typed id of the route's `:id` parameter, as the router decoded it;
/// anything that is not a number answers like a missing record.
fn path_id(req: &Request, kind: &'static str) -> Result<i64, AppError> {
    req.raw_path_param("id")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(AppError::NotFound(kind))
}

/// Decides `rule` for `actor` on the request's decoded parameters and puts
/// the scope it grants on the request, where the handler takes it from.
async fn grant(
    state: &AppState,
    actor: &Actor,
    rule: Rule,
    req: &mut Request,
) -> Result<(), AppError> {
    let db = &state.db;
    match rule {
        Rule::Public | Rule::PublicForm | Rule::SignedIn => {}
        Rule::Ward(Need::Read) => {
            let t = access::ward_read(db, actor, path_id(req, "区")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Ward(_) => {
            let t = access::ward_write(db, actor, path_id(req, "区")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::WardByCity => {
            let (ward, city) = access::ward_by_city(db, actor, path_id(req, "区")?).await?;
            req.extensions_mut().insert(ward);
            req.extensions_mut().insert(city);
        }
        Rule::Member(Need::Read) => {
            let t = access::member_read(db, actor, path_id(req, "委員")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Member(_) => {
            let t = access::member_write(db, actor, path_id(req, "委員")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Meeting(Need::Read) => {
            let t = access::meeting_read(db, actor, path_id(req, "会議")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Meeting(_) => {
            let t = access::meeting_write(db, actor, path_id(req, "会議")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Countermeasure(Need::Read) => {
            let t = access::countermeasure_read(db, actor, path_id(req, "対応策")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Countermeasure(Need::Write) => {
            let t = access::countermeasure_write(db, actor, path_id(req, "対応策")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Countermeasure(Need::Step) => {
            let t = access::countermeasure_step(db, actor, path_id(req, "対応策")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Outbox(Need::Read) => {
            let t = access::outbox_read(db, actor, path_id(req, "通知メール")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Outbox(_) => {
            let t = access::outbox_write(db, actor, path_id(req, "通知メール")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::City(Need::Read) => {
            let t = access::city_read(actor, path_id(req, "自治体")?)?;
            req.extensions_mut().insert(t);
        }
        Rule::City(_) => {
            let t = access::city_of(actor, path_id(req, "自治体")?)?;
            req.extensions_mut().insert(t);
        }
        Rule::Plan => {
            let t = access::plan_read(actor, path_id(req, "自治体")?)?;
            req.extensions_mut().insert(t);
        }
        Rule::Indicator(Need::Read) => {
            let t = access::indicator_read(db, actor, path_id(req, "評価指標")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::Indicator(_) => {
            let t = access::indicator_write(db, actor, path_id(req, "評価指標")?).await?;
            req.extensions_mut().insert(t);
        }
        Rule::CityView => {
            let t = access::city_view(actor, asked_municipality(req)?)?;
            req.extensions_mut().insert(t);
        }
        Rule::WardsView => {
            let t = access::wards_view(actor, asked_municipality(req)?)?;
            req.extensions_mut().insert(t);
        }
        Rule::Installation => {
            let t = access::installation(actor)?;
            req.extensions_mut().insert(t);
        }
        Rule::Accounts => {
            let t = access::accounts_admin(actor)?;
            req.extensions_mut().insert(t);
        }
    }
    Ok(())
}

/// The municipality a cross-ward view names (`?municipality_id=`, the last
/// one, decoded; empty counts as absent); one that is not a number answers
/// like a missing one.
fn asked_municipality(req: &Request) -> Result<Option<i64>, AppError> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "municipality_id")
        .map(|(_, v)| v.into_owned())
        .last()
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<i64>().map_err(|_| AppError::NotFound("自治体")))
        .transpose()
}

/// Who is asking: a bearer token, or (pages only) the session cookie.
async fn identify(
    state: &AppState,
    req: &Request,
    cookies: bool,
) -> Result<Option<(Actor, Option<SessionInfo>)>, AppError> {
    if let Some(token) = bearer(req) {
        return Ok(store::token_actor(&state.db, &token)
            .await?
            .map(|a| (a, None)));
    }
    if !cookies {
        return Ok(None);
    }
    let Some(value) = session_cookie_value(req) else {
        return Ok(None);
    };
    Ok(store::session_actor(&state.db, &value, state.clock.now())
        .await?
        .map(|(actor, csrf_token)| {
            (
                actor,
                Some(SessionInfo {
                    cookie_value: value,
                    csrf_token,
                }),
            )
        }))
}

fn page_error(err: AppError) -> Response {
    error_response(false, err)
}

/// One page route's handler behind its rule: identity, the decision on
/// the decoded parameters, CSRF for cookie sessions, the audit actor, and
/// the CSRF field added to every form of the page it answers.
pub struct Guarded {
    /// The route's declared rule.
    pub rule: Rule,
    pub inner: poem::endpoint::BoxEndpoint<'static, Response>,
    pub state: AppState,
}

impl Endpoint for Guarded {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        match self.rule {
            Rule::Public => return self.inner.call(req).await,
            Rule::PublicForm => {
                if req.method() == Method::POST && cross_site(&req, &self.state.config.base_url) {
                    tracing::warn!("cross-site POST to a public form refused");
                    return Ok(crate::web::page::error_page(
                        StatusCode::FORBIDDEN,
                        "別のサイトからの送信は受け付けられません。このサイトのページを開いてから、もう一度操作してください",
                    ));
                }
                return self.inner.call(req).await;
            }
            _ => {}
        }
        let (actor, session) = match identify(&self.state, &req, true).await {
            Ok(Some(found)) => found,
            Ok(None) if matches!(*req.method(), Method::GET | Method::HEAD) => {
                // Back to the page that asked once signed in (a reminder
                // mail's link); home needs no reminder.
                let asked = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                let to = if asked == "/" || asked.is_empty() {
                    "/login".to_string()
                } else {
                    let q = form_urlencoded::Serializer::new(String::new())
                        .append_pair("next", &asked)
                        .finish();
                    format!("/login?{q}")
                };
                return Ok(poem::web::Redirect::see_other(to).into_response());
            }
            Ok(None) => return Ok(page_error(AppError::Unauthorized)),
            Err(e) => return Ok(page_error(e)),
        };
        if let Err(e) = grant(&self.state, &actor, self.rule, &mut req).await {
            return Ok(page_error(e));
        }
        let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
        if let Some(s) = &session
            && changes
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
                return Ok(crate::web::page::error_page(
                    StatusCode::FORBIDDEN,
                    "フォームの有効期限が切れたか、不正な送信です。ページを読み込み直してから、もう一度操作してください",
                ));
            }
        }
        let label = actor.label.clone();
        let reader = actor.clone();
        req.extensions_mut().insert(actor);
        if let Some(s) = session.clone() {
            req.extensions_mut().insert(s);
        }
        let call = crate::audit::acting_as(label, self.inner.call(req));
        let resp = match crate::web::page::reading_as(Box::new(reader), call).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
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

/// The API's identity: every operation but `health` needs a bearer token
/// (401 without one); each operation then decides its access on the typed
/// path parameters it receives (`crate::access`).
pub struct ApiGate<E> {
    pub inner: E,
    pub state: AppState,
}

impl<E: Endpoint> Endpoint for ApiGate<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        if path == "/api/health" || path == "/health" {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let actor = match identify(&self.state, &req, false).await {
            Ok(Some((actor, _))) => actor,
            Ok(None) => return Ok(error_response(true, AppError::Unauthorized)),
            Err(e) => return Ok(error_response(true, e)),
        };
        let label = actor.label.clone();
        req.extensions_mut().insert(actor);
        // For the operations' scope checks ([`Checked`]).
        req.set_data(self.state.clone());
        match crate::audit::acting_as(label, self.inner.call(req)).await {
            Ok(r) => Ok(r.into_response()),
            Err(e) => Ok(e.into_response()),
        }
    }
}

/// An API operation's scope, decided on its typed, decoded path id before
/// anything else of the request is read (it is the operation's first
/// parameter, so a body is not even parsed for someone out of scope). The
/// `Path` parameter stays beside it for the spec.
pub struct Checked<T>(pub T);

/// How a scope is decided from an API request's path id.
pub trait Decide: Sized {
    /// Decides on the request's id parameter.
    fn decide(
        db: &crate::db::Db,
        actor: &Actor,
        req: &Request,
    ) -> impl std::future::Future<Output = Result<Self, AppError>> + Send;
}

/// The operation's id: the first parameter of its path, typed as its
/// `Path<i64>` parameter is (the router decoded it; poem-openapi names path
/// parameters by position, `param0` …, and every id leads its path);
/// anything else answers like a missing record.
fn api_id(req: &Request, kind: &'static str) -> Result<i64, AppError> {
    req.raw_path_param("param0")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(AppError::NotFound(kind))
}

macro_rules! decide_by_id {
    ($t:ty, $check:path, $kind:literal) => {
        impl Decide for $t {
            async fn decide(
                db: &crate::db::Db,
                actor: &Actor,
                req: &Request,
            ) -> Result<Self, AppError> {
                $check(db, actor, api_id(req, $kind)?).await
            }
        }
    };
}
decide_by_id!(access::WardRead, access::ward_read, "区");
decide_by_id!(access::WardWrite, access::ward_write, "区");
decide_by_id!(access::MemberRead, access::member_read, "委員");
decide_by_id!(access::MemberWrite, access::member_write, "委員");
decide_by_id!(access::MeetingRead, access::meeting_read, "会議");
decide_by_id!(access::MeetingWrite, access::meeting_write, "会議");
decide_by_id!(
    access::CountermeasureRead,
    access::countermeasure_read,
    "対応策"
);
decide_by_id!(
    access::CountermeasureWrite,
    access::countermeasure_write,
    "対応策"
);
decide_by_id!(
    access::CountermeasureStep,
    access::countermeasure_step,
    "対応策"
);
decide_by_id!(access::OutboxRead, access::outbox_read, "通知メール");
decide_by_id!(access::OutboxWrite, access::outbox_write, "通知メール");
decide_by_id!(access::IndicatorRead, access::indicator_read, "評価指標");
decide_by_id!(access::IndicatorWrite, access::indicator_write, "評価指標");

impl Decide for access::PlanRead {
    async fn decide(_db: &crate::db::Db, actor: &Actor, req: &Request) -> Result<Self, AppError> {
        access::plan_read(actor, api_id(req, "自治体")?)
    }
}

/// Reopening a survey: the ward, changed by the city of its municipality.
impl Decide for (access::WardWrite, access::CityOf) {
    async fn decide(db: &crate::db::Db, actor: &Actor, req: &Request) -> Result<Self, AppError> {
        access::ward_by_city(db, actor, api_id(req, "区")?).await
    }
}

impl Decide for access::CityRead {
    async fn decide(_db: &crate::db::Db, actor: &Actor, req: &Request) -> Result<Self, AppError> {
        access::city_read(actor, api_id(req, "自治体")?)
    }
}

impl Decide for access::CityOf {
    async fn decide(_db: &crate::db::Db, actor: &Actor, req: &Request) -> Result<Self, AppError> {
        access::city_of(actor, api_id(req, "自治体")?)
    }
}

impl Decide for access::Installation {
    async fn decide(_db: &crate::db::Db, actor: &Actor, _req: &Request) -> Result<Self, AppError> {
        access::installation(actor)
    }
}

impl<'a, T: Decide + Send> poem::FromRequest<'a> for Checked<T> {
    async fn from_request(req: &'a Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
        let refuse = |e: AppError| poem::Error::from_response(error_response(true, e));
        let state = req
            .data::<AppState>()
            .ok_or_else(|| refuse(AppError::Unauthorized))?;
        let actor = actor(req).map_err(refuse)?;
        T::decide(&state.db, &actor, req)
            .await
            .map(Checked)
            .map_err(refuse)
    }
}

macro_rules! scope_from_request {
    ($($t:ty),* $(,)?) => {$(
        /// Taken from the request, where only the route's rule puts it: a
        /// handler asking for a scope its rule does not grant answers 403.
        impl<'a> poem::FromRequest<'a> for $t {
            async fn from_request(req: &'a Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
                req.extensions()
                    .get::<$t>()
                    .copied()
                    .ok_or_else(|| poem::Error::from_response(page_error(AppError::Forbidden)))
            }
        }
    )*};
}
scope_from_request!(
    access::WardRead,
    access::WardWrite,
    access::MemberRead,
    access::MemberWrite,
    access::MeetingRead,
    access::MeetingWrite,
    access::CountermeasureRead,
    access::CountermeasureWrite,
    access::CountermeasureStep,
    access::OutboxRead,
    access::OutboxWrite,
    access::CityRead,
    access::CityOf,
    access::PlanRead,
    access::IndicatorRead,
    access::IndicatorWrite,
    access::CityView,
    access::Visible,
    access::Installation,
    access::AccountsAdmin,
);

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

impl crate::web::page::Reader for Actor {
    fn is_city_level(&self) -> bool {
        Actor::is_city_level(self)
    }

    fn writes_ward(&self, ward_id: i64, municipality_id: i64) -> bool {
        self.can_write_ward(accounts::WardScope {
            ward_id,
            municipality_id,
        })
    }

    fn writes_city(&self, municipality_id: i64) -> bool {
        self.can_write_municipality(municipality_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
