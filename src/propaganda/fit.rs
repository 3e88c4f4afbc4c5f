//! The full fitting procedure (features → standardise → heads → calibration
//! and thresholds from inner out-of-fold predictions) and k-fold
//! cross-validation grouped by article.

use serde::{Deserialize, Serialize};

#[cfg(feature = "experiments")]
use super::exemplars::{Exemplars, LabelledEmbeddings};
use super::exemplars::{PrototypeSums, Prototypes};
use super::features::{article_features, article_features_in, FeatureConfig};
#[cfg(feature = "experiments")]
use super::features::{stack_features, stack_len};
use super::lexicon::{Counts, Lexicon, N_LEXICON};
use super::techniques::N_TECHNIQUES;
use super::tokens::{TokenHeads, N_TOKEN_FEATURES};
use super::train::{fit_net, seeded, Net, Standardizer, TrainOptions, N_HEADS};
use super::PropagandaError;
use super::SentenceSpan;
use crate::embed::TokenStates;
use crate::heads::Platt;
use crate::lang::Language;
use crate::metrics::{best_threshold, pearson, spearman, LastCut, Prf};

/// An article ready for training: sentence embeddings, texts and gold labels.
#[derive(Debug, Clone)]
pub struct LabelledArticle {
    pub id: String,
    pub embs: Vec<Vec<f32>>,
    pub texts: Vec<String>,
    pub labels: Vec<[bool; N_TECHNIQUES]>,
    /// Per sentence, the gold spans overlapping it as (start, end, technique)
    /// in characters of its text (used by the span lexicon and the token
    /// heads; may be empty).
    pub spans: Vec<Vec<SentenceSpan>>,
    /// Per sentence, the encoder's token states (only for the token heads;
    /// empty otherwise).
    pub tokens: Vec<TokenStates>,
}

impl LabelledArticle {
    /// Share of sentences with at least one technique.
    pub fn gold_share(&self) -> f64 {
        if self.labels.is_empty() {
            return 0.0;
        }
        self.labels.iter().filter(|l| l.iter().any(|&b| b)).count() as f64
            / self.labels.len() as f64
    }
}

/// Calibration and decision threshold of one head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadCalibration {
    /// "Propaganda" for head 0, else the technique's display name.
    pub name: String,
    /// Platt scaling: p = sigmoid(a · logit + b).
    pub platt_a: f32,
    pub platt_b: f32,
    /// Calibrated probability at or above which the head fires.
    pub threshold: f32,
    /// F1 of the head on the inner out-of-fold predictions used to pick the threshold.
    pub oof_f1: f64,
}

impl HeadCalibration {
    /// The head's Platt scaling.
    pub fn platt(&self) -> Platt {
        Platt {
            a: self.platt_a,
            b: self.platt_b,
        }
    }
}

/// A fitted model: everything needed to score sentences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fitted {
    pub features: FeatureConfig,
    /// The inner-fold models; a sentence's first-stage logits are their mean.
    pub members: Vec<Member>,
    /// Second stage over first-stage logits (when `features.stack`).
    #[serde(default)]
    pub stage2: Option<Stage2>,
    /// Learned word lexicon (when `features.lexicon`).
    #[serde(default)]
    pub lexicon: Option<Lexicon>,
    /// Learned span lexicon (when `features.spans`).
    #[serde(default)]
    pub span_lexicon: Option<Lexicon>,
    /// Token heads (when `features.tokens`).
    #[serde(default)]
    pub token_heads: Option<TokenHeads>,
    /// Per-head centroids (when `features.prototypes`).
    #[serde(default)]
    pub prototypes: Option<Prototypes>,
    /// The training sentences (when `features.exemplars`; never saved).
    #[cfg(feature = "experiments")]
    #[serde(skip)]
    pub exemplars: Option<Exemplars>,
    /// Cosine for the article-level repetition rule (0 = off).
    #[serde(default)]
    pub repetition_cosine: f32,
    pub heads: Vec<HeadCalibration>,
}

/// One first-stage model (trained on all inner folds but one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub standardizer: Standardizer,
    pub net: Net,
}

/// Second-stage heads over the stacking features (`features::stack_features`,
/// an experiment).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage2 {
    pub standardizer: Standardizer,
    pub net: Net,
}

fn head_name(k: usize) -> String {
    if k == 0 {
        "Propaganda".to_string()
    } else {
        super::techniques::TECHNIQUES[k - 1].name.to_string()
    }
}

/// Targets row for one sentence: head 0 = any technique, then each technique.
fn targets(l: &[bool; N_TECHNIQUES]) -> [f32; N_HEADS] {
    let mut t = [0.0f32; N_HEADS];
    t[0] = if l.iter().any(|&b| b) { 1.0 } else { 0.0 };
    for (k, &b) in l.iter().enumerate() {
        t[k + 1] = if b { 1.0 } else { 0.0 };
    }
    t
}

/// An article with its features computed once (features do not depend on
/// training, so cross-validation reuses them).
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub article: &'a LabelledArticle,
    /// Unstandardised features, sentences × d, row-major.
    pub x: Vec<f32>,
}

