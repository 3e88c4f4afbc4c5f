//! End-to-end tests of `veracity serve`: every endpoint on a real server
//! on loopback, the 413 / 503 / 504 / 401 paths, graceful shutdown, and
//! concurrent requests giving the same report as `veracity analyze`.
#![cfg(feature = "serve")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ARTICLE: &str = "examples/demo-article.txt";
const CORPUS: &str = "examples/demo-corpus.jsonl";

/// A `veracity serve` process on a free loopback port, killed on drop.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let bin = assert_cmd::cargo::cargo_bin("veracity");
        let mut child = Command::new(bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--corpus", CORPUS])
            .args(extra)
            .env_remove("VERACITY_MODEL_DIR")
            .env_remove("VERACITY_OFFLINE")
            .env_remove("VERACITY_API_KEY")
            .env("VERACITY_THREADS", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let base = loop {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                panic!("veracity serve ended before listening: {seen}");
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = err.read_to_string(&mut sink);
        });
        Served { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Status, headers we look at, and body of a request.
struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn call(req: ureq::Request, body: Option<&[u8]>) -> Answer {
    let r = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    Answer {
        status: resp.status(),
        content_type: resp.header("content-type").unwrap_or("").to_string(),
        retry_after: resp.header("retry-after").map(str::to_string),
        body: resp.into_string().unwrap(),
    }
}

fn post(s: &Served, path: &str, ct: &str, body: &[u8]) -> Answer {
    call(
        ureq::post(&s.url(path))
            .set("content-type", ct)
            .timeout(Duration::from_secs(300)),
        Some(body),
    )
}

/// POST `/` with a multipart form body as a browser sends it.
fn post_form(s: &Served, boundary: &str, form: &str) -> Answer {
    post(
        s,
        "/",
        &format!("multipart/form-data; boundary={boundary}"),
        form.as_bytes(),
    )
}

fn get(s: &Served, path: &str) -> Answer {
    call(ureq::get(&s.url(path)), None)
}

fn article() -> Vec<u8> {
    std::fs::read(ARTICLE).unwrap()
}

/// The report of `veracity analyze -` on the demo article, as JSON.
fn cli_report() -> serde_json::Value {
    let out = common::veracity()
        .args(["analyze", "-", "--format", "json", "--corpus", CORPUS])
        .write_stdin(article())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_endpoint_answers_and_concurrent_reports_equal_the_cli() {
    let s = Served::start(&[]);
    let h = get(&s, "/healthz");
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_eq!(h.json()["evidence"], true);

    // Four articles at once (batched together by the server's queue): each
    // report is the one `veracity analyze` writes for the same article.
    let expected = cli_report();
    let answers: Vec<Answer> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| sc.spawn(|| post(&s, "/v1/analyze", "text/plain", &article())))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.content_type.starts_with("application/json"));
        let got = a.json();
        let diff = common::json_differences(&expected["articles"], &got["articles"], 1e-3);
        assert!(diff.is_empty(), "server and CLI reports differ: {diff:?}");
        assert_eq!(got["schema_version"], 1);
    }
    let counts = &answers[0].json()["articles"][0]["verdict_counts"];
    for v in [
        "corroborated",
        "verified_by_reference",
        "single_source",
        "contradicted",
        "disputed",
        "insufficient_evidence",
    ] {
        assert_eq!(counts[v], 1, "{v}: {counts}");
    }

    // JSON and HTML bodies.
    let text = String::from_utf8(article()).unwrap();
    let (title, body) = text.split_once('\n').unwrap();
    let req = serde_json::json!({"title": title, "text": body, "url": "https://news.example/sarn"});
    let j = post(
        &s,
        "/v1/analyze",
        "application/json",
        req.to_string().as_bytes(),
    );
    assert_eq!(j.status, 200, "{}", j.body);
    assert_eq!(j.json()["articles"][0]["path"], "https://news.example/sarn");
    assert_eq!(j.json()["articles"][0]["title"], title);
    let html = format!(
        "<html><head><title>{title}</title></head><body><article>{}</article></body></html>",
        body.split("\n\n")
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>()
    );
    let hr = post(&s, "/v1/analyze", "text/html", html.as_bytes());
    assert_eq!(hr.status, 200, "{}", hr.body);
    assert_eq!(hr.json()["articles"][0]["claims_extracted"], 6);

    // Claims and search.
    let c = post(
        &s,
        "/v1/check",
        "application/json",
        br#"{"claims": ["The Sarn Bridge opened in 1998.", "Velmora has a second airport."]}"#,
    );
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.json()["verdicts"].as_array().unwrap().len(), 2);
    assert_eq!(
        c.json()["verdicts"][0]["claim"],
        "The Sarn Bridge opened in 1998."
    );
    let q = get(&s, "/v1/search?q=Sarn%20Bridge%20opened&k=3");
    assert_eq!(q.status, 200, "{}", q.body);
    let hits = q.json()["hits"].as_array().unwrap().clone();
    assert!(!hits.is_empty() && hits.len() <= 3);
    assert_eq!(hits[0]["doc_id"], "enc-sarn-bridge");

    // The page, its form posted as a browser does (multipart).
    let page = get(&s, "/");
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("<form") && page.body.contains("name=\"text\""));
    let boundary = "veracity-test-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let shown = post_form(&s, boundary, &form);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("<section id=\"report\">"));
    assert!(shown.body.contains("badge v-contradicted"));
    // Uploaded as a file instead.
    let upload = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n--{boundary}\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"story.html\"\r\nContent-Type: text/html\r\n\r\n{html}\r\n--{boundary}--\r\n"
    );
    let up = post_form(&s, boundary, &upload);
    assert_eq!(up.status, 200, "{}", up.body);
    assert!(up.body.contains("badge v-corroborated"));
    // An empty form is the client's mistake, shown on the page.
    let empty = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n  \r\n--{boundary}--\r\n"
    );
    let e = post_form(&s, boundary, &empty);
    assert_eq!(e.status, 422);
    assert!(e.body.contains("role=\"alert\""));

    // Spec, metrics, 404s.
    let spec = get(&s, "/openapi.json");
    assert_eq!(spec.status, 200);
    assert!(spec.json()["paths"]["/v1/analyze"]["post"].is_object());
    let m = get(&s, "/metrics");
    assert_eq!(m.status, 200);
    assert!(m.content_type.starts_with("text/plain"));
    assert!(m
        .body
        .contains("veracity_http_requests_total{route=\"/v1/analyze\",status=\"200\"} 6"));
    // Six through the API, two through the page.
    assert!(m.body.contains("veracity_articles_analyzed_total 8"));
    assert!(m.body.contains("veracity_queue_depth 0"));
    let sentences: u64 = m
        .body
        .lines()
        .find_map(|l| l.strip_prefix("veracity_sentences_embedded_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(sentences > 0);
    let nf = get(&s, "/nope");
    assert_eq!(nf.status, 404);
    assert!(nf.json()["error"].is_string());
    assert_eq!(get(&s, "/archive").status, 404);
}

#[test]
fn client_mistakes_get_a_4xx_with_a_json_error() {
    let s = Served::start(&["--max-body-bytes", "100000"]);
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        (
            "/v1/analyze",
            "application/json",
            b"{\"text\": ".to_vec(),
            400,
        ),
        ("/v1/analyze", "application/json", b"[1, 2]".to_vec(), 422),
        (
            "/v1/analyze",
            "application/json",
            br#"{"text": ""}"#.to_vec(),
            422,
        ),
        ("/v1/analyze", "text/plain", b"   \n ".to_vec(), 422),
        (
            "/v1/analyze",
            "text/plain",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            415,
        ),
        ("/v1/analyze", "image/png", b"x".to_vec(), 415),
        ("/v1/analyze", "text/plain", vec![b'a'; 200_000], 413),
        ("/v1/check", "application/json", b"{}".to_vec(), 422),
        (
            "/v1/check",
            "application/json",
            br#"{"claims": [""]}"#.to_vec(),
            422,
        ),
        ("/v1/check", "text/plain", b"A claim.".to_vec(), 415),
    ];
    for (path, ct, body, want) in cases {
        let a = post(&s, path, ct, &body);
        assert_eq!(a.status, want, "{path} {ct}: {}", a.body);
        assert!(a.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let many: Vec<String> = (0..101).map(|i| format!("Claim {i}.")).collect();
    let a = post(
        &s,
        "/v1/check",
        "application/json",
        serde_json::json!({ "claims": many }).to_string().as_bytes(),
    );
    assert_eq!(a.status, 422);
    assert_eq!(get(&s, "/v1/search").status, 400);
    assert_eq!(get(&s, "/v1/search?q=x&k=0").status, 422);
    assert_eq!(get(&s, "/v1/search?q=%20").status, 422);
    assert_eq!(get(&s, "/v1/search?q=x&k=abc").status, 400);
    let wrong = call(ureq::get(&s.url("/v1/analyze")), None);
    assert_eq!(wrong.status, 405);
    // The server is still up and answers.
    assert_eq!(get(&s, "/healthz").status, 200);
}

#[test]
fn a_full_queue_answers_503_with_retry_after_and_a_slow_request_504() {
    let s = Served::start(&["--queue", "1", "--max-batch", "1"]);
    let answers: Vec<Answer> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..8)
            .map(|_| sc.spawn(|| post(&s, "/v1/analyze", "text/plain", &article())))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 503));
    assert!(answers.iter().any(|a| a.status == 200));
    assert!(
        !busy.is_empty(),
        "8 requests at once with a queue of 1: none refused"
    );
    for b in busy {
        assert_eq!(b.retry_after.as_deref(), Some("1"));
        assert!(b.json()["error"].as_str().unwrap().contains("busy"));
    }
    drop(s);

    let s = Served::start(&["--timeout", "0.001"]);
    let a = post(&s, "/v1/analyze", "text/plain", &article());
    assert_eq!(a.status, 504, "{}", a.body);
    assert!(a.json()["error"].as_str().unwrap().contains("--timeout"));
    // The server goes on after the timed-out request.
    assert_eq!(get(&s, "/healthz").status, 200);
}

