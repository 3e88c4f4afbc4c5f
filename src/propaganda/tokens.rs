//! Token-level heads: logistic heads on each token's hidden states (the
//! encoder's token states, not pooled), trained on whether the token lies
//! inside a gold span of each technique (head 0: any). PTC spans are mostly a
//! few words long, and a sentence's mean-pooled embedding dilutes them; a
//! token head looks at each word in its context instead. A sentence gets, per
//! head, the highest token logit and the mean of its three highest.

use serde::{Deserialize, Serialize};

use crate::embed::TokenStates;

use super::fit::Member;
use super::train::{fit_net, Standardizer, TrainOptions, N_HEADS};
use super::PropagandaError;
use super::SentenceSpan;

/// Features per sentence: per head, the highest token logit and the mean of
/// the three highest.
pub const N_TOKEN_FEATURES: usize = 2 * N_HEADS;

/// The learned token heads: one member per cross-fitting fold, their logits
/// averaged at inference.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenHeads {
    pub members: Vec<Member>,
}

/// Per-token targets of one sentence: head 0 when the token overlaps any gold
/// span, head `t + 1` when it overlaps a span of technique `t`. `spans` are
/// (start, end, technique) in characters of the sentence, like the token
/// ranges.
pub fn token_targets(ts: &TokenStates, spans: &[SentenceSpan]) -> Vec<[f32; N_HEADS]> {
    ts.chars
        .iter()
        .map(|&(s, e)| {
            let mut t = [0.0f32; N_HEADS];
            if s < e {
                for &(a, b, k) in spans {
                    if a < e && s < b {
                        t[0] = 1.0;
                        t[k + 1] = 1.0;
                    }
                }
            }
            t
        })
        .collect()
}

/// The rows of the word tokens of a sentence (special tokens dropped).
fn word_rows(ts: &TokenStates) -> impl Iterator<Item = (usize, &[f32])> {
    ts.chars
        .iter()
        .zip(ts.states.chunks_exact(ts.width.max(1)))
        .enumerate()
        .filter(|(_, (&(s, e), _))| s < e)
        .map(|(i, (_, row))| (i, row))
}

impl TokenHeads {
    /// Train one member on the word tokens of `sentences` (token states and
    /// their gold spans). Class imbalance is handled by `opts.pos_weight`.
    pub fn train_member(
        sentences: &[(&TokenStates, &[SentenceSpan])],
        opts: &TrainOptions,
    ) -> Result<Member, PropagandaError> {
        let Some(d) = sentences.iter().map(|(t, _)| t.width).find(|&w| w > 0) else {
            return Err(PropagandaError::Train(
                "no token states to train the token heads on".into(),
            ));
        };
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (ts, spans) in sentences {
            if ts.width != d {
                return Err(PropagandaError::Train(format!(
                    "token states of width {} beside {d}",
                    ts.width
                )));
            }
            let t = token_targets(ts, spans);
            for (i, row) in word_rows(ts) {
                x.extend_from_slice(row);
                y.extend_from_slice(&t[i]);
            }
        }
        let standardizer = Standardizer::fit(&x, d);
        standardizer.apply(&mut x);
        let net = fit_net(&x, d, &y, opts)?;
        Ok(Member { standardizer, net })
    }

    /// Sentence features from the mean logits of `members` over the word
    /// tokens of `ts`: per head the highest and the mean of the three highest
    /// (zeros for a sentence without word tokens).
    pub fn features_with(
        members: &[&Member],
        ts: &TokenStates,
    ) -> Result<[f32; N_TOKEN_FEATURES], PropagandaError> {
        let mut out = [0.0f32; N_TOKEN_FEATURES];
        let rows: Vec<f32> = word_rows(ts).flat_map(|(_, r)| r.iter().copied()).collect();
        if rows.is_empty() || members.is_empty() {
            return Ok(out);
        }
        let n = rows.len() / ts.width;
        let mut z = vec![0.0f32; n * N_HEADS];
        for m in members {
            if m.standardizer.mean.len() != ts.width {
                return Err(PropagandaError::Model(format!(
                    "the token heads take {} values per token, the encoder gives {}; use the encoder the model was trained with",
                    m.standardizer.mean.len(),
                    ts.width
                )));
            }
            let mut xm = rows.clone();
            m.standardizer.apply(&mut xm);
            for (a, b) in z.iter_mut().zip(m.net.logits(&xm)?) {
                *a += b / members.len() as f32;
            }
        }
        for h in 0..N_HEADS {
            let mut v: Vec<f32> = z.iter().skip(h).step_by(N_HEADS).copied().collect();
            v.sort_by(|a, b| b.total_cmp(a));
            out[2 * h] = v[0];
            let k = v.len().min(3);
            out[2 * h + 1] = v[..k].iter().sum::<f32>() / k as f32;
        }
        Ok(out)
    }

    /// Sentence features with every member (see [`TokenHeads::features_with`]).
    pub fn features(&self, ts: &TokenStates) -> Result<[f32; N_TOKEN_FEATURES], PropagandaError> {
        let members: Vec<&Member> = self.members.iter().collect();
        Self::features_with(&members, ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(words: &[(usize, usize, f32)]) -> TokenStates {
        // Two dims per token: the marker value and a constant; a special
        // token at each end.
        let mut chars = vec![(0, 0)];
        let mut st = vec![0.0, 1.0];
        for &(s, e, v) in words {
            chars.push((s, e));
            st.extend([v, 1.0]);
        }
        chars.push((0, 0));
        st.extend([0.0, 1.0]);
        TokenStates {
            width: 2,
            states: st,
            chars,
            pooled: Vec::new(),
        }
    }

    #[test]
    fn targets_follow_spans_and_skip_special_tokens() {
        let ts = states(&[(0, 4, 0.0), (5, 13, 1.0)]);
        let t = token_targets(&ts, &[(5, 13, 2)]);
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], [0.0; N_HEADS]);
        assert_eq!(t[1][0], 0.0);
        assert_eq!((t[2][0], t[2][3]), (1.0, 1.0));
        assert_eq!(t[3], [0.0; N_HEADS]);
    }

    #[test]
    fn a_marked_token_is_learned_and_lifts_its_sentence() {
        let mut owned = Vec::new();
        for i in 0..60 {
            let loaded = i % 3 == 0;
            let ts = states(&[(0, 4, 0.0), (5, 9, if loaded { 1.0 } else { 0.0 })]);
            let spans = if loaded { vec![(5, 9, 0)] } else { vec![] };
            owned.push((ts, spans));
        }
        let refs: Vec<(&TokenStates, &[SentenceSpan])> =
            owned.iter().map(|(t, s)| (t, s.as_slice())).collect();
        let opts = TrainOptions {
            epochs: 60,
            lr: 0.05,
            batch: 32,
            ..Default::default()
        };
        let heads = TokenHeads {
            members: vec![TokenHeads::train_member(&refs, &opts).unwrap()],
        };
        let hot = heads.features(&owned[0].0).unwrap();
        let cold = heads.features(&owned[1].0).unwrap();
        assert!(hot[0] > cold[0] + 1.0, "{} vs {}", hot[0], cold[0]);
        assert!(hot[2] > cold[2] + 1.0);
        // No word tokens: zeros, not a panic.
        assert_eq!(
            heads.features(&states(&[])).unwrap(),
            [0.0; N_TOKEN_FEATURES]
        );
    }
}
