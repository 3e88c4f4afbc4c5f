//! End-to-end tests of `veracity check` on a small corpus written for the
//! project (tests/fixtures/verdict/corpus.jsonl): every verdict kind, the
//! origin rule and a number conflict, with the real model.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::veracity;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/verdict")
        .join(name)
}

/// Check all `claims` in one run (one model load) and return the verdicts.
fn check(claims: &[&str]) -> Vec<Value> {
    check_with(claims, None)
}

/// [`check`] with thresholds from a `--config` file of this text.
fn check_with(claims: &[&str], config: Option<&str>) -> Vec<Value> {
    check_model(&[], &[], claims, config)
}

/// [`check_with`] with more arguments: `global` before `check` (e.g.
/// `--model`), `after` after it (e.g. `--stance-model`).
fn check_model(
    global: &[&str],
    after: &[&str],
    claims: &[&str],
    config: Option<&str>,
) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claims.txt");
    std::fs::write(&file, claims.join("\n")).unwrap();
    let mut cmd = veracity();
    cmd.args(global)
        .arg("check")
        .args(after)
        .arg("--corpus")
        .arg(fixture("corpus.jsonl"))
        .arg("--claims")
        .arg(&file);
    if let Some(text) = config {
        let cfg = dir.path().join("verdict.toml");
        std::fs::write(&cfg, text).unwrap();
        cmd.arg("--config").arg(cfg);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), claims.len());
    v
}

#[test]
fn every_verdict_kind_on_the_fixture_corpus() {
    let claims = [
        "The Kessel Observatory was founded in 1921.",
        "The Kessel Observatory was founded in 1935.",
        "The visitor centre of the Kessel Observatory will close for renovation in June.",
        "Astronomers at the Kessel Observatory discovered a new comet on Friday.",
        "Last year the budget of the Kessel Observatory rose.",
        "The city of Brann will build a new football stadium next year.",
    ];
    let want = [
        "verified_by_reference",
        "contradicted",
        "corroborated",
        "single_source",
        "disputed",
        "insufficient_evidence",
    ];
    let got = check(&claims);
    for ((c, w), v) in claims.iter().zip(want).zip(&got) {
        assert_eq!(v["verdict"], w, "{c}: {v:#}");
        assert_eq!(v["claim"], *c);
        let conf = v["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&conf));
        assert!(v["explanation"].as_str().unwrap().ends_with('.'));
        for e in v["evidence"].as_array().unwrap() {
            for k in [
                "doc_id",
                "title",
                "source",
                "kind",
                "url",
                "snippet",
                "similarity",
                "stance",
                "origin",
            ] {
                assert!(e.get(k).is_some(), "evidence lacks {k}: {e}");
            }
        }
    }
    // The number conflict is what refutes, and it is named.
    let refuting: Vec<&Value> = got[1]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stance"] == "refutes")
        .collect();
    assert!(!refuting.is_empty());
    assert!(
        got[1]["explanation"].as_str().unwrap().contains("1921"),
        "{}",
        got[1]
    );
}

#[test]
fn two_reprints_of_one_wire_story_are_one_origin() {
    let v = &check(&["Astronomers at the Kessel Observatory discovered a new comet on Friday."])[0];
    assert_eq!(v["verdict"], "single_source", "{v:#}");
    let supporting: Vec<&Value> = v["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stance"] == "supports")
        .collect();
    // Both reprints support it, from two outlets, but they share one origin.
    let docs: std::collections::BTreeSet<&str> = supporting
        .iter()
        .map(|e| e["doc_id"].as_str().unwrap())
        .collect();
    let origins: std::collections::BTreeSet<&str> = supporting
        .iter()
        .map(|e| e["origin"].as_str().unwrap())
        .collect();
    assert!(
        docs.contains("wire-c-comet") && docs.contains("wire-d-comet"),
        "{v:#}"
    );
    assert_eq!(origins.len(), 1, "{v:#}");
}

#[test]
fn claims_file_as_jsonl_with_a_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claims.jsonl");
    std::fs::write(
        &file,
        "{\"claim\": \"The Kessel Observatory was founded in 1921.\"}\n{\"text\": \"no claim field\"}\n",
    )
    .unwrap();
    let out = veracity()
        .args(["check", "--corpus"])
        .arg(fixture("corpus.jsonl"))
        .arg("--claims")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("claims.jsonl:2"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn config_with_unknown_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("v.toml");
    std::fs::write(&cfg, "[stance]\nsupport_threshold = 0.5\n").unwrap();
    let out = veracity()
        .args(["check", "--corpus"])
        .arg(fixture("corpus.jsonl"))
        .arg("--config")
        .arg(&cfg)
        .arg("The Kessel Observatory was founded in 1921.")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown key `support_threshold`"),
        "{stderr}"
    );
}

