//! `veracity propaganda`, `veracity train propaganda` and
//! `veracity eval propaganda`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use veracity::embed::{CachedEncoder, Encoder, Readout, TokenStates};
use veracity::heads::metrics::Prf;
use veracity::propaganda::data::{load_memes, load_ptc, Corpus};
use veracity::propaganda::features::FeatureConfig;
use veracity::propaganda::fit::{
    cross_validate, evaluate, fit, prepare, CvResult, LabelledArticle, Metrics, Prepared,
};
use veracity::propaganda::train::TrainOptions;
use veracity::propaganda::{
    ModelFile, PropagandaModel, PropagandaReport, MODEL_FORMAT, N_TECHNIQUES, TECHNIQUES,
};

use super::GlobalArgs;

/// Score one article for propaganda techniques.
#[derive(Debug, Args)]
pub struct PropagandaArgs {
    /// Article to score (.txt, .md, .html, .json); `-` reads standard input.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Use this heads file instead of the built-in model (from `veracity train propaganda`).
    #[arg(long, value_name = "FILE")]
    pub heads: Option<PathBuf>,
}

fn load_model(heads: Option<&Path>) -> anyhow::Result<PropagandaModel> {
    Ok(match heads {
        Some(p) => PropagandaModel::load(p)?,
        None => PropagandaModel::load_default()?,
    })
}

pub fn run(g: &GlobalArgs, a: &PropagandaArgs) -> anyhow::Result<ExitCode> {
    let article = veracity::text::read_article(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let model = load_model(a.heads.as_deref())?;
    let enc = g.encoder_with(model.readout())?;
    let report = model
        .analyze(enc.as_ref(), &article.text)
        .with_context(|| format!("scoring {}", a.file.display()))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report, article.title.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Plain-text rendering of a report.
pub fn write_text(
    out: &mut impl Write,
    r: &PropagandaReport,
    title: Option<&str>,
) -> std::io::Result<()> {
    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        writeln!(out, "{t}")?;
    }
    writeln!(
        out,
        "Propaganda score: {:.0}%   risk: {}   confidence: {:.2}",
        r.score, r.risk, r.confidence
    )?;
    writeln!(out, "{}", r.summary)?;
    if r.techniques.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Techniques:")?;
    for t in &r.techniques {
        writeln!(
            out,
            "  {} — {} sentence{} ({:.0}%)",
            t.name,
            t.count,
            if t.count == 1 { "" } else { "s" },
            100.0 * t.share
        )?;
        for &i in &t.sentences {
            let s = &r.sentences[i];
            let sc = s
                .techniques
                .iter()
                .find(|x| x.name == t.name)
                .map(|x| x.score)
                .unwrap_or(0.0);
            writeln!(
                out,
                "    [{}] ({:.2}) {}",
                s.index + 1,
                sc,
                clip(&s.text, 160)
            )?;
        }
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// Options shared by training and evaluation on PTC.
#[derive(Debug, Args, Clone)]
pub struct FitArgs {
    /// Random seed for fold assignment, shuffling and initialisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Inner folds used to calibrate the heads and pick thresholds.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub inner_folds: usize,
    /// Training epochs over the sentences.
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    /// Networks per cross-fitting fold, from different initialisations, their
    /// logits averaged (the model file grows with it).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub bags: usize,
    /// Epochs of the token heads (feature group `tokens`).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub token_epochs: usize,
    /// Hidden units of the token heads (feature group `tokens`; 0 = logistic).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub token_hidden: usize,
    /// Hidden units of the shared layer under the heads (0 = logistic heads).
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// AdamW weight decay (decoupled; 1.0 shrinks the weights by about a
    /// third over a default run).
    #[arg(long, default_value_t = 1.0)]
    pub weight_decay: f64,
    /// Feature groups: comma-separated from context, article, repetition, length, lexical, stack, lexicon, spans, tokens, prototypes, exemplars (evaluation only); `none` = embedding only.
    #[arg(long, default_value = "length,lexicon,repetition,tokens,prototypes")]
    pub features: String,
    /// Cosine at which two sentences of an article count as repeats for the
    /// repetition rule (0 = off).
    #[arg(long, default_value_t = 0.9, value_name = "COS")]
    pub repetition_cosine: f32,
    /// Do not up-weight positive sentences (pos_weight = sqrt(neg/pos) per head).
    #[arg(long)]
    pub no_pos_weight: bool,
    /// Embedding cache file (default: <home>/cache/propaganda-embeddings-<encoder>.vec).
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// Also read out this earlier encoder layer (1-based) in the same pass and
    /// give the heads both representations (0 = the last layer only).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub with_layer: usize,
}

impl FitArgs {
    /// The encoder readout the heads are trained on.
    fn readout(&self) -> Readout {
        Readout {
            with_layer: Some(self.with_layer).filter(|&n| n > 0),
            ..Readout::default()
        }
    }

    fn options(&self) -> TrainOptions {
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
pub fn parse_features(s: &str) -> anyhow::Result<FeatureConfig> {
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
            "all" => {
                c = FeatureConfig {
                    context: true,
                    article: true,
                    repetition: true,
                    length: true,
                    lexical: true,
                    stack: true,
                    lexicon: true,
                    spans: true,
                    tokens: true,
                    prototypes: true,
                    exemplars: true,
                }
            }
            other => bail!(
                "unknown feature group '{other}'; use context, article, repetition, length, lexical, stack, lexicon, spans, tokens, prototypes, exemplars (evaluation only), all or none"
            ),
        }
    }
    Ok(c)
}

/// The embedding cache: `cache`, or one file per encoder (name and readout)
/// under the model home, so that switching readouts never discards another's.
fn cache_path(g: &GlobalArgs, enc: &dyn Encoder, cache: Option<&Path>) -> PathBuf {
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
        g.resolve_options()
            .home
            .join("cache")
            .join(format!("propaganda-embeddings-{name}.vec"))
    })
}

/// Open the persistent embedding cache around `enc`.
fn open_cache<'a>(
    g: &GlobalArgs,
    enc: &'a dyn Encoder,
    cache: Option<&Path>,
) -> anyhow::Result<CachedEncoder<'a>> {
    let path = cache_path(g, enc, cache);
    CachedEncoder::with_file(enc, &path)
        .with_context(|| format!("opening the embedding cache {}", path.display()))
}

