//! The one configuration struct: every setting comes from a flag or an
//! environment variable, with a default, and is documented by `--help`.

use std::net::SocketAddr;

use clap::Args;

/// Settings shared by every subcommand that touches the database or serves HTTP.
#[derive(Clone, Args)]
pub struct Config {
    /// Database URL. A plain path or `sqlite://FILE` uses the embedded SQLite
    /// (the file is created when missing); `postgres://USER:PASSWORD@HOST/DB`
    /// uses PostgreSQL (the database must exist; its tables are created).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://renkei.db",
        global = true
    )]
    pub database_url: String,

    /// Address the web server listens on.
    #[arg(
        long,
        env = "RENKEI_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub addr: SocketAddr,

    /// Base URL users reach the service at, used in links (mails, API docs).
    #[arg(
        long,
        env = "RENKEI_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub base_url: String,

    /// Maximum connections in the database pool.
    #[arg(
        long,
        env = "RENKEI_DB_MAX_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    pub db_max_connections: u32,

    /// Directory of the scheduled job files (`*.toml`, one per job), read and
    /// checked at startup.
    #[arg(long, env = "RENKEI_JOBS_DIR", default_value = "jobs", global = true)]
    pub jobs_dir: std::path::PathBuf,

    /// SMTP server for reminders, in lettre's URL form:
    /// `smtp://host:port` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (TLS).
    #[arg(
        long,
        env = "RENKEI_SMTP_URL",
        default_value = "smtp://127.0.0.1:2525",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: String,

    /// Sender of reminder mails (`renkei@city.example.jp` or `名前 <addr>`).
    #[arg(
        long,
        env = "RENKEI_MAIL_FROM",
        default_value = "renkei@localhost",
        global = true
    )]
    pub mail_from: String,

    /// Mark the session cookie `Secure` (sent over HTTPS only). Default:
    /// on when RENKEI_BASE_URL starts with `https://`.
    #[arg(long, env = "RENKEI_COOKIE_SECURE", global = true)]
    pub cookie_secure: Option<bool>,

    /// How long a sign-in lasts, in hours, before the user must sign in again.
    #[arg(long, env = "RENKEI_SESSION_HOURS", default_value_t = 8, global = true)]
    pub session_hours: i64,

    /// Seconds a reminder being sent stays leased to the instance sending
    /// it; if that instance dies, another sends the message after this. A
    /// send is cut off at the lease (and at 60 s in any case).
    #[arg(
        long,
        env = "RENKEI_SEND_LEASE_SECS",
        default_value_t = 300,
        global = true
    )]
    pub send_lease_secs: u64,

    /// Addresses of the reverse proxies or load balancers in front of the
    /// instances, comma-separated. Requests from them are attributed to the
    /// client named in their `X-Forwarded-For`, so that sign-in throttling
    /// and reset limits count per user, not per proxy. Empty: the header is
    /// ignored (anyone could forge it).
    #[arg(
        long,
        env = "RENKEI_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Config {
    /// Defaults for a given database, as used by tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: "http://127.0.0.1".into(),
            db_max_connections: 8,
            jobs_dir: "jobs".into(),
            smtp_url: "smtp://127.0.0.1:2525".into(),
            mail_from: "renkei@localhost".into(),
            cookie_secure: None,
            session_hours: 8,
            send_lease_secs: 300,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Config {
    /// Whether the session cookie is marked `Secure`.
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
            .unwrap_or_else(|| self.base_url.starts_with("https://"))
    }

    /// Session lifetime in seconds (at least one minute).
    pub fn session_ttl_secs(&self) -> i64 {
        self.session_hours.max(0).saturating_mul(3600).max(60)
    }
}

/// Debug output hides the passwords a database or SMTP URL may carry, so a
/// configuration can be logged safely.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .field("db_max_connections", &self.db_max_connections)
            .field("jobs_dir", &self.jobs_dir)
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("mail_from", &self.mail_from)
            .field("cookie_secure", &self.cookie_secure())
            .field("session_hours", &self.session_hours)
            .field("send_lease_secs", &self.send_lease_secs)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// Hides the credentials of a URL (`scheme://user:pass@host` → `scheme://***@host`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords() {
        let mut c = Config::for_database("postgres://app:db-secret@db/renkei");
        c.smtp_url = "smtp://mailer:smtp-secret@mail.example.jp:587?tls=required".into();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("db-secret") && !shown.contains("smtp-secret"),
            "{shown}"
        );
        assert!(shown.contains("mail.example.jp:587"));
    }
}
