//! `veracity serve`: the analysis page and an HTTP API over one shared
//! [`Analyzer`] (axum on tokio; feature `serve`, on by default).
//!
//! ```text
//! request ─▶ axum router ─▶ handler ─▶ Queue (bounded; full → 503 + Retry-After)
//!                                         │
//!                      worker thread: take every waiting request (≤ max_batch),
//!                      Analyzer::prepare (one encoder call for all their sentences),
//!                      analyse them in parallel (rayon) ─▶ reply per request
//! ```
//!
//! Routes: `POST /v1/analyze`, `POST /v1/check`, `GET /v1/search`,
//! `GET /healthz`, `GET /metrics`, `GET /openapi.json`, `GET|POST /` (the
//! page), `GET /archive` (with a database). Every client mistake is a 4xx
//! with a JSON body `{"error": ...}`; see [`api`] and `docs/serve.md`.

pub mod api;
mod metrics;
mod page;
mod queue;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::Analyzer;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (loopback by default).
    pub addr: SocketAddr,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Requests that may wait for the analyzer (503 above).
    pub queue: usize,
    /// Requests the analyzer takes together in one batch.
    pub max_batch: usize,
    /// Longest a request may wait and run (504 after).
    pub timeout: Duration,
    /// The bearer token `/v1/*` requires (none: open).
    pub api_key: Option<String>,
    /// An archive database (`veracity archive score`) shown at `/archive`.
    pub archive_db: Option<PathBuf>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 10 << 20,
            queue: 64,
            max_batch: 16,
            timeout: Duration::from_secs(120),
            api_key: None,
            archive_db: None,
        }
    }
}

/// A bound server: [`Server::addr`] is known (port 0 picks a free one)
/// before [`Server::run`] starts answering.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: axum::Router,
    worker: std::thread::JoinHandle<()>,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Bind `opts.addr` and start the analyzer's worker thread.
    pub fn bind(analyzer: Analyzer, opts: ServeOptions) -> Result<Server> {
        if let Some(db) = &opts.archive_db {
            // Fail at start, not on the first visit of /archive.
            crate::archive::Store::open_reader(db)?;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("veracity-http")
            .build()?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(opts.addr))
            .map_err(|e| Error::Context {
                context: format!("cannot listen on {}", opts.addr),
                source: Box::new(Error::Io(e)),
            })?;
        let (app, worker) = api::app(Arc::new(analyzer), opts)?;
        Ok(Server {
            listener,
            app,
            worker,
            runtime,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Answer requests until `shutdown` completes, then finish the requests
    /// in flight and return.
    pub fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let Server {
            listener,
            app,
            worker,
            runtime,
        } = self;
        let served = runtime.block_on(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        });
        // The router (and with it every queue handle) is gone: the worker
        // finishes what is queued and ends.
        runtime.shutdown_timeout(Duration::from_secs(5));
        let _ = worker.join();
        Ok(served?)
    }

    /// Answer requests until SIGTERM or Ctrl-C, then finish the requests in
    /// flight and return.
    pub fn run(self) -> Result<()> {
        self.run_until(shutdown_signal())
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
