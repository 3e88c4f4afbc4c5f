//! End-to-end tests of `veracity index` and `veracity search` on fixtures
//! written here (no shared datasets).

use std::io::Write;
use std::path::Path;

use serde_json::Value;

mod common;
use common::veracity;

fn add(index: &Path, args: &[&str]) -> (String, String) {
    let (code, stdout, stderr) = add_status(index, args);
    assert_eq!(code, Some(0), "index add failed: {stdout}\n{stderr}");
    (stdout, stderr)
}

fn search_json(index: &Path, query: &str, extra: &[&str]) -> Vec<Value> {
    let out = veracity()
        .args(["search", "--json", "--index"])
        .arg(index)
        .args(extra)
        .arg(query)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "search failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn stats(index: &Path) -> Value {
    let out = veracity()
        .args(["index", "stats", "--json", "--index"])
        .arg(index)
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

const VOLCANO: &str = "Mount Ferro erupted on Monday, sending ash twelve kilometres into the sky. Flights across the region were cancelled. Officials evacuated three villages near the crater.";
const HARBOUR: &str = "The harbour authority opened a new container terminal in Porto Lindo. The terminal can handle two million containers a year. Dock workers welcomed the new jobs.";

#[test]
fn jsonl_with_malformed_lines_then_re_add_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("news.jsonl");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(
        f,
        "{}",
        serde_json::json!({"id": "v1", "title": "Volcano erupts", "text": VOLCANO, "url": "https://news.example/v1", "published": "2024-05-06"})
    )
    .unwrap();
    writeln!(f, "{{\"id\": \"broken\", \"text\": ").unwrap();
    writeln!(f, "{}", serde_json::json!({"id": "no-text", "title": "x"})).unwrap();
    // invalid UTF-8 inside a string value: replaced, the record kept
    f.write_all(b"{\"id\": \"h1\", \"title\": \"Harbour \xff\", \"text\": \"")
        .unwrap();
    f.write_all(HARBOUR.as_bytes()).unwrap();
    f.write_all(b"\"}\n").unwrap();
    drop(f);

    let index = dir.path().join("idx");
    let (out, err) = add(
        &index,
        &[
            "--kind",
            "news",
            "--source",
            "wire",
            input.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("added 2, replaced 0, unchanged 0, skipped 2"),
        "{out}"
    );
    assert!(err.contains("news.jsonl:2: invalid JSON"), "{err}");
    assert!(err.contains("news.jsonl:3: no 'text' field"), "{err}");
    assert!(
        err.contains("news.jsonl:4: invalid UTF-8 replaced"),
        "{err}"
    );

    let s = stats(&index);
    assert_eq!(s["documents"], 2);
    let passages = s["passages"].as_u64().unwrap();
    assert!(passages >= 2);
    assert_eq!(s["sources"]["wire"], 2);
    assert_eq!(s["kinds"]["news"], 2);

    // Re-adding the same file with another source replaces, never
    // duplicates; with the same settings again it changes nothing.
    let (out, _) = add(&index, &["--kind", "news", input.to_str().unwrap()]);
    assert!(
        out.contains("added 0, replaced 2, unchanged 0, skipped 2"),
        "{out}"
    );
    let (out, _) = add(&index, &["--kind", "news", input.to_str().unwrap()]);
    assert!(
        out.contains("added 0, replaced 0, unchanged 2, skipped 2"),
        "{out}"
    );
    let s = stats(&index);
    assert_eq!(s["documents"], 2);
    assert_eq!(s["passages"].as_u64().unwrap(), passages);

    let hits = search_json(&index, "volcano ash flights", &["--mode", "bm25"]);
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    for field in [
        "doc_id", "title", "source", "kind", "url", "text", "score", "bm25", "cosine", "origin",
    ] {
        assert!(h.get(field).is_some(), "missing {field} in {h}");
    }
    assert_eq!(h["doc_id"], "v1");
    assert_eq!(h["kind"], "news");
    assert_eq!(h["url"], "https://news.example/v1");
    let (start, end) = (
        h["start"].as_u64().unwrap() as usize,
        h["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&VOLCANO[start..end], h["text"].as_str().unwrap());
}

#[test]
fn csv_with_quotes_and_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("archive.csv");
    std::fs::write(
        &input,
        format!(
            "article_id,headline,body\n\
             a1,\"Volcano, again\",\"{VOLCANO}\nA second paragraph follows.\"\n\
             a2,only two fields\n\
             a3,Harbour,\"{HARBOUR}\"\n"
        ),
    )
    .unwrap();
    let index = dir.path().join("idx");
    let (out, err) = add(
        &index,
        &[
            "--id-field",
            "article_id",
            "--title-field",
            "headline",
            "--text-field",
            "body",
            input.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("added 2, replaced 0, unchanged 0, skipped 1"),
        "{out}"
    );
    assert!(
        err.contains("archive.csv:4: 2 fields, the header has 3"),
        "{err}"
    );
    let hits = search_json(&index, "second paragraph", &["--mode", "bm25"]);
    assert_eq!(hits[0]["doc_id"], "a1");
    assert_eq!(hits[0]["title"], "Volcano, again");
    assert_eq!(hits[0]["source"], "archive");
}

#[test]
fn folder_of_text_markdown_and_html_drops_boilerplate() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("sub")).unwrap();
    std::fs::write(
        docs.join("volcano.txt"),
        format!("Volcano report\n\n{VOLCANO}\n"),
    )
    .unwrap();
    std::fs::write(
        docs.join("sub/harbour.md"),
        format!("# Harbour news\n\n{HARBOUR}\n"),
    )
    .unwrap();
    std::fs::write(
        docs.join("page.html"),
        "<html><head><title>Glacier study</title><script>var tracking = 'zzscript';</script></head><body>\
         <nav>Home | Subscribe | zznavlink</nav>\
         <article><h1>Glacier study</h1><p>Researchers measured the Korva glacier retreating forty metres in one year.</p>\
         <p>The team used drones and satellite images to map the ice.</p></article>\
         <footer>Copyright zzfooter. All rights reserved.</footer></body></html>",
    )
    .unwrap();
    std::fs::write(docs.join("ignored.bin"), [0u8, 1, 2]).unwrap();
    let index = dir.path().join("idx");
    let (out, _) = add(&index, &["--kind", "reference", docs.to_str().unwrap()]);
    assert!(
        out.contains("added 3, replaced 0, unchanged 0, skipped 0"),
        "{out}"
    );

    let hits = search_json(&index, "glacier drones", &["--mode", "bm25"]);
    assert_eq!(hits[0]["title"], "Glacier study");
    assert_eq!(hits[0]["kind"], "reference");
    for boiler in ["zznavlink", "zzfooter", "zzscript"] {
        assert!(
            search_json(&index, boiler, &["--mode", "bm25"]).is_empty(),
            "{boiler} indexed"
        );
    }
    let hits = search_json(&index, "container terminal", &["--mode", "bm25"]);
    assert_eq!(hits[0]["title"], "Harbour news");
    assert_eq!(hits[0]["doc_id"], "docs/sub/harbour.md");
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn wikipedia_xml_bz2_dump() {
    let dir = tempfile::tempdir().unwrap();
    let xml = r#"<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">
  <siteinfo><sitename>Wikipedia</sitename></siteinfo>
  <page><title>Korva Glacier</title><ns>0</ns><id>10</id>
    <revision><id>500</id><text xml:space="preserve">{{Infobox glacier|name=Korva}}
'''Korva Glacier''' is a [[glacier]] in the [[Northern Range|northern range]].&lt;ref&gt;{{cite book|title=Ice}}&lt;/ref&gt; It retreated forty metres in 2023.

== Studies ==
Drone surveys mapped its [[ice]] each summer.
{| class="wikitable"
| tablecell || zztable
|}
== References ==
* zzreference</text></revision></page>
  <page><title>Korva</title><ns>0</ns><id>11</id><redirect title="Korva Glacier"/>
    <revision><id>501</id><text>#REDIRECT [[Korva Glacier]]</text></revision></page>
  <page><title>Ferro (disambiguation)</title><ns>0</ns><id>12</id>
    <revision><id>502</id><text>'''Ferro''' may refer to: zzdisambig {{disambiguation}}</text></revision></page>
</mediawiki>"#;
    let path = dir.path().join("tiny-pages-articles.xml.bz2");
    std::fs::write(&path, bz2(xml.as_bytes())).unwrap();
    let index = dir.path().join("idx");
    let (out, _) = add(&index, &["--kind", "reference", path.to_str().unwrap()]);
    assert!(
        out.contains("added 1, replaced 0, unchanged 0, skipped 0"),
        "{out}"
    );
    let hits = search_json(&index, "glacier retreated drone", &["--mode", "bm25"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["title"], "Korva Glacier");
    assert_eq!(
        hits[0]["url"],
        "https://en.wikipedia.org/wiki/Korva_Glacier"
    );
    assert_eq!(hits[0]["source"], "wikipedia");
    for gone in ["zztable", "zzreference", "zzdisambig", "Infobox", "cite"] {
        assert!(
            search_json(&index, gone, &["--mode", "bm25"]).is_empty(),
            "{gone} indexed"
        );
    }
}

#[test]
fn reprint_shares_origin_and_unrelated_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wire.jsonl");
    let reprint =
        format!("{VOLCANO} Airlines said services would resume on Wednesday if the wind changes.");
    let lines = [
        serde_json::json!({"id": "agency-1", "title": "Volcano erupts", "text": VOLCANO}),
        serde_json::json!({"id": "paper-7", "title": "Ash cloud grounds flights after Ferro blast", "text": reprint}),
        serde_json::json!({"id": "harbour-1", "title": "Harbour", "text": HARBOUR}),
    ];
    std::fs::write(
        &input,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let index = dir.path().join("idx");
    add(&index, &["--kind", "news", input.to_str().unwrap()]);
    let hits = search_json(
        &index,
        "volcano ash flights harbour terminal",
        &["--mode", "bm25"],
    );
    let origin = |id: &str| {
        hits.iter()
            .find(|h| h["doc_id"] == id)
            .unwrap_or_else(|| panic!("{id} not found"))["origin"]
            .clone()
    };
    assert_eq!(origin("agency-1"), "agency-1");
    assert_eq!(origin("paper-7"), "agency-1");
    assert_eq!(origin("harbour-1"), "harbour-1");
    assert_eq!(stats(&index)["origins"], 2);
}

#[test]
fn hybrid_search_with_dense_vectors_uses_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("n.jsonl");
    std::fs::write(
        &input,
        [
            serde_json::json!({"id": "v", "title": "Volcano", "text": VOLCANO}),
            serde_json::json!({"id": "h", "title": "Harbour", "text": HARBOUR}),
        ]
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect::<String>(),
    )
    .unwrap();
    let index = dir.path().join("idx");
    add(&index, &["--dense", input.to_str().unwrap()]);
    let s = stats(&index);
    assert_eq!(s["dense_vectors"], s["passages"]);
    // No word in common with the volcano text: dense retrieval finds it.
    let hits = search_json(
        &index,
        "eruption of a mountain",
        &["--mode", "dense", "-k", "1"],
    );
    assert_eq!(hits[0]["doc_id"], "v");
    assert!(hits[0]["cosine"].as_f64().unwrap() > 0.2);
    let hits = search_json(&index, "new jobs at the port", &["-k", "2"]);
    assert_eq!(hits[0]["doc_id"], "h");
}

#[test]
fn missing_index_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = veracity()
        .args(["search", "--mode", "bm25", "--index"])
        .arg(dir.path().join("nope"))
        .arg("anything")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no index at") && err.contains("veracity index add"),
        "{err}"
    );
}

