//! Propaganda technique scoring (SemEval-2020 Task 11 techniques).
//!
//! Each sentence is embedded with the project's sentence encoder and scored by
//! small learned heads (one "any technique" head and one head per technique)
//! over its embedding, its neighbours' and the article's mean embedding, and
//! article-level repetition signals. Probabilities are calibrated (Platt
//! scaling on out-of-fold predictions), so the article score — the expected
//! share of sentences that use at least one technique — can be read as a
//! percentage. See `docs/propaganda.md`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use veracity::embed::{load_encoder, Backend, DeviceChoice, EncoderOptions, ResolveOptions, DEFAULT_MODEL};
//! use veracity::propaganda::PropagandaModel;
//! let enc = load_encoder(&EncoderOptions {
//!     resolve: ResolveOptions::new(DEFAULT_MODEL),
//!     device: DeviceChoice::Auto,
//!     backend: Backend::Auto,
//! })?;
//! let model = PropagandaModel::load_default()?;
//! let report = model.analyze(enc.as_ref(), "Some article text.")?;
//! println!("{:.0}% ({})", report.score, report.risk);
//! # Ok(()) }
//! ```

pub mod exemplars;
pub mod features;
pub mod fit;
pub mod inputs;
pub mod lexicon;
pub mod techniques;
pub mod tokens;
pub mod train;

use crate::lang::Language;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::embed::{EmbedError, Encoder, Readout};
pub use fit::Fitted;
pub use inputs::{TokenFeatureCache, TOKEN_CHUNK};

/// A gold span inside one sentence: (start, end, technique index), character
/// offsets into the sentence's text.
pub type SentenceSpan = (usize, usize, usize);
pub use techniques::{Technique, N_TECHNIQUES, TECHNIQUES};
use train::N_HEADS;

/// Errors from loading, training or applying the propaganda model.
#[derive(Debug, thiserror::Error)]
pub enum PropagandaError {
    #[error("embedding failed: {0}")]
    Embed(#[from] EmbedError),
    #[error(
        "invalid propaganda model: {0}. Rebuild it with `veracity train propaganda --ptc DIR`."
    )]
    Model(String),
    #[error("training failed: {0}")]
    Train(String),
    #[error("{0}")]
    Data(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Format tag of the model file.
pub const MODEL_FORMAT: &str = "veracity-propaganda-heads/1";

/// The committed heads (trained by `veracity train propaganda`).
const DEFAULT_MODEL_JSON: &str = include_str!("../../models/heads/propaganda.json");

/// Risk thresholds on the article score (percent).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct RiskThresholds {
    /// Scores at or above this are "moderate".
    pub moderate: f64,
    /// Scores at or above this are "high".
    pub high: f64,
}

/// Default risk thresholds; see docs/propaganda.md for how they were read off
/// the PTC score distribution.
pub const RISK: RiskThresholds = RiskThresholds {
    moderate: 15.0,
    high: 35.0,
};

/// The model file: the fitted heads plus where they came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    /// Encoder the heads were trained on (its name and dimensions).
    pub encoder: String,
    pub dims: usize,
    /// What the encoder reads out of the model for these heads (absent in
    /// older files: the default, the last layer's mean).
    #[serde(default)]
    pub readout: Readout,
    pub fitted: Fitted,
    /// Data hashes, split, seed, command and metrics.
    pub provenance: serde_json::Value,
}

/// A trained propaganda model.
#[derive(Debug, Clone)]
pub struct PropagandaModel {
    file: ModelFile,
}

/// One technique detected in a sentence, with its calibrated probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TechniqueScore {
    pub name: String,
    pub score: f32,
}

/// One sentence of the analysed text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SentenceReport {
    pub index: usize,
    /// UTF-8 byte offsets into the input text.
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Techniques detected in this sentence (empty when none), strongest first.
    pub techniques: Vec<TechniqueScore>,
    /// Calibrated probability that the sentence uses any technique (not serialised).
    #[serde(skip)]
    pub propaganda: f32,
    /// Whether the sentence lists at least one technique (not serialised).
    #[serde(skip)]
    pub flagged: bool,
    /// Calibrated probability of every technique, in [`TECHNIQUES`] order
    /// (not serialised; for highlighting).
    #[serde(skip)]
    pub all_scores: Vec<f32>,
}

