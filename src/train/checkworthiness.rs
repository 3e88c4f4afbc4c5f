//! `veracity train checkworthiness`: the committed check-worthiness head
//! (`models/heads/checkworthiness.json`), trained on ClaimBuster (and other
//! labelled files), reproducibly from its seed.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::claims::features;
use crate::claims::train::{compact, fit, TrainOptions};
use crate::embed::{self, Encoder, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::eval::checkworthiness::{embed_in_order, prf_json, print_prf, split_parts};
use crate::eval::data::checkworthiness::{self as data, Labeled};
use crate::heads::provenance::{DataFile, Provenance};
use crate::metrics::prf;
use crate::Result;

#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TrainArgs {
    /// Labelled file (ClaimBuster CSV, CheckThat! 2019 CSV or 2020 TSV); repeat for more.
    #[cfg_attr(feature = "cli", arg(long, required = true, value_name = "FILE"))]
    pub data: Vec<PathBuf>,
    /// Where to write the head (JSON).
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            default_value = "models/heads/checkworthiness.json",
            value_name = "FILE"
        )
    )]
    pub out: PathBuf,
    /// Seed for weight initialisation and mini-batch order.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 42))]
    pub seed: u64,
    /// Hidden units of the MLP; 0 trains a logistic regression.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub hidden: usize,
    /// Leave out the cue features (embedding only).
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_cues: bool,
    /// Leave out the embedding (cue features only).
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_embedding: bool,
    /// Learning rate of AdamW.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1e-3))]
    pub lr: f64,
    /// Weight decay of AdamW.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1e-2))]
    pub weight_decay: f64,
    /// Maximum epochs (training stops earlier when validation loss stops improving).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 200))]
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 15))]
    pub patience: usize,
    /// Mini-batch size.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub batch: usize,
    /// Dropout rate on the hidden layer during training.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0))]
    pub dropout: f64,
    /// Train this many members (seeds seed, seed+1, ...) and average their logits.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3))]
    pub ensemble: usize,
    /// Embedding cache file (created when absent), so that re-runs do not re-embed.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
}

pub fn run(models: &EncoderOptions, a: &TrainArgs, invocation: &[String]) -> Result<()> {
    if a.no_cues && a.no_embedding {
        bail!("--no-cues and --no-embedding together leave no input; drop one of them");
    }
    let mut datasets = Vec::new();
    for p in &a.data {
        let d = data::load(p).with_context(|| format!("loading {}", p.display()))?;
        eprintln!(
            "{}: {} sentences ({} check-worthy){}",
            p.display(),
            d.rows.len(),
            d.rows.iter().filter(|r| r.label).count(),
            if d.skipped > 0 {
                format!(", {} malformed rows skipped", d.skipped)
            } else {
                String::new()
            }
        );
        datasets.push(d);
    }
    let parts = split_parts(&datasets);
    if parts.val.is_empty() {
        bail!("no ClaimBuster-format file among --data: training needs one for the validation fold (header sentence_id,screening,label,text)");
    }
    eprintln!(
        "split: train {} (incl. other data), validation {}, held-out {} (never used for training){}",
        parts.train.len(),
        parts.val.len(),
        parts.heldout.len(),
        if parts.leaked > 0 {
            format!("; {} non-ClaimBuster rows dropped because their text is held out", parts.leaked)
        } else {
            String::new()
        }
    );
    let enc = embed::load_encoder(models)?;
    let cache = crate::eval::cached(enc.as_ref(), a.cache.as_deref())?;
    let enc: &dyn Encoder = &cache;
    let opts = TrainOptions {
        hidden: a.hidden,
        use_embedding: !a.no_embedding,
        use_cues: !a.no_cues,
        max_epochs: a.epochs,
        patience: a.patience,
        batch: a.batch,
        lr: a.lr,
        weight_decay: a.weight_decay,
        dropout: a.dropout,
        ensemble: a.ensemble,
        seed: a.seed,
    };
    // Embed every distinct text once.
    let all: Vec<&Labeled> = parts
        .train
        .iter()
        .chain(&parts.val)
        .chain(&parts.heldout)
        .copied()
        .collect();
    let mut uniq: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for r in &all {
        if seen.insert(r.text.as_str()) {
            uniq.push(r.text.as_str());
        }
    }
    let embs: HashMap<&str, Vec<f32>> = if opts.use_embedding {
        uniq.iter()
            .copied()
            .zip(embed_in_order(enc, &uniq)?)
            .collect()
    } else {
        HashMap::new()
    };
    let empty = Vec::new();
    let input = |r: &Labeled| -> Vec<f32> {
        let mut v = Vec::new();
        if opts.use_embedding {
            v.extend_from_slice(embs.get(r.text.as_str()).unwrap_or(&empty));
        }
        if opts.use_cues {
            v.extend(features::cues(&r.text));
        }
        v
    };
    let xs = |rows: &[&Labeled]| -> (Vec<Vec<f32>>, Vec<bool>) {
        (
            rows.iter().map(|r| input(r)).collect(),
            rows.iter().map(|r| r.label).collect(),
        )
    };
    let (xt, yt) = xs(&parts.train);
    let (xv, yv) = xs(&parts.val);
    let (xh, yh) = xs(&parts.heldout);
    eprintln!(
        "training {} on {} inputs per sentence...",
        if opts.hidden == 0 {
            "logistic regression".to_string()
        } else {
            format!("MLP ({} hidden units)", opts.hidden)
        },
        xt.first().map_or(0, Vec::len)
    );
    let (mut head, report) = fit(
        enc.name(),
        enc.dims(),
        &xt,
        &yt,
        &xv,
        &yv,
        &opts,
        serde_json::Value::Null,
    )?;
    compact(&mut head);
    let t = head.threshold;
    let m_train = prf(&head.score_inputs(&xt)?, &yt, t);
    let m_val = prf(&head.score_inputs(&xv)?, &yv, t);
    let m_held = prf(&head.score_inputs(&xh)?, &yh, t);
    let mut files = Vec::new();
    for d in &datasets {
        files.push(
            DataFile::file(&d.path)?
                .with("rows", d.rows.len())?
                .with("skipped", d.skipped)?,
        );
    }
    let command = crate::train::reproducible_command(invocation, &[]);
    head.provenance = Provenance::new(&command, files)
        .versioned()
        .with("split_rule", data::SPLIT_RULE)?
        .with("seed", a.seed)?
        .with("options", &opts)?
        .with("epochs_run", report.epochs_run)?
        .with("best_epoch", report.best_epoch)?
        .with("threshold_chosen_on", "validation fold, maximising F1")?
        .with(
            "sentences",
            serde_json::json!({"train": xt.len(), "validation": xv.len(), "held_out": xh.len(), "dropped_as_held_out": parts.leaked}),
        )?
        .with(
            "metrics",
            serde_json::json!({
                "train": prf_json(&m_train),
                "validation": prf_json(&m_val),
                "held_out": prf_json(&m_held),
            }),
        )?
        .into_value();
    let json = serde_json::to_string(&head)?;
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&a.out, json + "\n").with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "epochs: {} (best {}), threshold {:.4} (validation)",
        report.epochs_run, report.best_epoch, t
    );
    print_prf("train part (seen in training):", &m_train);
    print_prf("validation (threshold chosen):", &m_val);
    print_prf("held-out ClaimBuster:", &m_held);
    println!("wrote {}", a.out.display());
    Ok(())
}
