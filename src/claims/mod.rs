//! Check-worthiness: which sentences state a checkable factual claim.
//!
//! A sentence's input vector is its sentence embedding (all-MiniLM-L6-v2)
//! followed by the cue features of [`features`]; each dimension is
//! standardised with the training mean and deviation, then a small learned
//! head (logistic regression, or a one-hidden-layer MLP with ReLU) gives a
//! logit, and the score is its sigmoid in [0, 1]. A sentence is a claim when
//! its score reaches the head's threshold, chosen on a validation fold to
//! maximise F1.
//!
//! The default head is compiled in from `models/heads/checkworthiness.json`
//! (see docs/claims.md for how it was trained and how to rebuild it).

pub mod features;
pub mod train;

use crate::lang::Language;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::embed::{EmbedError, Encoder};
use crate::heads::{sigmoid, Mlp};

/// The committed head, compiled in.
const DEFAULT_HEAD: &str = include_str!("../../models/heads/checkworthiness.json");

/// Format tag of head files.
pub const HEAD_FORMAT: &str = "veracity.checkworthiness-head/1";

/// Errors from loading, training and applying check-worthiness heads.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Data {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("invalid check-worthiness head {origin}: {reason}; rebuild it with `veracity train checkworthiness`")]
    Head { origin: String, reason: String },
    #[error("the check-worthiness head was trained on embeddings of '{expected}' ({dims} dims) but the encoder is '{found}' ({found_dims} dims); use the model {expected} or retrain the head")]
    EncoderMismatch {
        expected: String,
        dims: usize,
        found: String,
        found_dims: usize,
    },
    #[error("training failed: {0}")]
    Training(String),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

/// A learned check-worthiness head as stored on disk (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Head {
    pub format: String,
    /// Encoder whose embeddings the head was trained on.
    pub encoder: String,
    /// Embedding size of that encoder.
    pub dims: usize,
    /// Whether the embedding is part of the input (false: cues only).
    pub use_embedding: bool,
    /// Cue features used, in order (empty: embedding only).
    pub cue_names: Vec<String>,
    /// Standardisation of the input vector (embedding, then cues).
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    /// Dense layers, ReLU between them; the last has one output (the logit).
    pub layers: Mlp,
    /// Decision threshold on the score (sigmoid of the logit).
    pub threshold: f32,
    /// Data, split, seed, command and measured metrics.
    pub provenance: serde_json::Value,
}

impl Head {
    /// Parse and validate a head; `origin` names it in errors.
    pub fn from_json(json: &str, origin: &str) -> Result<Self, ClaimsError> {
        let head: Head = serde_json::from_str(json).map_err(|e| ClaimsError::Head {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        head.validate(origin)?;
        Ok(head)
    }

    fn validate(&self, origin: &str) -> Result<(), ClaimsError> {
        let bad = |reason: String| ClaimsError::Head {
            origin: origin.to_string(),
            reason,
        };
        if self.format != HEAD_FORMAT {
            return Err(bad(format!(
                "format is {:?}, expected {HEAD_FORMAT:?}",
                self.format
            )));
        }
        let known: Vec<&str> = features::CUE_NAMES.to_vec();
        if !self.cue_names.is_empty() && self.cue_names != known {
            return Err(bad(
                "its cue features differ from this version's; retrain it".into(),
            ));
        }
        let d = self.input_dims();
        if d == 0 {
            return Err(bad("it uses neither embedding nor cues".into()));
        }
        if self.mean.len() != d || self.std.len() != d {
            return Err(bad(format!(
                "standardisation has the wrong size (want {d})"
            )));
        }
        self.layers.check(d, 1).map_err(bad)?;
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(bad(format!(
                "threshold {} is outside [0, 1]",
                self.threshold
            )));
        }
        Ok(())
    }

    /// Size of the input vector.
    pub fn input_dims(&self) -> usize {
        (if self.use_embedding { self.dims } else { 0 }) + self.cue_names.len()
    }

    /// The raw (unstandardised) input vector of one English sentence.
    pub fn input(&self, embedding: &[f32], text: &str) -> Vec<f32> {
        self.input_in(embedding, text, Language::English)
    }

    /// [`Head::input`] for a sentence in `lang` (its cue words).
    pub fn input_in(&self, embedding: &[f32], text: &str, lang: Language) -> Vec<f32> {
        let mut v = Vec::with_capacity(self.input_dims());
        if self.use_embedding {
            v.extend_from_slice(embedding);
        }
        if !self.cue_names.is_empty() {
            v.extend(features::cues_in(text, lang));
        }
        v
    }

    /// Scores in [0, 1] of raw input vectors (rows of [`Head::input`]).
    pub fn score_inputs(&self, inputs: &[Vec<f32>]) -> Result<Vec<f32>, ClaimsError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let d = self.input_dims();
        let mut flat = Vec::with_capacity(inputs.len() * d);
        for row in inputs {
            if row.len() != d {
                return Err(ClaimsError::Training(format!(
                    "input vector has {} values, the head expects {d}",
                    row.len()
                )));
            }
            flat.extend(
                row.iter()
                    .zip(self.mean.iter().zip(&self.std))
                    .map(|(x, (m, s))| (x - m) / s),
            );
        }
        let x = Tensor::from_vec(flat, (inputs.len(), d), &Device::Cpu)?;
        let logits: Vec<f32> = self.layers.forward(&x)?.flatten_all()?.to_vec1()?;
        Ok(logits.into_iter().map(sigmoid).collect())
    }
}

/// The check-worthiness scorer.
#[derive(Debug, Clone)]
pub struct CheckWorthiness {
    head: Head,
}