#[test]
fn the_api_key_guards_v1_only() {
    let s = Served::start(&["--api-key", "s3cret"]);
    let no = post(
        &s,
        "/v1/check",
        "application/json",
        br#"{"claims": ["X is Y."]}"#,
    );
    assert_eq!(no.status, 401);
    assert!(no.json()["error"].as_str().unwrap().contains("API key"));
    let wrong = call(
        ureq::post(&s.url("/v1/check"))
            .set("content-type", "application/json")
            .set("authorization", "Bearer s3cres"),
        Some(br#"{"claims": ["X is Y."]}"#),
    );
    assert_eq!(wrong.status, 401);
    let right = call(
        ureq::post(&s.url("/v1/check"))
            .set("content-type", "application/json")
            .set("authorization", "Bearer s3cret"),
        Some(br#"{"claims": ["The Sarn Bridge opened in 1998."]}"#),
    );
    assert_eq!(right.status, 200, "{}", right.body);
    assert_eq!(get(&s, "/healthz").status, 200);
    assert_eq!(get(&s, "/metrics").status, 200);
}

#[cfg(unix)]
#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0() {
    let mut s = Served::start(&[]);
    let url = s.url("/v1/analyze");
    let inflight = std::thread::spawn(move || {
        call(
            ureq::post(&url)
                .set("content-type", "text/plain")
                .timeout(Duration::from_secs(300)),
            Some(&article()),
        )
    });
    // Let the request reach the analyzer, then ask the server to stop.
    std::thread::sleep(Duration::from_millis(300));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let a = inflight.join().unwrap();
    assert_eq!(a.status, 200, "the request in flight was cut: {}", a.body);
    let status = s.child.wait().unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}

#[test]
fn the_library_serves_without_the_binary() {
    use veracity::serve::{ServeOptions, Server};
    let docs =
        veracity::corpus::ingest::collect(&[std::path::PathBuf::from(CORPUS)], &Default::default())
            .unwrap()
            .docs;
    let analyzer = veracity::Analyzer::builder()
        .documents(docs)
        .build()
        .unwrap();
    let opts = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..ServeOptions::default()
    };
    let server = Server::bind(analyzer, opts).unwrap();
    let base = format!("http://{}", server.addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = std::thread::spawn(move || {
        server
            .run_until(async {
                let _ = stopped.await;
            })
            .unwrap()
    });
    let a = call(
        ureq::post(&format!("{base}/v1/check")).set("content-type", "application/json"),
        Some(br#"{"claims": ["The Sarn Bridge opened in 1998."]}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v: veracity::serve::api::CheckResponse = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v.verdicts.len(), 1);
    stop.send(()).unwrap();
    running.join().unwrap();
}

#[test]
fn the_archive_page_reads_the_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.sqlite");
    let out = common::veracity()
        .args(["archive", "score", "--db"])
        .arg(&db)
        .args(["--corpus", CORPUS, "tests/fixtures/archive/articles.jsonl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = Served::start(&["--db", db.to_str().unwrap()]);
    let page = get(&s, "/archive");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("Archive report"));
    assert!(get(&s, "/").body.contains("href=\"/archive\""));
    drop(s);
    // A database that is not there is an error at start, not at the first visit.
    let bin = assert_cmd::cargo::cargo_bin("veracity");
    let out = Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("missing.sqlite"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.sqlite"));
}
