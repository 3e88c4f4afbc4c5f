//! veracity: offline fact-checking of news articles.
//!
//! Data flow (see ARCHITECTURE.md): text → sentences → check-worthy claims →
//! evidence retrieved from local corpora → stance and verdicts, plus a
//! propaganda score, rendered as reports. All ML runs locally in candle behind
//! the [`embed::Encoder`] trait.

mod analyzer;
pub mod archive;
pub mod bench;
pub mod claims;
pub mod corpus;
pub mod embed;
mod error;
pub mod eval;
pub mod heads;
pub mod lang;
pub mod metrics;
pub mod progress;
pub mod propaganda;
pub mod report;
pub mod rng;
#[cfg(feature = "serve")]
pub mod serve;
pub mod text;
pub mod train;
pub mod verdict;

pub use analyzer::{article_name, Analyzer, AnalyzerBuilder, Progress, Quiet, CACHE_VECTORS};
pub use error::{Error, Result};
pub use report::{ArticleReport, Report};
pub use text::Article;
pub use verdict::Verdict;
