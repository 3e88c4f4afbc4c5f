//! A learned stance head: softmax regression over a (claim, evidence
//! sentence) pair → supports / refutes / neutral.
//!
//! Features: from the encoder's embeddings `u` (claim) and `v` (sentence),
//! `|u − v|`, `u ⊙ v` and their cosine; the rule-based conflict flags of
//! [`Conflicts`] (number, negation, direction, debunk, unstated number); and
//! token alignment ([`alignment`]). Trained with AdamW, full batch, from zero
//! weights on a class-balanced cross-entropy (candle autograd, CPU), so a run
//! is deterministic for the same data and options.
//!
//! `veracity train stance` writes `models/heads/stance.json` (and, with
//! `--model all-mpnet-base-v2`, `stance-all-mpnet-base-v2.json`; compiled
//! in, [`StanceHeadFile::builtin_for`] picks by encoder); `check` and
//! `analyze` use it with `[stance] method = "head"` ([`decide`]).
//! docs/verdicts.md gives the data, the thresholds and the held-out figures.

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::embed::{dot, scale_to_length, TokenStates};
use crate::heads::train::{adamw, normal_init, soft_cross_entropy, Batches, Flow, Schedule};
use crate::heads::{Dense, HeadsError, Mlp, Orientation};
use crate::rng::SplitMix64;

use super::config::StanceConfig;
use super::stance::{Conflict, Conflicts, Stance, StanceResult};
use super::VerdictError;

/// The compiled-in head of the default encoder (`veracity train stance`
/// writes it).
pub const DEFAULT_HEAD: &str = include_str!("../../models/heads/stance.json");

/// Every compiled-in head (file, text), one per encoder it was trained on;
/// [`StanceHeadFile::builtin_for`] picks by the encoder's name.
pub const BUILTIN_HEADS: &[(&str, &str)] = &[
    ("models/heads/stance.json", DEFAULT_HEAD),
    (
        "models/heads/stance-all-mpnet-base-v2.json",
        include_str!("../../models/heads/stance-all-mpnet-base-v2.json"),
    ),
];

/// Format tag of a stance head file.
pub const FORMAT: &str = "veracity.stance-head/2";

/// Class index of each stance in the head's output.
pub const SUPPORTS: usize = 0;
pub const REFUTES: usize = 1;
pub const NEUTRAL: usize = 2;

/// Number of conflict flags appended to the features.
pub const N_FLAGS: usize = 5;

/// Relation features of one pair (`u`, `v`: L2-normalised embeddings):
/// `|u − v|`, `u ⊙ v`, the cosine and the conflict flags. The embeddings
/// themselves are left out, so that the head judges how the sentence
/// relates to the claim, not which claims tend to be false (the raw `u`
/// and `v` were inputs up to format 1; docs/verdicts.md has both figures).
pub fn features(u: &[f32], v: &[f32], c: &Conflicts) -> Vec<f32> {
    let mut x = Vec::with_capacity(2 * u.len() + 1 + N_FLAGS);
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

/// The head's input row of a pair: [`features`], followed by the
/// [`alignment`] features of the claim's and the sentence's tokens when
/// given (a head with `alignment` needs them).
pub fn pair_inputs(
    u: &[f32],
    v: &[f32],
    c: &Conflicts,
    tokens: Option<(&TokenMatrix, &TokenMatrix)>,
) -> Vec<f32> {
    let mut x = features(u, v, c);
    if let Some((claim, ev)) = tokens {
        x.extend(alignment(claim, ev));
    }
    x
}

/// Number of scalar token-alignment features (see [`alignment`]).
pub const N_ALIGN_SCALARS: usize = 7;

/// Temperature of the soft alignment of a claim token to the evidence
/// tokens, and of the weighting towards the least covered claim tokens.
const ALIGN_TEMPERATURE: f32 = 0.05;

/// Inputs of a head over `dims`-dimensional embeddings, with or without the
/// token-alignment features.
pub fn inputs(dims: usize, alignment: bool) -> usize {
    2 * dims
        + 1
        + N_FLAGS
        + if alignment {
            N_ALIGN_SCALARS + 3 * dims
        } else {
            0
        }
}

/// The content tokens of a text (special tokens dropped), each the first
/// `dims` values of its hidden state (the last layer's) at unit length.
#[derive(Debug, Clone)]
pub struct TokenMatrix {
    dims: usize,
    rows: Vec<f32>,
}

impl TokenMatrix {
    pub fn new(ts: &TokenStates, dims: usize) -> Self {
        let dims = dims.min(ts.width);
        let mut rows = Vec::with_capacity(ts.len() * dims);
        for (t, &(s, e)) in ts.chars.iter().enumerate() {
            if s < e {
                let start = rows.len();
                rows.extend_from_slice(&ts.states[t * ts.width..t * ts.width + dims]);
                scale_to_length(&mut rows[start..], 1.0);
            }
        }
        TokenMatrix { dims, rows }
    }

    fn len(&self) -> usize {
        self.rows.len() / self.dims.max(1)
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.dims..(i + 1) * self.dims]
    }
}

