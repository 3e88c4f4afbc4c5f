//! End-to-end tests of `veracity analyze`: the demo, every report format,
//! cross-references between articles, and bad input.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::veracity;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/analyze").join(name)
}

fn demo(format: &str) -> (String, String) {
    demo_with(format, &[])
}

/// `analyze` on the demo with more arguments; its stdout and stderr.
fn demo_with(format: &str, extra: &[&std::ffi::OsStr]) -> (String, String) {
    let out = veracity()
        .arg("analyze")
        .arg(root().join("examples/demo-article.txt"))
        .arg("--corpus")
        .arg(root().join("examples/demo-corpus.jsonl"))
        .args(["--format", format])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// The demo's JSON report is the one committed in
/// `tests/fixtures/analyze/demo-report.json` (taken with the pipeline as it
/// was in the binary, before it moved into `veracity::Analyzer`): the same
/// claims, evidence, verdicts and propaganda block, floats to 1e-4.
#[test]
fn the_demo_json_report_is_the_committed_one() {
    let (out, _) = demo("json");
    let mut got: Value = serde_json::from_str(&out).unwrap();
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("demo-report.json")).unwrap())
            .unwrap();
    // The path is as given on the command line.
    let path = got["articles"][0]["path"].as_str().unwrap().to_string();
    assert!(path.ends_with("examples/demo-article.txt"), "{path}");
    got["articles"][0]["path"] = want["articles"][0]["path"].clone();
    let diff = common::json_differences(&got, &want, 1e-4);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