/// Compute features for every article.
pub fn prepare<'a>(articles: &'a [LabelledArticle], cfg: &FeatureConfig) -> Vec<Prepared<'a>> {
    articles
        .iter()
        .map(|a| {
            let texts: Vec<&str> = a.texts.iter().map(String::as_str).collect();
            Prepared {
                article: a,
                x: article_features(cfg, &a.embs, &texts).concat(),
            }
        })
        .collect()
}

/// Features (flattened, unstandardised) and targets for a set of articles.
fn design(articles: &[&Prepared]) -> (Vec<f32>, Vec<f32>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for a in articles {
        x.extend_from_slice(&a.x);
        for l in &a.article.labels {
            y.extend_from_slice(&targets(l));
        }
    }
    (x, y)
}

/// Cross-fitting folds of the token heads inside one fit.
pub const TOKEN_FOLDS: usize = 3;

/// Training options of the token heads: over the many token rows, large
/// batches and few epochs; the run's seed and class weighting.
pub fn token_options(opts: &TrainOptions) -> TrainOptions {
    TrainOptions {
        epochs: opts.token_epochs,
        batch: 512,
        lr: 1e-3,
        weight_decay: 1e-2,
        hidden: opts.token_hidden,
        bags: 1,
        ..*opts
    }
}

/// Assign articles to `k` folds after a seeded shuffle; returns fold per article.
pub fn fold_assignment(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    seeded(seed).shuffle(&mut idx);
    let mut fold = vec![0; n];
    for (r, &i) in idx.iter().enumerate() {
        fold[i] = r % k.max(1);
    }
    fold
}

fn train_raw(
    articles: &[&Prepared],
    d: usize,
    opts: &TrainOptions,
) -> Result<(Standardizer, Net), PropagandaError> {
    let (mut x, y) = design(articles);
    if x.is_empty() {
        return Err(PropagandaError::Train("no sentences to train on".into()));
    }
    let st = Standardizer::fit(&x, d);
    st.apply(&mut x);
    let net = fit_net(&x, d, &y, opts)?;
    Ok((st, net))
}

fn raw_logits(st: &Standardizer, net: &Net, a: &Prepared) -> Result<Vec<f32>, PropagandaError> {
    let mut x = a.x.clone();
    st.apply(&mut x);
    net.logits(&x)
}

