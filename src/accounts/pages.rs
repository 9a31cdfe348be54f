//! Sign-in and sign-out pages.
//!
//! A failed sign-in says the same thing whether or not the address exists,
//! and takes the same time (an unknown address is checked against a dummy
//! hash). Failures are counted per address and per client in the database;
//! past the limit the form answers 429 until the window passes.

use askama::Template;
use poem::http::StatusCode;
use poem::http::header;
use poem::web::{Data, Form};
use poem::{IntoResponse, Request, handler};
use serde::Deserialize;

use super::secret::{dummy_hash, token_hash, verify_password};
use super::store::{self, THROTTLE_MAX_FAILURES};
use crate::access::AccountsAdmin;
use crate::state::AppState;
use crate::text::SingleLine;
use crate::web::auth::{SessionInfo, session_cookie, session_cookie_value};
use crate::web::page::{Layout, PageResult, fail, render_with_status, see_other};

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    message: Option<String>,
    /// The page to return to once signed in (checked again on sign-in).
    next: String,
}

fn login_page(email: String, message: Option<&str>, status: StatusCode, next: &str) -> PageResult {
    render_with_status(
        &LoginPage {
            layout: Layout::new("ログイン"),
            email,
            next: super::after_sign_in(next).to_string(),
            message: message.map(str::to_string),
        },
        status,
    )
}

#[handler]
pub async fn login_form(uri: &poem::http::Uri) -> PageResult {
    let query = crate::web::page::FormData::parse(uri.query().unwrap_or("").as_bytes());
    login_page(String::new(), None, StatusCode::OK, query.value("next"))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The page that asked for signing in.
    #[serde(default)]
    next: String,
}

const FAILED: &str = "メールアドレスまたはパスワードが正しくありません";
const LOCKED: &str =
    "ログインの失敗が続いたため、一時的にログインできません。しばらくしてからお試しください";

