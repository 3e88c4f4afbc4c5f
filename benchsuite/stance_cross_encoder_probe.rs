//! Probe: fine-tune all-MiniLM-L6-v2 as a cross-encoder ("claim [SEP] sentence" → supports /
//! refutes / neutral) on the evidence pairs of Climate-FEVER's tuning claims, then score the
//! held-out claims' pairs (the hash split of `eval verdicts`): evidence-level accuracy and
//! macro-F1 after each epoch. The BERT forward is written here with a differentiable layer norm
//! and softmax (candle-nn's fused `layer_norm` and `softmax_last_dim` have no backward).
//! A cargo example of the `experiments` feature (measured, not shipped):
//!   cargo run --profile profiling --features experiments \
//!     --example stance_cross_encoder_probe -- CF.jsonl MODEL_DIR EPOCHS
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{AdamW, Embedding, Linear, Module, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::io::BufRead;
use veracity::embed::cache::text_key;

fn heldout(id: &str) -> bool {
    (text_key(&format!("verdict-split:{id}")) % 10_000) < 3_000
}

struct Ln {
    w: Tensor,
    b: Tensor,
}
impl Ln {
    fn new(vb: VarBuilder, h: usize) -> candle_core::Result<Self> {
        Ok(Ln {
            w: vb.get(h, "weight")?,
            b: vb.get(h, "bias")?,
        })
    }
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let xc = x.broadcast_sub(&mean)?;
        let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
        let xn = xc.broadcast_div(&(var + 1e-12)?.sqrt()?)?;
        xn.broadcast_mul(&self.w)?.broadcast_add(&self.b)
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ln1: Ln,
    i: Linear,
    out: Linear,
    ln2: Ln,
}

struct Bert {
    word: Embedding,
    pos: Embedding,
    typ: Embedding,
    ln: Ln,
    layers: Vec<Layer>,
    heads: usize,
}

impl Bert {
    fn load(
        vb: VarBuilder,
        h: usize,
        ff: usize,
        n: usize,
        heads: usize,
        vocab: usize,
    ) -> candle_core::Result<Self> {
        let e = vb.pp("embeddings");
        let lin = |vb: VarBuilder, i, o| candle_nn::linear(i, o, vb);
        let mut layers = Vec::new();
        for l in 0..n {
            let p = vb.pp(format!("encoder.layer.{l}"));
            layers.push(Layer {
                q: lin(p.pp("attention.self.query"), h, h)?,
                k: lin(p.pp("attention.self.key"), h, h)?,
                v: lin(p.pp("attention.self.value"), h, h)?,
                o: lin(p.pp("attention.output.dense"), h, h)?,
                ln1: Ln::new(p.pp("attention.output.LayerNorm"), h)?,
                i: lin(p.pp("intermediate.dense"), h, ff)?,
                out: lin(p.pp("output.dense"), ff, h)?,
                ln2: Ln::new(p.pp("output.LayerNorm"), h)?,
            });
        }
        Ok(Bert {
            word: candle_nn::embedding(vocab, h, e.pp("word_embeddings"))?,
            pos: candle_nn::embedding(512, h, e.pp("position_embeddings"))?,
            typ: candle_nn::embedding(2, h, e.pp("token_type_embeddings"))?,
            ln: Ln::new(e.pp("LayerNorm"), h)?,
            layers,
            heads,
        })
    }
    fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let pos = Tensor::arange(0u32, t as u32, ids.device())?.unsqueeze(0)?;
        let mut x = self.ln.forward(
            &self
                .word
                .forward(ids)?
                .broadcast_add(&self.pos.forward(&pos)?)?
                .add(&self.typ.forward(types)?)?,
        )?;
        let h = x.dim(2)?;
        let dh = h / self.heads;
        // (b, 1, 1, t): 0 where a token is present, -10000 where padded.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 10000.0)?.reshape((b, 1, 1, t))?;
        for l in &self.layers {
            let split = |z: Tensor| {
                z.reshape((b, t, self.heads, dh))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (
                split(l.q.forward(&x)?)?,
                split(l.k.forward(&x)?)?,
                split(l.v.forward(&x)?)?,
            );
            let att = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?.broadcast_add(&bias)?;
            let att = candle_nn::ops::softmax(&att, D::Minus1)?;
            let ctx = att.matmul(&v)?.transpose(1, 2)?.reshape((b, t, h))?;
            let a = l.ln1.forward(&(l.o.forward(&ctx)? + &x)?)?;
            let f = l.out.forward(&l.i.forward(&a)?.gelu_erf()?)?;
            x = l.ln2.forward(&(f + a)?)?;
        }
        Ok(x)
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (cf, mdir, epochs) = (
        &args[1],
        std::path::Path::new(&args[2]),
        args[3].parse::<usize>()?,
    );
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for line in std::io::BufReader::new(std::fs::File::open(cf)?).lines() {
        let d: serde_json::Value = serde_json::from_str(&line?)?;
        let id = d["claim_id"].as_str().unwrap_or_default().to_string();
        let claim = d["claim"].as_str().unwrap_or_default().to_string();
        for e in d["evidences"].as_array().into_iter().flatten() {
            let y = match e["evidence_label"].as_str() {
                Some("SUPPORTS") => 0usize,
                Some("REFUTES") => 1,
                Some("NOT_ENOUGH_INFO") => 2,
                _ => continue,
            };
            let row = (
                claim.clone(),
                e["evidence"].as_str().unwrap_or_default().to_string(),
                y,
            );
            if heldout(&id) {
                test.push(row)
            } else {
                train.push(row)
            }
        }
    }
    println!("train pairs {}, held-out pairs {}", train.len(), test.len());
    let dev = Device::Cpu;
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mdir.join("config.json"))?)?;
    let g = |k: &str| cfg[k].as_u64().unwrap_or(0) as usize;
    let hsz = g("hidden_size");
    let tok = tokenizers::Tokenizer::from_file(mdir.join("tokenizer.json"))
        .map_err(anyhow::Error::msg)?;
    let mut bert_vm = VarMap::new();
    let model = Bert::load(
        VarBuilder::from_varmap(&bert_vm, DType::F32, &dev),
        hsz,
        g("intermediate_size"),
        g("num_hidden_layers"),
        g("num_attention_heads"),
        g("vocab_size"),
    )?;
    bert_vm.load(mdir.join("model.safetensors"))?;
    let head_vm = VarMap::new();
    let cls = candle_nn::linear(
        hsz,
        3,
        VarBuilder::from_varmap(&head_vm, DType::F32, &dev).pp("cls"),
    )?;
    let steps_total = epochs * train.len().div_ceil(16);
    let blr: f64 = std::env::var("BLR")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3e-5);
    let hlr: f64 = std::env::var("HLR")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1e-3);
    let mut opt = AdamW::new(
        bert_vm.all_vars(),
        ParamsAdamW {
            lr: blr,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    let mut hopt = AdamW::new(
        head_vm.all_vars(),
        ParamsAdamW {
            lr: hlr,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    let mut count = [0f32; 3];
    for r in &train {
        count[r.2] += 1.0;
    }
    let cw: Vec<f32> = count
        .iter()
        .map(|c| train.len() as f32 / (3.0 * c))
        .collect();
    let cw = Tensor::new(cw.as_slice(), &dev)?;
    let batch = |rows: &[(String, String, usize)]| -> anyhow::Result<(Tensor, Tensor, Tensor)> {
        let enc: Vec<_> = rows
            .iter()
            .map(|r| {
                tok.encode((r.0.as_str(), r.1.as_str()), true)
                    .map_err(anyhow::Error::msg)
            })
            .collect::<Result<_, _>>()?;
        let t = enc
            .iter()
            .map(|e| e.get_ids().len().min(128))
            .max()
            .unwrap_or(1);
        let n = rows.len() * t;
        let (mut ids, mut types, mut mask) = (vec![0u32; n], vec![0u32; n], vec![0u32; n]);
        for (i, e) in enc.iter().enumerate() {
            for j in 0..e.get_ids().len().min(t) {
                ids[i * t + j] = e.get_ids()[j];
                types[i * t + j] = e.get_type_ids()[j];
                mask[i * t + j] = 1;
            }
        }
        let sh = (rows.len(), t);
        Ok((
            Tensor::from_vec(ids, sh, &dev)?,
            Tensor::from_vec(types, sh, &dev)?,
            Tensor::from_vec(mask, sh, &dev)?,
        ))
    };
    let logits = |ids: &Tensor, types: &Tensor, mask: &Tensor| -> anyhow::Result<Tensor> {
        let h = model.forward(ids, types, mask)?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let pooled = h.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?)?;
        Ok(cls.forward(&pooled)?)
    };
    let mut rng = veracity::rng::SplitMix64::new(42);
    let start = std::time::Instant::now();
    let mut step = 0;
    for ep in 0..epochs {
        let mut order: Vec<usize> = (0..train.len()).collect();
        rng.shuffle(&mut order);
        let mut total = 0f32;
        for chunk in order.chunks(16) {
            let rows: Vec<_> = chunk.iter().map(|&i| train[i].clone()).collect();
            let (ids, types, mask) = batch(&rows)?;
            let z = logits(&ids, &types, &mask)?;
            let y = Tensor::from_vec(
                rows.iter().map(|r| r.2 as u32).collect::<Vec<_>>(),
                rows.len(),
                &dev,
            )?;
            let logp = candle_nn::ops::log_softmax(&z, 1)?;
            let picked = logp.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?;
            let w = cw.index_select(&y, 0)?;
            let loss =
                ((picked * &w)?.sum_all()? / w.sum_all()?.to_scalar::<f32>()? as f64)?.neg()?;
            step += 1;
            let decay = (1.0 - step as f64 / steps_total as f64).max(0.0);
            opt.set_learning_rate(blr * decay);
            hopt.set_learning_rate(hlr * decay);
            let grads = loss.backward()?;
            if step == 1 {
                let data = bert_vm.data().lock().unwrap();
                let with = data.values().filter(|v| grads.get(v).is_some()).count();
                println!("BERT weights with a gradient: {with} of {}", data.len());
                if std::env::var("DEBUG_NAMES").is_ok() {
                    let mut none: Vec<_> = data
                        .iter()
                        .filter(|(_, v)| grads.get(v).is_none())
                        .map(|(k, _)| k.clone())
                        .collect();
                    none.sort();
                    println!("{none:?}");
                    std::process::exit(0);
                }
            }
            opt.step(&grads)?;
            hopt.step(&grads)?;
            let l = loss.to_scalar::<f32>()?;
            total += l;
            if step % 50 == 0 {
                println!(
                    "  step {step}: loss {l:.4}, {:.0} s",
                    start.elapsed().as_secs_f64()
                );
            }
        }
        println!(
            "epoch {ep}: mean loss {:.4}, {:.0} s",
            total / (train.len() as f32 / 16.0),
            start.elapsed().as_secs_f64()
        );
        let mut m = [[0usize; 3]; 3];
        for chunk in test.chunks(64) {
            let (ids, types, mask) = batch(chunk)?;
            let z: Vec<Vec<f32>> = logits(&ids, &types, &mask)?.to_vec2()?;
            for (r, zz) in chunk.iter().zip(z) {
                let a = (0..3).max_by(|&i, &j| zz[i].total_cmp(&zz[j])).unwrap_or(2);
                m[r.2][a] += 1;
            }
        }
        let n: usize = m.iter().flatten().sum();
        let acc = (0..3).map(|i| m[i][i]).sum::<usize>() as f64 / n as f64;
        let f1 = (0..3)
            .map(|c| {
                let tp = m[c][c] as f64;
                let p: f64 = (0..3).map(|r| m[r][c] as f64).sum();
                let gsum: f64 = m[c].iter().sum::<usize>() as f64;
                if tp == 0.0 {
                    0.0
                } else {
                    2.0 * tp / (p + gsum)
                }
            })
            .sum::<f64>()
            / 3.0;
        println!(
            "  held-out pairs: accuracy {acc:.3}, macro-F1 {f1:.3}, confusion {m:?}, {:.0} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
