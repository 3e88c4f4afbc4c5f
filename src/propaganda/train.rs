//! Training of the propaganda heads: feature standardisation, multi-output
//! logistic (or one-hidden-layer) heads trained with AdamW in candle, Platt
//! calibration and per-head decision thresholds chosen on out-of-fold
//! predictions inside the training data (never on the data evaluated).

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use serde::{Deserialize, Serialize};

use super::PropagandaError;

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

/// Learned network weights (row-major).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Net {
    pub input: usize,
    pub hidden: usize,
    /// hidden > 0: hidden × input; else heads × input. Stored as f16
    /// base64 (see [`f16_base64`]); plain arrays of numbers load too.
    #[serde(with = "f16_base64")]
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    /// heads × hidden (empty for plain logistic heads).
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
}

/// A large weight matrix in a model file: little-endian IEEE half floats,
/// base64-encoded — a third of the size of 4-decimal JSON numbers, and as
/// precise for weights of this size (relative error ≤ 2⁻¹¹). Reading also
/// accepts a plain array of numbers (files written before this encoding).
pub mod f16_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect();
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Packed(String),
            Plain(Vec<f32>),
        }
        match Repr::deserialize(d)? {
            Repr::Plain(v) => Ok(v),
            Repr::Packed(text) => {
                let bytes = STANDARD
                    .decode(text.as_bytes())
                    .map_err(|e| serde::de::Error::custom(format!("f16 weights: {e}")))?;
                if bytes.len() % 2 != 0 {
                    return Err(serde::de::Error::custom("f16 weights: odd number of bytes"));
                }
                Ok(bytes
                    .chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect())
            }
        }
    }
}

fn cerr(e: candle_core::Error) -> PropagandaError {
    PropagandaError::Train(e.to_string())
}

impl Net {
    /// Raw logits (N × heads) for standardised features (N × input).
    pub fn logits(&self, x: &[f32]) -> Result<Vec<f32>, PropagandaError> {
        let n = x.len() / self.input.max(1);
        if n == 0 {
            return Ok(Vec::new());
        }
        let dev = Device::Cpu;
        let xt = Tensor::from_slice(x, (n, self.input), &dev).map_err(cerr)?;
        let out = if self.hidden == 0 {
            let w = Tensor::from_slice(&self.w1, (N_HEADS, self.input), &dev).map_err(cerr)?;
            let b = Tensor::from_slice(&self.b1, N_HEADS, &dev).map_err(cerr)?;
            xt.matmul(&w.t().map_err(cerr)?)
                .and_then(|z| z.broadcast_add(&b))
                .map_err(cerr)?
        } else {
            let w1 = Tensor::from_slice(&self.w1, (self.hidden, self.input), &dev).map_err(cerr)?;
            let b1 = Tensor::from_slice(&self.b1, self.hidden, &dev).map_err(cerr)?;
            let w2 = Tensor::from_slice(&self.w2, (N_HEADS, self.hidden), &dev).map_err(cerr)?;
            let b2 = Tensor::from_slice(&self.b2, N_HEADS, &dev).map_err(cerr)?;
            xt.matmul(&w1.t().map_err(cerr)?)
                .and_then(|h| h.broadcast_add(&b1))
                .and_then(|h| h.relu())
                .and_then(|h| h.matmul(&w2.t()?))
                .and_then(|z| z.broadcast_add(&b2))
                .map_err(cerr)?
        };
        out.flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(cerr)
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
    let xt = Tensor::from_slice(x, (n, d), &dev).map_err(cerr)?;
    let yt = Tensor::from_slice(y, (n, N_HEADS), &dev).map_err(cerr)?;
    let swt = Tensor::from_slice(&sw, (n, N_HEADS), &dev).map_err(cerr)?;
    let init = |rows: usize, cols: usize, rng: &mut Rng| -> Vec<f32> {
        let s = (6.0 / (rows + cols) as f32).sqrt();
        (0..rows * cols)
            .map(|_| (rng.next_f32() * 2.0 - 1.0) * s)
            .collect()
    };
    let (w1, b1, w2, b2) = if opts.hidden == 0 {
        (
            Var::zeros((N_HEADS, d), DType::F32, &dev).map_err(cerr)?,
            Var::zeros(N_HEADS, DType::F32, &dev).map_err(cerr)?,
            None,
            None,
        )
    } else {
        let h = opts.hidden;
        let w1 =
            Var::from_tensor(&Tensor::from_vec(init(h, d, &mut rng), (h, d), &dev).map_err(cerr)?)
                .map_err(cerr)?;
        let w2 = Var::from_tensor(
            &Tensor::from_vec(init(N_HEADS, h, &mut rng), (N_HEADS, h), &dev).map_err(cerr)?,
        )
        .map_err(cerr)?;
        (
            w1,
            Var::zeros(h, DType::F32, &dev).map_err(cerr)?,
            Some(w2),
            Some(Var::zeros(N_HEADS, DType::F32, &dev).map_err(cerr)?),
        )
    };
    let mut vars = vec![w1.clone(), b1.clone()];
    if let (Some(a), Some(b)) = (&w2, &b2) {
        vars.push(a.clone());
        vars.push(b.clone());
    }
    let mut opt = AdamW::new(
        vars,
        ParamsAdamW {
            lr: opts.lr,
            weight_decay: opts.weight_decay,
            ..Default::default()
        },
    )
    .map_err(cerr)?;
    let mut order: Vec<u32> = (0..n as u32).collect();
    for _epoch in 0..opts.epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks(opts.batch.max(1)) {
            let idx = Tensor::from_slice(chunk, chunk.len(), &dev).map_err(cerr)?;
            let step = || -> candle_core::Result<Tensor> {
                let xb = xt.index_select(&idx, 0)?;
                let yb = yt.index_select(&idx, 0)?;
                let wb = swt.index_select(&idx, 0)?;
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
                // Stable BCE with logits: relu(z) - z*y + log(1 + exp(-|z|)).
                let bce =
                    ((z.relu()? - (&z * &yb)?)? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?;
                (bce * wb)?.mean_all()
            };
            let loss = step().map_err(cerr)?;
            opt.backward_step(&loss).map_err(cerr)?;
        }
    }
    let v = |t: &Var| -> Result<Vec<f32>, PropagandaError> {
        t.as_tensor()
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(cerr)
    };
    Ok(Net {
        input: d,
        hidden: opts.hidden,
        w1: v(&w1)?,
        b1: v(&b1)?,
        w2: match &w2 {
            Some(w) => v(w)?,
            None => Vec::new(),
        },
        b2: match &b2 {
            Some(b) => v(b)?,
            None => Vec::new(),
        },
    })
}

/// Logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Platt scaling: fit p = sigmoid(a·z + b) on (logit, label) pairs by Newton's
/// method. Returns (a, b); (1, 0) when the labels are all one class.
pub fn fit_platt(z: &[f32], y: &[bool]) -> (f32, f32) {
    let pos = y.iter().filter(|&&b| b).count();
    if pos == 0 || pos == y.len() {
        return (1.0, 0.0);
    }
    // Platt's smoothed targets avoid infinite weights on separable data.
    let tp = (pos as f64 + 1.0) / (pos as f64 + 2.0);
    let tn = 1.0 / ((y.len() - pos) as f64 + 2.0);
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..50 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&zi, &yi) in z.iter().zip(y) {
            let zi = zi as f64;
            let p = 1.0 / (1.0 + (-(a * zi + b)).exp());
            let t = if yi { tp } else { tn };
            let g = p - t;
            let w = (p * (1.0 - p)).max(1e-12);
            ga += g * zi;
            gb += g;
            haa += w * zi * zi;
            hab += w * zi;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if da.abs() < 1e-7 && db.abs() < 1e-7 {
            break;
        }
    }
    (a as f32, b as f32)
}

