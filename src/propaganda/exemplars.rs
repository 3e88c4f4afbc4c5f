//! Similarity to labelled training sentences in embedding space.
//!
//! - **Prototypes** (feature group `prototypes`): per head, the cosine of a
//!   sentence to the centroid of the training sentences that carry the head's
//!   label minus its cosine to the centroid of those that do not (15 values).
//!   The centroids are small and stored in the model.
//! - **Nearest exemplars** (feature group `exemplars`, evaluation only): per
//!   head, the similarity-weighted share of positives among the
//!   [`K_NEAREST`] most similar training sentences (15 values). The model
//!   would have to carry every training embedding, so `train propaganda`
//!   refuses it; `eval propaganda --compare` measures it.
//!
//! For training sentences both leave their own article out, like the lexicon.

#[cfg(feature = "experiments")]
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::train::N_HEADS;
#[cfg(feature = "experiments")]
use super::PropagandaError;

/// Neighbours per sentence for the exemplar features.
pub const K_NEAREST: usize = 20;

#[cfg(feature = "experiments")]
fn cerr(e: candle_core::Error) -> PropagandaError {
    PropagandaError::Train(e.to_string())
}

/// Sums and counts of positive and negative embeddings per head (the
/// makings of the prototypes, so that an article's own can be left out).
#[derive(Debug, Clone, Default)]
pub struct PrototypeSums {
    dims: usize,
    /// Per head: sum of positive embeddings, then of negatives (2 × d each).
    sums: Vec<f64>,
    counts: Vec<usize>,
}

impl PrototypeSums {
    /// Sums over one article's sentences; `labels[i][h]` is head h's label.
    pub fn article(embs: &[Vec<f32>], labels: &[[bool; N_HEADS]]) -> PrototypeSums {
        let dims = embs.first().map_or(0, Vec::len);
        let mut s = PrototypeSums {
            dims,
            sums: vec![0.0; 2 * N_HEADS * dims],
            counts: vec![0; 2 * N_HEADS],
        };
        for (e, l) in embs.iter().zip(labels) {
            for (h, &pos) in l.iter().enumerate() {
                let slot = 2 * h + usize::from(!pos);
                s.counts[slot] += 1;
                for (a, &v) in s.sums[slot * dims..(slot + 1) * dims].iter_mut().zip(e) {
                    *a += v as f64;
                }
            }
        }
        s
    }

    /// Add another article's sums (`sign` +1) or take them away (-1).
    pub fn add(&mut self, o: &PrototypeSums, sign: f64) {
        if self.dims == 0 {
            self.dims = o.dims;
            self.sums = vec![0.0; o.sums.len()];
            self.counts = vec![0; o.counts.len()];
        }
        for (a, b) in self.sums.iter_mut().zip(&o.sums) {
            *a += sign * b;
        }
        for (a, &b) in self.counts.iter_mut().zip(&o.counts) {
            *a = if sign > 0.0 {
                *a + b
            } else {
                a.saturating_sub(b)
            };
        }
    }

    /// Unit-length centroids (zeros for an empty class).
    pub fn prototypes(&self) -> Prototypes {
        let d = self.dims;
        let mut centroids = vec![0.0f32; 2 * N_HEADS * d];
        for slot in 0..2 * N_HEADS {
            let s = &self.sums[slot * d..(slot + 1) * d];
            let norm = s.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                for (c, v) in centroids[slot * d..(slot + 1) * d].iter_mut().zip(s) {
                    *c = (v / norm) as f32;
                }
            }
        }
        Prototypes { dims: d, centroids }
    }
}

/// Per head, the unit centroid of positive and of negative training
/// sentences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prototypes {
    pub dims: usize,
    /// Head-major: positive centroid, then negative, `dims` values each.
    #[serde(with = "crate::heads::codec::f16_base64")]
    pub centroids: Vec<f32>,
}

impl Prototypes {
    /// The 15 features of one sentence embedding.
    pub fn features(&self, e: &[f32]) -> [f32; N_HEADS] {
        let d = self.dims;
        let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        let cos = |slot: usize| {
            self.centroids[slot * d..(slot + 1) * d]
                .iter()
                .zip(e)
                .map(|(a, b)| a * b)
                .sum::<f32>()
                / norm
        };
        std::array::from_fn(|h| cos(2 * h) - cos(2 * h + 1))
    }
}

/// One article's sentence embeddings with their labels per head.
pub type LabelledEmbeddings<'a> = (&'a [Vec<f32>], Vec<[bool; N_HEADS]>);

