//! Evidence corpora: ingest, passage index, hybrid retrieval and source
//! independence.
//!
//! Documents (an encyclopedia dump, a news archive, a folder of files) are
//! split into passages (sentence windows that keep their byte offsets in the
//! document text) and indexed in tantivy for BM25. With `--dense`, passage
//! embeddings are stored as f16 beside the index. Near-duplicate documents
//! (wire copies, reprints) share an `origin` id computed at ingest with
//! shingle MinHash and LSH banding, so later stages count independent origins.
//!
//! Search goes through the [`Retriever`] trait; [`HybridSearcher`] is the
//! embedded implementation over one or more [`Index`]es.

pub mod dense;
pub mod index;
pub mod ingest;
pub mod origin;
pub mod passages;
pub mod search;
#[cfg(test)]
mod tests;
pub mod textsplit;
pub mod wikitext;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use index::{AddOutcome, Index, IndexStats, StoredPassage, Writer, WriterOptions};
pub use search::{Fusion, FusionLevel, HybridSearcher, SearchMode, SearchOptions};

/// What kind of evidence a document is.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// Encyclopedia or other reference work.
    Reference,
    /// News reporting.
    News,
    /// Anything else.
    #[default]
    Other,
    /// Another article given for cross-reference.
    CrossReference,
}

impl DocKind {
    /// The kebab-case name used in the index and on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocKind::Reference => "reference",
            DocKind::News => "news",
            DocKind::Other => "other",
            DocKind::CrossReference => "cross-reference",
        }
    }

    /// Parse a kebab-case name.
    pub fn parse(s: &str) -> Option<DocKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reference" => Some(DocKind::Reference),
            "news" => Some(DocKind::News),
            "other" => Some(DocKind::Other),
            "cross-reference" | "cross_reference" | "crossreference" => {
                Some(DocKind::CrossReference)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One evidence document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub text: String,
    pub url: Option<String>,
    pub source: String,
    pub published: Option<String>,
    pub kind: DocKind,
}

/// One retrieved passage.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub kind: DocKind,
    pub url: Option<String>,
    /// The passage text.
    pub text: String,
    /// Passage start, a byte offset into the document text.
    pub start: usize,
    /// Passage end (exclusive), a byte offset into the document text.
    pub end: usize,
    /// The fused score (higher is better); its scale depends on the fusion.
    pub score: f32,
    /// The BM25 score of the passage (0 when it was not a BM25 candidate).
    pub bm25: f32,
    /// Cosine similarity of passage and query embeddings (0 without an encoder).
    pub cosine: f32,
    /// Near-duplicate group: documents with the same origin are copies of one another.
    pub origin: String,
}

/// A passage retriever. The embedded tantivy searcher implements it; a remote
/// engine or an in-memory list can too (see `examples/custom_retriever.rs`).
/// `Send + Sync`, so that one [`crate::Analyzer`] can serve several threads.
pub trait Retriever: Send + Sync {
    /// The `k` best passages for `query`, best first.
    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, CorpusError>;
}

/// Errors from ingest, indexing and search.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("index error in {path}: {reason}")]
    Index { path: PathBuf, reason: String },
    /// The index store (tantivy, or a file of the index) failed; `source`
    /// says how.
    #[error("index error in {path}")]
    Store {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("no index at {0}; create one with `veracity index add --index {0} ...`")]
    NoIndex(PathBuf),
    /// Another writer holds the index (tantivy's writer lock).
    #[error("the index at {0} is being written by another `veracity index add` (or another program); wait for it to finish, then run this again")]
    Busy(PathBuf),
    /// An index whose files are damaged (tantivy failed, or panicked, on them).
    #[error("the index at {path} is damaged ({detail}); rebuild it: move the folder away and run `veracity index add --index {path} ...` again with its inputs")]
    Damaged { path: PathBuf, detail: String },
    #[error("{path}:{line}: {reason}")]
    Record {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("unsupported input {path}: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    #[error("bad query '{query}': {reason}")]
    Query { query: String, reason: String },
    #[error("embedding failed: {0}")]
    Embed(#[from] crate::embed::EmbedError),
    #[error("dense vectors in {path} were made by {found} ({found_dims} dims) but the encoder is {expected} ({expected_dims} dims); rebuild the dense vectors with the model {found}, or search with that model, or without stored vectors")]
    DenseModel {
        path: PathBuf,
        found: String,
        found_dims: usize,
        expected: String,
        expected_dims: usize,
    },
    #[error("{0}")]
    Invalid(String),
}

impl CorpusError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CorpusError::Io {
            path: path.into(),
            source,
        }
    }

    /// A failure of the index store, kept whole as the source.
    pub(crate) fn store(
        path: impl Into<PathBuf>,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        CorpusError::Store {
            path: path.into(),
            source: e.into(),
        }
    }

    pub(crate) fn index(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        CorpusError::Index {
            path: path.into(),
            reason: e.to_string(),
        }
    }
}
