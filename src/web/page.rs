//! The page kit: layout, rendering, error pages, forms and their errors,
//! shared by every concept's `pages.rs`. It imports no concept: what a
//! page needs from one (its reader's rights, the ward it belongs to)
//! comes through the [`Reader`] and [`InWard`] traits.
//!
//! Pages are server-rendered askama templates (`templates/`), work without
//! JavaScript and load nothing from outside (closed municipal networks).
//! Handlers translate HTTP to store calls and back: forms are parsed here
//! into the domain's input types, errors come back as `AppError` and are
//! shown beside their fields (422/409) or as an error page (404/500).
//! Forms follow Post/Redirect/Get: success answers 303 to a page.

use askama::Template;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Html, Redirect};
use poem::{IntoResponse, Response, handler};

use crate::calendar::wareki_date;
use crate::error::{AppError, FieldError};
use crate::text::{Kind, Text};
use crate::topics::TOPICS;

/// What a page asks about its reader to decide which links it shows; the
/// gate (`web::auth`) implements it for the signed-in account, and the
/// decisions themselves stay with `crate::access`.
pub trait Reader: Send + Sync + 'static {
    /// A city-level account (the city views are theirs).
    fn is_city_level(&self) -> bool;
    /// May change the ward's data.
    fn writes_ward(&self, ward_id: i64, municipality_id: i64) -> bool;
    /// May change what belongs to the municipality.
    fn writes_city(&self, municipality_id: i64) -> bool;
}

tokio::task_local! {
    static READER: Box<dyn Reader>;
}

/// Runs a page handler knowing its reader, so pages link only where the
/// reader may go.
pub async fn reading_as<F: std::future::Future>(reader: Box<dyn Reader>, f: F) -> F::Output {
    READER.scope(reader, f).await
}

fn reader_is_city_level() -> bool {
    READER.try_with(|a| a.is_city_level()).unwrap_or(false)
}

/// Whether the page's reader may change the ward's data (shows the links
/// to the forms that do).
pub fn reader_writes(ward_id: i64, municipality_id: i64) -> bool {
    READER
        .try_with(|a| a.writes_ward(ward_id, municipality_id))
        .unwrap_or(false)
}

/// Whether the page's reader may change what belongs to the municipality
/// (the city's forms: wards, reminder settings, summaries).
pub fn reader_writes_city(municipality_id: i64) -> bool {
    READER
        .try_with(|a| a.writes_city(municipality_id))
        .unwrap_or(false)
}

/// What every page handler returns: a page, a redirect, or an error page
/// carried as a `poem::Error` (so `?` works).
pub type PageResult = poem::Result<Response>;

// ---------------------------------------------------------------------------
// Layout, rendering and error pages

/// One step of the breadcrumb trail.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub href: String,
    pub label: String,
}

/// What `layout.html` needs from every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub crumbs: Vec<Crumb>,
    /// The ward whose section the page belongs to, for the ward navigation.
    pub ward: Option<WardNav>,
    /// The reader may change the ward's data: the page links to its forms.
    pub writes: bool,
}

#[derive(Debug, Clone)]
pub struct WardNav {
    pub id: i64,
    pub name: String,
    /// Which ward section is open: "dashboard", "members", "meetings", "countermeasures".
    pub current: &'static str,
}

/// The ward a page belongs to, as the layout names and links it.
pub trait InWard {
    fn ward_id(&self) -> i64;
    fn ward_name(&self) -> &str;
    fn municipality_id(&self) -> i64;
    fn municipality_name(&self) -> &str;
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            crumbs: vec![Crumb {
                href: "/".into(),
                label: "ホーム".into(),
            }],
            ward: None,
            writes: false,
        }
    }

    /// A page inside a ward: the trail runs ホーム › city › ward.
    pub fn in_ward(title: impl Into<String>, ward: &impl InWard, current: &'static str) -> Self {
        let mut layout = Self::new(title);
        // The city view is for city-level readers; a ward's accounts find
        // their municipality on the home page.
        layout.crumbs.push(Crumb {
            href: if reader_is_city_level() {
                format!("/city/{}", ward.municipality_id())
            } else {
                "/".into()
            },
            label: ward.municipality_name().to_string(),
        });
        layout.crumbs.push(Crumb {
            href: format!("/wards/{}", ward.ward_id()),
            label: ward.ward_name().to_string(),
        });
        layout.writes = reader_writes(ward.ward_id(), ward.municipality_id());
        layout.ward = Some(WardNav {
            id: ward.ward_id(),
            name: ward.ward_name().to_string(),
            current,
        });
        layout
    }

    pub fn crumb(mut self, href: impl Into<String>, label: impl Into<String>) -> Self {
        self.crumbs.push(Crumb {
            href: href.into(),
            label: label.into(),
        });
        self
    }
}

