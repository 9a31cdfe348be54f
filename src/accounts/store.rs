//! Accounts, sessions, API tokens and login throttling: their SQL. Rules
//! (where a role sits, an address's shape) are pure functions in `mod.rs`
//! that the store calls.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::secret::{random_token, token_hash};
use super::{Actor, Placement, Role};
use crate::access::store::{member_scope, ward_scope};
use crate::audit::{self, Entry};
use crate::db::{Db, Tx, timestamp};
use crate::error::{AppError, AppResult, unique_violation};

/// A new account, as given by the CLI, the demo loader or the city's pages.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub municipality_id: Option<i64>,
    pub ward_id: Option<i64>,
    pub member_id: Option<i64>,
    /// An argon2id hash, or None for an account that cannot sign in yet.
    pub password_hash: Option<String>,
}

/// What sign-in needs about an account.
pub struct Credentials {
    pub actor: Actor,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// Normalises an e-mail address for storage and look-up: folded as
/// [`crate::email::check`] folds it (full-width letters typed with the IME
/// on), lower-cased.
pub fn normalize_email(email: &str) -> String {
    match crate::email::check(email) {
        Ok(c) => c.address.to_lowercase(),
        Err(_) => email.trim().to_lowercase(),
    }
}

/// Looks up what the role's placement ([`super::check_placement`]) needs:
/// that the ward belongs to the municipality, or that the municipality
/// exists.
async fn check_scope(db: &Db, new: &NewAccount) -> AppResult<()> {
    match super::check_placement(new.role, new.municipality_id, new.ward_id)? {
        Placement::Installation => Ok(()),
        // Another municipality's ward answers like one that does not
        // exist: whether it exists does not leak to a city account.
        Placement::Ward {
            municipality_id: m,
            ward_id: w,
        } => match ward_scope(db, w).await? {
            Some(ward) if ward.municipality_id == m => Ok(()),
            _ => Err(AppError::invalid("ward", "区がその市区町村にありません")),
        },
        Placement::Municipality(m) => {
            if crate::access::store::municipality_exists(db, m).await? {
                Ok(())
            } else {
                Err(AppError::NotFound("自治体"))
            }
        }
    }
}

/// Creates an account (checked: its address, [`super::check_email`]; its
/// role's placement, [`super::check_placement`], and what that needs
/// looked up) with its audit row, in one transaction; returns its id.
/// Errors: 422, 404 for a municipality that does not exist, 409 on an
/// address already in use.
pub async fn create(
    db: &Db,
    new: &NewAccount,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    check_new(db, new).await?;
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, new, actor, "create", now).await?;
    tx.commit().await?;
    Ok(id)
}

/// How long an invitation link works.
pub const INVITATION_TTL_SECS: i64 = 72 * 60 * 60;

/// Creates an account that cannot sign in yet and a one-time link to set
/// its password, in one transaction; returns the account id, its
/// normalised address and the link value (mailed, never stored in clear).
pub async fn invite(
    db: &Db,
    new: &NewAccount,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<(i64, String, String)> {
    let new = NewAccount {
        password_hash: None,
        ..new.clone()
    };
    check_new(db, &new).await?;
    let token = random_token()?;
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, &new, actor, "invite", now).await?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(now.timestamp() + INVITATION_TTL_SECS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, normalize_email(&new.email), token))
}

async fn check_new(db: &Db, new: &NewAccount) -> AppResult<()> {
    super::check_email(&normalize_email(&new.email))?;
    check_scope(db, new).await
}

/// Inserts a checked account with its audit row, in the caller's transaction.
async fn insert(
    tx: &mut crate::db::Tx,
    new: &NewAccount,
    actor: Option<&str>,
    action: &'static str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let email = normalize_email(&new.email);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, role, municipality_id, ward_id, member_id, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(email)
    .bind(new.display_name.clone())
    .bind(new.role.as_str())
    .bind(new.municipality_id)
    .bind(new.ward_id)
    .bind(new.member_id)
    .bind(new.password_hash.clone())
    .bind(timestamp(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(unique_violation("このメールアドレスのアカウントは既にあります"))?;
    audit::store::record(
        tx,
        Entry {
            ward_id: new.ward_id,
            municipality_id: None,
            entity: "account",
            entity_id: id,
            action,
            actor,
            // No address or name: the audit log outlives corrections.
            changes: serde_json::json!({
                "role": new.role.as_str(),
                "municipality_id": new.municipality_id,
                "ward_id": new.ward_id,
            }),
        },
        now,
    )
    .await?;
    Ok(id)
}

const ACCOUNT_COLUMNS: &str =
    "id, role, municipality_id, ward_id, member_id, password_hash, disabled";

fn actor_from_row(row: &AnyRow) -> AppResult<(Actor, Option<String>, bool)> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown role in accounts table")))?;
    let id: i64 = row.try_get("id")?;
    let actor = Actor {
        account_id: id,
        role,
        municipality_id: row.try_get("municipality_id")?,
        ward_id: row.try_get("ward_id")?,
        member_id: row.try_get("member_id")?,
        label: format!("account:{id}"),
    };
    let disabled: i64 = row.try_get("disabled")?;
    Ok((actor, row.try_get("password_hash")?, disabled != 0))
}

pub async fn credentials(db: &Db, email: &str) -> AppResult<Option<Credentials>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1"
    )))
    .bind(normalize_email(email))
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        actor_from_row(&r).map(|(actor, password_hash, disabled)| Credentials {
            actor,
            password_hash,
            disabled,
        })
    })
    .transpose()
}

