//! Training of the propaganda heads: feature standardisation, multi-output
//! logistic (or one-hidden-layer) heads trained with AdamW in candle, Platt
//! calibration and per-head decision thresholds chosen on out-of-fold
//! predictions inside the training data (never on the data evaluated).

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::PropagandaError;
use crate::heads::train::{adamw, binary_cross_entropy, glorot_uniform, Batches, Flow, Schedule};
use crate::heads::{Dense, HeadsError, Mlp, Orientation};

/// Output heads: 0 = any propaganda technique, 1..=14 = the techniques.
pub const N_HEADS: usize = 1 + super::techniques::N_TECHNIQUES;

/// The training RNG (SplitMix64).
pub type Rng = crate::rng::SplitMix64;

/// The generator for `seed`. The seed is mixed with a constant first: the
/// committed heads were trained with this seeding, so it stays.
pub fn seeded(seed: u64) -> Rng {
    Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15)
}

/// Hyper-parameters of one training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Hidden units; 0 = plain logistic heads.
    pub hidden: usize,
    /// Weight positives by sqrt(negatives / positives) per head.
    pub pos_weight: bool,
    pub seed: u64,
    /// Networks trained per cross-fitting fold (different initialisations
    /// and shuffles), their logits averaged.
    #[serde(default = "one")]
    pub bags: usize,
    /// Epochs of the token heads (feature group `tokens`).
    #[serde(default = "two")]
    pub token_epochs: usize,
    /// Hidden units of the token heads (0 = logistic).
    #[serde(default)]
    pub token_hidden: usize,
}

fn one() -> usize {
    1
}

fn two() -> usize {
    2
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 12,
            batch: 128,
            lr: 1e-3,
            weight_decay: 1e-2,
            hidden: 0,
            pos_weight: true,
            seed: 42,
            bags: 1,
            token_epochs: 2,
            token_hidden: 0,
        }
    }
}

/// Per-feature mean and standard deviation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardizer {
    pub fn fit(x: &[f32], d: usize) -> Self {
        let n = (x.len() / d.max(1)).max(1);
        let mut mean = vec![0.0f64; d];
        let mut sq = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v as f64;
                sq[j] += (v as f64) * (v as f64);
            }
        }
        let mean: Vec<f64> = mean.iter().map(|m| m / n as f64).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n as f64 - m * m).max(0.0).sqrt().max(1e-6)) as f32)
            .collect();
        Standardizer {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }
    pub fn apply(&self, x: &mut [f32]) {
        let d = self.mean.len();
        for row in x.chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }
}

/// Learned network weights: one dense layer of [`N_HEADS`] outputs, or a
/// hidden ReLU layer and that output layer. Stored flat (`NetRepr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "NetRepr", into = "NetRepr")]
pub struct Net {
    pub mlp: Mlp,
}

/// A network as the model file stores it (row-major weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NetRepr {
    input: usize,
    hidden: usize,
    /// hidden > 0: hidden × input; else heads × input. Stored as f16
    /// base64 ([`crate::heads::codec`]); plain arrays of numbers load too.
    #[serde(with = "crate::heads::codec::f16_base64")]
    w1: Vec<f32>,
    b1: Vec<f32>,
    /// heads × hidden (empty for plain logistic heads).
    w2: Vec<f32>,
    b2: Vec<f32>,
}

impl From<NetRepr> for Net {
    fn from(r: NetRepr) -> Self {
        let first = Dense {
            inputs: r.input,
            outputs: r.b1.len(),
            weights: r.w1,
            bias: r.b1,
        };
        let layers = if r.hidden == 0 {
            vec![first]
        } else {
            vec![
                Dense {
                    outputs: r.hidden,
                    ..first
                },
                Dense {
                    inputs: r.hidden,
                    outputs: r.b2.len(),
                    weights: r.w2,
                    bias: r.b2,
                },
            ]
        };
        Net {
            mlp: Mlp::from(layers),
        }
    }
}