#[cfg(feature = "experiments")]
/// The labelled training sentences for the exemplar features.
#[derive(Debug, Clone, Default)]
pub struct Exemplars {
    dims: usize,
    /// Unit embeddings, row-major.
    embs: Vec<f32>,
    labels: Vec<[bool; N_HEADS]>,
    /// Article index of each row (for leaving an article out).
    article: Vec<usize>,
}

#[cfg(feature = "experiments")]
impl Exemplars {
    /// Collect the sentences of `articles` (embeddings and labels).
    pub fn new(articles: &[LabelledEmbeddings]) -> Exemplars {
        let mut x = Exemplars::default();
        for (i, (embs, labels)) in articles.iter().enumerate() {
            for (e, l) in embs.iter().zip(labels) {
                x.dims = e.len();
                let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                x.embs.extend(e.iter().map(|v| v / norm));
                x.labels.push(*l);
                x.article.push(i);
            }
        }
        x
    }

    /// Embedding size.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Features of the sentences `queries`, leaving out the exemplars of
    /// article `skip` (a training article scoring its own sentences).
    pub fn features(
        &self,
        queries: &[Vec<f32>],
        skip: Option<usize>,
    ) -> Result<Vec<[f32; N_HEADS]>, PropagandaError> {
        let n = self.labels.len();
        if queries.is_empty() || n == 0 {
            return Ok(vec![[0.0; N_HEADS]; queries.len()]);
        }
        let d = self.dims;
        let dev = Device::Cpu;
        let bank = Tensor::from_slice(&self.embs, (n, d), &dev).map_err(cerr)?;
        let q: Vec<f32> = queries
            .iter()
            .flat_map(|e| {
                let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                e.iter().map(move |v| v / norm)
            })
            .collect();
        let qt = Tensor::from_vec(q, (queries.len(), d), &dev).map_err(cerr)?;
        let sims = qt
            .matmul(&bank.t().map_err(cerr)?)
            .and_then(|s| s.to_vec2::<f32>())
            .map_err(cerr)?;
        Ok(sims
            .iter()
            .map(|row| {
                let mut idx: Vec<usize> =
                    (0..n).filter(|&j| Some(self.article[j]) != skip).collect();
                let k = K_NEAREST.min(idx.len());
                if k == 0 {
                    return [0.0; N_HEADS];
                }
                idx.select_nth_unstable_by(k - 1, |&a, &b| row[b].total_cmp(&row[a]));
                let top = &idx[..k];
                let wsum: f32 = top.iter().map(|&j| row[j].max(0.0)).sum::<f32>().max(1e-6);
                std::array::from_fn(|h| {
                    top.iter()
                        .filter(|&&j| self.labels[j][h])
                        .map(|&j| row[j].max(0.0))
                        .sum::<f32>()
                        / wsum
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(pos: bool) -> [bool; N_HEADS] {
        std::array::from_fn(|h| h == 0 && pos)
    }

    #[test]
    fn prototypes_point_to_the_labelled_side() {
        let a_embs = vec![vec![1.0, 0.1], vec![0.0, 1.0]];
        let a_labels = vec![lab(true), lab(false)];
        let b_embs = vec![vec![0.9, 0.0], vec![0.1, 0.9]];
        let b_labels = vec![lab(true), lab(false)];
        let mut sums = PrototypeSums::article(&a_embs, &a_labels);
        let b = PrototypeSums::article(&b_embs, &b_labels);
        sums.add(&b, 1.0);
        let p = sums.prototypes();
        assert!(p.features(&[1.0, 0.0])[0] > 0.5);
        assert!(p.features(&[0.0, 1.0])[0] < -0.5);
        // Leaving b out leaves a's prototypes.
        sums.add(&b, -1.0);
        let pa = sums.prototypes();
        assert!(pa.features(&[1.0, 0.1])[0] > 0.9);
    }

    #[cfg(feature = "experiments")]
    #[test]
    fn exemplars_point_to_the_labelled_side_and_leave_their_article_out() {
        let a_embs = vec![vec![1.0, 0.1], vec![0.0, 1.0]];
        let a_labels = vec![lab(true), lab(false)];
        let b_embs = vec![vec![0.9, 0.0], vec![0.1, 0.9]];
        let b_labels = vec![lab(true), lab(false)];
        let x = Exemplars::new(&[(&a_embs, a_labels), (&b_embs, b_labels)]);
        let f = x
            .features(&[vec![1.0, 0.05], vec![0.0, 1.0]], None)
            .unwrap();
        assert!(f[0][0] > f[1][0]);
        // Its own article left out, a sentence sees only the others.
        let own = x.features(&[vec![1.0, 0.1]], Some(0)).unwrap();
        assert!(own[0][0] > 0.0 && own[0][1] == 0.0);
        assert!(x.features(&[], None).unwrap().is_empty());
    }
}
