//! Sentence feature vectors for the propaganda heads.
//!
//! A sentence is seen through its own embedding plus, depending on the
//! [`FeatureConfig`], the mean embedding of its neighbours, the mean embedding
//! of the whole article, article-level repetition signals, its length, and a
//! few lexical cues. Training and inference build features with the same
//! function, so the committed model and `veracity eval propaganda` agree.
//!
//! The lexical cues and word splitting read the language's
//! [`crate::lang::PropagandaLexicon`]: the functions without a language use English, their
//! `_in` variants any [`Language`].

use serde::{Deserialize, Serialize};

use super::fit::REPETITION_WINDOW;
use crate::embed::dot;
use crate::lang::Language;
#[cfg(feature = "experiments")]
use crate::lang::PropagandaLexicon;

/// Which feature groups are used (stored in the model file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Mean embedding of the previous and next sentence.
    pub context: bool,
    /// Mean embedding of all sentences of the article.
    pub article: bool,
    /// Repetition: highest cosine to another sentence, number of near
    /// duplicates, share of the sentence's content words repeated elsewhere.
    pub repetition: bool,
    /// Sentence length (log word count) and article length (log sentences).
    pub length: bool,
    /// Lexical cues: exclamation and question marks, all-caps words, quotes,
    /// superlatives, intensifiers.
    pub lexical: bool,
    /// Second stage: re-score each sentence from the first-stage logits of
    /// itself, its neighbours and the whole article (stacking).
    #[serde(default)]
    pub stack: bool,
    /// Learned word log-odds per head (see [`super::lexicon`]).
    #[serde(default)]
    pub lexicon: bool,
    /// Learned log-odds per head of a word lying inside a gold span (the
    /// span lexicon, `lexicon::Counts::spans`; an experiment).
    #[serde(default)]
    pub spans: bool,
    /// Token heads over the encoder's token states (see [`super::tokens`]).
    #[serde(default)]
    pub tokens: bool,
    /// Cosine to each head's positive and negative centroid (see
    /// [`super::exemplars`]).
    #[serde(default)]
    pub prototypes: bool,
    /// Labels of the nearest training sentences (evaluation only, see
    /// [`super::exemplars`]).
    #[serde(default)]
    pub exemplars: bool,
}

impl FeatureConfig {
    /// The plain baseline: the sentence embedding alone.
    pub const BASELINE: FeatureConfig = FeatureConfig {
        context: false,
        article: false,
        repetition: false,
        length: false,
        lexical: false,
        stack: false,
        lexicon: false,
        spans: false,
        tokens: false,
        prototypes: false,
        exemplars: false,
    };

    /// Every feature group.
    pub const ALL: FeatureConfig = FeatureConfig {
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
    };

    /// The groups of this configuration that were measured and not shipped
    /// (context, article, lexical, stack, spans, exemplars; docs/propaganda.md
    /// has their figures). They are compiled only with the cargo feature
    /// `experiments`.
    pub fn experimental(&self) -> Vec<&'static str> {
        [
            (self.context, "context"),
            (self.article, "article"),
            (self.lexical, "lexical"),
            (self.stack, "stack"),
            (self.spans, "spans"),
            (self.exemplars, "exemplars"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name)
        .collect()
    }

    /// An error when the configuration uses a group this build leaves out
    /// ([`FeatureConfig::experimental`] without the `experiments` feature).
    pub fn check_available(&self) -> Result<(), super::PropagandaError> {
        let missing = self.experimental();
        if cfg!(feature = "experiments") || missing.is_empty() {
            return Ok(());
        }
        Err(super::PropagandaError::Model(format!(
            "the feature group(s) {} were measured and not shipped; they need a build with \
             `--features experiments`",
            missing.join(", ")
        )))
    }

    /// Feature vector length for embeddings of `dims` dimensions.
    pub fn len(&self, dims: usize) -> usize {
        dims + if self.context { dims } else { 0 }
            + if self.article { dims } else { 0 }
            + if self.repetition { N_REPETITION } else { 0 }
            + if self.length { 2 } else { 0 }
            + if self.lexical { N_LEXICAL } else { 0 }
    }

    /// Input size of the first-stage heads (adds the learned lexicons' features).
    pub fn model_len(&self, dims: usize) -> usize {
        self.len(dims)
            + (self.lexicon as usize + self.spans as usize) * super::lexicon::N_LEXICON
            + self.tokens as usize * super::tokens::N_TOKEN_FEATURES
            + (self.prototypes as usize + self.exemplars as usize) * super::train::N_HEADS
    }

