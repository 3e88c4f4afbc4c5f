//! `veracity train propaganda`: the committed propaganda heads
//! (`models/heads/propaganda.json`), fitted on all PTC training articles,
//! with held-out cross-validation figures in their provenance.

use std::path::PathBuf;

use crate::embed::{self, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::eval::propaganda::{
    load_ptc_embedded, metrics_json, parse_features, print_metrics, FitArgs,
};
use crate::heads::provenance::{DataFile, Provenance};
use crate::propaganda::fit::{cross_validate, evaluate, fit, prepare, Prepared};
use crate::propaganda::{ModelFile, PropagandaModel, MODEL_FORMAT};
use crate::Result;

/// Train the propaganda heads on PTC.
#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TrainPropagandaArgs {
    /// PTC folder (train-articles/ and train-task2-TC.labels).
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR"))]
    pub ptc: PathBuf,
    /// Where to write the heads.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            default_value = "models/heads/propaganda.json",
            value_name = "FILE"
        )
    )]
    pub out: PathBuf,
    /// Folds of the cross-validation whose held-out figures go into the provenance (0 = skip).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5, value_name = "K"))]
    pub cv_folds: usize,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub fit: FitArgs,
}

pub fn run(models: &EncoderOptions, a: &TrainPropagandaArgs, invocation: &[String]) -> Result<()> {
    let cfg = parse_features(&a.fit.features)?;
    if cfg.exemplars {
        bail!("the feature group 'exemplars' is for evaluation only (a model would have to carry every training embedding); drop it from --features");
    }
    let opts = a.fit.options();
    let readout = a.fit.readout();
    let enc = embed::load_encoder_with(models, readout)?;
    let (corpus, arts) = load_ptc_embedded(
        &models.resolve.home,
        enc.as_ref(),
        &a.ptc,
        a.fit.cache.as_deref(),
        cfg.tokens,
    )?;
    eprintln!(
        "PTC: {} articles, {} sentences, {} spans",
        arts.len(),
        arts.iter().map(|x| x.texts.len()).sum::<usize>(),
        corpus.spans
    );
    let cv = if a.cv_folds >= 2 {
        eprintln!("cross-validating ({} folds)…", a.cv_folds);
        Some(cross_validate(
            &arts,
            a.cv_folds,
            &cfg,
            &opts,
            a.fit.inner_folds,
            a.fit.repetition_cosine,
            |f| eprintln!("  fold {f}/{} done", a.cv_folds),
        )?)
    } else {
        None
    };
    eprintln!("fitting on all {} articles…", arts.len());
    let prepared = prepare(&arts, &cfg);
    let refs: Vec<&Prepared> = prepared.iter().collect();
    let mut fitted = fit(&refs, &cfg, &opts, a.fit.inner_folds)?;
    fitted.repetition_cosine = a.fit.repetition_cosine;
    fitted.round_weights();
    let train_m = evaluate(&fitted, &refs)?;
    let command = crate::train::reproducible_command(invocation, &[]);
    let data = corpus
        .files
        .iter()
        .map(|(p, h)| DataFile::path(p, h))
        .collect();
    let provenance = Provenance::new(&command, data)
        .with("articles", arts.len())?
        .with("spans", corpus.spans)?
        .with("skipped_records", corpus.skipped.len())?
        .with("split", format!("all {} PTC training articles; thresholds and Platt calibration from {}-fold out-of-fold predictions grouped by article", arts.len(), a.fit.inner_folds))?
        .with("seed", a.fit.seed)?
        .with("options", opts)?
        .with("features", cfg.describe())?
        .with("metrics_train", metrics_json(&train_m))?
        .with(
            "metrics_cv",
            cv.as_ref().map(|c| serde_json::json!({"folds": c.folds, "held_out": metrics_json(&c.held_out)})),
        )?
        .into_value();
    let file = ModelFile {
        format: MODEL_FORMAT.to_string(),
        encoder: enc.name().to_string(),
        dims: enc.dims(),
        readout,
        fitted,
        provenance,
    };
    PropagandaModel::new(file.clone())?;
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_string(&file)?;
    std::fs::write(&a.out, json + "\n").with_context(|| format!("writing {}", a.out.display()))?;
    println!("wrote {}", a.out.display());
    println!("training-set figures (optimistic):");
    print_metrics(&train_m);
    if let Some(c) = &cv {
        println!("held-out figures ({}-fold CV by article):", c.folds);
        print_metrics(&c.held_out);
    }
    Ok(())
}
