//! `veracity eval retrieval`: retrieval quality on SciFact-format data.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

use crate::corpus::ingest::{self, FieldMap, IngestOptions, Sink};
use crate::corpus::passages::PassageConfig;
use crate::corpus::search::{fuse, Candidate};
use crate::corpus::{
    CorpusError, DocKind, Document, Fusion, FusionLevel, HybridSearcher, Index, Retriever,
    SearchMode, SearchOptions, WriterOptions,
};
use crate::embed::{self, CachedEncoder, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::metrics::retrieval::{evaluate, Metrics};
use crate::Result;

#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct RetrievalArgs {
    /// Corpus JSONL: `{"doc_id", "title", "abstract": [sentences]}`.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub corpus: PathBuf,
    /// Claims JSONL: {"id", "claim", "evidence": {doc_id: ...}, "cited_doc_ids": [...]}.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub claims: PathBuf,
    /// Every N-th claim (by claim id: id % N == 0) is held out; the fusion is chosen on the others.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3, value_name = "N"))]
    pub holdout_every: u64,
    /// Embedding cache file (re-runs reuse the passage vectors).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
    /// Candidate passages per query from each of BM25 and the vector store.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 300, value_name = "N"))]
    pub candidates: usize,
    /// Dense scores for the whole corpus (every passage embedded once and
    /// stored; slow on a small CPU) or only for the top BM25 passages of each
    /// claim (re-ranking, as `veracity search` does without stored vectors).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = DenseScope::All))]
    pub dense_scope: DenseScope,
    /// With `--dense-scope rerank`: BM25 passages per claim that are embedded and re-ranked.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 30, value_name = "N"))]
    pub rerank: usize,
    /// Most sentences per passage of the temporary index (see `PassageConfig`).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = PassageConfig::default().max_sentences, value_name = "N"))]
    pub passage_sentences: usize,
    /// Sentences between passage starts (less than --passage-sentences gives overlap).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = PassageConfig::default().stride, value_name = "N"))]
    pub passage_stride: usize,
    /// Use at most this many claims of each split (the first by id), to bound embedding time.
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub max_claims: Option<usize>,
    /// Print the figures as JSON.
    #[cfg_attr(feature = "cli", arg(long))]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DenseScope {
    /// Embed and store every passage of the corpus (true dense retrieval).
    All,
    /// Embed only the top BM25 passages of each claim and re-rank them.
    Rerank,
}

struct Claim {
    id: u64,
    text: String,
    relevant: HashSet<String>,
}

fn read_claims(path: &PathBuf) -> Result<Vec<Claim>> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{}:{}: invalid JSON: {e}", path.display(), i + 1);
                continue;
            }
        };
        let (Some(id), Some(text)) = (v["id"].as_u64(), v["claim"].as_str()) else {
            eprintln!("{}:{}: no 'id' or 'claim'", path.display(), i + 1);
            continue;
        };
        let mut relevant: HashSet<String> = HashSet::new();
        if let Some(a) = v["cited_doc_ids"].as_array() {
            relevant.extend(
                a.iter()
                    .map(|d| d.to_string().trim_matches('"').to_string()),
            );
        }
        if let Some(o) = v["evidence"].as_object() {
            relevant.extend(o.keys().cloned());
        }
        if relevant.is_empty() {
            continue;
        }
        out.push(Claim {
            id,
            text: text.to_string(),
            relevant,
        });
    }
    Ok(out)
}

struct Collect {
    docs: Vec<Document>,
    skipped: u64,
}

impl Sink for Collect {
    fn document(&mut self, doc: Document) -> Result<(), CorpusError> {
        self.docs.push(doc);
        Ok(())
    }
    fn skipped(&mut self, path: &std::path::Path, line: u64, reason: &str) {
        self.skipped += 1;
        eprintln!("{}:{line}: {reason}", path.display());
    }
    fn warning(&mut self, path: &std::path::Path, line: u64, reason: &str) {
        eprintln!("warning: {}:{line}: {reason}", path.display());
    }
}

fn doc_ranking(hits: &[crate::corpus::Hit]) -> Vec<String> {
    hits.iter().map(|h| h.doc_id.clone()).collect()
}

