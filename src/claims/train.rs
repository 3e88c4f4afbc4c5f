//! Training a check-worthiness head: standardise inputs, fit logistic
//! regression or a one-hidden-layer MLP with AdamW on binary cross-entropy
//! (candle autograd, CPU), stop early on validation loss, and pick the
//! threshold that maximises validation F1.
//!
//! Reproducible: weights are initialised and mini-batches shuffled with a
//! seeded SplitMix64 generator, and the rows come in file order.

use candle_core::{DType, Device, Tensor, Var};

use super::{features, ClaimsError, Head, HEAD_FORMAT};
use crate::heads::train::{
    adamw, binary_cross_entropy, normal_init, Batch, Batches, Flow, Schedule,
};
use crate::heads::{codec, Dense, Mlp, Orientation};
use crate::metrics::{best_threshold, LastCut, Prf};

/// Hyper-parameters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainOptions {
    /// Hidden units; 0 = logistic regression.
    pub hidden: usize,
    pub use_embedding: bool,
    pub use_cues: bool,
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Dropout on the hidden layer during training (0 = none).
    pub dropout: f64,
    /// Members trained with seeds seed, seed+1, ...; their logits are averaged
    /// (stored as one wider hidden layer).
    pub ensemble: usize,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            hidden: 64,
            use_embedding: true,
            use_cues: true,
            max_epochs: 200,
            patience: 15,
            batch: 64,
            lr: 1e-3,
            weight_decay: 1e-2,
            dropout: 0.0,
            ensemble: 3,
            seed: 42,
        }
    }
}

/// The training RNG (SplitMix64, seeded directly with `--seed`).
pub type Rng = crate::rng::SplitMix64;

/// What [`fit`] returns besides the head.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FitReport {
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub best_val_loss: f64,
    pub val_at_threshold: Prf,
}