/// Per-technique breakdown over the article.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TechniqueSummary {
    pub name: String,
    /// Number of sentences carrying the technique.
    pub count: usize,
    /// Share of the article's sentences carrying it (0–1).
    pub share: f64,
    /// Indices of those sentences (into `sentences`).
    pub sentences: Vec<usize>,
}

/// The result of [`PropagandaModel::analyze`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PropagandaReport {
    /// Propaganda score 0–100: the expected percentage of sentences that use at
    /// least one technique (calibrated probabilities, averaged).
    pub score: f64,
    /// 0–1; lower for short texts and for sentences near the decision threshold.
    pub confidence: f64,
    /// "low", "moderate" or "high".
    pub risk: String,
    /// One-line reading plus the main techniques.
    pub summary: String,
    /// Techniques found, most frequent first.
    pub techniques: Vec<TechniqueSummary>,
    pub sentences: Vec<SentenceReport>,
}

/// Article-level score and confidence from per-sentence probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArticleScore {
    pub score: f64,
    pub confidence: f64,
}

/// Score = 100 × mean calibrated P(sentence uses a technique). Confidence =
/// n/(n+4) (few sentences, little evidence) × (0.5 + 0.5 × mean decisiveness),
/// where a sentence's decisiveness is how far its probability lies from the
/// decision threshold, scaled to [0, 1].
pub fn article_score(model: &Fitted, probs: &[[f32; N_HEADS]]) -> ArticleScore {
    let n = probs.len();
    if n == 0 {
        return ArticleScore {
            score: 0.0,
            confidence: 0.0,
        };
    }
    let t = model.heads[0].threshold as f64;
    let mean = probs.iter().map(|p| p[0] as f64).sum::<f64>() / n as f64;
    let decisive = probs
        .iter()
        .map(|p| {
            let p = p[0] as f64;
            if p >= t {
                (p - t) / (1.0 - t).max(1e-6)
            } else {
                (t - p) / t.max(1e-6)
            }
        })
        .sum::<f64>()
        / n as f64;
    let size = n as f64 / (n as f64 + 4.0);
    ArticleScore {
        score: 100.0 * mean,
        confidence: size * (0.5 + 0.5 * decisive.clamp(0.0, 1.0)),
    }
}

/// Risk label for a score.
pub fn risk_label(score: f64) -> &'static str {
    if score >= RISK.high {
        "high"
    } else if score >= RISK.moderate {
        "moderate"
    } else {
        "low"
    }
}

/// One-line reading of a risk label.
pub fn risk_reading(risk: &str) -> &'static str {
    match risk {
        "high" => "High risk: heavy use of propaganda techniques.",
        "moderate" => "Moderate risk: some use of propaganda techniques.",
        _ => "Low risk: minimal use of propaganda techniques.",
    }
}

impl PropagandaModel {
    /// The committed model (`models/heads/propaganda.json`, compiled in).
    pub fn load_default() -> Result<Self, PropagandaError> {
        Self::from_json(DEFAULT_MODEL_JSON)
    }

