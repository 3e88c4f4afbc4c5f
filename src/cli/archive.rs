//! `veracity archive score|report|export|import`: score a news archive into
//! a SQLite database (resumable), report its trends, export its tables.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use veracity::archive::export::{export, ExportFormat};
use veracity::archive::report::{self as areport, GroupBy, Period, ReportOptions};
use veracity::archive::{self, Output, ScoreOptions, Store};
use veracity::corpus::ingest::{FieldMap, IngestOptions};
use veracity::corpus::DocKind;
use veracity::progress::ScoreBar;

use super::check::EvidenceArgs;
use super::index::FieldArgs;
use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum ArchiveCmd {
    /// Analyse every article of an archive (JSONL, also .gz/.bz2/.zst, CSV, folders; "-" = JSONL on stdin) into a database; a rerun scores only what is new or changed.
    Score(Box<ScoreArgs>),
    /// Trends of a database per outlet and period: propaganda over time, verdict mix, techniques, the most contradicted and disputed claims.
    Report(ReportArgs),
    /// Write one table of a database as JSON lines or CSV.
    Export(ExportArgs),
    /// Read the result lines of `archive score --db -` (e.g. from distributed workers) into a database.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Results database (SQLite; created when absent). "-" writes one JSON result line per article to standard output instead.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Index the archive's own articles (in <db>.xref/, reused on resume) and use them as cross-reference evidence for each other; an article never cites itself, wire copies count as one origin.
    #[arg(long)]
    pub cross_references: bool,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// JSONL/CSV field holding the outlet.
    #[arg(long, default_value = "source", value_name = "NAME")]
    pub source_field: String,
    /// JSONL/CSV field holding the publication date (RFC 3339, YYYY-MM-DD, RFC 2822 and the common news forms; unreadable dates are stored as null and counted).
    #[arg(long, default_value = "published", value_name = "NAME")]
    pub date_field: String,
    /// Outlet of articles whose record has none (default: the file or folder name).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Articles per batch: embedded together, analysed in parallel, committed in one transaction.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub batch: usize,
    /// Score every article again, even those the database holds with the same content and settings.
    #[arg(long)]
    pub rescore: bool,
    /// Check-worthiness score a sentence needs to be checked (default: the model's own threshold).
    #[arg(long, value_name = "SCORE")]
    pub min_checkworthiness: Option<f32>,
    /// Input files or folders ("-" = JSONL on standard input).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page with inline SVG charts.
    Html,
    /// The same tables in Markdown.
    Markdown,
    /// The aggregated figures as JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Results database written by `archive score`.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Group articles by outlet, or not at all.
    #[arg(long, value_enum, default_value_t = GroupBy::Source)]
    pub by: GroupBy,
    /// Period of the trends over time.
    #[arg(long, value_enum, default_value_t = Period::Month)]
    pub per: Period,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Claims listed as most contradicted and as most disputed.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top_claims: usize,
    /// Write the report here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Results database written by `archive score`.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Table to export.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(archive::TABLES))]
    pub table: String,
    /// Output format (Parquet needs -o or a redirected standard output).
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Results database (created when absent).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Records per transaction.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub batch: usize,
    /// Result files of `archive score --db -` (JSONL, also .gz/.bz2/.zst; "-" = standard input).
    #[arg(required = true, value_name = "RESULTS")]
    pub inputs: Vec<PathBuf>,
}

pub fn run(g: &GlobalArgs, cmd: &ArchiveCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ArchiveCmd::Score(a) => score(g, a),
        ArchiveCmd::Report(a) => report(a),
        ArchiveCmd::Export(a) => export_table(a),
        ArchiveCmd::Import(a) => import(a),
    }
}

fn score(g: &GlobalArgs, a: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let to_stdout = a.db.as_os_str() == "-";
    // The indexes go to the archive job (they are part of its settings).
    let evidence = EvidenceArgs {
        indexes: Vec::new(),
        ..a.evidence.clone()
    };
    let mut builder = evidence.builder(g)?;
    if let Some(t) = a.min_checkworthiness {
        builder = builder.min_checkworthiness(t);
    }
    let opts = ScoreOptions {
        inputs: a.inputs.clone(),
        ingest: IngestOptions {
            kind: DocKind::News,
            source: a.source.clone(),
            fields: FieldMap {
                source: a.source_field.clone(),
                published: a.date_field.clone(),
                ..a.fields.map()
            },
        },
        indexes: a.evidence.indexes.clone(),
        cross_references: a.cross_references,
        batch: a.batch,
        max_text_bytes: g.max_text_bytes,
        rescore: a.rescore,
        settings: a
            .evidence
            .corpora
            .iter()
            .map(|p| {
                let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                format!("corpus {}", p.display())
            })
            .collect(),
    };
    let output = if to_stdout {
        Output::Lines(Box::new(io::BufWriter::new(io::stdout())))
    } else {
        Output::Database(a.db.clone())
    };
    let bar = ScoreBar::new();
    let s = archive::score(builder, &opts, output, &bar)?;
    bar.finish();
    let mut line = s.to_string();
    if !to_stdout {
        line.push_str(&format!("; database {}", a.db.display()));
    }
    if to_stdout {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    // ripgrep's convention: 1 when there was nothing to do at all.
    Ok(if s.read == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Standard output, or a file created before any work is done.
fn output(path: &Option<PathBuf>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

fn report(a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open_reader(&a.db)?;
    let mut out = output(&a.output)?;
    let opts = ReportOptions {
        by: a.by,
        per: a.per,
        top_claims: a.top_claims,
        ..ReportOptions::default()
    };
    let r = areport::build(&store, &opts)?;
    let text = match a.format {
        ReportFormat::Html => r.to_html(),
        ReportFormat::Markdown => r.to_markdown(),
        ReportFormat::Json => r.to_json(),
    };
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn export_table(a: &ExportArgs) -> anyhow::Result<ExitCode> {
    if a.format == ExportFormat::Parquet && a.output.is_none() && io::stdout().is_terminal() {
        anyhow::bail!(
            "Parquet is binary: write it to a file with -o FILE, or redirect standard output"
        );
    }
    let store = Store::open_reader(&a.db)?;
    let mut out = output(&a.output)?;
    let table = a.table.as_str();
    let n = export(&store, table, a.format, &mut out)?;
    if a.output.is_some() {
        eprintln!("{n} rows of {table} written");
    }
    Ok(ExitCode::SUCCESS)
}

fn import(a: &ImportArgs) -> anyhow::Result<ExitCode> {
    let bar = ScoreBar::new();
    let (records, failures) = archive::import(&a.db, &a.inputs, a.batch, &bar)?;
    println!(
        "imported {records} articles and {failures} failures into {}",
        a.db.display()
    );
    Ok(if records + failures == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
