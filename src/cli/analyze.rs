//! `veracity analyze`: the full pipeline on one or more articles, rendered
//! as a report (text, JSON, Markdown or HTML).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use veracity::claims::CheckWorthiness;
use veracity::corpus::{DocKind, Document, Index, Retriever};
use veracity::embed::{CachedEncoder, Encoder, LeadingHalf, Readout};
use veracity::propaganda::PropagandaModel;
use veracity::report::{self, ArticleReport, ClaimReport, Report};
use veracity::text::{read_article, split_sentences, Article};
use veracity::verdict::check::Checker;

use super::check::{open_evidence, EvidenceArgs};
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

/// The article's sentences without the title line (plain-text titles are the
/// first line of the text itself).
fn body_sentences(a: &Article) -> Vec<veracity::text::Sentence> {
    let mut s = split_sentences(&a.text);
    if let (Some(t), Some(first)) = (&a.title, s.first()) {
        if first.text.trim().trim_start_matches('#').trim() == t.trim() {
            s.remove(0);
        }
    }
    s
}

pub fn run(g: &GlobalArgs, a: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = a.min_checkworthiness {
        if !(0.0..=1.0).contains(&t) {
            bail!("--min-checkworthiness must be in [0, 1], got {t}");
        }
    }
    let cfg = a.evidence.verdict_config(g)?;
    // Read every article first: a bad file is reported and skipped.
    let mut articles: Vec<(String, Article)> = Vec::new();
    let mut failed = 0usize;
    for p in &a.files {
        let name = p.display().to_string();
        match read_article(p) {
            Ok(art) if art.text.trim().is_empty() => {
                eprintln!("error: {name}: the article is empty; nothing to analyze");
                failed += 1;
            }
            Ok(art) => articles.push((name, art)),
            Err(e) => {
                eprintln!("error: {e}");
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

    let cw = CheckWorthiness::load_default().context("loading the check-worthiness model")?;
    let threshold = a.min_checkworthiness.unwrap_or_else(|| cw.threshold());
    let prop_model = PropagandaModel::load_default().context("loading the propaganda model")?;
    // The propaganda heads read out the model their own way (the shipped ones:
    // an earlier layer beside the sentence embedding). When the sentence
    // embedding is part of that readout, one cached forward pass serves both;
    // otherwise the claims get a plain encoder of their own.
    let prop_inner = g.encoder_with(prop_model.readout())?;
    let prop_enc = CachedEncoder::new(prop_inner.as_ref());
    let leading = LeadingHalf::new(&prop_enc);
    let plain_inner = match (&leading, prop_model.readout() == Readout::default()) {
        (None, false) => Some(g.encoder()?),
        _ => None,
    };
    let plain_cached = plain_inner.as_deref().map(CachedEncoder::new);
    let enc: &dyn Encoder = match (&leading, &plain_cached) {
        (Some(l), _) => l,
        (None, Some(c)) => c,
        (None, None) => &prop_enc,
    };

    let have_evidence = !a.evidence.indexes.is_empty() || !a.evidence.corpora.is_empty();
    if !have_evidence && articles.len() < 2 {
        eprintln!(
            "warning: no --index or --corpus given: every claim will have insufficient evidence"
        );
    }
    let searcher = if have_evidence {
        Some(open_evidence(&a.evidence, enc)?)
    } else {
        None
    };
    // Articles as evidence for each other; an article never cites itself.
    let cross = if articles.len() > 1 {
        let docs: Vec<Document> = articles
            .iter()
            .enumerate()
            .map(|(i, (name, art))| Document {
                id: format!("article-{}", i + 1),
                title: art.title.clone().unwrap_or_else(|| name.clone()),
                text: art.text.clone(),
                url: None,
                source: name.clone(),
                published: None,
                kind: DocKind::CrossReference,
            })
            .collect();
        Some(veracity::corpus::HybridSearcher::new(
            vec![Index::temporary(&docs, Some(enc))
                .context("indexing the articles for cross-reference")?],
            Some(enc),
        ))
    } else {
        None
    };
    let mut retrievers: Vec<&dyn Retriever> = Vec::new();
    if let Some(s) = &searcher {
        retrievers.push(s);
    }
    if let Some(c) = &cross {
        retrievers.push(c);
    }
    let stance_inner = a.evidence.stance_encoder(g)?;
    let stance_cached = stance_inner.as_deref().map(CachedEncoder::new);
    let stance_enc: &dyn Encoder = match &stance_cached {
        Some(c) => c,
        None => enc,
    };
    let checker = Checker::new(stance_enc, cfg)?;

    let mut reports = Vec::new();
    for (i, (name, art)) in articles.iter().enumerate() {
        let sentences = body_sentences(art);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let scores = if texts.is_empty() {
            Vec::new()
        } else {
            cw.score(enc, &texts)
                .with_context(|| format!("scoring check-worthiness in {name}"))?
        };
        let own = format!("article-{}", i + 1);
        let skip = |h: &veracity::corpus::Hit| h.kind == DocKind::CrossReference && h.doc_id == own;
        let picked: Vec<usize> = (0..sentences.len())
            .filter(|&j| scores[j] >= threshold)
            .collect();
        let pb = super::progress::bar(picked.len() as u64, "checking claims", "claims");
        let mut claims = Vec::new();
        for j in picked {
            let s = &sentences[j];
            let v = checker
                .check(s.text.trim(), &retrievers, &skip)
                .with_context(|| format!("checking a claim of {name}"))?;
            claims.push(ClaimReport {
                sentence_index: s.index,
                start: s.start,
                end: s.end,
                text: s.text.clone(),
                checkworthiness: (scores[j] * 1000.0).round() / 1000.0,
                verdict: v.verdict,
                confidence: v.confidence,
                explanation: v.explanation,
                evidence: v.evidence,
            });
            pb.inc(1);
        }
        pb.finish_and_clear();
        let prop = prop_model
            .analyze(&prop_enc, &art.text)
            .with_context(|| format!("scoring propaganda techniques in {name}"))?;
        // The report keeps its own copy of the block's schema (docs/report-schema.md).
        let block: report::Propaganda = serde_json::from_value(serde_json::to_value(&prop)?)
            .context("converting the propaganda block")?;
        reports.push(ArticleReport::new(
            name.clone(),
            art.title.clone(),
            sentences.len(),
            Some(block),
            claims,
        ));
    }
    let r = Report::new(reports);
    let to_terminal = a.output.is_none() && io::stdout().is_terminal();
    let rendered = match a.format {
        ReportFormat::Text => report::render_text(&r, to_terminal),
        ReportFormat::Json => r.to_json() + "\n",
        ReportFormat::Markdown => report::render_markdown(&r),
        ReportFormat::Html => report::render_html(&r),
    };
    match &a.output {
        Some(p) => {
            std::fs::write(p, rendered).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
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