/// Column means and deviations (a constant column gets deviation 1).
fn standardisation(rows: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
    let d = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0f64; d];
    for r in rows {
        for (m, x) in mean.iter_mut().zip(r) {
            *m += *x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0f64; d];
    for r in rows {
        for ((v, x), m) in var.iter_mut().zip(r).zip(&mean) {
            let dx = *x as f64 - m;
            *v += dx * dx;
        }
    }
    let std = var
        .iter()
        .map(|v| {
            let s = (v / n).sqrt();
            if s > 1e-6 {
                s as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

fn to_tensor(rows: &[Vec<f32>], mean: &[f32], std: &[f32]) -> Result<Tensor, ClaimsError> {
    let d = mean.len();
    let mut flat = Vec::with_capacity(rows.len() * d);
    for r in rows {
        flat.extend(
            r.iter()
                .zip(mean.iter().zip(std))
                .map(|(x, (m, s))| (x - m) / s),
        );
    }
    Ok(Tensor::from_vec(flat, (rows.len(), d), &Device::Cpu)?)
}

struct Net {
    vars: Vec<Var>, // [w1 (d,h), b1 (h), w2 (h,1), b2 (1)] or [w (d,1), b (1)]
}

impl Net {
    fn new(d: usize, hidden: usize, rng: &mut Rng) -> Result<Self, ClaimsError> {
        let dev = Device::Cpu;
        let normal = |rows: usize, cols: usize, scale: f64, rng: &mut Rng| {
            Tensor::from_vec(normal_init(rows, cols, scale, rng), (rows, cols), &dev)
        };
        let vars = if hidden == 0 {
            vec![
                Var::from_tensor(&Tensor::zeros((d, 1), DType::F32, &dev)?)?,
                Var::from_tensor(&Tensor::zeros(1, DType::F32, &dev)?)?,
            ]
        } else {
            vec![
                Var::from_tensor(&normal(d, hidden, (2.0 / d as f64).sqrt(), rng)?)?,
                Var::from_tensor(&Tensor::zeros(hidden, DType::F32, &dev)?)?,
                Var::from_tensor(&normal(hidden, 1, (1.0 / hidden as f64).sqrt(), rng)?)?,
                Var::from_tensor(&Tensor::zeros(1, DType::F32, &dev)?)?,
            ]
        };
        Ok(Net { vars })
    }

    fn logits(&self, x: &Tensor) -> Result<Tensor, ClaimsError> {
        self.logits_masked(x, None)
    }

    /// Logits; `mask` (batch × hidden, already scaled by 1/(1-p)) applies
    /// dropout to the hidden layer.
    fn logits_masked(&self, x: &Tensor, mask: Option<&Tensor>) -> Result<Tensor, ClaimsError> {
        let v = &self.vars;
        let mut h = x
            .matmul(v[0].as_tensor())?
            .broadcast_add(v[1].as_tensor())?;
        if v.len() == 4 {
            h = h.relu()?;
            if let Some(m) = mask {
                h = (h * m)?;
            }
            h = h
                .matmul(v[2].as_tensor())?
                .broadcast_add(v[3].as_tensor())?;
        }
        Ok(h.flatten_all()?)
    }

    fn snapshot(&self) -> Result<Vec<Tensor>, ClaimsError> {
        Ok(self
            .vars
            .iter()
            .map(|v| v.as_tensor().copy())
            .collect::<Result<_, _>>()?)
    }

    fn layers(weights: &[Tensor]) -> Result<Mlp, ClaimsError> {
        Ok(Mlp::from(
            weights
                .chunks(2)
                .map(|wb| Dense::from_tensors(&wb[0], &wb[1], Orientation::InputsByOutputs))
                .collect::<Result<Vec<_>, _>>()?,
        ))
    }
}

/// Mean binary cross-entropy with logits.
fn bce(logits: &Tensor, y: &Tensor) -> Result<Tensor, ClaimsError> {
    Ok(binary_cross_entropy(logits, y, None)?)
}

/// Fit a head on `train` rows (raw input vectors from [`Head::input`]),
/// using `val` for early stopping and the threshold.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    encoder: &str,
    dims: usize,
    train: &[Vec<f32>],
    train_y: &[bool],
    val: &[Vec<f32>],
    val_y: &[bool],
    opts: &TrainOptions,
    provenance: serde_json::Value,
) -> Result<(Head, FitReport), ClaimsError> {
    if train.is_empty() || val.is_empty() {
        return Err(ClaimsError::Training(
            "need training and validation sentences; the data must include a ClaimBuster-format file (its folds give the validation part)"
                .into(),
        ));
    }
    if !val_y.iter().any(|&y| y) || !train_y.iter().any(|&y| y) {
        return Err(ClaimsError::Training(
            "the training or validation part has no check-worthy sentence".into(),
        ));
    }
    let (mean, std) = standardisation(train);
    let d = mean.len();
    let x = to_tensor(train, &mean, &std)?;
    let xv = to_tensor(val, &mean, &std)?;
    let ys = |y: &[bool]| {
        Tensor::from_vec(
            y.iter().map(|&b| f32::from(b)).collect::<Vec<_>>(),
            y.len(),
            &Device::Cpu,
        )
    };
    let y = ys(train_y)?;
    let yv = ys(val_y)?;
    let members = opts.ensemble.max(1);
    let mut trained = Vec::new();
    let (mut epochs_run, mut best_epoch, mut best_loss) = (0, 0, 0.0);
    for k in 0..members {
        let seed = opts.seed.wrapping_add(k as u64);
        let (weights, run, epoch, loss) = fit_member(&x, &y, &xv, &yv, d, opts, seed)?;
        epochs_run = epochs_run.max(run);
        best_epoch = best_epoch.max(epoch);
        best_loss += loss / members as f64;
        trained.push(weights);
    }
    let best = (best_loss, best_epoch, combine(&trained)?);
    let layers = Net::layers(&best.2)?;
    let mut head = Head {
        format: HEAD_FORMAT.to_string(),
        encoder: encoder.to_string(),
        dims,
        use_embedding: opts.use_embedding,
        cue_names: if opts.use_cues {
            features::CUE_NAMES.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
        mean,
        std,
        layers,
        threshold: 0.5,
        provenance,
    };
    let val_scores = head.score_inputs(val)?;
    let chosen = best_threshold(&val_scores, val_y, LastCut::AtLowest).ok_or_else(|| {
        ClaimsError::Training("no threshold: the validation part has no positives".into())
    })?;
    let val_at_threshold = chosen.prf;
    head.threshold = chosen.value.clamp(0.0, 1.0);
    Ok((
        head,
        FitReport {
            epochs_run,
            best_epoch: best.1,
            best_val_loss: best.0,
            val_at_threshold,
        },
    ))
}

/// Average members' logits: concatenate hidden units and divide the output
/// weights by the member count (for logistic regression, average weights).
fn combine(members: &[Vec<Tensor>]) -> Result<Vec<Tensor>, ClaimsError> {
    let k = members.len() as f64;
    if members.len() == 1 {
        return Ok(members[0].clone());
    }
    let part = |i: usize| members.iter().map(|m| m[i].clone()).collect::<Vec<_>>();
    if members[0].len() == 2 {
        let w = (Tensor::stack(&part(0), 0)?.sum(0)? / k)?;
        let b = (Tensor::stack(&part(1), 0)?.sum(0)? / k)?;
        return Ok(vec![w, b]);
    }
    Ok(vec![
        Tensor::cat(&part(0), 1)?,
        Tensor::cat(&part(1), 0)?,
        (Tensor::cat(&part(2), 0)? / k)?,
        (Tensor::stack(&part(3), 0)?.sum(0)? / k)?,
    ])
}

/// Train one member; returns its best weights, epochs run, best epoch and
/// best validation loss.
fn fit_member(
    x: &Tensor,
    y: &Tensor,
    xv: &Tensor,
    yv: &Tensor,
    d: usize,
    opts: &TrainOptions,
    seed: u64,
) -> Result<(Vec<Tensor>, usize, usize, f64), ClaimsError> {
    let mut rng = Rng::new(seed);
    let net = Net::new(d, opts.hidden, &mut rng)?;
    let n = x.dims2()?.0;
    let mut best = (f64::INFINITY, 0usize, net.snapshot()?);
    let p = opts.dropout.clamp(0.0, 0.9);
    let schedule = Schedule {
        epochs: opts.max_epochs,
        batches: Batches::Shuffled {
            size: opts.batch.max(1),
        },
        lr: opts.lr,
        weight_decay: opts.weight_decay,
    };
    let epochs_run = adamw(
        net.vars.clone(),
        &schedule,
        n,
        &mut rng,
        |batch, rng| {
            let xb = batch.select(x)?;
            let yb = batch.select(y)?;
            let rows = match batch {
                Batch::All => n,
                Batch::Rows { len, .. } => len,
            };
            let mask = if p > 0.0 && opts.hidden > 0 {
                let keep = (1.0 / (1.0 - p)) as f32;
                let m: Vec<f32> = (0..rows * opts.hidden)
                    .map(|_| if rng.uniform() < p { 0.0 } else { keep })
                    .collect();
                Some(Tensor::from_vec(m, (rows, opts.hidden), &Device::Cpu)?)
            } else {
                None
            };
            bce(&net.logits_masked(&xb, mask.as_ref())?, &yb)
        },
        |epoch| {
            let vloss = bce(&net.logits(xv)?, yv)?.to_scalar::<f32>()? as f64;
            if !vloss.is_finite() {
                return Err(ClaimsError::Training(format!(
                    "validation loss became {vloss} at epoch {epoch}; lower --lr"
                )));
            }
            tracing::debug!("seed {seed} epoch {epoch}: validation loss {vloss:.4}");
            if vloss < best.0 - 1e-5 {
                best = (vloss, epoch, net.snapshot()?);
            } else if epoch - best.1 >= opts.patience {
                return Ok(Flow::Stop);
            }
            Ok(Flow::Continue)
        },
    )?;
    Ok((best.2, epochs_run, best.1, best.0))
}

/// Round the head to what its file keeps (weights in f16, the rest to 6
/// significant digits), so that metrics measured after this hold for the file.
pub fn compact(head: &mut Head) {
    let r = |x: &mut f32| *x = format!("{:.5e}", *x).parse().unwrap_or(*x);
    for l in head.layers.iter_mut() {
        l.weights.iter_mut().for_each(|w| *w = codec::quantise(*w));
        l.bias.iter_mut().for_each(r);
    }
    head.mean.iter_mut().for_each(r);
    head.std.iter_mut().for_each(r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::prf;

    /// Two noisy clusters along the first axis; cues are added per text.
    fn toy(n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<bool>) {
        let mut rng = Rng::new(seed);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..n {
            let y = i % 3 == 0;
            let c = if y { 1.5 } else { -1.0 };
            xs.push(vec![
                c + rng.normal() as f32 * 0.7,
                rng.normal() as f32,
                rng.normal() as f32,
            ]);
            ys.push(y);
        }
        (xs, ys)
    }

    fn opts(hidden: usize) -> TrainOptions {
        TrainOptions {
            hidden,
            use_embedding: true,
            use_cues: false,
            max_epochs: 40,
            patience: 5,
            batch: 32,
            lr: 1e-2,
            weight_decay: 1e-3,
            dropout: 0.0,
            ensemble: 1,
            seed: 7,
        }
    }

    #[test]
    fn learns_a_separable_problem_reproducibly() {
        let (x, y) = toy(600, 1);
        let (xv, yv) = toy(200, 2);
        let (xt, yt) = toy(300, 3);
        for hidden in [0, 8] {
            let run = || {
                fit(
                    "toy",
                    3,
                    &x,
                    &y,
                    &xv,
                    &yv,
                    &opts(hidden),
                    serde_json::json!({}),
                )
                .unwrap()
            };
            let (h1, rep) = run();
            let s = h1.score_inputs(&xt).unwrap();
            assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
            let m = prf(&s, &yt, h1.threshold);
            assert!(m.f1() > 0.85, "hidden {hidden}: test F1 {}", m.f1());
            assert!(rep.val_at_threshold.f1() > 0.85);
            let (h2, _) = run();
            assert_eq!(h1, h2, "same seed, same head");
        }
    }

    #[test]
    fn refuses_data_without_positives() {
        let (x, _) = toy(30, 1);
        let y = vec![false; 30];
        assert!(fit("toy", 3, &x, &y, &x, &y, &opts(0), serde_json::json!({})).is_err());
        assert!(fit("toy", 3, &[], &[], &x, &y, &opts(0), serde_json::json!({})).is_err());
    }

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..3)
            .map({
                let mut r = Rng::new(5);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::new(5);
        assert_eq!(a, [r.next_u64(), r.next_u64(), r.next_u64()]);
    }
}
