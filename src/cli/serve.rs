//! `veracity serve`: the analysis page and the HTTP API (`veracity::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use veracity::serve::{ServeOptions, Server};

use super::check::EvidenceArgs;
use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Address to listen on (loopback by default; put TLS and authentication in front before exposing it, see docs/serve.md).
    #[arg(long, env = "VERACITY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// An archive database (`veracity archive score`) whose trends page is served at /archive.
    #[arg(long, value_name = "ARCHIVE.sqlite")]
    pub db: Option<PathBuf>,
    /// Bearer token required on /v1/* (`Authorization: Bearer <key>`).
    #[arg(
        long,
        env = "VERACITY_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
    /// Largest request body accepted, bytes (413 above).
    #[arg(long, default_value_t = 10 << 20, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Requests that may wait for the analyzer; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub queue: usize,
    /// Requests analysed together, their sentences embedded in one encoder call (1 = one at a time).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_batch: usize,
    /// Seconds a request may wait and run before it is answered 504.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Check-worthiness score a sentence needs to be checked (default: the model's own threshold).
    #[arg(long, value_name = "SCORE")]
    pub min_checkworthiness: Option<f32>,
}

pub fn run(g: &GlobalArgs, a: &ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.timeout.is_finite() && a.timeout > 0.0,
        "--timeout must be a positive number of seconds"
    );
    anyhow::ensure!(a.queue > 0, "--queue must be at least 1");
    anyhow::ensure!(a.max_batch > 0, "--max-batch must be at least 1");
    if let Some(k) = &a.api_key {
        anyhow::ensure!(!k.trim().is_empty(), "--api-key is empty");
    }
    let mut builder = a.evidence.builder(g)?;
    if let Some(t) = a.min_checkworthiness {
        builder = builder.min_checkworthiness(t);
    }
    let analyzer = builder.build()?;
    let opts = ServeOptions {
        addr: a.addr,
        max_body_bytes: a.max_body_bytes,
        queue: a.queue,
        max_batch: a.max_batch,
        timeout: Duration::from_secs_f64(a.timeout),
        api_key: a.api_key.clone(),
        archive_db: a.db.clone(),
    };
    let server = Server::bind(analyzer, opts)?;
    let addr = server.addr()?;
    if !addr.ip().is_loopback() {
        eprintln!("warning: listening on {addr}, beyond this machine: put TLS and authentication in front (docs/serve.md)");
    }
    eprintln!("veracity: listening on http://{addr}/ (Ctrl-C or SIGTERM stops)");
    server.run()?;
    Ok(ExitCode::SUCCESS)
}