/// Softmax of `z / t` in place.
fn softmax(z: &mut [f32], t: f32) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    z.iter_mut().for_each(|v| *v = ((*v - m) / t).exp());
    let s: f32 = z.iter().sum();
    z.iter_mut().for_each(|v| *v /= s);
}

/// Token-alignment features of a (claim, evidence sentence) pair, from the
/// cosine of every claim token to every evidence token (BERTScore-style):
/// with `r_i` the best match of claim token `i` and `p_j` of evidence token
/// `j`: mean `r` (how much of the claim the sentence covers), mean `p`, their
/// harmonic mean, min `r`, the mean of the three lowest `r`, the share of
/// claim tokens with `r` < 0.5 and < 0.7; then three vectors: the claim's
/// least covered content (claim tokens weighted by softmax(−r / 0.05)), the
/// evidence content softly aligned to it (each claim token's softmax(cos /
/// 0.05)-weighted evidence tokens, same weights), and their product.
/// `N_ALIGN_SCALARS + 3 · dims` values; zeros when a side has no tokens.
pub fn alignment(claim: &TokenMatrix, ev: &TokenMatrix) -> Vec<f32> {
    let d = claim.dims;
    let (m, n) = (claim.len(), ev.len());
    let mut x = vec![0f32; N_ALIGN_SCALARS + 3 * d];
    if m == 0 || n == 0 || ev.dims != d {
        return x;
    }
    let mut sim = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            sim[i * n + j] = dot(claim.row(i), ev.row(j));
        }
    }
    let r: Vec<f32> = (0..m)
        .map(|i| sim[i * n..(i + 1) * n].iter().copied().fold(-1.0, f32::max))
        .collect();
    let p: Vec<f32> = (0..n)
        .map(|j| (0..m).map(|i| sim[i * n + j]).fold(-1.0, f32::max))
        .collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (rm, pm) = (mean(&r), mean(&p));
    let mut sorted = r.clone();
    sorted.sort_by(f32::total_cmp);
    let share = |t: f32| r.iter().filter(|&&v| v < t).count() as f32 / m as f32;
    x[..N_ALIGN_SCALARS].copy_from_slice(&[
        rm,
        pm,
        2.0 * rm * pm / (rm + pm).max(1e-6),
        sorted[0],
        mean(&sorted[..3.min(m)]),
        share(0.5),
        share(0.7),
    ]);
    let mut w: Vec<f32> = r.iter().map(|v| -v).collect();
    softmax(&mut w, ALIGN_TEMPERATURE);
    let (gap, rest) = x[N_ALIGN_SCALARS..].split_at_mut(d);
    let (aligned, prod) = rest.split_at_mut(d);
    let mut a = vec![0f32; n];
    for i in 0..m {
        a.copy_from_slice(&sim[i * n..(i + 1) * n]);
        softmax(&mut a, ALIGN_TEMPERATURE);
        for (k, g) in gap.iter_mut().enumerate() {
            *g += w[i] * claim.row(i)[k];
        }
        for (j, &aj) in a.iter().enumerate() {
            let s = w[i] * aj;
            for (k, al) in aligned.iter_mut().enumerate() {
                *al += s * ev.row(j)[k];
            }
        }
    }
    for k in 0..d {
        prod[k] = gap[k] * aligned[k];
    }
    x
}

/// The trained head: one dense layer of 3 outputs (supports, refutes,
/// neutral) over the inputs, or a hidden ReLU layer and that output layer.
/// Stored flat (`StanceHeadRepr`): `inputs`, the optional `hidden` layer,
/// then the output layer's `weights` (3 rows, row-major) and `bias`, as plain
/// numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StanceHeadRepr", into = "StanceHeadRepr")]
pub struct StanceHead {
    pub net: Mlp,
}

/// A hidden layer (ReLU) as a stance head file stores it: `units` rows of
/// the head's `inputs` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct HiddenLayer {
    units: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// A stance head as its file stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StanceHeadRepr {
    inputs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hidden: Option<HiddenLayer>,
    weights: Vec<f32>,
    bias: [f32; 3],
}

