//! `veracity check`: verdicts on claims given on the command line or in a
//! file, against one or more indexes, as JSON lines.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use veracity::corpus::ingest::{self, IngestOptions};
use veracity::corpus::DocKind;
use veracity::{Analyzer, AnalyzerBuilder};

use super::GlobalArgs;

/// Where evidence comes from: shared by `check` and `analyze`.
#[derive(Debug, Args, Clone)]
pub struct EvidenceArgs {
    /// Index folder to search (built with `veracity index add`); repeat for several.
    #[arg(long = "index", value_name = "DIR")]
    pub indexes: Vec<PathBuf>,
    /// Evidence documents indexed on the fly into a temporary index (JSONL with id, title,
    /// text, url, source, published, kind; also CSV or a folder, as `index add` reads them);
    /// repeat for several. No `veracity index add` needed.
    #[arg(long = "corpus", value_name = "FILE")]
    pub corpora: Vec<PathBuf>,
    /// Threshold overrides (TOML; keys and defaults as in config/verdict.toml, with the
    /// model's own calibration applied first for a model that has one, e.g.
    /// config/verdict.all-mpnet-base-v2.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Embedding model for the stance step only (the claim against each evidence sentence),
    /// e.g. all-mpnet-base-v2, whose learned stance head is its default (Climate-FEVER
    /// macro-F1 0.527 held out, against 0.452 for the default model's rules; the demo takes
    /// about 9× as long). Retrieval, check-worthiness and propaganda keep --model; the
    /// thresholds are this model's calibration, with --config applied last.
    #[arg(long, env = "VERACITY_STANCE_MODEL", value_name = "MODEL")]
    pub stance_model: Option<String>,
}

impl EvidenceArgs {
    /// An analyzer builder with these evidence sources, the stance model and
    /// the threshold overrides. The `--corpus` files are read here; their
    /// skipped records are reported on standard error.
    pub fn builder(&self, g: &GlobalArgs) -> anyhow::Result<AnalyzerBuilder> {
        let mut b = Analyzer::builder()
            .model(g.encoder_options())
            .language(g.language);
        if let Some(m) = &self.stance_model {
            b = b.stance_model(g.encoder_options().for_model(m));
        }
        if let Some(p) = &self.config {
            b = b.verdict_overrides(p);
        }
        for d in &self.indexes {
            b = b.index(d);
        }
        if !self.corpora.is_empty() {
            if let Some(p) = self.corpora.iter().find(|p| !p.exists()) {
                bail!("--corpus {}: no such file or folder", p.display());
            }
            let opts = IngestOptions {
                kind: DocKind::Other,
                ..IngestOptions::default()
            };
            let read = ingest::collect(&self.corpora, &opts).context("reading --corpus")?;
            for w in &read.warnings {
                eprintln!("{}:{}: warning: {}", w.path.display(), w.line, w.reason);
            }
            for s in &read.skipped {
                eprintln!("{}:{}: skipped: {}", s.path.display(), s.line, s.reason);
            }
            if read.docs.is_empty() {
                bail!(
                    "no document could be read from {} ({} records skipped)",
                    self.corpora
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    read.skipped.len()
                );
            }
            if !read.skipped.is_empty() {
                eprintln!(
                    "corpus: {} documents read, {} records skipped",
                    read.docs.len(),
                    read.skipped.len()
                );
            }
            b = b.documents(read.docs);
        }
        Ok(b)
    }

    /// Whether any `--index` or `--corpus` was given.
    pub fn any(&self) -> bool {
        !self.indexes.is_empty() || !self.corpora.is_empty()
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The claim to check (or use --claims).
    #[arg(required_unless_present = "claims", conflicts_with = "claims")]
    pub claim: Option<String>,
    /// File of claims: one per line, or JSONL with a "claim" field ("-" = standard input).
    #[arg(long, value_name = "FILE")]
    pub claims: Option<PathBuf>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Write the JSON lines here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The claims of `path` ("-": standard input); skipped lines go to stderr.
fn read_claims(path: &Path) -> anyhow::Result<(Vec<String>, usize)> {
    let text = if path.as_os_str() == "-" {
        io::read_to_string(io::stdin()).context("reading claims from standard input")?
    } else {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        veracity::text::decode_text(&bytes, path)?
    };
    let (claims, skipped) = veracity::verdict::parse_claims(&text, path);
    for s in &skipped {
        eprintln!("{}:{}: skipped: {}", s.path.display(), s.line, s.reason);
    }
    Ok((claims, skipped.len()))
}

pub fn run(g: &GlobalArgs, a: &CheckArgs) -> anyhow::Result<ExitCode> {
    if !a.evidence.any() {
        bail!("no evidence to check against: pass --index DIR (built with `veracity index add`) or --corpus FILE.jsonl");
    }
    let (claims, skipped) = match (&a.claim, &a.claims) {
        (Some(c), _) if c.trim().is_empty() => bail!("the claim is empty"),
        (Some(c), _) => (vec![c.clone()], 0),
        (None, Some(p)) => read_claims(p)?,
        (None, None) => bail!("give a claim or --claims FILE"),
    };
    if claims.is_empty() {
        bail!("no claim to check ({skipped} lines skipped)");
    }
    let analyzer = a.evidence.builder(g)?.propaganda(false).build()?;
    let out: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let pb = veracity::progress::bar(claims.len() as u64, "checking", "claims");
    for c in &claims {
        let v = analyzer
            .check(c)
            .with_context(|| format!("checking {c:?}"))?;
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    out.flush()?;
    if skipped > 0 {
        eprintln!(
            "checked {} claims; {skipped} malformed lines skipped",
            claims.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
