//! `veracity claims`, `veracity train checkworthiness` and
//! `veracity eval checkworthiness`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use sha2::{Digest, Sha256};
use veracity::claims::data::{self, Dataset, Fold, Labeled};
use veracity::claims::train::{compact, fit, TrainOptions};
use veracity::claims::{features, CheckWorthiness};
use veracity::embed::{CachedEncoder, Encoder};
use veracity::heads::metrics::{average_precision, precision_at, prf, Prf};
use veracity::text::{read_article, split_lines, split_sentences};

use super::{progress, GlobalArgs};

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// Article to read (.txt, .md, .html, .json); `-` reads standard input.
    pub file: PathBuf,
    /// Treat each non-empty input line as one sentence instead of segmenting prose.
    #[arg(long)]
    pub lines: bool,
    /// Print one JSON object (sentences with offsets, scores, is_claim) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Score at or above which a sentence is a claim (default: the head's own threshold).
    #[arg(long, value_name = "X")]
    pub threshold: Option<f32>,
    /// Use this check-worthiness head (JSON) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled file (ClaimBuster CSV, CheckThat! 2019 CSV or 2020 TSV); repeat for more.
    #[arg(long, required = true, value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// Where to write the head (JSON).
    #[arg(
        long,
        default_value = "models/heads/checkworthiness.json",
        value_name = "FILE"
    )]
    pub out: PathBuf,
    /// Seed for weight initialisation and mini-batch order.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Hidden units of the MLP; 0 trains a logistic regression.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Leave out the cue features (embedding only).
    #[arg(long)]
    pub no_cues: bool,
    /// Leave out the embedding (cue features only).
    #[arg(long)]
    pub no_embedding: bool,
    /// Learning rate of AdamW.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Weight decay of AdamW.
    #[arg(long, default_value_t = 1e-2)]
    pub weight_decay: f64,
    /// Maximum epochs (training stops earlier when validation loss stops improving).
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 15)]
    pub patience: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Dropout rate on the hidden layer during training.
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Train this many members (seeds seed, seed+1, ...) and average their logits.
    #[arg(long, default_value_t = 3)]
    pub ensemble: usize,
    /// Embedding cache file (created when absent), so that re-runs do not re-embed.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// ClaimBuster-format CSV: P/R/F1 on its held-out split (and, labelled, on the other parts).
    #[arg(long, value_name = "FILE")]
    pub claimbuster: Option<PathBuf>,
    /// CheckThat!-format file or folder of .csv/.tsv files: MAP, P@5, P@10 per debate/topic.
    #[arg(long, value_name = "DIR_OR_FILE")]
    pub checkthat: Vec<PathBuf>,
    /// Evaluate this head (JSON) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,
    /// Embedding cache file (created when absent), so that re-runs do not re-embed.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
}

fn load_head(path: Option<&Path>) -> anyhow::Result<CheckWorthiness> {
    Ok(match path {
        Some(p) => CheckWorthiness::from_file(p)?,
        None => CheckWorthiness::load_default()?,
    })
}

