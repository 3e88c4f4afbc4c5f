//! BERT sentence encoder in candle, matching sentence-transformers:
//! WordPiece tokens truncated at the manifest's max length, BERT forward pass,
//! attention-masked mean pooling, L2 normalisation.
//!
//! The `tokenizer.json` shipped with all-MiniLM-L6-v2 pads every input to a
//! fixed 128 tokens and truncates at 128. Both are overridden here: texts are
//! tokenised without padding, truncated at `max_seq_length` (256), grouped by
//! length into batches under a token budget, padded to each batch's longest
//! input, and returned in input order.
//!
//! Two engines run the forward pass (see [`Backend`]): veracity's own CPU
//! kernels ([`super::native`]: no padding, fused passes, AVX-512 GEMM), the
//! default on the CPU; and candle-transformers' stock `BertModel`, used on
//! GPUs and selectable everywhere with `--backend candle`.
//!
//! The model runs in f32. candle's stock BERT builds its additive attention
//! mask from `f32::MIN`, which overflows to -inf (and NaN after softmax) in
//! f16/bf16; should half precision ever be used, that mask must use the
//! dtype's finite minimum instead.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::models::ResolvedModel;
use super::native::NativeBert;
use super::{scale_to_length, Backend, EmbedError, Encoder, Pooling, Readout, Result, TokenStates};

/// Default token budget of one forward pass (padded tokens included).
pub const DEFAULT_TOKEN_BUDGET: usize = 16_384;
/// Default token budget of one native forward pass (real tokens only).
pub const NATIVE_TOKEN_BUDGET: usize = 4_096;
/// Most texts in one forward pass, whatever their length.
pub const MAX_BATCH: usize = 128;

/// A BERT-family sentence encoder with mean pooling.
pub struct BertEncoder {
    engine: Engine,
    tokenizer: Tokenizer,
    name: String,
    dims: usize,
    max_len: usize,
    normalize: bool,
    token_budget: usize,
    pooling: Pooling,
    /// Earlier layer read out beside the last one (see [`Readout::with_layer`]).
    tap: Option<usize>,
    /// The name without the earlier layer (see [`Encoder::plain_part`]).
    plain_name: String,
}

/// What runs the forward pass.
enum Engine {
    /// `tap_model` is the same model cut after the tapped layer (candle's
    /// `BertModel` exposes only its last hidden states).
    Candle {
        model: Box<BertModel>,
        tap_model: Option<Box<BertModel>>,
        device: Device,
    },
    Native(Box<NativeBert>),
}

impl BertEncoder {
    /// Load the encoder from resolved model files onto `device` with the
    /// chosen backend (`auto`: native on the CPU, candle on a GPU).
    pub fn load(resolved: &ResolvedModel, device: &Device, backend: Backend) -> Result<Self> {
        Self::load_readout(resolved, device, backend, Readout::default())
    }

