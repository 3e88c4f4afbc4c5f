//! `veracity eval propaganda`: k-fold cross-validation on PTC grouped by
//! article, feature-group comparisons, and the built-in model on meme texts;
//! with the fitting options and PTC loading that `veracity train
//! propaganda` shares.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::embed::{self, CachedEncoder, Encoder, EncoderOptions, Readout, TokenStates};
use crate::error::{bail, ResultExt};
use crate::eval::data::propaganda::{load_memes, load_ptc, Corpus};
use crate::metrics::Prf;
use crate::propaganda::features::FeatureConfig;
use crate::propaganda::fit::{cross_validate, CvResult, LabelledArticle, Metrics};
use crate::propaganda::train::TrainOptions;
use crate::propaganda::{PropagandaModel, N_TECHNIQUES, TECHNIQUES};
use crate::{Error, Result};

fn load_model(heads: Option<&Path>) -> Result<PropagandaModel> {
    Ok(match heads {
        Some(p) => PropagandaModel::load(p)?,
        None => PropagandaModel::load_default()?,
    })
}

/// Options shared by training and evaluation on PTC.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct FitArgs {
    /// Random seed for fold assignment, shuffling and initialisation.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 42))]
    pub seed: u64,
    /// Inner folds used to calibrate the heads and pick thresholds.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3, value_name = "K"))]
    pub inner_folds: usize,
    /// Training epochs over the sentences.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 12))]
    pub epochs: usize,
    /// Networks per cross-fitting fold, from different initialisations, their
    /// logits averaged (the model file grows with it).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3, value_name = "N"))]
    pub bags: usize,
    /// Epochs of the token heads (feature group `tokens`).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 2, value_name = "N"))]
    pub token_epochs: usize,
    /// Hidden units of the token heads (feature group `tokens`; 0 = logistic).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0, value_name = "N"))]
    pub token_hidden: usize,
    /// Hidden units of the shared layer under the heads (0 = logistic heads).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub hidden: usize,
    /// AdamW learning rate.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1e-3))]
    pub lr: f64,
    /// AdamW weight decay (decoupled; 1.0 shrinks the weights by about a
    /// third over a default run).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1.0))]
    pub weight_decay: f64,
    /// Feature groups: comma-separated from repetition, length, lexicon, tokens, prototypes (the shipped ones) and, in a build with `--features experiments`, context, article, lexical, stack, spans, exemplars (evaluation only); `none` = embedding only.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "length,lexicon,repetition,tokens,prototypes")
    )]
    pub features: String,
    /// Cosine at which two sentences of an article count as repeats for the
    /// repetition rule (0 = off).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.9, value_name = "COS"))]
    pub repetition_cosine: f32,
    /// Do not up-weight positive sentences (pos_weight = sqrt(neg/pos) per head).
    #[cfg_attr(feature = "cli", arg(long))]
    pub no_pos_weight: bool,
    /// Embedding cache file (default: `<home>/cache/propaganda-embeddings-<encoder>.vec`).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
    /// Also read out this earlier encoder layer (1-based) in the same pass and
    /// give the heads both representations (0 = the last layer only).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 3, value_name = "N"))]
    pub with_layer: usize,
}

impl FitArgs {
    /// The encoder readout the heads are trained on.
    pub(crate) fn readout(&self) -> Readout {
        Readout {
            with_layer: Some(self.with_layer).filter(|&n| n > 0),
            ..Readout::default()
        }
    }

    pub(crate) fn options(&self) -> TrainOptions {
        TrainOptions {
            epochs: self.epochs,
            hidden: self.hidden,
            lr: self.lr,
            weight_decay: self.weight_decay,
            pos_weight: !self.no_pos_weight,
            seed: self.seed,
            bags: self.bags.max(1),
            token_epochs: self.token_epochs.max(1),
            token_hidden: self.token_hidden,
            ..TrainOptions::default()
        }
    }
}

/// Parse a feature list such as `context,article`.
pub fn parse_features(s: &str) -> Result<FeatureConfig> {
    let mut c = FeatureConfig::BASELINE;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "none" | "emb" => {}
            "context" => c.context = true,
            "article" => c.article = true,
            "repetition" => c.repetition = true,
            "length" => c.length = true,
            "lexical" => c.lexical = true,
            "stack" => c.stack = true,
            "lexicon" => c.lexicon = true,
            "spans" => c.spans = true,
            "tokens" => c.tokens = true,
            "prototypes" => c.prototypes = true,
            "exemplars" => c.exemplars = true,
            "all" => c = FeatureConfig::ALL,
            other => bail!(
                "unknown feature group '{other}'; use context, article, repetition, length, lexical, stack, lexicon, spans, tokens, prototypes, exemplars (evaluation only), all or none"
            ),
        }
    }
    Ok(c)
}