/// Give `n` of the best BM25 candidates a cosine score (the best passage of
/// each of the top documents first, as `search` does); the rest keep none.
fn rerank_top(
    cands: &mut [Candidate],
    n: usize,
    query: &str,
    enc: &dyn crate::embed::Encoder,
) -> Result<()> {
    cands.sort_by(|a, b| b.bm25.unwrap_or(0.0).total_cmp(&a.bm25.unwrap_or(0.0)));
    let ids: Vec<&str> = cands.iter().map(|c| c.passage.doc_id.as_str()).collect();
    let chosen = crate::corpus::search::spread_over_documents(&ids, n);
    let mut texts = vec![query.to_string()];
    texts.extend(chosen.iter().map(|&j| {
        crate::corpus::dense::embed_text(&cands[j].passage.title, &cands[j].passage.text)
    }));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vecs = enc.embed(&refs)?;
    for (&j, v) in chosen.iter().zip(&vecs[1..]) {
        cands[j].cosine = Some(crate::embed::dot(v, &vecs[0]));
    }
    Ok(())
}

/// Document ranking: candidates with a cosine score are fused first (all of
/// them when vectors were stored; the re-ranked head otherwise), then the
/// remaining BM25 candidates in BM25 order.
fn rank(cands: &[Candidate], mode: SearchMode, fusion: Fusion, level: FusionLevel) -> Vec<String> {
    let fuse = |c: Vec<Candidate>, mode| {
        let c = match level {
            #[cfg(feature = "experiments")]
            FusionLevel::Document => crate::corpus::search::aggregate_documents(c),
            FusionLevel::Passage => c,
        };
        fuse(c, mode, fusion, 1, 100)
    };
    if mode == SearchMode::Bm25 || cands.iter().all(|c| c.cosine.is_some()) {
        return doc_ranking(&fuse(cands.to_vec(), mode));
    }
    let head: Vec<Candidate> = cands
        .iter()
        .filter(|c| c.cosine.is_some())
        .cloned()
        .collect();
    let tail: Vec<Candidate> = cands
        .iter()
        .filter(|c| c.cosine.is_none())
        .cloned()
        .collect();
    let mut out = doc_ranking(&fuse(head, mode));
    for d in doc_ranking(&fuse(tail, SearchMode::Bm25)) {
        if out.len() >= 100 {
            break;
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

fn metrics(runs: &[(Vec<String>, &HashSet<String>)]) -> Metrics {
    evaluate(runs.iter().map(|(r, rel)| (r.as_slice(), *rel)))
}

fn fusion_name((f, level): (Fusion, FusionLevel)) -> String {
    let f = match f {
        Fusion::Linear { weight } => format!("linear w={weight:.2}"),
        #[cfg(feature = "experiments")]
        Fusion::Rrf { k } => format!("rrf k={k:.0}"),
    };
    match level {
        FusionLevel::Passage => format!("{f}, per passage"),
        #[cfg(feature = "experiments")]
        FusionLevel::Document => format!("{f}, per document"),
    }
}

/// Run `veracity eval retrieval`.
pub fn run(models: &EncoderOptions, a: &RetrievalArgs) -> Result<()> {
    if a.holdout_every < 2 {
        bail!("--holdout-every must be at least 2");
    }
    let opts = IngestOptions {
        kind: DocKind::Reference,
        source: Some("corpus".into()),
        fields: FieldMap {
            id: "doc_id".into(),
            text: "abstract".into(),
            ..FieldMap::default()
        },
    };
    let mut col = Collect {
        docs: Vec::new(),
        skipped: 0,
    };
    ingest::jsonl::read(&a.corpus, &opts, &mut col)?;
    if col.docs.is_empty() {
        bail!("no documents read from {}", a.corpus.display());
    }
    let mut claims = read_claims(&a.claims)?;
    claims.sort_by_key(|c| c.id);
    if let Some(max) = a.max_claims {
        let (mut nt, mut nh) = (0, 0);
        claims.retain(|c| {
            let n = if c.id % a.holdout_every == 0 {
                &mut nh
            } else {
                &mut nt
            };
            *n += 1;
            *n <= max
        });
    }
    if claims.is_empty() {
        bail!(
            "no claims with relevant documents in {}",
            a.claims.display()
        );
    }

    let enc = embed::load_encoder(models)?;
    let cache_path = a.cache.clone().unwrap_or_else(|| {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("veracity")
            .join("retrieval-eval.vec")
    });
    let cached = CachedEncoder::with_file(enc.as_ref(), &cache_path)?;
    eprintln!(
        "{} documents, {} claims; embedding cache {} ({} vectors)",
        col.docs.len(),
        claims.len(),
        cache_path.display(),
        cached.len()
    );

    // Build the index (passages, BM25, stored vectors) in a temporary folder.
    let tmp = tempfile::tempdir()?;
    if a.passage_sentences < 1 || !(1..=a.passage_sentences).contains(&a.passage_stride) {
        bail!("--passage-stride must be between 1 and --passage-sentences");
    }
    let mut index = Index::create(
        tmp.path(),
        PassageConfig {
            max_sentences: a.passage_sentences,
            stride: a.passage_stride,
            ..PassageConfig::default()
        },
    )?;
    let started = Instant::now();
    {
        let bar = crate::progress::bar(col.docs.len() as u64, "indexing", "docs");
        let mut w = index.writer(
            WriterOptions {
                batch_docs: 500,
                ..WriterOptions::default()
            },
            (a.dense_scope == DenseScope::All).then_some(&cached as &dyn crate::embed::Encoder),
        )?;
        for d in &col.docs {
            w.add(d)?;
            bar.inc(1);
        }
        w.finish()?;
        bar.finish_and_clear();
    }
    cached.flush()?;
    eprintln!(
        "indexed in {:.1}s: {} passages of at most {} sentences, stride {}",
        started.elapsed().as_secs_f64(),
        index.num_passages()?,
        a.passage_sentences,
        a.passage_stride
    );

    let searcher = HybridSearcher::new(vec![index], Some(&cached)).with_options(SearchOptions {
        mode: match a.dense_scope {
            DenseScope::All => SearchMode::Hybrid,
            DenseScope::Rerank => SearchMode::Bm25,
        },
        candidates: a.candidates,
        ..SearchOptions::default()
    });
    let mut train: Vec<(Vec<Candidate>, &HashSet<String>)> = Vec::new();
    let mut held: Vec<(Vec<Candidate>, &HashSet<String>)> = Vec::new();
    let bar = crate::progress::bar(claims.len() as u64, "searching", "claims");
    for c in &claims {
        let mut cands = searcher.candidates(&c.text)?;
        if a.dense_scope == DenseScope::Rerank {
            rerank_top(&mut cands, a.rerank, &c.text, &cached)?;
        }
        if c.id % a.holdout_every == 0 {
            held.push((cands, &c.relevant));
        } else {
            train.push((cands, &c.relevant));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let eval_with = |set: &[(Vec<Candidate>, &HashSet<String>)],
                     mode,
                     (fusion, level): (Fusion, FusionLevel)| {
        let runs: Vec<(Vec<String>, &HashSet<String>)> = set
            .iter()
            .map(|(c, rel)| (rank(c, mode, fusion, level), *rel))
            .collect();
        metrics(&runs)
    };

    // Choose the fusion (formula and level) on the training claims.
    #[allow(unused_mut)] // extended below with the experiments feature
    let mut fusions: Vec<Fusion> = (0..=20)
        .map(|i| Fusion::Linear {
            weight: i as f32 / 20.0,
        })
        .collect();
    // Reciprocal rank fusion and per-document fusion were measured and not
    // shipped (docs/corpus.md); `--features experiments` puts them back in.
    #[cfg(feature = "experiments")]
    fusions.extend([10.0, 30.0, 60.0].map(|k| Fusion::Rrf { k }));
    let levels = [
        FusionLevel::Passage,
        #[cfg(feature = "experiments")]
        FusionLevel::Document,
    ];
    let options: Vec<(Fusion, FusionLevel)> = levels
        .into_iter()
        .flat_map(|l| fusions.iter().map(move |f| (*f, l)))
        .collect();
    let mut best = (options[0], -1.0);
    let mut sweep = Vec::new();
    for f in &options {
        let m = eval_with(&train, SearchMode::Hybrid, *f);
        sweep.push((fusion_name(*f), m.ndcg_10));
        if m.ndcg_10 > best.1 {
            best = (*f, m.ndcg_10);
        }
    }
    let fusion = best.0;

    let rows = [
        ("bm25", SearchMode::Bm25),
        ("dense", SearchMode::Dense),
        ("hybrid", SearchMode::Hybrid),
    ];
    let mut table = Vec::new();
    for (split, set) in [("train", &train), ("held-out", &held)] {
        for (name, mode) in rows {
            table.push((split, name, eval_with(set, mode, fusion)));
        }
    }

    // Query latency on held-out claims (k = 10), in the configuration
    // measured above: stored vectors (all) or BM25 top-N re-ranked (rerank).
    // Passage and query vectors come from the cache here; the query
    // embedding itself is timed separately with the bare encoder.
    let lat_searcher = searcher.with_options(SearchOptions {
        mode: SearchMode::Hybrid,
        fusion: fusion.0,
        level: fusion.1,
        candidates: match a.dense_scope {
            DenseScope::All => 100,
            DenseScope::Rerank => a.rerank,
        },
        per_doc: 1,
        rerank: a.rerank,
    });
    let mut lat: Vec<f64> = Vec::new();
    let mut emb: Vec<f64> = Vec::new();
    for c in claims
        .iter()
        .filter(|c| c.id % a.holdout_every == 0)
        .take(100)
    {
        let t = Instant::now();
        let _ = lat_searcher.search(&c.text, 10)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _ = enc.embed_one(&c.text)?;
        emb.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    emb.sort_by(|a, b| a.total_cmp(b));
    let pct_of = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    let pct = |p: f64| pct_of(&lat, p);
    let epct = |p: f64| pct_of(&emb, p);

    if a.json {
        let rows: Vec<_> = table
            .iter()
            .map(|(split, name, m)| serde_json::json!({"split": split, "method": name, "metrics": m}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "documents": col.docs.len(),
                "claims_train": train.len(),
                "claims_held_out": held.len(),
                "fusion": fusion_name(fusion),
                "results": rows,
                "sweep_train_ndcg10": sweep,
                "search_latency_ms": {"p50": pct(0.5), "p95": pct(0.95)},
                "query_embedding_ms": {"p50": epct(0.5), "p95": epct(0.95)},
            }))?
        );
        return Ok(());
    }
    println!(
        "corpus {} ({} documents), claims {} ({} train, {} held out: id % {} == 0)",
        a.corpus.display(),
        col.docs.len(),
        a.claims.display(),
        train.len(),
        held.len(),
        a.holdout_every
    );
    println!(
        "dense scores: {}",
        match a.dense_scope {
            DenseScope::All =>
                "every passage of the corpus embedded (stored f16 vectors)".to_string(),
            DenseScope::Rerank => format!(
                "{} top BM25 passages per claim embedded and re-ranked (the best passage of each top document first)",
                a.rerank
            ),
        }
    );
    println!(
        "fusion chosen on train: {} (train nDCG@10 {:.4})",
        fusion_name(fusion),
        best.1
    );
    println!(
        "{:<9} {:<7} {:>9} {:>10} {:>11} {:>8}",
        "split", "method", "recall@1", "recall@10", "recall@100", "nDCG@10"
    );
    for (split, name, m) in &table {
        println!(
            "{:<9} {:<7} {:>9.4} {:>10.4} {:>11.4} {:>8.4}",
            split, name, m.recall_1, m.recall_10, m.recall_100, m.ndcg_10
        );
    }
    println!(
        "hybrid search latency over {} held-out claims (k=10, cached vectors): p50 {:.1} ms, p95 {:.1} ms; query embedding: p50 {:.1} ms, p95 {:.1} ms",
        lat.len(),
        pct(0.5),
        pct(0.95),
        epct(0.5),
        epct(0.95)
    );
    Ok(())
}
