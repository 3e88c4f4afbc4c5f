//! The library used as a Rust program would use it, without the binary:
//! an `Analyzer` built once, then articles, batches and claims through it.

use std::path::Path;
use std::sync::OnceLock;

use veracity::corpus::ingest::{self, IngestOptions};
use veracity::corpus::{CorpusError, DocKind, Hit, Retriever};
use veracity::text::{parse_article, read_article};
use veracity::verdict::VerdictKind;
use veracity::{Analyzer, Article, Error, Report};

mod common;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The demo corpus's documents.
fn demo_docs() -> Vec<veracity::corpus::Document> {
    let read = ingest::collect(
        &[root().join("examples/demo-corpus.jsonl")],
        &IngestOptions::default(),
    )
    .unwrap();
    assert!(read.skipped.is_empty(), "{:?}", read.skipped);
    read.docs
}

/// One analyzer over the demo corpus, shared by the tests (it is `Sync`).
fn demo_analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Analyzer::builder().documents(demo_docs()).build().unwrap())
}

fn demo_article() -> Article {
    read_article(&root().join("examples/demo-article.txt")).unwrap()
}

#[test]
fn the_demo_article_has_six_claims_one_of_each_verdict() {
    let report = demo_analyzer().analyze(&demo_article()).unwrap();
    let kinds: std::collections::BTreeSet<VerdictKind> =
        report.claims.iter().map(|c| c.verdict).collect();
    assert_eq!(report.claims.len(), 6, "{:#?}", report.claims);
    assert_eq!(kinds.len(), 6, "one of each verdict: {kinds:?}");
    assert!(report.propaganda.is_some());
    assert!(report.path.ends_with("demo-article.txt"), "{}", report.path);
}

/// The library gives the report the command line gives (the committed demo
/// report, `veracity analyze examples/demo-article.txt --corpus
/// examples/demo-corpus.jsonl --format json`).
#[test]
fn the_library_gives_the_committed_demo_report() {
    let mut article = demo_article();
    article.path = Some("examples/demo-article.txt".into());
    let report = Report::new(vec![demo_analyzer().analyze(&article).unwrap()]);
    let got: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/analyze/demo-report.json")).unwrap(),
    )
    .unwrap();
    let diff = common::json_differences(&got, &want, 1e-4);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

#[test]
fn one_analyzer_serves_several_threads_with_the_same_results() {
    let a = demo_analyzer();
    let article = demo_article();
    let alone = a.analyze(&article).unwrap();
    let from_threads: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| a.analyze(&article))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in from_threads {
        assert_eq!(r.unwrap(), alone);
    }
}

#[test]
fn articles_of_a_batch_are_evidence_for_each_other_but_not_for_themselves() {
    let dir = root().join("tests/fixtures/analyze");
    let batch = [
        read_article(&dir.join("kessel-a.txt")).unwrap(),
        read_article(&dir.join("kessel-b.txt")).unwrap(),
    ];
    let analyzer = Analyzer::builder().propaganda(false).build().unwrap();
    assert!(!analyzer.has_evidence());
    let reports = analyzer.analyze_batch(&batch).unwrap();
    assert_eq!(reports.len(), 2);
    let mut cross = 0;
    for (i, r) in reports.iter().enumerate() {
        assert!(r.propaganda.is_none(), "propaganda scoring was turned off");
        for c in &r.claims {
            for e in &c.evidence {
                assert_eq!(e.kind, DocKind::CrossReference);
                assert_ne!(e.source, r.path, "article {i} cites itself");
                cross += 1;
            }
        }
    }
    assert!(cross > 0, "the two articles share claims: {reports:#?}");
}

#[test]
fn a_claim_without_evidence_has_insufficient_evidence() {
    let analyzer = Analyzer::builder().propaganda(false).build().unwrap();
    let v = analyzer.check("The Sarn Bridge opened in 1998.").unwrap();
    assert_eq!(v.verdict, VerdictKind::InsufficientEvidence);
    assert!(v.evidence.is_empty());
}

/// Two passages from two independent origins, whatever the query.
struct Fixed;

