//! Retrieval metrics: recall@k and nDCG@k with binary relevance.

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
