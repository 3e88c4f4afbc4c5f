//! The candle encoder must reproduce Python sentence-transformers.
//! Reference vectors: tests/golden/all-MiniLM-L6-v2.json and
//! tests/golden/all-mpnet-base-v2.json, written by tests/golden/generate.py
//! (see its docstring for how to re-run it).

use veracity::embed::{
    cosine, load_encoder, load_encoder_with, Backend, DeviceChoice, Encoder, EncoderOptions,
    LeadingHalf, Readout, ResolveOptions,
};

#[derive(serde::Deserialize)]
struct Golden {
    max_seq_length: usize,
    sentences: Vec<Item>,
}

#[derive(serde::Deserialize)]
struct Item {
    text: String,
    tokens: usize,
    embedding: Vec<f32>,
}

fn golden() -> Golden {
    parse_golden(include_str!("golden/all-MiniLM-L6-v2.json"))
}

fn golden_mpnet() -> Golden {
    parse_golden(include_str!("golden/all-mpnet-base-v2.json"))
}

fn parse_golden(text: &str) -> Golden {
    let golden: Golden = serde_json::from_str(text).expect("golden file");
    assert!(golden.sentences.len() >= 30);
    assert!(
        golden.sentences.iter().any(|s| s.tokens > 128),
        "needs a >128-token input"
    );
    assert!(
        golden
            .sentences
            .iter()
            .any(|s| s.tokens > golden.max_seq_length),
        "needs truncation"
    );
    assert!(golden.sentences.iter().any(|s| s.text.is_empty()));
    assert!(golden.sentences.iter().any(|s| !s.text.is_ascii()));
    golden
}

/// Loads the encoder for `device`/`backend` and checks every golden vector
/// (cosine >= 0.9999, unit norm) and that batching does not change results.
fn check_against_golden(golden: &Golden, device: DeviceChoice, backend: Backend) {
    check_model_against_golden("all-MiniLM-L6-v2", 384, golden, device, backend)
}

fn check_model_against_golden(
    model: &str,
    dims: usize,
    golden: &Golden,
    device: DeviceChoice,
    backend: Backend,
) {
    let enc = load_encoder(&EncoderOptions {
        resolve: ResolveOptions::new(model),
        device,
        backend,
    })
    .expect("model (fetched automatically when missing)");
    assert_eq!(enc.max_len(), golden.max_seq_length);
    assert_eq!(enc.dims(), dims);
    let texts: Vec<&str> = golden.sentences.iter().map(|s| s.text.as_str()).collect();
    let batch = enc.embed(&texts).unwrap();
    let mut worst = (1.0f32, "");
    for (g, v) in golden.sentences.iter().zip(&batch) {
        assert_eq!(v.len(), dims);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{:?} has norm {norm}", g.text);
        let c = cosine(v, &g.embedding);
        if c < worst.0 {
            worst = (c, &g.text);
        }
        assert!(
            c >= 0.9999,
            "{model} {device:?}/{backend:?}: cosine {c} < 0.9999 for {:?}",
            g.text
        );
    }
    eprintln!(
        "{model} {device:?}/{backend:?}: worst cosine {:.7} for {:?}",
        worst.0, worst.1
    );
    // Batching must not change results: one text at a time gives the same vectors.
    for (t, v) in texts.iter().zip(&batch).step_by(5) {
        let single = enc.embed_one(t).unwrap();
        assert!(
            cosine(&single, v) > 0.99999,
            "{device:?}/{backend:?}: batch vs single differ for {t:?}"
        );
    }
}

#[test]
fn candle_matches_sentence_transformers() {
    let golden = golden();
    // Both CPU backends: veracity's native kernels and candle's stock BertModel.
    for backend in [Backend::Native, Backend::Candle] {
        check_against_golden(&golden, DeviceChoice::Cpu, backend);
    }
}

/// MPNet (all-mpnet-base-v2) runs on the native CPU engine: relative
/// position buckets, positions from padding_idx + 1, truncation at 384.
#[test]
fn mpnet_matches_sentence_transformers() {
    let golden = golden_mpnet();
    check_model_against_golden(
        "all-mpnet-base-v2",
        768,
        &golden,
        DeviceChoice::Cpu,
        Backend::Auto,
    );
    // It has no candle path: asking for one is a clear error, not a panic.
    let err = load_encoder(&EncoderOptions {
        resolve: ResolveOptions::new("all-mpnet-base-v2"),
        device: DeviceChoice::Cpu,
        backend: Backend::Candle,
    })
    .err()
    .expect("candle backend refused for MPNet")
    .to_string();
    assert!(err.contains("native CPU backend"), "{err}");
}

/// The GPU path (candle's BertModel on CUDA or Metal) against the same vectors.
/// Built only with `--features cuda` or `--features metal`; it needs the GPU
/// (run on a lent H200 with the commands in benchsuite/runs/gpu-cuda-*.txt).
#[cfg(any(feature = "cuda", feature = "metal"))]
#[test]
fn gpu_matches_sentence_transformers() {
    let device = if cfg!(feature = "cuda") {
        DeviceChoice::Cuda
    } else {
        DeviceChoice::Metal
    };
    check_against_golden(&golden(), device, Backend::Auto);
}