/// Fit the model on `articles` by `inner_folds`-fold cross-fitting: one
/// model per inner fold, trained on the other folds; calibration and
/// thresholds come from each model's predictions on its left-out fold, and at
/// inference the models' logits are averaged. (Retraining once on everything
/// would give logits on a different scale from the out-of-fold ones the
/// calibration was fitted on.)
pub fn fit(
    articles: &[&Prepared],
    cfg: &FeatureConfig,
    opts: &TrainOptions,
    inner_folds: usize,
) -> Result<Fitted, PropagandaError> {
    cfg.check_available()?;
    let d = cfg.model_len(
        articles
            .iter()
            .find_map(|a| a.article.embs.first())
            .map(Vec::len)
            .unwrap_or(0),
    );
    // Learned lexicons: counts over these articles; each article's own
    // features leave its own counts out.
    let sentence_counts = |a: &Prepared| {
        let texts: Vec<&str> = a.article.texts.iter().map(String::as_str).collect();
        let labels: Vec<[bool; N_HEADS]> = a
            .article
            .labels
            .iter()
            .map(|l| targets(l).map(|v| v > 0.5))
            .collect();
        Counts::article(&texts, &labels)
    };
    #[cfg(feature = "experiments")]
    let span_counts = |a: &Prepared| {
        let texts: Vec<&str> = a.article.texts.iter().map(String::as_str).collect();
        Counts::spans(&texts, &a.article.spans)
    };
    let mut lexicons: Vec<(Vec<Counts>, Counts)> = Vec::new();
    for (on, count) in [
        (
            cfg.lexicon,
            &sentence_counts as &dyn Fn(&Prepared) -> Counts,
        ),
        #[cfg(feature = "experiments")]
        (cfg.spans, &span_counts),
    ] {
        if on {
            let per: Vec<Counts> = articles.iter().map(|a| count(a)).collect();
            let mut total = Counts::default();
            for c in &per {
                total.merge(c);
            }
            lexicons.push((per, total));
        }
    }
    // Token heads: cross-fitted over folds of these articles, so that each
    // article's token features come from heads that never saw it.
    let mut token_heads = None;
    let mut token_feats: Vec<Vec<[f32; N_TOKEN_FEATURES]>> = Vec::new();
    if cfg.tokens {
        let kt = TOKEN_FOLDS;
        let folds = fold_assignment(articles.len(), kt, opts.seed.wrapping_add(7));
        token_feats = vec![Vec::new(); articles.len()];
        let mut members = Vec::with_capacity(kt);
        for f in 0..kt {
            let mut sentences = Vec::new();
            for (a, &g) in articles.iter().zip(&folds) {
                if g == f {
                    continue;
                }
                let a = a.article;
                if a.tokens.len() != a.texts.len() || a.spans.len() != a.texts.len() {
                    return Err(PropagandaError::Train(format!(
                        "article {} has no token states or spans for the token heads",
                        a.id
                    )));
                }
                sentences.extend(a.tokens.iter().zip(a.spans.iter().map(Vec::as_slice)));
            }
            let mut topts = token_options(opts);
            topts.seed = topts.seed.wrapping_add(f as u64);
            let m = TokenHeads::train_member(&sentences, &topts)?;
            for (i, (a, &g)) in articles.iter().zip(&folds).enumerate() {
                if g == f {
                    token_feats[i] = a
                        .article
                        .tokens
                        .iter()
                        .map(|ts| TokenHeads::features_with(&[&m], ts))
                        .collect::<Result<_, _>>()?;
                }
            }
            members.push(m);
        }
        token_heads = Some(TokenHeads { members });
    }
    // Similarity to labelled training sentences, each article's own left out.
    let head_labels = |a: &LabelledArticle| -> Vec<[bool; N_HEADS]> {
        a.labels
            .iter()
            .map(|l| targets(l).map(|v| v > 0.5))
            .collect()
    };
    let mut sim_feats: Vec<Vec<Vec<f32>>> = vec![Vec::new(); articles.len()];
    let mut prototypes = None;
    if cfg.prototypes {
        let per: Vec<PrototypeSums> = articles
            .iter()
            .map(|a| PrototypeSums::article(&a.article.embs, &head_labels(a.article)))
            .collect();
        let mut total = PrototypeSums::default();
        for p in &per {
            total.add(p, 1.0);
        }
        for (i, a) in articles.iter().enumerate() {
            let mut own_out = total.clone();
            own_out.add(&per[i], -1.0);
            let p = own_out.prototypes();
            sim_feats[i] = a
                .article
                .embs
                .iter()
                .map(|e| p.features(e).to_vec())
                .collect();
        }
        prototypes = Some(total.prototypes());
    }
    #[cfg(feature = "experiments")]
    let mut exemplars = None;
    #[cfg(feature = "experiments")]
    if cfg.exemplars {
        let owned: Vec<LabelledEmbeddings> = articles
            .iter()
            .map(|a| (a.article.embs.as_slice(), head_labels(a.article)))
            .collect();
        let x = Exemplars::new(&owned);
        for (i, a) in articles.iter().enumerate() {
            let f = x.features(&a.article.embs, Some(i))?;
            if sim_feats[i].is_empty() {
                sim_feats[i] = vec![Vec::new(); f.len()];
            }
            for (row, v) in sim_feats[i].iter_mut().zip(f) {
                row.extend(v);
            }
        }
        exemplars = Some(x);
    }
    let n_sim = (cfg.prototypes as usize + cfg.exemplars as usize) * N_HEADS;
    let augmented: Vec<Prepared>;
    let articles: Vec<&Prepared> = if lexicons.is_empty() && !cfg.tokens && n_sim == 0 {
        articles.to_vec()
    } else {
        let extra =
            lexicons.len() * N_LEXICON + if cfg.tokens { N_TOKEN_FEATURES } else { 0 } + n_sim;
        augmented = articles
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let n = a.article.texts.len();
                let base = a.x.len() / n.max(1);
                let mut x = Vec::with_capacity(a.x.len() + n * extra);
                for (j, (row, t)) in a.x.chunks(base.max(1)).zip(&a.article.texts).enumerate() {
                    x.extend_from_slice(row);
                    for (per, total) in &lexicons {
                        x.extend_from_slice(&Lexicon::features_from_counts(
                            total,
                            Some(&per[i]),
                            t,
                        ));
                    }
                    if let Some(tf) = token_feats.get(i) {
                        x.extend_from_slice(&tf[j]);
                    }
                    if let Some(sf) = sim_feats[i].get(j) {
                        x.extend_from_slice(sf);
                    }
                }
                Prepared {
                    article: a.article,
                    x,
                }
            })
            .collect();
        augmented.iter().collect()
    };
    let mut built = lexicons.iter().map(|(_, total)| Lexicon::build(total));
    let lexicon = cfg.lexicon.then(|| built.next()).flatten();
    let span_lexicon = if cfg!(feature = "experiments") {
        cfg.spans.then(|| built.next()).flatten()
    } else {
        None
    };
    let articles = &articles[..];
    let k = inner_folds.max(2);
    let folds = fold_assignment(articles.len(), k, opts.seed.wrapping_add(1));
    let mut z_oof: Vec<f32> = Vec::new();
    let mut y_oof: Vec<[f32; N_HEADS]> = Vec::new();
    #[cfg(feature = "experiments")]
    let mut s_oof: Vec<f32> = Vec::new();
    let mut members = Vec::with_capacity(k);
    for f in 0..k {
        let train: Vec<&Prepared> = articles
            .iter()
            .zip(&folds)
            .filter(|(_, &g)| g != f)
            .map(|(a, _)| *a)
            .collect();
        // `bags` networks per fold from different initialisations and
        // shuffles; their logits are averaged (out of fold here, and at
        // inference, where every member counts alike).
        let mut nets = Vec::with_capacity(opts.bags.max(1));
        for b in 0..opts.bags.max(1) {
            let mut fold_opts = *opts;
            fold_opts.seed = opts
                .seed
                .wrapping_add(f as u64 + 2)
                .wrapping_add(1000 * b as u64);
            nets.push(train_raw(&train, d, &fold_opts)?);
        }
        for (a, &g) in articles.iter().zip(&folds) {
            if g != f {
                continue;
            }
            let mut z = vec![0f32; 0];
            for (st, net) in &nets {
                let zb = raw_logits(st, net, a)?;
                if z.is_empty() {
                    z = vec![0f32; zb.len()];
                }
                for (o, v) in z.iter_mut().zip(zb) {
                    *o += v / nets.len() as f32;
                }
            }
            #[cfg(feature = "experiments")]
            if cfg.stack {
                s_oof.extend(stack_features(&z, N_HEADS));
            }
            z_oof.extend(z);
            y_oof.extend(a.article.labels.iter().map(targets));
        }
        members.extend(
            nets.into_iter()
                .map(|(standardizer, net)| Member { standardizer, net }),
        );
    }
    // Optional second stage, trained on the out-of-fold first-stage logits
    // (so it sees logits as they look on unseen articles). Its calibration and
    // thresholds come from its own predictions on those same logits: it has
    // only 3 × 15 inputs per head, so in-sample and held-out figures are close.
    #[cfg(feature = "experiments")]
    let stage2 = if cfg.stack {
        let ds = stack_len(N_HEADS);
        let y: Vec<f32> = y_oof.iter().flatten().copied().collect();
        let st = Standardizer::fit(&s_oof, ds);
        let mut xs = s_oof.clone();
        st.apply(&mut xs);
        let o2 = TrainOptions { hidden: 0, ..*opts };
        let net = fit_net(&xs, ds, &y, &o2)?;
        z_oof = net.logits(&xs)?;
        Some(Stage2 {
            standardizer: st,
            net,
        })
    } else {
        None
    };
    #[cfg(not(feature = "experiments"))]
    let stage2 = None;
    let mut heads = Vec::with_capacity(N_HEADS);
    for h in 0..N_HEADS {
        let z: Vec<f32> = z_oof.iter().skip(h).step_by(N_HEADS).copied().collect();
        let y: Vec<bool> = y_oof.iter().map(|t| t[h] > 0.5).collect();
        let platt = Platt::fit(&z, &y);
        let p: Vec<f32> = z.iter().map(|&v| platt.prob(v)).collect();
        // Probabilities: the cut below the lowest goes midway to 0; 0.5
        // when there are no positives.
        let (threshold, f1) = best_threshold(&p, &y, LastCut::MidwayTo(0.0))
            .map_or((0.5, 0.0), |t| (t.value, t.prf.f1()));
        heads.push(HeadCalibration {
            name: head_name(h),
            platt_a: platt.a,
            platt_b: platt.b,
            threshold,
            oof_f1: f1,
        });
    }
    Ok(Fitted {
        features: *cfg,
        members,
        stage2,
        lexicon,
        span_lexicon,
        token_heads,
        prototypes,
        #[cfg(feature = "experiments")]
        exemplars,
        repetition_cosine: 0.0,
        heads,
    })
}

