//! The training loop every head uses: AdamW (candle autograd, CPU) over a
//! fixed number of epochs, either full batch or shuffled mini-batches, with
//! the loss and what happens after each epoch (early stopping, snapshots)
//! left to the caller; plus the losses and weight initialisations the heads
//! use.
//!
//! Reproducible: the only randomness is the caller's seeded generator, drawn
//! in a fixed order (the caller's initialisation, then per epoch the
//! shuffle, then whatever the loss draws per batch).

use candle_core::{Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use crate::rng::SplitMix64;

/// How an epoch walks the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batches {
    /// One step on all rows, in order.
    Full,
    /// The rows shuffled, then one step per `size` rows.
    Shuffled { size: usize },
}

/// What the optimiser runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Epochs at most (steps, with [`Batches::Full`]).
    pub epochs: usize,
    pub batches: Batches,
    pub lr: f64,
    pub weight_decay: f64,
}

/// The rows of one optimisation step.
#[derive(Debug, Clone, Copy)]
pub enum Batch<'a> {
    /// Every row, in order.
    All,
    /// The rows at `idx` (a 1-D u32 tensor of `len` indices).
    Rows { idx: &'a Tensor, len: usize },
}

impl Batch<'_> {
    /// The rows of `t` (all of it, or those selected).
    pub fn select(&self, t: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Batch::All => Ok(t.clone()),
            Batch::Rows { idx, .. } => t.index_select(idx, 0),
        }
    }
}

