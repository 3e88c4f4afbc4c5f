//! Hybrid search over one or more indexes: BM25 candidates, plus nearest
//! stored passage vectors when the index has them, re-ranked by cosine
//! similarity with the query embedding and fused.
//!
//! Candidates without a stored vector are embedded on the fly through a
//! [`CachedEncoder`], so repeated searches over the same passages are cheap.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::dense;
use super::index::{Index, StoredPassage};
use super::{CorpusError, Hit, Retriever};
use crate::embed::{dot, CachedEncoder, Encoder, EncoderHandle};

/// Which scores rank the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// BM25 alone (no encoder needed).
    Bm25,
    /// Cosine similarity alone: nearest stored vectors, or BM25 candidates
    /// re-ranked when no vectors are stored.
    Dense,
    /// Both, fused.
    Hybrid,
}

/// How BM25 and cosine scores are combined in [`SearchMode::Hybrid`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Min-max normalise each score over the candidates, then
    /// `weight · cosine + (1 − weight) · bm25`.
    Linear { weight: f32 },
    /// Reciprocal rank fusion: `Σ 1 / (k + rank)` over the two rankings
    /// (measured, not shipped: cargo feature `experiments`).
    #[cfg(feature = "experiments")]
    Rrf { k: f32 },
}

/// Default fusion: linear, with the cosine weight that `veracity eval
/// retrieval --dense-scope all` chose on the 550 SciFact training claims with
/// the default passages (two-sentence windows; see docs/corpus.md).
pub const DEFAULT_FUSION: Fusion = Fusion::Linear { weight: 0.75 };

/// Search settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    pub mode: SearchMode,
    pub fusion: Fusion,
    /// Candidates taken from each of BM25 and the vector store, per index.
    pub candidates: usize,
    /// Most passages returned per document (1: one hit per document).
    pub per_doc: usize,
    /// BM25 candidates without a stored vector that are embedded on the fly
    /// (the best by BM25; the others are dropped from a dense or hybrid
    /// ranking). At least `k` are embedded.
    pub rerank: usize,
    /// Where BM25 and cosine meet: per passage, or per document (each
    /// document scored by its best BM25 passage and its best cosine passage,
    /// which may differ, then fused; `aggregate_documents`, an experiment).
    pub level: FusionLevel,
}

/// Whether scores are fused per passage or per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionLevel {
    Passage,
    /// Measured, not shipped (cargo feature `experiments`).
    #[cfg(feature = "experiments")]
    Document,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            mode: SearchMode::Hybrid,
            fusion: DEFAULT_FUSION,
            candidates: 100,
            per_doc: 1,
            rerank: 30,
            level: FusionLevel::Passage,
        }
    }
}

/// A candidate passage with its raw scores, before fusion.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub passage: StoredPassage,
    /// BM25 score, `None` when the passage came from the vector store only.
    pub bm25: Option<f32>,
    /// Cosine similarity with the query (`None` without an encoder).
    pub cosine: Option<f32>,
}

/// The embedded retriever over one or more indexes.
pub struct HybridSearcher<'a> {
    indexes: Vec<Index>,
    inner: Option<EncoderHandle<'a>>,
    encoder: Option<CachedEncoder<'a>>,
    opts: SearchOptions,
}

/// Passage and query vectors a long-lived searcher ([`HybridSearcher::shared`])
/// keeps in memory at most.
pub const SHARED_CACHE_VECTORS: usize = 50_000;

impl<'a> HybridSearcher<'a> {
    /// A searcher over `indexes`; without an encoder it ranks by BM25 only.
    /// Query and passage embeddings are cached for the searcher's lifetime.
    pub fn new(indexes: Vec<Index>, encoder: Option<&'a dyn Encoder>) -> Self {
        let inner = encoder.map(EncoderHandle::from);
        HybridSearcher {
            indexes,
            encoder: inner.clone().map(CachedEncoder::new),
            inner,
            opts: SearchOptions::default(),
        }
    }

