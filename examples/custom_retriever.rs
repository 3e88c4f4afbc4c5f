//! Plug your own evidence source into the [`Analyzer`]: anything that
//! implements [`Retriever`] (a remote search engine, a database, or, as
//! here, a list of passages in memory ranked by shared words).
//!
//! ```sh
//! cargo run --release --example custom_retriever
//! ```
//!
//! The analyzer asks the retriever for passages per claim, splits them into
//! sentences, embeds them, and decides stance and verdict itself: the
//! retriever only has to find candidates.

use std::collections::HashSet;

use veracity::corpus::{CorpusError, DocKind, Hit, Retriever};
use veracity::Analyzer;

/// Passages in memory, ranked by how many of the query's words they share.
struct InMemory {
    passages: Vec<(String, String, DocKind, String)>, // id, source, kind, text
}

fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

impl Retriever for InMemory {
    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, CorpusError> {
        let q = words(query);
        let mut hits: Vec<Hit> = self
            .passages
            .iter()
            .map(|(id, source, kind, text)| {
                let shared = words(text).intersection(&q).count() as f32;
                Hit {
                    doc_id: id.clone(),
                    title: id.clone(),
                    source: source.clone(),
                    kind: *kind,
                    url: None,
                    text: text.clone(),
                    start: 0,
                    end: text.len(),
                    score: shared,
                    bm25: shared,
                    cosine: 0.0,
                    // Each passage is its own origin: no two are copies.
                    origin: id.clone(),
                }
            })
            .filter(|h| h.score > 0.0)
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k);
        Ok(hits)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let passage = |id: &str, source: &str, kind, text: &str| {
        (id.to_string(), source.to_string(), kind, text.to_string())
    };
    let evidence = InMemory {
        passages: vec![
            passage(
                "atlas-lighthouse",
                "Coastal Atlas",
                DocKind::Reference,
                "The Harrow Point lighthouse was built in 1873 and stands 41 metres tall.",
            ),
            passage(
                "gazette-lighthouse",
                "Harrow Gazette",
                DocKind::News,
                "Harrow Point's lighthouse, first lit in 1873, is the tallest on the coast at 41 metres.",
            ),
        ],
    };
    let analyzer = Analyzer::builder()
        .retriever(evidence)
        .propaganda(false)
        .build()?;
    for claim in [
        "The Harrow Point lighthouse was built in 1873.",
        "The Harrow Point lighthouse was built in 1921.",
    ] {
        let v = analyzer.check(claim)?;
        println!(
            "{claim}\n  -> {} ({:.2}): {}",
            v.verdict, v.confidence, v.explanation
        );
        for e in &v.evidence {
            println!("     {} [{}] {}", e.stance, e.source, e.snippet);
        }
    }
    Ok(())
}
