//! From a head's logit to a probability: the logistic function and Platt
//! scaling.

use serde::{Deserialize, Serialize};

/// Logistic function.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Platt scaling: p = sigmoid(a · z + b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    pub a: f32,
    pub b: f32,
}

impl Default for Platt {
    /// The identity: p = sigmoid(z).
    fn default() -> Self {
        Platt { a: 1.0, b: 0.0 }
    }
}

impl Platt {
    /// The calibrated probability of logit `z`.
    pub fn prob(&self, z: f32) -> f32 {
        sigmoid(self.a * z + self.b)
    }

    /// Fit on (logit, label) pairs by Newton's method, with Platt's smoothed
    /// targets (which avoid infinite weights on separable data); the
    /// identity when the labels are all one class.
    pub fn fit(z: &[f32], y: &[bool]) -> Platt {
        let pos = y.iter().filter(|&&b| b).count();
        if pos == 0 || pos == y.len() {
            return Platt::default();
        }
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
        Platt {
            a: a as f32,
            b: b as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{best_threshold, LastCut};

    #[test]
    fn platt_sharpens_and_threshold_follows() {
        let z: Vec<f32> = (0..200).map(|i| (i as f32 - 100.0) / 20.0).collect();
        let y: Vec<bool> = z.iter().map(|&v| v > 1.0).collect();
        let platt = Platt::fit(&z, &y);
        assert!(platt.a > 1.0);
        assert!(platt.prob(3.0) > 0.9 && platt.prob(-3.0) < 0.1);
        let p: Vec<f32> = z.iter().map(|&v| sigmoid(v)).collect();
        let t = best_threshold(&p, &y, LastCut::MidwayTo(0.0)).unwrap();
        assert!(t.prf.f1() > 0.99, "{t:?}");
        assert!(t.value > sigmoid(0.9) && t.value < sigmoid(1.2), "{t:?}");
        assert_eq!(Platt::fit(&z, &[false; 200]), Platt::default());
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
    }
}
