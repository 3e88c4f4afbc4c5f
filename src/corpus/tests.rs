//! Index-level tests: temporary indexes, replacement, origins, hybrid search.

use std::sync::atomic::AtomicUsize;

use super::*;
use crate::embed::cache::tests::LetterEncoder;

fn doc(id: &str, title: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        title: title.into(),
        text: text.into(),
        url: Some(format!("https://example.org/{id}")),
        source: "test".into(),
        published: Some("2024-01-02".into()),
        kind: DocKind::News,
    }
}

const BUDGET: &str =
    "The city council voted on Tuesday to approve a new budget for the public library system. \
    The plan adds four million dollars for longer opening hours and new books. \
    Council member Ana Ruiz said the vote was a victory for families across the district. \
    Opponents argued the money should go to road repairs instead. \
    The budget takes effect in January after a final review by the mayor's office.";

const COMET: &str = "Astronomers observed a rare comet passing close to Jupiter last week. \
    The comet's tail stretched across millions of kilometres. \
    It is expected to return in about two hundred years.";

#[test]
fn temporary_index_searches_and_reports_offsets() {
    let docs = vec![
        doc("a", "Library budget approved", BUDGET),
        doc("b", "Comet seen", COMET),
    ];
    let index = Index::temporary(&docs, None).unwrap();
    assert_eq!(index.num_documents().unwrap(), 2);
    assert!(index.num_passages().unwrap() >= 3);
    let s = HybridSearcher::new(vec![index], None);
    let hits = s.search("comet near Jupiter", 5).unwrap();
    assert_eq!(hits[0].doc_id, "b");
    assert_eq!(hits[0].kind, DocKind::News);
    assert_eq!(&COMET[hits[0].start..hits[0].end], hits[0].text);
    assert!(hits[0].bm25 > 0.0);
    // one hit per document by default
    let ids: std::collections::HashSet<_> = hits.iter().map(|h| h.doc_id.clone()).collect();
    assert_eq!(ids.len(), hits.len());
}

#[test]
fn re_adding_an_id_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path(), Default::default()).unwrap();
    {
        let mut w = index.writer(WriterOptions::default(), None).unwrap();
        assert!(!w.add(&doc("a", "Old", BUDGET)).unwrap().replaced);
        // replaced within the same batch too
        assert!(w.add(&doc("a", "Old again", BUDGET)).unwrap().replaced);
        w.finish().unwrap();
    }
    let before = index.num_passages().unwrap();
    {
        let mut w = index.writer(WriterOptions::default(), None).unwrap();
        assert!(w.add(&doc("a", "New title", BUDGET)).unwrap().replaced);
        w.finish().unwrap();
    }
    let index = Index::open(dir.path()).unwrap();
    assert_eq!(index.num_documents().unwrap(), 1);
    assert_eq!(index.num_passages().unwrap(), before);
    assert_eq!(index.document("a").unwrap().unwrap().title, "New title");
}

#[test]
fn reprints_share_an_origin_across_commits() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path(), Default::default()).unwrap();
    {
        let mut w = index.writer(WriterOptions::default(), None).unwrap();
        w.add(&doc("orig", "Council approves library budget", BUDGET))
            .unwrap();
        w.add(&doc("other", "Comet", COMET)).unwrap();
        w.finish().unwrap();
    }
    let reprint = format!("{BUDGET} A spokesperson for the mayor declined to comment.");
    let mut w = index.writer(WriterOptions::default(), None).unwrap();
    let o = w
        .add(&doc("copy", "Libraries win big at city hall", &reprint))
        .unwrap();
    assert_eq!(o.origin, "orig");
    let o2 = w.add(&doc("copy2", "Budget vote", &reprint)).unwrap();
    assert_eq!(
        o2.origin, "orig",
        "matched within the uncommitted batch too"
    );
    w.finish().unwrap();
    assert_eq!(index.origin_of("other").unwrap().unwrap(), "other");
    assert_eq!(index.stats().unwrap().origins, 2);
}

