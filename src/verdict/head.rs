//! A learned stance head: softmax regression over a (claim, evidence
//! sentence) pair → supports / refutes / neutral.
//!
//! Features: the two all-MiniLM-L6-v2 embeddings `u` (claim) and `v`
//! (sentence), `|u − v|`, `u ⊙ v`, their cosine, and the rule-based conflict
//! flags of [`Conflicts`] (number, negation, direction, debunk, unstated
//! number). Trained with AdamW, full batch, from zero weights on a
//! class-balanced cross-entropy (candle autograd, CPU), so a run is
//! deterministic for the same data and options.
//!
//! `veracity train stance` writes `models/heads/stance.json` (compiled in,
//! [`StanceHeadFile::builtin`]); `check` and `analyze` use it with
//! `[stance] method = "head"` ([`decide`]). docs/verdicts.md gives the data,
//! the thresholds and the held-out figures.

use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use serde::{Deserialize, Serialize};

use super::config::StanceConfig;
use super::stance::{Conflict, Conflicts, Stance, StanceResult};
use super::VerdictError;

/// The compiled-in head (`veracity train stance` writes it).
pub const DEFAULT_HEAD: &str = include_str!("../../models/heads/stance.json");

/// Format tag of a stance head file.
pub const FORMAT: &str = "veracity.stance-head/1";

/// Class index of each stance in the head's output.
pub const SUPPORTS: usize = 0;
pub const REFUTES: usize = 1;
pub const NEUTRAL: usize = 2;

/// Number of conflict flags appended to the features.
pub const N_FLAGS: usize = 5;

/// Feature vector of one pair (`u`, `v`: L2-normalised embeddings).
pub fn features(u: &[f32], v: &[f32], c: &Conflicts) -> Vec<f32> {
    let mut x = Vec::with_capacity(4 * u.len() + 1 + N_FLAGS);
    x.extend_from_slice(u);
    x.extend_from_slice(v);
    x.extend(u.iter().zip(v).map(|(a, b)| (a - b).abs()));
    x.extend(u.iter().zip(v).map(|(a, b)| a * b));
    x.push(u.iter().zip(v).map(|(a, b)| a * b).sum());
    for f in [
        c.number.is_some(),
        c.negation.is_some(),
        c.direction.is_some(),
        c.debunk.is_some(),
        c.unstated_number.is_some(),
    ] {
        x.push(if f { 1.0 } else { 0.0 });
    }
    x
}

/// The trained head: `weights` is 3 rows (supports, refutes, neutral) of
/// `inputs` values, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StanceHead {
    pub inputs: usize,
    pub weights: Vec<f32>,
    pub bias: [f32; 3],
}

impl StanceHead {
    /// Class probabilities (supports, refutes, neutral) of one feature vector.
    pub fn probs(&self, x: &[f32]) -> [f32; 3] {
        let mut z = [0f32; 3];
        for (k, zk) in z.iter_mut().enumerate() {
            let row = &self.weights[k * self.inputs..(k + 1) * self.inputs];
            *zk = self.bias[k] + row.iter().zip(x).map(|(w, a)| w * a).sum::<f32>();
        }
        let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e = z.map(|v| (v - m).exp());
        let s: f32 = e.iter().sum();
        e.map(|v| v / s)
    }
}

/// A stance head file: the head, the encoder its features come from, and how
/// it was made (data files, split, command, options).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StanceHeadFile {
    pub format: String,
    pub encoder: String,
    pub dims: usize,
    pub provenance: serde_json::Value,
    #[serde(flatten)]
    pub head: StanceHead,
}

impl StanceHeadFile {
    /// Parse and check a head file (`name` for messages).
    pub fn from_json(text: &str, name: &str) -> Result<Self, VerdictError> {
        let f: StanceHeadFile =
            serde_json::from_str(text).map_err(|e| VerdictError::Head(format!("{name}: {e}")))?;
        if f.format != FORMAT {
            return Err(VerdictError::Head(format!(
                "{name}: format {:?}, expected {FORMAT:?}",
                f.format
            )));
        }
        let want = 4 * f.dims + 1 + N_FLAGS;
        if f.head.inputs != want || f.head.weights.len() != 3 * want {
            return Err(VerdictError::Head(format!(
                "{name}: {} inputs and {} weights for {}-dimensional embeddings (expected {want} and {})",
                f.head.inputs,
                f.head.weights.len(),
                f.dims,
                3 * want
            )));
        }
        Ok(f)
    }

    /// The compiled-in `models/heads/stance.json`.
    pub fn builtin() -> Result<Self, VerdictError> {
        Self::from_json(DEFAULT_HEAD, "models/heads/stance.json (built in)")
    }
}