impl From<StanceHeadRepr> for StanceHead {
    fn from(r: StanceHeadRepr) -> Self {
        let mut layers = Vec::with_capacity(2);
        let mut width = r.inputs;
        if let Some(h) = r.hidden {
            layers.push(Dense {
                inputs: r.inputs,
                outputs: h.units,
                weights: h.weights,
                bias: h.bias,
            });
            width = h.units;
        }
        layers.push(Dense {
            inputs: width,
            outputs: 3,
            weights: r.weights,
            bias: r.bias.to_vec(),
        });
        StanceHead {
            net: Mlp::from(layers),
        }
    }
}

impl From<StanceHead> for StanceHeadRepr {
    fn from(h: StanceHead) -> Self {
        let inputs = h.inputs();
        let mut layers = h.net.layers.into_iter().rev();
        let out = layers.next();
        let hidden = layers.next().map(|l| HiddenLayer {
            units: l.outputs,
            weights: l.weights,
            bias: l.bias,
        });
        let (weights, bias) = out.map_or((Vec::new(), Vec::new()), |l| (l.weights, l.bias));
        StanceHeadRepr {
            inputs,
            hidden,
            weights,
            bias: std::array::from_fn(|k| bias.get(k).copied().unwrap_or(0.0)),
        }
    }
}

impl StanceHead {
    /// Values the head reads.
    pub fn inputs(&self) -> usize {
        self.net.inputs()
    }

    /// The hidden layer, if there is one.
    pub fn hidden(&self) -> Option<&Dense> {
        (self.net.len() > 1).then(|| &self.net[0])
    }

    /// The output layer (3 outputs).
    pub fn output(&self) -> Option<&Dense> {
        self.net.last()
    }

    /// Values the output layer reads: the inputs, or the hidden layer's.
    fn width(&self) -> usize {
        self.output().map_or(0, |l| l.inputs)
    }

    /// Class probabilities (supports, refutes, neutral) of one feature vector.
    pub fn probs(&self, x: &[f32]) -> [f32; 3] {
        let z = self.net.forward_row(x);
        let z: [f32; 3] = std::array::from_fn(|k| z.get(k).copied().unwrap_or(0.0));
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
    /// Whether the head also reads the token-alignment features
    /// ([`alignment`]; needs the encoder's token states).
    #[serde(default)]
    pub alignment: bool,
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
        let want = inputs(f.dims, f.alignment);
        let out_weights = f.head.output().map_or(0, |l| l.weights.len());
        if f.head.inputs() != want || out_weights != 3 * f.head.width() {
            return Err(VerdictError::Head(format!(
                "{name}: {} inputs and {} output weights for {}-dimensional embeddings (expected {want} and {})",
                f.head.inputs(),
                out_weights,
                f.dims,
                3 * f.head.width()
            )));
        }
        if let Some(l) = f.head.hidden() {
            if l.weights.len() != l.outputs * want || l.bias.len() != l.outputs {
                return Err(VerdictError::Head(format!(
                    "{name}: a hidden layer of {} units needs {} weights and {} biases, not {} and {}",
                    l.outputs,
                    l.outputs * want,
                    l.outputs,
                    l.weights.len(),
                    l.bias.len()
                )));
            }
        }
        Ok(f)
    }

    /// The compiled-in `models/heads/stance.json` (all-MiniLM-L6-v2).
    pub fn builtin() -> Result<Self, VerdictError> {
        Self::from_json(DEFAULT_HEAD, "models/heads/stance.json (built in)")
    }