#[test]
fn demo_json_shows_several_verdicts_with_offsets() {
    let (out, _) = demo("json");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["schema_version"], 1);
    assert!(j["disclaimer"].as_str().unwrap().contains("starting point"));
    let a = &j["articles"][0];
    let p = &a["propaganda"];
    assert!(p["score"].is_number() && p["risk"].is_string(), "{p}");
    assert!(p["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| !s["techniques"].as_array().unwrap().is_empty()));
    let claims = a["claims"].as_array().unwrap();
    assert_eq!(
        a["claims_extracted"].as_u64().unwrap() as usize,
        claims.len()
    );
    let kinds: std::collections::BTreeSet<&str> = claims
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert!(kinds.len() >= 4, "verdicts: {kinds:?}");
    // Offsets point at the claim in the file's own bytes.
    let text = std::fs::read_to_string(root().join("examples/demo-article.txt")).unwrap();
    for c in claims {
        let (s, e) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[s..e], c["text"].as_str().unwrap());
    }
    let counts: u64 = a["verdict_counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counts as usize, claims.len());
}

/// `[stance] method = "head"` through `analyze`, whose encoder is the
/// leading half of the propaganda readout: the head's token alignment gets
/// token states from it, and the head never says `disputed`.
#[test]
fn analyze_runs_the_learned_stance_head_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("head.toml");
    std::fs::write(&cfg, "[stance]\nmethod = \"head\"\n").unwrap();
    let (out, _) = demo_with("json", &["--config".as_ref(), cfg.as_os_str()]);
    let j: Value = serde_json::from_str(&out).unwrap();
    let claims = j["articles"][0]["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 6, "the same claims as with the rules");
    for c in claims {
        assert_ne!(c["verdict"], "disputed", "{c:#}");
    }
    let airport = claims
        .iter()
        .find(|c| c["text"].as_str().unwrap().contains("airport"))
        .unwrap();
    assert_eq!(airport["verdict"], "insufficient_evidence", "{airport:#}");
}

/// `--stance-model` changes who decides stance and nothing else: the same
/// claims and propaganda block as the default run, the stance head of
/// all-mpnet-base-v2 (its default) behind the verdicts, and the evidence
/// similarities are that model's.
#[test]
fn analyze_with_a_separate_stance_model() {
    let (plain, _) = demo("json");
    let (out, _) = demo_with(
        "json",
        &["--stance-model".as_ref(), "all-mpnet-base-v2".as_ref()],
    );
    let a: Value = serde_json::from_str(&plain).unwrap();
    let b: Value = serde_json::from_str(&out).unwrap();
    let (a, b) = (&a["articles"][0], &b["articles"][0]);
    assert_eq!(a["propaganda"], b["propaganda"]);
    let texts = |x: &Value| -> Vec<String> {
        x["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts(a), texts(b));
    let claims = b["claims"].as_array().unwrap();
    for c in claims {
        // The head never says `disputed`.
        assert_ne!(c["verdict"], "disputed", "{c:#}");
    }
    let sims = |x: &Value| -> Vec<f64> {
        x["claims"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["evidence"].as_array().unwrap().clone())
            .map(|e| e["similarity"].as_f64().unwrap())
            .collect()
    };
    assert_ne!(sims(a), sims(b), "similarities come from the stance model");
}

#[test]
fn demo_text_is_plain_when_not_a_terminal() {
    let (out, _) = demo("text");
    assert!(!out.contains('\x1b'));
    assert!(out.contains("Claims checked:"));
    assert!(out.contains("starting point for checking"));
}

#[test]
fn demo_markdown_and_html() {
    let (md, _) = demo("markdown");
    assert!(md.starts_with("# "));
    assert!(md.contains("## Claims"));
    let (html, _) = demo("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    // Self-contained: no scripts, stylesheets, images or fonts from elsewhere.
    for bad in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=\"http",
    ] {
        assert!(!html.contains(bad), "{bad}");
    }
    assert!(html.contains("name=\"viewport\""));
    // The loaded sentence of the demo is highlighted in the article text.
    assert!(html.contains("<mark title="));
}

#[test]
fn output_file_option_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    veracity()
        .arg("analyze")
        .arg(fixture("no-claims.txt"))
        .args(["--format", "html", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&out).unwrap().contains("</html>"));
}

#[test]
fn article_without_check_worthy_sentences_has_no_claims() {
    let out = veracity()
        .arg("analyze")
        .arg(fixture("no-claims.txt"))
        .arg("--corpus")
        .arg(root().join("examples/demo-corpus.jsonl"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["articles"][0]["claims_extracted"], 0);
    assert_eq!(j["articles"][0]["title"], "A quiet Sunday");
}

#[test]
fn empty_file_is_a_clear_error() {
    let out = veracity()
        .arg("analyze")
        .arg(fixture("empty.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("empty.txt") && e.contains("empty"), "{e}");
}

#[test]
fn binary_file_is_a_clear_error() {
    let out = veracity()
        .arg("analyze")
        .arg(fixture("binary.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("binary.txt") && e.contains("binary"), "{e}");
}

/// A language without word lists is refused up front, naming the ones there
/// are; `en` is accepted by code or name.
#[test]
fn an_unknown_language_is_a_clear_error() {
    let out = veracity()
        .args(["--language", "xx", "analyze"])
        .arg(fixture("no-claims.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("xx") && e.contains("en (English)"), "{e}");
    let out = veracity()
        .args(["--language", "English", "claims"])
        .arg(fixture("no-claims.txt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bad_file_among_good_ones_is_reported_and_skipped() {
    let out = veracity()
        .arg("analyze")
        .arg(fixture("binary.txt"))
        .arg(fixture("no-claims.txt"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["articles"].as_array().unwrap().len(), 1);
}

#[test]
fn articles_are_evidence_for_each_other_but_never_for_themselves() {
    let out = veracity()
        .arg("analyze")
        .arg(fixture("kessel-a.txt"))
        .arg(fixture("kessel-b.txt"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arts = j["articles"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    let mut cross = 0;
    for (i, a) in arts.iter().enumerate() {
        let own = format!("article-{}", i + 1);
        for c in a["claims"].as_array().unwrap() {
            for e in c["evidence"].as_array().unwrap() {
                assert_ne!(e["doc_id"], own.as_str(), "an article cited itself: {c:#}");
                if e["kind"] == "cross-reference" {
                    cross += 1;
                }
            }
        }
    }
    assert!(cross > 0, "no cross-reference evidence: {j:#}");
    // The shared claim (the renovation cost) is supported across articles.
    let supported = arts[0]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["verdict"] == "single_source");
    assert!(supported, "{:#}", arts[0]);
}

#[test]
fn analyze_output_to_unwritable_path_fails_before_the_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("no-such-folder").join("report.json");
    let started = std::time::Instant::now();
    // A model folder that does not exist: the analysis would fail on it, so
    // an error about the output shows the output was opened first.
    let out = veracity()
        .arg("--model-dir")
        .arg(dir.path().join("no-model"))
        .arg("analyze")
        .arg(fixture("no-claims.txt"))
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("cannot create") && e.contains("report.json"),
        "{e}"
    );
    assert!(started.elapsed().as_secs() < 60);
}