    /// [`BertEncoder::load`] reading out another pooling and/or the output of
    /// an earlier layer (the model cut after `readout.layers` transformer
    /// layers). The encoder's name records both (`+max`, `+layers4`), so
    /// caches keyed by name never mix readouts.
    pub fn load_readout(
        resolved: &ResolvedModel,
        device: &Device,
        backend: Backend,
        readout: Readout,
    ) -> Result<Self> {
        let m = &resolved.manifest;
        let mpnet = m.architecture == "mpnet";
        if !(m.architecture == "bert" || mpnet) || m.pooling != "mean" {
            return Err(EmbedError::Manifest {
                path: m.short_name.clone().into(),
                reason: format!(
                    "architecture '{}' with pooling '{}' is not supported by the BERT encoder",
                    m.architecture, m.pooling
                ),
            });
        }
        let config_path = resolved.file("config.json")?;
        let config_text =
            std::fs::read_to_string(config_path).map_err(|e| EmbedError::io(config_path, e))?;
        let bad_config = |e: serde_json::Error| EmbedError::Manifest {
            path: config_path.to_path_buf(),
            reason: e.to_string(),
        };
        let (mut config, buckets): (Config, usize) = if mpnet {
            let c: MpnetConfig = serde_json::from_str(&config_text).map_err(bad_config)?;
            (c.bert_shaped(), c.relative_attention_num_buckets)
        } else {
            (serde_json::from_str(&config_text).map_err(bad_config)?, 0)
        };
        check_config(&config).map_err(|reason| EmbedError::Manifest {
            path: config_path.to_path_buf(),
            reason,
        })?;
        let mut name = m.name.clone();
        if readout.pooling == Pooling::Max {
            name.push_str("+max");
        }
        if let Some(n) = readout.layers {
            if n == 0 || n > config.num_hidden_layers {
                return Err(EmbedError::InvalidReadout(format!(
                    "{n} layers requested; {} has 1 to {}",
                    m.name, config.num_hidden_layers
                )));
            }
            if n < config.num_hidden_layers {
                // Layers past `n` are simply not loaded.
                config.num_hidden_layers = n;
                name.push_str(&format!("+layers{n}"));
            }
        }
        let plain_name = name.clone();
        let tap_config = match readout.with_layer {
            Some(n) if n == 0 || n >= config.num_hidden_layers => {
                return Err(EmbedError::InvalidReadout(format!(
                    "layer {n} cannot be read out beside the last; it must be 1 to {}",
                    config.num_hidden_layers - 1
                )))
            }
            Some(n) => {
                name.push_str(&format!("+with-layer{n}"));
                Some(Config {
                    num_hidden_layers: n,
                    ..config.clone()
                })
            }
            None => None,
        };
        let candle_engine = |vb: VarBuilder| -> Result<Engine> {
            Ok(Engine::Candle {
                model: Box::new(BertModel::load(vb.clone(), &config)?),
                tap_model: match &tap_config {
                    Some(c) => Some(Box::new(BertModel::load(vb, c)?)),
                    None => None,
                },
                device: device.clone(),
            })
        };
        let mut tokenizer =
            Tokenizer::from_file(resolved.file("tokenizer.json")?).map_err(EmbedError::Tokenize)?;
        // MPNet numbers positions from padding_idx + 1 (see NativeBert).
        let first_pos = if mpnet { config.pad_token_id + 1 } else { 0 };
        let max_len = m
            .max_seq_length
            .min(config.max_position_embeddings - first_pos);
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(EmbedError::Tokenize)?;
        let weights = resolved.file("model.safetensors")?.to_path_buf();
        // SAFETY: the weights file is memory-mapped read-only; veracity never
        // writes to a model file while an encoder holds it.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device)? };
        if mpnet && (backend == Backend::Candle || !device.is_cpu()) {
            return Err(EmbedError::DeviceUnavailable(format!(
                "{} (MPNet) runs on veracity's native CPU backend only; run it on the CPU with the \
                 native (or automatic) backend",
                m.short_name
            )));
        }
        let use_native = match backend {
            Backend::Native if !device.is_cpu() => {
                return Err(EmbedError::DeviceUnavailable(
                    "native backend on a GPU (it runs on the CPU only; use --backend candle)"
                        .into(),
                ))
            }
            Backend::Native => true,
            Backend::Candle => false,
            Backend::Auto => device.is_cpu(),
        };
        let (engine, token_budget) = if mpnet {
            let n = NativeBert::load_mpnet(vb, &config, buckets)?;
            (Engine::Native(Box::new(n)), NATIVE_TOKEN_BUDGET)
        } else if use_native {
            match NativeBert::load(vb.clone(), &config) {
                Ok(n) => (Engine::Native(Box::new(n)), NATIVE_TOKEN_BUDGET),
                Err(e) if backend == Backend::Auto => {
                    tracing::info!("native backend unavailable ({e}); using candle");
                    (candle_engine(vb)?, DEFAULT_TOKEN_BUDGET)
                }
                Err(e) => return Err(e),
            }
        } else {
            (candle_engine(vb)?, DEFAULT_TOKEN_BUDGET)
        };
        let enc = BertEncoder {
            engine,
            tokenizer,
            name,
            dims: config.hidden_size * if tap_config.is_some() { 2 } else { 1 },
            max_len,
            normalize: m.normalize,
            token_budget,
            pooling: readout.pooling,
            tap: readout.with_layer,
            plain_name,
        };
        tracing::info!(
            "loaded {} ({} dims, max {} tokens, {} backend) from {}",
            enc.name,
            enc.dims,
            max_len,
            enc.backend(),
            resolved.source
        );
        Ok(enc)
    }

    /// Change the token budget of one forward pass.
    pub fn with_token_budget(mut self, budget: usize) -> Self {
        self.token_budget = budget.max(self.max_len);
        self
    }

