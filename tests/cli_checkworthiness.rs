//! End-to-end tests of `veracity train checkworthiness` and
//! `veracity eval checkworthiness` on small synthetic files written here.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

mod common;
use common::veracity;

/// A ClaimBuster-format file: factual sentences (label 1) and chit-chat (0),
/// plus one malformed row.
fn claimbuster_file(dir: &Path) -> std::path::PathBuf {
    let subjects = ["Exports", "Taxes", "Wages", "Prices", "Imports", "Jobs"];
    let verbs = ["rose", "fell", "grew", "dropped"];
    let chat = [
        "Thank you so much for having me tonight",
        "What a wonderful crowd we have here",
        "I think you all know how I feel about that",
        "Let me tell you, folks, this is great",
        "Do you really believe what he says",
        "We love this country and its people",
    ];
    let mut csv = String::from("sentence_id,screening,label,text\n");
    let mut id = 0;
    for (i, s) in subjects.iter().enumerate() {
        for (j, v) in verbs.iter().enumerate() {
            for k in 0..3 {
                id += 1;
                let pct = 2 + i * 3 + j + k * 7;
                let year = 1990 + i * 4 + j + k;
                writeln!(
                    csv,
                    "{id},-3,1,\"{s} {v} {pct}% in {year}, the department said.\""
                )
                .unwrap();
            }
        }
    }
    for (i, c) in chat.iter().enumerate() {
        for k in 0..12 {
            id += 1;
            let tail = ["!", ", my friends.", ", really.", "?"][(i + k) % 4];
            writeln!(csv, "{id},-3,0,\"{c}{tail} Number {k}.\"").unwrap();
        }
    }
    csv.push_str("999,-3,maybe,Bad label row\n");
    let p = dir.join("cb.csv");
    std::fs::write(&p, csv).unwrap();
    p
}

#[test]
fn train_then_eval_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = claimbuster_file(dir.path());
    let head = dir.path().join("head.json");
    let out = veracity()
        .args([
            "train",
            "checkworthiness",
            "--hidden",
            "0",
            "--ensemble",
            "1",
        ])
        .args(["--epochs", "60", "--seed", "3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&head)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 malformed rows skipped"), "{stderr}");
    assert!(stdout.contains("held-out ClaimBuster:"), "{stdout}");

    let h: Value = serde_json::from_str(&std::fs::read_to_string(&head).unwrap()).unwrap();
    let prov = &h["provenance"];
    assert_eq!(prov["seed"], 3);
    assert_eq!(prov["data"][0]["skipped"], 1);
    assert_eq!(prov["data"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(prov["split_rule"].as_str().unwrap().contains("sha256"));
    let held_f1 = prov["metrics"]["held_out"]["f1"].as_f64().unwrap();
    assert!(
        held_f1 > 0.8,
        "an easy synthetic task: held-out F1 {held_f1}"
    );

    // Same seed, same head.
    let head2 = dir.path().join("head2.json");
    veracity()
        .args([
            "train",
            "checkworthiness",
            "--hidden",
            "0",
            "--ensemble",
            "1",
        ])
        .args(["--epochs", "60", "--seed", "3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&head2)
        .assert()
        .success();
    let h2: Value = serde_json::from_str(&std::fs::read_to_string(&head2).unwrap()).unwrap();
    assert_eq!(h["layers"], h2["layers"]);
    assert_eq!(h["threshold"], h2["threshold"]);

    // eval reports the same held-out figures for that head.
    let out = veracity()
        .args(["eval", "checkworthiness", "--claimbuster"])
        .arg(&data)
        .arg("--head")
        .arg(&head)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("held-out split:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!("F1={held_f1:.4}")),
        "{line} vs {held_f1}"
    );
    assert!(text.contains("train part (seen in training):"));
}

#[test]
fn eval_checkthat_prints_map_per_debate() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ct.csv");
    std::fs::write(
        &f,
        "line_number,speaker,text,label,file_name\n\
         1,A,Good evening and welcome.,0,d1.tsv\n\
         2,B,Unemployment fell to 3.9% in March.,1,d1.tsv\n\
         3,A,Thank you.,0,d1.tsv\n\
         1,C,We have cut taxes by $2 trillion since 2017.,1,d2.tsv\n\
         2,D,I love you all!,0,d2.tsv\n\
         1,E,Hello.,0,d3.tsv\n",
    )
    .unwrap();
    let out = veracity()
        .args(["eval", "checkworthiness", "--checkthat"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("d1.tsv") && text.contains("d2.tsv"), "{text}");
    assert!(
        text.contains("d3.tsv") && text.contains("AP undefined"),
        "{text}"
    );
    assert!(text.contains("over 2 ranking(s)"), "{text}");
    // The built-in head ranks the factual sentence first in both debates.
    assert!(text.contains("MAP=1.0000"), "{text}");
}

#[test]
fn train_without_claimbuster_data_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.tsv");
    std::fs::write(&f, "text\tlabel\nHello.\t0\nTaxes rose 5%.\t1\n").unwrap();
    let out = veracity()
        .args(["train", "checkworthiness", "--data"])
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("h.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ClaimBuster"), "{err}");
    assert!(!dir.path().join("h.json").exists());
}