/// The embedding cache: `cache`, or one file per encoder (name and readout)
/// under the model home, so that switching readouts never discards another's.
fn cache_path(home: &Path, enc: &dyn Encoder, cache: Option<&Path>) -> PathBuf {
    cache.map(Path::to_path_buf).unwrap_or_else(|| {
        let name: String = enc
            .name()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "+-.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        home.join("cache")
            .join(format!("propaganda-embeddings-{name}.vec"))
    })
}

/// Open the persistent embedding cache around `enc`.
fn open_cache<'a>(
    home: &Path,
    enc: &'a dyn Encoder,
    cache: Option<&Path>,
) -> Result<CachedEncoder<'a>> {
    super::cached(enc, Some(&cache_path(home, enc, cache)))
}

/// Embed many texts through the cache, and write the cache out.
fn embed_all(cached: &CachedEncoder, texts: &[&str]) -> Result<HashMap<String, Vec<f32>>> {
    let map = super::embed_all(cached, texts).context("embedding sentences")?;
    cached.flush()?;
    Ok(map)
}

fn report_skipped(what: &str, skipped: &[String]) {
    for s in skipped {
        eprintln!("warning: skipped {s}");
    }
    if !skipped.is_empty() {
        eprintln!("{what}: {} malformed record(s) skipped", skipped.len());
    }
}

/// Token states of every sentence of every article (for the token heads),
/// with a progress bar; not cached (about 3 KB per token).
fn token_states(enc: &dyn Encoder, corpus: &Corpus) -> Result<Vec<Vec<TokenStates>>> {
    let n: usize = corpus.articles.iter().map(|a| a.sentences.len()).sum();
    let pb = crate::progress::bar(n as u64, "token states", "sentences");
    let mut out = Vec::with_capacity(corpus.articles.len());
    for a in &corpus.articles {
        let texts: Vec<&str> = a.sentences.iter().map(|s| s.text.as_str()).collect();
        let ts = enc
            .embed_tokens(&texts)
            .context("computing token states")?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "the token heads need token states, which the {} engine does not give; use the native backend",
                    enc.backend()
                ))
            })?;
        pb.inc(texts.len() as u64);
        out.push(ts);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// Load PTC and embed its sentences (and compute their token states when
/// `tokens`).
pub(crate) fn load_ptc_embedded(
    home: &Path,
    enc: &dyn Encoder,
    dir: &Path,
    cache: Option<&Path>,
    tokens: bool,
) -> Result<(Corpus, Vec<LabelledArticle>)> {
    let corpus = load_ptc(dir).with_context(|| format!("loading PTC from {}", dir.display()))?;
    report_skipped("PTC", &corpus.skipped);
    let texts: Vec<&str> = corpus
        .articles
        .iter()
        .flat_map(|a| a.sentences.iter().map(|s| s.text.as_str()))
        .collect();
    let cached = open_cache(home, enc, cache)?;
    // Token states first: their pass also fills the embedding cache, so the
    // embeddings then cost no second pass.
    let mut states = if tokens {
        token_states(&cached, &corpus)?
    } else {
        Vec::new()
    }
    .into_iter();
    let map = embed_all(&cached, &texts)?;
    let arts = corpus
        .articles
        .iter()
        .map(|a| LabelledArticle {
            id: a.id.clone(),
            embs: a.sentences.iter().map(|s| map[&s.text].clone()).collect(),
            texts: a.sentences.iter().map(|s| s.text.clone()).collect(),
            labels: a.sentences.iter().map(|s| s.labels).collect(),
            spans: a.sentences.iter().map(|s| s.spans.clone()).collect(),
            tokens: states.next().unwrap_or_default(),
        })
        .collect();
    Ok((corpus, arts))
}

pub(crate) fn metrics_json(m: &Metrics) -> serde_json::Value {
    let per: serde_json::Map<String, serde_json::Value> = TECHNIQUES
        .iter()
        .zip(&m.techniques)
        .map(|(t, p)| (t.name.to_string(), serde_json::json!(round(p.f1()))))
        .collect();
    serde_json::json!({
        "articles": m.articles,
        "sentences": m.sentences,
        "sentence_precision": round(m.sentence.precision()),
        "sentence_recall": round(m.sentence.recall()),
        "sentence_f1": round(m.sentence.f1()),
        "technique_micro_f1": round(m.micro.f1()),
        "technique_f1": per,
        "article_spearman": round(m.spearman),
        "article_pearson": round(m.pearson),
        "article_share_mae": round(m.share_mae),
        "confidence_vs_error_spearman": round(m.confidence_spearman),
    })
}

