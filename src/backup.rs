//! `renkei backup PATH`: a consistent copy of the database while the
//! service runs.
//!
//! On SQLite, `VACUUM INTO` writes the copy from one read transaction, so
//! it sees a single committed state even with writers at work (WAL mode),
//! and the copy is a plain, compacted database file that `DATABASE_URL` can
//! point at. PostgreSQL has its own tool for this, `pg_dump`, which renkei
//! names rather than imitates.

use std::path::{Path, PathBuf};

use crate::db::{Db, Dialect, OpenError, normalize_url};

/// Why no backup was written, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: choose a new file name (a backup never overwrites a file)")]
    Exists(PathBuf),
    #[error(
        "the database is PostgreSQL: back it up with pg_dump, e.g.\n  \
         pg_dump --format=custom --file={path} \"$DATABASE_URL\"\n\
         and restore with\n  pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" {path}"
    )]
    Postgres { path: String },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot write the backup to {path}: {source}")]
    Write { path: PathBuf, source: sqlx::Error },
}

/// Writes a copy of the SQLite database at `database_url` to `path`, which
/// must not exist yet. Refuses PostgreSQL, naming the command to use.
pub async fn write(database_url: &str, path: &Path) -> Result<PathBuf, BackupError> {
    let (_, dialect) = normalize_url(database_url)?;
    if dialect == Dialect::Postgres {
        return Err(BackupError::Postgres {
            path: path.display().to_string(),
        });
    }
    let target = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // SQLite refuses a non-empty existing file too, but with a terse message
    // and an empty file it would overwrite.
    if target.exists() {
        return Err(BackupError::Exists(target));
    }
    let db = Db::connect(database_url, 1).await?;
    let written = sqlx::query("VACUUM INTO $1")
        .bind(target.to_string_lossy().into_owned())
        .execute(&db.pool)
        .await
        .map_err(|source| BackupError::Write {
            path: target.clone(),
            source,
        });
    db.pool.close().await;
    written?;
    Ok(target)
}
