//! Delivers the outbox over SMTP with lettre.
//!
//! A message is marked sent only after the server accepted it. Transient
//! failures (connection refused, timeouts, 4xx) are retried with exponential
//! backoff up to the message's `max_attempts`, then marked failed (its
//! items are owed again at the next run); a permanent rejection (5xx, an
//! unusable address) is marked refused at once, and the address is not
//! mailed again until it changes or a resend of the refused message gets
//! through (a resent message is sent whatever that list says: only the job
//! reads it). Right before each attempt the message's items
//! are read again: what is no longer owed drops out, and a message left with
//! nothing is cancelled instead of sent. Logs name messages by outbox id only: the
//! recipient is a member's address and never goes to the log.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::store::{self, Claimed, Outcome};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;

/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF_SECS: i64 = 60;
const MAX_BACKOFF_SECS: i64 = 3600;

/// What one pass of the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retrying: usize,
    /// Retries on temporary failures ran out.
    pub failed: usize,
    /// Refused for good (5xx, unusable address).
    pub refused: usize,
    /// Not sent: none of their items was owed any more.
    pub cancelled: usize,
}

/// The wait before attempt `attempt + 1`, after `attempt` failed.
pub fn backoff(attempt: i64) -> chrono::TimeDelta {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let secs = FIRST_BACKOFF_SECS.saturating_mul(1_i64 << exp);
    chrono::TimeDelta::seconds(secs.min(MAX_BACKOFF_SECS))
}

/// How many messages are in flight at once: one per pooled connection.
const CONCURRENCY: usize = crate::mail::CONNECTIONS;