fn round_all(v: &mut [f32], decimals: i32) {
    let f = 10f32.powi(decimals);
    for x in v {
        *x = (*x * f).round() / f;
    }
}

/// Round every value of `v` to `digits` significant digits (zero stays zero).
fn round_significant(v: &mut [f32], digits: i32) {
    for x in v.iter_mut().filter(|x| **x != 0.0 && x.is_finite()) {
        let f = 10f64.powi(digits - 1 - (*x as f64).abs().log10().floor() as i32);
        *x = ((*x as f64 * f).round() / f) as f32;
    }
}

impl Fitted {
    /// Round weights to 4 decimals and standardisation to 5 significant
    /// digits so that the committed file stays small; predictions change by
    /// far less than the calibration error.
    pub fn round_weights(&mut self) {
        let nets = self
            .members
            .iter_mut()
            .map(|m| (&mut m.standardizer, &mut m.net))
            .chain(
                self.stage2
                    .iter_mut()
                    .map(|s| (&mut s.standardizer, &mut s.net)),
            );
        for (st, net) in nets {
            for l in net.mlp.iter_mut() {
                round_all(&mut l.weights, 4);
                round_all(&mut l.bias, 4);
            }
            // Means and scales span many magnitudes (a scale can be 1e-6):
            // significant digits, not decimals.
            for v in [&mut st.mean, &mut st.std] {
                round_significant(v, 5);
            }
        }
    }

    /// The exemplars' embedding size, when the model carries them
    /// (evaluation only, `experiments` feature).
    fn exemplar_dims(&self) -> Option<usize> {
        #[cfg(feature = "experiments")]
        return self.exemplars.as_ref().map(Exemplars::dims);
        #[cfg(not(feature = "experiments"))]
        None
    }

    /// Calibrated probabilities per sentence and head for one English article.
    pub fn predict(
        &self,
        embs: &[Vec<f32>],
        texts: &[&str],
        tokens: &[TokenStates],
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        self.predict_in(embs, texts, tokens, Language::English)
    }

