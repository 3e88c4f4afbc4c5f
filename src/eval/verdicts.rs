//! `veracity eval verdicts`: checks every claim of a labelled data set
//! against a reference corpus built from the data set itself and compares
//! the verdicts with the gold labels.
//!
//! - Climate-FEVER: the evidence sentences of all claims pooled into one
//!   corpus (each Wikipedia article one origin, kind `reference`).
//! - SciFact: every abstract sentence of the corpus a passage (each abstract
//!   one origin, kind `reference`).
//!
//! Verdicts map to labels as corroborated / single_source /
//! verified_by_reference → SUPPORTS, contradicted → REFUTES,
//! insufficient_evidence → NOT_ENOUGH_INFO; `disputed` predictions are a
//! fourth column (wrong for every gold label), and gold DISPUTED claims are
//! reported apart, outside the metrics. Claims are split by a hash of their
//! id into a tuning part and a held-out part; `--tune` grid-searches the
//! stance thresholds on the tuning part only.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::memory::MemoryIndex;
use crate::embed::{cache::text_key, Encoder};
use crate::error::ResultExt;
use crate::verdict::{
    assess, assess_with, Conflicts, Passage, SourceKind, VerdictConfig, VerdictKind,
};
use crate::Result;
use rayon::prelude::*;
use serde::Deserialize;

#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct EvalVerdictsArgs {
    /// Climate-FEVER JSONL file (claim, claim_label, evidences[]).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub climate_fever: Option<PathBuf>,
    /// SciFact corpus.jsonl (doc_id, title, abstract[] sentences); needs --scifact-claims.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "FILE", requires = "scifact_claims")
    )]
    pub scifact_corpus: Option<PathBuf>,
    /// SciFact claims JSONL (id, claim, evidence{}); needs --scifact-corpus.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "FILE", requires = "scifact_corpus")
    )]
    pub scifact_claims: Option<PathBuf>,
    /// SciFact evidence pool: `cited` = the abstracts the claims cite (a
    /// re-ranking test like Climate-FEVER's, about 5,000 sentences), `all` = the whole corpus.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = Pool::Cited))]
    pub scifact_pool: Pool,
    /// Threshold overrides (TOML, keys as in config/verdict.toml).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub config: Option<PathBuf>,
    /// Share of claims held out from tuning (chosen by a hash of the claim id).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = 0.3, value_name = "FRACTION")
    )]
    pub heldout: f64,
    /// Grid-search the stance thresholds on the tuning part and report the
    /// best setting on both parts (the held-out part is never used to choose).
    #[cfg_attr(feature = "cli", arg(long))]
    pub tune: bool,
    /// Evidence retrieval: `exact` = brute-force cosine over the corpus
    /// sentences; `hybrid` = the production path (a temporary corpus index,
    /// BM25 + cosine hybrid search of passages, then their sentences).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = RetrieverKind::Exact))]
    pub retriever: RetrieverKind,
    /// Persistent embedding cache file, so that re-runs do not embed again.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
    /// Decide stance with another model than --model, as `check --stance-model`
    /// does: --model retrieves the candidates (at least 20 per claim), this model
    /// re-scores their similarity to the claim and feeds the stance head.
    #[cfg_attr(feature = "cli", arg(long, value_name = "MODEL"))]
    pub stance_model: Option<String>,
    /// Persistent embedding cache file for the --stance-model (one file per model).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "FILE", requires = "stance_model")
    )]
    pub stance_cache: Option<PathBuf>,
    /// Experimental: also train the learned stance head on the stance-labelled
    /// pairs of the tuning claims of the --head-train-on data sets (5-fold
    /// cross-fitted there), choose its thresholds on those tuning claims and
    /// report its verdicts on every data set.
    #[cfg_attr(feature = "cli", arg(long))]
    pub stance_head: bool,
    /// Data sets whose tuning claims give the stance head its training pairs
    /// and its claim-level thresholds: `climate-fever` (evidence_label of the
    /// evidence sentences) and/or `scifact` (rationale sentences labelled
    /// SUPPORT / CONTRADICT, plus at most 3 non-rationale sentences of the
    /// cited abstracts per claim as neutral pairs).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "climate-fever",
            value_name = "SET,..."
        )
    )]
    pub head_train_on: Vec<DataKey>,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub head: HeadOptionArgs,
}

