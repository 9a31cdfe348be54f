//! Benchmark baseline: a bare poem handler returning a constant, on the
//! same runtime settings as `renkei serve`, so BENCHMARKS.md can say what
//! the machine does with no database, no templates and no access gate.
//!
//! `cargo run --release --example bare [-- ADDR [BODY_FILE]]` (default
//! 127.0.0.1:8089). `GET /` answers "ok"; with BODY_FILE, `GET /page`
//! answers that file's bytes as JSON: a list page of the same size as the
//! real one, so the baseline can also say what sending the bytes costs.

use poem::listener::TcpListener;
use poem::web::Data;
use poem::{EndpointExt, Response, Route, Server, get, handler};

#[handler]
fn constant() -> &'static str {
    "ok"
}

#[handler]
fn page(Data(body): Data<&&'static [u8]>) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(*body)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8089".to_string());
    let body = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => b"{}".to_vec(),
    };
    let app = Route::new()
        .at("/", get(constant))
        .at("/page", get(page))
        // Leaked once: a constant for the process's life, sent without copying.
        .data::<&'static [u8]>(Box::leak(body.into_boxed_slice()));
    Server::new(TcpListener::bind(addr)).run(app).await
}
