//! The crate's error: one [`Error`] over every stage's own error type, each
//! kept whole as the source (nothing is flattened into a string), so that a
//! caller can walk the chain with [`std::error::Error::source`] or match on
//! the stage that failed.

use crate::claims::ClaimsError;
use crate::corpus::CorpusError;
use crate::embed::EmbedError;
use crate::propaganda::PropagandaError;
use crate::text::TextError;
use crate::verdict::VerdictError;

/// What went wrong, by stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Resolving, loading or running an embedding model.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// Reading, indexing or searching evidence.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// Reading or decoding an article.
    #[error(transparent)]
    Text(#[from] TextError),
    /// The check-worthiness model.
    #[error(transparent)]
    Claims(#[from] ClaimsError),
    /// Stance, verdict rules or their configuration.
    #[error(transparent)]
    Verdict(#[from] VerdictError),
    /// The propaganda model.
    #[error(transparent)]
    Propaganda(#[from] PropagandaError),
    /// The learned-head toolkit (training, weights, provenance).
    #[error(transparent)]
    Heads(#[from] crate::heads::HeadsError),
    /// The archive's results database (`veracity archive`).
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// A language veracity has no word lists for.
    #[error(transparent)]
    Language(#[from] crate::lang::LanguageError),
    /// A stage failed on one article; `source` says how.
    #[error("{stage} in {article}")]
    Article {
        /// The article's name (its path, or `-`).
        article: String,
        /// The stage, e.g. "scoring check-worthiness".
        stage: &'static str,
        #[source]
        source: Box<Error>,
    },
    /// Input or settings that cannot be used: a value out of range,
    /// options that do not go together, a data file with nothing usable.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a file or stream.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Writing or reading JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// What was being done when `source` failed, e.g. "opening the
    /// embedding cache eval.vec".
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// `source`, as the failure of `stage` on `article`.
    pub(crate) fn in_article(article: &str, stage: &'static str, source: impl Into<Error>) -> Self {
        Error::Article {
            article: article.to_string(),
            stage,
            source: Box::new(source.into()),
        }
    }
}

/// Adds what was being done to an error, as [`Error::Context`].
pub(crate) trait ResultExt<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.into(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().into(),
            source: Box::new(e.into()),
        })
    }
}

/// An absent value as [`Error::Invalid`] with a message.
pub(crate) trait OptionExt<T> {
    fn context(self, what: impl Into<String>) -> Result<T>;
}

impl<T> OptionExt<T> for Option<T> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| Error::Invalid(what.into()))
    }
}

/// Return early with [`Error::Invalid`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::Error::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `e` and every source below it, joined with ": " (one line for a log
/// or an error body).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