    /// Open the indexes in `dirs`.
    pub fn open(dirs: &[&Path], encoder: Option<&'a dyn Encoder>) -> Result<Self, CorpusError> {
        let indexes = dirs
            .iter()
            .map(|d| Index::open(d))
            .collect::<Result<_, _>>()?;
        Ok(Self::new(indexes, encoder))
    }

    /// Keep on-the-fly passage embeddings in a cache file across runs.
    pub fn with_cache_file(mut self, path: &Path) -> Result<Self, CorpusError> {
        if let Some(inner) = &self.inner {
            self.encoder = Some(CachedEncoder::with_file(inner.clone(), path)?);
        }
        Ok(self)
    }

    /// Replace the search settings.
    pub fn with_options(mut self, opts: SearchOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The current search settings.
    pub fn options(&self) -> &SearchOptions {
        &self.opts
    }

    /// The indexes searched.
    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    /// Give the indexes back (e.g. to search them with another encoder).
    pub fn into_indexes(self) -> Vec<Index> {
        self.indexes
    }

    fn mode(&self) -> SearchMode {
        if self.encoder.is_none() {
            SearchMode::Bm25
        } else {
            self.opts.mode
        }
    }

    /// Candidate passages with raw BM25 and cosine scores (no fusion), from
    /// BM25 and, for dense or hybrid search, the nearest stored vectors.
    pub fn candidates(&self, query: &str) -> Result<Vec<Candidate>, CorpusError> {
        self.candidates_k(query, 0)
    }

    fn candidates_k(&self, query: &str, k: usize) -> Result<Vec<Candidate>, CorpusError> {
        let mode = self.mode();
        let n = self.opts.candidates.max(1);
        let qvec = match (&self.encoder, mode) {
            (Some(enc), SearchMode::Dense | SearchMode::Hybrid) => Some(enc.embed_one(query)?),
            _ => None,
        };
        let mut out: Vec<Candidate> = Vec::new();
        let mut seen: HashMap<(usize, u64), usize> = HashMap::new();
        let mut drop_idx: Vec<usize> = Vec::new();
        for (ix, index) in self.indexes.iter().enumerate() {
            if mode != SearchMode::Dense || index.dense().is_none() {
                for (p, score) in index.bm25(query, n)? {
                    seen.insert((ix, p.key), out.len());
                    out.push(Candidate {
                        passage: p,
                        bm25: Some(score),
                        cosine: None,
                    });
                }
            }
            if let (Some(q), Some(store)) = (&qvec, index.dense()) {
                for (key, cos) in store.top(q, n) {
                    if let Some(&i) = seen.get(&(ix, key)) {
                        out[i].cosine = Some(cos);
                        continue;
                    }
                    // Stale vectors (replaced documents) resolve to nothing.
                    if let Some(p) = index.passage_by_key(key)? {
                        seen.insert((ix, key), out.len());
                        out.push(Candidate {
                            passage: p,
                            bm25: None,
                            cosine: Some(cos),
                        });
                    }
                }
            }
            // Cosine for BM25 candidates: stored vectors first, then on the fly.
            if let Some(q) = &qvec {
                let mut missing: Vec<usize> = Vec::new();
                for (&(cix, key), &i) in &seen {
                    if cix != ix || out[i].cosine.is_some() {
                        continue;
                    }
                    match index.dense().and_then(|d| d.get(key)) {
                        Some(v) => out[i].cosine = Some(dot(&v, q)),
                        None => missing.push(i),
                    }
                }
                // Embed the best `rerank` of them by BM25; drop the rest.
                missing.sort_by(|&a, &b| {
                    out[b]
                        .bm25
                        .unwrap_or(0.0)
                        .total_cmp(&out[a].bm25.unwrap_or(0.0))
                });
                let keep = self.opts.rerank.max(k);
                if missing.len() > keep {
                    let ids: Vec<&str> = missing
                        .iter()
                        .map(|&i| out[i].passage.doc_id.as_str())
                        .collect();
                    let chosen = spread_over_documents(&ids, keep);
                    let chosen_set: std::collections::HashSet<usize> =
                        chosen.iter().copied().collect();
                    for (j, &i) in missing.iter().enumerate() {
                        if !chosen_set.contains(&j) {
                            drop_idx.push(i);
                        }
                    }
                    missing = chosen.into_iter().map(|j| missing[j]).collect();
                }
                if !missing.is_empty() {
                    let enc = self.encoder.as_ref().expect("qvec implies an encoder");
                    let texts: Vec<String> = missing
                        .iter()
                        .map(|&i| dense::embed_text(&out[i].passage.title, &out[i].passage.text))
                        .collect();
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    let vecs = enc.embed(&refs)?;
                    for (&i, v) in missing.iter().zip(&vecs) {
                        out[i].cosine = Some(dot(v, q));
                    }
                }
            }
        }
        if !drop_idx.is_empty() {
            let drop: std::collections::HashSet<usize> = drop_idx.into_iter().collect();
            out = out
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, c)| c)
                .collect();
        }
        Ok(out)
    }

    /// Fuse candidates into hits, best first, at most `k` (and at most
    /// `per_doc` passages per document).
    pub fn fuse(&self, cands: Vec<Candidate>, k: usize) -> Vec<Hit> {
        #[cfg(feature = "experiments")]
        let cands = if self.opts.level == FusionLevel::Document && self.opts.per_doc <= 1 {
            aggregate_documents(cands)
        } else {
            cands
        };
        fuse(cands, self.mode(), self.opts.fusion, self.opts.per_doc, k)
    }
}

