//! Benchmark baseline: a bare poem handler returning a constant, on the
//! same runtime settings as `renkei serve`, so BENCHMARKS.md can say what
//! the machine does with no database, no templates and no access gate.
//!
//! `cargo run --release --example bare [-- ADDR]` (default 127.0.0.1:8089)

use poem::listener::TcpListener;
use poem::{Route, Server, get, handler};

#[handler]
fn constant() -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8089".to_string());
    let app = Route::new().at("/", get(constant));
    Server::new(TcpListener::bind(addr)).run(app).await
}
