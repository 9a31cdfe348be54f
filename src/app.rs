//! Wires the database, the clock and the routes into a running server:
//! the only place that does.

use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::oneshot;

use crate::state::AppState;

/// A server that is accepting connections.
pub struct Running {
    /// The bound address (the real port when 0 was asked for).
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Runs until the shutdown signal future completes, then stops gracefully.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        signal.await;
        self.stop().await
    }
}

/// Binds the listener first (so port 0 works and the caller learns the
/// port), then serves in a background task.
pub async fn start(state: AppState) -> std::io::Result<Running> {
    let acceptor = TcpListener::bind(state.config.addr).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))?;
    let routes = crate::http::routes(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                routes,
                async move {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(30)),
            )
            .await
    });
    Ok(Running {
        addr,
        stop: Some(stop),
        task,
    })
}