    /// Token ids of `text` after truncation (special tokens included).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(EmbedError::Tokenize)?;
        Ok(enc.get_ids().to_vec())
    }

    /// Run one batch; returns pooled (and normalised) rows.
    fn forward_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let mut rows = match &self.engine {
            Engine::Native(model) => model.forward_pooled(batch, self.pooling, self.tap)?,
            Engine::Candle {
                model,
                tap_model,
                device,
            } => {
                let mut rows = self.forward_candle(model, device, batch)?;
                if let Some(tap) = tap_model {
                    let tapped = self.forward_candle(tap, device, batch)?;
                    for (r, t) in rows.iter_mut().zip(tapped) {
                        r.extend(t);
                    }
                }
                rows
            }
        };
        self.normalize_rows(&mut rows);
        Ok(rows)
    }

    /// Tokenise (special tokens added, truncated); offsets in characters
    /// when `char_offsets`, else in bytes.
    fn encode(&self, texts: &[&str], char_offsets: bool) -> Result<Vec<tokenizers::Encoding>> {
        let texts = texts.to_vec();
        if char_offsets {
            self.tokenizer.encode_batch_char_offsets(texts, true)
        } else {
            self.tokenizer.encode_batch(texts, true)
        }
        .map_err(EmbedError::Tokenize)
    }

    /// The forward-pass batches (indices) for inputs of these token counts:
    /// padded batches of at most [`MAX_BATCH`] texts on candle, unpadded on
    /// the native engine.
    fn batches(&self, lens: &[usize]) -> Vec<Vec<usize>> {
        let padded = matches!(self.engine, Engine::Candle { .. });
        let max_batch = if padded { MAX_BATCH } else { usize::MAX };
        plan_batches(lens, self.token_budget, max_batch, padded)
    }

    /// Normalise pooled rows when the model asks for it: each readout part
    /// on its own, then the whole back to unit length.
    fn normalize_rows(&self, rows: &mut [Vec<f32>]) {
        if self.normalize {
            let parts = if self.tap.is_some() { 2 } else { 1 };
            let scale = 1.0 / (parts as f32).sqrt();
            for r in rows {
                let part = r.len() / parts;
                for p in r.chunks_mut(part.max(1)) {
                    scale_to_length(p, scale);
                }
            }
        }
    }

    /// Token states of one batch (`len × width` per sequence, the tapped
    /// layer's state after the last layer's for each token).
    fn forward_tokens_batch(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        match &self.engine {
            Engine::Native(model) => model.forward_tokens(batch, self.tap),
            Engine::Candle {
                model,
                tap_model,
                device,
            } => {
                let rows = candle_tokens(model, device, batch)?;
                let Some(tap) = tap_model else {
                    return Ok(rows);
                };
                let h = self.dims / 2;
                Ok(rows
                    .into_iter()
                    .zip(candle_tokens(tap, device, batch)?)
                    .map(|(a, b)| {
                        a.chunks_exact(h)
                            .zip(b.chunks_exact(h))
                            .flat_map(|(x, y)| x.iter().chain(y).copied())
                            .collect()
                    })
                    .collect())
            }
        }
    }

    /// Run one padded batch through a candle `BertModel`; returns the pooled,
    /// not yet normalised rows.
    fn forward_candle(
        &self,
        model: &BertModel,
        device: &Device,
        batch: &[&[u32]],
    ) -> Result<Vec<Vec<f32>>> {
        let (hidden, mask) = candle_hidden(model, device, batch)?;
        let maskf = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (n, width, 1)
        let pooled = match self.pooling {
            Pooling::Mean => {
                let summed = hidden.broadcast_mul(&maskf)?.sum(1)?; // (n, dims)
                let counts = maskf.sum(1)?.clamp(1e-9, f64::MAX)?; // (n, 1)
                summed.broadcast_div(&counts)?
            }
            Pooling::Max => {
                // Padding positions get -1e9 so they never win; an empty
                // sequence (only when width is padded to 1) pools to zeros.
                let penalty = ((maskf.clone() - 1.0)? * 1e9)?;
                let m = hidden.broadcast_add(&penalty)?.max(1)?;
                let any = maskf.max(1)?; // (n, 1): 1 when the row has tokens
                m.broadcast_mul(&any)?
            }
        };
        Ok(pooled.to_dtype(DType::F32)?.to_vec2::<f32>()?)
    }
}

