//! The connection pool, per-connection settings and migrations.
//!
//! Storage code runs on sqlx's `Any` driver with `$n` placeholders, so one
//! code path serves SQLite (the embedded default) and PostgreSQL (chosen by
//! a `postgres://` URL). What differs between the dialects lives here, one
//! helper per concept: the URL ([`normalize_url`]), the per-connection
//! settings ([`Dialect::session_settings`]), the migration folder
//! ([`Db::migrate`]), how a write transaction starts ([`Db::begin_write`],
//! [`Db::begin_row_locked`]) and how a queue row is claimed ([`Dialect::skip_locked`]);
//! the schema itself is written twice, in `migrations/sqlite` and
//! `migrations/postgres`. One difference is not SQL: PostgreSQL text cannot hold
//! U+0000, so input carrying it is refused for both: client text by its type
//! (`text::SingleLine`, `text::MultiLine`), query strings by `http::refuse_nul`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};

use crate::config::redact_url;
use crate::error::AppError;

/// The SQL dialect behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Settings every new connection gets before it is used.
    fn session_settings(self) -> Option<&'static str> {
        match self {
            // WAL lets readers run beside the writer; the busy timeout makes
            // a second writer wait instead of failing with "database is locked".
            // SQLite enforces foreign keys only when asked, per connection.
            // No memory map (`mmap_size`): it read 15 % faster but stalled
            // readers for up to 170 ms while writes committed (BENCHMARKS.md).
            Dialect::Sqlite => Some(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
            ),
            // The schema stores instants as UTC text and reads no server
            // clock, and the server's defaults (UTF-8, read committed) suit.
            Dialect::Postgres => Some("SET plan_cache_mode = force_generic_plan"),
        }
    }

    /// The locking clause that makes `SELECT … LIMIT 1` take the first row no
    /// other transaction holds, skipping (not waiting for) locked ones, so
    /// concurrent claimers, in this process or another instance, each get a
    /// different row at once. SQLite needs none: its write transaction holds
    /// the whole database (`BEGIN IMMEDIATE`).
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// How many values one multi-row statement should bind. Each statement
    /// is a round trip to PostgreSQL, so large ones pay there. sqlx binds
    /// each SQLite parameter by looking up its name (`$n`), and SQLite finds
    /// a name by walking the statement's list of them: the cost of a
    /// statement grows with the square of its parameters, so small ones pay
    /// there (8,000 binds a statement queued 100,000 reminders in 20 s, 72 %
    /// of it in `sqlite3_bind_parameter_name`).
    pub fn binds_per_statement(self) -> usize {
        match self {
            Dialect::Sqlite => 256,
            Dialect::Postgres => 8_000,
        }
    }
}

/// The database: a pool plus the dialect it speaks.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// Facts read from this database that never change once the row exists.
    pub fixed: Arc<Fixed>,
}

/// Facts that never change once their row exists, remembered per database
/// so that the access check of every request need not ask again: a ward's
/// municipality (wards are neither moved nor deleted, and only committed
/// rows are remembered). Only hits are kept, so the map holds at most one
/// entry per ward.
#[derive(Debug, Default)]
pub struct Fixed {
    ward_municipality: RwLock<HashMap<i64, i64>>,
}

impl Fixed {
    pub fn ward_municipality(&self, ward_id: i64) -> Option<i64> {
        // A poisoned lock only loses the shortcut: the caller asks the database.
        self.ward_municipality
            .read()
            .ok()
            .and_then(|m| m.get(&ward_id).copied())
    }

    pub fn remember_ward_municipality(&self, ward_id: i64, municipality_id: i64) {
        if let Ok(mut m) = self.ward_municipality.write() {
            m.insert(ward_id, municipality_id);
        }
    }
}

pub type Tx = Transaction<'static, Any>;