/// Stance of the passage ranked `rank` (0 = most similar relevant passage)
/// from the head's probabilities `p` (`[stance] method = "head"`): refutes
/// when p(refutes) reaches `head_refute_probability`, else supports when the
/// similarity reaches `head_support_similarity` and p(supports) reaches
/// `head_support_probability`; neutral from rank `head_top_k` on. With
/// `head_rule_conflicts`, the rules' content conflicts also refute (at
/// `refute_similarity`) and bar support.
pub fn stance_of(
    rank: usize,
    sim: f32,
    p: [f32; 3],
    conflicts: &Conflicts,
    cfg: &StanceConfig,
) -> Stance {
    let conflict = cfg.head_rule_conflicts && conflicts.content().is_some();
    if rank >= cfg.head_top_k {
        Stance::Neutral
    } else if p[REFUTES] >= cfg.head_refute_probability
        || (conflict && sim >= cfg.refute_similarity)
    {
        Stance::Refutes
    } else if !conflict
        && sim >= cfg.head_support_similarity
        && p[SUPPORTS] >= cfg.head_support_probability
    {
        Stance::Supports
    } else {
        Stance::Neutral
    }
}

/// [`stance_of`] with the reason of a refutation: the text check that
/// names one, else the head's probability.
pub fn decide(
    rank: usize,
    sim: f32,
    p: [f32; 3],
    conflicts: &Conflicts,
    cfg: &StanceConfig,
) -> StanceResult {
    let stance = stance_of(rank, sim, p, conflicts, cfg);
    let conflict = (stance == Stance::Refutes).then(|| {
        conflicts
            .content()
            .or(conflicts.debunk.as_ref())
            .cloned()
            .unwrap_or(Conflict::Learned {
                refutes: p[REFUTES],
            })
    });
    StanceResult { stance, conflict }
}

/// Training options.
#[derive(Debug, Clone)]
pub struct HeadTrainOptions {
    pub steps: usize,
    pub lr: f64,
    pub weight_decay: f64,
}

impl Default for HeadTrainOptions {
    fn default() -> Self {
        HeadTrainOptions {
            steps: 300,
            lr: 0.01,
            weight_decay: 0.01,
        }
    }
}

fn ce(e: candle_core::Error) -> VerdictError {
    VerdictError::Head(e.to_string())
}