#[test]
fn no_evidence_source_is_a_clear_error() {
    let out = veracity().args(["check", "Anything."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--index"));
}

#[test]
fn check_against_built_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    veracity()
        .args(["index", "add", "--index"])
        .arg(&idx)
        .args(["--kind", "news"])
        .arg(fixture("corpus.jsonl"))
        .assert()
        .success();
    let out = veracity()
        .args(["check", "--index"])
        .arg(&idx)
        .arg("The Kessel Observatory was founded in 1935.")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "contradicted", "{v:#}");
}

#[test]
fn head_method_is_selected_by_the_config_switch() {
    let v = check_with(
        &[
            "The Kessel Observatory was founded in 1921.",
            "Last year the budget of the Kessel Observatory rose.",
            "The city of Brann will build a new football stadium next year.",
        ],
        Some("[stance]\nmethod = \"head\"\n"),
    );
    assert_eq!(v[0]["verdict"], "verified_by_reference", "{:#}", v[0]);
    // The rules call this claim `disputed` (every_verdict_kind_on_the_fixture_corpus);
    // with the head refutations win, so it never says `disputed`.
    assert_ne!(v[1]["verdict"], "disputed", "{:#}", v[1]);
    assert_eq!(v[2]["verdict"], "insufficient_evidence", "{:#}", v[2]);

    // The reference says 1921: the rules' conflicts, kept in head mode by
    // default (`head_rule_conflicts = true`, chosen on the tuning claims),
    // contradict the 1935 claim; the head alone lets it pass.
    let claim = ["The Kessel Observatory was founded in 1935."];
    let kept = check_with(&claim, Some("[stance]\nmethod = \"head\"\n"));
    assert_eq!(kept[0]["verdict"], "contradicted", "{:#}", kept[0]);
    let alone = check_with(
        &claim,
        Some("[stance]\nmethod = \"head\"\nhead_rule_conflicts = false\n"),
    );
    assert_ne!(alone[0]["verdict"], "contradicted", "{:#}", alone[0]);
}

/// A claim that repeats an evidence sentence word for word is supported by
/// it, under either built-in stance head. (Heads trained on the labelled
/// pairs alone read some identical sentences as refuting; training also on
/// each claim paired with itself fixed that.)
#[test]
fn the_stance_heads_never_refute_a_sentence_identical_to_the_claim() {
    let claims = [
        "The Kessel Observatory was founded in 1921 by the Astronomical Society of Brann.",
        "Its main telescope has a mirror 2.4 metres across.",
        "The work is expected to last a year.",
        "School groups have been asked to postpone their trips.",
        "The comet will be visible with binoculars in the autumn.",
    ];
    let configs: [(&[&str], &[&str], Option<&str>); 3] = [
        // all-MiniLM-L6-v2 with the head switched on.
        (&[], &[], Some("[stance]\nmethod = \"head\"\n")),
        // all-mpnet-base-v2: the head is its calibrated default.
        (&["--model", "all-mpnet-base-v2"], &[], None),
        // all-MiniLM-L6-v2 retrieves, all-mpnet-base-v2 decides stance.
        (&[], &["--stance-model", "all-mpnet-base-v2"], None),
    ];
    for (global, after, config) in configs {
        for v in check_model(global, after, &claims, config) {
            let top = &v["evidence"][0];
            assert_eq!(top["snippet"], v["claim"], "{global:?} {after:?}: {v:#}");
            assert_eq!(top["stance"], "supports", "{global:?} {after:?}: {v:#}");
            assert_ne!(v["verdict"], "contradicted", "{global:?} {after:?}: {v:#}");
        }
    }
}

/// `eval verdicts` on a small Climate-FEVER-format file written for the
/// project: malformed records are reported (file, line, reason) and counted,
/// the year and number conflicts are found, and every table has its
/// bootstrap interval.
#[test]
fn eval_verdicts_on_a_small_climate_fever_file() {
    let out = veracity()
        .args(["eval", "verdicts", "--climate-fever"])
        .arg(fixture("climate-fever-mini.jsonl"))
        .args(["--heldout", "0.5"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("8 claims (1 DISPUTED gold, reported apart), 9 corpus passages, 2 malformed records skipped"),
        "{stdout}"
    );
    assert!(
        stderr.contains("climate-fever-mini.jsonl:5: skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown claim_label \"MAYBE\""), "{stderr}");
    assert!(
        stdout.contains("macro-F1 95% bootstrap interval"),
        "{stdout}"
    );
    // The founding year (1950 vs 1921) and the ferry's passengers (900 vs
    // about 300) are both contradicted by the rules.
    assert!(stdout.contains("contradicted 2"), "{stdout}");
}
