//! What every handler can reach: the running parts `app::build` wires once.
//! It imports no face, so the faces and the gate can depend on it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// Chart drawings already made, shared by every handler (bounded).
    pub charts: crate::charts::Cache,
}