    /// Short description, e.g. `emb+context+article+repetition`.
    pub fn describe(&self) -> String {
        let mut s = vec!["emb"];
        for (on, n) in [
            (self.context, "context"),
            (self.article, "article"),
            (self.repetition, "repetition"),
            (self.length, "length"),
            (self.lexical, "lexical"),
            (self.stack, "stack"),
            (self.lexicon, "lexicon"),
            (self.spans, "spans"),
            (self.tokens, "tokens"),
            (self.prototypes, "prototypes"),
            (self.exemplars, "exemplars"),
        ] {
            if on {
                s.push(n);
            }
        }
        s.join("+")
    }
}

/// Number of repetition features.
pub const N_REPETITION: usize = 3;
/// Number of lexical features.
pub const N_LEXICAL: usize = 6;
/// Cosine above which two sentences of one article count as near duplicates.
pub const NEAR_DUPLICATE_COSINE: f32 = 0.85;

/// Words (lower-case, letters only) of an English text.
pub fn words(text: &str) -> Vec<String> {
    words_in(text, Language::English)
}

/// Words (lower-case, letters only) of a text in `lang`.
pub fn words_in(text: &str, lang: Language) -> Vec<String> {
    words_with_offsets_in(text, lang)
        .into_iter()
        .map(|(_, _, w)| w)
        .collect()
}

/// The words of [`words`] with the character offsets (start, end) of the
/// piece of `text` each came from, to match words against labelled spans.
pub fn words_with_offsets(text: &str) -> Vec<(usize, usize, String)> {
    words_with_offsets_in(text, Language::English)
}

/// [`words_with_offsets`] for a text in `lang`.
pub fn words_with_offsets_in(text: &str, lang: Language) -> Vec<(usize, usize, String)> {
    let joiners = lang.words().propaganda.word_joiners;
    let mut out = Vec::new();
    let mut piece_start: Option<(usize, usize)> = None; // (char index, byte index)
    let mut flush = |start: Option<(usize, usize)>, end_char: usize, end_byte: usize| {
        if let Some((cs, bs)) = start {
            let w = &text[bs..end_byte];
            if w.chars().any(|c| c.is_alphabetic()) {
                let w = w.trim_matches(joiners).to_lowercase();
                if !w.is_empty() {
                    out.push((cs, end_char, w));
                }
            }
        }
    };
    let mut n_chars = 0;
    for (ci, (bi, c)) in text.char_indices().enumerate() {
        if c.is_alphanumeric() || joiners.contains(&c) {
            piece_start.get_or_insert((ci, bi));
        } else {
            flush(piece_start.take(), ci, bi);
        }
        n_chars = ci + 1;
    }
    flush(piece_start, n_chars, text.len());
    out
}

#[cfg(feature = "experiments")]
fn lexical(text: &str, lang: Language) -> [f32; N_LEXICAL] {
    let lex: &PropagandaLexicon = &lang.words().propaganda;
    let excl = text.matches('!').count() as f32;
    let quest = text.matches('?').count() as f32;
    let caps = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3 && w.chars().all(|c| c.is_uppercase()))
        .count() as f32;
    let quotes = text
        .chars()
        .filter(|c| matches!(c, '"' | '“' | '”' | '‘' | '’' | '«' | '»'))
        .count() as f32;
    let ws = words_in(text, lang);
    let superl = ws
        .iter()
        .filter(|w| {
            lex.superlatives.contains(&w.as_str())
                || (w.len() > 5
                    && w.ends_with(lex.superlative_suffix)
                    && !lex.superlative_exceptions.iter().any(|x| w.ends_with(x)))
        })
        .count() as f32;
    let inten = ws
        .iter()
        .filter(|w| lex.intensifiers.contains(&w.as_str()))
        .count() as f32;
    [
        excl.ln_1p(),
        quest.ln_1p(),
        caps.ln_1p(),
        quotes.ln_1p(),
        superl.ln_1p(),
        inten.ln_1p(),
    ]
}

#[cfg(feature = "experiments")]
fn mean_into(out: &mut [f32], vs: &[&[f32]]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    if vs.is_empty() {
        return;
    }
    for v in vs {
        for (o, x) in out.iter_mut().zip(v.iter()) {
            *o += x;
        }
    }
    let n = vs.len() as f32;
    out.iter_mut().for_each(|x| *x /= n);
}

/// Per-sentence repetition signals inside one English article: for each
/// sentence, (highest cosine to another sentence, number of near duplicates,
/// share of its content words that occur in at least two other sentences).
/// Other sentences are those within [`REPETITION_WINDOW`] on either side:
/// every pair in an article of up to 1,001 sentences (any news article), and
/// time linear in the length of a longer text (every pair made a 1 MB text,
/// 10,000 sentences, spend most of its time here).
pub fn repetition_signals(embs: &[Vec<f32>], texts: &[&str]) -> Vec<(f32, usize, f32)> {
    repetition_signals_in(embs, texts, Language::English)
}