impl From<Net> for NetRepr {
    fn from(n: Net) -> Self {
        let input = n.input();
        let hidden = n.hidden();
        let mut layers = n.mlp.layers.into_iter();
        let (w1, b1) = layers
            .next()
            .map_or((Vec::new(), Vec::new()), |l| (l.weights, l.bias));
        let (w2, b2) = layers
            .next()
            .map_or((Vec::new(), Vec::new()), |l| (l.weights, l.bias));
        NetRepr {
            input,
            hidden,
            w1,
            b1,
            w2,
            b2,
        }
    }
}

fn cerr(e: impl std::fmt::Display) -> PropagandaError {
    PropagandaError::Train(e.to_string())
}

impl Net {
    /// Values per input row.
    pub fn input(&self) -> usize {
        self.mlp.inputs()
    }

    /// Hidden units; 0 for plain logistic heads.
    pub fn hidden(&self) -> usize {
        if self.mlp.len() > 1 {
            self.mlp[0].outputs
        } else {
            0
        }
    }

    /// Whether the network reads `d` inputs and gives [`N_HEADS`] outputs,
    /// with at most one hidden layer, every layer of consistent sizes.
    pub fn fits(&self, d: usize) -> bool {
        self.mlp.len() <= 2 && self.mlp.check(d, N_HEADS).is_ok()
    }

    /// Raw logits (N × heads) for standardised features (N × input).
    pub fn logits(&self, x: &[f32]) -> Result<Vec<f32>, PropagandaError> {
        self.mlp.forward_rows(x).map_err(cerr)
    }
}

/// Train the heads on standardised features `x` (N × d) and 0/1 targets
/// `y` (N × heads).
pub fn fit_net(
    x: &[f32],
    d: usize,
    y: &[f32],
    opts: &TrainOptions,
) -> Result<Net, PropagandaError> {
    let n = x.len() / d;
    if n == 0 {
        return Err(PropagandaError::Train("no training sentences".into()));
    }
    fit_weights(x, n, d, y, opts).map_err(cerr)
}