    /// [`Fitted::predict`] for an article in `lang`.
    pub fn predict_in(
        &self,
        embs: &[Vec<f32>],
        texts: &[&str],
        tokens: &[TokenStates],
        lang: Language,
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        let x: Vec<f32> = article_features_in(&self.features, embs, texts, lang).concat();
        self.predict_features_in(x, texts, tokens, lang)
    }

    /// Calibrated probabilities from unstandardised features (sentences × d)
    /// of the English sentences `texts`.
    pub fn predict_features<S: AsRef<str>>(
        &self,
        x: Vec<f32>,
        texts: &[S],
        tokens: &[TokenStates],
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        self.predict_features_in(x, texts, tokens, Language::English)
    }

    /// [`Fitted::predict_features`] for sentences in `lang` (the lexicons'
    /// words).
    pub fn predict_features_in<S: AsRef<str>>(
        &self,
        x: Vec<f32>,
        texts: &[S],
        tokens: &[TokenStates],
        lang: Language,
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        let token_feats = match &self.token_heads {
            Some(th) => tokens
                .iter()
                .map(|t| th.features(t))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        self.predict_with_token_features_in(x, texts, &token_feats, lang)
    }

    /// The token heads' features of one sentence from its token states
    /// (`None`: the model has no token heads). With these computed as the
    /// token states come, the states need not be kept.
    pub fn token_features(
        &self,
        ts: &TokenStates,
    ) -> Result<Option<[f32; N_TOKEN_FEATURES]>, PropagandaError> {
        self.token_heads
            .as_ref()
            .map(|th| th.features(ts))
            .transpose()
    }

    /// [`Fitted::predict_features_in`] with the token heads' features of each
    /// sentence ([`Fitted::token_features`]) instead of its token states.
    pub fn predict_with_token_features_in<S: AsRef<str>>(
        &self,
        x: Vec<f32>,
        texts: &[S],
        token_feats: &[[f32; N_TOKEN_FEATURES]],
        lang: Language,
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        let lexicons: Vec<&Lexicon> = [&self.lexicon, &self.span_lexicon]
            .into_iter()
            .flatten()
            .collect();
        let similarity = self.prototypes.is_some() || self.exemplar_dims().is_some();
        if self.features.exemplars && self.exemplar_dims().is_none() {
            return Err(PropagandaError::Model(
                "the exemplar features need the training sentences, which a saved model does not carry".into(),
            ));
        }
        let mut x = if (lexicons.is_empty() && self.token_heads.is_none() && !similarity)
            || texts.is_empty()
        {
            x
        } else {
            if self.token_heads.is_some() && token_feats.len() != texts.len() {
                return Err(PropagandaError::Model(
                    "the model's token heads need the encoder's token states of every sentence (Encoder::embed_tokens)".into(),
                ));
            }
            let base = x.len() / texts.len();
            // Each row starts with the sentence embedding (`article_features`).
            let d = self
                .prototypes
                .as_ref()
                .map(|p| p.dims)
                .or(self.exemplar_dims())
                .unwrap_or(0)
                .min(base);
            let embs: Vec<Vec<f32>> = if similarity {
                x.chunks(base.max(1)).map(|r| r[..d].to_vec()).collect()
            } else {
                Vec::new()
            };
            #[cfg(feature = "experiments")]
            let near = match &self.exemplars {
                Some(ex) => ex.features(&embs, None)?,
                None => Vec::new(),
            };
            #[cfg(not(feature = "experiments"))]
            let near: Vec<Vec<f32>> = Vec::new();
            let mut out = Vec::with_capacity(
                x.len()
                    + texts.len() * (lexicons.len() * N_LEXICON + N_TOKEN_FEATURES + 2 * N_HEADS),
            );
            for (i, (row, t)) in x.chunks(base.max(1)).zip(texts).enumerate() {
                out.extend_from_slice(row);
                for lex in &lexicons {
                    out.extend_from_slice(&lex.features_in(t.as_ref(), lang));
                }
                if self.token_heads.is_some() {
                    out.extend_from_slice(&token_feats[i]);
                }
                if let Some(p) = &self.prototypes {
                    out.extend_from_slice(&p.features(&embs[i]));
                }
                if let Some(n) = near.get(i) {
                    out.extend_from_slice(n);
                }
            }
            out
        };
        let Some(d) = self.members.first().map(|m| m.standardizer.mean.len()) else {
            return Err(PropagandaError::Model("the model has no heads".into()));
        };
        if x.is_empty() {
            return Ok(Vec::new());
        }
        if x.len() % d != 0 {
            return Err(PropagandaError::Model(format!(
                "feature size does not match the model's {d}; the embedding model differs from the one the heads were trained with"
            )));
        }
        let mut z = vec![0.0f32; x.len() / d * N_HEADS];
        let raw = std::mem::take(&mut x);
        for m in &self.members {
            let mut xm = raw.clone();
            m.standardizer.apply(&mut xm);
            for (a, b) in z.iter_mut().zip(m.net.logits(&xm)?) {
                *a += b / self.members.len() as f32;
            }
        }
        #[cfg(feature = "experiments")]
        if let Some(s2) = &self.stage2 {
            let mut xs = stack_features(&z, N_HEADS);
            s2.standardizer.apply(&mut xs);
            z = s2.net.logits(&xs)?;
        }
        Ok(z.chunks_exact(N_HEADS)
            .map(|row| {
                let mut p = [0.0f32; N_HEADS];
                for (k, (&zk, h)) in row.iter().zip(&self.heads).enumerate() {
                    p[k] = h.platt().prob(zk);
                }
                p
            })
            .collect())
    }

    /// Decision for one sentence: whether it is flagged, and the techniques
    /// detected (indices into [`super::techniques::TECHNIQUES`]). A technique is
    /// detected when its head reaches its threshold; a flagged sentence with
    /// no technique above threshold gets its relatively strongest technique.
    pub fn decide(&self, p: &[f32; N_HEADS]) -> (bool, Vec<usize>) {
        let flagged = p[0] >= self.heads[0].threshold;
        let mut techs: Vec<usize> = (0..N_TECHNIQUES)
            .filter(|&t| p[t + 1] >= self.heads[t + 1].threshold)
            .collect();
        if flagged && techs.is_empty() {
            let best = (0..N_TECHNIQUES).max_by(|&a, &b| {
                let ra = p[a + 1] / self.heads[a + 1].threshold.max(1e-6);
                let rb = p[b + 1] / self.heads[b + 1].threshold.max(1e-6);
                ra.total_cmp(&rb)
            });
            techs.extend(best);
        }
        (flagged || !techs.is_empty(), techs)
    }

    /// Decisions for all sentences of one article: [`Fitted::decide`] per
    /// sentence, then the article-level repetition rule (when
    /// `repetition_cosine` > 0): a sentence of at least
    /// [`REPETITION_MIN_WORDS`] words with a near duplicate elsewhere in the
    /// article (cosine ≥ `repetition_cosine`), where at least one of the copies
    /// is flagged, carries Repetition; its Repetition score becomes the
    /// highest propaganda probability among the copies if that is higher.
    /// So does a sentence sharing a phrase of [`REPETITION_PHRASE_WORDS`]
    /// words that occurs in [`REPETITION_PHRASE_SENTENCES`] or more sentences
    /// ([`phrase_partners`]), when it or one of those sentences is flagged (a
    /// slogan repeated inside longer sentences); its score is its own
    /// propaganda probability.
    pub fn decide_article(
        &self,
        embs: &[Vec<f32>],
        texts: &[&str],
        probs: &[[f32; N_HEADS]],
    ) -> Vec<Decision> {
        let mut out: Vec<Decision> = probs
            .iter()
            .map(|p| {
                let (flagged, techniques) = self.decide(p);
                Decision {
                    flagged,
                    techniques,
                    scores: std::array::from_fn(|t| p[t + 1]),
                }
            })
            .collect();
        let tau = self.repetition_cosine;
        if tau <= 0.0 {
            return out;
        }
        let long: Vec<bool> = texts
            .iter()
            .map(|t| super::features::words(t).len() >= REPETITION_MIN_WORDS)
            .collect();
        let flagged: Vec<bool> = out.iter().map(|d| d.flagged).collect();
        let phrases = PhraseLinks::new(texts, &flagged);
        let n = probs.len();
        for i in 0..n {
            if !long[i] {
                continue;
            }
            // Copies are looked for among the REPETITION_WINDOW sentences on
            // either side: all of them in any article of news length, and
            // linear time in a pathological one.
            let near = i.saturating_sub(REPETITION_WINDOW)..(i + REPETITION_WINDOW + 1).min(n);
            let copies: Vec<usize> = near
                .filter(|&j| j != i && long[j] && crate::embed::dot(&embs[i], &embs[j]) >= tau)
                .collect();
            let copied = !copies.is_empty() && (flagged[i] || copies.iter().any(|&j| flagged[j]));
            let best = if copied {
                Some(
                    copies
                        .iter()
                        .map(|&j| probs[i][0].max(probs[j][0]))
                        .fold(0.0f32, f32::max),
                )
            } else if flagged[i] && phrases.linked[i] || phrases.linked_to_flagged[i] {
                Some(probs[i][0])
            } else {
                None
            };
            if let Some(s) = best {
                let d = &mut out[i];
                let rep = 2; // index of Repetition in TECHNIQUES
                if !d.techniques.contains(&rep) {
                    d.techniques.push(rep);
                }
                d.scores[rep] = d.scores[rep].max(s);
                d.flagged = true;
            }
        }
        out
    }
}

/// Minimum words for a sentence to count in the repetition rule.
pub const REPETITION_MIN_WORDS: usize = 4;
/// Words in a phrase of the phrase part of the repetition rule.
pub const REPETITION_PHRASE_WORDS: usize = 6;
/// Sentences of an article a phrase must occur in for the phrase part of the
/// repetition rule.
pub const REPETITION_PHRASE_SENTENCES: usize = 3;

/// Sentences compared for copies on either side of a sentence in the
/// repetition rule (every pair in articles up to this many sentences).
pub const REPETITION_WINDOW: usize = 1000;

/// What the repetition rule needs of [`phrase_partners`], in time linear in
/// the article: whether a sentence shares a repeated phrase with another,
/// and whether one of those others is flagged.
struct PhraseLinks {
    linked: Vec<bool>,
    linked_to_flagged: Vec<bool>,
}

impl PhraseLinks {
    fn new(texts: &[&str], flagged: &[bool]) -> Self {
        let mut linked = vec![false; texts.len()];
        let mut linked_to_flagged = vec![false; texts.len()];
        for group in phrase_groups(texts) {
            let n_flagged = group.iter().filter(|&&i| flagged[i]).count();
            for &i in &group {
                linked[i] = true;
                if n_flagged > usize::from(flagged[i]) {
                    linked_to_flagged[i] = true;
                }
            }
        }
        PhraseLinks {
            linked,
            linked_to_flagged,
        }
    }
}

/// The sentences of each phrase of [`REPETITION_PHRASE_WORDS`] words that
/// occurs in at least [`REPETITION_PHRASE_SENTENCES`] sentences.
fn phrase_groups(texts: &[&str]) -> Vec<Vec<usize>> {
    let mut by_phrase: std::collections::HashMap<Vec<String>, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, t) in texts.iter().enumerate() {
        for p in super::features::words(t).windows(REPETITION_PHRASE_WORDS) {
            let v = by_phrase.entry(p.to_vec()).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
    }
    by_phrase
        .into_values()
        .filter(|g| g.len() >= REPETITION_PHRASE_SENTENCES)
        .collect()
}

/// For each sentence, the other sentences of the article it shares a phrase
/// of [`REPETITION_PHRASE_WORDS`] words with, counting only phrases that
/// occur in at least [`REPETITION_PHRASE_SENTENCES`] sentences (a slogan
/// repeated through the text, also inside longer sentences).
pub fn phrase_partners(texts: &[&str]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); texts.len()];
    for group in phrase_groups(texts) {
        for &i in &group {
            out[i].extend(group.iter().copied().filter(|&j| j != i));
        }
    }
    for o in &mut out {
        o.sort_unstable();
        o.dedup();
    }
    out
}