/// Training options of the stance head (`eval verdicts --stance-head`,
/// `train stance`).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct HeadOptionArgs {
    /// AdamW weight decay(s) for the stance head; with several values the one
    /// with the best cross-fitted evidence-level macro-F1 on the tuning part is used.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_delimiter = ',',
            default_value = "1,3,10,30,100",
            value_name = "W,..."
        )
    )]
    pub head_weight_decay: Vec<f64>,
    /// AdamW steps (full batch) for the stance head.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 300, value_name = "N"))]
    pub head_steps: usize,
    /// Feed the head the token-alignment features of each pair (how well the
    /// claim's tokens are matched by the sentence's; needs the encoder's
    /// token states); `false` to measure the head without them (an ablation:
    /// the flag exists in a build with `--features experiments`).
    #[cfg_attr(all(feature = "cli", feature = "experiments"), arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL"))]
    #[cfg_attr(all(feature = "cli", not(feature = "experiments")), arg(skip = true))]
    pub head_alignment: bool,
    /// ReLU units of a hidden layer in the stance head (0: softmax
    /// regression on the features, the shipped form; more was measured and
    /// not shipped, the flag exists with `--features experiments`).
    #[cfg_attr(
        all(feature = "cli", feature = "experiments"),
        arg(long, default_value_t = 0, value_name = "N")
    )]
    #[cfg_attr(all(feature = "cli", not(feature = "experiments")), arg(skip = 0usize))]
    pub head_hidden: usize,
    /// Also train on every tuning claim paired with itself as `supports` (a
    /// sentence states what it states; the labelled pairs never show it, and
    /// heads trained without them can read an identical sentence as
    /// refuting); `false` to measure the head without them (an ablation: the
    /// flag exists in a build with `--features experiments`).
    #[cfg_attr(all(feature = "cli", feature = "experiments"), arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL"))]
    #[cfg_attr(all(feature = "cli", not(feature = "experiments")), arg(skip = true))]
    pub head_identity_pairs: bool,
}

/// How an evaluation run splits its claims, finds their evidence and picks
/// its thresholds (what `eval verdicts` and `train stance` share).
#[derive(Debug, Clone, Copy)]
pub struct Protocol {
    /// Share of claims held out from tuning, by a hash of the claim id.
    pub heldout: f64,
    pub retriever: RetrieverKind,
    /// Grid-search the stance thresholds on the tuning part.
    pub tune: bool,
    /// Whether the thresholds come from an override file.
    pub config_given: bool,
}

impl EvalVerdictsArgs {
    /// The run's [`Protocol`].
    pub fn protocol(&self) -> Protocol {
        Protocol {
            heldout: self.heldout,
            retriever: self.retriever,
            tune: self.tune,
            config_given: self.config.is_some(),
        }
    }
}

/// How evidence is retrieved in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum RetrieverKind {
    /// Exact cosine nearest neighbours over all corpus sentences.
    Exact,
    /// The corpus module's temporary index and hybrid searcher, as `check` uses.
    Hybrid,
}

/// Which labelled data set a loaded data set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DataKey {
    /// Climate-FEVER (--climate-fever).
    ClimateFever,
    /// SciFact (--scifact-corpus, --scifact-claims).
    Scifact,
}

/// Which SciFact abstracts make the evidence corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Pool {
    /// Abstracts cited by (or holding evidence for) some claim of the file.
    Cited,
    /// Every abstract of the corpus.
    All,
}

/// Gold label of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Gold {
    Supports,
    Refutes,
    Nei,
    Disputed,
}

impl Gold {
    fn name(self) -> &'static str {
        match self {
            Gold::Supports => "SUPPORTS",
            Gold::Refutes => "REFUTES",
            Gold::Nei => "NOT_ENOUGH_INFO",
            Gold::Disputed => "DISPUTED",
        }
    }
}

/// Predicted column: 0 SUPPORTS, 1 REFUTES, 2 NOT_ENOUGH_INFO, 3 disputed.
fn column(v: VerdictKind) -> usize {
    match v {
        VerdictKind::Corroborated
        | VerdictKind::SingleSource
        | VerdictKind::VerifiedByReference => 0,
        VerdictKind::Contradicted => 1,
        VerdictKind::InsufficientEvidence => 2,
        VerdictKind::Disputed => 3,
    }
}

/// One claim with its retrieved passages and their text conflicts.
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) claim: String,
    pub(crate) gold: Gold,
    pub(crate) heldout: bool,
    pub(crate) passages: Vec<Passage>,
    pub(crate) conflicts: Vec<Conflicts>,
}

/// A data set loaded and embedded.
pub(crate) struct Dataset {
    pub(crate) key: DataKey,
    pub(crate) name: String,
    corpus_size: usize,
    skipped: usize,
    pub(crate) cases: Vec<Case>,
    /// Labelled (claim id, claim, evidence sentence, stance class) pairs, for
    /// the learned stance head (both parts of the split; the head trains on
    /// the tuning claims' pairs only).
    pub(crate) pairs: Vec<(String, String, String, usize)>,
}