/// A JSONL file `name` in `dir` with one record per value.
fn jsonl(dir: &Path, name: &str, records: &[Value]) -> std::path::PathBuf {
    let p = dir.join(name);
    let lines: String = records.iter().map(|r| r.to_string() + "\n").collect();
    std::fs::write(&p, lines).unwrap();
    p
}

/// A JSONL file `name` in `dir` with the one volcano document (id `v`).
fn volcano_jsonl(dir: &Path, name: &str) -> std::path::PathBuf {
    jsonl(
        dir,
        name,
        &[serde_json::json!({"id": "v", "text": VOLCANO})],
    )
}

/// `index add` as a process: exit code, standard output and error.
fn add_status(index: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = veracity()
        .args(["index", "add", "--index"])
        .arg(index)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn good_rows(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("c{i},TV,The television number {i} is on sale.\n"))
        .collect()
}

#[test]
fn csv_stray_quote_loses_only_its_own_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "id,title,text\nc0,TV,The screen is 55\" wide.\nc1,TV,\"The screen is 65 wide.\n{}",
        good_rows(2, 1000)
    );
    let input = dir.path().join("tv.csv");
    std::fs::write(&input, csv).unwrap();
    let index = dir.path().join("idx");
    let (out, err) = add(&index, &[input.to_str().unwrap()]);
    assert!(
        out.contains("added 1001, replaced 0, unchanged 0, skipped 1"),
        "{out}\n{err}"
    );
    assert!(err.contains("tv.csv:3: a quote opens a field"), "{err}");
    let hits = search_json(&index, "55 wide screen", &["--mode", "bm25", "-k", "1"]);
    assert_eq!(hits[0]["doc_id"], "c0");
}