fn fit_weights(
    x: &[f32],
    n: usize,
    d: usize,
    y: &[f32],
    opts: &TrainOptions,
) -> Result<Net, HeadsError> {
    let dev = Device::Cpu;
    let mut rng = seeded(opts.seed);
    // Positive weights per head.
    let mut pw = [1.0f32; N_HEADS];
    if opts.pos_weight {
        for (k, w) in pw.iter_mut().enumerate() {
            let pos = (0..n).filter(|&i| y[i * N_HEADS + k] > 0.5).count() as f32;
            if pos > 0.0 {
                *w = ((n as f32 - pos) / pos).sqrt().max(1.0);
            }
        }
    }
    let sw: Vec<f32> = y
        .iter()
        .enumerate()
        .map(|(i, &t)| if t > 0.5 { pw[i % N_HEADS] } else { 1.0 })
        .collect();
    let xt = Tensor::from_slice(x, (n, d), &dev)?;
    let yt = Tensor::from_slice(y, (n, N_HEADS), &dev)?;
    let swt = Tensor::from_slice(&sw, (n, N_HEADS), &dev)?;
    let (w1, b1, w2, b2) = if opts.hidden == 0 {
        (
            Var::zeros((N_HEADS, d), DType::F32, &dev)?,
            Var::zeros(N_HEADS, DType::F32, &dev)?,
            None,
            None,
        )
    } else {
        let h = opts.hidden;
        let w1 = Var::from_tensor(&Tensor::from_vec(
            glorot_uniform(h, d, &mut rng),
            (h, d),
            &dev,
        )?)?;
        let w2 = Var::from_tensor(&Tensor::from_vec(
            glorot_uniform(N_HEADS, h, &mut rng),
            (N_HEADS, h),
            &dev,
        )?)?;
        (
            w1,
            Var::zeros(h, DType::F32, &dev)?,
            Some(w2),
            Some(Var::zeros(N_HEADS, DType::F32, &dev)?),
        )
    };
    let mut vars = vec![w1.clone(), b1.clone()];
    if let (Some(a), Some(b)) = (&w2, &b2) {
        vars.push(a.clone());
        vars.push(b.clone());
    }
    let schedule = Schedule {
        epochs: opts.epochs,
        batches: Batches::Shuffled {
            size: opts.batch.max(1),
        },
        lr: opts.lr,
        weight_decay: opts.weight_decay,
    };
    adamw::<HeadsError, _, _>(
        vars,
        &schedule,
        n,
        &mut rng,
        |batch, _| {
            let xb = batch.select(&xt)?;
            let yb = batch.select(&yt)?;
            let wb = batch.select(&swt)?;
            let z = match (&w2, &b2) {
                (Some(w2), Some(b2)) => xb
                    .matmul(&w1.as_tensor().t()?)?
                    .broadcast_add(b1.as_tensor())?
                    .relu()?
                    .matmul(&w2.as_tensor().t()?)?
                    .broadcast_add(b2.as_tensor())?,
                _ => xb
                    .matmul(&w1.as_tensor().t()?)?
                    .broadcast_add(b1.as_tensor())?,
            };
            Ok(binary_cross_entropy(&z, &yb, Some(&wb))?)
        },
        |_| Ok(Flow::Continue),
    )?;
    let layer = |w: &Var, b: &Var| {
        Dense::from_tensors(w.as_tensor(), b.as_tensor(), Orientation::OutputsByInputs)
    };
    let mut layers = vec![layer(&w1, &b1)?];
    if let (Some(w2), Some(b2)) = (&w2, &b2) {
        layers.push(layer(w2, b2)?);
    }
    Ok(Net {
        mlp: Mlp::from(layers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_weights_round_trip_and_plain_arrays_still_load() {
        let json = r#"{"input":2,"hidden":0,"w1":[0.0271,-0.1249,1e-3,3.5,-0.0,0.0051],"b1":[0.5,0.5,0.5],"w2":[],"b2":[]}"#;
        let net: Net = serde_json::from_str(json).unwrap();
        assert_eq!((net.input(), net.hidden()), (2, 0));
        assert_eq!(net.mlp[0].outputs, 3);
        let packed = serde_json::to_string(&net).unwrap();
        assert!(packed.contains("\"w1\":\""), "{packed}");
        assert!(packed.contains("\"w2\":[]"), "{packed}");
        let back: Net = serde_json::from_str(&packed).unwrap();
        for (a, b) in net.mlp[0].weights.iter().zip(&back.mlp[0].weights) {
            assert!((a - b).abs() <= a.abs() / 1024.0 + 1e-7, "{a} vs {b}");
        }
        let odd = r#"{"input":1,"hidden":0,"w1":"AA==","b1":[],"w2":[],"b2":[]}"#;
        let err = serde_json::from_str::<Net>(odd).unwrap_err().to_string();
        assert!(err.contains("odd number of bytes"), "{err}");
        let hidden = r#"{"input":1,"hidden":2,"w1":[1,2],"b1":[0,0],"w2":[1,1],"b2":[0]}"#;
        let net: Net = serde_json::from_str(hidden).unwrap();
        assert_eq!((net.input(), net.hidden(), net.mlp.outputs()), (1, 2, 1));
        assert!(!net.fits(1), "one output, not N_HEADS");
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = seeded(7);
        let mut b = seeded(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let f = a.next_f32();
        assert!((0.0..1.0).contains(&f));
    }

    #[test]
    fn heads_learn_a_separable_problem() {
        let mut rng = seeded(1);
        let d = 4;
        let n = 400;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let row: Vec<f32> = (0..d).map(|_| rng.next_f32() * 2.0 - 1.0).collect();
            let pos = row[0] + row[1] > 0.0;
            x.extend_from_slice(&row);
            for k in 0..N_HEADS {
                y.push(if k == 0 && pos || k > 0 && row[2] > 0.0 {
                    1.0
                } else {
                    0.0
                });
            }
        }
        for hidden in [0, 8] {
            let opts = TrainOptions {
                epochs: 60,
                batch: 32,
                lr: 0.02,
                hidden,
                ..Default::default()
            };
            let net = fit_net(&x, d, &y, &opts).unwrap();
            let z = net.logits(&x).unwrap();
            let acc = (0..n)
                .filter(|&i| (z[i * N_HEADS] > 0.0) == (y[i * N_HEADS] > 0.5))
                .count() as f32
                / n as f32;
            assert!(acc > 0.9, "hidden {hidden}: accuracy {acc}");
        }
    }
}