    /// The compiled-in head trained on the embeddings of `encoder` (its full
    /// name); an error naming the encoders that have one otherwise.
    pub fn builtin_for(encoder: &str) -> Result<Self, VerdictError> {
        let mut have = Vec::new();
        for (file, text) in BUILTIN_HEADS {
            let f = Self::from_json(text, &format!("{file} (built in)"))?;
            if f.encoder == encoder {
                return Ok(f);
            }
            have.push(f.encoder);
        }
        Err(VerdictError::Head(format!(
            "no built-in stance head was trained on {encoder} (heads exist for {}); use \
             `[stance] method = \"rules\"` with this model, or one of those models",
            have.join(", ")
        )))
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
    /// ReLU units of a hidden layer; 0: softmax regression on the inputs.
    pub hidden: usize,
    /// Seed of the hidden layer's initial weights.
    pub seed: u64,
}

impl Default for HeadTrainOptions {
    fn default() -> Self {
        HeadTrainOptions {
            steps: 300,
            lr: 0.01,
            weight_decay: 0.01,
            hidden: 0,
            seed: 42,
        }
    }
}

fn ce(e: impl std::fmt::Display) -> VerdictError {
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
    fit(x, d, target, o).map_err(ce)
}

fn fit(
    x: &[Vec<f32>],
    d: usize,
    target: Vec<f32>,
    o: &HeadTrainOptions,
) -> Result<StanceHead, HeadsError> {
    let n = x.len();
    let dev = Device::Cpu;
    let flat: Vec<f32> = x.iter().flatten().copied().collect();
    let xt = Tensor::from_vec(flat, (n, d), &dev)?;
    let yt = Tensor::from_vec(target, (n, 3), &dev)?;
    // Softmax regression starts from zero weights (deterministic); a hidden
    // layer from seeded He-initialised weights and a zero output layer.
    let mut rng = SplitMix64::new(o.seed);
    let hidden = if o.hidden > 0 {
        let init = normal_init(d, o.hidden, (2.0 / d as f64).sqrt(), &mut rng);
        let w1 = Var::from_tensor(&Tensor::from_vec(init, (d, o.hidden), &dev)?)?;
        let b1 = Var::zeros(o.hidden, DType::F32, &dev)?;
        Some((w1, b1))
    } else {
        None
    };
    let width = if o.hidden > 0 { o.hidden } else { d };
    let w = Var::zeros((width, 3), DType::F32, &dev)?;
    let b = Var::zeros(3, DType::F32, &dev)?;
    let mut vars = vec![w.clone(), b.clone()];
    if let Some((w1, b1)) = &hidden {
        vars.extend([w1.clone(), b1.clone()]);
    }
    let schedule = Schedule {
        epochs: o.steps,
        batches: Batches::Full,
        lr: o.lr,
        weight_decay: o.weight_decay,
    };
    adamw::<HeadsError, _, _>(
        vars,
        &schedule,
        n,
        &mut rng,
        |_, _| {
            let h = match &hidden {
                None => xt.clone(),
                Some((w1, b1)) => xt
                    .matmul(w1.as_tensor())?
                    .broadcast_add(b1.as_tensor())?
                    .relu()?,
            };
            let logits = h.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
            Ok(soft_cross_entropy(&logits, &yt)?)
        },
        |_| Ok(Flow::Continue),
    )?;
    let mut layers = Vec::with_capacity(2);
    if let Some((w1, b1)) = &hidden {
        layers.push(Dense::from_tensors(
            w1.as_tensor(),
            b1.as_tensor(),
            Orientation::InputsByOutputs,
        )?);
    }
    layers.push(Dense::from_tensors(
        w.as_tensor(),
        b.as_tensor(),
        Orientation::InputsByOutputs,
    )?);
    Ok(StanceHead {
        net: Mlp::from(layers),
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
            ..Default::default()
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
            net: Mlp::from(vec![Dense {
                inputs: 3,
                outputs: 3,
                weights: vec![0.0; 9],
                bias: vec![0.0; 3],
            }]),
        };
        let o = HeadTrainOptions {
            steps: 100,
            lr: 0.05,
            weight_decay: 0.01,
            ..Default::default()
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
        assert!(f.alignment, "the shipped head reads token alignment");
        assert_eq!(f.head.inputs(), inputs(384, true));
        assert_eq!(
            f.head.inputs(),
            2 * 384 + 1 + N_FLAGS + N_ALIGN_SCALARS + 3 * 384
        );
        assert!(f.provenance["command"]
            .as_str()
            .unwrap()
            .contains("train stance"));
        assert!(StanceHeadFile::from_json("{}", "x").is_err());
    }

    #[test]
    fn each_builtin_head_is_found_by_its_encoder() {
        for (model, dims) in [
            ("sentence-transformers/all-MiniLM-L6-v2", 384),
            ("sentence-transformers/all-mpnet-base-v2", 768),
        ] {
            let f = StanceHeadFile::builtin_for(model).unwrap();
            assert_eq!((f.encoder.as_str(), f.dims), (model, dims));
            assert_eq!(f.head.inputs(), inputs(dims, f.alignment));
        }
        let e = StanceHeadFile::builtin_for("acme/other-model")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("acme/other-model")
                && e.contains("all-mpnet-base-v2")
                && e.contains("rules"),
            "{e}"
        );
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
        assert_eq!(f.len(), 2 * 2 + 1 + N_FLAGS);
        assert!(
            (f[0] - 0.4).abs() < 1e-6 && (f[2] - 0.6).abs() < 1e-6,
            "{f:?}"
        );
        assert!((f[4] - 0.6).abs() < 1e-6);
        assert_eq!(&f[5..], &[0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    /// Token states of a text whose tokens have the given vectors, between
    /// a [CLS] and a [SEP] (special tokens: empty character ranges).
    fn states(vecs: &[[f32; 3]]) -> TokenStates {
        let mut states = vec![9.0, 9.0, 9.0];
        let mut chars = vec![(0, 0)];
        for (i, v) in vecs.iter().enumerate() {
            states.extend_from_slice(v);
            chars.push((i, i + 1));
        }
        states.extend_from_slice(&[9.0, 9.0, 9.0]);
        chars.push((0, 0));
        TokenStates {
            width: 3,
            states,
            chars,
            pooled: vec![0.0; 3],
        }
    }

    #[test]
    fn alignment_measures_how_much_of_the_claim_the_sentence_covers() {
        let claim = TokenMatrix::new(&states(&[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), 3);
        assert_eq!(claim.len(), 2, "special tokens dropped");
        // The same tokens: everything covered.
        let same = alignment(&claim, &claim);
        assert_eq!(same.len(), N_ALIGN_SCALARS + 3 * 3);
        for (got, want) in same[..N_ALIGN_SCALARS]
            .iter()
            .zip([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
        {
            assert!((got - want).abs() < 1e-5, "{same:?}");
        }
        // The sentence has the first token and an unrelated one: the second
        // claim token is uncovered, and the "least covered" vector is it.
        let ev = TokenMatrix::new(&states(&[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), 3);
        let x = alignment(&claim, &ev);
        let (recall, low) = (x[0], x[3]);
        assert!((recall - 0.5).abs() < 1e-5 && low.abs() < 1e-5, "{x:?}");
        assert!((x[5] - 0.5).abs() < 1e-5, "half the claim below 0.5: {x:?}");
        let gap = &x[N_ALIGN_SCALARS..N_ALIGN_SCALARS + 3];
        assert!(gap[1] > 0.99 && gap[0] < 0.01, "{gap:?}");
        // A side without content tokens gives zeros.
        let empty = TokenMatrix::new(&states(&[]), 3);
        assert!(alignment(&claim, &empty).iter().all(|&v| v == 0.0));
        assert!(alignment(&empty, &claim).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_hidden_layer_learns_what_softmax_regression_cannot() {
        // XOR of two inputs: class 0 when they agree, class 1 when not.
        let x: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![(i % 2) as f32, ((i / 2) % 2) as f32])
            .collect();
        let y: Vec<usize> = x.iter().map(|r| (r[0] != r[1]) as usize).collect();
        let o = HeadTrainOptions {
            steps: 400,
            lr: 0.05,
            weight_decay: 0.0,
            hidden: 8,
            seed: 1,
        };
        let h = train(&x, &y, &o).unwrap();
        assert_eq!(h, train(&x, &y, &o).unwrap(), "same seed, same head");
        for (r, &c) in x.iter().zip(&y) {
            assert!(h.probs(r)[c] > 0.5, "{r:?}: {:?}", h.probs(r));
        }
        let linear = train(&x, &y, &HeadTrainOptions { hidden: 0, ..o }).unwrap();
        let right = x
            .iter()
            .zip(&y)
            .filter(|(r, &c)| linear.probs(r)[c] > 0.5)
            .count();
        assert!(right < x.len(), "XOR is not linearly separable");
        // A file whose hidden layer has the wrong size is refused.
        let mut f = StanceHeadFile::builtin().unwrap();
        let inputs = f.head.inputs();
        f.head.net = Mlp::from(vec![
            Dense {
                inputs,
                outputs: 2,
                weights: vec![0.0; 3],
                bias: vec![0.0; 2],
            },
            Dense {
                inputs: 2,
                outputs: 3,
                weights: vec![0.0; 6],
                bias: vec![0.0; 3],
            },
        ]);
        let text = serde_json::to_string(&f).unwrap();
        let err = StanceHeadFile::from_json(&text, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("hidden layer of 2 units"), "{err}");
    }

    #[test]
    fn mismatched_input_is_an_error() {
        assert!(train(&[vec![1.0]], &[0, 1], &HeadTrainOptions::default()).is_err());
        assert!(train(&[vec![1.0]], &[3], &HeadTrainOptions::default()).is_err());
    }
}