impl Retriever for Fixed {
    fn search(&self, _query: &str, k: usize) -> Result<Vec<Hit>, CorpusError> {
        let hit = |id: &str, source: &str, text: &str| Hit {
            doc_id: id.into(),
            title: id.into(),
            source: source.into(),
            kind: DocKind::News,
            url: None,
            text: text.into(),
            start: 0,
            end: text.len(),
            score: 1.0,
            bm25: 1.0,
            cosine: 0.0,
            origin: id.into(),
        };
        let mut hits = vec![
            hit(
                "a",
                "Harrow Gazette",
                "The Harrow Point lighthouse was built in 1873.",
            ),
            hit(
                "b",
                "Coast Weekly",
                "Built in 1873, the Harrow Point lighthouse still guides ships.",
            ),
        ];
        hits.truncate(k);
        Ok(hits)
    }
}

#[test]
fn a_custom_retriever_is_searched_and_its_independent_sources_corroborate() {
    let analyzer = Analyzer::builder()
        .retriever(Fixed)
        .propaganda(false)
        .build()
        .unwrap();
    let v = analyzer
        .check("The Harrow Point lighthouse was built in 1873.")
        .unwrap();
    assert_eq!(v.verdict, VerdictKind::Corroborated, "{v:#?}");
    let sources: Vec<&str> = v.evidence.iter().map(|e| e.source.as_str()).collect();
    assert!(sources.contains(&"Harrow Gazette") && sources.contains(&"Coast Weekly"));
}

#[test]
fn text_given_directly_is_analysed_and_named_dash() {
    let article = parse_article(
        "Bridge facts\n\nThe Sarn Bridge opened in 1998 and is 620 metres long.".into(),
        Path::new("given.txt"),
    )
    .unwrap();
    let r = demo_analyzer().analyze(&article).unwrap();
    assert_eq!(r.path, "-");
    assert_eq!(r.title.as_deref(), Some("Bridge facts"));
    assert_eq!(
        r.sentences, 1,
        "the title line is not a sentence of the body"
    );
}

#[test]
fn bad_settings_are_errors_that_name_the_problem() {
    match Analyzer::builder().min_checkworthiness(1.5).build() {
        Err(Error::Invalid(m)) => assert!(m.contains("[0, 1]"), "{m}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a threshold of 1.5 was accepted"),
    }
    let missing = root().join("tests/fixtures/no-such-index");
    match Analyzer::builder().index(&missing).build() {
        Err(Error::Corpus(e)) => assert!(e.to_string().contains("no-such-index"), "{e}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a missing index was opened"),
    }
}

/// Result lines written into memory (an `archive::Output::Lines` target).
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_archive_is_scored_through_the_library_into_a_database_and_as_result_lines() {
    use veracity::archive::{self, report, Output, ResultLine, ScoreOptions, ScoreProgress, Store};
    struct Silent;
    impl ScoreProgress for Silent {
        fn note(&self, _line: &str) {}
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = ScoreOptions {
        inputs: vec![root().join("tests/fixtures/archive/bad.jsonl")],
        ..ScoreOptions::default()
    };
    let builder = || Analyzer::builder().documents(demo_docs());
    let db = dir.path().join("lib.sqlite");
    let s = archive::score(builder(), &opts, Output::Database(db.clone()), &Silent).unwrap();
    assert_eq!((s.read, s.scored, s.failed), (1, 1, 3));
    let store = Store::open_reader(&db).unwrap();
    let r = report::build(&store, &report::ReportOptions::default()).unwrap();
    assert_eq!((r.articles, r.failures), (1, 3));
    assert_eq!(r.groups, ["Coast Courier"]);

    let lines = Lines::default();
    let s2 = archive::score(
        builder(),
        &opts,
        Output::Lines(Box::new(lines.clone())),
        &Silent,
    )
    .unwrap();
    assert_eq!(s2.scored, 1);
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let parsed: Vec<ResultLine> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let records: Vec<_> = parsed
        .iter()
        .filter_map(|l| match l {
            ResultLine::Article(a) => Some(a),
            ResultLine::Failure { .. } => None,
        })
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, "courier-2025-03-01-mayor");
    assert_eq!(records[0].published.as_deref(), Some("2025-03-01"));
}
