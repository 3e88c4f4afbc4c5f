//! Sentences per second of the default encoder, by batch size, on a fixed set
//! of news-like sentences (mixed lengths, 8–60 tokens).
//!
//! Run: `cargo bench --bench embed` (add `-- --quick` for a short run);
//! threads follow RAYON_NUM_THREADS. Results: benchsuite/runs/.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use veracity::embed::{load_encoder, Backend, DeviceChoice, EncoderOptions, ResolveOptions};

const BASE: &[&str] = &[
    "The Senate passed the bill 52-48 on Tuesday.",
    "Unemployment fell to 3.9% in March, the lowest level since 2000, the Labor Department said.",
    "Officials in the region said at least 14 people were killed when floodwaters swept through three villages overnight, and dozens more remain missing.",
    "Shares rose.",
    "The company, which employs about 12,000 people in Europe, said it would close two plants by the end of next year as demand for diesel engines continued to fall.",
    "Critics called the plan a giveaway to the wealthy.",
    "Scientists have found that global sea levels rose by about 20 centimetres over the twentieth century, with the rate of rise accelerating in recent decades.",
    "\"We will not back down,\" the minister told reporters outside parliament.",
];

fn sentences(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{} ({})", BASE[i % BASE.len()], i))
        .collect()
}

fn bench_embed(c: &mut Criterion) {
    let texts = sentences(256);
    for (label, backend) in [("native", Backend::Native), ("candle", Backend::Candle)] {
        let enc = load_encoder(&EncoderOptions {
            resolve: ResolveOptions::new("all-MiniLM-L6-v2"),
            device: DeviceChoice::Cpu,
            backend,
        })
        .expect("model: run `veracity models fetch` first");
        let mut g = c.benchmark_group(format!("embed_minilm_cpu_{label}"));
        g.sample_size(10);
        for batch in [1usize, 8, 32, 128] {
            g.throughput(Throughput::Elements(texts.len() as u64));
            g.bench_with_input(BenchmarkId::new("batch", batch), &batch, |b, &batch| {
                b.iter(|| {
                    for chunk in texts.chunks(batch) {
                        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                        enc.embed(&refs).unwrap();
                    }
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_embed);
criterion_main!(benches);
