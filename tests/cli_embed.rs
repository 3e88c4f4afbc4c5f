//! End-to-end tests of `veracity embed` and model provisioning errors.

use std::path::{Path, PathBuf};

use veracity::embed::models::{resolve, ResolveOptions};
use veracity::embed::npy;

mod common;
use common::veracity;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Files of the real model (fetched by the library when missing).
fn model_files() -> std::collections::BTreeMap<String, PathBuf> {
    resolve(&ResolveOptions::new("all-MiniLM-L6-v2"))
        .expect("model")
        .files
}

/// `veracity [GLOBAL...] embed --format npy [ARGS...]` on the line fixture,
/// written under `dir` as `name`; returns (rows, columns, data).
fn embed_npy(dir: &Path, global: &[&str], args: &[&str], name: &str) -> (usize, usize, Vec<f32>) {
    let path = dir.join(name);
    veracity()
        .args(global)
        .args(["embed", "--format", "npy", "-o"])
        .arg(&path)
        .args(args)
        .arg(fixture("embed_lines.txt"))
        .assert()
        .success();
    npy::read_f32(std::fs::File::open(&path).unwrap()).unwrap()
}

#[test]
fn embed_round_trip_jsonl_and_npy_agree() {
    let out = veracity()
        .args(["embed"])
        .arg(fixture("embed_lines.txt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let input = std::fs::read_to_string(fixture("embed_lines.txt")).unwrap();
    let lines: Vec<&str> = input.lines().collect();
    assert_eq!(
        rows.len(),
        lines.len(),
        "one output per input line, empty lines included"
    );
    for (row, line) in rows.iter().zip(&lines) {
        assert_eq!(row["text"], *line);
        let v: Vec<f32> = serde_json::from_value(row["embedding"].clone()).unwrap();
        assert_eq!(v.len(), 384);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }

    let dir = tempfile::tempdir().unwrap();
    let (r, c, data) = embed_npy(dir.path(), &[], &[], "e.npy");
    assert_eq!((r, c), (lines.len(), 384));
    let first: Vec<f32> = serde_json::from_value(rows[0]["embedding"].clone()).unwrap();
    let diff = first
        .iter()
        .zip(&data[..384])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-5, "jsonl and npy rows differ by {diff}");

    // Max pooling: another unit vector per line, not the mean's.
    let (r, c, max) = embed_npy(dir.path(), &[], &["--pooling", "max"], "max.npy");
    assert_eq!((r, c), (lines.len(), 384));
    let norm = max[..384].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "max-pooled row has norm {norm}");
    let cos: f32 = max[..384]
        .iter()
        .zip(&data[..384])
        .map(|(a, b)| a * b)
        .sum();
    assert!(
        cos < 0.999,
        "max pooling gave the mean vector (cosine {cos})"
    );
}

/// An earlier layer (`--layers`) with either pooling: unit vectors, not the
/// full model's, the same from both CPU engines; an impossible depth is a
/// clear error.
#[test]
fn readouts_agree_across_backends() {
    let dir = tempfile::tempdir().unwrap();
    let run = |backend: &str, extra: &[&str], name: &str| {
        embed_npy(dir.path(), &["--backend", backend], extra, name)
    };
    let (_, _, full) = run("native", &[], "full.npy");
    for extra in [
        &["--layers", "4"][..],
        &["--layers", "4", "--pooling", "max"][..],
    ] {
        let (r, c, native) = run("native", extra, "native.npy");
        let (_, _, candle) = run("candle", extra, "candle.npy");
        let rows = |m: &[f32]| m.chunks_exact(c).map(<[f32]>::to_vec).collect::<Vec<_>>();
        let (nv, cv, fv) = (rows(&native), rows(&candle), rows(&full));
        assert_eq!(nv.len(), r);
        for ((n, k), f) in nv.iter().zip(&cv).zip(&fv) {
            if n.iter().all(|x| *x == 0.0) {
                continue; // empty line
            }
            let norm = n.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{extra:?}: norm {norm}");
            assert!(
                veracity::embed::cosine(n, k) > 0.9999,
                "{extra:?}: engines differ"
            );
            assert!(
                veracity::embed::cosine(n, f) < 0.9999,
                "{extra:?}: same as the full model"
            );
        }
    }
    let err = readout_error(&["--layers", "7"]);
    assert!(
        err.contains("7 layers requested") && err.contains("1 to 6"),
        "{err}"
    );
}