/// Pick `keep` of `doc_ids` (candidates in BM25 order): first the best
/// candidate of each distinct document, then the rest in order. Re-ranking
/// thus reaches `keep` documents rather than several passages of a few.
/// Returns positions into `doc_ids`, in BM25 order.
pub fn spread_over_documents(doc_ids: &[&str], keep: usize) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut chosen: Vec<usize> = Vec::new();
    for (j, d) in doc_ids.iter().enumerate() {
        if chosen.len() >= keep {
            break;
        }
        if seen.insert(*d) {
            chosen.push(j);
        }
    }
    for j in 0..doc_ids.len() {
        if chosen.len() >= keep {
            break;
        }
        if !chosen.contains(&j) {
            chosen.push(j);
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(feature = "experiments")]
/// One candidate per document (same `doc_id` and `source`): the passage with
/// the best cosine (else the best BM25) carries the document's best BM25 and
/// best cosine over all its passages. A long document whose lexical and
/// semantic matches sit in different passages thus keeps both signals.
/// Documents keep the order of their first candidate.
pub fn aggregate_documents(cands: Vec<Candidate>) -> Vec<Candidate> {
    fn better(a: Option<f32>, b: Option<f32>) -> Option<f32> {
        match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, None) => x,
            (None, y) => y,
        }
    }
    let mut slot: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Candidate> = Vec::new();
    for c in cands {
        let key = (c.passage.doc_id.clone(), c.passage.source.clone());
        match slot.get(&key) {
            None => {
                slot.insert(key, out.len());
                out.push(c);
            }
            Some(&i) => {
                let d = &mut out[i];
                let bm25 = better(d.bm25, c.bm25);
                let cosine = better(d.cosine, c.cosine);
                let c_wins = match (c.cosine, d.cosine) {
                    (Some(x), Some(y)) => x > y,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => c.bm25.unwrap_or(f32::MIN) > d.bm25.unwrap_or(f32::MIN),
                };
                if c_wins {
                    d.passage = c.passage;
                }
                d.bm25 = bm25;
                d.cosine = cosine;
            }
        }
    }
    out
}

fn minmax(xs: &[Option<f32>]) -> Vec<f32> {
    let vals: Vec<f32> = xs.iter().flatten().copied().collect();
    if vals.is_empty() {
        return vec![0.0; xs.len()];
    }
    let lo = vals.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = vals.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = hi - lo;
    xs.iter()
        .map(|x| match x {
            Some(v) if span > 0.0 => (v - lo) / span,
            Some(_) => 1.0,
            None => 0.0,
        })
        .collect()
}