/// The decision for one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Uses at least one technique.
    pub flagged: bool,
    /// Detected techniques (indices into [`super::techniques::TECHNIQUES`]).
    pub techniques: Vec<usize>,
    /// Score per technique (calibrated head probability; Repetition raised by
    /// the repetition rule).
    pub scores: [f32; N_TECHNIQUES],
}

/// Scores of a set of articles against gold.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    pub articles: usize,
    pub sentences: usize,
    /// Sentence-level binary detection (head 0 decision).
    pub sentence: Prf,
    /// Per technique, sentence level.
    pub techniques: Vec<Prf>,
    /// Micro-average over (sentence, technique) pairs.
    pub micro: Prf,
    /// Spearman between the article score and the gold share of propaganda sentences.
    pub spearman: f64,
    /// Pearson between the same two.
    pub pearson: f64,
    /// Mean absolute error between score/100 and gold share.
    pub share_mae: f64,
    /// Spearman between article confidence and minus the absolute share error
    /// (positive = confidence tracks accuracy).
    pub confidence_spearman: f64,
}

/// Score articles with a fitted model and compare with gold.
pub fn evaluate(model: &Fitted, articles: &[&Prepared]) -> Result<Metrics, PropagandaError> {
    let mut m = Metrics {
        techniques: vec![Prf::default(); N_TECHNIQUES],
        ..Default::default()
    };
    let (mut scores, mut gold, mut conf, mut err) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for pa in articles {
        let a = pa.article;
        let probs = model.predict_features(pa.x.clone(), &a.texts, &a.tokens)?;
        let texts: Vec<&str> = a.texts.iter().map(String::as_str).collect();
        let decisions = model.decide_article(&a.embs, &texts, &probs);
        for ((p, l), dec) in probs.iter().zip(&a.labels).zip(&decisions) {
            let flagged = p[0] >= model.heads[0].threshold;
            let techs = &dec.techniques;
            m.sentence.add(flagged, l.iter().any(|&b| b));
            for (t, &gold) in l.iter().enumerate() {
                let pred = techs.contains(&t);
                m.techniques[t].add(pred, gold);
                m.micro.add(pred, gold);
            }
        }
        m.sentences += probs.len();
        m.articles += 1;
        let s = super::article_score(model, &probs);
        scores.push(s.score);
        gold.push(a.gold_share());
        conf.push(s.confidence);
        err.push(-(s.score / 100.0 - a.gold_share()).abs());
    }
    m.spearman = spearman(&scores, &gold);
    m.pearson = pearson(&scores, &gold);
    m.share_mae = if err.is_empty() {
        0.0
    } else {
        -err.iter().sum::<f64>() / err.len() as f64
    };
    m.confidence_spearman = spearman(&conf, &err);
    Ok(m)
}