/// Sizes a model cannot have (zero heads, layers or dimensions; a hidden size
/// the heads do not divide), which would otherwise divide by zero or build
/// empty tensors when the model is loaded. `Err` says what is wrong.
fn check_config(c: &Config) -> std::result::Result<(), String> {
    for (name, v) in [
        ("vocab_size", c.vocab_size),
        ("hidden_size", c.hidden_size),
        ("num_hidden_layers", c.num_hidden_layers),
        ("num_attention_heads", c.num_attention_heads),
        ("intermediate_size", c.intermediate_size),
        ("max_position_embeddings", c.max_position_embeddings),
    ] {
        if v == 0 {
            return Err(format!("{name} is 0; a model needs at least 1"));
        }
    }
    if !c.hidden_size.is_multiple_of(c.num_attention_heads) {
        return Err(format!(
            "hidden_size {} is not a multiple of num_attention_heads {}",
            c.hidden_size, c.num_attention_heads
        ));
    }
    if !(c.layer_norm_eps.is_finite() && c.layer_norm_eps > 0.0) {
        return Err(format!(
            "layer_norm_eps {} is not a small positive number",
            c.layer_norm_eps
        ));
    }
    Ok(())
}

/// The fields of an MPNet `config.json` the encoder reads.
#[derive(Debug, serde::Deserialize)]
struct MpnetConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    hidden_act: candle_transformers::models::bert::HiddenAct,
    max_position_embeddings: usize,
    layer_norm_eps: f64,
    pad_token_id: usize,
    relative_attention_num_buckets: usize,
}

impl MpnetConfig {
    /// The same sizes as a BERT config (MPNet has no token types).
    fn bert_shaped(&self) -> Config {
        Config {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            num_hidden_layers: self.num_hidden_layers,
            num_attention_heads: self.num_attention_heads,
            intermediate_size: self.intermediate_size,
            hidden_act: self.hidden_act,
            max_position_embeddings: self.max_position_embeddings,
            type_vocab_size: 1,
            layer_norm_eps: self.layer_norm_eps,
            pad_token_id: self.pad_token_id,
            model_type: Some("mpnet".into()),
            ..Config::default()
        }
    }
}

/// Run one batch, padded to its longest sequence, through a candle
/// `BertModel`: the last hidden states `(n, width, dims)` and the attention
/// mask `(n, width)`.
fn candle_hidden(model: &BertModel, device: &Device, batch: &[&[u32]]) -> Result<(Tensor, Tensor)> {
    let width = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
    let n = batch.len();
    let mut ids = vec![0u32; n * width];
    let mut mask = vec![0u32; n * width];
    for (row, toks) in batch.iter().enumerate() {
        ids[row * width..row * width + toks.len()].copy_from_slice(toks);
        mask[row * width..row * width + toks.len()].fill(1);
    }
    let ids = Tensor::from_vec(ids, (n, width), device)?;
    let mask = Tensor::from_vec(mask, (n, width), device)?;
    let type_ids = ids.zeros_like()?;
    let hidden = model.forward(&ids, &type_ids, Some(&mask))?;
    Ok((hidden, mask))
}

/// Run one padded batch through a candle `BertModel`; returns each
/// sequence's token states (`len × dims`, padding dropped).
fn candle_tokens(model: &BertModel, device: &Device, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
    let (hidden, _) = candle_hidden(model, device, batch)?;
    let hidden = hidden.to_dtype(DType::F32)?.to_vec3::<f32>()?;
    Ok(hidden
        .into_iter()
        .zip(batch)
        .map(|(rows, toks)| rows.into_iter().take(toks.len()).flatten().collect())
        .collect())
}

/// Group `lens` (token counts, by input index) into batches of indices:
/// longest first, each batch's cost within `budget` and at most `max_batch`
/// items. The cost is `count * longest` when `padded` (the batch is padded to
/// its longest input), else the sum of the lengths.
pub fn plan_batches(
    lens: &[usize],
    budget: usize,
    max_batch: usize,
    padded: bool,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lens.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lens[i]));
    let mut batches = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut cur_width = 0;
    let mut cur_sum = 0;
    for i in order {
        let cost = if padded {
            (cur.len() + 1) * cur_width.max(lens[i]).max(1)
        } else {
            cur_sum + lens[i].max(1)
        };
        if !cur.is_empty() && (cost > budget || cur.len() >= max_batch) {
            batches.push(std::mem::take(&mut cur));
            cur_width = 0;
            cur_sum = 0;
        }
        cur_width = cur_width.max(lens[i]);
        cur_sum += lens[i].max(1);
        cur.push(i);
    }
    if !cur.is_empty() {
        batches.push(cur);
    }
    batches
}

