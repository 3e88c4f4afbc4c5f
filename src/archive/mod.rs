//! Scoring a news archive: every article analysed by one [`Analyzer`],
//! the results in a SQLite database (or as JSON lines for a distributed
//! engine's worker), trends per outlet and period, exports.
//!
//! - [`score`] reads JSONL (plain, `.gz`, `.bz2`, `.zst`, or standard input),
//!   CSV and folders with the readers of `index add`, skips what the
//!   database already holds with the same model, configuration and content,
//!   analyses the rest in batches (the sentences of a batch's articles are
//!   embedded together, articles analysed in parallel) and commits each
//!   batch in one transaction: a killed run and a rerun leave every article
//!   scored exactly once.
//! - [`report`] aggregates the database into trends (propaganda score over
//!   time per outlet, verdict mix, techniques, the most contradicted and
//!   disputed claims) and renders them as HTML (charts drawn by `plotters`),
//!   Markdown or JSON.
//! - [`export`] writes a table as JSON lines or CSV; [`import`] reads the
//!   result lines of `archive score --db -` into a database.
//!
//! The schema is in `docs/archive.md`.

pub mod dates;
pub mod export;
pub mod record;
pub mod report;
mod score;
pub mod store;

use std::path::{Path, PathBuf};

pub use record::{
    ArticleRecord, ClaimRecord, EvidenceRecord, FailureRecord, InputArticle, ResultLine,
    TechniqueRecord,
};
pub use score::{import, score, Output, ScoreOptions, ScoreProgress, ScoreSummary};
pub use store::{Store, StoreCounts, SCHEMA_VERSION, TABLES};

/// Errors of the archive database and its runs.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive database {}", path.display())]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "{} is being written by another `veracity archive score` (it holds {}); \
         wait for it to finish, or score into another database",
        db.display(),
        lock.display()
    )]
    Busy { db: PathBuf, lock: PathBuf },
    #[error("no archive database at {} (create one with `veracity archive score --db {}`)", .0.display(), .0.display())]
    NoDatabase(PathBuf),
    #[error("{} is not a veracity archive database: {reason}", path.display())]
    NotArchive { path: PathBuf, reason: String },
    #[error(
        "{} has archive schema version {}, this veracity reads version {expected}; \
         score into a new database",
        path.display(),
        found.map_or("none".to_string(), |v| v.to_string())
    )]
    Schema {
        path: PathBuf,
        found: Option<i64>,
        expected: i64,
    },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing Parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("{0}")]
    Invalid(String),
}

impl ArchiveError {
    pub(crate) fn db(path: &Path, source: rusqlite::Error) -> Self {
        ArchiveError::Db {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The time now, RFC 3339 in UTC with milliseconds.
pub(crate) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The cross-reference index kept beside a database: `<db>.xref/`.
pub fn cross_reference_dir(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".xref");
    PathBuf::from(s)
}
