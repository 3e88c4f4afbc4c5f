//! End-to-end tests of `veracity train propaganda` and `veracity eval
//! propaganda` on a tiny PTC-layout corpus written for this project
//! (tests/fixtures/propaganda/ptc-mini), with the real embedding model.

use serde_json::Value;

mod common;
use common::veracity;

const MINI: &str = "tests/fixtures/propaganda/ptc-mini";

fn train(dir: &std::path::Path, out: &str) -> (Value, String) {
    let out_path = dir.join(out);
    let o = veracity()
        .args(["train", "propaganda", "--ptc", MINI, "--cv-folds", "2"])
        .args(["--inner-folds", "2", "--epochs", "30", "--lr", "0.01"])
        .arg("--cache")
        .arg(dir.join("cache.vec"))
        .arg("--out")
        .arg(&out_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    (v, stderr)
}

#[test]
fn train_is_reproducible_reports_skipped_records_and_the_heads_load() {
    let dir = tempfile::tempdir().unwrap();
    let (a, stderr) = train(dir.path(), "a.json");
    assert!(stderr.contains("No_Such_Technique"), "{stderr}");
    assert!(stderr.contains("1 malformed record(s) skipped"), "{stderr}");
    assert_eq!(a["format"], "veracity-propaganda-heads/1");
    let p = &a["provenance"];
    assert_eq!(p["seed"], 42);
    assert_eq!(p["articles"], 6);
    assert_eq!(p["skipped_records"], 1);
    assert!(p["data"][1]["sha256"].as_str().unwrap().len() == 64);
    let f1 = p["metrics_cv"]["held_out"]["sentence_f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&f1));

    let (b, _) = train(dir.path(), "b.json");
    assert_eq!(
        a["fitted"], b["fitted"],
        "same seed, same data: same weights"
    );

    // The trained heads can be used for scoring.
    let o = veracity()
        .args(["propaganda", "--json", "--heads"])
        .arg(dir.path().join("a.json"))
        .arg("tests/fixtures/propaganda/flag_waving_opinion.txt")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = r["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&s));
}

#[test]
fn eval_cross_validates_by_article_and_reports_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let o = veracity()
        .args(["eval", "propaganda", "--ptc", MINI, "--folds", "2"])
        .args(["--inner-folds", "2", "--baseline", "--json"])
        .arg("--cache")
        .arg(dir.path().join("cache.vec"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for run in ["baseline", "model"] {
        let h = &v["ptc"][run]["held_out"];
        assert_eq!(h["articles"], 6, "{v}");
        assert_eq!(h["sentences"], 30, "{v}");
        for k in ["sentence_f1", "technique_micro_f1"] {
            let x = h[k].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x), "{k} = {x}");
        }
        let rho = h["article_spearman"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&rho));
    }
    assert_eq!(v["ptc"]["baseline"]["features"], "emb");
}

#[test]
fn eval_on_a_folder_without_ptc_layout_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = veracity()
        .args(["eval", "propaganda", "--ptc"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("train-articles"), "{e}");
}