/// Embed many texts (through the cache), with a progress bar.
fn embed_all(cached: &CachedEncoder, texts: &[&str]) -> anyhow::Result<HashMap<String, Vec<f32>>> {
    let mut uniq: Vec<&str> = texts.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let pb = super::progress::bar(uniq.len() as u64, "embedding", "sentences");
    let mut map = HashMap::with_capacity(uniq.len());
    for chunk in uniq.chunks(256) {
        let vs = cached.embed(chunk).context("embedding sentences")?;
        for (t, v) in chunk.iter().zip(vs) {
            map.insert(t.to_string(), v);
        }
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
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
fn token_states(enc: &dyn Encoder, corpus: &Corpus) -> anyhow::Result<Vec<Vec<TokenStates>>> {
    let n: usize = corpus.articles.iter().map(|a| a.sentences.len()).sum();
    let pb = super::progress::bar(n as u64, "token states", "sentences");
    let mut out = Vec::with_capacity(corpus.articles.len());
    for a in &corpus.articles {
        let texts: Vec<&str> = a.sentences.iter().map(|s| s.text.as_str()).collect();
        let ts = enc
            .embed_tokens(&texts)
            .context("computing token states")?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the token heads need token states, which the {} engine does not give; use --backend native",
                    enc.backend()
                )
            })?;
        pb.inc(texts.len() as u64);
        out.push(ts);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// Load PTC and embed its sentences (and compute their token states when
/// `tokens`).
fn load_ptc_embedded(
    g: &GlobalArgs,
    enc: &dyn Encoder,
    dir: &Path,
    cache: Option<&Path>,
    tokens: bool,
) -> anyhow::Result<(Corpus, Vec<LabelledArticle>)> {
    let corpus = load_ptc(dir).with_context(|| format!("loading PTC from {}", dir.display()))?;
    report_skipped("PTC", &corpus.skipped);
    let texts: Vec<&str> = corpus
        .articles
        .iter()
        .flat_map(|a| a.sentences.iter().map(|s| s.text.as_str()))
        .collect();
    let cached = open_cache(g, enc, cache)?;
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

/// Train the propaganda heads on PTC.
#[derive(Debug, Args)]
pub struct TrainPropagandaArgs {
    /// PTC folder (train-articles/ and train-task2-TC.labels).
    #[arg(long, value_name = "DIR")]
    pub ptc: PathBuf,
    /// Where to write the heads.
    #[arg(
        long,
        default_value = "models/heads/propaganda.json",
        value_name = "FILE"
    )]
    pub out: PathBuf,
    /// Folds of the cross-validation whose held-out figures go into the provenance (0 = skip).
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub cv_folds: usize,
    #[command(flatten)]
    pub fit: FitArgs,
}