#[handler]
pub async fn login(
    Data(state): Data<&AppState>,
    req: &Request,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let now = state.clock.now();
    // No account has such an address, so saying so tells nothing; it also
    // keeps a NUL from the database, which PostgreSQL cannot compare.
    if let Err(e) = SingleLine::parse(form.email.as_str()) {
        return login_page(
            SingleLine::lossy(&form.email).into(),
            Some(&format!("メールアドレスに{e}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.next,
        );
    }
    let email = store::normalize_email(&form.email);
    // Keys carry no address in clear.
    let email_key = format!("email:{}", token_hash(&email));
    let addr_key = client_key(state, req);
    for key in [&email_key, &addr_key] {
        if store::recent_failures(&state.db, key, now)
            .await
            .map_err(fail)?
            >= THROTTLE_MAX_FAILURES
        {
            tracing::warn!("sign-in refused: too many recent failures");
            return login_page(
                email,
                Some(LOCKED),
                StatusCode::TOO_MANY_REQUESTS,
                &form.next,
            );
        }
    }
    let creds = store::credentials(&state.db, &email).await.map_err(fail)?;
    let usable = creds
        .as_ref()
        .filter(|c| !c.disabled)
        .and_then(|c| c.password_hash.clone());
    let ok = match usable {
        Some(hash) => verify_password(form.password, hash).await.map_err(fail)?,
        None => {
            let hash = dummy_hash().await.map_err(fail)?;
            let _ = verify_password(form.password, hash).await.map_err(fail)?;
            false
        }
    };
    let Some(creds) = creds.filter(|_| ok) else {
        store::record_failure(&state.db, &[email_key, addr_key], now)
            .await
            .map_err(fail)?;
        tracing::info!("sign-in failed");
        return login_page(email, Some(FAILED), StatusCode::UNAUTHORIZED, &form.next);
    };
    store::clear_failures(&state.db, &email_key)
        .await
        .map_err(fail)?;
    // A fresh session id at every sign-in; an older one from this browser ends.
    if let Some(old) = session_cookie_value(req) {
        store::close_session(&state.db, &old).await.map_err(fail)?;
    }
    let ttl = state.config.session_ttl_secs();
    let session = store::open_session(&state.db, creds.actor.account_id, now, ttl)
        .await
        .map_err(fail)?;
    let cookie = session_cookie(&session.cookie_value, state.config.cookie_secure(), ttl);
    tracing::info!(account_id = creds.actor.account_id, "signed in");
    let mut resp = see_other(super::after_sign_in(&form.next))?;
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie.to_string().parse().map_err(|_| {
            fail(crate::error::AppError::Internal(anyhow::anyhow!(
                "bad cookie"
            )))
        })?,
    );
    Ok(resp)
}

#[handler]
pub async fn logout(
    Data(state): Data<&AppState>,
    session: Option<Data<&SessionInfo>>,
) -> PageResult {
    if let Some(Data(s)) = session {
        store::close_session(&state.db, &s.cookie_value)
            .await
            .map_err(fail)?;
    }
    let cookie = session_cookie("", state.config.cookie_secure(), 0);
    let mut resp = see_other("/login")?.into_response();
    if let Ok(v) = cookie.to_string().parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    layout: Layout,
    done: bool,
    message: Option<String>,
}

fn password_page(done: bool, message: Option<String>, status: StatusCode) -> PageResult {
    render_with_status(
        &PasswordPage {
            layout: Layout::new("パスワードの変更"),
            done,
            message,
        },
        status,
    )
}

#[handler]
pub async fn password_form(req: &Request) -> PageResult {
    let done = req.uri().query() == Some("done=1");
    password_page(done, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Why a new password cannot be set, as the form shows it: the confirmation
/// differs, or the password breaks the rules. Shared by the password change
/// and the reset and invitation links.
fn new_password_problem(new: &str, confirm: &str) -> Option<String> {
    if new != confirm {
        return Some("確認用のパスワードが一致しません".into());
    }
    super::secret::check_password_rules(new)
        .err()
        .map(|e| e.public_message())
}

/// Changes the signed-in account's password; other sessions of the account end.
#[handler]
pub async fn change_password(
    Data(state): Data<&AppState>,
    req: &Request,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let stored = store::password_hash(&state.db, actor.account_id)
        .await
        .map_err(fail)?;
    let ok = match stored {
        Some(hash) => verify_password(form.current, hash).await.map_err(fail)?,
        None => false,
    };
    if !ok {
        return password_page(
            false,
            Some("現在のパスワードが正しくありません".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if let Some(message) = new_password_problem(&form.new, &form.confirm) {
        return password_page(false, Some(message), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = super::secret::hash_password(form.new).await.map_err(fail)?;
    let keep = req
        .extensions()
        .get::<SessionInfo>()
        .map(|s| s.cookie_value.clone());
    store::set_password(
        &state.db,
        actor.account_id,
        &hash,
        keep.as_deref(),
        state.clock.now(),
    )
    .await
    .map_err(fail)?;
    see_other("/account/password?done=1")
}

/// An account row with the members of its ward it can be linked to.
struct AccountRow {
    a: store::Listed,
    /// (id, 氏名) of the members of the account's ward; empty for city-level.
    members: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct AccountsPage {
    layout: Layout,
    accounts: Vec<AccountRow>,
    wards: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    /// What was just done (an invitation sent …).
    notice: Option<String>,
    pager: crate::web::page::Pager,
}

/// The roles a city account may give (not the operator's).
const GRANTABLE: [super::Role; 4] = [
    super::Role::City,
    super::Role::Secretariat,
    super::Role::Member,
    super::Role::Viewer,
];

/// The accounts page's first page, with a form's problem or a notice.
async fn accounts_page(
    state: &AppState,
    actor: &super::Actor,
    message: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    accounts_page_at(state, actor, message, notice, status, 1).await
}

/// Where the accounts page lives (its pager's links).
const ACCOUNTS_PATH: &str = "/accounts";

/// Page `page` of the accounts page (50 accounts by number).
async fn accounts_page_at(
    state: &AppState,
    actor: &super::Actor,
    message: Option<String>,
    notice: Option<String>,
    status: StatusCode,
    page: i64,
) -> PageResult {
    let listed = store::list_page(
        &state.db,
        actor.municipality_id,
        crate::web::page::page_paging(page),
    )
    .await
    .map_err(fail)?;
    // The list has no filters: its links carry the page number only.
    let pager = crate::web::page::Pager::new(
        ACCOUNTS_PATH,
        &crate::web::page::FormData::default(),
        page,
        listed.total,
        listed.items.len(),
    );
    let listed = listed.items;
    let mut by_ward: std::collections::HashMap<i64, Vec<(i64, String)>> =
        std::collections::HashMap::new();
    let mut accounts = Vec::with_capacity(listed.len());
    for a in listed {
        let members = match a.ward_id {
            Some(w) => match by_ward.entry(w) {
                std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let ward = crate::access::ward_read(&state.db, actor, w)
                        .await
                        .map_err(fail)?;
                    let list = crate::members::store::list(
                        &state.db,
                        &ward,
                        false,
                        crate::paging::Paging::all(),
                    )
                    .await
                    .map_err(fail)?;
                    e.insert(list.items.into_iter().map(|m| (m.id, m.name)).collect())
                        .clone()
                }
            },
            None => Vec::new(),
        };
        accounts.push(AccountRow { a, members });
    }
    let wards = crate::wards::store::list(&state.db, crate::access::visible(actor), None)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    render_with_status(
        &AccountsPage {
            layout: Layout::new("アカウントの管理"),
            accounts,
            wards,
            roles: GRANTABLE.iter().map(|r| (r.as_str(), r.label())).collect(),
            message,
            notice,
            pager,
        },
        status,
    )
}

/// What went wrong with a form of the accounts page, in Japanese: the
/// fields' own messages when there are any.
fn form_message(e: &crate::error::AppError) -> String {
    let fields: Vec<&str> = e
        .field_errors()
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    if fields.is_empty() {
        e.public_message()
    } else {
        fields.join("／")
    }
}

/// Accounts of the city account's municipality (the gate admits city and
/// the operator only).
#[handler]
pub async fn accounts_list(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let query = crate::web::page::FormData::parse(req.uri().query().unwrap_or("").as_bytes());
    let page = crate::web::page::page_number(ACCOUNTS_PATH, &query)?;
    let notice = (query.value("invited") == "1")
        .then(|| "招待メールを送信しました。リンクの有効期限は72時間です。".to_string());
    accounts_page_at(state, &actor, None, notice, StatusCode::OK, page).await
}

/// `/accounts.csv`: every account the accounts page lists (the city's;
/// the operator's: all), by number, with the page's columns
/// (`?encoding=sjis` for Shift_JIS).
#[handler]
pub async fn accounts_csv(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
) -> PageResult {
    use crate::report::pages::{csv_fail, csv_fail_at};
    use crate::spreadsheet::{Cell, Encoding, Table};
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let query = crate::web::page::FormData::parse(req.uri().query().unwrap_or("").as_bytes());
    let encoding = Encoding::from_param(query.non_empty("encoding"))
        .map_err(csv_fail)?
        .unwrap_or(Encoding::Utf8);
    let listed = store::list(&state.db, actor.municipality_id)
        .await
        .map_err(fail)?;
    let mut table = Table::new(&[
        "番号",
        "メールアドレス",
        "名前",
        "役割",
        "区",
        "状態",
        "パスワード",
    ]);
    for a in &listed {
        table.push(vec![
            Cell::value(a.id),
            Cell::text(&a.email),
            Cell::text(&a.display_name),
            Cell::text(a.role.label()),
            Cell::text(if a.ward_id.is_some() {
                a.ward_name.as_str()
            } else {
                "（市全体）"
            }),
            Cell::text(if a.disabled { "無効" } else { "有効" }),
            Cell::text(if a.no_password {
                "未設定"
            } else {
                "設定済み"
            }),
        ]);
    }
    let bytes = table
        .to_bytes(encoding)
        .map_err(csv_fail_at(Some(req.uri())))?;
    let name = format!("アカウント_{}.csv", state.clock.today());
    Ok(crate::spreadsheet::download(bytes, encoding, &name))
}

fn grantable(role: &str) -> Result<super::Role, crate::error::AppError> {
    super::Role::parse(role)
        .filter(|r| GRANTABLE.contains(r))
        .ok_or_else(|| crate::error::AppError::invalid("role", "役割を選んでください"))
}

/// After a change on /accounts: back to the list, or the list again with
/// the form's problem shown.
async fn back_to_accounts<T>(
    state: &AppState,
    actor: &super::Actor,
    result: Result<T, crate::error::AppError>,
) -> PageResult {
    match result {
        Ok(_) => see_other("/accounts"),
        Err(e) if crate::web::page::is_form_error(&e) => {
            accounts_page(state, actor, Some(form_message(&e)), None, e.status()).await
        }
        Err(e) => Err(fail(e)),
    }
}

/// The account a city user is creating (or inviting) from the form.
fn new_account(
    form: &crate::web::page::FormData,
    actor: &super::Actor,
    password_hash: Option<String>,
) -> Result<store::NewAccount, crate::error::AppError> {
    let mut p = crate::web::page::FieldParser::default();
    let email: Option<SingleLine> = p.optional_text(form, "email", "メールアドレス");
    let display_name: Option<SingleLine> = p.optional_text(form, "display_name", "名前");
    if !p.is_ok() {
        return Err(crate::error::AppError::Invalid(p.errors));
    }
    Ok(store::NewAccount {
        email: email.map(String::from).unwrap_or_default(),
        display_name: display_name.map(String::from).unwrap_or_default(),
        role: grantable(form.non_empty("role").unwrap_or(""))?,
        municipality_id: actor.municipality_id,
        ward_id: form.non_empty("ward_id").and_then(|w| w.parse().ok()),
        member_id: None,
        password_hash,
    })
}

/// An account of the actor's own municipality; others do not exist for it.
async fn own_account(
    state: &AppState,
    admin: &AccountsAdmin,
    req: &Request,
) -> Result<store::Listed, poem::Error> {
    let id = crate::web::page::path_param(req, "id").parse::<i64>().ok();
    store::list(&state.db, admin.municipality_id())
        .await
        .map_err(fail)?
        .into_iter()
        .find(|a| Some(a.id) == id)
        .ok_or_else(|| fail(crate::error::AppError::NotFound("アカウント")))
}

#[handler]
pub async fn account_create(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
    body: poem::Body,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = crate::web::page::FormData::parse(&body.into_vec().await?);
    let result = async {
        let mut new = new_account(&form, &actor, None)?;
        let password = form.non_empty("password").unwrap_or("").to_string();
        super::secret::check_password_rules(&password)?;
        new.password_hash = Some(super::secret::hash_password(password).await?);
        store::create(&state.db, &new, None, state.clock.now()).await
    }
    .await;
    back_to_accounts(state, &actor, result).await
}

/// Invites a new account by e-mail: the account exists at once but cannot
/// sign in until its owner sets a password through the mailed one-time link
/// (72 hours; afterwards 「パスワードを忘れた場合」 mails a new link).
#[handler]
pub async fn account_invite(
    Data(state): Data<&AppState>,
    _admin: AccountsAdmin,
    req: &Request,
    body: poem::Body,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = crate::web::page::FormData::parse(&body.into_vec().await?);
    let result = async {
        let new = new_account(&form, &actor, None)?;
        store::invite(&state.db, &new, None, state.clock.now()).await
    }
    .await;
    let (to, token) = match result {
        Ok((_, to, token)) => (to, token),
        Err(e) if crate::web::page::is_form_error(&e) => {
            return accounts_page(state, &actor, Some(form_message(&e)), None, e.status()).await;
        }
        Err(e) => return Err(fail(e)),
    };
    let link = link(state, &format!("/invitation/{token}"));
    let mail = LinkMail {
        subject: "アカウント招待のご案内",
        intro: "在宅医療・介護連携推進事業 進捗管理のアカウントが作成されました。",
        instruction: "次のリンクから72時間以内にパスワードを設定すると、このメールアドレスでログインできます（1回限り有効）。",
        link,
    };
    if send_link_mail(state, &to, "invite", &mail).await {
        see_other("/accounts?invited=1")
    } else {
        accounts_page(
            state,
            &actor,
            Some("アカウントは作成しましたが、招待メールを送信できませんでした。メールの設定を確認し、本人に「パスワードを忘れた場合」から設定してもらってください".into()),
            None,
            StatusCode::BAD_GATEWAY,
        )
        .await
    }
}

/// Links an account to a committee member of its ward (or unlinks it).
#[handler]
pub async fn account_member(
    Data(state): Data<&AppState>,
    admin: AccountsAdmin,
    req: &Request,
    body: poem::Body,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = crate::web::page::FormData::parse(&body.into_vec().await?);
    let target = own_account(state, &admin, req).await?;
    if target.role == super::Role::Admin {
        return Err(fail(crate::error::AppError::NotFound("アカウント")));
    }
    let member_id = match form.non_empty("member_id") {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| crate::error::AppError::invalid("member_id", "委員を選んでください")),
    };
    let result = match member_id {
        Ok(m) => store::link_member(&state.db, &target, m, state.clock.now()).await,
        Err(e) => Err(e),
    };
    back_to_accounts(state, &actor, result).await
}

#[handler]
pub async fn account_update(
    Data(state): Data<&AppState>,
    admin: AccountsAdmin,
    req: &Request,
    body: poem::Body,
) -> PageResult {
    let actor = crate::web::auth::actor(req).map_err(fail)?;
    let form = crate::web::page::FormData::parse(&body.into_vec().await?);
    let target = own_account(state, &admin, req).await?;
    let result = async {
        if target.role == super::Role::Admin {
            return Err(crate::error::AppError::Forbidden);
        }
        let role = grantable(form.non_empty("role").unwrap_or(""))?;
        let ward_id = form.non_empty("ward_id").and_then(|w| w.parse().ok());
        let disabled = form.non_empty("disabled").is_some();
        if target.id == actor.account_id && (disabled || role != actor.role) {
            return Err(crate::error::AppError::Conflict(
                "自分自身の役割の変更や無効化はできません".into(),
            ));
        }
        store::update_access(
            &state.db,
            &target,
            role,
            ward_id,
            disabled,
            state.clock.now(),
        )
        .await
    }
    .await;
    back_to_accounts(state, &actor, result).await
}

#[derive(Template)]
#[template(path = "accounts/reset_request.html")]
struct ResetRequestPage {
    layout: Layout,
    sent: bool,
}

#[derive(Template)]
#[template(path = "accounts/reset_form.html")]
struct ResetFormPage {
    layout: Layout,
    /// Where the form posts: `/password-reset/{token}` or `/invitation/{token}`.
    action: String,
    invitation: bool,
    message: Option<String>,
}

#[handler]
pub async fn reset_request_form(req: &Request) -> PageResult {
    render_with_status(
        &ResetRequestPage {
            layout: Layout::new("パスワードの再設定"),
            sent: req.uri().query() == Some("sent=1"),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    email: String,
}

/// Sends a mail with a one-time link through the app's one mailer (the
/// reminders' SMTP pool); false when it could not be handed over. The
/// log names neither the address nor the link.
async fn send_link_mail(state: &AppState, to: &str, kind: &str, mail: &LinkMail) -> bool {
    let rendered = (|| {
        let text = LinkMailText { mail }.render()?;
        let html = LinkMailHtml { mail }.render()?;
        let id = super::secret::random_token().map_err(|e| anyhow::anyhow!(e.public_message()))?;
        anyhow::Ok((text, html, format!("<{kind}-{id}@renkei>")))
    })();
    let (text, html, message_id) = match rendered {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, kind, "link mail not sent");
            return false;
        }
    };
    let sent = state
        .mailer
        .send(to, &message_id, mail.subject, &text, &html)
        .await
        .map_err(|e| e.code.unwrap_or_else(|| "-".into()));
    match sent {
        Ok(()) => true,
        Err(reason) => {
            // The server's own text may quote the address: only its code
            // (or the configuration problem) is logged.
            tracing::warn!(reason = %reason, kind, "link mail not sent");
            false
        }
    }
}

fn link(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.config.base_url.trim_end_matches('/'))
}

/// The client's IP (behind a trusted proxy, the one it forwards for), the
/// per-client throttle key.
fn client_key(state: &AppState, req: &Request) -> String {
    let ip = crate::web::client::client_ip(req, &state.config.trusted_proxies);
    format!("addr:{}", ip.map(|a| a.to_string()).unwrap_or_default())
}

/// Mails a one-time link when the address has an account; answers the same
/// either way. Past [`store::RESET_MAX_PER_ADDRESS`] requests for an
/// address or [`store::RESET_MAX_PER_CLIENT`] from a client within the
/// hour, it still answers the same but sends nothing.
#[handler]
pub async fn reset_request(
    Data(state): Data<&AppState>,
    req: &Request,
    Form(form): Form<ResetRequestForm>,
) -> PageResult {
    let now = state.clock.now();
    // No account has an address the text rules refuse: the same answer as
    // for any unknown address, without asking the database.
    if SingleLine::parse(form.email.as_str()).is_err() {
        return see_other("/password-reset?sent=1");
    }
    let email = store::normalize_email(&form.email);
    let keys = [
        (
            format!("email:{}", token_hash(&email)),
            store::RESET_MAX_PER_ADDRESS,
        ),
        (client_key(state, req), store::RESET_MAX_PER_CLIENT),
    ];
    if !store::allow_reset_request(&state.db, &keys, now)
        .await
        .map_err(fail)?
    {
        tracing::warn!("password reset request over the limit: no mail");
        return see_other("/password-reset?sent=1");
    }
    if let Some((to, token)) = store::create_reset(&state.db, &email, now)
        .await
        .map_err(fail)?
    {
        let link = link(state, &format!("/password-reset/{token}"));
        let mail = LinkMail {
            subject: "パスワード再設定のご案内",
            intro: "在宅医療・介護連携推進事業 進捗管理のパスワード再設定の依頼を受け付けました。",
            instruction: "次のリンクから1時間以内に新しいパスワードを設定してください（1回限り有効）。",
            link,
        };
        send_link_mail(state, &to, "reset", &mail).await;
    }
    see_other("/password-reset?sent=1")
}

/// A mail carrying a one-time link (invitation, password reset).
struct LinkMail {
    subject: &'static str,
    intro: &'static str,
    instruction: &'static str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/account_link.txt")]
struct LinkMailText<'a> {
    mail: &'a LinkMail,
}

#[derive(Template)]
#[template(path = "mail/account_link.html")]
struct LinkMailHtml<'a> {
    mail: &'a LinkMail,
}

/// The two one-time links: a password reset and an invitation. Both set
/// the password of the account the link was mailed for.
#[derive(Clone, Copy)]
enum LinkKind {
    Reset,
    Invitation,
}

impl LinkKind {
    fn path(self, token: &str) -> String {
        match self {
            LinkKind::Reset => format!("/password-reset/{token}"),
            LinkKind::Invitation => format!("/invitation/{token}"),
        }
    }

    fn invalid(self) -> poem::Error {
        let message = match self {
            LinkKind::Reset => {
                "このリンクは無効か、有効期限が切れています。もう一度再設定を依頼してください"
            }
            LinkKind::Invitation => {
                "この招待リンクは無効か、有効期限が切れています。市の担当課に招待のやり直しを依頼するか、「パスワードを忘れた場合」から設定してください"
            }
        };
        poem::Error::from_response(crate::web::page::error_page(StatusCode::NOT_FOUND, message))
    }
}

fn reset_form(
    kind: LinkKind,
    token: &str,
    message: Option<String>,
    status: StatusCode,
) -> PageResult {
    let title = match kind {
        LinkKind::Reset => "新しいパスワードの設定",
        LinkKind::Invitation => "アカウントの利用開始（パスワードの設定）",
    };
    render_with_status(
        &ResetFormPage {
            layout: Layout::new(title),
            action: kind.path(token),
            invitation: matches!(kind, LinkKind::Invitation),
            message,
        },
        status,
    )
}

async fn link_form(state: &AppState, kind: LinkKind, token: String) -> PageResult {
    match store::reset_account(&state.db, &token, state.clock.now())
        .await
        .map_err(fail)?
    {
        Some(_) => reset_form(kind, &token, None, StatusCode::OK),
        None => Err(kind.invalid()),
    }
}

async fn link_complete(
    state: &AppState,
    kind: LinkKind,
    token: String,
    form: ResetForm,
) -> PageResult {
    let now = state.clock.now();
    if store::reset_account(&state.db, &token, now)
        .await
        .map_err(fail)?
        .is_none()
    {
        return Err(kind.invalid());
    }
    if let Some(message) = new_password_problem(&form.new, &form.confirm) {
        return reset_form(
            kind,
            &token,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let hash = super::secret::hash_password(form.new).await.map_err(fail)?;
    match store::complete_reset(&state.db, &token, &hash, now).await {
        Ok(()) => see_other("/login"),
        Err(crate::error::AppError::NotFound(_)) => Err(kind.invalid()),
        Err(e) => Err(fail(e)),
    }
}

#[handler]
pub async fn reset_form_page(
    Data(state): Data<&AppState>,
    poem::web::Path(token): poem::web::Path<String>,
) -> PageResult {
    link_form(state, LinkKind::Reset, token).await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

#[handler]
pub async fn reset_complete(
    Data(state): Data<&AppState>,
    poem::web::Path(token): poem::web::Path<String>,
    Form(form): Form<ResetForm>,
) -> PageResult {
    link_complete(state, LinkKind::Reset, token, form).await
}

/// `/invitation/{token}`: an invited account sets its first password.
#[handler]
pub async fn invitation_form_page(
    Data(state): Data<&AppState>,
    poem::web::Path(token): poem::web::Path<String>,
) -> PageResult {
    link_form(state, LinkKind::Invitation, token).await
}

#[handler]
pub async fn invitation_complete(
    Data(state): Data<&AppState>,
    poem::web::Path(token): poem::web::Path<String>,
    Form(form): Form<ResetForm>,
) -> PageResult {
    link_complete(state, LinkKind::Invitation, token, form).await
}
