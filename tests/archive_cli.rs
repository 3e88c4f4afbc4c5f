//! End-to-end tests of `veracity archive score|report|export|import` on the
//! fixtures in tests/fixtures/archive (evidence: the demo corpus).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::veracity;
use rusqlite::Connection;

const ARTICLES: &str = "tests/fixtures/archive/articles.jsonl";
const BAD: &str = "tests/fixtures/archive/bad.jsonl";
const CORPUS: &str = "examples/demo-corpus.jsonl";

fn score(db: &Path, extra: &[&str], inputs: &[&str]) -> String {
    let out = veracity()
        .args(["archive", "score", "--db"])
        .arg(db)
        .args(extra)
        .args(inputs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "archive score failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).to_string() + &stderr
}

/// The output of a command that must succeed (its stderr shown if not).
fn ok(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    out
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn ids(db: &Path) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let mut st = c.prepare("SELECT id FROM articles ORDER BY id").unwrap();
    let rows = st.query_map([], |r| r.get(0)).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

#[test]
fn a_rerun_skips_what_is_scored_and_a_changed_article_is_rescored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let input = dir.path().join("articles.jsonl");
    std::fs::copy(ARTICLES, &input).unwrap();
    let input = input.to_str().unwrap().to_string();
    let first = score(&db, &["--corpus", CORPUS], &[&input, BAD]);
    assert!(first.contains("scored 9 "), "{first}");
    // The three bad records are reported as path:line: reason and kept.
    for line in [2, 3, 4] {
        assert!(first.contains(&format!("bad.jsonl:{line}: ")), "{first}");
    }
    assert!(first.contains("failed 3"), "{first}");
    assert_eq!(count(&db, "SELECT count(*) FROM failures"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM articles"), 9);
    // Dates: normalised, the unreadable one null and counted.
    assert!(first.contains("1 unreadable dates"), "{first}");
    let c = Connection::open(&db).unwrap();
    let date = |id: &str| -> Option<String> {
        c.query_row("SELECT published FROM articles WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(
        date("courier-2025-02-03-port").as_deref(),
        Some("2025-02-03T09:15:00Z")
    );
    assert_eq!(
        date("gazette-2025-03-15-traffic").as_deref(),
        Some("2025-03-15")
    );
    assert_eq!(date("courier-2025-01-20-tram"), None);
    // Claim offsets index the record's text as given.
    let mut st = c
        .prepare(
            "SELECT a.id, c.start, c.\"end\", c.text FROM claims c JOIN articles a ON a.id = c.article_id",
        )
        .unwrap();
    let claims: Vec<(String, usize, usize, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(!claims.is_empty());
    let texts: BTreeMap<String, String> = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .chain(std::fs::read_to_string(BAD).unwrap().lines().take(1))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, start, end, text) in &claims {
        assert_eq!(&texts[id][*start..*end], text, "{id}");
    }
    drop(st);
    drop(c);

    // The same command again: nothing to score, nothing duplicated.
    let again = score(&db, &["--corpus", CORPUS], &[&input, BAD]);
    assert!(
        again.contains("scored 0 ") && again.contains("unchanged 9"),
        "{again}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM articles"), 9);
    assert_eq!(count(&db, "SELECT count(*) FROM failures"), 3);

    // One article changed: it alone is scored again, in place.
    let changed = std::fs::read_to_string(&input)
        .unwrap()
        .replace("about two years", "about three years");
    std::fs::write(&input, changed).unwrap();
    let third = score(&db, &["--corpus", CORPUS], &[&input, BAD]);
    assert!(
        third.contains("scored 1 (1 replacing older results), unchanged 8"),
        "{third}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM articles"), 9);
    let claims_total = count(&db, "SELECT sum(claims) FROM articles");
    assert_eq!(count(&db, "SELECT count(*) FROM claims"), claims_total);
}

#[test]
fn an_archive_killed_mid_run_and_scored_again_holds_every_article_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.jsonl");
    // 48 articles: the fixture six times with new ids.
    let mut lines = String::new();
    for round in 0..6 {
        for l in std::fs::read_to_string(ARTICLES).unwrap().lines() {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"] = format!("{}-{round}", v["id"].as_str().unwrap()).into();
            lines.push_str(&v.to_string());
            lines.push('\n');
        }
    }
    std::fs::write(&input, lines).unwrap();
    let db = dir.path().join("k.sqlite");
    let bin = assert_cmd::cargo::cargo_bin("veracity");
    let mut child = std::process::Command::new(bin)
        .env("VERACITY_THREADS", "2")
        .args(["archive", "score", "--batch", "4", "--db"])
        .arg(&db)
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once a few batches are committed.
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let done = db.exists()
            && Connection::open(&db)
                .and_then(|c| c.query_row("SELECT count(*) FROM articles", [], |r| r.get(0)))
                .unwrap_or(0i64)
                >= 8;
        if done || child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no batch committed"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = count(&db, "SELECT count(*) FROM articles");
    assert!(before >= 8, "{before}");
    let out = score(&db, &["--batch", "4"], &[input.to_str().unwrap()]);
    assert!(out.contains(&format!("unchanged {before}")), "{out}");
    let all = ids(&db);
    assert_eq!(all.len(), 48);
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 48);
    // Every article whole: its claims and their count agree.
    assert_eq!(
        count(&db, "SELECT count(*) FROM claims"),
        count(&db, "SELECT sum(claims) FROM articles")
    );
}

