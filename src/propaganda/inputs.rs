//! What the propaganda heads need from the encoder for each sentence: its
//! embedding and, for a model with token heads, the token heads' features
//! read off its token states.
//!
//! Token states are large (tokens × width floats per sentence: a 1 MB
//! article has about 250,000 tokens, 700 MB of states at the heads' two-layer
//! readout), and only a few features per sentence are read off them. So they
//! are asked of the encoder [`TOKEN_CHUNK`] sentences at a time and turned into
//! features at once; memory stays flat however long the article.
//!
//! A [`TokenFeatureCache`] remembers those features by sentence text, so that
//! a caller that batches the sentences of many articles through the encoder
//! first ([`crate::Analyzer::prepare`]) does not run the encoder for them a
//! second time when each article is scored: the embeddings come from the
//! encoder's own cache ([`crate::embed::CachedEncoder`] keeps the pooled
//! vector of every token-state pass).

use std::collections::HashMap;
use std::sync::Mutex;

use super::fit::Fitted;
use super::tokens::N_TOKEN_FEATURES;
use super::PropagandaError;
use crate::embed::cache::text_key;
use crate::embed::Encoder;

/// Sentences whose token states are held at once.
pub const TOKEN_CHUNK: usize = 256;

/// The token heads' features of one sentence.
pub type TokenFeatures = [f32; N_TOKEN_FEATURES];

/// A bounded memory of token-head features by sentence text: when full it is
/// emptied and refilled (what is asked again is computed again).
#[derive(Debug)]
pub struct TokenFeatureCache {
    map: Mutex<HashMap<u64, TokenFeatures>>,
    capacity: usize,
}

impl TokenFeatureCache {
    /// A cache of at most `capacity` sentences (at least one).
    pub fn bounded(capacity: usize) -> Self {
        TokenFeatureCache {
            map: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// Sentences held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TokenFeatures>> {
        // A panic while holding the lock cannot leave a half-written entry
        // (inserts are single operations): the map is still good.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, text: &str) -> Option<TokenFeatures> {
        self.lock().get(&text_key(text)).copied()
    }

    fn insert(&self, text: &str, f: TokenFeatures) {
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(text_key(text), f);
    }
}

/// The embeddings of `texts` and, for a model with token heads, their token
/// features (empty without token heads), one sentence per row, in order.
/// Features found in `cache` are not computed again; those computed are
/// remembered there.
pub(super) fn encoder_inputs(
    fitted: &Fitted,
    enc: &dyn Encoder,
    texts: &[&str],
    cache: Option<&TokenFeatureCache>,
) -> Result<(Vec<Vec<f32>>, Vec<TokenFeatures>), PropagandaError> {
    if texts.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    if fitted.token_heads.is_none() {
        return Ok((enc.embed(texts)?, Vec::new()));
    }
    let mut feats: Vec<Option<TokenFeatures>> = match cache {
        Some(c) => texts.iter().map(|t| c.get(t)).collect(),
        None => vec![None; texts.len()],
    };
    let mut embs: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    let missing: Vec<usize> = (0..texts.len()).filter(|&i| feats[i].is_none()).collect();
    token_pass(fitted, enc, texts, &missing, |i, pooled, f| {
        if let Some(c) = cache {
            c.insert(texts[i], f);
        }
        feats[i] = Some(f);
        embs[i] = Some(pooled);
    })?;
    // The embeddings of sentences whose features were remembered: from the
    // encoder (its cache holds them when they were prepared).
    let known: Vec<usize> = (0..texts.len()).filter(|&i| embs[i].is_none()).collect();
    if !known.is_empty() {
        let q: Vec<&str> = known.iter().map(|&i| texts[i]).collect();
        for (&i, e) in known.iter().zip(enc.embed(&q)?) {
            embs[i] = Some(e);
        }
    }
    let embs = embs.into_iter().flatten().collect::<Vec<_>>();
    let feats = feats.into_iter().flatten().collect::<Vec<_>>();
    if embs.len() != texts.len() || feats.len() != texts.len() {
        return Err(PropagandaError::Model(format!(
            "encoder '{}' returned fewer vectors than sentences",
            enc.name()
        )));
    }
    Ok((embs, feats))
}

/// Compute and remember the token features of the `texts` that `cache` does
/// not hold (each distinct text once); for a model without token heads, embed
/// them (the encoder's cache keeps them). Returns the sentences computed.
pub(super) fn prepare(
    fitted: &Fitted,
    enc: &dyn Encoder,
    texts: &[&str],
    cache: &TokenFeatureCache,
) -> Result<usize, PropagandaError> {
    if fitted.token_heads.is_none() {
        if !texts.is_empty() {
            enc.embed(texts)?;
        }
        return Ok(texts.len());
    }
    let mut seen = std::collections::HashSet::new();
    let missing: Vec<usize> = (0..texts.len())
        .filter(|&i| cache.get(texts[i]).is_none() && seen.insert(text_key(texts[i])))
        .collect();
    token_pass(fitted, enc, texts, &missing, |i, _pooled, f| {
        cache.insert(texts[i], f)
    })?;
    Ok(missing.len())
}

/// Token states of `texts[i]` for each `i` in `which`, [`TOKEN_CHUNK`] at a
/// time, each turned into its features and handed to `take(i, pooled,
/// features)` before the next chunk is asked for.
fn token_pass(
    fitted: &Fitted,
    enc: &dyn Encoder,
    texts: &[&str],
    which: &[usize],
    mut take: impl FnMut(usize, Vec<f32>, TokenFeatures),
) -> Result<(), PropagandaError> {
    let Some(heads) = &fitted.token_heads else {
        return Ok(());
    };
    for chunk in which.chunks(TOKEN_CHUNK) {
        let q: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
        let states = enc.embed_tokens(&q)?.ok_or_else(|| {
            PropagandaError::Model(format!(
                "the model's token heads need token states, which encoder '{}' does not give",
                enc.name()
            ))
        })?;
        if states.len() != q.len() {
            return Err(PropagandaError::Model(format!(
                "encoder '{}' returned token states for {} of {} sentences",
                enc.name(),
                states.len(),
                q.len()
            )));
        }
        for (&i, ts) in chunk.iter().zip(states) {
            let f = heads.features(&ts)?;
            take(i, ts.pooled, f);
        }
    }
    Ok(())
}
