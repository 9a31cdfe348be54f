//! The one configuration struct: every setting comes from a flag or an
//! environment variable, with a default, and is documented by `--help`.

use std::net::SocketAddr;

use clap::Args;

/// Settings shared by every subcommand that touches the database or serves HTTP.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL. A plain path or `sqlite://FILE` uses the embedded SQLite
    /// (the file is created when missing).
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
}

impl Config {
    /// Defaults for a given database, as used by tests and tools.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: "http://127.0.0.1".into(),
            db_max_connections: 8,
        }
    }
}
