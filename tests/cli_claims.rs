//! End-to-end tests of `veracity claims` (real binary, real model, built-in head).

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::veracity;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claims")
        .join(name)
}

fn claims_json(args: &[&str], file: &Path) -> Value {
    let out = veracity()
        .arg("claims")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sentences(v: &Value) -> &Vec<Value> {
    v["sentences"].as_array().unwrap()
}

fn score_of(v: &Value, text: &str) -> f64 {
    sentences(v)
        .iter()
        .find(|s| s["text"] == text)
        .unwrap_or_else(|| panic!("sentence {text:?} not found in {v:#}"))["score"]
        .as_f64()
        .unwrap()
}

#[test]
fn article_scores_factual_claim_above_exclamation_with_file_offsets() {
    let path = fixture("article.txt");
    let v = claims_json(&["--json"], &path);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(v["title"], "Jobs Report: Hiring Beats Forecasts");
    let ss = sentences(&v);
    let texts: Vec<&str> = ss.iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "Jobs Report: Hiring Beats Forecasts",
            "Unemployment fell to 3.9% in March, the Labor Department said.",
            "Employers added 303,000 jobs, well above the 200,000 that economists at Acme Corp. had predicted.",
            "What a wonderful day it is!",
            "“We are thrilled,” said Dr. Ann Lee, who runs a café in Zoë’s hometown.",
            "Wages rose 0.3% from February",
            "Thank you all for reading",
        ]
    );
    for (i, s) in ss.iter().enumerate() {
        assert_eq!(s["index"], i);
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&bytes[a..b], s["text"].as_str().unwrap().as_bytes());
        let score = s["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        let t = v["threshold"].as_f64().unwrap();
        assert_eq!(s["is_claim"].as_bool().unwrap(), score >= t);
    }
    let claim = score_of(
        &v,
        "Unemployment fell to 3.9% in March, the Labor Department said.",
    );
    let exclamation = score_of(&v, "What a wonderful day it is!");
    assert!(claim > exclamation, "{claim} <= {exclamation}");
    assert!(
        claim > score_of(&v, "Thank you all for reading"),
        "a factual claim outranks a pleasantry"
    );
}

#[test]
fn threshold_flag_decides_is_claim() {
    let v = claims_json(&["--json", "--threshold", "0"], &fixture("article.txt"));
    assert!(sentences(&v).iter().all(|s| s["is_claim"] == true));
    assert_eq!(v["claims"], sentences(&v).len());
    let v = claims_json(&["--json", "--threshold", "1"], &fixture("article.txt"));
    assert_eq!(v["threshold"], 1.0);
    veracity()
        .args(["claims", "--threshold", "1.5"])
        .arg(fixture("article.txt"))
        .assert()
        .code(2);
}

#[test]
fn lines_mode_takes_each_line() {
    let path = fixture("lines.txt");
    let v = claims_json(&["--json", "--lines"], &path);
    let bytes = std::fs::read(&path).unwrap();
    let ss = sentences(&v);
    assert_eq!(ss.len(), 3);
    assert_eq!(ss[2]["text"], "The U.S. economy grew 2.5% in 2023.");
    for s in ss {
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&bytes[a..b], s["text"].as_str().unwrap().as_bytes());
    }
    assert_eq!(v["mode"], "lines");
    assert!(
        score_of(
            &v,
            "Unemployment fell to 3.9% in March, the Labor Department said."
        ) > score_of(&v, "What a wonderful day it is!")
    );
}

#[test]
fn html_input_and_text_table() {
    let v = claims_json(&["--json"], &fixture("page.html"));
    assert_eq!(v["title"], "Budget vote");
    let texts: Vec<&str> = sentences(&v)
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Budget vote",
            "The council approved a €4.2 million budget on Tuesday, the mayor’s office said.",
            "Do you like it?"
        ]
    );
    let out = veracity()
        .arg("claims")
        .arg(fixture("page.html"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("score") && table.contains("The council approved"));
    assert!(table.contains("3 sentence(s)"), "{table}");
    assert!(!table.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn stdin_is_read_with_dash() {
    let out = veracity()
        .args(["claims", "--json", "-"])
        .write_stdin("Taxes rose 12% last year, the Treasury said. Hello there!")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "-");
    assert_eq!(sentences(&v).len(), 2);
}

#[test]
fn empty_file_is_an_error_as_in_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.txt");
    std::fs::write(&p, "").unwrap();
    let out = veracity().arg("claims").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.txt") && err.contains("the article is empty"),
        "{err}"
    );
}

#[test]
fn binary_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("photo.txt");
    std::fs::write(&p, b"GIF89a\x01\x00\x01\x00\x00\xff\x00,\x00\x00").unwrap();
    let out = veracity().arg("claims").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("photo.txt") && err.contains("binary"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