/// Renders a template; a template failure becomes the generic 500 page.
pub fn render<T: Template>(template: &T) -> poem::Result<Html<String>> {
    template.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template rendering failed");
        poem::Error::from_response(error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "サーバー内部でエラーが発生しました",
        ))
    })
}

/// Renders a template with a status other than 200 (a form shown again).
pub fn render_with_status<T: Template>(template: &T, status: StatusCode) -> PageResult {
    Ok(render(template)?.with_status(status).into_response())
}

/// 303 See Other to a page (Post/Redirect/Get).
pub fn see_other(path: impl std::fmt::Display) -> PageResult {
    Ok(Redirect::see_other(path).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
    /// A way out the error offers: (href, label).
    action: Option<(String, String)>,
}

/// A full HTML error page; never fails (falls back to plain text).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    error_page_with(status, message, None)
}

/// [`error_page`] with a link to what the reader can do instead
/// (`(href, label)`), e.g. the Shift_JIS download with look-alikes.
pub fn error_page_with(
    status: StatusCode,
    message: &str,
    action: Option<(String, String)>,
) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "ページが見つかりません",
        StatusCode::INTERNAL_SERVER_ERROR => "エラーが発生しました",
        _ => "操作を完了できませんでした",
    };
    let page = ErrorPage {
        layout: Layout::new(title),
        status: status.as_u16(),
        message: message.to_string(),
        action,
    };
    match page.render() {
        Ok(html) => Html(html).with_status(status).into_response(),
        Err(_) => Response::builder()
            .status(status)
            .content_type("text/plain; charset=utf-8")
            .body(message.to_string()),
    }
}

/// An `AppError` as an error page: 404 for unknown ids, 409 for refused
/// requests, a generic 500 for internal errors (the cause is logged only).
pub fn fail(err: AppError) -> poem::Error {
    poem::Error::from_response(error_page(err.status(), &err.public_message()))
}

/// True for errors a form shows beside its fields (re-rendering the form);
/// other errors become an error page.
pub fn is_form_error(err: &AppError) -> bool {
    matches!(
        err,
        AppError::Invalid(_) | AppError::Rule(_) | AppError::Conflict(_)
    )
}

/// A path id; anything that is not a number is an unknown page.
/// A route parameter other than the `:id` its rule decided on (a period,
/// a chart name), as the router decoded it; empty when absent.
pub fn path_param(req: &poem::Request, name: &str) -> String {
    req.raw_path_param(name).unwrap_or("").to_string()
}

#[handler]
pub async fn stylesheet() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header("cache-control", "public, max-age=3600")
        .body(include_str!("../../templates/style.css"))
}

// ---------------------------------------------------------------------------
// Forms

/// An URL-encoded form body or query string, keeping repeated keys
/// (checkboxes arrive as `topics=1&topics=3`).
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    pub fn parse(body: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// Initial values of a form (from a stored record).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Where the first value of `key` was sent among all the form's values.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.pairs.iter().position(|(k, _)| k == key)
    }

    /// The first value of a key, or "" (what a text input shows).
    pub fn value(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value, trimmed, or None when empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        Some(self.value(key).trim()).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated key.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every key, in order (repeated keys repeat).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// Whether a checkbox was ticked (present with any value).
    pub fn checked(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// Only the values of `keys`, trimmed (the filters a list keeps).
    pub fn only(&self, keys: &[&str]) -> FormData {
        FormData::from_pairs(keys.iter().map(|k| (*k, self.value(k).trim())))
    }

    /// Sets a key's single value (for defaults).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.pairs.retain(|(k, _)| k != key);
        self.pairs.push((key.to_string(), value.into()));
    }
}

