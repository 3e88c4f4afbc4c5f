//! veracity: offline fact-checking of news articles.
//!
//! Data flow (see ARCHITECTURE.md): text → sentences → check-worthy claims →
//! evidence retrieved from local corpora → stance and verdicts, plus a
//! propaganda score, rendered as reports. All ML runs locally in candle behind
//! the [`embed::Encoder`] trait.

pub mod claims;
pub mod corpus;
pub mod embed;
pub mod heads;
pub mod propaganda;
pub mod report;
pub mod rng;
pub mod text;
pub mod verdict;
