//! What every handler can reach: the running parts `app::build` wires once.
//! It imports no face, so the faces and the gate can depend on it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::reminders::jobs::JobSet;

/// What every handler can reach; cheap to clone (handles and `Arc`s).
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Where "now" comes from.
    pub clock: Clock,
    /// The settings the process started with.
    pub config: Arc<Config>,
    /// The one SMTP pool: reminder digests and account links.
    pub mailer: Mailer,
    /// The job files as loaded at start (what the scheduler runs).
    pub jobs: Arc<JobSet>,
    /// Chart drawings already made, shared by every handler (bounded).
    pub charts: crate::charts::Cache,
    /// Countermeasure list pages already read, by ward data version (bounded).
    pub lists: crate::countermeasures::cache::ListCache,
}
