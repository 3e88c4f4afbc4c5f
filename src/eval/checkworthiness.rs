//! `veracity eval checkworthiness`: precision, recall and F1 of the
//! check-worthiness head on ClaimBuster's held-out split, and MAP, P@5 and
//! P@10 per CheckThat! debate or topic.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::claims::CheckWorthiness;
use crate::embed::{self, Encoder, EncoderOptions};
use crate::eval::data::checkworthiness::{self as data, Dataset, Fold, Labeled};
use crate::metrics::{average_precision, precision_at, prf, Prf};

use crate::error::{bail, ResultExt};
use crate::Result;

#[derive(Debug)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct EvalArgs {
    /// ClaimBuster-format CSV: P/R/F1 on its held-out split (and, labelled, on the other parts).
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub claimbuster: Option<PathBuf>,
    /// CheckThat!-format file or folder of .csv/.tsv files: MAP, P@5, P@10 per debate/topic.
    #[cfg_attr(feature = "cli", arg(long, value_name = "DIR_OR_FILE"))]
    pub checkthat: Vec<PathBuf>,
    /// Evaluate this head (JSON) instead of the built-in one.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub head: Option<PathBuf>,
    /// Embedding cache file (created when absent), so that re-runs do not re-embed.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub cache: Option<PathBuf>,
}

fn load_head(path: Option<&Path>) -> Result<CheckWorthiness> {
    Ok(match path {
        Some(p) => CheckWorthiness::from_file(p)?,
        None => CheckWorthiness::load_default()?,
    })
}

/// Embeddings of `texts`, in order.
pub(crate) fn embed_in_order(enc: &dyn Encoder, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
    let map = super::embed_all(enc, texts)?;
    Ok(texts.iter().map(|t| map[*t].clone()).collect())
}

/// Score labelled rows with a head (through the given encoder).
fn score_rows(cw: &CheckWorthiness, enc: &dyn Encoder, rows: &[&Labeled]) -> Result<Vec<f32>> {
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let head = cw.head();
    let embs = if head.use_embedding {
        if enc.name() != head.encoder || enc.dims() != head.dims {
            // Let the library produce its explanatory error.
            cw.score(enc, &texts[..1])?;
        }
        embed_in_order(enc, &texts)?
    } else {
        vec![Vec::new(); texts.len()]
    };
    let inputs: Vec<Vec<f32>> = texts
        .iter()
        .zip(&embs)
        .map(|(t, e)| head.input(e, t))
        .collect();
    Ok(head.score_inputs(&inputs)?)
}

pub(crate) fn prf_json(m: &Prf) -> serde_json::Value {
    let r = |x: f64| (x * 10000.0).round() / 10000.0;
    serde_json::json!({
        "precision": r(m.precision()), "recall": r(m.recall()), "f1": r(m.f1()),
        "n": m.n(), "positives": m.positives(),
    })
}

pub(crate) fn print_prf(what: &str, m: &Prf) {
    println!(
        "{what:<34} n={:<5} positives={:<5} precision={:.4} recall={:.4} F1={:.4}",
        m.n(),
        m.positives(),
        m.precision(),
        m.recall(),
        m.f1()
    );
}

/// Rows by part: ClaimBuster rows by their fold; other rows go to training
/// unless their text is in the held-out part.
pub(crate) struct Parts<'a> {
    pub(crate) train: Vec<&'a Labeled>,
    pub(crate) val: Vec<&'a Labeled>,
    pub(crate) heldout: Vec<&'a Labeled>,
    pub(crate) leaked: usize,
}

pub(crate) fn split_parts(datasets: &[Dataset]) -> Parts<'_> {
    let mut p = Parts {
        train: Vec::new(),
        val: Vec::new(),
        heldout: Vec::new(),
        leaked: 0,
    };
    let mut held_texts = HashSet::new();
    for r in datasets
        .iter()
        .flat_map(|d| &d.rows)
        .filter(|r| r.claimbuster)
    {
        match data::fold_of(&r.text) {
            Fold::HeldOut => {
                held_texts.insert(data::normalise(&r.text));
                p.heldout.push(r);
            }
            Fold::Validation => p.val.push(r),
            Fold::Train => p.train.push(r),
        }
    }
    for r in datasets
        .iter()
        .flat_map(|d| &d.rows)
        .filter(|r| !r.claimbuster)
    {
        if held_texts.contains(&data::normalise(&r.text)) {
            p.leaked += 1;
        } else {
            p.train.push(r);
        }
    }
    p
}

