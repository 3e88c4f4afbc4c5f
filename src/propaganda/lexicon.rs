//! A learned word lexicon: for each word seen in enough training sentences,
//! its smoothed log-odds of occurring in a sentence that carries each head's
//! label (any technique, then each technique). Sentence embeddings blur single
//! loaded words ("traitors", "thugs", "disgrace"); these features give them
//! back. Only single lower-cased words and numbers are stored, never text.
//!
//! Features of a training sentence are computed with its own article's counts
//! left out, so that a word's log-odds never include the sentence being
//! scored (the same situation as for a new article).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::features::words_in;
#[cfg(feature = "experiments")]
use super::features::words_with_offsets;
use super::train::N_HEADS;
#[cfg(feature = "experiments")]
use super::SentenceSpan;
use crate::lang::Language;

/// Minimum number of training sentences a word must occur in.
pub const MIN_DF: usize = 10;
/// A word is kept only when its log-odds reach this magnitude for some head
/// (keeps the committed file small; applied identically in training).
pub const MIN_ABS: f32 = 0.3;

/// Log-odds per head of a word seen in `n` sentences, `p[h]` of them
/// positive for head h, out of `total` sentences with `total_pos[h]`
/// positives; `None` when the word is too rare or uninformative.
fn word_log_odds(
    n: usize,
    p: &[usize; N_HEADS],
    total: usize,
    total_pos: &[usize; N_HEADS],
) -> Option<Vec<i8>> {
    if n < MIN_DF {
        return None;
    }
    let lo: Vec<i8> = (0..N_HEADS)
        .map(|h| {
            let v = log_odds(n, p[h], total, total_pos[h]);
            (v * 10.0).round().clamp(-127.0, 127.0) as i8
        })
        .collect();
    lo.iter()
        .any(|&v| (v as f32 / 10.0).abs() >= MIN_ABS)
        .then_some(lo)
}
/// Features per sentence: per head, the highest and the mean of the three
/// highest log-odds among the sentence's words.
pub const N_LEXICON: usize = 2 * N_HEADS;

/// The terms of a sentence: its distinct lower-cased words. (Adding word
/// bigrams was measured and did not help: sentence F1 0.590 vs 0.593.)
pub fn terms(text: &str) -> HashSet<String> {
    terms_in(text, Language::English)
}

/// [`terms`] of a sentence in `lang`.
pub fn terms_in(text: &str, lang: Language) -> HashSet<String> {
    words_in(text, lang).into_iter().collect()
}

/// Per-word counts of units (sentences, or words in their sentence for the
/// span lexicon): total units and positives per head, and per word.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub sentences: usize,
    pub positives: [usize; N_HEADS],
    pub words: HashMap<String, (usize, [usize; N_HEADS])>,
}

impl Counts {
    /// Count one article's sentences; `labels[i][h]` is head `h`'s label.
    pub fn article(texts: &[&str], labels: &[[bool; N_HEADS]]) -> Counts {
        let mut c = Counts::default();
        for (t, l) in texts.iter().zip(labels) {
            c.add(terms(t), l);
        }
        c
    }

    #[cfg(feature = "experiments")]
    /// Count one article's words against the gold spans: every distinct word
    /// of a sentence is one unit, positive for head `h` when one of its
    /// occurrences lies inside a span of that head (head 0: any technique).
    /// `spans[i]` holds sentence `i`'s spans as (start, end, technique) in
    /// characters of its text.
    pub fn spans(texts: &[&str], spans: &[Vec<SentenceSpan>]) -> Counts {
        let mut c = Counts::default();
        for (t, sp) in texts.iter().zip(spans) {
            let mut units: HashMap<String, [bool; N_HEADS]> = HashMap::new();
            for (ws, we, w) in words_with_offsets(t) {
                let l = units.entry(w).or_insert([false; N_HEADS]);
                for &(s, e, tech) in sp {
                    if s < we && ws < e {
                        l[0] = true;
                        l[tech + 1] = true;
                    }
                }
            }
            for (w, l) in units {
                c.add([w], &l);
            }
        }
        c
    }

    /// Count one unit (a sentence, or a word in its sentence) made of `terms`.
    fn add(&mut self, terms: impl IntoIterator<Item = String>, l: &[bool; N_HEADS]) {
        self.sentences += 1;
        for (h, &b) in l.iter().enumerate() {
            self.positives[h] += b as usize;
        }
        for w in terms {
            let e = self.words.entry(w).or_insert((0, [0; N_HEADS]));
            e.0 += 1;
            for (h, &b) in l.iter().enumerate() {
                e.1[h] += b as usize;
            }
        }
    }

    /// Add (sign +1) or remove (sign -1) another count.
    pub fn merge(&mut self, o: &Counts) {
        self.sentences += o.sentences;
        for h in 0..N_HEADS {
            self.positives[h] += o.positives[h];
        }
        for (w, (n, p)) in &o.words {
            let e = self.words.entry(w.clone()).or_insert((0, [0; N_HEADS]));
            e.0 += n;
            for (a, b) in e.1.iter_mut().zip(p) {
                *a += b;
            }
        }
    }
}

/// Smoothed log-odds of a word for one head.
fn log_odds(n: usize, p: usize, total: usize, total_pos: usize) -> f32 {
    let neg = n - p;
    let total_neg = total.saturating_sub(total_pos);
    (((p as f64 + 0.5) / (total_pos as f64 + 1.0)).ln()
        - ((neg as f64 + 0.5) / (total_neg as f64 + 1.0)).ln()) as f32
}