impl FormData {
    /// The pairs as a query string without `key` and without empty values
    /// (what a paging link keeps of the filters).
    pub fn query_without(&self, key: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs.iter().filter(|(k, v)| k != key && !v.is_empty()))
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Paging of list pages

/// Rows a list page shows at once.
pub const PAGE_SIZE: i64 = 50;

/// The message for a `page` that is not a whole number from 1.
const BAD_PAGE: &str = "ページ番号は1以上の整数で指定してください";

/// Which page of a list the query asks for: `page` (1-based; absent or
/// empty: the first). Errors: a 400 error page in Japanese, with a link to
/// the first page, for anything but a whole number from 1 up (a list page
/// never answers 500 for a typed URL).
pub fn page_number(path: &str, filter: &FormData) -> Result<i64, poem::Error> {
    page_number_of(path, filter, "page")
}

/// [`page_number`] for a list whose page is the query parameter `key`
/// (a page with two lists pages each with its own).
pub fn page_number_of(path: &str, filter: &FormData, key: &str) -> Result<i64, poem::Error> {
    let raw = filter.value(key).trim();
    if raw.is_empty() {
        return Ok(1);
    }
    match raw.parse::<i64>() {
        // An offset past i64 is no page anyone has: capped, it answers as
        // a page past the end.
        Ok(n) if n >= 1 => Ok(n.min(i64::MAX / PAGE_SIZE)),
        _ => {
            let query = filter.query_without(key);
            let first = if query.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{query}")
            };
            Err(poem::Error::from_response(error_page_with(
                StatusCode::BAD_REQUEST,
                BAD_PAGE,
                Some((first, "最初のページへ".into())),
            )))
        }
    }
}

/// The rows of page `page` (1-based): [`PAGE_SIZE`] rows from
/// `(page - 1) × PAGE_SIZE`.
pub fn page_paging(page: i64) -> crate::paging::Paging {
    crate::paging::Paging {
        limit: PAGE_SIZE,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
    }
}

/// The links to the CSV export of a list at `path`, carrying the list's
/// filters (not its page, nor an encoding): the whole filtered list, in
/// UTF-8 for Excel (the default) and in Shift_JIS.
#[derive(Debug, Clone)]
pub struct ExportLinks {
    pub utf8: String,
    pub sjis: String,
}

impl ExportLinks {
    /// The export at `path` (e.g. `/wards/1/meetings.csv`) of the list
    /// whose filters are `filter`.
    pub fn new(path: &str, filter: &FormData) -> Self {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                filter
                    .pairs
                    .iter()
                    .filter(|(k, v)| k != "page" && k != "encoding" && !v.is_empty()),
            )
            .finish();
        let (utf8, sjis) = if query.is_empty() {
            (path.to_string(), format!("{path}?encoding=sjis"))
        } else {
            (
                format!("{path}?{query}"),
                format!("{path}?{query}&encoding=sjis"),
            )
        };
        Self { utf8, sjis }
    }
}

/// One link of the page numbers; `number` None is a gap (…).
#[derive(Debug, Clone)]
pub struct PageLink {
    pub number: Option<i64>,
    pub href: String,
    pub current: bool,
}

/// Which list a [`Pager`] pages, on a page that may show several.
#[derive(Debug, Clone, Copy)]
pub struct PagerList<'a> {
    /// The page's path, e.g. `/wards/1/progress`.
    pub path: &'a str,
    /// The query parameter holding this list's page number.
    pub key: &'a str,
    /// The id of the list's section, which its links jump to.
    pub anchor: Option<&'a str>,
    /// The pager's accessible name (`ページ送り` for a page's one list).
    pub label: &'a str,
}

/// What `_pager.html` shows under a list: 全N件中 a〜b件, 前へ / 次へ and
/// the page numbers, each link keeping the list's filters.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Rows matching the filters, on all pages.
    pub total: i64,
    /// This page (1-based) and the last one (1 for an empty list).
    pub page: i64,
    pub last: i64,
    /// The rows shown, 1-based (0 and 0 when none).
    pub first_row: i64,
    pub last_row: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The last page's link: a page past the end points there.
    pub last_href: String,
    pub links: Vec<PageLink>,
    /// The navigation's accessible name (unique when a page has two lists).
    pub label: String,
}

