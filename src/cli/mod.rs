//! Command-line parsing and dispatch. Each subcommand lives in its own file
//! and turns library errors into `anyhow` errors with context.

mod analyze;
mod archive;
mod bench;
mod check;
mod claims;
mod embed;
mod eval;
mod index;
mod models;
mod propaganda;
mod search;
#[cfg(feature = "serve")]
mod serve;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use veracity::embed::{self as emb, DeviceChoice, EncoderOptions, ResolveOptions};

/// Offline fact-checking of news articles: check-worthy claims, evidence from
/// local corpora, verdicts, and propaganda technique scores.
#[derive(Debug, Parser)]
#[command(name = "veracity", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every subcommand.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Sentence-embedding model (full or short name; see `veracity models list`).
    #[arg(long, global = true, env = "VERACITY_MODEL", default_value = emb::DEFAULT_MODEL)]
    pub model: String,
    /// Folder holding the model files (config.json, tokenizer.json, model.safetensors); skips all other lookup.
    #[arg(long, global = true, env = "VERACITY_MODEL_DIR", value_name = "DIR")]
    pub model_dir: Option<PathBuf>,
    /// veracity's data folder (model store under models/); default: the user's data dir.
    #[arg(long, global = true, env = "VERACITY_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Never use the network: no Hugging Face download, no pip fetch.
    #[arg(long, global = true, env = "VERACITY_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// Skip model checksum verification (for a --model-dir holding a fine-tuned variant).
    #[arg(long, global = true)]
    pub no_verify: bool,
    /// Device to run the model on: auto picks a GPU when built in and present.
    #[arg(long, global = true, env = "VERACITY_DEVICE", value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Engine for the model's forward pass: auto = native on the CPU, candle on a GPU.
    #[arg(long, global = true, env = "VERACITY_BACKEND", value_enum, default_value_t = emb::Backend::Auto)]
    pub backend: emb::Backend,
    /// CPU threads for model inference and parallel work (default: all cores).
    #[arg(long, global = true, env = "VERACITY_THREADS", value_name = "N")]
    pub threads: Option<usize>,
    /// Language of the articles, claims and documents (sentence splitting, cue words,
    /// the stemmer of new indexes); `en` is the one with word lists today.
    #[arg(
        long,
        global = true,
        env = "VERACITY_LANGUAGE",
        default_value = "en",
        value_name = "CODE"
    )]
    pub language: veracity::lang::Language,
    /// Longest article text read, in bytes (10 MiB); longer texts are cut there with a warning.
    #[arg(long, global = true, env = "VERACITY_MAX_TEXT_BYTES", default_value_t = veracity::text::MAX_ARTICLE_BYTES, value_name = "BYTES")]
    pub max_text_bytes: usize,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// Model resolution options from the flags.
    pub fn resolve_options(&self) -> ResolveOptions {
        let mut o = ResolveOptions::new(&self.model);
        o.model_dir = self.model_dir.clone();
        if let Some(h) = &self.home {
            o.home = h.clone();
        }
        o.offline = self.offline;
        o.no_verify = self.no_verify;
        o
    }

    /// Resolve and load the sentence encoder.
    pub fn encoder(&self) -> anyhow::Result<Box<dyn emb::Encoder>> {
        self.encoder_with(emb::Readout::default())
    }

    /// Resolve and load the sentence encoder with another readout.
    pub fn encoder_with(&self, readout: emb::Readout) -> anyhow::Result<Box<dyn emb::Encoder>> {
        Ok(emb::load_encoder_with(&self.encoder_options(), readout)?)
    }

    /// How to load `--model` (resolution, device, backend).
    pub fn encoder_options(&self) -> EncoderOptions {
        EncoderOptions {
            resolve: self.resolve_options(),
            device: self.device,
            backend: self.backend,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Embed texts, one per line, as JSON lines or a .npy matrix.
    Embed(embed::EmbedArgs),
    /// List, fetch and verify sentence-embedding models.
    #[command(subcommand)]
    Models(models::ModelsCmd),
    /// Build and inspect evidence indexes (ingest JSONL, CSV, folders, Wikipedia dumps).
    #[command(subcommand)]
    Index(index::IndexCmd),
    /// Search evidence indexes: BM25 candidates re-ranked by embedding similarity.
    Search(search::SearchArgs),
    /// Analyze articles: claims, evidence and verdicts (and propaganda), as a report.
    Analyze(analyze::AnalyzeArgs),
    /// Score a news archive into a database (resumable), report its trends per outlet, export its tables.
    #[command(subcommand)]
    Archive(archive::ArchiveCmd),
    /// Check claims against indexed evidence: one JSON verdict per claim.
    Check(check::CheckArgs),
    /// Score every sentence of an article for check-worthiness (is it a checkable factual claim?).
    Claims(claims::ClaimsArgs),
    /// Train a learned head on labelled data.
    #[command(subcommand)]
    Train(train::TrainCmd),
    /// Score an article for propaganda techniques (SemEval-2020 Task 11).
    Propaganda(propaganda::PropagandaArgs),
    /// Measure speed: encoder throughput and latency on a sentence file.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Measure a component on labelled data and print its metrics.
    #[command(subcommand)]
    Eval(eval::EvalCmd),
    /// Serve the analysis page and an HTTP API (analyze, check, search, metrics, OpenAPI).
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Read an article; one without text is an error, the same in every
/// command that reads articles (`analyze`, `claims`, `propaganda`).
pub fn read_article_with_text(
    g: &GlobalArgs,
    p: &std::path::Path,
) -> anyhow::Result<veracity::text::Article> {
    let article = veracity::text::read_article_limited(p, g.max_text_bytes)?;
    if article.text.trim().is_empty() {
        anyhow::bail!("{}: the article is empty; nothing to analyze", p.display());
    }
    Ok(article)
}

/// `--threads` is capped at this many per core: more only costs memory and
/// start-up time (20,000 threads hang the machine).
const THREADS_PER_CORE: usize = 4;

/// The thread count to use for `--threads n`: at most
/// [`THREADS_PER_CORE`] × the cores available, with a warning when capped.
fn thread_count(n: usize, cores: usize) -> usize {
    let cap = THREADS_PER_CORE * cores.max(1);
    if n > cap {
        eprintln!(
            "warning: --threads {n} is more than {THREADS_PER_CORE} per core; using {cap} ({cores} cores)"
        );
        cap
    } else {
        n
    }
}

fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads.filter(|&n| n > 0) {
        // candle's CPU kernels read RAYON_NUM_THREADS; set it before any pool starts.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

/// Parse the command line, run it, and map errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let mut cli = cli;
    if let Some(n) = cli.global.threads.filter(|&n| n > 0) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        cli.global.threads = Some(thread_count(n, cores));
    }
    set_threads(cli.global.threads);
    let result = match &cli.command {
        Command::Embed(a) => embed::run(&cli.global, a),
        Command::Models(c) => models::run(&cli.global, c),
        Command::Index(c) => index::run(&cli.global, c),
        Command::Search(a) => search::run(&cli.global, a),
        Command::Analyze(a) => analyze::run(&cli.global, a),
        Command::Check(a) => check::run(&cli.global, a),
        Command::Archive(c) => archive::run(&cli.global, c),
        Command::Claims(a) => claims::run_claims(&cli.global, a),
        Command::Propaganda(a) => propaganda::run(&cli.global, a),
        Command::Train(c) => train::run(&cli.global, c),
        Command::Eval(c) => eval::run(&cli.global, c),
        Command::Bench(c) => bench::run(&cli.global, c),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&cli.global, a),
    };
    match result {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): stop quietly.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an I/O error of kind `BrokenPipe` is anywhere in `e`'s chain
/// (also inside a JSON writer's error, or the library's).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.kind() == BrokenPipe;
        }
        if let Some(j) = c.downcast_ref::<serde_json::Error>() {
            return j.io_error_kind() == Some(BrokenPipe);
        }
        match c.downcast_ref::<veracity::Error>() {
            Some(veracity::Error::Io(io)) => io.kind() == BrokenPipe,
            Some(veracity::Error::Json(j)) => j.io_error_kind() == Some(BrokenPipe),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_found_anywhere_in_the_chain() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::new(pipe())));
        assert!(is_broken_pipe(
            &anyhow::Error::new(pipe()).context("writing the report")
        ));
        assert!(is_broken_pipe(&anyhow::Error::new(veracity::Error::Io(
            pipe()
        ))));
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let json = serde_json::to_writer(Closed, &[1, 2]).unwrap_err();
        assert!(is_broken_pipe(&anyhow::Error::new(json).context("hits")));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
    }

    #[test]
    fn threads_are_capped_at_four_per_core() {
        assert_eq!(thread_count(20_000, 2), 8);
        assert_eq!(thread_count(8, 2), 8);
        assert_eq!(thread_count(3, 16), 3);
        assert_eq!(thread_count(5, 0), 4);
    }
}
