//! veracity's own CPU forward pass for BERT encoders (the `native` backend).
//!
//! Same weights and arithmetic as candle-transformers' `BertModel`, laid out
//! for a CPU:
//!
//! - **No padding.** The texts of a batch are concatenated into one
//!   `tokens × hidden` matrix; every linear layer is one GEMM over the real
//!   tokens only, and attention runs per sequence and head.
//! - **Fused passes.** Bias + residual + layer norm, bias + GELU, and
//!   scale + softmax are each one pass over memory, vectorised for the CPU the
//!   binary runs on (AVX-512 / AVX2+FMA chosen at run time, scalar otherwise).
//! - **One QKV GEMM** per layer (query, key and value weights stacked at load).
//! - **GEMMs through the `gemm` crate** (the engine candle uses), called on
//!   strided views so no transpose or `contiguous()` copy is made; the crate's
//!   AVX-512 kernels are enabled (`x86-v4` feature) and picked at run time.
//!
//! GELU uses erf as a rational minimax fit (the one Eigen and XLA use for f32,
//! absolute error < 5e-7 in f32) and softmax an exp from a Cephes-style polynomial
//! (relative error ~1e-7). The golden test holds this
//! path to cosine ≥ 0.9999 against sentence-transformers.

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};
use gemm::Parallelism;
use rayon::prelude::*;

use super::{EmbedError, Pooling, Result};

/// A dense layer, weight kept as stored by PyTorch: `[out, in]`, row-major.
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    d_in: usize,
    d_out: usize,
}

struct Norm {
    g: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln_attn: Norm,
    up: Linear,
    down: Linear,
    ln_out: Norm,
}

/// BERT weights in plain memory and the CPU forward pass over them.
///
/// MPNet ([`NativeBert::load_mpnet`]) runs through the same pass: its
/// layers have BERT's shape (post-norm attention and feed-forward), its
/// embeddings have no token types and count positions from
/// `padding_idx + 1`, and every layer adds one shared relative-position bias
/// (T5-style buckets, one value per head) to the attention scores.
pub struct NativeBert {
    word: Vec<f32>,
    pos: Vec<f32>,
    /// Row of the position table for a sequence's first token (0 for BERT,
    /// `padding_idx + 1` for MPNet).
    pos_offset: usize,
    token_type0: Vec<f32>,
    /// MPNet's relative attention bias: `buckets × heads`, row-major.
    rel_bias: Option<RelativeBias>,
    ln_emb: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    inter: usize,
    vocab: usize,
    max_pos: usize,
    eps: f32,
}

/// MPNet's relative-position attention bias.
struct RelativeBias {
    table: Vec<f32>,
    buckets: usize,
}

/// Largest relative distance MPNet tells apart (`max_distance` in
/// transformers' `MPNetEncoder.relative_position_bucket`).
const MPNET_MAX_DISTANCE: i64 = 128;

/// Bucket of the relative position `rel = key − query`, as transformers'
/// `MPNetEncoder.relative_position_bucket` computes it: half the buckets for
/// each direction; exact buckets for distances under a quarter of them,
/// logarithmic ones up to `max_distance`, the last bucket beyond.
pub(crate) fn relative_bucket(rel: i64, buckets: usize, max_distance: i64) -> usize {
    let half = (buckets / 2) as i64;
    let n = -rel;
    let mut ret = if n < 0 { half } else { 0 };
    let n = n.abs();
    let max_exact = half / 2;
    ret += if n < max_exact {
        n
    } else {
        let large = max_exact
            + ((n as f32 / max_exact as f32).ln() / (max_distance as f32 / max_exact as f32).ln()
                * (half - max_exact) as f32) as i64;
        large.min(half - 1)
    };
    ret as usize
}