#[test]
fn folder_symlink_loop_and_fifo_do_not_hang_index_add() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    std::fs::create_dir(&f).unwrap();
    std::fs::write(f.join("a.txt"), "Doc. Two.").unwrap();
    std::os::unix::fs::symlink(".", f.join("l1")).unwrap();
    std::os::unix::fs::symlink(".", f.join("l2")).unwrap();
    let fifo = f.join("p.txt");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = common::veracity_process()
        .args(["index", "add", "--index"])
        .arg(dir.path().join("idx"))
        .arg(&f)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = common::wait_at_most(&mut child, 120).expect("index add finished");
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("added 1,"), "{stdout}");
    assert!(stderr.contains("p.txt: not a regular file"), "{stderr}");
}

#[test]
fn broken_pipe_ends_every_command_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..300)
        .map(|i| serde_json::json!({"id": format!("d{i}"), "title": "Profits", "text": format!("Profits rose {i} percent. {HARBOUR}")}))
        .collect();
    let input = jsonl(dir.path(), "n.jsonl", &records);
    let index = dir.path().join("idx");
    let idx = index.to_str().unwrap();
    let article = dir.path().join("a.txt");
    std::fs::write(&article, format!("Port news\n\n{HARBOUR}")).unwrap();
    let art = article.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["index", "add", "--index", idx, input.to_str().unwrap()],
        vec!["index", "stats", "--index", idx],
        vec![
            "search", "--mode", "bm25", "-k", "2000", "--index", idx, "profits",
        ],
        vec![
            "search", "--json", "--mode", "bm25", "--index", idx, "profits",
        ],
        vec!["models", "list"],
        vec!["claims", art],
        vec!["propaganda", art],
        vec!["check", "--index", idx, "Profits rose 7 percent."],
        vec!["analyze", "--index", idx, art],
        vec!["embed", art],
    ];
    for args in commands {
        let mut cmd = common::veracity_process();
        cmd.args(&args);
        let (status, stderr) = common::with_stdout_closed(cmd);
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn index_add_exit_status_says_whether_anything_was_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let good = volcano_jsonl(dir.path(), "good.jsonl");
    let missing = dir.path().join("missing.jsonl");
    // Nothing exists: an error, and no index is created.
    let (code, _, err) = add_status(&index, &[missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("missing.jsonl: no such file or folder"),
        "{err}"
    );
    assert!(!index.exists());
    // A good file and a missing one: the good one is ingested, status 2.
    let (code, out, err) = add_status(&index, &[good.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        out.contains("added 1, replaced 0, unchanged 0, skipped 0"),
        "{out}"
    );
    assert_eq!(stats(&index)["documents"], 1);
    // An empty file: nothing ingested, status 1.
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let (code, _, err) = add_status(&index, &[empty.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    // A UTF-16 file: an error naming the encoding.
    let wide = dir.path().join("wide.jsonl");
    let text = serde_json::json!({"id": "h", "text": HARBOUR}).to_string() + "\n";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&wide, bytes).unwrap();
    let (code, _, err) = add_status(&index, &[wide.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("wide.jsonl: the file is UTF-16LE"), "{err}");
    // Re-adding the good file: replaced counts as work done.
    let (code, _, err) = add_status(&index, &[good.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn wikipedia_invalid_utf8_keeps_the_page_and_the_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = volcano_jsonl(dir.path(), "good.jsonl");
    let more = jsonl(
        dir.path(),
        "more.jsonl",
        &[serde_json::json!({"id": "h", "text": HARBOUR})],
    );
    let xml = dir.path().join("bad-utf8.xml");
    let mut bytes = b"<mediawiki><page><title>Lake Orro</title><ns>0</ns><id>1</id><revision><text>Lake Orro is a lake \xff\xfe in the north. It is deep.</text></revision></page>".to_vec();
    bytes.extend_from_slice(b"<page><title>River Pell</title><ns>0</ns><id>2</id><revision><text>River Pell flows into Lake Orro.</text></revision></page></mediawiki>");
    std::fs::write(&xml, bytes).unwrap();
    let index = dir.path().join("idx");
    let (out, err) = add(
        &index,
        &[
            good.to_str().unwrap(),
            xml.to_str().unwrap(),
            more.to_str().unwrap(),
        ],
    );
    assert!(out.contains("added 4,"), "{out}\n{err}");
    assert!(err.contains("invalid UTF-8 replaced"), "{err}");
    assert_eq!(stats(&index)["documents"], 4);
}

#[test]
fn damaged_posting_file_is_an_error_naming_the_index_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..2000)
        .map(|i| serde_json::json!({"id": format!("d{i}"), "title": format!("Report {i}"), "text": format!("The annual report {i} was published. {VOLCANO} {HARBOUR}")}))
        .collect();
    let input = jsonl(dir.path(), "n.jsonl", &records);
    let index = dir.path().join("idx");
    add(&index, &[input.to_str().unwrap()]);
    let idx = std::fs::read_dir(&index)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&idx).unwrap();
    let mid = bytes.len() / 2 - 100;
    bytes[mid..mid + 200].fill(0xa5);
    std::fs::write(&idx, bytes).unwrap();
    let out = veracity()
        .args(["search", "--mode", "bm25", "--index"])
        .arg(&index)
        .arg("report")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{err}");
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&index.display().to_string()) && err.contains("veracity index add"),
            "{err}"
        );
    }
}

#[test]
fn search_k_0_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = volcano_jsonl(dir.path(), "n.jsonl");
    let index = dir.path().join("idx");
    add(&index, &[input.to_str().unwrap()]);
    let out = veracity()
        .args(["search", "--mode", "bm25", "-k", "0", "--index"])
        .arg(&index)
        .arg("volcano")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-k must be at least 1"));
}