/// Result of k-fold cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct CvResult {
    pub folds: usize,
    pub features: String,
    /// Pooled held-out metrics (each article scored by the model that did not see it).
    pub held_out: Metrics,
    /// Pooled metrics of each fold's model on its own training articles.
    pub train: Metrics,
}

/// k-fold cross-validation grouped by article. `progress` is called after each fold.
pub fn cross_validate(
    articles: &[LabelledArticle],
    k: usize,
    cfg: &FeatureConfig,
    opts: &TrainOptions,
    inner_folds: usize,
    repetition_cosine: f32,
    mut progress: impl FnMut(usize),
) -> Result<CvResult, PropagandaError> {
    let k = k.max(2);
    let folds = fold_assignment(articles.len(), k, opts.seed);
    let prepared = prepare(articles, cfg);
    // Held-out predictions are pooled by evaluating each fold and summing counts.
    let mut held = Vec::new();
    let mut train_m = Vec::new();
    let mut held_articles: Vec<(f64, f64, f64)> = Vec::new();
    for f in 0..k {
        let train: Vec<&Prepared> = prepared
            .iter()
            .zip(&folds)
            .filter(|(_, &g)| g != f)
            .map(|(a, _)| a)
            .collect();
        let test: Vec<&Prepared> = prepared
            .iter()
            .zip(&folds)
            .filter(|(_, &g)| g == f)
            .map(|(a, _)| a)
            .collect();
        let mut model = fit(&train, cfg, opts, inner_folds)?;
        model.repetition_cosine = repetition_cosine;
        for a in &test {
            let probs = model.predict_features(a.x.clone(), &a.article.texts, &a.article.tokens)?;
            let s = super::article_score(&model, &probs);
            held_articles.push((s.score, a.article.gold_share(), s.confidence));
        }
        held.push(evaluate(&model, &test)?);
        train_m.push(evaluate(&model, &train)?);
        progress(f + 1);
    }
    let mut held_out = pool(&held);
    let scores: Vec<f64> = held_articles.iter().map(|h| h.0).collect();
    let gold: Vec<f64> = held_articles.iter().map(|h| h.1).collect();
    let conf: Vec<f64> = held_articles.iter().map(|h| h.2).collect();
    let err: Vec<f64> = held_articles
        .iter()
        .map(|h| -(h.0 / 100.0 - h.1).abs())
        .collect();
    held_out.spearman = spearman(&scores, &gold);
    held_out.pearson = pearson(&scores, &gold);
    held_out.share_mae = -err.iter().sum::<f64>() / err.len().max(1) as f64;
    held_out.confidence_spearman = spearman(&conf, &err);
    let mut train = pool(&train_m);
    // Article correlations on training folds: mean over folds.
    train.spearman = train_m.iter().map(|m| m.spearman).sum::<f64>() / k as f64;
    train.pearson = train_m.iter().map(|m| m.pearson).sum::<f64>() / k as f64;
    train.share_mae = train_m.iter().map(|m| m.share_mae).sum::<f64>() / k as f64;
    train.confidence_spearman =
        train_m.iter().map(|m| m.confidence_spearman).sum::<f64>() / k as f64;
    Ok(CvResult {
        folds: k,
        features: cfg.describe(),
        held_out,
        train,
    })
}