#[test]
fn cross_references_never_cite_the_article_itself_and_a_wire_story_does_not_corroborate_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.sqlite");
    let out = score(&db, &["--cross-references"], &[ARTICLES]);
    assert!(out.contains("scored 8 "), "{out}");
    assert!(Path::new(&format!("{}.xref", db.display())).is_dir());
    // No evidence of an article is the article itself.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM evidence WHERE doc_id = article_id"
        ),
        0
    );
    // The wire story's copies are evidence for each other, as one origin,
    // so none of its claims is corroborated.
    let wire = "article_id LIKE '%-2025-02-03-port'";
    assert!(
        count(
            &db,
            &format!("SELECT count(*) FROM evidence WHERE {wire} AND kind = 'cross-reference'")
        ) > 0
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(DISTINCT origin) FROM evidence WHERE {wire} AND doc_id LIKE '%-2025-02-03-port'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM claims WHERE {} AND verdict = 'corroborated'",
                wire
            )
        ),
        0
    );
    // A rerun reuses the cross-reference index and scores nothing.
    let again = score(&db, &["--cross-references"], &[ARTICLES]);
    assert!(again.contains("unchanged 8"), "{again}");
}

#[test]
fn the_worker_mode_reads_stdin_writes_result_lines_and_they_import_into_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(veracity()
        .args(["archive", "score", "--db", "-", "--corpus", CORPUS, "-"])
        .pipe_stdin(BAD)
        .unwrap());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let articles: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.get("failure").is_none())
        .collect();
    assert_eq!(articles.len(), 1);
    assert_eq!(articles[0]["id"], "courier-2025-03-01-mayor");
    assert!(!articles[0]["claims"].as_array().unwrap().is_empty());
    assert_eq!(lines.len() - articles.len(), 3, "{stdout}");
    // The summary goes to stderr, never into the result lines.
    assert!(String::from_utf8_lossy(&out.stderr).contains("read 1 articles"));

    let results = dir.path().join("part-0.jsonl");
    std::fs::write(&results, &stdout).unwrap();
    let db = dir.path().join("imported.sqlite");
    ok(veracity()
        .args(["archive", "import", "--db"])
        .arg(&db)
        .arg(&results));
    assert_eq!(ids(&db), ["courier-2025-03-01-mayor"]);
    assert_eq!(count(&db, "SELECT count(*) FROM failures"), 3);
    assert_eq!(
        count(&db, "SELECT count(*) FROM claims") as usize,
        articles[0]["claims"].as_array().unwrap().len()
    );
}

/// A scored database for the report and export tests.
fn scored_db(dir: &Path) -> PathBuf {
    let db = dir.join("r.sqlite");
    score(&db, &["--corpus", CORPUS], &[ARTICLES, BAD]);
    db
}

