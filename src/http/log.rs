//! The request log: one line per request, and no secret in it.
//!
//! Password-reset and invitation links carry a live token in the path
//! (`/password-reset/{token}`, `/invitation/{token}`); whoever reads the
//! log must not be able to use it. [`loggable_path`] replaces
//! - the segment a route matched as `:token`;
//! - every segment after `password-reset` or `invitation`, also where no
//!   route matched (a trailing slash, an appended character) or where the
//!   answer came before routing (413, a refused cross-site form);
//! - any segment long enough to be a token ([`TOKEN_LIKE_CHARS`] after
//!   percent-decoding), wherever it appears.
//!
//! Ids, which are short, stay readable. Query strings (the calendar feed's
//! token) and bodies are never logged.

use std::time::Instant;

use poem::PathPattern;
use poem::{Endpoint, IntoResponse, Request, Response};

/// What a redacted segment is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Segments this long (in characters, percent-decoded) are taken for
/// secrets: tokens are 64 hex characters, ids at most 20 digits, the
/// longest route segment 19 characters.
pub const TOKEN_LIKE_CHARS: usize = 24;

/// Route segments whose following segments are secrets.
const LINK_PREFIXES: [&str; 2] = ["password-reset", "invitation"];

/// One log line per request: method, path (ids only, secrets redacted,
/// never query strings or bodies, which may carry personal data), status
/// and latency.
pub async fn log_request<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let start = Instant::now();
    let method = req.method().clone();
    let raw_path = req.uri().path().to_string();
    let resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let pattern = resp.data::<PathPattern>().map(|p| p.0.clone());
    let path = loggable_path(&raw_path, pattern.as_deref());
    tracing::info!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        latency_ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(resp)
}

/// The path as it may be logged: see the module documentation. `pattern`
/// is the route that matched (poem's [`PathPattern`]), when one did.
pub fn loggable_path(path: &str, pattern: Option<&str>) -> String {
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    // Segment for segment: poem matches static segments byte for byte and
    // a parameter up to the next slash, so the two line up.
    if let Some(pattern) = pattern {
        let names: Vec<&str> = pattern.split('/').collect();
        if names.len() == segs.len() {
            for (seg, name) in segs.iter_mut().zip(names) {
                if name.starts_with(':') && name.contains("token") {
                    *seg = REDACTED.to_string();
                }
            }
        }
    }
    let mut after_link_prefix = false;
    for seg in segs.iter_mut().filter(|s| !s.is_empty()) {
        let decoded = decode(seg);
        if after_link_prefix || decoded.chars().count() >= TOKEN_LIKE_CHARS {
            *seg = REDACTED.to_string();
            continue;
        }
        // Also variants no route matches (`/Password-Reset;x/…`): the token
        // in them is live all the same.
        let decoded = decoded.to_lowercase();
        after_link_prefix = LINK_PREFIXES.iter().any(|p| decoded.starts_with(p));
    }
    segs.join("/")
}

/// Percent-decodes until nothing changes (a double-encoded `%2561` hides
/// a token as well as `%61`), lossily: only the length and the prefix matter.
fn decode(seg: &str) -> String {
    let mut current = seg.to_string();
    for _ in 0..4 {
        let next = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_token_a_route_matched_is_redacted() {
        assert_eq!(
            loggable_path("/password-reset/abc", Some("/password-reset/:token")),
            "/password-reset/[redacted]"
        );
        assert_eq!(
            loggable_path(&format!("/invitation/{TOKEN}"), Some("/invitation/:token")),
            "/invitation/[redacted]"
        );
    }

    #[test]
    fn ids_stay_readable() {
        for path in [
            "/api/wards/12/meetings",
            "/wards/3/report/2026H1/csv/chart1",
            "/wards/3/countermeasures.csv",
            "/api/municipalities/2/reminder-settings",
            "/api/wards/9223372036854775807",
            "/password-reset",
            "/",
        ] {
            assert_eq!(loggable_path(path, None), path);
        }
        assert_eq!(
            loggable_path("/wards/3/meetings", Some("/wards/:id/meetings")),
            "/wards/3/meetings"
        );
    }

    #[test]
    fn tokens_on_paths_no_route_matched_are_redacted() {
        for (path, logged) in [
            (
                format!("/password-reset/{TOKEN}/"),
                "/password-reset/[redacted]/",
            ),
            (
                format!("/password-reset/{TOKEN}%E3%80%82"),
                "/password-reset/[redacted]",
            ),
            (format!("//invitation/{TOKEN}"), "//invitation/[redacted]"),
            (
                format!("/Password-Reset;x/{}/{}", &TOKEN[..8], &TOKEN[8..]),
                "/Password-Reset;x/[redacted]/[redacted]",
            ),
            (
                format!("/%70assword-reset/{TOKEN}"),
                "/%70assword-reset/[redacted]",
            ),
            (format!("/api/{TOKEN}"), "/api/[redacted]"),
            (format!("/wards/{}x", &TOKEN[..23]), "/wards/[redacted]"),
        ] {
            assert_eq!(loggable_path(&path, None), logged, "{path}");
        }
    }

    #[test]
    fn percent_encoded_tokens_are_redacted() {
        let encoded: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
        let double: String = TOKEN.bytes().map(|b| format!("%25{b:02x}")).collect();
        for seg in [encoded, double] {
            let logged = loggable_path(&format!("/x/{seg}"), None);
            assert_eq!(logged, "/x/[redacted]");
        }
        // A short segment is decoded only to measure it.
        assert_eq!(loggable_path("/wards/%31", None), "/wards/%31");
    }
}