/// Run `veracity embed` with an impossible readout: exit status 2 (a usage
/// error) and the message, returned.
fn readout_error(args: &[&str]) -> String {
    let out = veracity()
        .arg("embed")
        .args(args)
        .write_stdin("hello\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `--with-layer N` reads out layer N in the same pass: each row is the full
/// model's vector followed by layer N's, each half scaled by 1/√2; both CPU
/// engines agree; a layer that is not before the last is a clear error.
#[test]
fn with_layer_appends_the_earlier_layer() {
    let dir = tempfile::tempdir().unwrap();
    let run = |backend: &str, extra: &[&str], name: &str| {
        embed_npy(dir.path(), &["--backend", backend], extra, name)
    };
    let (_, d, full) = run("native", &[], "full.npy");
    let (_, _, l4) = run("native", &["--layers", "4"], "l4.npy");
    let (r, c, both) = run("native", &["--with-layer", "4"], "both.npy");
    let (_, _, candle) = run("candle", &["--with-layer", "4"], "candle.npy");
    assert_eq!(c, 2 * d);
    let half = std::f32::consts::FRAC_1_SQRT_2;
    for i in 0..r {
        let row = &both[i * c..(i + 1) * c];
        let parts = [
            (&row[..d], &full[i * d..(i + 1) * d]),
            (&row[d..], &l4[i * d..(i + 1) * d]),
        ];
        for (k, (got, want)) in parts.into_iter().enumerate() {
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w * half).abs() < 1e-5,
                    "row {i} part {k}: {g} vs {}",
                    w * half
                );
            }
        }
        let k = &candle[i * c..(i + 1) * c];
        if row.iter().any(|x| *x != 0.0) {
            assert!(
                veracity::embed::cosine(row, k) > 0.9999,
                "row {i}: engines differ"
            );
        }
    }
    let err = readout_error(&["--with-layer", "6"]);
    assert!(
        err.contains("layer 6 cannot be read out") && err.contains("1 to 5"),
        "{err}"
    );
}

#[test]
fn embed_reads_stdin() {
    let out = veracity()
        .arg("embed")
        .write_stdin("hello world\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.txt");
    std::fs::write(&p, b"fine line\nsecond \xff\xfe line\n").unwrap();
    let out = veracity().arg("embed").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.txt:2: invalid UTF-8"), "{err}");
}

#[test]
fn missing_model_offline_gives_a_clear_error() {
    // The flag, and the environment variable in its usual spellings.
    for (flag, env) in [
        ("--offline", None),
        ("embed", Some("1")),
        ("embed", Some("true")),
    ] {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = veracity();
        cmd.args(["--home"])
            .arg(home.path())
            .env("HF_HOME", home.path().join("hf"))
            .env_remove("VERACITY_OFFLINE");
        if let Some(v) = env {
            cmd.env("VERACITY_OFFLINE", v);
        }
        if flag == "--offline" {
            cmd.args(["--offline", "embed"]);
        } else {
            cmd.arg("embed");
        }
        let out = cmd.write_stdin("hello\n").output().unwrap();
        check_missing_model_error(&out);
    }
}

fn check_missing_model_error(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not find model 'sentence-transformers/all-MiniLM-L6-v2'"),
        "{err}"
    );
    assert!(err.contains("skipped (offline)"), "{err}");
    assert!(
        err.contains("veracity models fetch all-MiniLM-L6-v2"),
        "{err}"
    );
}

/// Copy the model into `dir`, flipping one byte of the weights.
fn corrupt_copy(dir: &Path) {
    for (rel, src) in model_files() {
        let dest = dir.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let mut bytes = std::fs::read(&src).unwrap();
        if rel == "model.safetensors" {
            let i = bytes.len() / 2;
            bytes[i] ^= 0x5a;
        }
        std::fs::write(&dest, bytes).unwrap();
    }
}

#[test]
fn corrupted_weights_are_caught_by_the_checksum() {
    let home = tempfile::tempdir().unwrap();
    corrupt_copy(&home.path().join("models/all-MiniLM-L6-v2"));
    let out = veracity()
        .args(["--offline", "--home"])
        .arg(home.path())
        .arg("embed")
        .write_stdin("hello\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains("model.safetensors"), "{err}");

    // `models verify` reports the same file and fails.
    let out = veracity()
        .args(["--offline", "--home"])
        .arg(home.path())
        .args(["models", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("model.safetensors"));
}

#[test]
fn models_list_shows_the_default_model() {
    let out = veracity()
        .args(["models", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v[0];
    assert_eq!(m["name"], "sentence-transformers/all-MiniLM-L6-v2");
    assert_eq!(m["dims"], 384);
}

#[test]
fn model_is_found_in_a_hugging_face_cache() {
    // The layout Python's huggingface_hub writes: refs/main holds the commit,
    // snapshots/<commit>/ holds the files.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp
        .path()
        .join("hf/hub/models--sentence-transformers--all-MiniLM-L6-v2");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    for (rel, src) in model_files() {
        let dest = repo.join("snapshots").join(commit).join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&src, &dest).unwrap();
    }
    let out = veracity()
        .args(["--offline", "--home"])
        .arg(tmp.path().join("empty-home"))
        .env("HF_HOME", tmp.path().join("hf"))
        .args(["models", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["source"], "hf_cache", "{v}");
    assert_eq!(v[0]["verified"], true);
}