/// Pool the token rows of one sequence (`rows.len()` a multiple of `h`); no
/// rows pool to zeros.
pub(crate) fn pool(rows: &[f32], h: usize, pooling: Pooling) -> Vec<f32> {
    let n = rows.len() / h;
    if n == 0 {
        return vec![0f32; h];
    }
    let combine: fn(f32, f32) -> f32 = match pooling {
        Pooling::Mean => |a, b| a + b,
        Pooling::Max => f32::max,
    };
    let mut out = rows[..h].to_vec();
    for row in rows[h..].chunks_exact(h) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o = combine(*o, v);
        }
    }
    if pooling == Pooling::Mean {
        let inv = 1.0 / n as f32;
        out.iter_mut().for_each(|o| *o *= inv);
    }
    out
}

fn flat(vb: &VarBuilder, shape: &[usize], name: &str) -> Result<Vec<f32>> {
    let t: Tensor = vb.get(shape, name)?;
    Ok(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
}

fn linear(vb: &VarBuilder, d_in: usize, d_out: usize) -> Result<Linear> {
    Ok(Linear {
        w: flat(vb, &[d_out, d_in], "weight")?,
        b: flat(vb, &[d_out], "bias")?,
        d_in,
        d_out,
    })
}

fn norm(vb: &VarBuilder, h: usize) -> Result<Norm> {
    Ok(Norm {
        g: flat(vb, &[h], "weight")?,
        b: flat(vb, &[h], "bias")?,
    })
}

/// Where a layer's weights sit, relative to `encoder.layer.N.attention`.
struct Names {
    query: &'static str,
    key: &'static str,
    value: &'static str,
    attn_out: &'static str,
    attn_norm: &'static str,
    token_types: bool,
}

const BERT_NAMES: Names = Names {
    query: "self.query",
    key: "self.key",
    value: "self.value",
    attn_out: "output.dense",
    attn_norm: "output.LayerNorm",
    token_types: true,
};

const MPNET_NAMES: Names = Names {
    query: "attn.q",
    key: "attn.k",
    value: "attn.v",
    attn_out: "attn.o",
    attn_norm: "LayerNorm",
    token_types: false,
};

impl NativeBert {
    /// Load from a candle `VarBuilder` (CPU, any float dtype). Fails with a
    /// clear error for configurations this path does not implement (callers
    /// fall back to candle's `BertModel`).
    pub fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        Self::load_with(vb, config, &BERT_NAMES, None)
    }

    /// Load MPNet weights (transformers' `MPNetModel` names; `config` holds
    /// the sizes, `buckets` its `relative_attention_num_buckets`).
    pub fn load_mpnet(vb: VarBuilder, config: &Config, buckets: usize) -> Result<Self> {
        let vb = if vb.contains_tensor("mpnet.embeddings.word_embeddings.weight") {
            vb.pp("mpnet")
        } else {
            vb
        };
        let bias = flat(
            &vb,
            &[buckets, config.num_attention_heads],
            "encoder.relative_attention_bias.weight",
        )?;
        Self::load_with(
            vb,
            config,
            &MPNET_NAMES,
            Some(RelativeBias {
                table: bias,
                buckets,
            }),
        )
    }

    fn load_with(
        vb: VarBuilder,
        config: &Config,
        names: &Names,
        rel_bias: Option<RelativeBias>,
    ) -> Result<Self> {
        let unsupported = |what: String| EmbedError::Manifest {
            path: "config.json".into(),
            reason: format!(
                "{what} is not supported by the native backend; use the candle backend"
            ),
        };
        if !matches!(config.hidden_act, HiddenAct::Gelu) {
            return Err(unsupported(format!("hidden_act {:?}", config.hidden_act)));
        }
        if !config
            .hidden_size
            .is_multiple_of(config.num_attention_heads)
        {
            return Err(unsupported(
                "a hidden size not divisible by the head count".into(),
            ));
        }
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let e = vb.pp("embeddings");
        let word = flat(&e, &[config.vocab_size, h], "word_embeddings.weight")?;
        let pos = flat(
            &e,
            &[config.max_position_embeddings, h],
            "position_embeddings.weight",
        )?;
        let token_type0 = if names.token_types {
            let types = flat(
                &e,
                &[config.type_vocab_size, h],
                "token_type_embeddings.weight",
            )?;
            types[..h].to_vec()
        } else {
            vec![0.0; h]
        };
        let ln_emb = norm(&e.pp("LayerNorm"), h)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let lv = vb.pp(format!("encoder.layer.{l}"));
            let att = lv.pp("attention");
            let q = linear(&att.pp(names.query), h, h)?;
            let k = linear(&att.pp(names.key), h, h)?;
            let v = linear(&att.pp(names.value), h, h)?;
            let qkv = Linear {
                w: [q.w, k.w, v.w].concat(),
                b: [q.b, k.b, v.b].concat(),
                d_in: h,
                d_out: 3 * h,
            };
            layers.push(Layer {
                qkv,
                attn_out: linear(&att.pp(names.attn_out), h, h)?,
                ln_attn: norm(&att.pp(names.attn_norm), h)?,
                up: linear(&lv.pp("intermediate.dense"), h, i)?,
                down: linear(&lv.pp("output.dense"), i, h)?,
                ln_out: norm(&lv.pp("output.LayerNorm"), h)?,
            });
        }
        // MPNet (like RoBERTa) numbers positions from padding_idx + 1.
        let pos_offset = if rel_bias.is_some() {
            config.pad_token_id + 1
        } else {
            0
        };
        Ok(NativeBert {
            word,
            pos,
            pos_offset,
            token_type0,
            rel_bias,
            ln_emb,
            layers,
            hidden: h,
            heads: config.num_attention_heads,
            inter: i,
            vocab: config.vocab_size,
            max_pos: config.max_position_embeddings,
            eps: config.layer_norm_eps as f32,
        })
    }

    /// Hidden size of the model.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Pooled last hidden states of each sequence (`hidden` floats each, not
    /// normalised): the mean or the per-dimension maximum over its tokens.
    /// With `tap = Some(n)` the output of layer `n` (1-based, before the last)
    /// is pooled the same way and appended (`2 × hidden` floats). Every
    /// sequence must be at most `max_position_embeddings` long; an empty
    /// sequence pools to zeros.
    pub fn forward_pooled(
        &self,
        seqs: &[&[u32]],
        pooling: Pooling,
        tap: Option<usize>,
    ) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let width = if tap.is_some() { 2 * h } else { h };
        let Some((x, tapped, offsets)) = self.hidden_states(seqs, tap)? else {
            return Ok(vec![vec![0.0; width]; seqs.len()]);
        };
        Ok(offsets
            .windows(2)
            .map(|w| {
                let mut v = pool(&x[w[0] * h..w[1] * h], h, pooling);
                if let Some(t) = &tapped {
                    v.extend(pool(&t[w[0] * h..w[1] * h], h, pooling));
                }
                v
            })
            .collect())
    }

    /// The token states of each sequence, not pooled: `len × hidden` floats
    /// row-major (the last layer), or `len × 2·hidden` with `tap = Some(n)`
    /// (each token's last-layer state followed by its layer-`n` state).
    pub fn forward_tokens(&self, seqs: &[&[u32]], tap: Option<usize>) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let Some((x, tapped, offsets)) = self.hidden_states(seqs, tap)? else {
            return Ok(vec![Vec::new(); seqs.len()]);
        };
        Ok(offsets
            .windows(2)
            .map(|w| match &tapped {
                None => x[w[0] * h..w[1] * h].to_vec(),
                Some(t) => x[w[0] * h..w[1] * h]
                    .chunks_exact(h)
                    .zip(t[w[0] * h..w[1] * h].chunks_exact(h))
                    .flat_map(|(a, b)| a.iter().chain(b).copied())
                    .collect(),
            })
            .collect())
    }

    /// Run the sequences packed one after another: the last layer's states
    /// (`tokens × hidden`), the tapped layer's when asked, and the offset of
    /// each sequence's first token (plus the total). `None` when there are no
    /// tokens at all.
    #[allow(clippy::type_complexity)]
    fn hidden_states(
        &self,
        seqs: &[&[u32]],
        tap: Option<usize>,
    ) -> Result<Option<(Vec<f32>, Option<Vec<f32>>, Vec<usize>)>> {
        let h = self.hidden;
        if let Some(n) = tap.filter(|&n| n == 0 || n >= self.layers.len()) {
            return Err(EmbedError::InvalidReadout(format!(
                "layer {n} cannot be read out beside the last of {} layers",
                self.layers.len()
            )));
        }
        let mut offsets = Vec::with_capacity(seqs.len() + 1);
        offsets.push(0usize);
        for s in seqs {
            if s.len() + self.pos_offset > self.max_pos {
                return Err(EmbedError::Tokenizer(format!(
                    "sequence of {} tokens exceeds the model's {} positions",
                    s.len(),
                    self.max_pos - self.pos_offset
                )));
            }
            offsets.push(offsets.last().unwrap() + s.len());
        }
        let t = *offsets.last().unwrap();
        if t == 0 {
            return Ok(None);
        }

        // Embeddings: word + position + token type 0 (none for MPNet), then
        // layer norm.
        let mut x = vec![0f32; t * h];
        for (s, ids) in seqs.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= self.vocab {
                    return Err(EmbedError::Tokenizer(format!(
                        "token id {id} is outside the model's vocabulary of {}",
                        self.vocab
                    )));
                }
                let row = &mut x[(offsets[s] + p) * h..(offsets[s] + p + 1) * h];
                let w = &self.word[id * h..(id + 1) * h];
                let pp = p + self.pos_offset;
                let ps = &self.pos[pp * h..(pp + 1) * h];
                for j in 0..h {
                    row[j] = w[j] + ps[j] + self.token_type0[j];
                }
            }
        }
        let zeros = vec![0f32; h];
        self.bias_norm(&mut x, &zeros, &self.ln_emb);

        let mut qkv = vec![0f32; t * 3 * h];
        let mut ctx = vec![0f32; t * h];
        let mut inter = vec![0f32; t * self.inter];
        let mut tapped: Option<Vec<f32>> = None;
        for (l, layer) in self.layers.iter().enumerate() {
            // Self-attention.
            matmul(&x, t, &layer.qkv, &mut qkv, false);
            rows_par(&mut qkv, 3 * h, |row| kernels::add_bias(row, &layer.qkv.b));
            self.attention(&qkv, &offsets, &mut ctx);
            // x = LayerNorm(x + ctx·Wo + bo)
            matmul(&ctx, t, &layer.attn_out, &mut x, true);
            self.bias_norm(&mut x, &layer.attn_out.b, &layer.ln_attn);
            // Feed-forward: x = LayerNorm(x + GELU(x·W1 + b1)·W2 + b2)
            matmul(&x, t, &layer.up, &mut inter, false);
            rows_par(&mut inter, self.inter, |row| {
                kernels::bias_gelu(row, &layer.up.b)
            });
            matmul(&inter, t, &layer.down, &mut x, true);
            self.bias_norm(&mut x, &layer.down.b, &layer.ln_out);
            if tap == Some(l + 1) {
                tapped = Some(x.clone());
            }
        }
        Ok(Some((x, tapped, offsets)))
    }

    /// `x = LayerNorm(x + bias)` on every row of `x`.
    fn bias_norm(&self, x: &mut [f32], bias: &[f32], norm: &Norm) {
        rows_par(x, self.hidden, |row| {
            kernels::bias_layernorm(row, bias, &norm.g, &norm.b, self.eps)
        });
    }

    /// Scaled dot-product attention of every sequence and head, written into
    /// `ctx` (`tokens × hidden`, heads side by side as BERT concatenates them).
    fn attention(&self, qkv: &[f32], offsets: &[usize], ctx: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let tasks: Vec<(usize, usize)> = (0..offsets.len() - 1)
            .flat_map(|s| (0..self.heads).map(move |hd| (s, hd)))
            .filter(|&(s, _)| offsets[s + 1] > offsets[s])
            .collect();
        let out = SendPtr(ctx.as_mut_ptr());
        tasks
            .par_iter()
            .for_each_init(Vec::new, |scores, &(s, hd)| {
                let start = offsets[s];
                let len = offsets[s + 1] - start;
                scores.clear();
                scores.resize(len * len, 0.0);
                let row3 = 3 * h as isize;
                let base = qkv[start * 3 * h..].as_ptr();
                // SAFETY: every (sequence, head) task reads its own rows of `qkv`
                // and writes a disjoint `len × d` block of `ctx` (rows
                // start..start+len, columns hd*d..(hd+1)*d); all pointers and
                // strides stay inside the buffers sized by the caller.
                unsafe {
                    let q = base.add(hd * d);
                    let k = base.add(h + hd * d);
                    let v = base.add(2 * h + hd * d);
                    // scores = scale · Q Kᵀ   (len × len)
                    gemm::gemm(
                        len,
                        len,
                        d,
                        scores.as_mut_ptr(),
                        1,
                        len as isize,
                        false,
                        q,
                        1,
                        row3,
                        k,
                        row3,
                        1,
                        0.0,
                        scale,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                    if let Some(rb) = &self.rel_bias {
                        // scores[i][j] += bias[bucket(j − i)][head]; by_rel
                        // holds that bias for j − i = −(len−1) ..= len−1.
                        let by_rel: Vec<f32> = (-(len as i64) + 1..len as i64)
                            .map(|r| {
                                let b = relative_bucket(r, rb.buckets, MPNET_MAX_DISTANCE);
                                rb.table[b * self.heads + hd]
                            })
                            .collect();
                        for (i, row) in scores.chunks_exact_mut(len).enumerate() {
                            let from = len - 1 - i;
                            for (x, b) in row.iter_mut().zip(&by_rel[from..from + len]) {
                                *x += b;
                            }
                        }
                    }
                    for row in scores.chunks_exact_mut(len) {
                        kernels::softmax(row);
                    }
                    // ctx block = softmax(scores) · V   (len × d)
                    let dst = out.get().add(start * h + hd * d);
                    gemm::gemm(
                        len,
                        d,
                        len,
                        dst,
                        1,
                        h as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        len as isize,
                        v,
                        1,
                        row3,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
            });
    }
}

/// A raw pointer that may cross threads; users guarantee disjoint writes.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}
impl SendPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// `dst (rows × d_out) = [dst +] x (rows × d_in) · Wᵀ`, with W stored
/// `[d_out, d_in]`; the bias is left to the fused pass that follows.
fn matmul(x: &[f32], rows: usize, lin: &Linear, dst: &mut [f32], accumulate: bool) {
    assert_eq!(x.len(), rows * lin.d_in);
    assert_eq!(dst.len(), rows * lin.d_out);
    assert_eq!(lin.w.len(), lin.d_in * lin.d_out);
    let threads = rayon::current_num_threads();
    let par = if threads > 1 && rows * lin.d_in * lin.d_out > 1 << 20 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: the asserts above bound every access: dst is rows × d_out
    // row-major (col stride 1, row stride d_out), x is rows × d_in row-major,
    // and Wᵀ is read from W's [d_out, d_in] layout (row stride 1 along d_in,
    // column stride d_in along d_out).
    unsafe {
        gemm::gemm(
            rows,
            lin.d_out,
            lin.d_in,
            dst.as_mut_ptr(),
            1,
            lin.d_out as isize,
            accumulate,
            x.as_ptr(),
            1,
            lin.d_in as isize,
            lin.w.as_ptr(),
            lin.d_in as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

/// Apply `f` to every `width`-float row of `buf`, rows split across threads.
fn rows_par(buf: &mut [f32], width: usize, f: impl Fn(&mut [f32]) + Sync) {
    let rows = buf.len() / width;
    let per_task = (rows / (4 * rayon::current_num_threads())).max(16);
    buf.par_chunks_mut(per_task * width)
        .for_each(|chunk| chunk.chunks_exact_mut(width).for_each(&f));
}

/// Element-wise kernels, compiled for AVX-512, AVX2+FMA and plain x86-64 /
/// other targets, the widest the CPU supports chosen at run time.
pub(crate) mod kernels {
    /// Define `pub fn $name(args)` that dispatches to copies of `$body`
    /// compiled with wider vector units where the CPU has them.
    macro_rules! multiversion {
        ($(#[$m:meta])* pub fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
            $(#[$m])*
            pub fn $name($($arg: $ty),*) {
                #[inline(always)]
                fn generic($($arg: $ty),*) $body
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
                    unsafe fn v4($($arg: $ty),*) { generic($($arg),*) }
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn v3($($arg: $ty),*) { generic($($arg),*) }
                    if std::arch::is_x86_feature_detected!("avx512f")
                        && std::arch::is_x86_feature_detected!("avx512vl")
                        && std::arch::is_x86_feature_detected!("avx512dq")
                    {
                        // SAFETY: the CPU supports the enabled features (checked above).
                        return unsafe { v4($($arg),*) };
                    }
                    if std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("fma")
                    {
                        // SAFETY: the CPU supports the enabled features (checked above).
                        return unsafe { v3($($arg),*) };
                    }
                }
                generic($($arg),*)
            }
        };
    }

    const LANES: usize = 16;

    /// Sum with 16 independent accumulators, so the loop vectorises.
    #[inline(always)]
    fn sum(x: &[f32]) -> f32 {
        let mut acc = [0f32; LANES];
        let chunks = x.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..LANES {
                acc[i] += c[i];
            }
        }
        acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
    }

    #[inline(always)]
    fn max(x: &[f32]) -> f32 {
        let mut acc = [f32::NEG_INFINITY; LANES];
        let chunks = x.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..LANES {
                acc[i] = acc[i].max(c[i]);
            }
        }
        acc.iter()
            .chain(rest)
            .fold(f32::NEG_INFINITY, |m, &v| m.max(v))
    }

    /// e^x for x in [-87, 88] (clamped outside), relative error ~1e-7:
    /// x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r (Cephes
    /// expf), 2^n built in the exponent bits. Branch-free, so loops over it
    /// vectorise.
    #[inline(always)]
    pub fn exp(x: f32) -> f32 {
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
        let x = x.clamp(-87.0, 88.0);
        let n = (x * LOG2E + ROUND) - ROUND;
        let r = x - n * LN2_HI - n * LN2_LO;
        let mut p = 1.987_569_1e-4f32;
        p = p * r + 1.398_199_9e-3;
        p = p * r + 8.333_452e-3;
        p = p * r + 4.166_579_6e-2;
        p = p * r + 0.166_666_65;
        p = p * r + 0.5;
        let e = p * r * r + r + 1.0;
        let bits = ((n as i32 + 127) as u32) << 23;
        e * f32::from_bits(bits)
    }

    /// erf(x) as a rational function x·P(x²)/Q(x²) on [-4, 4] (±1 outside,
    /// where f32 erf rounds to ±1): the minimax fit Eigen and XLA use for f32,
    /// error a few ulp. One division and no exp, so it vectorises cheaply.
    #[inline(always)]
    pub fn erf(x: f32) -> f32 {
        let x = x.clamp(-4.0, 4.0);
        let x2 = x * x;
        let mut p = -2.726_142_3e-10f32;
        p = p * x2 + 2.770_681_4e-8;
        p = p * x2 - 2.101_024e-6;
        p = p * x2 - 5.692_506_4e-5;
        p = p * x2 - 7.349_906_3e-4;
        p = p * x2 - 2.954_600_1e-3;
        p = p * x2 - 1.609_603_3e-2;
        let mut q = -1.456_607_2e-5f32;
        q = q * x2 - 2.133_740_6e-4;
        q = q * x2 - 1.682_827e-3;
        q = q * x2 - 7.373_329_2e-3;
        q = q * x2 - 1.426_474e-2;
        x * p / q
    }

    multiversion! {
        /// `x = x + bias` in place.
        pub fn add_bias(x: &mut [f32], bias: &[f32]) {
            for (v, b) in x.iter_mut().zip(bias) {
                *v += b;
            }
        }
    }

    multiversion! {
        /// `x = GELU(x + bias)` in place, GELU with the exact (erf) form.
        pub fn bias_gelu(x: &mut [f32], bias: &[f32]) {
            for (v, b) in x.iter_mut().zip(bias) {
                let u = *v + b;
                *v = 0.5 * u * (1.0 + erf(u * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }

    multiversion! {
        /// `x = LayerNorm(x + bias) · g + b` in place (biased variance, as BERT).
        pub fn bias_layernorm(x: &mut [f32], bias: &[f32], g: &[f32], b: &[f32], eps: f32) {
            for (v, bb) in x.iter_mut().zip(bias) {
                *v += bb;
            }
            let n = x.len() as f32;
            let mean = sum(x) / n;
            for v in x.iter_mut() {
                *v -= mean;
            }
            let mut acc = [0f32; LANES];
            let chunks = x.chunks_exact(LANES);
            let rest: f32 = chunks.remainder().iter().map(|v| v * v).sum();
            for c in chunks {
                for i in 0..LANES {
                    acc[i] += c[i] * c[i];
                }
            }
            let var = (acc.iter().sum::<f32>() + rest) / n;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, gg), bb) in x.iter_mut().zip(g).zip(b) {
                *v = *v * inv * gg + bb;
            }
        }
    }

    multiversion! {
        /// Softmax of one row in place (max-subtracted).
        pub fn softmax(x: &mut [f32]) {
            let m = max(x);
            for v in x.iter_mut() {
                *v = exp(*v - m);
            }
            let inv = 1.0 / sum(x);
            for v in x.iter_mut() {
                *v *= inv;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn exp_matches_std_to_float_precision() {
            let mut worst = 0f32;
            let mut x = -80.0f32;
            while x < 80.0 {
                let rel = ((exp(x) - x.exp()) / x.exp()).abs();
                worst = worst.max(rel);
                x += 0.0137;
            }
            assert!(worst < 5e-7, "worst relative error {worst}");
            assert_eq!(exp(-1000.0), (-87.0f32).exp());
        }

        /// erf in f64 by its Maclaurin series; ±1 (within 2e-8) beyond |x| = 4.
        fn erf64(x: f64) -> f64 {
            if x.abs() > 4.0 {
                return x.signum();
            }
            let mut sum = 0.0;
            let mut term = x;
            for n in 0..200 {
                let nf = n as f64;
                sum += term / (2.0 * nf + 1.0);
                term *= -x * x / (nf + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        }

        #[test]
        fn erf_matches_a_high_precision_reference() {
            let mut worst = 0f64;
            let mut x = -6.0f32;
            while x < 6.0 {
                worst = worst.max((erf(x) as f64 - erf64(x as f64)).abs());
                x += 0.0071;
            }
            assert!(worst < 5e-7, "worst absolute error {worst}");
            assert_eq!(erf(0.0), 0.0);
        }

        #[test]
        fn softmax_and_layernorm_match_the_definitions() {
            let mut row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
            let m = row.iter().cloned().fold(f32::MIN, f32::max);
            let z: f32 = row.iter().map(|v| (v - m).exp()).sum();
            let want: Vec<f32> = row.iter().map(|v| (v - m).exp() / z).collect();
            softmax(&mut row);
            for (a, b) in row.iter().zip(&want) {
                assert!((a - b).abs() < 1e-6, "{a} vs {b}");
            }

            let n = 40;
            let mut x: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let bias: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
            let g: Vec<f32> = (0..n).map(|i| 1.0 + i as f32 * 0.01).collect();
            let b: Vec<f32> = (0..n).map(|i| -(i as f32) * 0.02).collect();
            let y: Vec<f32> = x.iter().zip(&bias).map(|(a, c)| a + c).collect();
            let mean = y.iter().sum::<f32>() / n as f32;
            let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n as f32;
            let want: Vec<f32> = (0..n)
                .map(|i| (y[i] - mean) / (var + 1e-12).sqrt() * g[i] + b[i])
                .collect();
            bias_layernorm(&mut x, &bias, &g, &b, 1e-12);
            for (a, w) in x.iter().zip(&want) {
                assert!((a - w).abs() < 1e-5, "{a} vs {w}");
            }
        }

        #[test]
        fn gelu_matches_the_erf_definition() {
            let mut x: Vec<f32> = (-50..50).map(|i| i as f32 * 0.13).collect();
            let want: Vec<f32> = x
                .iter()
                .map(|&u| {
                    let u = u as f64 + 0.25;
                    (0.5 * u * (1.0 + erf64(u / std::f64::consts::SQRT_2))) as f32
                })
                .collect();
            let bias = vec![0.25f32; x.len()];
            bias_gelu(&mut x, &bias);
            for (a, w) in x.iter().zip(&want) {
                assert!((a - w).abs() < 1e-6, "{a} vs {w}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_buckets_match_transformers_mpnet() {
        // (key − query, bucket) from transformers 4/5
        // MPNetEncoder.relative_position_bucket (32 buckets, distance 128).
        let want = [
            (0, 0),
            (-1, 1),
            (1, 17),
            (-7, 7),
            (-8, 8),
            (-9, 8),
            (-15, 9),
            (-16, 10),
            (-20, 10),
            (-63, 13),
            (-64, 14),
            (-127, 15),
            (-128, 15),
            (-500, 15),
            (7, 23),
            (8, 24),
            (16, 26),
            (20, 26),
            (64, 30),
            (128, 31),
            (500, 31),
        ];
        for (rel, bucket) in want {
            assert_eq!(
                relative_bucket(rel, 32, MPNET_MAX_DISTANCE),
                bucket,
                "{rel}"
            );
        }
    }

    #[test]
    fn pooling_takes_the_mean_or_the_maximum_per_dimension() {
        let rows = [1.0, -2.0, 3.0, 4.0, 0.0, -1.0]; // two tokens, h = 3
        assert_eq!(pool(&rows, 3, Pooling::Mean), vec![2.5, -1.0, 1.0]);
        assert_eq!(pool(&rows, 3, Pooling::Max), vec![4.0, 0.0, 3.0]);
        assert_eq!(pool(&[], 3, Pooling::Max), vec![0.0; 3]);
    }

    #[test]
    fn gemm_accumulates_into_dst_as_documented() {
        // dst (2×2) = dst + x (2×3) · Wᵀ with W stored [2, 3].
        let lin = Linear {
            w: vec![1.0, 0.0, 2.0, 0.0, 1.0, -1.0],
            b: vec![0.0; 2],
            d_in: 3,
            d_out: 2,
        };
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut dst = vec![10.0, 20.0, 30.0, 40.0];
        matmul(&x, 2, &lin, &mut dst, true);
        assert_eq!(dst, vec![10.0 + 7.0, 20.0 - 1.0, 30.0 + 16.0, 40.0 - 1.0]);
        matmul(&x, 2, &lin, &mut dst, false);
        assert_eq!(dst, vec![7.0, -1.0, 16.0, -1.0]);
    }
}