impl Pager {
    /// The pager of page `page` of a list at `path` whose filters are
    /// `filter`, with `total` rows and `shown` of them on this page.
    pub fn new(path: &str, filter: &FormData, page: i64, total: i64, shown: usize) -> Self {
        Self::of(
            PagerList {
                path,
                key: "page",
                anchor: None,
                label: "ページ送り",
            },
            filter,
            page,
            total,
            shown,
        )
    }

    /// The pager of `list` (one of several on a page: its own `page`
    /// parameter, and an anchor its links jump to); the other lists' page
    /// numbers stay in its links.
    pub fn of(list: PagerList, filter: &FormData, page: i64, total: i64, shown: usize) -> Self {
        let PagerList {
            path,
            key,
            anchor,
            label,
        } = list;
        let last = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let query = filter.query_without(key);
        let fragment = anchor.map(|a| format!("#{a}")).unwrap_or_default();
        let href = |n: i64| {
            let mut q = query.clone();
            if n > 1 {
                if !q.is_empty() {
                    q.push('&');
                }
                q.push_str(&format!("{key}={n}"));
            }
            if q.is_empty() {
                format!("{path}{fragment}")
            } else {
                format!("{path}?{q}{fragment}")
            }
        };
        // The first, the last and two either side of this page; gaps
        // between, but a gap of one page shows that page instead of "…".
        let near = |n: i64| n == 1 || n == last || (n - page).abs() <= 2;
        let mut links = Vec::new();
        let mut gap = false;
        for n in 1..=last {
            if near(n) || (near(n - 1) && near(n + 1)) {
                links.push(PageLink {
                    number: Some(n),
                    href: href(n),
                    current: n == page,
                });
                gap = false;
            } else if !gap {
                links.push(PageLink {
                    number: None,
                    href: String::new(),
                    current: false,
                });
                gap = true;
            }
        }
        let first_row = if shown == 0 {
            0
        } else {
            (page - 1) * PAGE_SIZE + 1
        };
        Self {
            total,
            page,
            last,
            first_row,
            last_row: if shown == 0 {
                0
            } else {
                first_row + shown as i64 - 1
            },
            prev: (page > 1).then(|| href((page - 1).min(last))),
            next: (page < last).then(|| href(page + 1)),
            last_href: href(last),
            links,
            label: label.to_string(),
        }
    }

    /// A page past the last one (it shows no rows and links to the last).
    pub fn past_end(&self) -> bool {
        self.page > self.last
    }

    /// More than one page: the numbers are worth showing.
    pub fn has_pages(&self) -> bool {
        self.last > 1 || self.past_end()
    }
}

/// Turns form values into typed values, collecting a Japanese message per
/// field that cannot be read (so bad input never becomes a raw 400).
#[derive(Debug, Default)]
pub struct FieldParser {
    pub errors: Vec<FieldError>,
}