fn metrics_json(m: &Metrics) -> serde_json::Value {
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

pub fn run_train(g: &GlobalArgs, a: &TrainPropagandaArgs) -> anyhow::Result<ExitCode> {
    let cfg = parse_features(&a.fit.features)?;
    if cfg.exemplars {
        bail!("the feature group 'exemplars' is for evaluation only (a model would have to carry every training embedding); drop it from --features");
    }
    let opts = a.fit.options();
    let readout = a.fit.readout();
    let enc = g.encoder_with(readout)?;
    let (corpus, arts) =
        load_ptc_embedded(g, enc.as_ref(), &a.ptc, a.fit.cache.as_deref(), cfg.tokens)?;
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
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let provenance = serde_json::json!({
        "data": corpus.files.iter().map(|(p, h)| serde_json::json!({"path": p.display().to_string(), "sha256": h})).collect::<Vec<_>>(),
        "articles": arts.len(),
        "spans": corpus.spans,
        "skipped_records": corpus.skipped.len(),
        "split": format!("all {} PTC training articles; thresholds and Platt calibration from {}-fold out-of-fold predictions grouped by article", arts.len(), a.fit.inner_folds),
        "seed": a.fit.seed,
        "options": opts,
        "features": cfg.describe(),
        "command": command,
        "metrics_train": metrics_json(&train_m),
        "metrics_cv": cv.as_ref().map(|c| serde_json::json!({"folds": c.folds, "held_out": metrics_json(&c.held_out)})),
    });
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
    Ok(ExitCode::SUCCESS)
}

/// Evaluate propaganda scoring on PTC (cross-validation) or meme texts.
#[derive(Debug, Args)]
pub struct EvalPropagandaArgs {
    /// PTC folder: k-fold cross-validation grouped by article.
    #[arg(long, value_name = "DIR", required_unless_present = "memes")]
    pub ptc: Option<PathBuf>,
    /// SemEval-2021 Task 6 folder or *_task1.json file: score the built-in (or --heads) model on meme texts.
    #[arg(long, value_name = "PATH")]
    pub memes: Option<PathBuf>,
    /// Number of outer folds.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// Also cross-validate the plain baseline: logistic heads on the encoder's
    /// vectors alone, no pos_weight (the baseline, the sentence
    /// embedding, needs --with-layer 0 too).
    #[arg(long)]
    pub baseline: bool,
    /// Extra feature configurations to compare, `;`-separated (e.g. "none;context,article");
    /// a configuration ending in `+rule` also applies the repetition rule.
    #[arg(long, value_name = "LIST")]
    pub compare: Option<String>,
    /// Heads file for --memes (default: the built-in model).
    #[arg(long, value_name = "FILE")]
    pub heads: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fit: FitArgs,
}

fn print_metrics(m: &Metrics) {
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
    for (t, p) in TECHNIQUES.iter().zip(&m.techniques) {
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

pub fn run_eval(g: &GlobalArgs, a: &EvalPropagandaArgs) -> anyhow::Result<ExitCode> {
    let mut out = serde_json::Map::new();
    if let Some(dir) = &a.ptc {
        let enc = g.encoder_with(a.fit.readout())?;
        let tokens = std::iter::once(a.fit.features.as_str())
            .chain(a.compare.iter().flat_map(|s| s.split(';')))
            .any(|f| parse_features(f.trim_end_matches("+rule")).is_ok_and(|c| c.tokens));
        let (_corpus, arts) =
            load_ptc_embedded(g, enc.as_ref(), dir, a.fit.cache.as_deref(), tokens)?;
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
        let enc = g.encoder_with(model.readout())?;
        let m = eval_memes(g, enc.as_ref(), &model, p, a.fit.cache.as_deref(), !a.json)?;
        out.insert("memes".into(), m);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(out))?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Meme texts: each text is scored as a short article with one sentence per
/// non-empty line; a text is detected as persuasive when any line carries a
/// technique. Gold: any of the mapped PTC techniques (and, separately, any label).
fn eval_memes(
    g: &GlobalArgs,
    enc: &dyn Encoder,
    model: &PropagandaModel,
    path: &Path,
    cache: Option<&Path>,
    print: bool,
) -> anyhow::Result<serde_json::Value> {
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
    let cached = open_cache(g, enc, cache)?;
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
        for (t, p) in TECHNIQUES.iter().zip(&per) {
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
