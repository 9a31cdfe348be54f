//! Sending mail: the SMTP transport (lettre) and the building of a
//! message, shared by the reminders (digests from the outbox) and the
//! accounts (invitation and password-reset links). One [`Mailer`] is built
//! at start (`app::build`) from `RENKEI_SMTP_URL` and `RENKEI_MAIL_FROM`
//! and held by the app state, so its connection pool is reused.
//!
//! Logs never carry a recipient's address or a message body: a server's
//! reply text may quote the address, so only its code is kept for logs
//! ([`SendError::code`]).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How many SMTP connections the pool keeps, and so how many messages the
/// reminder sender has in flight at once. An SMTP exchange spends most of
/// its time waiting on the network (lettre writes the body and its final
/// dot separately, so Nagle's algorithm and delayed ACKs add ~40 ms per
/// message), so sending several in parallel multiplies throughput without
/// loading either side.
pub const CONNECTIONS: usize = 16;

/// How long one SMTP send may take in all. lettre's own timeout covers each
/// command but not the whole exchange, so each send is wrapped in this too.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a claimed message stays leased to this sender unless set
/// otherwise (`RENKEI_SEND_LEASE_SECS`): if the process dies mid-send, the
/// message is due again after this, for this or another instance.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);
/// Why the mail settings cannot be used, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error(
        "RENKEI_SMTP_URL is not a valid SMTP URL ({0}); use e.g. smtp://127.0.0.1:2525, smtp://user:pass@host:587?tls=required or smtps://host"
    )]
    Url(String),
    #[error(
        "RENKEI_MAIL_FROM {0:?} is not a valid address (e.g. renkei@city.example.jp or 'renkei <renkei@city.example.jp>')"
    )]
    From(String),
}

/// Why one send did not go through.
#[derive(Debug)]
pub struct SendError {
    /// The server refused for good (5xx) or the message itself is unusable:
    /// retrying cannot help.
    pub permanent: bool,
    pub message: String,
    /// The SMTP reply code, if the server answered: safe to log, unlike
    /// the reply text, which may quote the recipient's address.
    pub code: Option<String>,
}

/// An SMTP connection pool, the sender address and the lease a claimed
/// message is held for.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    lease: Duration,
    /// Where the links in a digest point (`RENKEI_BASE_URL`): a digest
    /// whose items changed while it waited is rendered again before sending.
    base_url: String,
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailConfigError::From(from.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            // Servers drop idle connections; a short idle timeout keeps the
            // pool from handing out a dead one (lettre issue 743).
            .pool_config(
                PoolConfig::new()
                    .idle_timeout(Duration::from_secs(10))
                    .max_size(CONNECTIONS as u32),
            )
            .build();
        Ok(Self {
            transport,
            from,
            lease: DEFAULT_LEASE,
            base_url: String::new(),
        })
    }

    /// Holds claimed messages this long (at least a second). A send is cut
    /// off when the lease runs out, so a message is not still being sent by
    /// one instance when another may claim it again.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Links in re-rendered digests point here (as in those rendered at queue time).
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.to_string();
        self
    }

    /// Where links in re-rendered digests point (`RENKEI_BASE_URL`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The lease as a span to add to an instant.
    pub fn lease_delta(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.lease).unwrap_or(chrono::TimeDelta::minutes(5))
    }

    /// Sends one message (plain text and HTML alternatives) with the given Message-ID.
    pub async fn send(
        &self,
        to: &str,
        message_id: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), SendError> {
        // The one address rule: old carrier forms go out quoted.
        let email = self.build(to, message_id, subject, text, html)?;
        let limit = SEND_TIMEOUT.min(self.lease);
        match tokio::time::timeout(limit, self.transport.send(email)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
                code: e.status().map(|c| c.to_string()),
            }),
            Err(_) => Err(SendError {
                permanent: false,
                message: "SMTP server did not answer in time".into(),
                code: None,
            }),
        }
    }

    /// The message as it goes out: from the configured sender, plain text
    /// and HTML alternatives. Errors (permanent): an address the one
    /// address rule (`crate::email`) refuses, or a message lettre cannot
    /// build.
    fn build(
        &self,
        to: &str,
        message_id: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<Message, SendError> {
        // The one address rule: old carrier forms go out quoted.
        let to: Mailbox = crate::email::mailbox(to)
            .map(|a| Mailbox::new(None, a))
            .ok_or_else(|| SendError {
                permanent: true,
                message: "宛先のメールアドレスが正しくありません".into(),
                code: None,
            })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_string()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.to_string()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.to_string()),
                    ),
            )
            .map_err(|e| SendError {
                permanent: true,
                message: format!("メールを組み立てられません: {e}"),
                code: None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_explained() {
        assert!(matches!(
            Mailer::new("http://x", "a@example.jp"),
            Err(MailConfigError::Url(_))
        ));
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(MailConfigError::From(_))
        ));
    }
}