/// Embed texts in chunks with a progress bar.
fn embed_all(enc: &dyn Encoder, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
    let pb = progress::bar(texts.len() as u64, "embedding", "sentences");
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(256) {
        out.extend(enc.embed(chunk)?);
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// Score labelled rows with a head (through the given encoder).
fn score_rows(
    cw: &CheckWorthiness,
    enc: &dyn Encoder,
    rows: &[&Labeled],
) -> anyhow::Result<Vec<f32>> {
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let head = cw.head();
    let embs = if head.use_embedding {
        if enc.name() != head.encoder || enc.dims() != head.dims {
            // Let the library produce its explanatory error.
            cw.score(enc, &texts[..1])?;
        }
        embed_all(enc, &texts)?
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

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

fn prf_json(m: &Prf) -> serde_json::Value {
    let r = |x: f64| (x * 10000.0).round() / 10000.0;
    serde_json::json!({
        "precision": r(m.precision()), "recall": r(m.recall()), "f1": r(m.f1()),
        "n": m.n(), "positives": m.positives(),
    })
}

fn print_prf(what: &str, m: &Prf) {
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
struct Parts<'a> {
    train: Vec<&'a Labeled>,
    val: Vec<&'a Labeled>,
    heldout: Vec<&'a Labeled>,
    leaked: usize,
}

fn split_parts(datasets: &[Dataset]) -> Parts<'_> {
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

fn open_cache<'a>(
    enc: &'a dyn Encoder,
    path: Option<&Path>,
) -> anyhow::Result<Option<CachedEncoder<'a>>> {
    path.map(|p| {
        CachedEncoder::with_file(enc, p)
            .with_context(|| format!("opening embedding cache {}", p.display()))
    })
    .transpose()
}

pub fn run_train(g: &GlobalArgs, a: &TrainArgs) -> anyhow::Result<ExitCode> {
    if a.no_cues && a.no_embedding {
        bail!("--no-cues and --no-embedding together leave no input; drop one of them");
    }
    let mut datasets = Vec::new();
    for p in &a.data {
        let d = data::load(p).with_context(|| format!("loading {}", p.display()))?;
        eprintln!(
            "{}: {} sentences ({} check-worthy){}",
            p.display(),
            d.rows.len(),
            d.rows.iter().filter(|r| r.label).count(),
            if d.skipped > 0 {
                format!(", {} malformed rows skipped", d.skipped)
            } else {
                String::new()
            }
        );
        datasets.push(d);
    }
    let parts = split_parts(&datasets);
    if parts.val.is_empty() {
        bail!("no ClaimBuster-format file among --data: training needs one for the validation fold (header sentence_id,screening,label,text)");
    }
    eprintln!(
        "split: train {} (incl. other data), validation {}, held-out {} (never used for training){}",
        parts.train.len(),
        parts.val.len(),
        parts.heldout.len(),
        if parts.leaked > 0 {
            format!("; {} non-ClaimBuster rows dropped because their text is held out", parts.leaked)
        } else {
            String::new()
        }
    );
    let enc = g.encoder()?;
    let cache = open_cache(enc.as_ref(), a.cache.as_deref())?;
    let enc: &dyn Encoder = match &cache {
        Some(c) => c,
        None => enc.as_ref(),
    };
    let opts = TrainOptions {
        hidden: a.hidden,
        use_embedding: !a.no_embedding,
        use_cues: !a.no_cues,
        max_epochs: a.epochs,
        patience: a.patience,
        batch: a.batch,
        lr: a.lr,
        weight_decay: a.weight_decay,
        dropout: a.dropout,
        ensemble: a.ensemble,
        seed: a.seed,
    };
    // Embed every distinct text once.
    let all: Vec<&Labeled> = parts
        .train
        .iter()
        .chain(&parts.val)
        .chain(&parts.heldout)
        .copied()
        .collect();
    let mut uniq: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for r in &all {
        if seen.insert(r.text.as_str()) {
            uniq.push(r.text.as_str());
        }
    }
    let embs: HashMap<&str, Vec<f32>> = if opts.use_embedding {
        uniq.iter().copied().zip(embed_all(enc, &uniq)?).collect()
    } else {
        HashMap::new()
    };
    let empty = Vec::new();
    let input = |r: &Labeled| -> Vec<f32> {
        let mut v = Vec::new();
        if opts.use_embedding {
            v.extend_from_slice(embs.get(r.text.as_str()).unwrap_or(&empty));
        }
        if opts.use_cues {
            v.extend(features::cues(&r.text));
        }
        v
    };
    let xs = |rows: &[&Labeled]| -> (Vec<Vec<f32>>, Vec<bool>) {
        (
            rows.iter().map(|r| input(r)).collect(),
            rows.iter().map(|r| r.label).collect(),
        )
    };
    let (xt, yt) = xs(&parts.train);
    let (xv, yv) = xs(&parts.val);
    let (xh, yh) = xs(&parts.heldout);
    eprintln!(
        "training {} on {} inputs per sentence...",
        if opts.hidden == 0 {
            "logistic regression".to_string()
        } else {
            format!("MLP ({} hidden units)", opts.hidden)
        },
        xt.first().map_or(0, Vec::len)
    );
    let (mut head, report) = fit(
        enc.name(),
        enc.dims(),
        &xt,
        &yt,
        &xv,
        &yv,
        &opts,
        serde_json::Value::Null,
    )?;
    compact(&mut head);
    let t = head.threshold;
    let m_train = prf(&head.score_inputs(&xt)?, &yt, t);
    let m_val = prf(&head.score_inputs(&xv)?, &yv, t);
    let m_held = prf(&head.score_inputs(&xh)?, &yh, t);
    let mut files = Vec::new();
    for d in &datasets {
        files.push(serde_json::json!({
            "file": d.path.file_name().map(|f| f.to_string_lossy().into_owned()),
            "sha256": sha256_file(&d.path)?,
            "rows": d.rows.len(),
            "skipped": d.skipped,
        }));
    }
    head.provenance = serde_json::json!({
        "command": super::reproducible_command(&[]),
        "veracity_version": env!("CARGO_PKG_VERSION"),
        "data": files,
        "split_rule": data::SPLIT_RULE,
        "seed": a.seed,
        "options": opts,
        "epochs_run": report.epochs_run,
        "best_epoch": report.best_epoch,
        "threshold_chosen_on": "validation fold, maximising F1",
        "sentences": {"train": xt.len(), "validation": xv.len(), "held_out": xh.len(), "dropped_as_held_out": parts.leaked},
        "metrics": {
            "train": prf_json(&m_train),
            "validation": prf_json(&m_val),
            "held_out": prf_json(&m_held),
        },
    });
    let json = serde_json::to_string(&head)?;
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&a.out, json + "\n").with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "epochs: {} (best {}), threshold {:.4} (validation)",
        report.epochs_run, report.best_epoch, t
    );
    print_prf("train part (seen in training):", &m_train);
    print_prf("validation (threshold chosen):", &m_val);
    print_prf("held-out ClaimBuster:", &m_held);
    println!("wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The .csv/.tsv files under a path, sorted.
fn data_files(p: &Path) -> anyhow::Result<Vec<PathBuf>> {
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

pub fn run_eval(g: &GlobalArgs, a: &EvalArgs) -> anyhow::Result<ExitCode> {
    if a.claimbuster.is_none() && a.checkthat.is_empty() {
        bail!("nothing to evaluate: pass --claimbuster FILE and/or --checkthat DIR_OR_FILE");
    }
    let cw = load_head(a.head.as_deref())?;
    let enc = g.encoder()?;
    let cache = open_cache(enc.as_ref(), a.cache.as_deref())?;
    let enc: &dyn Encoder = match &cache {
        Some(c) => c,
        None => enc.as_ref(),
    };
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
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct ClaimRow<'a> {
    index: usize,
    start: usize,
    end: usize,
    text: &'a str,
    score: f32,
    is_claim: bool,
}

pub fn run_claims(g: &GlobalArgs, a: &ClaimsArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = a.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold {t} is outside [0, 1]");
        }
    }
    let article = read_article(&a.file)?;
    let sentences = if a.lines {
        split_lines(&article.text)
    } else {
        split_sentences(&article.text)
    };
    let cw = load_head(a.head.as_deref())?;
    let threshold = a.threshold.unwrap_or(cw.threshold());
    let scores = if sentences.is_empty() {
        Vec::new()
    } else {
        let enc = g.encoder()?;
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        cw.score(enc.as_ref(), &texts)?
    };
    let rows: Vec<ClaimRow> = sentences
        .iter()
        .zip(&scores)
        .map(|(s, &score)| ClaimRow {
            index: s.index,
            start: s.start,
            end: s.end,
            text: &s.text,
            score,
            is_claim: score >= threshold,
        })
        .collect();
    let n_claims = rows.iter().filter(|r| r.is_claim).count();
    let name = article
        .path
        .as_ref()
        .map_or("-".to_string(), |p| p.display().to_string());
    let mut out = std::io::stdout().lock();
    if a.json {
        let v = serde_json::json!({
            "file": name,
            "title": article.title,
            "offsets": if article.path.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("md"))) { "file bytes" } else { "UTF-8 bytes of the extracted text" },
            "mode": if a.lines { "lines" } else { "sentences" },
            "threshold": threshold,
            "sentences": rows,
            "claims": n_claims,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let bold = std::io::stdout().is_terminal();
    writeln!(
        out,
        "{name}{}",
        article
            .title
            .as_ref()
            .map_or(String::new(), |t| format!(": {t}"))
    )?;
    writeln!(
        out,
        "{:>4} {:>7} {:>7} {:>6} {:>5}  sentence",
        "#", "start", "end", "score", "claim"
    )?;
    for r in &rows {
        let text = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mark = if r.is_claim { "yes" } else { "" };
        let (on, off) = if bold && r.is_claim {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("", "")
        };
        writeln!(
            out,
            "{:>4} {:>7} {:>7} {:>6.3} {:>5}  {on}{text}{off}",
            r.index, r.start, r.end, r.score, mark
        )?;
    }
    writeln!(
        out,
        "{} sentence(s), {n_claims} claim(s) at threshold {threshold:.3}",
        rows.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
