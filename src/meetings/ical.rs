//! iCal feeds (`/calendar.ics?token=TOKEN`) of meetings and evaluation due dates,
//! per ward or per member, for calendar apps to subscribe to. The random
//! token in the URL is the credential; issuing a new one revokes the old.
//!
//! One feed carries both, so it lives with meetings: a calendar is the
//! conference's schedule, its scopes are the ward's meetings and the
//! meetings a member attends, and the due dates of countermeasures are
//! added to it (read with [`AWAITING_EVALUATION_SQL`], the ladder's own rule).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::Row;

use crate::access::{MemberWrite, WardWrite};
use crate::audit;
use crate::countermeasures::AWAITING_EVALUATION_SQL;
use crate::db::{Db, parse_date, timestamp};
use crate::error::{AppError, AppResult};

/// Whose feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Ward(WardWrite),
    Member(MemberWrite),
}

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uid: String,
    pub date: NaiveDate,
    pub summary: String,
    pub url: String,
}

fn new_token() -> AppResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a feed token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The subscription URL of a token.
pub fn feed_url(base_url: &str, token: &str) -> String {
    format!(
        "{}/calendar.ics?token={token}",
        base_url.trim_end_matches('/')
    )
}

/// Issues a new token for the scope (replacing any earlier one) and returns it.
pub async fn issue(db: &Db, scope: Scope, now: DateTime<Utc>) -> AppResult<String> {
    let (ward_id, member_id) = match scope {
        Scope::Ward(w) => (Some(w.ward_id()), None),
        Scope::Member(m) => (None, Some(m.id())),
    };
    let token = new_token()?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM calendar_feeds WHERE ward_id = $1 OR member_id = $2")
        .bind(ward_id)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO calendar_feeds (token, ward_id, member_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token.as_str())
    .bind(ward_id)
    .bind(member_id)
    .bind(timestamp(now))
    .execute(&mut *tx)
    .await?;
    let entry = audit::Entry {
        ward_id,
        municipality_id: None,
        entity: if ward_id.is_some() {
            "ward_calendar_feed"
        } else {
            "member_calendar_feed"
        },
        entity_id: ward_id.or(member_id).unwrap_or_default(),
        action: "issue",
        actor: None,
        // The token itself stays out of the audit trail: it is a credential.
        changes: json!({ "token": "renewed" }),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(token)
}

/// The events of the feed with this token; unknown tokens are not found.
pub async fn events(db: &Db, token: &str, base_url: &str) -> AppResult<(String, Vec<Event>)> {
    let row = sqlx::query(
        "SELECT f.ward_id, f.member_id, COALESCE(w.name, m.name) AS label \
         FROM calendar_feeds f LEFT JOIN wards w ON w.id = f.ward_id \
         LEFT JOIN members m ON m.id = f.member_id WHERE f.token = $1",
    )
    .bind(token)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound("カレンダー"))?;
    let ward_id: Option<i64> = row.try_get("ward_id")?;
    let member_id: Option<i64> = row.try_get("member_id")?;
    let label: String = row.try_get("label")?;
    let base_url = base_url.trim_end_matches('/');
    let (meetings, dues) = match (ward_id, member_id) {
        (Some(w), _) => (
            sqlx::query("SELECT id, held_on, title FROM meetings WHERE ward_id = $1 ORDER BY held_on, id")
                .bind(w)
                .fetch_all(&db.pool)
                .await?,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, evaluation_due_on, title FROM countermeasures WHERE ward_id = $1 \
                 AND {AWAITING_EVALUATION_SQL} ORDER BY evaluation_due_on, id"
            )))
            .bind(w)
            .fetch_all(&db.pool)
            .await?,
        ),
        (None, Some(m)) => (
            sqlx::query(
                "SELECT g.id, g.held_on, g.title FROM meetings g \
                 JOIN meeting_attendees a ON a.meeting_id = g.id WHERE a.member_id = $1 ORDER BY g.held_on, g.id",
            )
            .bind(m)
            .fetch_all(&db.pool)
            .await?,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, evaluation_due_on, title FROM countermeasures WHERE owner_member_id = $1 \
                 AND {AWAITING_EVALUATION_SQL} ORDER BY evaluation_due_on, id"
            )))
            .bind(m)
            .fetch_all(&db.pool)
            .await?,
        ),
        (None, None) => (Vec::new(), Vec::new()),
    };
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or("renkei")
        .split(['/', ':'])
        .next()
        .unwrap_or("renkei")
        .to_string();
    let mut out = Vec::new();
    for r in &meetings {
        let id: i64 = r.try_get("id")?;
        let held: String = r.try_get("held_on")?;
        out.push(Event {
            uid: format!("meeting-{id}@{host}"),
            date: parse_date("held_on", &held)?,
            summary: format!("会議: {}", r.try_get::<String, _>("title")?),
            url: format!("{base_url}/meetings/{id}"),
        });
    }
    for r in &dues {
        let id: i64 = r.try_get("id")?;
        let due: String = r.try_get("evaluation_due_on")?;
        out.push(Event {
            uid: format!("evaluation-due-{id}@{host}"),
            date: parse_date("evaluation_due_on", &due)?,
            summary: format!("評価期限: {}", r.try_get::<String, _>("title")?),
            url: format!("{base_url}/countermeasures/{id}"),
        });
    }
    Ok((label, out))
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (§3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for ch in line.chars() {
        let w = ch.len_utf8();
        if len + w > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(ch);
        len += w;
    }
    out.push_str("\r\n");
    out
}

/// The feed as `text/calendar`: all-day events, CRLF lines, folded.
pub fn render(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//renkei//reminders//JA".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape(&format!("renkei {name}"))),
        "X-WR-TIMEZONE:Asia/Tokyo".into(),
    ];
    for e in events {
        let next = e.date.succ_opt().unwrap_or(e.date);
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", e.uid),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", e.date.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")),
            format!("SUMMARY:{}", escape(&e.summary)),
            format!("URL:{}", e.url),
            "END:VEVENT".into(),
        ]);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_japanese_lines_fold_between_characters() {
        let line = format!("SUMMARY:{}", "評価".repeat(40));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75, "{part}");
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