pub async fn id_by_email(db: &Db, email: &str) -> AppResult<i64> {
    sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
        .bind(normalize_email(email))
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("アカウント"))
}

// ---------------------------------------------------------------------------
// Sessions

/// A session just opened: the cookie value (shown once) and its CSRF token.
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
}

/// Opens a new session (a fresh id every sign-in: rotation).
pub async fn open_session(
    db: &Db,
    account_id: i64,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> AppResult<NewSession> {
    let cookie_value = random_token()?;
    let csrf_token = random_token()?;
    let mut tx = db.begin_write().await?;
    // Expired sessions of anyone are pruned here rather than by a job.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&cookie_value))
    .bind(account_id)
    .bind(csrf_token.clone())
    .bind(timestamp(now))
    .bind(now.timestamp() + ttl_secs)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(NewSession {
        cookie_value,
        csrf_token,
    })
}

/// The signed-in account of a live session, with the session's CSRF token.
pub async fn session_actor(
    db: &Db,
    cookie_value: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<(Actor, String)>> {
    let row = sqlx::query(
        "SELECT a.id, a.role, a.municipality_id, a.ward_id, a.member_id, a.password_hash, a.disabled, s.csrf_token \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash(cookie_value))
    .bind(now.timestamp())
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (actor, _, disabled) = actor_from_row(&row)?;
    if disabled {
        return Ok(None);
    }
    Ok(Some((actor, row.try_get("csrf_token")?)))
}

pub async fn close_session(db: &Db, cookie_value: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(cookie_value))
        .execute(&db.pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// API tokens

/// Creates a named token for an account; returns it (the only time it exists
/// in clear).
pub async fn create_token(
    db: &Db,
    account_id: i64,
    name: &str,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<(i64, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "トークンの名前を入力してください",
        ));
    }
    let token = super::secret::new_api_token()?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(name.to_string())
    .bind(token_hash(&token))
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await?;
    audit::store::record(
        &mut tx,
        Entry {
            ward_id: None,
            municipality_id: None,
            entity: "api_token",
            entity_id: id,
            action: "create",
            actor,
            changes: serde_json::json!({ "account_id": account_id, "name": name }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

pub async fn revoke_token(
    db: &Db,
    token_id: i64,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let n =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(timestamp(now))
            .bind(token_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("トークン"));
    }
    audit::store::record(
        &mut tx,
        Entry {
            ward_id: None,
            municipality_id: None,
            entity: "api_token",
            entity_id: token_id,
            action: "revoke",
            actor,
            changes: serde_json::json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The owner of a live (unrevoked) token of an enabled account.
pub async fn token_actor(db: &Db, token: &str) -> AppResult<Option<Actor>> {
    let row = sqlx::query(
        "SELECT a.id, a.role, a.municipality_id, a.ward_id, a.member_id, a.password_hash, a.disabled \
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash(token))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (actor, _, disabled) = actor_from_row(&row)?;
    Ok((!disabled).then_some(actor))
}

// ---------------------------------------------------------------------------
// Throttling

/// Failures counted within this window.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// Failures per key within the window before the key is locked.
pub const THROTTLE_MAX_FAILURES: i64 = 5;

pub async fn recent_failures(db: &Db, key: &str, now: DateTime<Utc>) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND failed_at > $2",
    )
    .bind(key.to_string())
    .bind(now.timestamp() - THROTTLE_WINDOW_SECS)
    .fetch_one(&db.pool)
    .await?)
}

pub async fn record_failure(db: &Db, keys: &[String], now: DateTime<Utc>) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
        .bind(now.timestamp() - THROTTLE_WINDOW_SECS)
        .execute(&mut *tx)
        .await?;
    for key in keys {
        sqlx::query("INSERT INTO login_failures (throttle_key, failed_at) VALUES ($1, $2)")
            .bind(key.clone())
            .bind(now.timestamp())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn clear_failures(db: &Db, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
        .bind(key.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Password-reset requests counted within this window.
pub const RESET_WINDOW_SECS: i64 = 60 * 60;
/// Reset mails per address within the window.
pub const RESET_MAX_PER_ADDRESS: i64 = 3;
/// Reset requests per client within the window (any address).
pub const RESET_MAX_PER_CLIENT: i64 = 10;

/// Records a reset request under each key and tells whether every key was
/// still under its limit before it (the caller then mails the link). The
/// request is counted either way, so a flood keeps the limit closed.
pub async fn allow_reset_request(
    db: &Db,
    keys: &[(String, i64)],
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let since = now.timestamp() - RESET_WINDOW_SECS;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM reset_requests WHERE requested_at <= $1")
        .bind(since)
        .execute(&mut *tx)
        .await?;
    let mut allowed = true;
    for (key, max) in keys {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reset_requests WHERE throttle_key = $1 AND requested_at > $2",
        )
        .bind(key.clone())
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        allowed &= count < *max;
        sqlx::query("INSERT INTO reset_requests (throttle_key, requested_at) VALUES ($1, $2)")
            .bind(key.clone())
            .bind(now.timestamp())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(allowed)
}

/// The stored password hash of an account.
pub async fn password_hash(db: &Db, account_id: i64) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&db.pool)
            .await?
            .flatten(),
    )
}

/// Sets a new password hash and ends every session of the account except
/// `keep` (the one that made the change), with its audit row.
pub async fn set_password(
    db: &Db,
    account_id: i64,
    hash: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    write_password(
        &mut tx,
        account_id,
        hash,
        keep,
        "password_change",
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The shared part of [`set_password`] and [`complete_reset`], in the
/// caller's transaction: stores the new hash, ends every session of the
/// account but `keep` (all of them when None) and writes the audit row.
async fn write_password(
    tx: &mut Tx,
    account_id: i64,
    hash: &str,
    keep: Option<&str>,
    action: &'static str,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash.to_string())
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    // A session's token hash is never empty, so without `keep` all go.
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(account_id)
        .bind(keep.map(token_hash).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    audit::store::record(
        tx,
        Entry {
            ward_id: None,
            municipality_id: None,
            entity: "account",
            entity_id: account_id,
            action,
            actor,
            changes: serde_json::json!({}),
        },
        now,
    )
    .await
}

/// An account as the management page lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub municipality_id: Option<i64>,
    pub ward_id: Option<i64>,
    pub ward_name: String,
    /// The committee member record linked to the account.
    pub member_id: Option<i64>,
    pub disabled: bool,
    /// No password yet (invited, not accepted; or a token-only account).
    pub no_password: bool,
}

/// Accounts of a municipality (every account when None).
pub async fn list(db: &Db, municipality_id: Option<i64>) -> AppResult<Vec<Listed>> {
    Ok(list_page(db, municipality_id, crate::paging::Paging::all())
        .await?
        .items)
}

/// One page of the accounts of a municipality (every account when None),
/// by number, with how many there are in all.
pub async fn list_page(
    db: &Db,
    municipality_id: Option<i64>,
    paging: crate::paging::Paging,
) -> AppResult<crate::paging::Page<Listed>> {
    use crate::db::{Bind, Filter, bind_all};
    let mut filter = Filter::default();
    if let Some(m) = municipality_id {
        filter.and("a.municipality_id = ?", [Bind::Int(m)]);
    }
    let n = filter.next_placeholder();
    // The count rides along as an uncorrelated subquery (one snapshot).
    let sql = format!(
        "SELECT a.id, a.email, a.display_name, a.role, a.municipality_id, a.ward_id, \
         COALESCE(w.name, '') AS ward_name, a.member_id, a.disabled, \
         CAST(CASE WHEN a.password_hash IS NULL THEN 1 ELSE 0 END AS BIGINT) AS no_password, \
         (SELECT COUNT(*) FROM accounts a{where_sql}) AS total \
         FROM accounts a LEFT JOIN wards w ON w.id = a.ward_id{where_sql} \
         ORDER BY a.id LIMIT ${} OFFSET ${}",
        n,
        n + 1,
        where_sql = filter.where_sql()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .bind(paging.limit)
        .bind(paging.offset)
        .fetch_all(&db.pool)
        .await?;
    let total = crate::db::page_total(db, &rows, paging.offset, "FROM accounts a", &filter).await?;
    let items = rows
        .iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            let disabled: i64 = r.try_get("disabled")?;
            Ok(Listed {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                role: Role::parse(&role).ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("unknown role in accounts table"))
                })?,
                municipality_id: r.try_get("municipality_id")?,
                ward_id: r.try_get("ward_id")?,
                ward_name: r.try_get("ward_name")?,
                member_id: r.try_get("member_id")?,
                disabled: disabled != 0,
                no_password: r.try_get::<i64, _>("no_password")? != 0,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(crate::paging::Page {
        items,
        total,
        paging,
    })
}

/// Changes an account's role and ward, or disables/enables it; a disabled
/// account's sessions end at once (its tokens stop working too).
pub async fn update_access(
    db: &Db,
    account: &Listed,
    role: Role,
    ward_id: Option<i64>,
    disabled: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    check_scope(
        db,
        &NewAccount {
            email: account.email.clone(),
            display_name: String::new(),
            role,
            municipality_id: account.municipality_id,
            ward_id,
            member_id: None,
            password_hash: None,
        },
    )
    .await?;
    let mut tx = db.begin_write().await?;
    // A member record belongs to one ward: moving the account unlinks it.
    let member_id = account.member_id.filter(|_| ward_id == account.ward_id);
    sqlx::query(
        "UPDATE accounts SET role = $1, ward_id = $2, disabled = $3, member_id = $4 WHERE id = $5",
    )
    .bind(role.as_str())
    .bind(ward_id)
    .bind(i64::from(disabled))
    .bind(member_id)
    .bind(account.id)
    .execute(&mut *tx)
    .await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
    }
    audit::store::record(
        &mut tx,
        Entry {
            ward_id: ward_id.or(account.ward_id),
            municipality_id: None,
            entity: "account",
            entity_id: account.id,
            action: "update",
            actor: None,
            changes: audit::diff(
                &serde_json::json!({"role": account.role.as_str(), "ward_id": account.ward_id, "disabled": account.disabled, "member_id": account.member_id}),
                &serde_json::json!({"role": role.as_str(), "ward_id": ward_id, "disabled": disabled, "member_id": member_id}),
            ),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long a reset link works.
pub const RESET_TTL_SECS: i64 = 60 * 60;

/// Creates a reset link value for an enabled account with this address;
/// None when there is no such account (the caller answers the same anyway).
pub async fn create_reset(
    db: &Db,
    email: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<(String, String)>> {
    let Some(creds) = credentials(db, email).await? else {
        return Ok(None);
    };
    if creds.disabled {
        return Ok(None);
    }
    let token = random_token()?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash(&token))
    .bind(creds.actor.account_id)
    .bind(now.timestamp() + RESET_TTL_SECS)
    .execute(&db.pool)
    .await?;
    Ok(Some((normalize_email(email), token)))
}

/// The account a live (unused, unexpired) reset link is for.
pub async fn reset_account(db: &Db, token: &str, now: DateTime<Utc>) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now.timestamp())
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses a reset link: sets the password, marks the link used and ends every
/// session of the account, in one transaction. Fails if the link was used
/// meanwhile.
pub async fn complete_reset(db: &Db, token: &str, hash: &str, now: DateTime<Utc>) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let account_id: Option<i64> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING account_id",
    )
    .bind(timestamp(now))
    .bind(token_hash(token))
    .bind(now.timestamp())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(account_id) = account_id else {
        return Err(AppError::NotFound("パスワード再設定のリンク"));
    };
    write_password(
        &mut tx,
        account_id,
        hash,
        None,
        "password_reset",
        Some("password-reset-link"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Links an account to a committee member record of its own ward (None
/// unlinks): the link lets a `member` account record evaluations on the
/// countermeasures that member owns.
pub async fn link_member(
    db: &Db,
    account: &Listed,
    member_id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let Some(m) = member_id {
        let scope = member_scope(db, m).await?;
        match (account.ward_id, scope) {
            (None, _) => {
                return Err(AppError::invalid(
                    "member_id",
                    "市全体のアカウントは委員に紐づけられません。先に区を設定してください",
                ));
            }
            (Some(w), Some(s)) if s.ward_id == w => {}
            _ => {
                return Err(AppError::invalid(
                    "member_id",
                    "委員はこのアカウントの区の委員から選んでください",
                ));
            }
        }
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE accounts SET member_id = $1 WHERE id = $2")
        .bind(member_id)
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    audit::store::record(
        &mut tx,
        Entry {
            ward_id: account.ward_id,
            municipality_id: None,
            entity: "account",
            entity_id: account.id,
            action: "link_member",
            actor: None,
            changes: audit::diff(
                &serde_json::json!({ "member_id": account.member_id }),
                &serde_json::json!({ "member_id": member_id }),
            ),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