/// [`repetition_signals`] for an article in `lang`.
pub fn repetition_signals_in(
    embs: &[Vec<f32>],
    texts: &[&str],
    lang: Language,
) -> Vec<(f32, usize, f32)> {
    let n = embs.len();
    let word_sets: Vec<std::collections::HashSet<String>> = texts
        .iter()
        .map(|t| {
            words_in(t, lang)
                .into_iter()
                .filter(|w| w.len() >= 4)
                .collect()
        })
        .collect();
    let mut df: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in &word_sets {
        for w in s {
            *df.entry(w.as_str()).or_default() += 1;
        }
    }
    (0..n)
        .map(|i| {
            let mut best = 0.0f32;
            let mut near = 0usize;
            for j in i.saturating_sub(REPETITION_WINDOW)..(i + REPETITION_WINDOW + 1).min(n) {
                if j == i {
                    continue;
                }
                let c = dot(&embs[i], &embs[j]);
                best = best.max(c);
                if c >= NEAR_DUPLICATE_COSINE {
                    near += 1;
                }
            }
            let ws = &word_sets[i];
            let rep = if ws.is_empty() {
                0.0
            } else {
                ws.iter().filter(|w| df[w.as_str()] >= 3).count() as f32 / ws.len() as f32
            };
            (best, near, rep)
        })
        .collect()
}

/// Build one feature vector per sentence of an English article, in order.
/// `embs` are the sentences' normalised embeddings, `texts` their texts.
pub fn article_features(cfg: &FeatureConfig, embs: &[Vec<f32>], texts: &[&str]) -> Vec<Vec<f32>> {
    article_features_in(cfg, embs, texts, Language::English)
}