#[test]
fn dense_vectors_are_stored_and_used() {
    let enc = LetterEncoder {
        calls: AtomicUsize::new(0),
    };
    let docs = vec![doc("a", "Library budget", BUDGET), doc("b", "Comet", COMET)];
    let index = Index::temporary(&docs, Some(&enc)).unwrap();
    let n = index.num_passages().unwrap() as usize;
    assert_eq!(index.dense().unwrap().len(), n);
    let s = HybridSearcher::new(vec![index], Some(&enc)).with_options(SearchOptions {
        mode: SearchMode::Dense,
        ..SearchOptions::default()
    });
    let hits = s.search("comet tail kilometres", 2).unwrap();
    assert!(hits.iter().all(|h| h.cosine > 0.0));
    // Hybrid: both scores present on a BM25 candidate.
    let s = s.with_options(SearchOptions::default());
    let hits = s.search("comet", 1).unwrap();
    assert_eq!(hits[0].doc_id, "b");
    assert!(hits[0].bm25 > 0.0 && hits[0].cosine > 0.0);
}

#[test]
fn fusion_ranks_by_weighted_scores() {
    use super::index::StoredPassage;
    use super::search::{fuse, Candidate};
    let p = |id: &str| StoredPassage {
        doc_id: id.into(),
        title: String::new(),
        text: String::new(),
        start: 0,
        end: 0,
        key: 0,
        source: String::new(),
        kind: DocKind::Other,
        url: None,
        published: None,
        origin: id.into(),
    };
    let cands = vec![
        Candidate {
            passage: p("x"),
            bm25: Some(10.0),
            cosine: Some(0.1),
        },
        Candidate {
            passage: p("y"),
            bm25: Some(1.0),
            cosine: Some(0.9),
        },
    ];
    let bm = fuse(
        cands.clone(),
        SearchMode::Hybrid,
        Fusion::Linear { weight: 0.2 },
        1,
        2,
    );
    assert_eq!(bm[0].doc_id, "x");
    let co = fuse(
        cands.clone(),
        SearchMode::Hybrid,
        Fusion::Linear { weight: 0.8 },
        1,
        2,
    );
    assert_eq!(co[0].doc_id, "y");
    #[cfg(feature = "experiments")]
    {
        let rrf = fuse(cands, SearchMode::Hybrid, Fusion::Rrf { k: 60.0 }, 1, 2);
        assert_eq!(rrf.len(), 2);
    }
}

#[cfg(feature = "experiments")]
#[test]
fn document_level_fusion_keeps_each_documents_best_scores() {
    use super::index::StoredPassage;
    use super::search::{aggregate_documents, fuse, Candidate};
    let p = |id: &str, text: &str| StoredPassage {
        doc_id: id.into(),
        title: String::new(),
        text: text.into(),
        start: 0,
        end: 0,
        key: 0,
        source: "s".into(),
        kind: DocKind::Other,
        url: None,
        published: None,
        origin: id.into(),
    };
    let c = |id: &str, text: &str, bm25: Option<f32>, cosine: Option<f32>| Candidate {
        passage: p(id, text),
        bm25,
        cosine,
    };
    // Document a: its lexical match and its semantic match are different passages.
    let cands = vec![
        c("a", "a-lexical", Some(9.0), Some(0.30)),
        c("b", "b-both", Some(6.0), Some(0.70)),
        c("a", "a-semantic", None, Some(0.80)),
        c("c", "c-weak", Some(1.0), Some(0.20)),
    ];
    let docs = aggregate_documents(cands.clone());
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].passage.doc_id, "a");
    assert_eq!(docs[0].bm25, Some(9.0));
    assert_eq!(docs[0].cosine, Some(0.80));
    assert_eq!(
        docs[0].passage.text, "a-semantic",
        "the best-cosine passage is shown"
    );
    // Per passage, b wins the fusion; per document, a has both signals and wins.
    let f = Fusion::Linear { weight: 0.5 };
    assert_eq!(
        fuse(cands.clone(), SearchMode::Hybrid, f, 1, 3)[0].doc_id,
        "b"
    );
    assert_eq!(
        fuse(docs.clone(), SearchMode::Hybrid, f, 1, 3)[0].doc_id,
        "a"
    );
    // Single-score rankings do not change with the level.
    for mode in [SearchMode::Bm25, SearchMode::Dense] {
        let ids = |v: Vec<Candidate>| -> Vec<String> {
            fuse(v, mode, f, 1, 3)
                .into_iter()
                .map(|h| h.doc_id)
                .collect()
        };
        assert_eq!(ids(cands.clone()), ids(docs.clone()), "{mode:?}");
    }
}