    /// Load a model file written by `veracity train propaganda`.
    pub fn load(path: &Path) -> Result<Self, PropagandaError> {
        let s = std::fs::read_to_string(path).map_err(|e| PropagandaError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Self::from_json(&s).map_err(|e| match e {
            PropagandaError::Model(m) => PropagandaError::Model(format!("{}: {m}", path.display())),
            e => e,
        })
    }

    /// Parse a model from its JSON text.
    pub fn from_json(s: &str) -> Result<Self, PropagandaError> {
        let file: ModelFile = serde_json::from_str(s)
            .map_err(|e| PropagandaError::Model(format!("line {}: {e}", e.line())))?;
        Self::new(file)
    }

    /// Wrap a model file, checking its shape.
    pub fn new(file: ModelFile) -> Result<Self, PropagandaError> {
        if file.format != MODEL_FORMAT {
            return Err(PropagandaError::Model(format!(
                "format '{}' is not '{MODEL_FORMAT}'",
                file.format
            )));
        }
        let f = &file.fitted;
        f.features.check_available()?;
        let d = f.features.model_len(file.dims);
        // A standardiser and network over `d` inputs with N_HEADS outputs.
        let fits = |st: &train::Standardizer, net: &train::Net, d: usize| {
            st.mean.len() == d && st.std.len() == d && net.fits(d)
        };
        let ok = f.heads.len() == N_HEADS
            && !f.members.is_empty()
            && f.members.iter().all(|m| fits(&m.standardizer, &m.net, d));
        #[cfg(feature = "experiments")]
        let ok2 = match (&f.stage2, f.features.stack) {
            (None, false) => true,
            (Some(s2), true) => {
                let ds = features::stack_len(N_HEADS);
                s2.net.hidden() == 0 && fits(&s2.standardizer, &s2.net, ds)
            }
            _ => false,
        };
        // Without the experiments a second stage cannot be used (and
        // `check_available` has refused `stack`).
        #[cfg(not(feature = "experiments"))]
        let ok2 = f.stage2.is_none();
        // Token heads: members of one width (the token states'; checked
        // against the encoder's at inference).
        let ok3 = f.lexicon.is_some() == f.features.lexicon
            && f.span_lexicon.is_some() == f.features.spans
            && !f.features.exemplars
            && f.prototypes
                .as_ref()
                .map(|p| p.centroids.len() == 2 * N_HEADS * file.dims)
                == f.features.prototypes.then_some(true)
            && match (&f.token_heads, f.features.tokens) {
                (None, false) => true,
                (Some(t), true) => t.members.first().is_some_and(|m0| {
                    let w = m0.standardizer.mean.len();
                    t.members.iter().all(|m| fits(&m.standardizer, &m.net, w))
                }),
                _ => false,
            };
        if !ok || !ok2 || !ok3 {
            return Err(PropagandaError::Model(
                "weight shapes do not match the feature configuration".into(),
            ));
        }
        Ok(PropagandaModel { file })
    }

    /// The model file (heads, thresholds, provenance).
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The readout the encoder passed to [`PropagandaModel::analyze`] must use
    /// (load it with `load_encoder_with`).
    pub fn readout(&self) -> Readout {
        self.file.readout
    }

    /// The fitted heads.
    pub fn fitted(&self) -> &Fitted {
        &self.file.fitted
    }

    /// Analyse an English text: split it into sentences, score each, and
    /// summarise.
    pub fn analyze(
        &self,
        enc: &dyn Encoder,
        text: &str,
    ) -> Result<PropagandaReport, PropagandaError> {
        self.analyze_in(enc, text, Language::English)
    }

    /// [`PropagandaModel::analyze`] for a text in `lang` (sentence splitting
    /// and the sentence features' word lists).
    pub fn analyze_in(
        &self,
        enc: &dyn Encoder,
        text: &str,
        lang: Language,
    ) -> Result<PropagandaReport, PropagandaError> {
        let sents = crate::text::split_sentences_in(text, lang);
        let spans: Vec<(usize, usize)> = sents.iter().map(|s| (s.start, s.end)).collect();
        self.analyze_spans_in(enc, text, &spans, lang)
    }

    /// Analyse a text whose sentences are given as byte ranges into `text`
    /// (e.g. one sentence per line). Ranges that are empty after trimming are
    /// dropped; invalid ranges are an error.
    pub fn analyze_spans(
        &self,
        enc: &dyn Encoder,
        text: &str,
        spans: &[(usize, usize)],
    ) -> Result<PropagandaReport, PropagandaError> {
        self.analyze_spans_in(enc, text, spans, Language::English)
    }

    /// [`PropagandaModel::analyze_spans`] for a text in `lang`.
    pub fn analyze_spans_in(
        &self,
        enc: &dyn Encoder,
        text: &str,
        spans: &[(usize, usize)],
        lang: Language,
    ) -> Result<PropagandaReport, PropagandaError> {
        self.score_spans(enc, text, spans, lang, None)
    }

    /// [`PropagandaModel::analyze_in`] with the token features of sentences
    /// already seen taken from `cache` (and those computed remembered there):
    /// after [`PropagandaModel::prepare`] on the same sentences, the encoder
    /// is not run again.
    pub fn analyze_cached_in(
        &self,
        enc: &dyn Encoder,
        text: &str,
        lang: Language,
        cache: &TokenFeatureCache,
    ) -> Result<PropagandaReport, PropagandaError> {
        let spans: Vec<(usize, usize)> = crate::text::split_sentences_in(text, lang)
            .iter()
            .map(|s| (s.start, s.end))
            .collect();
        self.score_spans(enc, text, &spans, lang, Some(cache))
    }

    /// Run the encoder once over `texts` (the sentences of many articles
    /// together: one batched pass) and remember what scoring them needs:
    /// their token features in `cache`, their embeddings in the encoder's
    /// cache. Returns the sentences computed (those not held already).
    pub fn prepare(
        &self,
        enc: &dyn Encoder,
        texts: &[&str],
        cache: &TokenFeatureCache,
    ) -> Result<usize, PropagandaError> {
        self.check_encoder(enc)?;
        inputs::prepare(&self.file.fitted, enc, texts, cache)
    }

    fn check_encoder(&self, enc: &dyn Encoder) -> Result<(), PropagandaError> {
        if enc.dims() != self.file.dims {
            return Err(PropagandaError::Model(format!(
                "the heads were trained on '{}' ({} dimensions) but the encoder is '{}' ({} dimensions); use the model {}",
                self.file.encoder,
                self.file.dims,
                enc.name(),
                enc.dims(),
                self.file.encoder
            )));
        }
        Ok(())
    }

    fn score_spans(
        &self,
        enc: &dyn Encoder,
        text: &str,
        spans: &[(usize, usize)],
        lang: Language,
        cache: Option<&TokenFeatureCache>,
    ) -> Result<PropagandaReport, PropagandaError> {
        self.check_encoder(enc)?;
        let mut sents: Vec<(usize, usize, &str)> = Vec::new();
        for &(s, e) in spans {
            let Some(t) = text.get(s..e) else {
                return Err(PropagandaError::Data(format!(
                    "sentence range {s}..{e} is not on character boundaries of the {}-byte text",
                    text.len()
                )));
            };
            let lead = t.len() - t.trim_start().len();
            let tt = t.trim();
            if !tt.is_empty() {
                sents.push((s + lead, s + lead + tt.len(), tt));
            }
        }
        let texts: Vec<&str> = sents.iter().map(|s| s.2).collect();
        let fitted = &self.file.fitted;
        let (embs, token_feats) = inputs::encoder_inputs(fitted, enc, &texts, cache)?;
        let x: Vec<f32> =
            features::article_features_in(&fitted.features, &embs, &texts, lang).concat();
        let probs = fitted.predict_with_token_features_in(x, &texts, &token_feats, lang)?;
        let ArticleScore { score, confidence } = article_score(fitted, &probs);
        let mut sentences = Vec::with_capacity(sents.len());
        let mut per_tech: Vec<Vec<usize>> = vec![Vec::new(); N_TECHNIQUES];
        let decisions = fitted.decide_article(&embs, &texts, &probs);
        for (i, (((s, e, t), p), dec)) in sents.iter().zip(&probs).zip(decisions).enumerate() {
            let techs = &dec.techniques;
            let mut ts: Vec<TechniqueScore> = techs
                .iter()
                .map(|&k| TechniqueScore {
                    name: TECHNIQUES[k].name.to_string(),
                    score: dec.scores[k],
                })
                .collect();
            ts.sort_by(|a, b| b.score.total_cmp(&a.score));
            for &k in techs {
                per_tech[k].push(i);
            }
            sentences.push(SentenceReport {
                index: i,
                start: *s,
                end: *e,
                text: t.to_string(),
                techniques: ts,
                propaganda: p[0],
                flagged: dec.flagged,
                all_scores: dec.scores.to_vec(),
            });
        }
        let n = sentences.len();
        let mut techniques: Vec<TechniqueSummary> = per_tech
            .into_iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| TechniqueSummary {
                name: TECHNIQUES[k].name.to_string(),
                count: v.len(),
                share: v.len() as f64 / n as f64,
                sentences: v,
            })
            .collect();
        techniques.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let risk = risk_label(score).to_string();
        let summary = summarize(&risk, score, n, &sentences, &techniques);
        Ok(PropagandaReport {
            score,
            confidence,
            risk,
            summary,
            techniques,
            sentences,
        })
    }
}