/// The .csv/.tsv files under a path, sorted.
fn data_files(p: &Path) -> Result<Vec<PathBuf>> {
    if !p.is_dir() {
        if !p.exists() {
            bail!("{} does not exist", p.display());
        }
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let path = e?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("csv") || x.eq_ignore_ascii_case("tsv"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn run(models: &EncoderOptions, a: &EvalArgs) -> Result<()> {
    if a.claimbuster.is_none() && a.checkthat.is_empty() {
        bail!("nothing to evaluate: pass --claimbuster FILE and/or --checkthat DIR_OR_FILE");
    }
    let cw = load_head(a.head.as_deref())?;
    let enc = embed::load_encoder(models)?;
    let cache = super::cached(enc.as_ref(), a.cache.as_deref())?;
    let enc: &dyn Encoder = &cache;
    let t = cw.threshold();
    println!(
        "head: {} (threshold {t:.4})",
        a.head
            .as_ref()
            .map_or("built-in models/heads/checkworthiness.json".into(), |p| p
                .display()
                .to_string())
    );
    if let Some(p) = &a.claimbuster {
        let d = data::load(p).with_context(|| format!("loading {}", p.display()))?;
        if d.rows.is_empty() || !d.rows[0].claimbuster {
            bail!(
                "{} is not in ClaimBuster format (header sentence_id,screening,label,text)",
                p.display()
            );
        }
        let parts = split_parts(std::slice::from_ref(&d));
        println!(
            "ClaimBuster {} ({} sentences, {} malformed rows skipped)",
            p.display(),
            d.rows.len(),
            d.skipped
        );
        for (what, rows) in [
            ("held-out split:", &parts.heldout),
            ("validation part (threshold tuned):", &parts.val),
            ("train part (seen in training):", &parts.train),
        ] {
            let s = score_rows(&cw, enc, rows)?;
            let y: Vec<bool> = rows.iter().map(|r| r.label).collect();
            print_prf(what, &prf(&s, &y, t));
        }
    }
    for root in &a.checkthat {
        for f in data_files(root)? {
            let d = data::load(&f).with_context(|| format!("loading {}", f.display()))?;
            let rows: Vec<&Labeled> = d.rows.iter().collect();
            let s = score_rows(&cw, enc, &rows)?;
            let mut groups: BTreeMap<&str, (Vec<f32>, Vec<bool>)> = BTreeMap::new();
            for (r, sc) in rows.iter().zip(&s) {
                let e = groups.entry(r.group.as_str()).or_default();
                e.0.push(*sc);
                e.1.push(r.label);
            }
            println!(
                "CheckThat! {} ({} sentences, {} malformed rows skipped)",
                f.display(),
                rows.len(),
                d.skipped
            );
            let (mut aps, mut p5s, mut p10s) = (Vec::new(), Vec::new(), Vec::new());
            for (g, (sc, y)) in &groups {
                let pos = y.iter().filter(|&&v| v).count();
                if pos == 0 {
                    println!(
                        "  {g:<32} n={:<6} positives=0 (skipped: AP undefined)",
                        y.len()
                    );
                    continue;
                }
                let ap = average_precision(sc, y);
                let (p5, p10) = (precision_at(sc, y, 5), precision_at(sc, y, 10));
                println!(
                    "  {g:<32} n={:<6} positives={pos:<4} AP={ap:.4} P@5={p5:.2} P@10={p10:.2}",
                    y.len()
                );
                aps.push(ap);
                p5s.push(p5);
                p10s.push(p10);
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            println!(
                "  MAP={:.4} mean P@5={:.4} mean P@10={:.4} over {} ranking(s)",
                mean(&aps),
                mean(&p5s),
                mean(&p10s),
                aps.len()
            );
        }
    }
    Ok(())
}