#[cfg(feature = "experiments")]
fn ranks(xs: &[Option<f32>]) -> Vec<Option<usize>> {
    let mut idx: Vec<usize> = (0..xs.len()).filter(|&i| xs[i].is_some()).collect();
    idx.sort_by(|&a, &b| xs[b].unwrap_or(0.0).total_cmp(&xs[a].unwrap_or(0.0)));
    let mut out = vec![None; xs.len()];
    for (r, i) in idx.into_iter().enumerate() {
        out[i] = Some(r + 1);
    }
    out
}

/// Fuse candidates (see [`HybridSearcher::fuse`]); public so evaluation can
/// sweep fusion settings over one candidate set.
pub fn fuse(
    cands: Vec<Candidate>,
    mode: SearchMode,
    fusion: Fusion,
    per_doc: usize,
    k: usize,
) -> Vec<Hit> {
    let bm: Vec<Option<f32>> = cands.iter().map(|c| c.bm25).collect();
    let co: Vec<Option<f32>> = cands.iter().map(|c| c.cosine).collect();
    let scores: Vec<f32> = match mode {
        SearchMode::Bm25 => bm.iter().map(|x| x.unwrap_or(0.0)).collect(),
        SearchMode::Dense => co.iter().map(|x| x.unwrap_or(-1.0)).collect(),
        SearchMode::Hybrid => match fusion {
            Fusion::Linear { weight } => {
                let (b, c) = (minmax(&bm), minmax(&co));
                b.iter()
                    .zip(&c)
                    .map(|(b, c)| weight * c + (1.0 - weight) * b)
                    .collect()
            }
            #[cfg(feature = "experiments")]
            Fusion::Rrf { k } => {
                let (rb, rc) = (ranks(&bm), ranks(&co));
                rb.iter()
                    .zip(&rc)
                    .map(|(a, b)| {
                        a.map(|r| 1.0 / (k + r as f32)).unwrap_or(0.0)
                            + b.map(|r| 1.0 / (k + r as f32)).unwrap_or(0.0)
                    })
                    .collect()
            }
        },
    };
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut per: HashMap<&str, usize> = HashMap::new();
    let mut keep = Vec::new();
    for i in order {
        let n = per.entry(cands[i].passage.doc_id.as_str()).or_insert(0);
        if *n >= per_doc.max(1) {
            continue;
        }
        *n += 1;
        keep.push(i);
        if keep.len() >= k {
            break;
        }
    }
    let mut slots: Vec<Option<Candidate>> = cands.into_iter().map(Some).collect();
    keep.into_iter()
        .map(|i| {
            let c = slots[i].take().expect("each candidate kept once");
            let p = c.passage;
            Hit {
                doc_id: p.doc_id,
                title: p.title,
                source: p.source,
                kind: p.kind,
                url: p.url,
                text: p.text,
                start: p.start,
                end: p.end,
                score: scores[i],
                bm25: c.bm25.unwrap_or(0.0),
                cosine: c.cosine.unwrap_or(0.0),
                origin: p.origin,
            }
        })
        .collect()
}

impl HybridSearcher<'static> {
    /// A searcher that owns (a share of) its encoder, so that it can live as
    /// long as an [`crate::Analyzer`] and move between threads. Its embedding
    /// cache holds at most [`SHARED_CACHE_VECTORS`] vectors.
    pub fn shared(indexes: Vec<Index>, encoder: Option<Arc<dyn Encoder>>) -> Self {
        let inner = encoder.map(EncoderHandle::from);
        HybridSearcher {
            indexes,
            encoder: inner
                .clone()
                .map(|e| CachedEncoder::bounded(e, SHARED_CACHE_VECTORS)),
            inner,
            opts: SearchOptions::default(),
        }
    }
}

impl Retriever for HybridSearcher<'_> {
    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, CorpusError> {
        let cands = self.candidates_k(query, k)?;
        Ok(self.fuse(cands, k))
    }
}
