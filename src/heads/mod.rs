//! The learned-head toolkit shared by the check-worthiness head
//! ([`crate::claims`]), the stance head ([`crate::verdict::head`]) and the
//! propaganda heads ([`crate::propaganda`]):
//!
//! - [`layer`]: dense layers and MLPs (ReLU between layers), batch and
//!   single-row forward passes;
//! - [`codec`]: the f16 + base64 weights codec of head files;
//! - [`train`]: the AdamW loop, losses and initialisations;
//! - [`calibration`]: the logistic function and Platt scaling;
//! - the metrics it chooses thresholds with are the crate's one
//!   [`crate::metrics`];
//! - [`provenance`]: the provenance object a head file stores.

pub mod calibration;
pub mod codec;
pub mod layer;
pub mod provenance;
pub mod train;

use std::path::PathBuf;

pub use calibration::{sigmoid, Platt};
pub use layer::{Dense, Mlp, Orientation};

/// Errors of the shared head code.
#[derive(Debug, thiserror::Error)]
pub enum HeadsError {
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write provenance: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
}
