//! Every metric of the crate, written once: precision/recall/F1 counts of
//! binary decisions ([`Prf`]), the F1-maximising threshold
//! ([`best_threshold`], which the learned heads choose with), average
//! precision and precision@k of a ranking, rank correlations, and the
//! retrieval metrics recall@k and nDCG@k ([`retrieval`]).

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// Confusion counts of a binary decision, with precision, recall and F1 of
/// the positive class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prf {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Prf {
    /// Count one decision against its gold label.
    pub fn add(&mut self, pred: bool, gold: bool) {
        match (pred, gold) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// Add another set of counts (pooling).
    pub fn merge(&mut self, o: &Prf) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }

    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// F1 = 2tp / (2tp + fp + fn); 0 without true positives.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }

    /// Items counted.
    pub fn n(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// Positives among the gold labels.
    pub fn positives(&self) -> usize {
        self.tp + self.fn_
    }
}

/// Serialised with the rates: precision, recall, f1, tp, fp, fn, n, positives.
impl Serialize for Prf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Prf", 8)?;
        m.serialize_field("precision", &self.precision())?;
        m.serialize_field("recall", &self.recall())?;
        m.serialize_field("f1", &self.f1())?;
        m.serialize_field("tp", &self.tp)?;
        m.serialize_field("fp", &self.fp)?;
        m.serialize_field("fn", &self.fn_)?;
        m.serialize_field("n", &self.n())?;
        m.serialize_field("positives", &self.positives())?;
        m.end()
    }
}

/// Counts when `score >= threshold` predicts the positive class (pairs
/// beyond the shorter slice are ignored).
pub fn prf(scores: &[f32], labels: &[bool], threshold: f32) -> Prf {
    let mut m = Prf::default();
    for (&s, &y) in scores.iter().zip(labels) {
        m.add(s >= threshold, y);
    }
    m
}

/// Where the cut below the lowest score goes (everything predicted positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LastCut {
    /// At the lowest score itself.
    AtLowest,
    /// Midway between the lowest score and this floor (0 for probabilities).
    MidwayTo(f32),
}

/// A decision threshold with the counts it gives on the data it was chosen on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    pub value: f32,
    pub prf: Prf,
}