#[test]
fn the_report_is_one_self_contained_page_with_its_charts_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db = scored_db(dir.path());
    let page = dir.path().join("report.html");
    ok(veracity()
        .args(["archive", "report", "--db"])
        .arg(&db)
        .arg("-o")
        .arg(&page));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    // Three charts, each well-formed SVG (XML).
    let svgs: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .map(|s| &s[..s.find("</svg>").unwrap()])
        .collect();
    assert_eq!(svgs.len(), 3, "{html}");
    for s in &svgs {
        let xml = format!("<svg{s}</svg>");
        let mut r = quick_xml::Reader::from_str(&xml);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("malformed SVG: {e}"),
            }
        }
    }
    // The outlets and months are there; tags of the page balance.
    for want in [
        "Velmora Herald",
        "Sarn Gazette",
        "Coast Courier",
        "2025-02",
        "2025-03",
    ] {
        assert!(html.contains(want), "{want}");
    }
    for tag in ["div", "figure", "table", "main", "h2", "ul"] {
        assert_eq!(
            html.matches(&format!("<{tag}")).count(),
            html.matches(&format!("</{tag}>")).count(),
            "<{tag}>"
        );
    }
    // JSON: per outlet and month; the undated article left out of trends.
    let json = veracity()
        .args(["archive", "report", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["articles"], 9);
    assert_eq!(r["undated"], 1);
    assert_eq!(r["groups"].as_array().unwrap().len(), 3);
    let trend_articles: u64 = r["propaganda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["articles"].as_u64().unwrap())
        .sum();
    assert_eq!(trend_articles, 8);
    let md = veracity()
        .args([
            "archive", "report", "--format", "markdown", "--by", "none", "--per", "year", "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| all articles | 2025 | 8 |"), "{md}");
}

#[test]
fn an_export_holds_every_row_as_json_lines_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let db = scored_db(dir.path());
    for table in ["articles", "claims", "evidence", "techniques", "failures"] {
        let rows = count(&db, &format!("SELECT count(*) FROM {table}")) as usize;
        let jsonl = ok(veracity()
            .args(["archive", "export", "--table", table, "--db"])
            .arg(&db));
        let objs: Vec<serde_json::Value> = String::from_utf8(jsonl.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objs.len(), rows, "{table}");
        let csv_out = dir.path().join(format!("{table}.csv"));
        ok(veracity()
            .args([
                "archive", "export", "--format", "csv", "--table", table, "--db",
            ])
            .arg(&db)
            .arg("-o")
            .arg(&csv_out));
        let mut r = csv::Reader::from_path(&csv_out).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(records.len(), rows, "{table}");
        // The same values both ways (text columns compared exactly).
        for (obj, rec) in objs.iter().zip(&records) {
            for (k, v) in header.iter().zip(rec.iter()) {
                if let Some(s) = obj[k].as_str() {
                    assert_eq!(s, v, "{table}.{k}");
                }
            }
        }
        // Parquet, read back with the parquet crate's own reader: the same
        // rows, columns and values as the JSON lines (nulls included).
        let pq = dir.path().join(format!("{table}.parquet"));
        ok(veracity()
            .args([
                "archive", "export", "--format", "parquet", "--table", table, "--db",
            ])
            .arg(&db)
            .arg("-o")
            .arg(&pq));
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(
            std::fs::File::open(&pq).unwrap(),
        )
        .unwrap();
        use parquet::file::reader::FileReader;
        let back: Vec<serde_json::Value> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| parquet_row_json(&r.unwrap()))
            .collect();
        assert_eq!(back.len(), rows, "{table}");
        for (want, got) in objs.iter().zip(&back) {
            let (want, got) = (want.as_object().unwrap(), got.as_object().unwrap());
            assert_eq!(
                want.keys().collect::<Vec<_>>(),
                got.keys().collect::<Vec<_>>(),
                "{table}: columns in order"
            );
            for (k, w) in want {
                match (w.as_f64(), got[k].as_f64()) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{table}.{k}: {a} vs {b}"),
                    _ => assert_eq!(w, &got[k], "{table}.{k}"),
                }
            }
        }
    }
    // Binary output is not written to a terminal (here standard output is
    // a pipe, so it is written: a valid file starts and ends with PAR1).
    let piped = ok(veracity()
        .args([
            "archive", "export", "--format", "parquet", "--table", "articles", "--db",
        ])
        .arg(&db));
    assert!(piped.stdout.starts_with(b"PAR1") && piped.stdout.ends_with(b"PAR1"));
    let unknown = veracity()
        .args(["archive", "export", "--table", "nope", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

/// A Parquet row as a JSON object (the types `archive export` writes).
fn parquet_row_json(row: &parquet::record::Row) -> serde_json::Value {
    use parquet::record::Field;
    let mut obj = serde_json::Map::new();
    for (name, field) in row.get_column_iter() {
        let v = match field {
            Field::Null => serde_json::Value::Null,
            Field::Long(x) => (*x).into(),
            Field::Double(x) => (*x).into(),
            Field::Str(x) => x.clone().into(),
            other => panic!("{name}: a type archive export does not write: {other:?}"),
        };
        obj.insert(name.clone(), v);
    }
    serde_json::Value::Object(obj)
}

#[test]
fn report_and_export_of_a_missing_database_say_how_to_make_one() {
    let out = veracity()
        .args(["archive", "report", "--db", "/nonexistent/a.sqlite"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("veracity archive score --db"), "{err}");
}