/// How long the messages in flight may still take once shutdown was asked
/// for; what has not finished by then is cut off and given back.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Delivers every message due at `now` and returns. `jobs run` and tests
/// call it directly with the "now" they want; the scheduler calls
/// [`send_pending`], which can be stopped.
pub async fn send_pending_once(
    db: &Db,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> AppResult<SendReport> {
    let (_never, stop) = watch::channel(false);
    send_pending(db, mailer, now, stop).await
}

/// Like [`send_pending_once`], but once `stop` turns true it claims no more
/// messages, gives those in flight [`SHUTDOWN_GRACE`] to finish, releases
/// the rest ([`store::release`]) and returns: shutdown does not wait for the
/// outbox to drain.
pub async fn send_pending(
    db: &Db,
    mailer: &Mailer,
    now: DateTime<Utc>,
    mut stop: watch::Receiver<bool>,
) -> AppResult<SendReport> {
    let mut report = SendReport::default();
    loop {
        let mut batch = Vec::with_capacity(CONCURRENCY);
        while batch.len() < CONCURRENCY && !*stop.borrow() {
            match store::claim(db, now, now + mailer.lease_delta()).await? {
                Some(msg) => batch.push(msg),
                None => break,
            }
        }
        if *stop.borrow() {
            // Claimed in the same instant the stop came: not begun, so
            // handed back untouched rather than left leased.
            for msg in &batch {
                store::release(db, msg.id, msg.attempt, false, now).await?;
            }
            return Ok(report);
        }
        if batch.is_empty() {
            return Ok(report);
        }
        let mut tasks = tokio::task::JoinSet::new();
        let mut in_flight = HashMap::new();
        for msg in batch {
            let (db, mailer) = (db.clone(), mailer.clone());
            let key = (msg.id, msg.attempt);
            let task = tasks.spawn(async move { deliver(&db, &mailer, &msg, now).await });
            in_flight.insert(task.id(), key);
        }
        // Every task runs to the end even if one fails, so no claimed
        // message is left half-recorded by an early return; only a stop
        // cuts them short, after the grace period.
        let mut first_error = None;
        let mut unreachable = false;
        let mut grace_until: Option<tokio::time::Instant> = None;
        let mut cut_off = false;
        loop {
            let joined = match grace_until {
                _ if cut_off => tasks.join_next_with_id().await,
                None => tokio::select! {
                    j = tasks.join_next_with_id() => j,
                    () = stop_requested(&mut stop) => {
                        grace_until = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                        continue;
                    }
                },
                Some(until) => {
                    match tokio::time::timeout_at(until, tasks.join_next_with_id()).await {
                        Ok(j) => j,
                        Err(_) => {
                            tasks.abort_all();
                            cut_off = true;
                            continue;
                        }
                    }
                }
            };
            let Some(joined) = joined else { break };
            match joined {
                Ok((_, Ok(Delivered::Sent))) => report.sent += 1,
                Ok((_, Ok(Delivered::Retrying { unreachable: u }))) => {
                    report.retrying += 1;
                    unreachable |= u;
                }
                Ok((_, Ok(Delivered::Failed))) => report.failed += 1,
                Ok((_, Ok(Delivered::Refused))) => report.refused += 1,
                Ok((_, Ok(Delivered::Cancelled))) => report.cancelled += 1,
                Ok((_, Ok(Delivered::Lost))) => {}
                Ok((_, Err(e))) => first_error = first_error.or(Some(e)),
                Err(e) if e.is_cancelled() => {
                    if let Some((id, attempt)) = in_flight.get(&e.id()) {
                        store::release(db, *id, *attempt, true, now).await?;
                        tracing::warn!(
                            outbox_id = id,
                            attempt,
                            "shutting down: reminder cut off mid-send, queued again"
                        );
                    }
                }
                Err(e) => {
                    first_error = first_error.or(Some(AppError::Internal(anyhow::anyhow!(
                        "sender task: {e}"
                    ))))
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        if *stop.borrow() {
            return Ok(report);
        }
        if unreachable {
            // The server is down, not the messages: the rest would fail the
            // same way and spend an attempt each. They stay queued, untried,
            // for the next pass, which probes with one batch again.
            tracing::warn!(
                retrying = report.retrying,
                "SMTP server unreachable; the other queued reminders wait for the next pass"
            );
            return Ok(report);
        }
    }
}

/// Resolves once `stop` is true; never, if its sender is gone without that.
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

enum Delivered {
    Sent,
    /// `unreachable`: no SMTP answer at all (connection refused, timeout).
    Retrying {
        unreachable: bool,
    },
    Failed,
    Refused,
    /// Nothing in it was owed any more; not sent.
    Cancelled,
    /// Another attempt owns the message now (this one's lease ran out).
    Lost,
}

/// What to send for a claimed message after re-reading its items.
enum Fresh {
    /// Send this (the message as queued, or re-rendered without the items
    /// that dropped out).
    Send(Box<Claimed>),
    /// Nothing remains owed: the message was cancelled.
    Cancelled,
    /// This attempt lost its lease meanwhile; another attempt owns the message.
    Lost,
}

/// Re-reads a claimed message's items right before the attempt (every
/// attempt: a message retried for hours may outlive its items). Items no
/// longer owed ([`super::recheck`]) drop out and the digest is rendered
/// again from the rest, with the same Message-ID; when none remains the
/// message is cancelled with the reasons as its last error.
async fn refresh(db: &Db, mailer: &Mailer, msg: &Claimed, now: DateTime<Utc>) -> AppResult<Fresh> {
    let Some(kind) = super::RecipientKind::from_code(&msg.recipient_kind) else {
        return Ok(Fresh::Send(Box::new(msg.clone())));
    };
    if msg.items.is_empty() {
        // Nothing to check against (unreadable items): sent as queued.
        return Ok(Fresh::Send(Box::new(msg.clone())));
    }
    let ids: Vec<i64> = msg.items.iter().map(|i| i.id).collect();
    let current = store::current_items(db, &ids).await?;
    let later = store::carried_later(db, msg.id, &msg.items).await?;
    let check = super::recheck(kind, &msg.recipient, &msg.items, &current, &later);
    if check.dropped.is_empty() {
        return Ok(Fresh::Send(Box::new(msg.clone())));
    }
    let why = check.reasons();
    if check.keep.is_empty() {
        let error = format!("取消: 送る対応策が残っていません（{why}）");
        let outcome = Outcome::Cancelled {
            error: &error,
            dropped: &check.dropped,
        };
        if !store::finish(db, msg, outcome, now).await? {
            return Ok(Fresh::Lost);
        }
        tracing::info!(
            outbox_id = msg.id,
            attempt = msg.attempt,
            dropped = check.dropped.len(),
            "reminder cancelled: none of its items is owed any more"
        );
        return Ok(Fresh::Cancelled);
    }
    let digest = super::Digest {
        kind,
        recipient: msg.recipient.clone(),
        member_id: msg.member_id,
        ward_id: msg.ward_id.unwrap_or_default(),
        items: check.keep,
    };
    let rendered = super::mail::render_digest(&digest, mailer.base_url())?;
    let why = format!("対象外になった対応策を除いて作り直しました（{why}）");
    if !store::revise(db, msg, &check.dropped, &rendered, &why, now).await? {
        return Ok(Fresh::Lost);
    }
    tracing::info!(
        outbox_id = msg.id,
        attempt = msg.attempt,
        dropped = check.dropped.len(),
        kept = digest.items.len(),
        "reminder re-rendered without the items no longer owed"
    );
    Ok(Fresh::Send(Box::new(Claimed {
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        ..msg.clone()
    })))
}

async fn deliver(
    db: &Db,
    mailer: &Mailer,
    msg: &Claimed,
    now: DateTime<Utc>,
) -> AppResult<Delivered> {
    let msg = match refresh(db, mailer, msg, now).await? {
        Fresh::Send(msg) => *msg,
        Fresh::Cancelled => return Ok(Delivered::Cancelled),
        Fresh::Lost => {
            tracing::warn!(
                outbox_id = msg.id,
                attempt = msg.attempt,
                "lease ran out before the attempt began; another attempt owns the message now"
            );
            return Ok(Delivered::Lost);
        }
    };
    let msg = &msg;
    match mailer
        .send(
            &msg.recipient,
            &msg.message_id,
            &msg.subject,
            &msg.text,
            &msg.html,
        )
        .await
    {
        Ok(()) => {
            record(db, msg, Outcome::Sent, now).await?;
            tracing::info!(outbox_id = msg.id, attempt = msg.attempt, "reminder sent");
            Ok(Delivered::Sent)
        }
        Err(e) if e.permanent || msg.attempt >= msg.max_attempts => {
            // The server's text may quote the address: it goes to the
            // outbox (shown to the secretariat), not to the log.
            let (outcome, delivered) = if e.permanent {
                (Outcome::Refused { error: &e.message }, Delivered::Refused)
            } else {
                (Outcome::Failed { error: &e.message }, Delivered::Failed)
            };
            record(db, msg, outcome, now).await?;
            tracing::warn!(
                outbox_id = msg.id,
                attempt = msg.attempt,
                permanent = e.permanent,
                code = e.code.as_deref().unwrap_or("-"),
                "reminder failed; not retried"
            );
            Ok(delivered)
        }
        Err(e) => {
            let at = now + backoff(msg.attempt);
            record(
                db,
                msg,
                Outcome::Retry {
                    error: &e.message,
                    at,
                },
                now,
            )
            .await?;
            tracing::warn!(
                outbox_id = msg.id,
                attempt = msg.attempt,
                code = e.code.as_deref().unwrap_or("-"),
                retry_at = %at,
                "reminder not delivered; will retry"
            );
            Ok(Delivered::Retrying {
                unreachable: e.code.is_none(),
            })
        }
    }
}

/// Records an attempt's outcome. When this attempt's lease ran out and
/// another sender has claimed the message since, the outbox keeps the newer
/// attempt's record: the message may then go out twice, with the same
/// Message-ID (SMTP delivery is at least once at that boundary).
async fn record(db: &Db, msg: &Claimed, outcome: Outcome<'_>, now: DateTime<Utc>) -> AppResult<()> {
    if !store::finish(db, msg, outcome, now).await? {
        tracing::warn!(
            outbox_id = msg.id,
            attempt = msg.attempt,
            "lease ran out before the attempt ended; another attempt owns the message now"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 60);
        assert_eq!(backoff(2).num_seconds(), 120);
        assert_eq!(backoff(4).num_seconds(), 480);
        assert_eq!(backoff(30).num_seconds(), 3600);
    }
}