impl FieldParser {
    /// A date range from the keys `from` and `to`, each optional (as
    /// [`Self::date`]); an end before the start gets a message beside `to`
    /// and is left out.
    pub fn date_range(
        &mut self,
        form: &FormData,
        from_label: &str,
        to_label: &str,
    ) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let from = self.date(form, "from", from_label);
        let to = self.date(form, "to", to_label);
        match (from, to) {
            (Some(f), Some(t)) if t < f => {
                self.errors.push(FieldError::new(
                    "to",
                    format!("{to_label}は{from_label}と同じ日かそれより後にしてください"),
                ));
                (from, None)
            }
            _ => (from, to),
        }
    }

    /// An optional date (`YYYY-MM-DD`); empty is None.
    pub fn date(&mut self, form: &FormData, key: &str, label: &str) -> Option<NaiveDate> {
        let raw = form.non_empty(key)?;
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => match crate::calendar::check_year(key, label, d) {
                Ok(()) => Some(d),
                Err(e) => {
                    self.errors.push(e);
                    None
                }
            },
            Err(_) => {
                self.errors.push(FieldError::new(
                    key,
                    format!("{label}は「2026-04-01」のように年-月-日の形式で入力してください"),
                ));
                None
            }
        }
    }

    /// A required date.
    pub fn required_date(&mut self, form: &FormData, key: &str, label: &str) -> Option<NaiveDate> {
        if form.non_empty(key).is_none() {
            self.errors
                .push(FieldError::new(key, format!("{label}を入力してください")));
            return None;
        }
        self.date(form, key, label)
    }

    /// An optional id or number (a select whose empty option means none).
    pub fn number(&mut self, form: &FormData, key: &str, label: &str) -> Option<i64> {
        let raw = form.non_empty(key)?;
        match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.push(FieldError::new(
                    key,
                    format!("{label}の値が正しくありません"),
                ));
                None
            }
        }
    }

    /// Every value of a repeated key as numbers (checkboxes).
    pub fn numbers(&mut self, form: &FormData, key: &str, label: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for raw in form.all(key) {
            match raw.trim().parse::<i64>() {
                Ok(n) => out.push(n),
                Err(_) => {
                    self.errors.push(FieldError::new(
                        key,
                        format!("{label}の値が正しくありません"),
                    ));
                    break;
                }
            }
        }
        out
    }

    /// One of a fixed catalogue of labels; empty is None.
    pub fn label<T>(
        &mut self,
        form: &FormData,
        key: &str,
        label: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = form.non_empty(key)?;
        let parsed = parse(raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(
                key,
                format!("{label}を一覧から選んでください"),
            ));
        }
        parsed
    }

    /// A required catalogue value.
    pub fn required_label<T>(
        &mut self,
        form: &FormData,
        key: &str,
        label: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        if form.non_empty(key).is_none() {
            self.errors
                .push(FieldError::new(key, format!("{label}を選んでください")));
            return None;
        }
        self.label(form, key, label, parse)
    }

    /// Text of the kind the input type's field asks for ([`SingleLine`] or
    /// [`MultiLine`], inferred), as sent: one the kind refuses gets a message
    /// beside its field and a stand-in without the refused characters, so
    /// the rest of the form is still checked (and a page that shows the
    /// parsed value again keeps what was typed).
    ///
    /// [`SingleLine`]: crate::text::SingleLine
    /// [`MultiLine`]: crate::text::MultiLine
    pub fn text<K: Kind>(&mut self, form: &FormData, key: &str, label: &str) -> Text<K> {
        match Text::parse(form.value(key)) {
            Ok(t) => t,
            Err(e) => {
                self.errors
                    .push(FieldError::new(key, format!("{label}に{e}")));
                Text::lossy(form.value(key))
            }
        }
    }

    /// As [`FieldParser::text`], trimmed; empty is None.
    pub fn optional_text<K: Kind>(
        &mut self,
        form: &FormData,
        key: &str,
        label: &str,
    ) -> Option<Text<K>> {
        Some(self.text::<K>(form, key, label).trimmed()).filter(|t| !t.is_empty())
    }

    /// The parse errors merged with the domain's own checks of a stand-in
    /// value, so the user sees every problem at once, listed in the order
    /// the form's fields were sent (the page's order); fields the form did
    /// not send keep their order after those.
    pub fn into_error<T>(self, form: &FormData, checked: Result<T, AppError>) -> AppError {
        let mut errors = self.errors;
        if let Err(e) = checked {
            for f in e.field_errors() {
                if !errors.iter().any(|x| x.field == f.field) {
                    errors.push(f.clone());
                }
            }
        }
        errors.sort_by_key(|f| form.position(&f.field).unwrap_or(usize::MAX));
        AppError::Invalid(errors)
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The messages a form shows: a summary at the top and each one beside its
/// field. `prefix` keeps ids unique when a page has several forms: the
/// input for field `f` has id `{prefix}{f}`, its message `{prefix}{f}-error`.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    pub prefix: &'static str,
    /// A message for the whole form (a refused request without a field).
    pub summary: Option<String>,
    pub fields: Vec<FieldError>,
}

impl Errors {
    pub fn none(prefix: &'static str) -> Self {
        Self {
            prefix,
            ..Self::default()
        }
    }

    pub fn from_error(err: &AppError, prefix: &'static str) -> Self {
        let fields = err.field_errors().to_vec();
        let summary = if fields.is_empty() {
            Some(err.public_message())
        } else {
            None
        };
        Self {
            prefix,
            summary,
            fields,
        }
    }

    pub fn any(&self) -> bool {
        self.summary.is_some() || !self.fields.is_empty()
    }

