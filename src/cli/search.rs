//! `veracity search`: hybrid passage search over one or more indexes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use veracity::corpus::search::DEFAULT_FUSION;
use veracity::corpus::{Fusion, HybridSearcher, Index, Retriever, SearchMode, SearchOptions};

use super::GlobalArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// BM25 only (no model needed).
    Bm25,
    /// Cosine similarity with the query embedding only.
    Dense,
    /// BM25 and cosine fused.
    Hybrid,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Index folder; repeat to search several.
    #[arg(long, required = true, value_name = "DIR")]
    pub index: Vec<PathBuf>,
    /// Number of hits.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Print hits as a JSON array.
    #[arg(long)]
    pub json: bool,
    /// Ranking: bm25, dense or hybrid.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    /// Candidates per index from BM25 (and from stored vectors) before re-ranking.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub candidates: usize,
    /// Weight of the cosine score in the hybrid fusion (0..1; default chosen on SciFact train claims).
    #[arg(long, value_name = "W")]
    pub weight: Option<f32>,
    /// BM25 candidates embedded on the fly when the index has no stored vectors (at least k).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub rerank: usize,
    /// Passages shown per document.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub per_doc: usize,
    /// The query (several words are joined with spaces).
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
}

pub fn run(g: &GlobalArgs, a: &SearchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.k > 0,
        "-k must be at least 1 (the number of hits to show)"
    );
    let indexes = a
        .index
        .iter()
        .map(|d| Index::open(d))
        .collect::<Result<Vec<_>, _>>()?;
    let mode = match a.mode {
        ModeArg::Bm25 => SearchMode::Bm25,
        ModeArg::Dense => SearchMode::Dense,
        ModeArg::Hybrid => SearchMode::Hybrid,
    };
    let encoder = if mode == SearchMode::Bm25 {
        None
    } else {
        Some(g.encoder()?)
    };
    let fusion = match a.weight {
        Some(w) => {
            anyhow::ensure!((0.0..=1.0).contains(&w), "--weight must be between 0 and 1");
            Fusion::Linear { weight: w }
        }
        None => DEFAULT_FUSION,
    };
    let searcher = HybridSearcher::new(indexes, encoder.as_deref()).with_options(SearchOptions {
        mode,
        fusion,
        candidates: a.candidates.max(a.k),
        per_doc: a.per_doc.max(1),
        rerank: a.rerank,
        ..SearchOptions::default()
    });
    let query = a.query.join(" ");
    let hits = searcher.search(&query, a.k)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &hits)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        writeln!(out, "no hits")?;
    }
    for (i, h) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {:.3}  {}  [{} · {} · origin {}]  (bm25 {:.2}, cosine {:.3})",
            i + 1,
            h.score,
            h.title,
            h.source,
            h.kind.as_str(),
            h.origin,
            h.bm25,
            h.cosine
        )?;
        if let Some(u) = &h.url {
            writeln!(out, "    {u}")?;
        }
        writeln!(out, "    {}", h.text.replace('\n', " "))?;
    }
    Ok(ExitCode::SUCCESS)
}
