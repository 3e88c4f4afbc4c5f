//! The server's counters in the Prometheus text exposition format
//! (`GET /metrics`): requests by route and status, a latency histogram per
//! route, the queue depth, batch sizes, and the work done (articles,
//! claims, sentences embedded).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, seconds.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Batch-size bucket bounds, requests.
const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Count per bucket (not cumulative), one more for +Inf.
    counts: Vec<u64>,
    sum: f64,
    total: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len() + 1];
        }
        let i = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
        self.counts[i] += 1;
        self.sum += v;
        self.total += 1;
    }

    fn write(&self, o: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cum = 0;
        for (i, b) in bounds.iter().enumerate() {
            cum += self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(o, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cum}");
        }
        let _ = writeln!(
            o,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.total
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(o, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(o, "{name}_count{braces} {}", self.total);
    }
}

/// Everything `/metrics` shows.
#[derive(Default)]
pub(crate) struct Metrics {
    /// (route, status) → requests.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// route → latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    batches: Mutex<Histogram>,
    /// Requests waiting for the analyzer.
    pub(crate) queue_depth: AtomicUsize,
    pub(crate) sentences_embedded: AtomicU64,
    pub(crate) articles: AtomicU64,
    pub(crate) claims_checked: AtomicU64,
}

impl Metrics {
    /// Count one answered request.
    pub(crate) fn request(&self, route: &str, status: u16, took: Duration) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *r.entry((route.to_string(), status)).or_default() += 1;
        drop(r);
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        l.entry(route.to_string())
            .or_default()
            .observe(&BUCKETS, took.as_secs_f64());
    }

    /// Count one batch of `n` requests taken by the worker.
    pub(crate) fn batch(&self, n: usize) {
        self.batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(&BATCH_BUCKETS, n as f64);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut o = String::new();
        o.push_str("# HELP veracity_http_requests_total HTTP requests answered, by route and status.\n# TYPE veracity_http_requests_total counter\n");
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                o,
                "veracity_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        o.push_str("# HELP veracity_http_request_duration_seconds Time from request to response, by route.\n# TYPE veracity_http_request_duration_seconds histogram\n");
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            h.write(
                &mut o,
                "veracity_http_request_duration_seconds",
                &format!("route=\"{}\"", label(route)),
                &BUCKETS,
            );
        }
        o.push_str("# HELP veracity_batch_size Requests the analyzer took together in one batch.\n# TYPE veracity_batch_size histogram\n");
        self.batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write(&mut o, "veracity_batch_size", "", &BATCH_BUCKETS);
        let gauges: [(&str, &str, &str, u64); 4] = [
            (
                "veracity_queue_depth",
                "gauge",
                "Requests waiting for the analyzer.",
                self.queue_depth.load(Ordering::Relaxed) as u64,
            ),
            (
                "veracity_sentences_embedded_total",
                "counter",
                "Sentences embedded in batches by the encoder.",
                self.sentences_embedded.load(Ordering::Relaxed),
            ),
            (
                "veracity_articles_analyzed_total",
                "counter",
                "Articles analysed.",
                self.articles.load(Ordering::Relaxed),
            ),
            (
                "veracity_claims_checked_total",
                "counter",
                "Claims checked (in articles and by /v1/check).",
                self.claims_checked.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, v) in gauges {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        o
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.request("/v1/analyze", 200, Duration::from_millis(3));
        m.request("/v1/analyze", 200, Duration::from_millis(300));
        m.request("/v1/analyze", 503, Duration::from_secs(500));
        let t = m.render();
        assert!(t.contains("veracity_http_requests_total{route=\"/v1/analyze\",status=\"200\"} 2"));
        assert!(t.contains("veracity_http_requests_total{route=\"/v1/analyze\",status=\"503\"} 1"));
        assert!(t.contains(
            "veracity_http_request_duration_seconds_bucket{route=\"/v1/analyze\",le=\"0.005\"} 1"
        ));
        assert!(t.contains(
            "veracity_http_request_duration_seconds_bucket{route=\"/v1/analyze\",le=\"0.5\"} 2"
        ));
        assert!(t.contains(
            "veracity_http_request_duration_seconds_bucket{route=\"/v1/analyze\",le=\"+Inf\"} 3"
        ));
        assert!(t.contains("veracity_http_request_duration_seconds_count{route=\"/v1/analyze\"} 3"));
    }

    #[test]
    fn batch_sizes_and_counters_render() {
        let m = Metrics::default();
        m.batch(3);
        m.sentences_embedded.fetch_add(42, Ordering::Relaxed);
        let t = m.render();
        assert!(t.contains("veracity_batch_size_bucket{le=\"2\"} 0"));
        assert!(t.contains("veracity_batch_size_bucket{le=\"4\"} 1"));
        assert!(t.contains("veracity_batch_size_sum 3"));
        assert!(t.contains("veracity_sentences_embedded_total 42"));
        assert!(t.contains("# TYPE veracity_queue_depth gauge"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