/// The threshold that maximises F1, cutting only midway between adjacent
/// distinct scores (the first best from the top wins ties, so the higher
/// threshold), the cut below the lowest score placed by `last`. `None`
/// without positives or scores.
pub fn best_threshold(scores: &[f32], labels: &[bool], last: LastCut) -> Option<Threshold> {
    let n = scores.len().min(labels.len());
    let positives = labels[..n].iter().filter(|&&y| y).count();
    if positives == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut m = Prf {
        fn_: positives,
        tn: n - positives,
        ..Prf::default()
    };
    let mut best: Option<Threshold> = None;
    for (rank, &i) in idx.iter().enumerate() {
        if labels[i] {
            m.tp += 1;
            m.fn_ -= 1;
        } else {
            m.fp += 1;
            m.tn -= 1;
        }
        let next = idx.get(rank + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        if best.is_none_or(|b| m.f1() > b.prf.f1()) {
            let value = match (next, last) {
                (Some(v), _) => (scores[i] + v) / 2.0,
                (None, LastCut::AtLowest) => scores[i],
                (None, LastCut::MidwayTo(floor)) => (scores[i] + floor) / 2.0,
            };
            best = Some(Threshold { value, prf: m });
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

/// Spearman rank correlation (average ranks for ties); 0 when undefined.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            let avg = (i + j) as f64 / 2.0 + 1.0;
            for &k in &idx[i..=j] {
                r[k] = avg;
            }
            i = j + 1;
        }
        r
    }
    pearson(&ranks(a), &ranks(b))
}

/// Pearson correlation; 0 when undefined.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma).powi(2);
        sbb += (b[i] - mb).powi(2);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// Retrieval metrics with binary relevance: recall@k, nDCG@k, and their
/// means over queries.
pub mod retrieval {
    use std::collections::HashSet;

    /// Recall@k: the share of relevant documents among the first `k` ranked.
    pub fn recall_at(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
        if relevant.is_empty() {
            return 0.0;
        }
        let found = ranked
            .iter()
            .take(k)
            .filter(|d| relevant.contains(*d))
            .count();
        found as f64 / relevant.len() as f64
    }

    /// nDCG@k with binary gains.
    pub fn ndcg_at(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
        if relevant.is_empty() {
            return 0.0;
        }
        let dcg: f64 = ranked
            .iter()
            .take(k)
            .enumerate()
            .filter(|(_, d)| relevant.contains(*d))
            .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
            .sum();
        let ideal: f64 = (0..relevant.len().min(k))
            .map(|i| 1.0 / ((i + 2) as f64).log2())
            .sum();
        dcg / ideal
    }

    /// Mean metrics over queries.
    #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
    pub struct Metrics {
        pub queries: usize,
        pub recall_1: f64,
        pub recall_10: f64,
        pub recall_100: f64,
        pub ndcg_10: f64,
    }

    /// Average the metrics over `(ranking, relevant)` pairs.
    pub fn evaluate<'a>(
        runs: impl IntoIterator<Item = (&'a [String], &'a HashSet<String>)>,
    ) -> Metrics {
        let mut m = Metrics::default();
        for (ranked, rel) in runs {
            m.queries += 1;
            m.recall_1 += recall_at(ranked, rel, 1);
            m.recall_10 += recall_at(ranked, rel, 10);
            m.recall_100 += recall_at(ranked, rel, 100);
            m.ndcg_10 += ndcg_at(ranked, rel, 10);
        }
        if m.queries > 0 {
            let n = m.queries as f64;
            m.recall_1 /= n;
            m.recall_10 /= n;
            m.recall_100 /= n;
            m.ndcg_10 /= n;
        }
        m
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn metrics_on_a_known_ranking() {
            let ranked: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
            let rel: HashSet<String> = ["b".to_string()].into();
            assert_eq!(recall_at(&ranked, &rel, 1), 0.0);
            assert_eq!(recall_at(&ranked, &rel, 10), 1.0);
            assert!((ndcg_at(&ranked, &rel, 10) - 1.0 / 3f64.log2()).abs() < 1e-12);
            let m = evaluate([(ranked.as_slice(), &rel)]);
            assert_eq!(m.queries, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_counts() {
        let m = prf(&[0.9, 0.8, 0.2, 0.1], &[true, false, true, false], 0.5);
        assert_eq!((m.tp, m.fp, m.fn_, m.tn), (1, 1, 1, 1));
        assert_eq!((m.n(), m.positives()), (4, 2));
        assert!((m.f1() - 0.5).abs() < 1e-9);
        assert_eq!(prf(&[0.1], &[true], 0.5).f1(), 0.0);
        assert_eq!(Prf::default().f1(), 0.0);
        let mut p = Prf::default();
        p.add(true, true);
        p.merge(&m);
        assert_eq!(p.tp, 2);
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(json["fn"], 1);
        assert_eq!(json["f1"], 0.5);
        assert_eq!(json["positives"], 2);
    }

    #[test]
    fn best_threshold_separates() {
        let s = [0.9, 0.7, 0.4, 0.2];
        let y = [true, true, false, false];
        let t = best_threshold(&s, &y, LastCut::AtLowest).unwrap();
        assert!((t.value - 0.55).abs() < 1e-6, "{t:?}");
        assert_eq!(t.prf.f1(), 1.0);
        assert_eq!(prf(&s, &y, t.value).f1(), 1.0);
        assert!(best_threshold(&[0.5], &[false], LastCut::AtLowest).is_none());
        // Everything positive is best: the last cut.
        let all = [true, true];
        let lo = best_threshold(&[0.8, 0.4], &all, LastCut::AtLowest).unwrap();
        assert_eq!(lo.value, 0.4);
        let mid = best_threshold(&[0.8, 0.4], &all, LastCut::MidwayTo(0.0)).unwrap();
        assert_eq!(mid.value, 0.2);
        assert_eq!(mid.prf.n(), 2);
    }

    #[test]
    fn ranking_metrics_and_correlations() {
        // Positives at ranks 1 and 3: AP = (1/1 + 2/3) / 2.
        let s = [0.9, 0.8, 0.7, 0.1];
        let y = [true, false, true, false];
        assert!((average_precision(&s, &y) - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
        assert!((precision_at(&s, &y, 2) - 0.5).abs() < 1e-9);
        assert_eq!(average_precision(&s, &[false; 4]), 0.0);
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 35.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0], &[2.0]), 0.0);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }
}
