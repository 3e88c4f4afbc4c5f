//! Analyse the bundled demo article against the bundled demo corpus through
//! the library, and print each claim's verdict.
//!
//! ```sh
//! cargo run --release --example analyze_article
//! ```
//!
//! The same as `veracity analyze examples/demo-article.txt --corpus
//! examples/demo-corpus.jsonl`, without the binary: build an [`Analyzer`]
//! once (it loads the model, fetching it on first use, and indexes the
//! evidence), then analyse as many articles as you like with it.

use std::path::{Path, PathBuf};

use veracity::corpus::ingest::{self, IngestOptions};
use veracity::text::read_article;
use veracity::Analyzer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let corpus: PathBuf = here.join("demo-corpus.jsonl");
    // Evidence documents: JSONL with id, title, text, url, source, published
    // and kind; a malformed record would be skipped and listed here.
    let read = ingest::collect(&[corpus], &IngestOptions::default())?;
    for note in &read.skipped {
        eprintln!("skipped {note}");
    }
    let analyzer = Analyzer::builder().documents(read.docs).build()?;

    let article = read_article(&here.join("demo-article.txt"))?;
    let report = analyzer.analyze(&article)?;
    println!(
        "{}: {} sentences, {} claims checked",
        report.title.as_deref().unwrap_or(&report.path),
        report.sentences,
        report.claims_extracted
    );
    for c in &report.claims {
        println!(
            "- [{}] {} (confidence {:.2})\n    {}",
            c.verdict, c.text, c.confidence, c.explanation
        );
    }
    if let Some(p) = &report.propaganda {
        println!("propaganda score {:.0}% ({} risk)", p.score, p.risk);
    }
    Ok(())
}
