//! `veracity index add|stats`: ingest evidence corpora into a passage index.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use veracity::corpus::ingest::{self, FieldMap, IngestOptions, Sink};
use veracity::corpus::{CorpusError, DocKind, Document, Index, Writer, WriterOptions};

use super::GlobalArgs;

/// Parse a document kind name.
pub fn parse_kind(s: &str) -> Result<DocKind, String> {
    DocKind::parse(s).ok_or_else(|| {
        format!("unknown kind '{s}'; expected reference, news, other or cross-reference")
    })
}

#[derive(Debug, Subcommand)]
pub enum IndexCmd {
    /// Add documents (JSONL, CSV, folders of .txt/.md/.html, Wikipedia .xml/.xml.bz2) to an index; re-added ids are replaced.
    Add(AddArgs),
    /// Show documents, passages, origins, sources, kinds and size on disk.
    Stats(StatsArgs),
}

/// Field names of JSONL / CSV records (`index add`, `archive score`).
#[derive(Debug, Args, Clone)]
pub struct FieldArgs {
    /// JSONL/CSV field holding the text (a list of strings is joined).
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,
    /// JSONL/CSV field holding the title.
    #[arg(long, default_value = "title", value_name = "NAME")]
    pub title_field: String,
    /// JSONL/CSV field holding the id (default when absent: the url, else a hash of title and text).
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,
    /// JSONL/CSV field holding the URL.
    #[arg(long, default_value = "url", value_name = "NAME")]
    pub url_field: String,
}

