//! `veracity train stance`: the committed stance head of an encoder
//! (`models/heads/stance-*.json`), trained on the tuning claims of
//! Climate-FEVER and SciFact as `eval verdicts --stance-head` does, written
//! with its provenance and the `[stance]` thresholds it was tuned with.

use std::path::PathBuf;

use crate::embed::{self, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::eval::verdicts::{self, DataKey, Pool, Protocol, RetrieverKind};
use crate::eval::{self, stance_head};
use crate::heads::provenance::{DataFile, Provenance};
use crate::verdict::{head, VerdictConfig};
use crate::Result;

/// `veracity train stance`.
#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TrainStanceArgs {
    /// Climate-FEVER JSONL file with evidence labels (evidence_label).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub climate_fever: PathBuf,
    /// SciFact corpus.jsonl (abstracts split into sentences).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub scifact_corpus: PathBuf,
    /// SciFact claims JSONL with rationales (claims_train.jsonl).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub scifact_claims: PathBuf,
    /// Share of claims held out (by a hash of the claim id), never trained
    /// or tuned on; the same split as `eval verdicts`.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value_t = 0.3, value_name = "FRACTION")
    )]
    pub heldout: f64,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub head: verdicts::HeadOptionArgs,
    /// Persistent embedding cache file, so that re-runs do not embed again.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
    /// Where to write the head (JSON).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "models/heads/stance.json", value_name = "FILE")
    )]
    pub out: PathBuf,
}

/// Train the stance head exactly as `eval verdicts --stance-head
/// --head-train-on climate-fever,scifact` does (it prints the same report)
/// and write it with its provenance and the chosen `[stance]` thresholds.
pub fn run(models: &EncoderOptions, a: &TrainStanceArgs, invocation: &[String]) -> Result<()> {
    if !(0.0..1.0).contains(&a.heldout) {
        bail!("--heldout must be in [0, 1), got {}", a.heldout);
    }
    let cfg = VerdictConfig::default();
    let protocol = Protocol {
        heldout: a.heldout,
        retriever: RetrieverKind::Exact,
        tune: false,
        config_given: false,
    };
    let inner = embed::load_encoder(models)?;
    let enc = eval::cached(inner.as_ref(), a.cache.as_deref())?;
    let sets = eval::verdict_sets(
        &enc,
        &cfg,
        &protocol,
        Some(&a.climate_fever),
        Some((&a.scifact_corpus, &a.scifact_claims, Pool::Cited)),
    )?;
    for d in &sets {
        verdicts::report(d, &cfg, &protocol)?;
    }
    let o = stance_head::run(
        &enc,
        &sets,
        &cfg,
        a.heldout,
        &[DataKey::ClimateFever, DataKey::Scifact],
        &a.head,
    )?;
    let mut data = Vec::new();
    for p in [&a.climate_fever, &a.scifact_corpus, &a.scifact_claims] {
        data.push(DataFile::file(p)?);
    }
    let st = &o.config.stance;
    let command = crate::train::reproducible_command(invocation, &["--cache", "--out"]);
    let split = format!(
        "claims whose hash of id (\"verdict-split:<id>\") falls in the first {:.0}% are held out; \
         only the other (tuning) claims' pairs are trained on",
        a.heldout * 100.0
    );
    let details = serde_json::json!({
        "pairs": o.pairs.iter().map(|(n, c)| serde_json::json!({
            "data_set": n, "supports": c[0], "refutes": c[1], "neutral": c[2],
        })).collect::<Vec<_>>(),
        "scifact_neutral": "at most 3 non-rationale sentences of the cited abstracts per claim, by a hash of (claim, abstract, sentence)",
        "identity_pairs": {
            "count": o.identity_pairs,
            "what": "every tuning claim of both data sets paired with itself, labelled supports",
        },
        "options": {
            "steps": o.options.steps,
            "lr": o.options.lr,
            "weight_decay": o.options.weight_decay,
            "weight_decay_chosen_from": a.head.head_weight_decay,
            "hidden_units": o.options.hidden,
            "token_alignment": o.alignment,
            "init": if o.options.hidden > 0 {
                format!("hidden layer: He-normal from seed {}; output layer: zeros", o.options.seed)
            } else {
                "zeros (deterministic, no seed)".to_string()
            },
        },
        "thresholds": {
            "chosen_on": "pooled tuning claims of both data sets, cross-fitted (5 folds by a hash of the claim id)",
            "head_top_k": st.head_top_k,
            "head_support_similarity": st.head_support_similarity,
            "head_support_probability": st.head_support_probability,
            "head_refute_probability": st.head_refute_probability,
            "head_rule_conflicts": st.head_rule_conflicts,
        },
    });
    let mut provenance = Provenance::new(&command, data)
        .versioned()
        .with("split", split)?;
    for (k, v) in details.as_object().into_iter().flatten() {
        provenance = provenance.with(k, v)?;
    }
    let provenance = provenance.into_value();
    let file = head::StanceHeadFile {
        format: head::FORMAT.into(),
        encoder: o.encoder,
        dims: o.dims,
        alignment: o.alignment,
        provenance,
        head: o.head,
    };
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&a.out, serde_json::to_string(&file)? + "\n")
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
            "\nwrote {}; its thresholds for config/verdict.toml:\n[stance]\nhead_top_k = {}\nhead_support_similarity = {}\nhead_support_probability = {}\nhead_refute_probability = {}\nhead_rule_conflicts = {}",
            a.out.display(),
            st.head_top_k,
            st.head_support_similarity,
            st.head_support_probability,
            st.head_refute_probability,
            st.head_rule_conflicts
        );
    Ok(())
}