impl CheckWorthiness {
    /// The head committed under `models/heads/`, compiled into the binary.
    pub fn load_default() -> Result<Self, ClaimsError> {
        Ok(CheckWorthiness {
            head: Head::from_json(DEFAULT_HEAD, "models/heads/checkworthiness.json (built in)")?,
        })
    }

    /// A head from a JSON file.
    pub fn from_file(path: &Path) -> Result<Self, ClaimsError> {
        let json = std::fs::read_to_string(path).map_err(|e| ClaimsError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
        Ok(CheckWorthiness {
            head: Head::from_json(&json, &path.display().to_string())?,
        })
    }

    /// Wrap a head (e.g. one just trained).
    pub fn from_head(head: Head) -> Result<Self, ClaimsError> {
        head.validate("(in memory)")?;
        Ok(CheckWorthiness { head })
    }

    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Decision threshold on the score.
    pub fn threshold(&self) -> f32 {
        self.head.threshold
    }

    fn check_encoder(&self, enc: &dyn Encoder) -> Result<(), ClaimsError> {
        if self.head.use_embedding
            && (enc.dims() != self.head.dims || enc.name() != self.head.encoder)
        {
            return Err(ClaimsError::EncoderMismatch {
                expected: self.head.encoder.clone(),
                dims: self.head.dims,
                found: enc.name().to_string(),
                found_dims: enc.dims(),
            });
        }
        Ok(())
    }

    /// Check-worthiness scores in [0, 1], one per English sentence, in order.
    pub fn score(&self, enc: &dyn Encoder, sentences: &[&str]) -> Result<Vec<f32>, ClaimsError> {
        self.score_in(enc, sentences, Language::English)
    }

    /// [`CheckWorthiness::score`] for sentences in `lang`.
    pub fn score_in(
        &self,
        enc: &dyn Encoder,
        sentences: &[&str],
        lang: Language,
    ) -> Result<Vec<f32>, ClaimsError> {
        if sentences.is_empty() {
            return Ok(Vec::new());
        }
        self.check_encoder(enc)?;
        let embs = if self.head.use_embedding {
            enc.embed(sentences)?
        } else {
            vec![Vec::new(); sentences.len()]
        };
        let inputs: Vec<Vec<f32>> = sentences
            .iter()
            .zip(&embs)
            .map(|(s, e)| self.head.input_in(e, s, lang))
            .collect();
        self.head.score_inputs(&inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::embed::cache::tests::LetterEncoder;

    #[test]
    fn default_head_loads_and_scores_in_range() {
        let cw = CheckWorthiness::load_default().unwrap();
        assert!(cw.threshold() > 0.0 && cw.threshold() < 1.0);
        assert_eq!(cw.head().encoder, crate::embed::DEFAULT_MODEL);
        // The built-in head needs the real model: a different encoder is refused.
        let e = cw
            .score(&LetterEncoder::new(), &["x"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("use the model"), "{e}");
        assert!(cw.score(&LetterEncoder::new(), &[]).unwrap().is_empty());
    }

    #[test]
    fn trained_head_scores_through_an_encoder() {
        // Cue-bearing factual sentences vs. chit-chat, embedded by the toy encoder.
        let factual = [
            "Unemployment fell to 3.9% in March, the Labor Department said.",
            "Taxes rose by $4 billion in 2019.",
            "The Senate passed the bill 52 to 48 on Tuesday.",
            "Exports grew 12 percent last year, officials said.",
            "Crime dropped 20% since 2010, the FBI reported.",
            "The deficit reached $1.2 trillion in 2020.",
        ];
        let chat = [
            "What a wonderful day it is!",
            "Thank you so much for having me.",
            "I think we should talk about that.",
            "Do you really believe that?",
            "Let me be clear about this.",
            "We love our great country!",
        ];
        let enc = LetterEncoder::new();
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let template = Head {
            format: HEAD_FORMAT.into(),
            encoder: enc.name().into(),
            dims: enc.dims(),
            use_embedding: true,
            cue_names: features::CUE_NAMES.iter().map(|s| s.to_string()).collect(),
            mean: vec![],
            std: vec![],
            layers: Mlp::default(),
            threshold: 0.5,
            provenance: serde_json::Value::Null,
        };
        for _ in 0..5 {
            for (s, y) in factual
                .iter()
                .map(|s| (s, true))
                .chain(chat.iter().map(|s| (s, false)))
            {
                xs.push(template.input(&enc.embed_one(s).unwrap(), s));
                ys.push(y);
            }
        }
        let opts = train::TrainOptions {
            hidden: 8,
            max_epochs: 60,
            lr: 1e-2,
            ..Default::default()
        };
        let (head, _) = train::fit(
            enc.name(),
            enc.dims(),
            &xs,
            &ys,
            &xs,
            &ys,
            &opts,
            serde_json::Value::Null,
        )
        .unwrap();
        let cw = CheckWorthiness::from_head(head).unwrap();
        let s = cw
            .score(
                &enc,
                &[
                    "Imports fell 7% in 2021, the ministry said.",
                    "Thank you, what a great day!",
                ],
            )
            .unwrap();
        assert!(s[0] > s[1], "{s:?}");
        assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn invalid_heads_are_rejected() {
        let cw = CheckWorthiness::load_default().unwrap();
        let mut h = cw.head().clone();
        h.layers[0].bias.push(1.0);
        assert!(CheckWorthiness::from_head(h).is_err());
        let mut h = cw.head().clone();
        h.threshold = 2.0;
        assert!(CheckWorthiness::from_head(h).is_err());
        let e = Head::from_json("{}", "x.json").unwrap_err().to_string();
        assert!(e.contains("x.json"), "{e}");
    }
}
