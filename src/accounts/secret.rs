//! Random tokens, their hashes, and password hashing.
//!
//! Session cookies, CSRF tokens, API tokens and reset links are 256-bit
//! random values; only their SHA-256 is stored. Passwords are hashed with
//! argon2id at the crate's defaults (m=19 MiB, t=2, p=1: OWASP's
//! recommendation) on the blocking pool, a few at a time.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Prefix of API tokens, so a leaked one is recognisable in a scan.
pub const API_TOKEN_PREFIX: &str = "rk_";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// 32 random bytes as 64 lower-case hex characters.
pub fn random_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("random source failed: {e}")))?;
    Ok(hex(&bytes))
}

/// A new API token: `rk_` followed by 64 hex characters.
pub fn new_api_token() -> AppResult<String> {
    Ok(format!("{API_TOKEN_PREFIX}{}", random_token()?))
}

/// SHA-256 of a token, hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// At most four hashes at once: each takes 19 MiB and a core for a while.
fn hashing_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(4))
}

/// Checks the password rules; messages are for the form.
pub fn check_password_rules(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください"),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// Verifies a password against a stored hash (false on any mismatch or a
/// malformed hash).
pub async fn verify_password(password: String, stored: String) -> AppResult<bool> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}

/// A hash that matches no password, verified when the e-mail is unknown so
/// that unknown and known addresses take the same time.
pub async fn dummy_hash() -> AppResult<String> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async { hash_password(random_token()?).await })
        .await
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_are_prefixed_random_and_hashed_stably() {
        let a = new_api_token().unwrap();
        let b = new_api_token().unwrap();
        assert!(a.starts_with("rk_") && a.len() == 67 && a != b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), h).await.unwrap());
        assert!(!verify_password("x".into(), "garbage".into()).await.unwrap());
    }
}