fn round(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

/// Evaluate propaganda scoring on PTC (cross-validation) or meme texts.
#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct EvalPropagandaArgs {
    /// PTC folder: k-fold cross-validation grouped by article.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "DIR", required_unless_present = "memes")
    )]
    pub ptc: Option<PathBuf>,
    /// SemEval-2021 Task 6 folder or *_task1.json file: score the built-in (or --heads) model on meme texts.
    #[cfg_attr(feature = "cli", arg(long, value_name = "PATH"))]
    pub memes: Option<PathBuf>,
    /// Number of outer folds.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5, value_name = "K"))]
    pub folds: usize,
    /// Also cross-validate the plain baseline: logistic heads on the encoder's
    /// vectors alone, no pos_weight (the baseline, the sentence
    /// embedding, needs --with-layer 0 too).
    #[cfg_attr(feature = "cli", arg(long))]
    pub baseline: bool,
    /// Extra feature configurations to compare, `;`-separated (e.g. "none;context,article");
    /// a configuration ending in `+rule` also applies the repetition rule.
    #[cfg_attr(feature = "cli", arg(long, value_name = "LIST"))]
    pub compare: Option<String>,
    /// Heads file for --memes (default: the built-in model).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub heads: Option<PathBuf>,
    /// Print results as JSON.
    #[cfg_attr(feature = "cli", arg(long))]
    pub json: bool,
    #[cfg_attr(feature = "cli", command(flatten))]
    pub fit: FitArgs,
}

/// One line per technique: precision, recall, F1 and gold count.
fn print_techniques(per: &[Prf]) {
    for (t, p) in TECHNIQUES.iter().zip(per) {
        println!(
            "    {:<36} P {:.3}  R {:.3}  F1 {:.3}  (gold {})",
            t.name,
            p.precision(),
            p.recall(),
            p.f1(),
            p.tp + p.fn_
        );
    }
}

pub(crate) fn print_metrics(m: &Metrics) {
    println!("  articles {}  sentences {}", m.articles, m.sentences);
    println!(
        "  sentence  P {:.3}  R {:.3}  F1 {:.3}",
        m.sentence.precision(),
        m.sentence.recall(),
        m.sentence.f1()
    );
    println!(
        "  technique micro  P {:.3}  R {:.3}  F1 {:.3}",
        m.micro.precision(),
        m.micro.recall(),
        m.micro.f1()
    );
    println!(
        "  article score vs gold share: Spearman {:.3}  Pearson {:.3}  MAE {:.3}  (confidence vs -error Spearman {:.3})",
        m.spearman, m.pearson, m.share_mae, m.confidence_spearman
    );
    print_techniques(&m.techniques);
}

pub fn run(models: &EncoderOptions, a: &EvalPropagandaArgs) -> Result<()> {
    let mut out = serde_json::Map::new();
    if let Some(dir) = &a.ptc {
        let enc = embed::load_encoder_with(models, a.fit.readout())?;
        let tokens = std::iter::once(a.fit.features.as_str())
            .chain(a.compare.iter().flat_map(|s| s.split(';')))
            .any(|f| parse_features(f.trim_end_matches("+rule")).is_ok_and(|c| c.tokens));
        let (_corpus, arts) = load_ptc_embedded(
            &models.resolve.home,
            enc.as_ref(),
            dir,
            a.fit.cache.as_deref(),
            tokens,
        )?;
        let mut runs: Vec<(String, FeatureConfig, TrainOptions, f32)> = Vec::new();
        if a.baseline {
            let mut o = a.fit.options();
            o.pos_weight = false;
            o.hidden = 0;
            runs.push(("baseline".into(), FeatureConfig::BASELINE, o, 0.0));
        }
        for spec in a.compare.iter().flat_map(|s| s.split(';')) {
            // `+rule` appended to a feature list switches the repetition rule on.
            let (spec_f, rep) = match spec.strip_suffix("+rule") {
                Some(f) => (f, a.fit.repetition_cosine),
                None => (spec, 0.0),
            };
            runs.push((
                spec.to_string(),
                parse_features(spec_f)?,
                a.fit.options(),
                rep,
            ));
        }
        runs.push((
            "model".into(),
            parse_features(&a.fit.features)?,
            a.fit.options(),
            a.fit.repetition_cosine,
        ));
        // Every configuration must be available before the first one runs.
        for (_, cfg, _, _) in &runs {
            cfg.check_available()?;
        }
        let mut results: Vec<(String, CvResult)> = Vec::new();
        for (name, cfg, opts, rep) in runs {
            eprintln!(
                "cross-validating '{name}' ({}, {} folds, inner {}, hidden {}, pos_weight {}, repetition rule cosine {rep})…",
                cfg.describe(),
                a.folds,
                a.fit.inner_folds,
                opts.hidden,
                opts.pos_weight
            );
            let t0 = std::time::Instant::now();
            let r = cross_validate(&arts, a.folds, &cfg, &opts, a.fit.inner_folds, rep, |f| {
                eprintln!(
                    "  fold {f}/{} done ({:.0} s)",
                    a.folds,
                    t0.elapsed().as_secs_f64()
                )
            })?;
            if !a.json {
                println!(
                    "== {name}: {} — {}-fold CV over {} PTC articles (grouped by article) ==",
                    r.features, r.folds, r.held_out.articles
                );
                println!("held-out:");
                print_metrics(&r.held_out);
                println!(
                    "train folds: sentence F1 {:.3}, technique micro-F1 {:.3}, article Spearman {:.3}",
                    r.train.sentence.f1(),
                    r.train.micro.f1(),
                    r.train.spearman
                );
            }
            results.push((name, r));
        }
        out.insert(
            "ptc".into(),
            serde_json::Value::Object(
                results
                    .iter()
                    .map(|(n, r)| {
                        (
                            n.clone(),
                            serde_json::json!({"features": r.features, "folds": r.folds,
                                "held_out": metrics_json(&r.held_out), "train": metrics_json(&r.train)}),
                        )
                    })
                    .collect(),
            ),
        );
    }
    if let Some(p) = &a.memes {
        let model = load_model(a.heads.as_deref())?;
        let enc = embed::load_encoder_with(models, model.readout())?;
        let m = eval_memes(
            &models.resolve.home,
            enc.as_ref(),
            &model,
            p,
            a.fit.cache.as_deref(),
            !a.json,
        )?;
        out.insert("memes".into(), m);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(out))?
        );
    }
    Ok(())
}

