//! Metrics of a binary check-worthiness classifier and ranker.

use serde::Serialize;

/// Precision, recall and F1 of the positive (check-worthy) class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Sentences scored.
    pub n: usize,
    /// Positives in the gold labels.
    pub positives: usize,
}

impl Prf {
    fn from_counts(tp: usize, fp: usize, fn_: usize, n: usize) -> Self {
        let p = if tp + fp > 0 {
            tp as f64 / (tp + fp) as f64
        } else {
            0.0
        };
        let r = if tp + fn_ > 0 {
            tp as f64 / (tp + fn_) as f64
        } else {
            0.0
        };
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        Prf {
            precision: p,
            recall: r,
            f1,
            tp,
            fp,
            fn_,
            n,
            positives: tp + fn_,
        }
    }
}

/// P/R/F1 when `score >= threshold` predicts check-worthy.
pub fn prf(scores: &[f32], labels: &[bool], threshold: f32) -> Prf {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&s, &y) in scores.iter().zip(labels) {
        match (s >= threshold, y) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    Prf::from_counts(tp, fp, fn_, scores.len().min(labels.len()))
}

/// The threshold that maximises F1 (midway between adjacent distinct
/// scores), with the F1 it reaches. `None` without positives.
pub fn best_threshold(scores: &[f32], labels: &[bool]) -> Option<(f32, Prf)> {
    let positives = labels.iter().filter(|&&y| y).count();
    if positives == 0 || scores.is_empty() {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len().min(labels.len())).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best: Option<(f32, Prf)> = None;
    for (rank, &i) in idx.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        // Only cut between distinct scores.
        let next = idx.get(rank + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let m = Prf::from_counts(tp, fp, positives - tp, idx.len());
        if best.is_none_or(|(_, b)| m.f1 > b.f1) {
            let t = match next {
                Some(n) => (scores[i] + n) / 2.0,
                None => scores[i],
            };
            best = Some((t, m));
        }
    }
    best
}

/// Average precision of a ranking by descending score (ties broken by
/// input order); 0 without positives.
pub fn average_precision(scores: &[f32], labels: &[bool]) -> f64 {
    let idx = ranking(scores);
    let positives = labels.iter().filter(|&&y| y).count();
    if positives == 0 {
        return 0.0;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (rank, &i) in idx.iter().enumerate() {
        if labels[i] {
            hits += 1;
            sum += hits as f64 / (rank + 1) as f64;
        }
    }
    sum / positives as f64
}

/// Precision among the `k` highest-scored items.
pub fn precision_at(scores: &[f32], labels: &[bool], k: usize) -> f64 {
    let idx = ranking(scores);
    let top = idx.iter().take(k).filter(|&&i| labels[i]).count();
    if k == 0 {
        0.0
    } else {
        top as f64 / k as f64
    }
}

fn ranking(scores: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_counts() {
        let m = prf(&[0.9, 0.8, 0.2, 0.1], &[true, false, true, false], 0.5);
        assert_eq!((m.tp, m.fp, m.fn_), (1, 1, 1));
        assert!((m.f1 - 0.5).abs() < 1e-9);
        let none = prf(&[0.1], &[true], 0.5);
        assert_eq!(none.f1, 0.0);
    }

    #[test]
    fn best_threshold_separates() {
        let (t, m) = best_threshold(&[0.9, 0.7, 0.4, 0.2], &[true, true, false, false]).unwrap();
        assert!((t - 0.55).abs() < 1e-6, "{t}");
        assert_eq!(m.f1, 1.0);
        assert_eq!(
            prf(&[0.9, 0.7, 0.4, 0.2], &[true, true, false, false], t).f1,
            1.0
        );
        assert!(best_threshold(&[0.5], &[false]).is_none());
    }

    #[test]
    fn ranking_metrics() {
        // Positives at ranks 1 and 3: AP = (1/1 + 2/3) / 2.
        let s = [0.9, 0.8, 0.7, 0.1];
        let y = [true, false, true, false];
        assert!((average_precision(&s, &y) - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
        assert!((precision_at(&s, &y, 2) - 0.5).abs() < 1e-9);
        assert_eq!(average_precision(&s, &[false; 4]), 0.0);
    }
}
