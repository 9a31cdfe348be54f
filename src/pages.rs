//! The Japanese web UI: shared page plumbing and the route table.

use poem::{Endpoint, Route};

use crate::app::AppState;

pub fn routes(_state: AppState) -> impl Endpoint + 'static {
    Route::new()
}