/// Re-score every case's candidate passages by their cosine to the claim
/// under `enc`, most similar first (conflicts kept with their passage), as
/// `check --stance-model` does after retrieval.
pub(crate) fn rescore(enc: &dyn Encoder, sets: &mut [Dataset]) -> Result<()> {
    for d in sets.iter_mut() {
        let texts: Vec<String> = d
            .cases
            .iter()
            .flat_map(|c| std::iter::once(&c.claim).chain(c.passages.iter().map(|p| &p.text)))
            .cloned()
            .collect();
        let vecs = super::embed_all(enc, &texts.iter().map(String::as_str).collect::<Vec<_>>())?;
        for c in &mut d.cases {
            let q = &vecs[&c.claim];
            let mut both: Vec<(Passage, Conflicts)> = c
                .passages
                .drain(..)
                .zip(c.conflicts.drain(..))
                .map(|(mut p, k)| {
                    p.similarity = crate::embed::dot(q, &vecs[&p.text]);
                    (p, k)
                })
                .collect();
            both.sort_by(|x, y| y.0.similarity.total_cmp(&x.0.similarity));
            (c.passages, c.conflicts) = both.into_iter().unzip();
        }
    }
    Ok(())
}

pub(crate) fn is_heldout(id: &str, frac: f64) -> bool {
    (text_key(&format!("verdict-split:{id}")) % 10_000) < (frac * 10_000.0) as u64
}

/// Read a JSONL file, reporting malformed lines on stderr and counting them.
fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<(Vec<T>, usize)> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<T>(&line) {
            Ok(v) => out.push(v),
            Err(e) => {
                eprintln!("{}:{}: skipped: {e}", path.display(), i + 1);
                skipped += 1;
            }
        }
    }
    Ok((out, skipped))
}

/// Retrieve evidence for every claim with the chosen retriever.
fn evidence(
    enc: &dyn Encoder,
    passages: Vec<Passage>,
    claims: Vec<(String, String, Gold)>,
    k: usize,
    p: &Protocol,
    cfg: &VerdictConfig,
) -> Result<Vec<Case>> {
    match p.retriever {
        RetrieverKind::Exact => {
            let idx = embed_corpus(enc, passages)?;
            retrieve(enc, &idx, claims, k, p.heldout, cfg)
        }
        RetrieverKind::Hybrid => retrieve_hybrid(enc, passages, claims, p.heldout, cfg),
    }
}