fn summarize(
    risk: &str,
    score: f64,
    n: usize,
    sentences: &[SentenceReport],
    techniques: &[TechniqueSummary],
) -> String {
    if n == 0 {
        return "Nothing to score: the text has no sentences.".to_string();
    }
    let flagged = sentences
        .iter()
        .filter(|s| !s.techniques.is_empty())
        .count();
    let mut s = format!(
        "{} Score {score:.0}%: {flagged} of {n} sentence{} use{} a propaganda technique",
        risk_reading(risk),
        if n == 1 { "" } else { "s" },
        if flagged == 1 { "s" } else { "" },
    );
    if techniques.is_empty() {
        s.push('.');
    } else {
        let top: Vec<String> = techniques
            .iter()
            .take(3)
            .map(|t| format!("{} ({})", t.name, t.count))
            .collect();
        s.push_str(&format!(
            "; {} distinct technique{}, mainly {}.",
            techniques.len(),
            if techniques.len() == 1 { "" } else { "s" },
            top.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::fit::{fit, prepare, LabelledArticle};
    use super::train::TrainOptions;
    use super::*;
    use crate::embed::EmbedError;

    /// Deterministic test encoder: letter frequencies plus a '!' dimension.
    struct Letters;
    impl Encoder for Letters {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            Ok(texts
                .iter()
                .map(|t| {
                    let mut v = [0.0f32; 27];
                    for c in t.chars() {
                        if c.is_ascii_alphabetic() {
                            v[(c.to_ascii_lowercase() as u8 - b'a') as usize] += 1.0;
                        } else if c == '!' {
                            v[26] += 8.0;
                        }
                    }
                    crate::embed::scale_to_length(&mut v, 1.0);
                    v.to_vec()
                })
                .collect())
        }
        fn dims(&self) -> usize {
            27
        }
        fn max_len(&self) -> usize {
            512
        }
        fn name(&self) -> &str {
            "test/letters"
        }
    }

    fn toy_model() -> PropagandaModel {
        toy_model_bags(1)
    }

    /// Twelve toy articles: sentences with '!' carry Loaded Language
    /// (technique 0) on the word "disgrace" (gold span and synthetic token
    /// states included), the others none.
    fn toy_articles() -> Vec<LabelledArticle> {
        let mut arts = Vec::new();
        for a in 0..12 {
            let texts: Vec<String> = (0..8)
                .map(|i| {
                    if (i + a) % 3 == 0 {
                        format!("what a disgrace number {i}!")
                    } else {
                        format!("the meeting number {i} was held.")
                    }
                })
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let labels: Vec<[bool; N_TECHNIQUES]> = texts
                .iter()
                .map(|t| std::array::from_fn(|k| k == 0 && t.ends_with('!')))
                .collect();
            let spans = texts
                .iter()
                .map(|t| match t.find("disgrace") {
                    Some(s) => vec![(s, s + 8, 0)],
                    None => Vec::new(),
                })
                .collect();
            arts.push(LabelledArticle {
                id: a.to_string(),
                embs: Letters.embed(&refs).unwrap(),
                tokens: texts.iter().map(|t| toy_tokens(t)).collect(),
                texts,
                labels,
                spans,
            });
        }
        arts
    }

    fn toy_model_bags(bags: usize) -> PropagandaModel {
        let arts = toy_articles();
        let cfg = features::FeatureConfig::BASELINE;
        let prepared = prepare(&arts, &cfg);
        let refs: Vec<_> = prepared.iter().collect();
        let opts = TrainOptions {
            epochs: 40,
            lr: 0.02,
            bags,
            ..Default::default()
        };
        toy_wrap(fit(&refs, &cfg, &opts, 2).unwrap())
    }

    /// A model file around heads fitted on the toy articles.
    fn toy_wrap(fitted: Fitted) -> PropagandaModel {
        PropagandaModel::new(ModelFile {
            format: MODEL_FORMAT.into(),
            encoder: "test/letters".into(),
            dims: 27,
            readout: Readout::default(),
            fitted,
            provenance: serde_json::json!({}),
        })
        .unwrap()
    }

    /// `bags` networks per fold: that many members per fold, the first of
    /// each fold the same as without bagging, and the averaged model still
    /// separates the toy classes.
    #[test]
    fn bagging_adds_members_and_keeps_the_first() {
        let one = toy_model_bags(1);
        let three = toy_model_bags(3);
        assert_eq!(one.fitted().members.len(), 2);
        assert_eq!(three.fitted().members.len(), 6);
        assert_eq!(
            three.fitted().members[0].net.mlp[0].weights,
            one.fitted().members[0].net.mlp[0].weights
        );
        assert_ne!(
            three.fitted().members[1].net.mlp[0].weights,
            three.fitted().members[0].net.mlp[0].weights
        );
        let r = three
            .analyze_spans(
                &Letters,
                "What a disgrace number 5!\nThe meeting was held.",
                &[(0, 25), (26, 47)],
            )
            .unwrap();
        assert!(r.sentences[0].propaganda > r.sentences[1].propaganda);
    }

    /// Synthetic token states: per word (value 1 for "disgrace", else 0; a
    /// constant 1), between two special tokens.
    fn toy_tokens(text: &str) -> crate::embed::TokenStates {
        let mut chars = vec![(0, 0)];
        let mut states = vec![0.0, 1.0];
        for (s, e, w) in features::words_with_offsets(text) {
            chars.push((s, e));
            states.extend([(w == "disgrace") as u8 as f32, 1.0]);
        }
        chars.push((0, 0));
        states.extend([0.0, 1.0]);
        crate::embed::TokenStates {
            width: 2,
            states,
            chars,
            pooled: Vec::new(),
        }
    }

    /// With `tokens`, a fit trains cross-fitted token heads on the spans,
    /// adds their features, and then needs token states at inference.
    #[test]
    fn token_heads_are_cross_fitted_and_need_token_states() {
        let arts = toy_articles();
        let cfg = features::FeatureConfig {
            tokens: true,
            ..features::FeatureConfig::BASELINE
        };
        let prepared = prepare(&arts, &cfg);
        let refs: Vec<_> = prepared.iter().collect();
        let opts = TrainOptions {
            epochs: 40,
            lr: 0.02,
            token_epochs: 30,
            ..Default::default()
        };
        let fitted = fit(&refs, &cfg, &opts, 2).unwrap();
        let heads = fitted.token_heads.as_ref().expect("token heads");
        assert_eq!(heads.members.len(), fit::TOKEN_FOLDS);
        assert_eq!(
            fitted.members[0].standardizer.mean.len(),
            27 + tokens::N_TOKEN_FEATURES
        );
        let texts = [
            "what a disgrace number 5!",
            "the meeting number 5 was held.",
        ];
        let embs = Letters.embed(&texts).unwrap();
        let err = fitted.predict(&embs, &texts, &[]).unwrap_err();
        assert!(err.to_string().contains("token states"), "{err}");
        let ts: Vec<_> = texts.iter().map(|t| toy_tokens(t)).collect();
        let p = fitted.predict(&embs, &texts, &ts).unwrap();
        assert!(p[0][0] > p[1][0], "{p:?}");
        // An encoder without token states gets a clear error, not a panic.
        let err = toy_wrap(fitted)
            .analyze_spans(&Letters, "What a disgrace!", &[(0, 16)])
            .unwrap_err();
        assert!(err.to_string().contains("token states"), "{err}");
    }

    /// Letters with token states (`toy_tokens`), counting the sentences
    /// asked of each kind of pass.
    #[derive(Default)]
    struct TokenLetters {
        embedded: std::sync::atomic::AtomicUsize,
        token_passes: std::sync::atomic::AtomicUsize,
        most_at_once: std::sync::atomic::AtomicUsize,
    }
    impl Encoder for TokenLetters {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            use std::sync::atomic::Ordering::Relaxed;
            self.embedded.fetch_add(texts.len(), Relaxed);
            Letters.embed(texts)
        }
        fn embed_tokens(
            &self,
            texts: &[&str],
        ) -> Result<Option<Vec<crate::embed::TokenStates>>, EmbedError> {
            use std::sync::atomic::Ordering::Relaxed;
            self.token_passes.fetch_add(texts.len(), Relaxed);
            self.most_at_once.fetch_max(texts.len(), Relaxed);
            let pooled = Letters.embed(texts)?;
            Ok(Some(
                texts
                    .iter()
                    .zip(pooled)
                    .map(|(t, p)| crate::embed::TokenStates {
                        pooled: p,
                        ..toy_tokens(t)
                    })
                    .collect(),
            ))
        }
        fn dims(&self) -> usize {
            27
        }
        fn max_len(&self) -> usize {
            512
        }
        fn name(&self) -> &str {
            "test/letters"
        }
    }

    fn token_model() -> PropagandaModel {
        let cfg = features::FeatureConfig {
            tokens: true,
            ..features::FeatureConfig::BASELINE
        };
        let arts = toy_articles();
        let prepared = prepare(&arts, &cfg);
        let refs: Vec<_> = prepared.iter().collect();
        let opts = TrainOptions {
            epochs: 20,
            lr: 0.02,
            token_epochs: 10,
            ..Default::default()
        };
        toy_wrap(fit(&refs, &cfg, &opts, 2).unwrap())
    }

    /// Issue 16 (large articles): token states are asked for at most
    /// TOKEN_CHUNK sentences at a time, and the chunked pass scores exactly
    /// as the token states of the whole article at once did.
    #[test]
    fn token_states_come_a_chunk_at_a_time_with_the_same_scores() {
        use std::sync::atomic::Ordering::Relaxed;
        let m = token_model();
        let text: String = (0..TOKEN_CHUNK * 2 + 17)
            .map(|i| {
                if i % 3 == 0 {
                    format!("What a disgrace number {i}! ")
                } else {
                    format!("The meeting number {i} was held. ")
                }
            })
            .collect();
        let enc = TokenLetters::default();
        let r = m.analyze(&enc, &text).unwrap();
        assert_eq!(r.sentences.len(), TOKEN_CHUNK * 2 + 17);
        assert_eq!(enc.most_at_once.load(Relaxed), TOKEN_CHUNK);
        assert_eq!(enc.token_passes.load(Relaxed), r.sentences.len());
        let texts: Vec<&str> = r.sentences.iter().map(|s| s.text.as_str()).collect();
        let all = enc.embed_tokens(&texts).unwrap().unwrap();
        let embs: Vec<Vec<f32>> = all.iter().map(|t| t.pooled.clone()).collect();
        let whole = m.fitted().predict(&embs, &texts, &all).unwrap();
        for (s, p) in r.sentences.iter().zip(&whole) {
            assert_eq!(s.propaganda, p[0], "{}", s.text);
        }
    }

    /// `prepare` runs the encoder once over the sentences of several
    /// articles; scoring each article afterwards runs no token pass, only
    /// embedding lookups, and gives the same report as without the cache.
    #[test]
    fn prepared_sentences_are_not_run_through_the_encoder_again() {
        use std::sync::atomic::Ordering::Relaxed;
        let m = token_model();
        let a = "What a disgrace number 1! The meeting number 2 was held.";
        let b = "The meeting number 3 was held. What a disgrace number 1!";
        let plain = TokenLetters::default();
        let want = [m.analyze(&plain, a).unwrap(), m.analyze(&plain, b).unwrap()];
        let enc = TokenLetters::default();
        let cache = TokenFeatureCache::bounded(100);
        let texts: Vec<String> = [a, b]
            .iter()
            .flat_map(|t| crate::text::split_sentences(t))
            .map(|s| s.text)
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        // Four sentences, one of them twice: three computed.
        assert_eq!(m.prepare(&enc, &refs, &cache).unwrap(), 3);
        assert_eq!(enc.token_passes.load(Relaxed), 3);
        let got = [
            m.analyze_cached_in(&enc, a, Language::English, &cache)
                .unwrap(),
            m.analyze_cached_in(&enc, b, Language::English, &cache)
                .unwrap(),
        ];
        assert_eq!(enc.token_passes.load(Relaxed), 3, "no second token pass");
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::to_value(&want).unwrap()
        );
        // A bounded cache that overflows still answers (it recomputes).
        let tiny = TokenFeatureCache::bounded(1);
        let r = m
            .analyze_cached_in(&enc, a, Language::English, &tiny)
            .unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::to_value(&want[0]).unwrap()
        );
        assert_eq!(tiny.len(), 1);
    }

    #[test]
    fn analyze_spans_reports_offsets_techniques_and_empty_text() {
        let m = toy_model();
        let text = "The meeting number 1 was held.\nWhat a disgrace number 2!\n\n  \n";
        let r = m
            .analyze_spans(&Letters, text, &[(0, 30), (31, 56), (57, 61)])
            .unwrap();
        assert_eq!(r.sentences.len(), 2);
        assert_eq!(
            &text[r.sentences[1].start..r.sentences[1].end],
            r.sentences[1].text
        );
        assert!(r.sentences[0].techniques.is_empty());
        assert_eq!(r.sentences[1].techniques[0].name, "Loaded Language");
        assert_eq!(r.sentences[1].all_scores.len(), N_TECHNIQUES);
        assert_eq!(r.techniques[0].sentences, vec![1]);
        assert!(r.score > 0.0 && r.score < 100.0);
        assert!(r.confidence > 0.0 && r.confidence < 1.0);

        let e = m.analyze_spans(&Letters, "", &[]).unwrap();
        assert_eq!((e.score, e.confidence), (0.0, 0.0));
        assert_eq!(e.risk, "low");
        assert!(e.summary.contains("Nothing to score"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 6);

        assert!(m.analyze_spans(&Letters, "é", &[(0, 1)]).is_err());
    }

    #[test]
    fn risk_labels_follow_thresholds() {
        assert_eq!(risk_label(0.0), "low");
        assert_eq!(risk_label(RISK.moderate), "moderate");
        assert_eq!(risk_label(RISK.high), "high");
        assert!(risk_reading("low").starts_with("Low risk"));
    }

    #[test]
    fn bad_model_files_are_rejected() {
        assert!(PropagandaModel::from_json("{}").is_err());
        let mut f = toy_model().file().clone();
        f.fitted.members[0].net.mlp[0].weights.pop();
        assert!(PropagandaModel::new(f).is_err());
        // Token heads present without the feature flag, or of the wrong width.
        let good = toy_model().file().clone();
        let mut f = good.clone();
        f.fitted.token_heads = Some(tokens::TokenHeads {
            members: good.fitted.members.clone(),
        });
        assert!(PropagandaModel::new(f).is_err());
        let mut f = good;
        f.fitted.features.tokens = true;
        assert!(PropagandaModel::new(f).is_err());
    }
}
