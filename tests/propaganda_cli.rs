//! End-to-end tests of `veracity propaganda` with the real model and the
//! committed heads, on fixtures written for this project.

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;

const FIX: &str = "tests/fixtures/propaganda";

/// `veracity propaganda --json` on a fixture.
fn propaganda_json(file: &str) -> std::process::Output {
    Command::cargo_bin("veracity")
        .unwrap()
        .args(["--threads", "2", "propaganda", "--json"])
        .arg(format!("{FIX}/{file}"))
        .output()
        .unwrap()
}

fn report(file: &str) -> Value {
    let out = propaganda_json(file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn technique_names(r: &Value) -> BTreeSet<String> {
    r["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn neutral_wire_report_scores_low() {
    let r = report("neutral_wire.txt");
    let score = r["score"].as_f64().unwrap();
    assert!(score < 15.0, "score {score}: {}", r["summary"]);
    assert_eq!(r["risk"], "low");
    assert!(r["summary"]
        .as_str()
        .unwrap()
        .starts_with("Low risk: minimal use of propaganda techniques."));
}

#[test]
fn flag_waving_name_calling_opinion_scores_high() {
    let r = report("flag_waving_opinion.txt");
    let score = r["score"].as_f64().unwrap();
    assert!(score >= 35.0, "score {score}: {}", r["summary"]);
    assert_eq!(r["risk"], "high");
    let names = technique_names(&r);
    assert!(names.contains("Flag-Waving"), "{names:?}");
    assert!(names.contains("Name Calling/Labeling"), "{names:?}");
    let c = r["confidence"].as_f64().unwrap();
    assert!(c > 0.0 && c <= 1.0);
}

#[test]
fn repetition_across_the_article_is_found() {
    let r = report("repetition.txt");
    let rep = r["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Repetition")
        .unwrap_or_else(|| panic!("no Repetition in {}", r["techniques"]));
    // The repeated slogan occurs in four sentences; at least two must carry it.
    let sents = r["sentences"].as_array().unwrap();
    let with_slogan = rep["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            sents[i.as_u64().unwrap() as usize]["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("we must build the wall now")
        })
        .count();
    assert!(with_slogan >= 2, "{rep}");
}

#[test]
fn empty_file_is_an_error_as_in_analyze() {
    let out = propaganda_json("empty.txt");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.txt") && err.contains("the article is empty"),
        "{err}"
    );
}

#[test]
fn json_follows_the_schema_and_offsets_point_into_the_input() {
    let input = std::fs::read_to_string(format!("{FIX}/flag_waving_opinion.txt")).unwrap();
    let r = report("flag_waving_opinion.txt");
    let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "score",
            "confidence",
            "risk",
            "summary",
            "techniques",
            "sentences"
        ])
    );
    for t in r["techniques"].as_array().unwrap() {
        let k: BTreeSet<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(k, BTreeSet::from(["name", "count", "share", "sentences"]));
        assert_eq!(
            t["count"].as_u64().unwrap() as usize,
            t["sentences"].as_array().unwrap().len()
        );
    }
    let sents = r["sentences"].as_array().unwrap();
    assert!(sents.len() >= 10);
    for (i, s) in sents.iter().enumerate() {
        let k: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            k,
            BTreeSet::from(["index", "start", "end", "text", "techniques"])
        );
        assert_eq!(s["index"].as_u64().unwrap() as usize, i);
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&input[a..b], s["text"].as_str().unwrap());
        for t in s["techniques"].as_array().unwrap() {
            let sc = t["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&sc));
        }
    }
}

#[test]
fn text_output_and_stdin() {
    let input = std::fs::read_to_string(format!("{FIX}/flag_waving_opinion.txt")).unwrap();
    let out = Command::cargo_bin("veracity")
        .unwrap()
        .args(["--threads", "2", "propaganda", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Propaganda score:"), "{s}");
    assert!(s.contains("risk: high"), "{s}");
    assert!(s.contains("Techniques:"), "{s}");
    assert!(s.contains("Flag-Waving"), "{s}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = Command::cargo_bin("veracity")
        .unwrap()
        .args(["propaganda", "tests/fixtures/propaganda/no-such-file.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("no-such-file.txt"), "{e}");
}

#[test]
fn training_with_evaluation_only_features_is_refused() {
    let out = Command::cargo_bin("veracity")
        .unwrap()
        .args([
            "train",
            "propaganda",
            "--ptc",
            "tests/fixtures/propaganda",
            "--features",
            "length,exemplars",
            "--out",
            "/nonexistent/heads.json",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("evaluation only"), "{e}");
}