/// One forward pass of the two-layer readout (`with_layer`, what the
/// propaganda heads read) also yields the sentence embedding: its leading
/// half matches sentence-transformers like the plain encoder, under the plain
/// encoder's name; a plain encoder has no such part.
#[test]
fn leading_half_of_the_two_layer_readout_matches_sentence_transformers() {
    let golden = golden();
    let opts = EncoderOptions {
        resolve: ResolveOptions::new("all-MiniLM-L6-v2"),
        device: DeviceChoice::Cpu,
        backend: Backend::Auto,
    };
    let wide = load_encoder_with(
        &opts,
        Readout {
            with_layer: Some(3),
            ..Readout::default()
        },
    )
    .expect("model (fetched automatically when missing)");
    let plain = load_encoder(&opts).unwrap();
    assert!(LeadingHalf::new(plain.as_ref()).is_none());
    let half = LeadingHalf::new(wide.as_ref()).expect("a two-layer readout");
    assert_eq!(wide.dims(), 768);
    assert_eq!(half.dims(), 384);
    assert_eq!(half.name(), plain.name());
    assert_ne!(wide.name(), plain.name());
    let texts: Vec<&str> = golden.sentences.iter().map(|s| s.text.as_str()).collect();
    for (g, v) in golden.sentences.iter().zip(half.embed(&texts).unwrap()) {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{:?} has norm {norm}", g.text);
        let c = cosine(&v, &g.embedding);
        assert!(c >= 0.9999, "cosine {c} < 0.9999 for {:?}", g.text);
    }
    // Its token states (what the stance head's alignment reads) carry the
    // plain embedding and, first in each row, the plain model's last layer.
    let ts = half
        .embed_tokens(&texts[..2])
        .unwrap()
        .expect("token states");
    let plain_ts = plain.embed_tokens(&texts[..2]).unwrap().unwrap();
    for ((t, p), g) in ts.iter().zip(&plain_ts).zip(&golden.sentences) {
        assert_eq!(t.pooled.len(), 384);
        assert!(cosine(&t.pooled, &g.embedding) >= 0.9999, "{:?}", g.text);
        assert_eq!((t.width, p.width), (768, 384));
        assert_eq!(t.chars, p.chars);
        for i in 0..t.len() {
            let c = cosine(
                &t.states[i * 768..i * 768 + 384],
                &p.states[i * 384..(i + 1) * 384],
            );
            assert!(c >= 0.9999, "token {i} of {:?}: cosine {c}", g.text);
        }
    }
}

/// Token states (what the propaganda token heads read) come with the text's
/// embedding from the same pass: on the native engine exactly what `embed`
/// gives, on candle the same to float rounding; one state per token of the
/// golden token count, special tokens without a character range, word
/// tokens pointing at their characters.
#[test]
fn token_states_pool_to_the_embedding_and_point_at_their_characters() {
    let golden = golden();
    let texts: Vec<&str> = golden.sentences.iter().map(|s| s.text.as_str()).collect();
    for backend in [Backend::Native, Backend::Candle] {
        let enc = load_encoder_with(
            &EncoderOptions {
                resolve: ResolveOptions::new("all-MiniLM-L6-v2"),
                device: DeviceChoice::Cpu,
                backend,
            },
            Readout {
                with_layer: Some(3),
                ..Readout::default()
            },
        )
        .expect("model (fetched automatically when missing)");
        let pooled = enc.embed(&texts).unwrap();
        let states = enc.embed_tokens(&texts).unwrap().expect("token states");
        assert_eq!(states.len(), texts.len());
        for ((g, ts), v) in golden.sentences.iter().zip(&states).zip(&pooled) {
            assert_eq!(ts.width, 768);
            let n = g.tokens.min(golden.max_seq_length);
            assert_eq!(ts.len(), n, "{:?}", g.text);
            assert_eq!(ts.states.len(), n * 768);
            if backend == Backend::Native {
                assert_eq!(&ts.pooled, v, "{:?}", g.text);
            } else {
                let c = cosine(&ts.pooled, v);
                assert!(c >= 0.99999, "cosine {c} for {:?}", g.text);
            }
            assert_eq!((ts.chars[0], ts.chars[n - 1]), ((0, 0), (0, 0)));
            let chars: Vec<char> = g.text.chars().collect();
            for &(s, e) in &ts.chars[1..n - 1] {
                assert!(s < e && e <= chars.len(), "{:?}: {s}..{e}", g.text);
            }
        }
    }
    // A sentence's first word token covers its first word.
    let enc = load_encoder(&EncoderOptions {
        resolve: ResolveOptions::new("all-MiniLM-L6-v2"),
        device: DeviceChoice::Cpu,
        backend: Backend::Native,
    })
    .unwrap();
    let ts = enc.embed_tokens(&["Café owners protest"]).unwrap().unwrap();
    assert_eq!(ts[0].width, 384);
    assert_eq!(ts[0].chars[1].0, 0);
    assert!(
        ts[0].chars.iter().any(|&(s, e)| (s, e) == (12, 19)),
        "{:?}",
        ts[0].chars
    );
}