    /// The message(s) for one field, joined.
    pub fn get(&self, field: &str) -> Option<String> {
        let msgs: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.field == field)
            .map(|f| f.message.as_str())
            .collect();
        if msgs.is_empty() {
            None
        } else {
            Some(msgs.join("。"))
        }
    }

    /// The id of a field's message element.
    pub fn err_id(&self, field: &str) -> String {
        format!("{}{}-error", self.prefix, safe_id(field))
    }

    /// The anchor of a field's input, for the summary's links.
    pub fn input_id(&self, field: &str) -> String {
        format!("{}{}", self.prefix, safe_id(field))
    }

    /// Attributes for an input: `aria-invalid` and `aria-describedby` when
    /// the field has a message. Safe to emit unescaped: ids are ASCII only.
    pub fn aria(&self, field: &str) -> String {
        if self.fields.iter().any(|f| f.field == field) {
            format!(
                r#" aria-invalid="true" aria-describedby="{}""#,
                self.err_id(field)
            )
        } else {
            String::new()
        }
    }

    /// As `aria`, for an input that also has a hint (`hint_id`): the hint
    /// stays described alongside the message instead of being replaced.
    pub fn aria_with_hint(&self, field: &str, hint_id: &str) -> String {
        if self.fields.iter().any(|f| f.field == field) {
            format!(
                r#" aria-invalid="true" aria-describedby="{hint_id} {}""#,
                self.err_id(field)
            )
        } else {
            format!(r#" aria-describedby="{hint_id}""#)
        }
    }
}

/// Field names as HTML ids: ASCII letters, digits, `_` and `-` only.
fn safe_id(field: &str) -> String {
    field
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One option of a select, or one checkbox of a group.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options whose `selected` reflects the form's values for `key`.
pub fn choices(
    form: &FormData,
    key: &str,
    options: impl IntoIterator<Item = (String, String)>,
) -> Vec<Choice> {
    let chosen = form.all(key);
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: chosen.contains(&value.as_str()),
            value,
            label,
        })
        .collect()
}

/// The ten topics as options, labelled 「1. …」.
pub fn topic_choices(form: &FormData, key: &str) -> Vec<Choice> {
    choices(
        form,
        key,
        TOPICS
            .iter()
            .map(|t| (t.number.to_string(), format!("{}. {}", t.number, t.label))),
    )
}

// ---------------------------------------------------------------------------
// Display helpers

/// `2026-11-24（令和8年11月24日）`
pub fn date_label(d: NaiveDate) -> String {
    format!("{d}（{}）", wareki_date(d))
}

/// A stage as a badge: its label and a CSS class of its own.
#[derive(Debug, Clone)]
pub struct Badge {
    pub label: &'static str,
    pub class: &'static str,
    /// The report's wording (a tooltip and text for assistive technology).
    pub title: &'static str,
}