/// Meme texts: each text is scored as a short article with one sentence per
/// non-empty line; a text is detected as persuasive when any line carries a
/// technique. Gold: any of the mapped PTC techniques (and, separately, any label).
fn eval_memes(
    home: &Path,
    enc: &dyn Encoder,
    model: &PropagandaModel,
    path: &Path,
    cache: Option<&Path>,
    print: bool,
) -> Result<serde_json::Value> {
    let c =
        load_memes(path).with_context(|| format!("loading meme texts from {}", path.display()))?;
    report_skipped("memes", &c.skipped);
    let line_spans = |t: &str| -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        let mut pos = 0;
        for l in t.split('\n') {
            v.push((pos, pos + l.len()));
            pos += l.len() + 1;
        }
        v
    };
    // Warm the cache in one pass.
    let all: Vec<&str> = c
        .texts
        .iter()
        .flat_map(|m| m.text.split('\n').map(str::trim).filter(|l| !l.is_empty()))
        .collect();
    let cached = open_cache(home, enc, cache)?;
    embed_all(&cached, &all)?;
    let mut mapped = Prf::default();
    let mut any = Prf::default();
    let mut per = vec![Prf::default(); N_TECHNIQUES];
    for m in &c.texts {
        let r = model.analyze_spans(&cached, &m.text, &line_spans(&m.text))?;
        let pred_any = !r.techniques.is_empty();
        mapped.add(pred_any, m.labels.iter().any(|&b| b));
        any.add(pred_any, m.labels.iter().any(|&b| b) || m.unmapped > 0);
        for (k, p) in per.iter_mut().enumerate() {
            let pred = r.techniques.iter().any(|t| t.name == TECHNIQUES[k].name);
            p.add(pred, m.labels[k]);
        }
    }
    let mut micro = Prf::default();
    for p in &per {
        micro.tp += p.tp;
        micro.fp += p.fp;
        micro.fn_ += p.fn_;
    }
    if print {
        println!(
            "== memes: {} texts ({} skipped), PTC-trained model, text level ==",
            c.texts.len(),
            c.skipped.len()
        );
        println!(
            "  detection vs mapped techniques: P {:.3}  R {:.3}  F1 {:.3}",
            mapped.precision(),
            mapped.recall(),
            mapped.f1()
        );
        println!(
            "  detection vs any label:         P {:.3}  R {:.3}  F1 {:.3}",
            any.precision(),
            any.recall(),
            any.f1()
        );
        println!(
            "  technique micro (mapped):       P {:.3}  R {:.3}  F1 {:.3}",
            micro.precision(),
            micro.recall(),
            micro.f1()
        );
        print_techniques(&per);
    }
    let per_json: serde_json::Map<String, serde_json::Value> = TECHNIQUES
        .iter()
        .zip(&per)
        .map(|(t, p)| {
            (
                t.name.to_string(),
                serde_json::json!({"f1": round(p.f1()), "gold": p.tp + p.fn_}),
            )
        })
        .collect();
    Ok(serde_json::json!({
        "texts": c.texts.len(),
        "skipped": c.skipped.len(),
        "detection_mapped": {"precision": round(mapped.precision()), "recall": round(mapped.recall()), "f1": round(mapped.f1())},
        "detection_any_label": {"precision": round(any.precision()), "recall": round(any.recall()), "f1": round(any.f1())},
        "technique_micro_f1": round(micro.f1()),
        "techniques": per_json,
    }))
}