#[test]
fn without_stored_vectors_the_best_bm25_candidates_are_embedded_on_the_fly() {
    let enc = LetterEncoder {
        calls: AtomicUsize::new(0),
    };
    let docs = vec![
        doc("a", "Library budget", BUDGET),
        doc("b", "Comet", COMET),
        doc(
            "c",
            "Budget comet",
            "The comet budget was small. Budget talks about a comet.",
        ),
    ];
    let index = Index::temporary(&docs, None).unwrap();
    assert!(index.dense().is_none());
    let s = HybridSearcher::new(vec![index], Some(&enc)).with_options(SearchOptions {
        rerank: 1,
        ..SearchOptions::default()
    });
    let cands = s.candidates("budget comet").unwrap();
    // only the best BM25 passage (plus nothing else) got a cosine; the rest were dropped
    assert_eq!(cands.len(), 1);
    assert!(cands[0].cosine.is_some());
    // search embeds at least k
    let hits = s.search("budget comet", 3).unwrap();
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.cosine > 0.0 && h.bm25 > 0.0));
}

#[test]
fn an_interrupted_run_keeps_its_commits_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<Document> = (0..5)
        .map(|i| {
            doc(
                &format!("d{i}"),
                &format!("Doc {i}"),
                &format!("Story number {i} about the harbour. It has {i} ships."),
            )
        })
        .collect();
    {
        let mut index = Index::create(dir.path(), Default::default()).unwrap();
        let mut w = index
            .writer(
                WriterOptions {
                    batch_docs: 2,
                    ..WriterOptions::default()
                },
                None,
            )
            .unwrap();
        for d in &docs {
            w.add(d).unwrap();
        }
        // dropped without finish(): the fifth document was never committed
    }
    let mut index = Index::open(dir.path()).unwrap();
    assert_eq!(index.num_documents().unwrap(), 4);
    let mut w = index.writer(WriterOptions::default(), None).unwrap();
    let replaced = docs.iter().filter(|d| w.add(d).unwrap().replaced).count();
    w.finish().unwrap();
    assert_eq!(replaced, 4);
    assert_eq!(index.num_documents().unwrap(), 5);
}

#[test]
fn rerank_choice_spreads_over_documents_first() {
    use super::search::spread_over_documents;
    let ids = ["a", "a", "a", "b", "a", "c"];
    assert_eq!(spread_over_documents(&ids, 3), vec![0, 3, 5]);
    assert_eq!(spread_over_documents(&ids, 4), vec![0, 1, 3, 5]);
    assert_eq!(spread_over_documents(&ids, 10), vec![0, 1, 2, 3, 4, 5]);
    assert!(spread_over_documents(&ids, 0).is_empty());
}

#[test]
fn damaged_index_panic_becomes_an_error_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::create(dir.path(), Default::default()).unwrap();
    {
        let mut w = index.writer(WriterOptions::default(), None).unwrap();
        for i in 0..300 {
            w.add(&doc(&format!("d{i}"), "Library budget report", BUDGET))
                .unwrap();
        }
        w.finish().unwrap();
    }
    drop(index);
    // A panic inside a read (tantivy's bitpacker on an overwritten posting
    // list) is contained; tests/corpus_cli.rs damages a real index.
    let index = Index::open(dir.path()).unwrap();
    let e = index
        .guarded(|| -> Result<(), CorpusError> { panic!("bitpacker out of range") })
        .unwrap_err();
    assert!(matches!(e, CorpusError::Damaged { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    assert!(msg.contains("bitpacker out of range") && msg.contains("veracity index add"));
}

#[test]
fn deleted_settings_file_is_reported_alike_by_open_and_create() {
    let dir = tempfile::tempdir().unwrap();
    drop(Index::create(dir.path(), Default::default()).unwrap());
    std::fs::remove_file(dir.path().join("veracity-index.json")).unwrap();
    let opened = Index::open(dir.path()).err().unwrap().to_string();
    let created = Index::open_or_create(dir.path()).err().unwrap().to_string();
    assert_eq!(opened, created);
    assert!(
        opened.contains("veracity-index.json") && opened.contains("rebuild"),
        "{opened}"
    );
}