/// 「3. 情報共有のルールの策定について」
pub fn topic_label(number: i64) -> String {
    match crate::topics::topic(number) {
        Some(t) => format!("{}. {}", t.number, t.label),
        None => format!("{number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p: &Pager) -> Vec<Option<i64>> {
        p.links.iter().map(|l| l.number).collect()
    }

    #[test]
    fn the_pager_shows_the_ends_and_two_either_side_and_never_hides_a_lone_page() {
        let f = FormData::parse(b"topic=3&page=5");
        let p = Pager::new("/l", &f, 5, 20 * PAGE_SIZE, 50);
        assert_eq!(
            numbers(&p),
            [1, 2, 3, 4, 5, 6, 7]
                .map(Some)
                .into_iter()
                .chain([None, Some(20)])
                .collect::<Vec<_>>()
        );
        assert_eq!(p.prev.as_deref(), Some("/l?topic=3&page=4"));
        assert_eq!(p.links[0].href, "/l?topic=3");
        assert_eq!((p.first_row, p.last_row), (201, 250));
        // Past the end of three pages: 1 2 3, the last page linked.
        let p = Pager::new("/l", &f, 9, 3 * PAGE_SIZE - 10, 0);
        assert!(p.past_end() && p.has_pages());
        assert_eq!(numbers(&p), [Some(1), Some(2), Some(3)]);
        assert_eq!(p.prev.as_deref(), Some("/l?topic=3&page=3"));
        assert_eq!(p.last_href, "/l?topic=3&page=3");
        assert_eq!(p.next, None);
        assert_eq!((p.first_row, p.last_row), (0, 0));
        // An empty list is one page, without numbers.
        let p = Pager::new("/l", &FormData::default(), 1, 0, 0);
        assert!(!p.has_pages() && !p.past_end());
    }

    #[test]
    fn export_links_keep_the_filters_but_not_the_page() {
        let f = FormData::parse("topic=3&page=2&stage=&encoding=sjis&q=%E5%8C%97".as_bytes());
        let e = ExportLinks::new("/w/1/x.csv", &f);
        assert_eq!(e.utf8, "/w/1/x.csv?topic=3&q=%E5%8C%97");
        assert_eq!(e.sjis, "/w/1/x.csv?topic=3&q=%E5%8C%97&encoding=sjis");
        let e = ExportLinks::new("/w/1/x.csv", &FormData::default());
        assert_eq!(
            (e.utf8.as_str(), e.sjis.as_str()),
            ("/w/1/x.csv", "/w/1/x.csv?encoding=sjis")
        );
    }

    #[test]
    fn repeated_keys_are_kept_and_decoded() {
        let f = FormData::parse(
            "topics=1&topics=3&title=%E7%AC%AC1%E5%9B%9E+%E4%BC%9A%E8%AD%B0".as_bytes(),
        );
        assert_eq!(f.all("topics"), ["1", "3"]);
        assert_eq!(f.value("title"), "第1回 会議");
        assert_eq!(f.value("missing"), "");
        assert!(f.checked("topics") && !f.checked("active"));
    }

    #[test]
    fn unreadable_dates_and_numbers_get_japanese_messages() {
        let f = FormData::parse(b"held_on=2026-13-01&owner=abc&topics=1&topics=x&due=");
        let mut p = FieldParser::default();
        assert_eq!(p.date(&f, "held_on", "開催日"), None);
        assert_eq!(p.number(&f, "owner", "担当者"), None);
        assert_eq!(p.numbers(&f, "topics", "会議の内容"), vec![1]);
        assert_eq!(p.date(&f, "due", "評価予定日"), None);
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["held_on", "owner", "topics"]);
        assert!(p.errors[0].message.contains("開催日"));
    }

    #[test]
    fn text_fields_take_the_kind_of_their_input_and_name_the_refused_ones() {
        let f = FormData::parse(
            "title=%E4%BC%9A%0A%E8%AD%B0&minutes=a%0D%0Ab&note=+%E7%90%86%E7%94%B1+&actor=%00"
                .as_bytes(),
        );
        let mut p = FieldParser::default();
        let title: crate::text::SingleLine = p.text(&f, "title", "会議名");
        let minutes: crate::text::MultiLine = p.text(&f, "minutes", "議事録");
        let note: Option<crate::text::MultiLine> = p.optional_text(&f, "note", "メモ");
        let actor: Option<crate::text::SingleLine> = p.optional_text(&f, "actor", "実施者");
        let missing: Option<crate::text::SingleLine> = p.optional_text(&f, "missing", "x");
        assert_eq!(title, "会 議", "a stand-in without the line break");
        assert_eq!(minutes, "a\nb");
        assert_eq!(note.as_deref(), Some("理由"));
        assert_eq!(actor, None);
        assert_eq!(missing, None);
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "actor"]);
        assert_eq!(p.errors[0].message, "会議名に改行や制御文字は使えません");
    }

    #[test]
    fn aria_attributes_only_for_fields_with_messages() {
        let e = Errors::from_error(
            &AppError::invalid("title", "会議名を入力してください"),
            "adv-",
        );
        assert_eq!(
            e.aria("title"),
            r#" aria-invalid="true" aria-describedby="adv-title-error""#
        );
        assert_eq!(e.aria("minutes"), "");
        assert_eq!(
            e.aria_with_hint("title", "title-hint"),
            r#" aria-invalid="true" aria-describedby="title-hint adv-title-error""#
        );
        assert_eq!(
            e.aria_with_hint("minutes", "minutes-hint"),
            r#" aria-describedby="minutes-hint""#
        );
        assert_eq!(e.get("title").as_deref(), Some("会議名を入力してください"));
        assert_eq!(e.err_id("wards[0]"), "adv-wards_0_-error");
    }
}