/// Whether to go on after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Minimise `loss` over `vars` with AdamW on `rows` training rows.
/// `loss(batch, rng)` builds the loss of one step (it may draw from `rng`,
/// e.g. for dropout); `after_epoch(epoch)` (1-based) runs after each epoch
/// and may stop training. Returns the epochs run.
pub fn adamw<E, L, A>(
    vars: Vec<Var>,
    schedule: &Schedule,
    rows: usize,
    rng: &mut SplitMix64,
    mut loss: L,
    mut after_epoch: A,
) -> Result<usize, E>
where
    E: From<candle_core::Error>,
    L: FnMut(Batch<'_>, &mut SplitMix64) -> Result<Tensor, E>,
    A: FnMut(usize) -> Result<Flow, E>,
{
    let mut opt = AdamW::new(
        vars,
        ParamsAdamW {
            lr: schedule.lr,
            weight_decay: schedule.weight_decay,
            ..Default::default()
        },
    )?;
    let mut order: Vec<u32> = (0..rows as u32).collect();
    let mut run = 0;
    for epoch in 1..=schedule.epochs {
        run = epoch;
        match schedule.batches {
            Batches::Full => {
                let l = loss(Batch::All, rng)?;
                opt.backward_step(&l)?;
            }
            Batches::Shuffled { size } => {
                rng.shuffle(&mut order);
                for chunk in order.chunks(size.max(1)) {
                    let idx = Tensor::from_slice(chunk, chunk.len(), &Device::Cpu)?;
                    let l = loss(
                        Batch::Rows {
                            idx: &idx,
                            len: chunk.len(),
                        },
                        rng,
                    )?;
                    opt.backward_step(&l)?;
                }
            }
        }
        if after_epoch(epoch)? == Flow::Stop {
            break;
        }
    }
    Ok(run)
}

/// Mean binary cross-entropy of `logits` against 0/1 targets `y`, computed
/// stably from softplus(z) = relu(z) + log(1 + exp(−|z|)). Unweighted:
/// mean(softplus(z) − z·y); with per-element `weights`:
/// mean(((relu(z) − z·y) + log(1 + exp(−|z|))) · w). (The two add their
/// terms in different orders; each is the order its head was trained with,
/// kept so that retraining gives the committed heads bit for bit.)
pub fn binary_cross_entropy(
    logits: &Tensor,
    y: &Tensor,
    weights: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let log_term = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    match weights {
        None => ((logits.relu()? + log_term)? - (logits * y)?)?.mean_all(),
        Some(w) => ((((logits.relu()? - (logits * y)?)? + log_term)?) * w)?.mean_all(),
    }
}

/// Cross-entropy of softmax(`logits`) against per-row target weights
/// (rows × classes; e.g. one-hot scaled by class weights), summed.
pub fn soft_cross_entropy(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    (logp * targets)?.sum_all()?.neg()
}

/// `rows × cols` normal weights of deviation `scale` (He: √(2 / fan-in)).
pub fn normal_init(rows: usize, cols: usize, scale: f64, rng: &mut SplitMix64) -> Vec<f32> {
    (0..rows * cols)
        .map(|_| (rng.normal() * scale) as f32)
        .collect()
}

/// `rows × cols` Glorot-uniform weights: U(−s, s), s = √(6 / (rows + cols)).
pub fn glorot_uniform(rows: usize, cols: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let s = (6.0 / (rows + cols) as f32).sqrt();
    (0..rows * cols)
        .map(|_| (rng.next_f32() * 2.0 - 1.0) * s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;

    /// Logistic regression on one separable feature, both ways of batching.
    #[test]
    fn adamw_fits_and_stops_when_told() {
        let dev = Device::Cpu;
        let xs: Vec<f32> = (0..40).map(|i| i as f32 / 10.0 - 2.0).collect();
        let ys: Vec<f32> = xs.iter().map(|&v| f32::from(v > 0.0)).collect();
        let x = Tensor::from_vec(xs.clone(), (40, 1), &dev).unwrap();
        let y = Tensor::from_vec(ys, 40, &dev).unwrap();
        for batches in [Batches::Full, Batches::Shuffled { size: 8 }] {
            let w = Var::zeros((1, 1), DType::F32, &dev).unwrap();
            let b = Var::zeros(1, DType::F32, &dev).unwrap();
            let schedule = Schedule {
                epochs: 200,
                batches,
                lr: 0.1,
                weight_decay: 0.0,
            };
            let mut rng = SplitMix64::new(1);
            let run = adamw::<candle_core::Error, _, _>(
                vec![w.clone(), b.clone()],
                &schedule,
                40,
                &mut rng,
                |batch, _| {
                    let z = batch
                        .select(&x)?
                        .matmul(w.as_tensor())?
                        .broadcast_add(b.as_tensor())?
                        .flatten_all()?;
                    binary_cross_entropy(&z, &batch.select(&y)?, None)
                },
                |epoch| {
                    Ok(if epoch >= 50 {
                        Flow::Stop
                    } else {
                        Flow::Continue
                    })
                },
            )
            .unwrap();
            assert_eq!(run, 50);
            let w = w
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()[0];
            assert!(w > 1.0, "{batches:?}: {w}");
        }
    }

    #[test]
    fn losses_match_their_definitions() {
        let dev = Device::Cpu;
        let z = Tensor::from_vec(vec![0f32, 2.0], 2, &dev).unwrap();
        let y = Tensor::from_vec(vec![1f32, 0.0], 2, &dev).unwrap();
        let want = ((2f32.ln()) + (1.0 + 2f32.exp()).ln()) / 2.0;
        let got = binary_cross_entropy(&z, &y, None)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        let ones = Tensor::ones(2, DType::F32, &dev).unwrap();
        let wgot = binary_cross_entropy(&z, &y, Some(&ones))
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((wgot - want).abs() < 1e-5);
        let logits = Tensor::zeros((1, 3), DType::F32, &dev).unwrap();
        let t = Tensor::from_vec(vec![1f32, 0.0, 0.0], (1, 3), &dev).unwrap();
        let ce = soft_cross_entropy(&logits, &t)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((ce - 3f32.ln()).abs() < 1e-5);
        let mut rng = SplitMix64::new(2);
        assert_eq!(normal_init(2, 3, 1.0, &mut rng).len(), 6);
        assert!(glorot_uniform(4, 4, &mut rng)
            .iter()
            .all(|v| v.abs() <= (6f32 / 8.0).sqrt()));
    }
}