/// Fit the head on feature rows `x` with labels `y` (class indices).
pub fn train(
    x: &[Vec<f32>],
    y: &[usize],
    o: &HeadTrainOptions,
) -> Result<StanceHead, VerdictError> {
    let n = x.len();
    if n == 0 || n != y.len() {
        return Err(VerdictError::Head(format!(
            "need as many labels as feature rows, and at least one (got {n} rows, {} labels)",
            y.len()
        )));
    }
    let d = x[0].len();
    if x.iter().any(|r| r.len() != d) || y.iter().any(|&c| c > 2) {
        return Err(VerdictError::Head(
            "feature rows differ in length or a label is not 0, 1 or 2".into(),
        ));
    }
    // Class-balanced weights: each present class weighs the same in total.
    let mut count = [0usize; 3];
    for &c in y {
        count[c] += 1;
    }
    let present = count.iter().filter(|&&c| c > 0).count() as f32;
    let mut target = vec![0f32; n * 3];
    for (i, &c) in y.iter().enumerate() {
        target[i * 3 + c] = 1.0 / (present * count[c] as f32);
    }
    let dev = Device::Cpu;
    let flat: Vec<f32> = x.iter().flatten().copied().collect();
    let xt = Tensor::from_vec(flat, (n, d), &dev).map_err(ce)?;
    let yt = Tensor::from_vec(target, (n, 3), &dev).map_err(ce)?;
    let w = Var::zeros((d, 3), DType::F32, &dev).map_err(ce)?;
    let b = Var::zeros(3, DType::F32, &dev).map_err(ce)?;
    let mut opt = AdamW::new(
        vec![w.clone(), b.clone()],
        ParamsAdamW {
            lr: o.lr,
            weight_decay: o.weight_decay,
            ..Default::default()
        },
    )
    .map_err(ce)?;
    for _ in 0..o.steps {
        let logits = xt
            .matmul(w.as_tensor())
            .and_then(|z| z.broadcast_add(b.as_tensor()))
            .map_err(ce)?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1).map_err(ce)?;
        let loss = (logp * &yt)
            .and_then(|t| t.sum_all())
            .and_then(|t| t.neg())
            .map_err(ce)?;
        opt.backward_step(&loss).map_err(ce)?;
    }
    let wt: Vec<Vec<f32>> = w.as_tensor().t().and_then(|t| t.to_vec2()).map_err(ce)?;
    let bias: Vec<f32> = b.as_tensor().to_vec1().map_err(ce)?;
    Ok(StanceHead {
        inputs: d,
        weights: wt.into_iter().flatten().collect(),
        bias: [bias[0], bias[1], bias[2]],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn learns_three_separable_classes_deterministically() {
        let mut rng = SplitMix64::new(3);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..90 {
            let c = i % 3;
            let mut r: Vec<f32> = (0..4).map(|_| rng.uniform() as f32 * 0.2).collect();
            r[c] += 1.0;
            x.push(r);
            y.push(c);
        }
        let o = HeadTrainOptions {
            steps: 200,
            lr: 0.05,
            weight_decay: 0.0,
        };
        let h = train(&x, &y, &o).unwrap();
        assert_eq!(h, train(&x, &y, &o).unwrap());
        for (r, &c) in x.iter().zip(&y) {
            let p = h.probs(r);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, c);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    /// Class-balanced cross-entropy of `h` on (x, y), as `train` minimises.
    fn loss(h: &StanceHead, x: &[Vec<f32>], y: &[usize]) -> f32 {
        x.iter()
            .zip(y)
            .map(|(r, &c)| -h.probs(r)[c].ln())
            .sum::<f32>()
            / x.len() as f32
    }

    #[test]
    fn training_lowers_the_loss_of_a_tiny_set() {
        // Three pairs per class, the class shown by one flag-like input.
        let x: Vec<Vec<f32>> = (0..9)
            .map(|i| {
                let mut r = vec![0.1 * (i % 3) as f32; 3];
                r[i / 3] += 1.0;
                r
            })
            .collect();
        let y: Vec<usize> = (0..9).map(|i| i / 3).collect();
        let zero = StanceHead {
            inputs: 3,
            weights: vec![0.0; 9],
            bias: [0.0; 3],
        };
        let o = HeadTrainOptions {
            steps: 100,
            lr: 0.05,
            weight_decay: 0.01,
        };
        let few = train(
            &x,
            &y,
            &HeadTrainOptions {
                steps: 10,
                ..o.clone()
            },
        )
        .unwrap();
        let h = train(&x, &y, &o).unwrap();
        assert!((loss(&zero, &x, &y) - 3f32.ln()).abs() < 1e-5);
        assert!(loss(&few, &x, &y) < loss(&zero, &x, &y));
        assert!(loss(&h, &x, &y) < loss(&few, &x, &y));
        for (r, &c) in x.iter().zip(&y) {
            let p = h.probs(r);
            assert!(p[c] > 0.5, "{p:?} for class {c}");
        }
    }

    #[test]
    fn builtin_head_loads_and_matches_minilm() {
        let f = StanceHeadFile::builtin().unwrap();
        assert_eq!(f.dims, 384);
        assert_eq!(f.head.inputs, 4 * 384 + 1 + N_FLAGS);
        assert!(f.provenance["command"]
            .as_str()
            .unwrap()
            .contains("train stance"));
        assert!(StanceHeadFile::from_json("{}", "x").is_err());
    }

    #[test]
    fn head_stance_follows_the_thresholds() {
        let mut c = crate::verdict::VerdictConfig::default().stance;
        c.head_top_k = 2;
        c.head_support_similarity = 0.6;
        c.head_support_probability = 0.4;
        c.head_refute_probability = 0.5;
        let none = Conflicts::default();
        // A different year: the head alone lets the passage support; with the
        // rules' conflicts kept it refutes, and never supports.
        let year = Conflicts::find(
            "The observatory was founded in 1935.",
            "The observatory was founded in 1921.",
            0.05,
        );
        assert!(year.content().is_some());
        let cases = [
            // (rule conflicts kept, rank, similarity, probabilities, conflicts, stance)
            (false, 0, 0.7, [0.5, 0.3, 0.2], &none, Stance::Supports),
            (false, 0, 0.5, [0.5, 0.3, 0.2], &none, Stance::Neutral),
            (false, 1, 0.9, [0.4, 0.55, 0.05], &none, Stance::Refutes),
            (false, 2, 0.9, [0.0, 1.0, 0.0], &none, Stance::Neutral),
            (false, 0, 0.9, [0.9, 0.05, 0.05], &year, Stance::Supports),
            (true, 0, 0.9, [0.9, 0.05, 0.05], &year, Stance::Refutes),
            (true, 0, 0.55, [0.9, 0.05, 0.05], &year, Stance::Neutral),
            (true, 0, 0.7, [0.5, 0.3, 0.2], &none, Stance::Supports),
        ];
        c.refute_similarity = 0.6;
        for (rule, rank, sim, p, k, want) in cases {
            c.head_rule_conflicts = rule;
            assert_eq!(
                stance_of(rank, sim, p, k, &c),
                want,
                "{rule} {rank} {sim} {p:?}"
            );
        }
    }

    #[test]
    fn features_hold_embeddings_cosine_and_flags() {
        let c = Conflicts {
            debunk: None,
            unstated_number: Some("5".into()),
            ..Default::default()
        };
        let f = features(&[1.0, 0.0], &[0.6, 0.8], &c);
        assert_eq!(f.len(), 4 * 2 + 1 + N_FLAGS);
        assert!((f[8] - 0.6).abs() < 1e-6);
        assert_eq!(&f[9..], &[0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn mismatched_input_is_an_error() {
        assert!(train(&[vec![1.0]], &[0, 1], &HeadTrainOptions::default()).is_err());
        assert!(train(&[vec![1.0]], &[3], &HeadTrainOptions::default()).is_err());
    }
}