impl FieldArgs {
    /// The field map with these names (the others at their defaults).
    pub fn map(&self) -> FieldMap {
        FieldMap {
            id: self.id_field.clone(),
            title: self.title_field.clone(),
            text: self.text_field.clone(),
            url: self.url_field.clone(),
            ..FieldMap::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Index folder (created when absent).
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// Kind of the documents (a record's own `kind` field wins).
    #[arg(long, value_parser = parse_kind, default_value = "other")]
    pub kind: DocKind,
    /// Source name of the documents (a record's own `source` field wins; default: the file or folder name).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// JSONL/CSV field holding the publication date.
    #[arg(long, default_value = "published", value_name = "NAME")]
    pub published_field: String,
    /// Also embed every passage and store the vectors (f16) for dense retrieval.
    #[arg(long)]
    pub dense: bool,
    /// Documents per commit: a killed run loses at most this many, and re-running completes it.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub batch: usize,
    /// Input files or folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Index folder.
    #[arg(long, value_name = "DIR")]
    pub index: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &GlobalArgs, cmd: &IndexCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        IndexCmd::Add(a) => add(g, a),
        IndexCmd::Stats(a) => stats(a),
    }
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Summary {
    added: u64,
    replaced: u64,
    /// Already in the index as given (a rerun): left as they are.
    unchanged: u64,
    skipped: u64,
    warnings: u64,
    /// Inputs that could not be read at all.
    errors: u64,
    passages: u64,
}

struct IndexSink<'w, 'a> {
    writer: &'w mut Writer<'a>,
    summary: Summary,
    bar: ProgressBar,
    base: u64,
    started: Instant,
}

impl Sink for IndexSink<'_, '_> {
    fn document(&mut self, doc: Document) -> Result<(), CorpusError> {
        if self.writer.is_current(&doc)? {
            self.summary.unchanged += 1;
        } else {
            let out = self.writer.add(&doc)?;
            if out.replaced {
                self.summary.replaced += 1;
            } else {
                self.summary.added += 1;
            }
            self.summary.passages += out.passages as u64;
        }
        let docs = self.summary.added + self.summary.replaced + self.summary.unchanged;
        if docs.is_multiple_of(100) {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            self.bar
                .set_message(format!("{docs} docs, {:.0} docs/s", docs as f64 / secs));
        }
        Ok(())
    }

    fn skipped(&mut self, path: &Path, line: u64, reason: &str) {
        self.summary.skipped += 1;
        let msg = if line > 0 {
            format!("{}:{line}: {reason}", path.display())
        } else {
            format!("{}: {reason}", path.display())
        };
        self.bar.suspend(|| eprintln!("{msg}"));
    }

    fn warning(&mut self, path: &Path, line: u64, reason: &str) {
        self.summary.warnings += 1;
        let msg = if line > 0 {
            format!("warning: {}:{line}: {reason}", path.display())
        } else {
            format!("warning: {}: {reason}", path.display())
        };
        self.bar.suspend(|| eprintln!("{msg}"));
    }

    fn progress(&mut self, bytes_in_file: u64) {
        self.bar.set_position(self.base + bytes_in_file);
    }

    fn error(&mut self, path: &Path, reason: &str) {
        self.summary.errors += 1;
        let msg = format!("error: {}: {reason}", path.display());
        self.bar.suspend(|| eprintln!("{msg}"));
    }
}

fn add(g: &GlobalArgs, a: &AddArgs) -> anyhow::Result<ExitCode> {
    if a.paths.iter().all(|p| !p.exists()) {
        for p in &a.paths {
            eprintln!("error: {}: no such file or folder", p.display());
        }
        return Ok(ExitCode::from(2));
    }
    let mut index = Index::open_or_create_in(&a.index, g.language)
        .with_context(|| format!("opening index {}", a.index.display()))?;
    let encoder = if a.dense { Some(g.encoder()?) } else { None };
    let opts = IngestOptions {
        kind: a.kind,
        source: a.source.clone(),
        fields: FieldMap {
            published: a.published_field.clone(),
            ..a.fields.map()
        },
    };
    let total: u64 = a.paths.iter().map(|p| ingest::input_bytes(p)).sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let wopts = WriterOptions {
        batch_docs: a.batch.max(1),
        threads: g.threads.unwrap_or(1).clamp(1, 8),
        ..WriterOptions::default()
    };
    let started = Instant::now();
    let mut writer = index.writer(wopts, encoder.as_deref())?;
    let mut sink = IndexSink {
        writer: &mut writer,
        summary: Summary::default(),
        bar: bar.clone(),
        base: 0,
        started,
    };
    // A failure of the index ends the run, but what was read is committed first.
    let mut failed = None;
    for p in &a.paths {
        if !p.exists() {
            sink.error(p, "no such file or folder");
            continue;
        }
        if let Err(e) = ingest::ingest_path(p, &opts, &mut sink) {
            failed = Some(anyhow::Error::new(e).context(format!("indexing {}", p.display())));
            break;
        }
        sink.base += ingest::input_bytes(p);
        sink.bar.set_position(sink.base);
    }
    let summary = std::mem::take(&mut sink.summary);
    let committed = writer.finish().context("committing the index");
    bar.finish_and_clear();
    if let Some(e) = failed {
        return Err(e);
    }
    committed?;
    let secs = started.elapsed().as_secs_f64();
    let docs = summary.added + summary.replaced + summary.unchanged;
    let mut out = std::io::stdout().lock();
    writeln!(out,
        "added {}, replaced {}, unchanged {}, skipped {} documents ({} warnings); {} passages; {:.1}s ({:.0} docs/s, {:.2} MB/s); index {}",
        summary.added,
        summary.replaced,
        summary.unchanged,
        summary.skipped,
        summary.warnings,
        summary.passages,
        secs,
        docs as f64 / secs.max(1e-9),
        total as f64 / 1e6 / secs.max(1e-9),
        a.index.display()
    )?;
    // As ripgrep: 0 something was ingested (or was there already, unchanged),
    // 1 nothing was, 2 an input could not be read (what could be read is in
    // the index).
    Ok(if summary.errors > 0 {
        eprintln!(
            "error: {} input(s) could not be read (see above)",
            summary.errors
        );
        ExitCode::from(2)
    } else if docs == 0 {
        eprintln!("nothing was added to {}", a.index.display());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

fn stats(a: &StatsArgs) -> anyhow::Result<ExitCode> {
    let index = Index::open(&a.index)?;
    let s = index.stats()?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &s)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "index      {}", a.index.display())?;
    writeln!(out, "documents  {}", s.documents)?;
    writeln!(out, "passages   {}", s.passages)?;
    writeln!(out, "origins    {}", s.origins)?;
    match &s.dense_model {
        Some(m) => writeln!(out, "vectors    {} ({m}, f16)", s.dense_vectors)?,
        None => writeln!(out, "vectors    none (add with --dense)")?,
    }
    writeln!(out, "size       {}", human(s.disk_bytes))?;
    writeln!(out, "sources:")?;
    for (k, v) in &s.sources {
        writeln!(out, "  {k:<24} {v}")?;
    }
    writeln!(out, "kinds:")?;
    for (k, v) in &s.kinds {
        writeln!(out, "  {k:<24} {v}")?;
    }
    Ok(ExitCode::SUCCESS)
}