/// Why the database could not be opened, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL {0:?} is not supported: use a file path, sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Turns what an operator writes into a URL sqlx accepts; SQLite files are
/// created when missing.
pub fn normalize_url(raw: &str) -> Result<(String, Dialect), OpenError> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        return Ok((raw.to_string(), Dialect::Postgres));
    }
    let url = if let Some(rest) = raw.strip_prefix("sqlite:") {
        format!("sqlite:{rest}")
    } else if raw.contains("://") {
        return Err(OpenError::UnsupportedUrl(raw.to_string()));
    } else {
        format!("sqlite://{raw}")
    };
    let url = if url.contains("mode=") {
        url
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    Ok((url, Dialect::Sqlite))
}

/// How long a pooled connection may sit idle before it is pinged when taken.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

impl Db {
    /// Opens the pool and applies the per-connection settings.
    pub async fn connect(raw_url: &str, max_connections: u32) -> Result<Self, OpenError> {
        install_default_drivers();
        let (url, dialect) = normalize_url(raw_url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings every connection it hands out by default: a second
            // round trip per query (a hand-off to SQLite's worker thread, a
            // network round trip to PostgreSQL). Under load a connection is
            // taken again within milliseconds of its last query (after which
            // sqlx pinged it on release); one idle for a second may have been
            // cut by a database restart or a firewall, and is checked.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < IDLE_BEFORE_PING {
                        return Ok(true);
                    }
                    Ok(conn.ping().await.is_ok())
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if let Some(settings) = dialect.session_settings() {
                        conn.execute(settings).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|source| OpenError::Connect {
                url: redact_url(raw_url),
                source,
            })?;
        Ok(Self {
            pool,
            dialect,
            fixed: Arc::default(),
        })
    }

    /// Brings the schema up to date from the dialect's own migration folder.
    /// Both folders hold the same migrations under the same numbers.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction that will write, holding the database's one
    /// write lock until it ends, so write transactions run one at a time on
    /// both dialects and the stores' read-check-write steps (load a row,
    /// apply the rules, write it back) cannot interleave.
    ///
    /// SQLite must take its lock up front: a deferred transaction upgraded
    /// later fails with SQLITE_BUSY at once instead of waiting out the busy
    /// timeout. PostgreSQL's default isolation (read committed) would let two
    /// such transactions read the same row and both write it (twenty racing
    /// ladder steps, several succeeding), so a write transaction first takes
    /// a transaction-scoped advisory lock: it is per database, shared by every
    /// instance on it, released at commit or rollback (also behind a
    /// transaction-pooling proxy), and each statement after it sees what
    /// earlier writers committed.
    pub async fn begin_write(&self) -> Result<Tx, AppError> {
        let (begin, lock) = match self.dialect {
            Dialect::Sqlite => ("BEGIN IMMEDIATE", None),
            Dialect::Postgres => (
                "BEGIN",
                // The key is "renkei" in ASCII; the function returns void,
                // which the Any driver cannot decode, hence `SELECT 1 FROM`.
                Some("SELECT 1 FROM pg_advisory_xact_lock(125779969795433)"),
            ),
        };
        let mut tx = self.pool.begin_with(begin).await?;
        if let Some(lock) = lock {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// Starts a write transaction that does not take the global write lock
    /// on PostgreSQL: for writes whose correctness rests on row locks and
    /// unique keys instead (claiming outbox rows with [`Dialect::skip_locked`],
    /// `INSERT … ON CONFLICT DO NOTHING` on the outbox's idempotency key,
    /// finishing a message the caller holds the lease on), so that several
    /// instances' senders work side by side instead of one at a time. On
    /// SQLite it is [`Db::begin_write`]: the database has one writer anyway.
    pub async fn begin_row_locked(&self) -> Result<Tx, AppError> {
        match self.dialect {
            Dialect::Sqlite => self.begin_write().await,
            Dialect::Postgres => Ok(self.pool.begin_with("BEGIN").await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists_number_placeholders_row_by_row() {
        assert_eq!(values_list(1, 1), "($1)");
        assert_eq!(values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }

    #[test]
    fn placeholders_number_an_in_list_from_its_first_bind() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(placeholders(2, 0), "");
    }

    #[test]
    fn plain_paths_become_sqlite_urls_that_create_the_file() {
        let (url, dialect) = normalize_url("renkei.db").unwrap();
        assert_eq!(url, "sqlite://renkei.db?mode=rwc");
        assert_eq!(dialect, Dialect::Sqlite);
        assert_eq!(
            normalize_url("sqlite:///tmp/x.db").unwrap().0,
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            normalize_url("sqlite://x.db?mode=ro").unwrap().0,
            "sqlite://x.db?mode=ro"
        );
    }

    /// A migration added for one dialect only would leave the other behind:
    /// both folders must hold the same file names (the SQL differs).
    #[test]
    fn each_migration_exists_for_both_dialects() {
        let names = |dialect: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dialect);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            names("sqlite"),
            names("postgres"),
            "write each migration in migrations/sqlite and migrations/postgres"
        );
    }

    #[test]
    fn unknown_schemes_are_refused_and_passwords_hidden() {
        assert!(normalize_url("mysql://x").is_err());
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://***@h/db"
        );
    }
}

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// Builds a `WHERE … AND …` clause with numbered placeholders (`$1`, `$2`, …),
/// which both dialects accept. sqlx's `QueryBuilder` under `Any` emits `?`,
/// which PostgreSQL rejects, so dynamic filters go through here.
#[derive(Debug, Default)]
pub struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    /// Adds a condition; each `?` in `clause` becomes the next numbered placeholder
    /// and takes the next of `values`.
    pub fn and(
        &mut self,
        clause: &'static str,
        values: impl IntoIterator<Item = Bind>,
    ) -> &mut Self {
        let mut sql = String::new();
        let mut values = values.into_iter();
        for ch in clause.chars() {
            if ch == '?' {
                if let Some(v) = values.next() {
                    self.binds.push(v);
                }
                sql.push_str(&format!("${}", self.binds.len()));
            } else {
                sql.push(ch);
            }
        }
        self.clauses.push(sql);
        self
    }

    /// `WHERE …` (or nothing).
    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The placeholder number the next bind would get.
    pub fn next_placeholder(&self) -> usize {
        self.binds.len() + 1
    }

    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }
}