fn pool(ms: &[Metrics]) -> Metrics {
    let mut out = Metrics {
        techniques: vec![Prf::default(); N_TECHNIQUES],
        ..Default::default()
    };
    for m in ms {
        out.articles += m.articles;
        out.sentences += m.sentences;
        out.sentence.merge(&m.sentence);
        out.micro.merge(&m.micro);
        for (o, t) in out.techniques.iter_mut().zip(&m.techniques) {
            o.merge(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slogan_repeated_inside_longer_sentences_links_them() {
        let texts = [
            "We must build the wall now.",
            "The report came out on Monday.",
            "Every day counts, and we must build the wall now.",
            "Remember this when you vote: we must build the wall now!",
            "We must build roads, said the mayor.",
        ];
        let p = phrase_partners(&texts);
        assert_eq!(p[0], [2, 3]);
        assert_eq!(p[2], [0, 3]);
        assert!(p[1].is_empty() && p[4].is_empty());
        // A phrase in only two sentences links nothing.
        assert!(phrase_partners(&texts[..3]).iter().all(Vec::is_empty));
        assert!(phrase_partners(&[]).is_empty());
        // The linear form the rule uses agrees with the partner lists.
        let flagged = [false, false, false, true, false];
        let links = PhraseLinks::new(&texts, &flagged);
        for (i, partners) in p.iter().enumerate() {
            assert_eq!(links.linked[i], !partners.is_empty(), "{i}");
            assert_eq!(
                links.linked_to_flagged[i],
                partners.iter().any(|&j| flagged[j]),
                "{i}"
            );
        }
    }

    #[test]
    fn significant_rounding_keeps_tiny_scales() {
        let mut v = [
            1.234_567_8e-6,
            0.002_882_219_1,
            -1.921_77e-33,
            0.0,
            123.456_79,
        ];
        round_significant(&mut v, 5);
        let want = [1.2346e-6, 0.0028822, -1.9218e-33, 0.0, 123.46];
        for (g, w) in v.iter().zip(want) {
            assert!((g - w).abs() <= w.abs() * 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn folds_are_balanced_and_seeded() {
        let a = fold_assignment(10, 3, 5);
        assert_eq!(a, fold_assignment(10, 3, 5));
        for f in 0..3 {
            let c = a.iter().filter(|&&g| g == f).count();
            assert!((3..=4).contains(&c));
        }
    }
}