/// The stored lexicon.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Lexicon {
    /// word → log-odds per head, in tenths (so 12 means 1.2).
    pub words: HashMap<String, Vec<i8>>,
}

impl Lexicon {
    /// Build from counts, keeping words in at least [`MIN_DF`] sentences.
    pub fn build(c: &Counts) -> Lexicon {
        Self::build_excluding(c, None)
    }

    /// Build from `c` minus `minus` (an article's own counts).
    pub fn build_excluding(c: &Counts, minus: Option<&Counts>) -> Lexicon {
        let (ms, mp) = minus
            .map(|m| (m.sentences, m.positives))
            .unwrap_or((0, [0; N_HEADS]));
        let total = c.sentences - ms;
        let mut words = HashMap::new();
        for (w, (n, p)) in &c.words {
            let (mn, mpw) = minus
                .and_then(|m| m.words.get(w))
                .copied()
                .unwrap_or((0, [0; N_HEADS]));
            let pw: [usize; N_HEADS] = std::array::from_fn(|h| p[h] - mpw[h]);
            let tp: [usize; N_HEADS] = std::array::from_fn(|h| c.positives[h] - mp[h]);
            if let Some(lo) = word_log_odds(n - mn, &pw, total, &tp) {
                words.insert(w.clone(), lo);
            }
        }
        Lexicon { words }
    }

    /// Features of one English sentence.
    pub fn features(&self, text: &str) -> [f32; N_LEXICON] {
        self.features_in(text, Language::English)
    }

    /// [`Lexicon::features`] of a sentence in `lang`.
    pub fn features_in(&self, text: &str, lang: Language) -> [f32; N_LEXICON] {
        let set = terms_in(text, lang);
        let los: Vec<&Vec<i8>> = set.iter().filter_map(|w| self.words.get(w)).collect();
        let mut out = [0.0f32; N_LEXICON];
        if los.is_empty() {
            return out;
        }
        for h in 0..N_HEADS {
            let mut v: Vec<f32> = los.iter().map(|lo| lo[h] as f32 / 10.0).collect();
            v.sort_by(|a, b| b.total_cmp(a));
            out[2 * h] = v[0];
            let k = v.len().min(3);
            out[2 * h + 1] = v[..k].iter().sum::<f32>() / k as f32;
        }
        out
    }

    /// Features of one sentence computed straight from counts `c` minus
    /// `minus` (same values as `build_excluding(c, minus).features(text)`).
    pub fn features_from_counts(
        c: &Counts,
        minus: Option<&Counts>,
        text: &str,
    ) -> [f32; N_LEXICON] {
        let (ms, mp) = minus
            .map(|m| (m.sentences, m.positives))
            .unwrap_or((0, [0; N_HEADS]));
        let total = c.sentences - ms;
        let mut words = HashMap::new();
        for w in terms(text) {
            let Some((n, p)) = c.words.get(&w) else {
                continue;
            };
            let (mn, mpw) = minus
                .and_then(|m| m.words.get(&w))
                .copied()
                .unwrap_or((0, [0; N_HEADS]));
            let pw: [usize; N_HEADS] = std::array::from_fn(|h| p[h] - mpw[h]);
            let tp: [usize; N_HEADS] = std::array::from_fn(|h| c.positives[h] - mp[h]);
            if let Some(lo) = word_log_odds(n - mn, &pw, total, &tp) {
                words.insert(w, lo);
            }
        }
        Lexicon { words }.features(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_odds_separate_loaded_words_and_leave_one_out_works() {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..12 {
            texts.push(format!("these traitors again {i}"));
            let mut l = [false; N_HEADS];
            l[0] = true;
            labels.push(l);
            texts.push(format!("the meeting again {i}"));
            labels.push([false; N_HEADS]);
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let c = Counts::article(&refs, &labels);
        let lex = Lexicon::build(&c);
        assert!(lex.words["traitors"][0] > 20);
        assert!(lex.words["meeting"][0] < -20);
        assert!(lex.words["again"][0].abs() <= 1);
        let f = lex.features("Those traitors!");
        assert!(f[0] > 2.0);
        // Leaving the only article out empties the lexicon.
        assert_eq!(
            Lexicon::features_from_counts(&c, None, "Those traitors!"),
            f
        );
        let loo = Lexicon::build_excluding(&c, Some(&c));
        assert!(loo.words.is_empty());
        assert_eq!(loo.features("traitors"), [0.0; N_LEXICON]);
    }

    #[cfg(feature = "experiments")]
    #[test]
    fn span_counts_label_the_words_inside_spans() {
        // "these traitors again": the span covers "traitors" (chars 6..14),
        // technique 1 (head 2); the words around it are negative units.
        let texts = ["these traitors again", "the meeting again"];
        let spans = vec![vec![(6, 14, 1)], vec![]];
        let c = Counts::spans(&texts, &spans);
        assert_eq!(c.sentences, 6, "one unit per distinct word of a sentence");
        assert_eq!(c.positives[0], 1);
        assert_eq!(c.words["traitors"].1[2], 1);
        assert_eq!(c.words["these"].1, [0; N_HEADS]);
        assert_eq!(c.words["again"], (2, [0; N_HEADS]));
    }
}