/// [`article_features`] for an article in `lang`.
pub fn article_features_in(
    cfg: &FeatureConfig,
    embs: &[Vec<f32>],
    texts: &[&str],
    lang: Language,
) -> Vec<Vec<f32>> {
    let n = embs.len();
    if n == 0 {
        return Vec::new();
    }
    let dims = embs[0].len();
    #[cfg(feature = "experiments")]
    let art = {
        let mut art = vec![0.0f32; dims];
        if cfg.article {
            let all: Vec<&[f32]> = embs.iter().map(|v| v.as_slice()).collect();
            mean_into(&mut art, &all);
        }
        art
    };
    let rep = if cfg.repetition {
        repetition_signals_in(embs, texts, lang)
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(n);
    #[cfg(feature = "experiments")]
    let mut ctx = vec![0.0f32; dims];
    for i in 0..n {
        let mut f = Vec::with_capacity(cfg.len(dims));
        f.extend_from_slice(&embs[i]);
        #[cfg(feature = "experiments")]
        if cfg.context {
            let mut nb: Vec<&[f32]> = Vec::new();
            if i > 0 {
                nb.push(&embs[i - 1]);
            }
            if i + 1 < n {
                nb.push(&embs[i + 1]);
            }
            mean_into(&mut ctx, &nb);
            f.extend_from_slice(&ctx);
        }
        #[cfg(feature = "experiments")]
        if cfg.article {
            f.extend_from_slice(&art);
        }
        if cfg.repetition {
            let (best, near, share) = rep[i];
            f.push(best);
            f.push((near as f32).ln_1p());
            f.push(share);
        }
        if cfg.length {
            f.push((words_in(texts[i], lang).len() as f32).ln_1p());
            f.push((n as f32).ln());
        }
        #[cfg(feature = "experiments")]
        if cfg.lexical {
            f.extend_from_slice(&lexical(texts[i], lang));
        }
        out.push(f);
    }
    out
}

/// Number of second-stage (stacking) features per sentence for `heads` heads.
#[cfg(feature = "experiments")]
pub fn stack_len(heads: usize) -> usize {
    3 * heads
}

/// Second-stage features from first-stage logits `z` (sentences × heads) of
/// one article: the sentence's own logits, the mean of its neighbours'
/// (previous and next) and the article mean.
#[cfg(feature = "experiments")]
pub fn stack_features(z: &[f32], heads: usize) -> Vec<f32> {
    let n = z.len() / heads.max(1);
    let mut out = Vec::with_capacity(n * stack_len(heads));
    let mut mean = vec![0.0f32; heads];
    for row in z.chunks_exact(heads) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f32;
        }
    }
    for i in 0..n {
        out.extend_from_slice(&z[i * heads..(i + 1) * heads]);
        let nb: Vec<usize> = [i.checked_sub(1), Some(i + 1).filter(|&j| j < n)]
            .into_iter()
            .flatten()
            .collect();
        for k in 0..heads {
            let v = if nb.is_empty() {
                mean[k]
            } else {
                nb.iter().map(|&j| z[j * heads + k]).sum::<f32>() / nb.len() as f32
            };
            out.push(v);
        }
        out.extend_from_slice(&mean);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// Three sentences of an article, the first and last the same.
    fn three_sentences() -> (Vec<Vec<f32>>, [&'static str; 3]) {
        let embs = vec![
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[1.0, 0.01, 0.0]),
        ];
        let texts = [
            "Make the nation great again!",
            "The vote was held on Tuesday.",
            "Make the nation great again!",
        ];
        (embs, texts)
    }

    #[test]
    fn features_have_the_configured_length_and_repetition() {
        let (embs, texts) = three_sentences();
        // The shipped groups (the committed model's).
        let shipped = FeatureConfig {
            repetition: true,
            length: true,
            lexicon: true,
            tokens: true,
            prototypes: true,
            ..FeatureConfig::BASELINE
        };
        assert!(shipped.experimental().is_empty());
        assert!(shipped.check_available().is_ok());
        let f = article_features(&shipped, &embs, &texts);
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|v| v.len() == shipped.len(3)));
        let rep = repetition_signals(&embs, &texts);
        assert!(rep[0].0 > 0.99 && rep[0].1 == 1);
        assert_eq!(rep[1].1, 0);
        let b = article_features(&FeatureConfig::BASELINE, &embs, &texts);
        assert_eq!(b[1], embs[1]);
        assert!(article_features(&shipped, &[], &[]).is_empty());
        assert_eq!(
            article_features_in(&shipped, &embs, &texts, Language::English),
            f
        );
        assert_eq!(
            FeatureConfig::ALL.experimental(),
            [
                "context",
                "article",
                "lexical",
                "stack",
                "spans",
                "exemplars"
            ]
        );
        assert_eq!(
            FeatureConfig::ALL.check_available().is_ok(),
            cfg!(feature = "experiments")
        );
    }

    /// Issue 16 (large articles): repetition signals compare a sentence
    /// with the REPETITION_WINDOW sentences on either side, so a copy
    /// further away is not seen, and one within reach is.
    #[test]
    fn repetition_signals_look_within_the_window() {
        let n = 2 * REPETITION_WINDOW + 10;
        let unit = |k: usize| {
            let mut v = vec![0.0f32; 4];
            v[k] = 1.0;
            v
        };
        // Sentence 0 and sentence n-1 are copies; the rest point elsewhere.
        let embs: Vec<Vec<f32>> = (0..n)
            .map(|i| {
                if i == 0 || i == n - 1 {
                    unit(0)
                } else {
                    unit(1 + i % 3)
                }
            })
            .collect();
        let texts: Vec<&str> = vec!["sentence"; n];
        let rep = repetition_signals(&embs, &texts);
        assert_eq!(rep[0].1, 0, "a copy beyond the window is not counted");
        assert!(rep[0].0 < 0.5);
        let near = REPETITION_WINDOW / 2;
        let mut embs2 = embs.clone();
        embs2[near] = unit(0);
        let rep2 = repetition_signals(&embs2, &texts);
        assert_eq!(rep2[0].1, 1, "a copy within the window is");
        assert!(rep2[0].0 > 0.99);
    }

    #[cfg(feature = "experiments")]
    #[test]
    fn every_group_has_its_length_and_the_lexical_cues_count() {
        let (embs, texts) = three_sentences();
        let all = FeatureConfig::ALL;
        let f = article_features(&all, &embs, &texts);
        assert!(f.iter().all(|v| v.len() == all.len(3)));
        let l = lexical("WOW! This is the BEST, very best!", Language::English);
        assert!(l[0] > 0.0);
        assert_eq!(l[4], 2f32.ln_1p(), "two superlatives");
        assert_eq!(l[5], 1f32.ln_1p(), "one intensifier");
        assert_eq!(
            lexical("The greatest interest, the latest.", Language::English)[4],
            2f32.ln_1p(),
            "greatest and latest, not interest"
        );
    }

    #[test]
    fn words_keep_their_character_offsets() {
        let t = "Ça, the 'traitors' won't — 42 times!";
        let w = words_with_offsets(t);
        let got: Vec<(&str, String)> = w
            .iter()
            .map(|(s, e, x)| {
                let piece: String = t.chars().skip(*s).take(e - s).collect();
                (x.as_str(), piece)
            })
            .collect();
        assert_eq!(
            got.iter().map(|(x, _)| *x).collect::<Vec<_>>(),
            ["ça", "the", "traitors", "won't", "times"]
        );
        assert_eq!(got[2].1, "'traitors'");
        assert_eq!(got[4].1, "times");
        assert_eq!(words(t).len(), 5);
    }
}