/// The VALUES list of a multi-row INSERT: `($1, $2, …), ($n+1, …), …` for
/// `rows` rows of `columns` placeholders each, numbered from 1.
/// `$first, $first+1, …`: the placeholders of `n` binds, for an `IN (…)`
/// list whose binds start at `$first`.
pub fn placeholders(first: usize, n: usize) -> String {
    let mut sql = String::with_capacity(n * 5);
    for i in first..first + n {
        if i > first {
            sql.push_str(", ");
        }
        let _ = write!(sql, "${i}");
    }
    sql
}

pub fn values_list(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", r * columns + c + 1);
        }
        sql.push(')');
    }
    sql
}

/// Applies binds in order to a query built from a [`Filter`].
pub fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

/// The total beside a page whose rows carry it in a `total` column (the
/// count as an uncorrelated subquery, one round trip): the first row's; 0
/// for an empty first page; for an empty later page (past the end) the
/// count alone, `SELECT COUNT(*) {from}` with the filter's clause.
pub async fn page_total(
    db: &Db,
    rows: &[sqlx::any::AnyRow],
    offset: i64,
    from: &str,
    filter: &Filter,
) -> Result<i64, sqlx::Error> {
    use sqlx::Row;
    match rows.first() {
        Some(r) => r.try_get("total"),
        None if offset == 0 => Ok(0),
        None => {
            let sql = format!("SELECT COUNT(*) AS n {from}{}", filter.where_sql());
            bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
                .fetch_one(&db.pool)
                .await?
                .try_get("n")
        }
    }
}

/// The same, for `query_as`.
pub fn bind_all_as<'q, O>(
    mut query: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments> {
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

/// Dates are stored as ISO text; this reads one back.
pub fn parse_date(column: &str, value: &str) -> Result<chrono::NaiveDate, sqlx::Error> {
    value
        .parse()
        .map_err(|e: chrono::ParseError| sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        })
}

/// Instants are stored as RFC 3339 UTC text.
pub fn timestamp(now: chrono::DateTime<chrono::Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
