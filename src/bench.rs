//! Speed measurements: `veracity bench embed` measures encoder throughput on
//! a sentence file.
//!
//! It prints sentences/s and tokens/s (median over timed passes, model load
//! excluded), single-article latency, peak memory and the thread count, as
//! text or one JSON object. `benches/embed_compare.py` runs it side by side
//! with sentence-transformers and ONNX Runtime on the same file.

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use crate::embed::{self, npy, EncoderOptions};
use crate::error::{bail, ResultExt};
use crate::Result;

#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct BenchEmbedArgs {
    /// Sentences to embed, one per line (UTF-8).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub sentences: PathBuf,
    /// Texts handed to the encoder per call (0: the whole file in one call, as
    /// sentence-transformers' `encode(list)` receives it).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0, value_name = "N"))]
    pub chunk: usize,
    /// Timed passes over the whole file; the median is reported.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 5, value_name = "N"))]
    pub repeats: usize,
    /// Untimed passes before timing (warm caches, thread pools, allocator).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 1, value_name = "N"))]
    pub warmup: usize,
    /// Sentences in the single-article latency test (the file's first N lines).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 40, value_name = "N"))]
    pub article_sentences: usize,
    /// Timed single-article calls; the median and p95 are reported.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 20, value_name = "N"))]
    pub article_repeats: usize,
    /// Also write the embeddings of the file as a float32 .npy matrix (for cosine checks).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub output: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[cfg_attr(feature = "cli", arg(long))]
    pub json: bool,
}

#[derive(Debug, serde::Serialize)]
struct BenchReport {
    system: String,
    model: String,
    backend: String,
    threads: usize,
    sentences: usize,
    tokens: Option<usize>,
    repeats: usize,
    seconds: Vec<f64>,
    median_seconds: f64,
    sentences_per_second: f64,
    tokens_per_second: Option<f64>,
    article_sentences: usize,
    article_ms_median: f64,
    article_ms_p95: f64,
    peak_rss_mb: Option<f64>,
}

/// Run `veracity bench embed`: measure, print the report.
pub fn embed(models: &EncoderOptions, a: &BenchEmbedArgs) -> Result<()> {
    let f = File::open(&a.sentences)
        .with_context(|| format!("cannot open {}", a.sentences.display()))?;
    let lines = crate::text::read_lines(f, &a.sentences.display().to_string())?;
    if lines.is_empty() {
        bail!(
            "{} holds no sentences; give one sentence per line",
            a.sentences.display()
        );
    }
    if a.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let encoder = embed::load_encoder(models)?;
    let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
    let chunk = if a.chunk == 0 { texts.len() } else { a.chunk };
    let pass = || -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for part in texts.chunks(chunk) {
            out.extend(encoder.embed(part)?);
        }
        Ok(out)
    };
    for _ in 0..a.warmup {
        pass()?;
    }
    let mut seconds = Vec::with_capacity(a.repeats);
    let mut last = Vec::new();
    for i in 0..a.repeats {
        let t = Instant::now();
        last = pass()?;
        seconds.push(t.elapsed().as_secs_f64());
        if !a.json {
            eprintln!("pass {}/{}: {:.3} s", i + 1, a.repeats, seconds[i]);
        }
    }
    let median_seconds = median(&seconds);
    let tokens = encoder
        .token_counts(&texts)?
        .map(|c| c.iter().sum::<usize>());

    let article: Vec<&str> = texts
        .iter()
        .take(a.article_sentences.max(1))
        .copied()
        .collect();
    encoder.embed(&article)?;
    let mut article_ms = Vec::with_capacity(a.article_repeats.max(1));
    for _ in 0..a.article_repeats.max(1) {
        let t = Instant::now();
        encoder.embed(&article)?;
        article_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }

    if let Some(p) = &a.output {
        let mut w = std::io::BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        );
        let flat: Vec<f32> = last.iter().flatten().copied().collect();
        npy::write_f32(&mut w, last.len(), encoder.dims(), &flat)?;
    }

    let report = BenchReport {
        system: "veracity".into(),
        model: encoder.name().to_string(),
        backend: encoder.backend().to_string(),
        threads: rayon::current_num_threads(),
        sentences: texts.len(),
        tokens,
        repeats: a.repeats,
        median_seconds,
        sentences_per_second: texts.len() as f64 / median_seconds,
        tokens_per_second: tokens.map(|t| t as f64 / median_seconds),
        article_sentences: article.len(),
        article_ms_median: median(&article_ms),
        article_ms_p95: percentile(&article_ms, 0.95),
        peak_rss_mb: peak_rss_mb(),
        seconds,
    };
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn print_text(r: &BenchReport) {
    println!("model      {} ({} backend)", r.model, r.backend);
    println!("threads    {}", r.threads);
    println!(
        "input      {} sentences{}",
        r.sentences,
        r.tokens
            .map(|t| format!(", {t} tokens (special tokens included)"))
            .unwrap_or_default()
    );
    println!(
        "throughput {:.1} sentences/s{} (median of {} passes: {:.3} s)",
        r.sentences_per_second,
        r.tokens_per_second
            .map(|t| format!(", {t:.0} tokens/s"))
            .unwrap_or_default(),
        r.repeats,
        r.median_seconds
    );
    println!(
        "article    {} sentences in {:.1} ms median, {:.1} ms p95",
        r.article_sentences, r.article_ms_median, r.article_ms_p95
    );
    match r.peak_rss_mb {
        Some(m) => println!("peak RSS   {m:.0} MB"),
        None => println!("peak RSS   not available on this platform"),
    }
}

fn median(xs: &[f64]) -> f64 {
    percentile(xs, 0.5)
}

/// Nearest-rank percentile (`q` in [0, 1]); for 0.5 the mean of the two
/// middle values when the count is even.
fn percentile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if q == 0.5 && v.len().is_multiple_of(2) {
        return (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_follow_nearest_rank() {
        let xs = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&xs, 0.5), 3.0);
        assert_eq!(percentile(&xs, 0.95), 5.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
