//! `veracity analyze`: the full pipeline on one or more articles, rendered
//! as a report (text, JSON, Markdown or HTML).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use veracity::report::{self, Report};
use veracity::text::Article;

use super::check::EvidenceArgs;
use super::GlobalArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Plain text; coloured when written to a terminal.
    Text,
    /// JSON, schema in docs/report-schema.md (`schema_version`).
    Json,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page (inline CSS, no external assets).
    Html,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Article files (.txt, .md, .html, .json; "-" = standard input). Several
    /// articles also serve as evidence for each other (kind cross-reference).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Check-worthiness score a sentence needs to be checked (default: the model's own threshold).
    #[arg(long, value_name = "SCORE")]
    pub min_checkworthiness: Option<f32>,
}

/// A progress bar per article over its claims.
struct Bars(std::sync::Mutex<Option<ProgressBar>>);

impl veracity::Progress for Bars {
    fn claims_found(&self, _article: &str, claims: usize) {
        let pb = veracity::progress::bar(claims as u64, "checking claims", "claims");
        *self.0.lock().expect("progress lock") = Some(pb);
    }
    fn claim_checked(&self) {
        if let Some(pb) = &*self.0.lock().expect("progress lock") {
            pb.inc(1);
        }
    }
    fn article_done(&self) {
        if let Some(pb) = self.0.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    }
}

pub fn run(g: &GlobalArgs, a: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    // Read every article first: a bad file is reported and skipped.
    let mut articles: Vec<Article> = Vec::new();
    let mut failed = 0usize;
    for p in &a.files {
        match super::read_article_with_text(g, p) {
            Ok(mut art) => {
                // The report names the article as it was given ("-" for stdin).
                art.path = Some(p.clone());
                articles.push(art)
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    if articles.is_empty() {
        bail!(
            "no article could be read ({failed} of {} failed)",
            a.files.len()
        );
    }
    // The output is created before the analysis, so that an unwritable path
    // fails at once, not after minutes of work.
    let mut file = match &a.output {
        Some(p) => Some(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => None,
    };
    let mut builder = a.evidence.builder(g)?;
    if let Some(t) = a.min_checkworthiness {
        builder = builder.min_checkworthiness(t);
    }
    let analyzer = builder.build()?;
    if !analyzer.has_evidence() && articles.len() < 2 {
        eprintln!(
            "warning: no --index or --corpus given: every claim will have insufficient evidence"
        );
    }
    let reports = analyzer.analyze_batch_with(&articles, &Bars(Default::default()))?;
    let r = Report::new(reports);
    let to_terminal = a.output.is_none() && io::stdout().is_terminal();
    let rendered = match a.format {
        ReportFormat::Text => report::render_text(&r, to_terminal),
        ReportFormat::Json => r.to_json() + "\n",
        ReportFormat::Markdown => report::render_markdown(&r),
        ReportFormat::Html => report::render_html(&r),
    };
    match (&mut file, &a.output) {
        (Some(f), Some(p)) => f
            .write_all(rendered.as_bytes())
            .and_then(|()| f.flush())
            .with_context(|| format!("cannot write {}", p.display()))?,
        _ => {
            let mut out = io::stdout().lock();
            out.write_all(rendered.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
