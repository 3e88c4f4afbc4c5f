//! Evaluation on labelled data: one module per measured component, each
//! with its data set readers, its metrics and a driver that prints the
//! figures (`veracity eval ...` calls these drivers and nothing else).
//!
//! - [`checkworthiness`]: ClaimBuster P/R/F1, CheckThat! MAP.
//! - [`retrieval`]: SciFact recall@k and nDCG@10 of BM25, dense and hybrid.
//! - [`verdicts`] (driver [`run_verdicts`]): Climate-FEVER and SciFact verdict macro-F1 and confusion,
//!   with [`stance_head`] for the learned stance head.
//! - [`propaganda`]: PTC cross-validation and meme texts.
//!
//! Training ([`crate::train`]) builds on these modules (their data sets,
//! splits and fitting options); nothing here depends on it.

pub mod checkworthiness;
pub mod data;
pub(crate) mod memory;
pub mod propaganda;
pub mod retrieval;
pub mod stance_head;
pub mod verdicts;

use std::collections::HashMap;
use std::path::Path;

use crate::embed::{self, CachedEncoder, Encoder, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::verdict::VerdictConfig;
use crate::Result;

use verdicts::{Dataset, EvalVerdictsArgs, Pool, Protocol};

/// Embeddings of `texts`, by text, each distinct text embedded once, in
/// batches of 256 with a progress bar.
pub fn embed_all(enc: &dyn Encoder, texts: &[&str]) -> Result<HashMap<String, Vec<f32>>> {
    let mut uniq: Vec<&str> = texts.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let pb = crate::progress::bar(uniq.len() as u64, "embedding", "sentences");
    let mut out = HashMap::with_capacity(uniq.len());
    for part in uniq.chunks(256) {
        for (t, v) in part.iter().zip(enc.embed(part)?) {
            out.insert(t.to_string(), v);
        }
        pb.inc(part.len() as u64);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// `enc` behind an embedding cache: persisted at `path` when given, in
/// memory otherwise.
pub fn cached<'a>(
    enc: &'a dyn Encoder,
    path: Option<&std::path::Path>,
) -> Result<CachedEncoder<'a>> {
    match path {
        Some(p) => CachedEncoder::with_file(enc, p)
            .with_context(|| format!("opening the embedding cache {}", p.display())),
        None => Ok(CachedEncoder::new(enc)),
    }
}

/// The verdict data sets, loaded with their evidence retrieved: a
/// Climate-FEVER file and/or SciFact (corpus, claims, pool).
pub(crate) fn verdict_sets(
    enc: &dyn Encoder,
    cfg: &VerdictConfig,
    protocol: &Protocol,
    climate_fever: Option<&Path>,
    scifact: Option<(&Path, &Path, Pool)>,
) -> Result<Vec<Dataset>> {
    // Retrieve more than top_k once, so that tuning may vary what is kept.
    let k = cfg.retrieval.top_k.max(20);
    let mut sets = Vec::new();
    if let Some(p) = climate_fever {
        sets.push(verdicts::load_climate_fever(p, enc, k, protocol, cfg)?);
    }
    if let Some((corpus, claims, pool)) = scifact {
        sets.push(verdicts::load_scifact(
            corpus, claims, pool, enc, k, protocol, cfg,
        )?);
    }
    Ok(sets)
}

/// `veracity eval verdicts`: the verdict report of every data set given,
/// and with `--stance-head` the learned stance head's.
pub fn run_verdicts(models: &EncoderOptions, a: &EvalVerdictsArgs) -> Result<()> {
    if a.climate_fever.is_none() && a.scifact_corpus.is_none() {
        bail!("nothing to evaluate: pass --climate-fever FILE and/or --scifact-corpus FILE --scifact-claims FILE");
    }
    if !(0.0..1.0).contains(&a.heldout) {
        bail!("--heldout must be in [0, 1), got {}", a.heldout);
    }
    let cfg = match &a.config {
        Some(p) => VerdictConfig::load(p)?,
        None => VerdictConfig::default(),
    };
    let protocol = a.protocol();
    let inner = embed::load_encoder(models)?;
    let enc = cached(inner.as_ref(), a.cache.as_deref())?;
    let scifact = match (&a.scifact_corpus, &a.scifact_claims) {
        (Some(c), Some(q)) => Some((c.as_path(), q.as_path(), a.scifact_pool)),
        _ => None,
    };
    let mut sets = verdict_sets(&enc, &cfg, &protocol, a.climate_fever.as_deref(), scifact)?;
    let stance_inner = match &a.stance_model {
        Some(m) => Some(embed::load_encoder(&models.for_model(m))?),
        None => None,
    };
    let stance_enc = match &stance_inner {
        Some(i) => Some(cached(i.as_ref(), a.stance_cache.as_deref())?),
        None => None,
    };
    if let Some(se) = &stance_enc {
        println!(
            "candidates retrieved by {}, re-scored and judged by {} (--stance-model)\n",
            enc.name(),
            se.name()
        );
        verdicts::rescore(se, &mut sets)?;
    }
    let judge: &dyn Encoder = match &stance_enc {
        Some(se) => se,
        None => &enc,
    };
    for d in &sets {
        verdicts::report(d, &cfg, &protocol)?;
    }
    if a.stance_head {
        stance_head::run(judge, &sets, &cfg, a.heldout, &a.head_train_on, &a.head)?;
    }
    Ok(())
}