impl Encoder for BertEncoder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self.encode(texts, false)?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let lens: Vec<usize> = ids.iter().map(|i| i.len()).collect();
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for batch in self.batches(&lens) {
            let rows: Vec<&[u32]> = batch.iter().map(|&i| ids[i]).collect();
            let vecs = self.forward_batch(&rows)?;
            for (i, v) in batch.into_iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn dims(&self) -> usize {
        self.dims
    }

    fn max_len(&self) -> usize {
        self.max_len
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn backend(&self) -> &str {
        match self.engine {
            Engine::Native(_) => "native",
            Engine::Candle { .. } => "candle",
        }
    }

    fn plain_part(&self) -> Option<(String, bool)> {
        self.tap.map(|_| (self.plain_name.clone(), self.normalize))
    }

    /// Token states and, from the same pass, the pooled embedding.
    fn embed_tokens(&self, texts: &[&str]) -> Result<Option<Vec<TokenStates>>> {
        if texts.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let encodings = self.encode(texts, true)?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        let lens: Vec<usize> = ids.iter().map(|i| i.len()).collect();
        let width = self.dims;
        let mut out: Vec<TokenStates> = vec![TokenStates::default(); texts.len()];
        for batch in self.batches(&lens) {
            let rows: Vec<&[u32]> = batch.iter().map(|&i| ids[i]).collect();
            let states = self.forward_tokens_batch(&rows)?;
            // Pooled per dimension over the tokens: the same sums, in the
            // same order, as the pooled forward pass.
            let mut pooled: Vec<Vec<f32>> = states
                .iter()
                .map(|st| super::native::pool(st, width, self.pooling))
                .collect();
            self.normalize_rows(&mut pooled);
            for ((i, states), pooled) in batch.into_iter().zip(states).zip(pooled) {
                let special = encodings[i].get_special_tokens_mask();
                let chars = encodings[i]
                    .get_offsets()
                    .iter()
                    .zip(special)
                    .map(|(&(s, e), &sp)| if sp == 1 { (0, 0) } else { (s, e) })
                    .collect();
                out[i] = TokenStates {
                    width,
                    states,
                    chars,
                    pooled,
                };
            }
        }
        Ok(Some(out))
    }

    fn token_counts(&self, texts: &[&str]) -> Result<Option<Vec<usize>>> {
        let encodings = self.encode(texts, false)?;
        Ok(Some(encodings.iter().map(|e| e.get_ids().len()).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_config, plan_batches, Config};

    #[test]
    fn zero_attention_heads_in_config_is_an_error_not_a_panic() {
        let config = |heads: usize| Config {
            num_attention_heads: heads,
            ..Config::default()
        };
        assert!(check_config(&config(12)).is_ok());
        let e = check_config(&config(0)).unwrap_err();
        assert!(e.contains("num_attention_heads is 0"), "{e}");
        assert!(check_config(&config(5)).unwrap_err().contains("multiple"));
    }

    #[test]
    fn batches_cover_every_index_once_and_respect_the_budget() {
        let lens = vec![5, 250, 3, 40, 40, 7, 256, 1, 0, 12];
        for padded in [true, false] {
            let batches = plan_batches(&lens, 300, 4, padded);
            let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
            seen.sort();
            assert_eq!(seen, (0..lens.len()).collect::<Vec<_>>());
            for b in &batches {
                let w = b.iter().map(|&i| lens[i]).max().unwrap();
                let s: usize = b.iter().map(|&i| lens[i].max(1)).sum();
                let cost = if padded { b.len() * w } else { s };
                assert!(b.len() == 1 || cost <= 300, "{b:?}");
                assert!(b.len() <= 4);
            }
            assert!(plan_batches(&[], 300, 4, padded).is_empty());
        }
        // Unpadded batches pack short texts beside a long one.
        assert_eq!(plan_batches(&[250, 20, 20], 300, 8, false).len(), 1);
        assert_eq!(plan_batches(&[250, 20, 20], 300, 8, true).len(), 2);
    }
}