/// The threshold on `p` that maximises F1 for labels `y` (ties: the higher
/// threshold). Returns (threshold, f1); 0.5 when there are no positives.
pub fn best_f1_threshold(p: &[f32], y: &[bool]) -> (f32, f64) {
    let total_pos = y.iter().filter(|&&b| b).count();
    if total_pos == 0 {
        return (0.5, 0.0);
    }
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best = (0.5f32, 0.0f64);
    for (r, &i) in idx.iter().enumerate() {
        if y[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        // Only cut between distinct scores.
        if r + 1 < idx.len() && p[idx[r + 1]] == p[i] {
            continue;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (total_pos - tp)) as f64;
        if f1 > best.1 {
            let next = if r + 1 < idx.len() {
                p[idx[r + 1]]
            } else {
                0.0
            };
            best = ((p[i] + next) / 2.0, f1);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_weights_round_trip_and_plain_arrays_still_load() {
        let net = Net {
            input: 2,
            hidden: 0,
            w1: vec![0.0271, -0.1249, 1e-3, 3.5, -0.0, 0.0051],
            b1: vec![0.5; 3],
            w2: Vec::new(),
            b2: Vec::new(),
        };
        let json = serde_json::to_string(&net).unwrap();
        assert!(json.contains("\"w1\":\""), "{json}");
        let back: Net = serde_json::from_str(&json).unwrap();
        for (a, b) in net.w1.iter().zip(&back.w1) {
            assert!((a - b).abs() <= a.abs() / 1024.0 + 1e-7, "{a} vs {b}");
        }
        let plain = r#"{"input":1,"hidden":0,"w1":[0.25,-1.5,2.0],"b1":[0,0,0],"w2":[],"b2":[]}"#;
        assert_eq!(
            serde_json::from_str::<Net>(plain).unwrap().w1,
            vec![0.25, -1.5, 2.0]
        );
        let odd = r#"{"input":1,"hidden":0,"w1":"AA==","b1":[],"w2":[],"b2":[]}"#;
        let err = serde_json::from_str::<Net>(odd).unwrap_err().to_string();
        assert!(err.contains("odd number of bytes"), "{err}");
        assert!(serde_json::from_str::<Net>(
            r#"{"input":1,"hidden":0,"w1":"!!","b1":[],"w2":[],"b2":[]}"#
        )
        .is_err());
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
    fn platt_and_threshold_behave() {
        let z: Vec<f32> = (0..200).map(|i| (i as f32 - 100.0) / 20.0).collect();
        let y: Vec<bool> = z.iter().map(|&v| v > 1.0).collect();
        let (a, _b) = fit_platt(&z, &y);
        assert!(a > 1.0);
        let p: Vec<f32> = z.iter().map(|&v| sigmoid(v)).collect();
        let (t, f1) = best_f1_threshold(&p, &y);
        assert!(f1 > 0.99, "{f1}");
        assert!(t > sigmoid(0.9) && t < sigmoid(1.2), "{t}");
        assert_eq!(best_f1_threshold(&p, &[false; 200]).1, 0.0);
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