/// The production path: the passages' documents (sentences joined in order)
/// in a temporary corpus index, hybrid search, then sentence-level evidence.
fn retrieve_hybrid(
    enc: &dyn Encoder,
    passages: Vec<Passage>,
    claims: Vec<(String, String, Gold)>,
    heldout: f64,
    cfg: &VerdictConfig,
) -> Result<Vec<Case>> {
    use crate::corpus::{DocKind, Document, HybridSearcher, Index, Retriever};
    let mut docs: Vec<Document> = Vec::new();
    for p in passages {
        match docs.last_mut() {
            Some(d) if d.id == p.doc_id => {
                d.text.push(' ');
                d.text.push_str(&p.text);
            }
            _ => docs.push(Document {
                id: p.doc_id,
                title: p.title,
                text: p.text,
                url: p.url,
                source: p.source,
                published: None,
                kind: DocKind::Reference,
            }),
        }
    }
    let index = Index::temporary(&docs, Some(enc)).context("indexing the evaluation corpus")?;
    let searcher = HybridSearcher::new(vec![index], Some(enc));
    let checker = crate::verdict::check::Checker::new(enc, cfg.clone())?;
    let pb = crate::progress::bar(claims.len() as u64, "retrieving", "claims");
    let mut cases = Vec::with_capacity(claims.len());
    for (id, claim, gold) in claims {
        let hits = searcher.search(&claim, cfg.retrieval.top_k)?;
        let passages = checker.sentences(&claim, &hits)?;
        let conflicts = passages
            .iter()
            .map(|p| Conflicts::find(&claim, &p.text, cfg.stance.number_tolerance))
            .collect();
        cases.push(Case {
            heldout: is_heldout(&id, heldout),
            id,
            claim,
            gold,
            passages,
            conflicts,
        });
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(cases)
}

fn embed_corpus(enc: &dyn Encoder, passages: Vec<Passage>) -> Result<MemoryIndex> {
    let pb = crate::progress::bar(passages.len() as u64, "embedding corpus", "passages");
    let idx = MemoryIndex::build(enc, passages, 256, |n| pb.set_position(n as u64))?;
    pb.finish_and_clear();
    Ok(idx)
}

fn retrieve(
    enc: &dyn Encoder,
    idx: &MemoryIndex,
    claims: Vec<(String, String, Gold)>,
    k: usize,
    heldout: f64,
    cfg: &VerdictConfig,
) -> Result<Vec<Case>> {
    let texts: Vec<&str> = claims.iter().map(|c| c.1.as_str()).collect();
    let pb = crate::progress::bar(texts.len() as u64, "embedding claims", "claims");
    let mut vecs = Vec::with_capacity(texts.len());
    for part in texts.chunks(256) {
        vecs.extend(enc.embed(part)?);
        pb.inc(part.len() as u64);
    }
    pb.finish_and_clear();
    Ok(claims
        .into_par_iter()
        .zip(vecs.into_par_iter())
        .map(|((id, claim, gold), v)| {
            let passages = idx.search_vec(&v, k);
            let conflicts = passages
                .iter()
                .map(|p| Conflicts::find(&claim, &p.text, cfg.stance.number_tolerance))
                .collect();
            Case {
                heldout: is_heldout(&id, heldout),
                id,
                claim,
                gold,
                passages,
                conflicts,
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct CfEvidence {
    evidence_id: String,
    #[serde(default)]
    evidence_label: Option<String>,
    article: String,
    evidence: String,
}

#[derive(Deserialize)]
struct CfClaim {
    claim_id: String,
    claim: String,
    claim_label: String,
    evidences: Vec<CfEvidence>,
}

pub(crate) fn load_climate_fever(
    path: &Path,
    enc: &dyn Encoder,
    k: usize,
    p: &Protocol,
    cfg: &VerdictConfig,
) -> Result<Dataset> {
    let (rows, mut skipped) = read_jsonl::<CfClaim>(path)?;
    let mut pool: BTreeMap<String, Passage> = BTreeMap::new();
    let mut claims = Vec::new();
    let mut pairs = Vec::new();
    for r in rows {
        let gold = match r.claim_label.as_str() {
            "SUPPORTS" => Gold::Supports,
            "REFUTES" => Gold::Refutes,
            "NOT_ENOUGH_INFO" => Gold::Nei,
            "DISPUTED" => Gold::Disputed,
            other => {
                eprintln!(
                    "{}: claim {}: skipped: unknown claim_label {other:?}",
                    path.display(),
                    r.claim_id
                );
                skipped += 1;
                continue;
            }
        };
        for e in r.evidences {
            let class = match e.evidence_label.as_deref() {
                Some("SUPPORTS") => Some(crate::verdict::head::SUPPORTS),
                Some("REFUTES") => Some(crate::verdict::head::REFUTES),
                Some("NOT_ENOUGH_INFO") => Some(crate::verdict::head::NEUTRAL),
                _ => None,
            };
            if let Some(c) = class {
                pairs.push((r.claim_id.clone(), r.claim.clone(), e.evidence.clone(), c));
            }
            pool.entry(e.evidence_id.clone())
                .or_insert_with(|| Passage {
                    doc_id: e.evidence_id,
                    title: e.article.clone(),
                    source: "wikipedia".into(),
                    kind: SourceKind::Reference,
                    url: None,
                    start: 0,
                    end: e.evidence.len(),
                    text: e.evidence,
                    similarity: 0.0,
                    origin: e.article,
                });
        }
        claims.push((r.claim_id, r.claim, gold));
    }
    let corpus_size = pool.len();
    let cases = evidence(enc, pool.into_values().collect(), claims, k, p, cfg)?;
    Ok(Dataset {
        key: DataKey::ClimateFever,
        name: format!("Climate-FEVER ({})", path.display()),
        corpus_size,
        skipped,
        cases,
        pairs,
    })
}

#[derive(Deserialize)]
struct SfDoc {
    doc_id: serde_json::Value,
    title: String,
    #[serde(rename = "abstract")]
    sentences: Vec<String>,
}

#[derive(Deserialize)]
struct SfRationale {
    label: String,
    #[serde(default)]
    sentences: Vec<usize>,
}

#[derive(Deserialize)]
struct SfClaim {
    id: serde_json::Value,
    claim: String,
    #[serde(default)]
    evidence: HashMap<String, Vec<SfRationale>>,
    #[serde(default)]
    cited_doc_ids: Vec<serde_json::Value>,
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn load_scifact(
    corpus: &Path,
    claims_path: &Path,
    pool: Pool,
    enc: &dyn Encoder,
    k: usize,
    p: &Protocol,
    cfg: &VerdictConfig,
) -> Result<Dataset> {
    let (docs, s1) = read_jsonl::<SfDoc>(corpus)?;
    let (rows, s2) = read_jsonl::<SfClaim>(claims_path)?;
    let cited: std::collections::HashSet<String> = rows
        .iter()
        .flat_map(|r| {
            r.cited_doc_ids
                .iter()
                .map(id_string)
                .chain(r.evidence.keys().cloned())
        })
        .collect();
    let mut passages = Vec::new();
    for d in &docs {
        let id = id_string(&d.doc_id);
        if pool == Pool::Cited && !cited.contains(&id) {
            continue;
        }
        let mut off = 0;
        for s in &d.sentences {
            passages.push(Passage {
                doc_id: id.clone(),
                title: d.title.clone(),
                source: "pubmed".into(),
                kind: SourceKind::Reference,
                url: None,
                text: s.clone(),
                start: off,
                end: off + s.len(),
                similarity: 0.0,
                origin: id.clone(),
            });
            off += s.len() + 1;
        }
    }
    let corpus_size = passages.len();
    let pairs = scifact_pairs(&docs, &rows);
    let claims = rows
        .into_iter()
        .map(|r| {
            let labels: Vec<&str> = r
                .evidence
                .values()
                .flatten()
                .map(|x| x.label.as_str())
                .collect();
            let sup = labels.contains(&"SUPPORT");
            let con = labels.contains(&"CONTRADICT");
            let gold = match (sup, con) {
                (false, false) => Gold::Nei,
                (true, false) => Gold::Supports,
                (false, true) => Gold::Refutes,
                (true, true) => Gold::Disputed,
            };
            (id_string(&r.id), r.claim, gold)
        })
        .collect();
    let cases = evidence(enc, passages, claims, k, p, cfg)?;
    Ok(Dataset {
        key: DataKey::Scifact,
        name: format!(
            "SciFact ({} against {})",
            claims_path.display(),
            corpus.display()
        ),
        corpus_size,
        skipped: s1 + s2,
        cases,
        pairs,
    })
}

/// Most neutral (non-rationale) sentences taken per SciFact claim.
const SCIFACT_NEUTRAL_PER_CLAIM: usize = 3;

/// Stance-labelled SciFact pairs: every rationale sentence with its label
/// (SUPPORT → supports, CONTRADICT → refutes) and, as neutral pairs, at most
/// [`SCIFACT_NEUTRAL_PER_CLAIM`] other sentences of the abstracts the claim
/// cites, picked deterministically by a hash of (claim, abstract, sentence).
fn scifact_pairs(docs: &[SfDoc], rows: &[SfClaim]) -> Vec<(String, String, String, usize)> {
    use crate::verdict::head::{NEUTRAL, REFUTES, SUPPORTS};
    let by_id: HashMap<String, &SfDoc> = docs.iter().map(|d| (id_string(&d.doc_id), d)).collect();
    let mut pairs = Vec::new();
    for r in rows {
        let id = id_string(&r.id);
        let mut rationale: std::collections::HashSet<(String, usize)> = Default::default();
        for (doc, rats) in &r.evidence {
            let Some(d) = by_id.get(doc) else { continue };
            for rat in rats {
                let class = match rat.label.as_str() {
                    "SUPPORT" => SUPPORTS,
                    "CONTRADICT" => REFUTES,
                    _ => continue,
                };
                for &i in &rat.sentences {
                    if let Some(t) = d.sentences.get(i) {
                        if rationale.insert((doc.clone(), i)) {
                            pairs.push((id.clone(), r.claim.clone(), t.clone(), class));
                        }
                    }
                }
            }
        }
        let mut docs_cited: Vec<String> = r
            .cited_doc_ids
            .iter()
            .map(id_string)
            .chain(r.evidence.keys().cloned())
            .collect();
        docs_cited.sort_unstable();
        docs_cited.dedup();
        let mut neutral: Vec<(u64, &String)> = Vec::new();
        for doc in &docs_cited {
            let Some(d) = by_id.get(doc) else { continue };
            for (i, t) in d.sentences.iter().enumerate() {
                if !rationale.contains(&(doc.clone(), i)) {
                    neutral.push((text_key(&format!("stance-neutral:{id}:{doc}:{i}")), t));
                }
            }
        }
        neutral.sort_unstable();
        for (_, t) in neutral.into_iter().take(SCIFACT_NEUTRAL_PER_CLAIM) {
            pairs.push((id.clone(), r.claim.clone(), t.clone(), NEUTRAL));
        }
    }
    pairs
}

/// Confusion counts: gold row (4, DISPUTED last) × predicted column (4).
#[derive(Default, Clone)]
pub(crate) struct Scores {
    pub(crate) m: [[usize; 4]; 4],
    pub(crate) kinds: BTreeMap<VerdictKind, usize>,
}

impl Scores {
    pub(crate) fn n(&self) -> usize {
        (0..3).map(|r| self.m[r].iter().sum::<usize>()).sum()
    }
    pub(crate) fn accuracy(&self) -> f64 {
        let n = self.n();
        if n == 0 {
            return 0.0;
        }
        (0..3).map(|i| self.m[i][i]).sum::<usize>() as f64 / n as f64
    }
    /// Macro-F1 over SUPPORTS / REFUTES / NOT_ENOUGH_INFO (disputed
    /// predictions count against recall).
    pub(crate) fn macro_f1(&self) -> f64 {
        (0..3)
            .map(|c| {
                let tp = self.m[c][c] as f64;
                let pred: f64 = (0..3).map(|r| self.m[r][c] as f64).sum();
                let gold: f64 = self.m[c].iter().sum::<usize>() as f64;
                let p = if pred > 0.0 { tp / pred } else { 0.0 };
                let r = if gold > 0.0 { tp / gold } else { 0.0 };
                if p + r > 0.0 {
                    2.0 * p * r / (p + r)
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / 3.0
    }

    /// 95% percentile bootstrap interval of [`Scores::macro_f1`]: the
    /// scored claims (gold SUPPORTS / REFUTES / NOT_ENOUGH_INFO) resampled
    /// with replacement `resamples` times (seeded, so reports repeat).
    pub(crate) fn macro_f1_interval(&self, resamples: usize, seed: u64) -> (f64, f64) {
        let cells: Vec<(usize, usize, usize)> = (0..3)
            .flat_map(|r| (0..4).map(move |c| (r, c)))
            .map(|(r, c)| (r, c, self.m[r][c]))
            .filter(|&(_, _, k)| k > 0)
            .collect();
        let n = self.n();
        if n == 0 || resamples == 0 {
            return (0.0, 0.0);
        }
        let mut rng = crate::rng::SplitMix64::new(seed);
        let mut f1s: Vec<f64> = (0..resamples)
            .map(|_| {
                let mut b = Scores::default();
                for _ in 0..n {
                    // The claim at a uniform index, found by walking the cells.
                    let mut i = (rng.uniform() * n as f64) as usize;
                    for &(r, c, k) in &cells {
                        if i < k {
                            b.m[r][c] += 1;
                            break;
                        }
                        i -= k;
                    }
                }
                b.macro_f1()
            })
            .collect();
        f1s.sort_by(f64::total_cmp);
        let at = |q: f64| f1s[((q * resamples as f64) as usize).min(resamples - 1)];
        (at(0.025), at(0.975))
    }
}

/// Bootstrap resamples behind the macro-F1 intervals of every table.
const BOOTSTRAP: usize = 1000;

pub(crate) fn gold_row(g: Gold) -> usize {
    match g {
        Gold::Supports => 0,
        Gold::Refutes => 1,
        Gold::Nei => 2,
        Gold::Disputed => 3,
    }
}

fn score<'a>(cases: impl Iterator<Item = &'a Case>, cfg: &VerdictConfig) -> Scores {
    score_verdicts(cases.map(|c| (c, None)), cfg)
}

/// Scores of the verdicts `check` would give, with the stance head's
/// passage probabilities where given (`[stance] method = "head"`).
pub(crate) fn score_verdicts<'a>(
    cases: impl Iterator<Item = (&'a Case, Option<&'a [[f32; 3]]>)>,
    cfg: &VerdictConfig,
) -> Scores {
    let mut s = Scores::default();
    for (c, probs) in cases {
        let v = assess_with(&c.claim, &c.passages, &c.conflicts, probs, cfg).verdict;
        s.m[gold_row(c.gold)][column(v)] += 1;
        if c.gold != Gold::Disputed {
            *s.kinds.entry(v).or_default() += 1;
        }
    }
    s
}

/// Similarity alone: supported when some passage reaches `t`, otherwise not
/// enough info; never refuted.
fn score_similarity_only<'a>(cases: impl Iterator<Item = &'a Case>, t: f32) -> Scores {
    let mut s = Scores::default();
    for c in cases {
        let best = c
            .passages
            .first()
            .map_or(f32::NEG_INFINITY, |p| p.similarity);
        let col = if best >= t { 0 } else { 2 };
        s.m[gold_row(c.gold)][col] += 1;
    }
    s
}

pub(crate) fn steps(lo: f32, hi: f32, step: f32) -> Vec<f32> {
    let n = ((hi - lo) / step).round() as usize;
    (0..=n)
        .map(|i| ((lo + step * i as f32) * 1000.0).round() / 1000.0)
        .collect()
}

/// Grid search of the thresholds on the tuning part (macro-F1). Note that
/// the metric counts every `disputed` prediction as an error, so the search
/// favours small `dispute_margin`s (the stronger side decides).
fn tune(d: &Dataset, base: &VerdictConfig) -> (VerdictConfig, f64) {
    let mut grid = Vec::new();
    for s in steps(0.60, 0.85, 0.025) {
        for r in steps(0.50, 0.85, 0.05) {
            for b in steps(0.50, 0.80, 0.1) {
                for n in [true, false] {
                    for m in [0.0f32, 0.05, 0.1, 0.15, 0.2, 0.25, 1.0] {
                        let mut c = base.clone();
                        c.stance.support_similarity = s;
                        c.stance.refute_similarity = r;
                        c.stance.debunk_similarity = b;
                        c.stance.support_needs_numbers = n;
                        c.verdict.dispute_margin = m;
                        grid.push(c);
                    }
                }
            }
        }
    }
    let pb = crate::progress::bar(grid.len() as u64, "tuning", "settings");
    let best = grid
        .into_par_iter()
        .map(|c| {
            let f = score(d.cases.iter().filter(|x| !x.heldout), &c).macro_f1();
            pb.inc(1);
            (c, f)
        })
        .reduce_with(|a, b| if b.1 > a.1 { b } else { a })
        .expect("non-empty grid");
    pb.finish_and_clear();
    best
}

pub(crate) fn report(d: &Dataset, cfg: &VerdictConfig, p: &Protocol) -> Result<()> {
    let tuning = d.cases.iter().filter(|c| !c.heldout).count();
    let held = d.cases.len() - tuning;
    println!("== {}", d.name);
    println!(
        "{} claims ({} DISPUTED gold, reported apart), {} corpus passages, {} malformed records skipped",
        d.cases.len(),
        d.cases.iter().filter(|c| c.gold == Gold::Disputed).count(),
        d.corpus_size,
        d.skipped
    );
    println!(
        "split by hash of claim id: tuning {tuning}, held-out {held} ({:.0}%)",
        p.heldout * 100.0
    );

    // Baseline: similarity alone, best threshold on the tuning part.
    let (bt, _) = steps(0.30, 0.95, 0.01)
        .into_iter()
        .map(|t| {
            (
                t,
                score_similarity_only(d.cases.iter().filter(|c| !c.heldout), t).macro_f1(),
            )
        })
        .fold((0.0, -1.0), |a, b| if b.1 > a.1 { b } else { a });
    let bt_tune = score_similarity_only(d.cases.iter().filter(|c| !c.heldout), bt);
    let bt_held = score_similarity_only(d.cases.iter().filter(|c| c.heldout), bt);
    println!("\nbaseline, similarity alone (supported when best cosine >= {bt:.2}, chosen on tuning; never refutes):");
    print_metrics(&bt_tune, &bt_held);

    let (used, label) = if p.tune {
        let (best, f) = tune(d, cfg);
        println!("\ntuned on the tuning part only (grid search, macro-F1 {f:.3}):");
        println!(
            "[stance]\nsupport_similarity = {}\nrefute_similarity = {}\ndebunk_similarity = {}\nsupport_needs_numbers = {}\n[verdict]\ndispute_margin = {}",
            best.stance.support_similarity,
            best.stance.refute_similarity,
            best.stance.debunk_similarity,
            best.stance.support_needs_numbers,
            best.verdict.dispute_margin
        );
        (best, "tuned thresholds")
    } else if p.config_given {
        (cfg.clone(), "thresholds from --config")
    } else {
        (cfg.clone(), "default thresholds (config/verdict.toml)")
    };
    let st = score(d.cases.iter().filter(|c| !c.heldout), &used);
    let sh = score(d.cases.iter().filter(|c| c.heldout), &used);
    println!("\nverdict rules, {label}:");
    print_metrics(&st, &sh);
    println!("\nconfusion matrix, held-out (rows gold, columns predicted):");
    print_confusion(&sh);
    println!("\nconfusion matrix, tuning:");
    print_confusion(&st);
    let mut all = st.kinds.clone();
    for (k, v) in &sh.kinds {
        *all.entry(*k).or_default() += v;
    }
    // Which conflict checks found the refutations, and how often the gold
    // label agreed (tuning part), to see which checks pay their way.
    let mut by_check: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for c in d.cases.iter().filter(|c| !c.heldout) {
        let v = assess(&c.claim, &c.passages, &c.conflicts, &used);
        if let Some(e) = v
            .evidence
            .iter()
            .find(|e| e.stance == crate::verdict::Stance::Refutes)
        {
            let why = e.conflict.as_deref().unwrap_or("");
            let check = if why.starts_with("it gives") {
                "number"
            } else if why.starts_with("it negates") || why.starts_with("it asserts") {
                "negation"
            } else if why.starts_with("it says") {
                "direction"
            } else {
                "debunk"
            };
            by_check.entry(check).or_default()[gold_row(c.gold)] += 1;
        }
    }
    println!(
        "\nclaims with a refuting passage, by the check that found it (tuning part; gold S/R/N/D):"
    );
    for (k, r) in &by_check {
        println!(
            "  {k:<10} {:>4} claims: SUPPORTS {}, REFUTES {}, NOT_ENOUGH_INFO {}, DISPUTED {}",
            r.iter().sum::<usize>(),
            r[0],
            r[1],
            r[2],
            r[3]
        );
    }
    let counts: Vec<String> = all.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "\nverdicts (non-DISPUTED gold, both parts): {}\n",
        counts.join(", ")
    );
    Ok(())
}

pub(crate) fn print_metrics(t: &Scores, h: &Scores) {
    println!(
        "  {:<10} {:>7} {:>9} {:>9}  macro-F1 95% bootstrap interval",
        "part", "claims", "accuracy", "macro-F1"
    );
    for (name, s) in [("tuning", t), ("held-out", h)] {
        let (lo, hi) = s.macro_f1_interval(BOOTSTRAP, 42);
        println!(
            "  {:<10} {:>7} {:>9.3} {:>9.3}  {lo:.3}–{hi:.3}",
            name,
            s.n(),
            s.accuracy(),
            s.macro_f1()
        );
    }
}

pub(crate) fn print_confusion(s: &Scores) {
    println!(
        "  {:<18} {:>9} {:>9} {:>16} {:>9}",
        "", "SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO", "disputed"
    );
    for g in [Gold::Supports, Gold::Refutes, Gold::Nei, Gold::Disputed] {
        let r = s.m[gold_row(g)];
        let name = if g == Gold::Disputed {
            "DISPUTED (apart)"
        } else {
            g.name()
        };
        println!(
            "  {:<18} {:>9} {:>9} {:>16} {:>9}",
            name, r[0], r[1], r[2], r[3]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(m: [[usize; 4]; 4]) -> Scores {
        Scores {
            m,
            ..Default::default()
        }
    }

    #[test]
    fn macro_f1_counts_disputed_against_recall_and_leaves_gold_disputed_out() {
        let perfect = scores([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [9, 9, 9, 9]]);
        assert_eq!(perfect.n(), 15);
        assert!((perfect.macro_f1() - 1.0).abs() < 1e-12);
        // One SUPPORTS claim called disputed: SUPPORTS recall 4/5, precision 1.
        let one = scores([[4, 0, 0, 1], [0, 5, 0, 0], [0, 0, 5, 0], [0; 4]]);
        let f_s = 2.0 * 0.8 / 1.8;
        assert!((one.macro_f1() - (f_s + 2.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_interval_brackets_the_figure_and_narrows_with_more_claims() {
        let small = scores([[6, 2, 2, 0], [2, 4, 2, 0], [2, 2, 6, 0], [0; 4]]);
        let large = scores([[60, 20, 20, 0], [20, 40, 20, 0], [20, 20, 60, 0], [0; 4]]);
        let f = small.macro_f1();
        assert!((f - large.macro_f1()).abs() < 1e-12, "same proportions");
        let (lo, hi) = small.macro_f1_interval(1000, 42);
        let (llo, lhi) = large.macro_f1_interval(1000, 42);
        assert!(lo < f && f < hi, "{lo} {f} {hi}");
        assert!(llo < f && f < lhi, "{llo} {f} {lhi}");
        assert!(lhi - llo < (hi - lo) * 0.6, "{llo}–{lhi} vs {lo}–{hi}");
        assert_eq!((lo, hi), small.macro_f1_interval(1000, 42), "seeded");
        // Every claim right: no spread at all.
        let perfect = scores([[10, 0, 0, 0], [0, 10, 0, 0], [0, 0, 10, 0], [0; 4]]);
        let (plo, phi) = perfect.macro_f1_interval(200, 1);
        assert!(plo > 0.999 && phi > 0.999, "{plo} {phi}");
    }
}
