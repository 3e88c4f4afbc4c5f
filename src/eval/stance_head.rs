//! `veracity eval verdicts --stance-head`: an experiment with the learned
//! stance head ([`crate::verdict::head`]).
//!
//! The head is trained on the stance-labelled pairs of the tuning claims
//! (the same hash split as the verdict evaluation) of the data sets named in
//! `--head-train-on`: Climate-FEVER evidence labels and/or SciFact rationale
//! sentences (with sampled non-rationale sentences as neutral pairs). Its
//! thresholds are chosen on those tuning claims, pooled, from cross-fitted
//! probabilities (5 folds by a hash of the claim id: a tuning claim is
//! scored by the model that did not see its pairs), and the held-out claims
//! (and every data set not trained on) are scored once by the model trained
//! on all tuning pairs.
//!
//! Two claim-level rules are reported: the head alone (best p(supports) and
//! p(refutes) among the top passages against thresholds) and a hybrid
//! (similarity decides support as in the baseline, the head only adds
//! refutations). docs/verdicts.md gives the figures.

use std::collections::HashMap;

use crate::embed::{cache::text_key, Encoder};
use crate::error::{bail, OptionExt};
use crate::verdict::config::StanceConfig;
use crate::verdict::head::{self, HeadTrainOptions, StanceHead};
use crate::verdict::{Conflicts, Stance, StanceMethod, VerdictConfig, VerdictKind};
use crate::{Error, Result};
use rayon::prelude::*;

use crate::eval::verdicts::{
    gold_row, is_heldout, print_confusion, print_metrics, score_verdicts, steps, Case, DataKey,
    Dataset, Gold, HeadOptionArgs, Scores,
};

const FOLDS: u64 = 5;

/// What the experiment chose: the head trained on all tuning pairs, its
/// options, the hybrid's thresholds (pooled tuning claims) and the training
/// pairs per data set (name, supports, refutes, neutral).
pub(crate) struct HeadOutcome {
    pub(crate) head: StanceHead,
    pub(crate) options: HeadTrainOptions,
    pub(crate) config: VerdictConfig,
    pub(crate) pairs: Vec<(String, [usize; 3])>,
    /// Tuning claims paired with themselves (supports), all data sets.
    pub(crate) identity_pairs: usize,
    /// The encoder whose embeddings the head reads, and their dimensions.
    pub(crate) encoder: String,
    pub(crate) dims: usize,
    /// Whether the head reads the token-alignment features.
    pub(crate) alignment: bool,
}

/// A trained configuration: cross-fitted macro-F1, options, fold models,
/// cross-fitted probabilities.
type Chosen = (f64, HeadTrainOptions, Vec<StanceHead>, Vec<[f32; 3]>);

fn fold(id: &str) -> usize {
    (text_key(&format!("stance-fold:{id}")) % FOLDS) as usize
}

/// Embeddings and content-token matrices ([`head::TokenMatrix`]) of `texts`,
/// by text, from one forward pass per text.
#[allow(clippy::type_complexity)]
fn embed_tokens_all(
    enc: &dyn Encoder,
    texts: Vec<&str>,
) -> Result<(
    HashMap<String, Vec<f32>>,
    HashMap<String, head::TokenMatrix>,
)> {
    let mut uniq: Vec<&str> = texts;
    uniq.sort_unstable();
    uniq.dedup();
    let pb = crate::progress::bar(uniq.len() as u64, "token states", "sentences");
    let (mut emb, mut toks) = (HashMap::new(), HashMap::new());
    for part in uniq.chunks(64) {
        let states = enc.embed_tokens(part)?.ok_or_else(|| {
            Error::Invalid(format!(
                "the encoder {} gives no token states; drop --head-alignment",
                enc.name()
            ))
        })?;
        for (t, ts) in part.iter().zip(states) {
            toks.insert(t.to_string(), head::TokenMatrix::new(&ts, enc.dims()));
            emb.insert(t.to_string(), ts.pooled);
        }
        pb.inc(part.len() as u64);
    }
    pb.finish_and_clear();
    Ok((emb, toks))
}

/// Verdict column from the head's passage probabilities: the best
/// supporting and refuting probability among the `k` most similar relevant
/// passages against their thresholds; the stronger side wins a tie-in.
fn column(probs: &[[f32; 3]], k: usize, mean: bool, ts: f32, tr: f32) -> usize {
    let (mut s, mut r) = (0f32, 0f32);
    let top = &probs[..k.min(probs.len())];
    for p in top {
        if mean {
            s += p[head::SUPPORTS] / top.len() as f32;
            r += p[head::REFUTES] / top.len() as f32;
        } else {
            s = s.max(p[head::SUPPORTS]);
            r = r.max(p[head::REFUTES]);
        }
    }
    match (s >= ts, r >= tr) {
        (true, true) if s >= r => 0,
        (true, false) => 0,
        (_, true) => 1,
        _ => 2,
    }
}

/// Hybrid (`[stance] method = "head"` as `check` uses it): refuted when
/// some passage among the top `k` refutes by [`head::stance_of`], else
/// supported when one supports, else not enough info.
fn column_hybrid(c: &Case, probs: &[[f32; 3]], st: &StanceConfig) -> usize {
    let stances = probs
        .iter()
        .zip(c.passages.iter().zip(&c.conflicts))
        .enumerate()
        .map(|(rank, (p, (x, k)))| head::stance_of(rank, x.similarity, *p, k, st));
    let (mut sup, mut refu) = (false, false);
    for s in stances {
        refu |= s == Stance::Refutes;
        sup |= s == Stance::Supports;
    }
    if refu {
        1
    } else if sup {
        0
    } else {
        2
    }
}

/// The `[stance]` section of `base` with the hybrid thresholds of `p`.
fn head_config(base: &VerdictConfig, p: Params) -> VerdictConfig {
    let mut c = base.clone();
    c.stance.method = StanceMethod::Head;
    c.stance.head_top_k = p.k;
    c.stance.head_support_similarity = p.tsim;
    c.stance.head_support_probability = p.ts;
    c.stance.head_refute_probability = p.tr;
    c.stance.head_rule_conflicts = p.rule;
    c
}

fn score<'a>(cases: impl Iterator<Item = (&'a Case, &'a Vec<[f32; 3]>)>, p: Params) -> Scores {
    let mut s = Scores::default();
    let st = head_config(&VerdictConfig::default(), p).stance;
    for (c, probs) in cases {
        let col = if p.tsim > 0.0 {
            column_hybrid(c, probs, &st)
        } else {
            column(probs, p.k, p.mean, p.ts, p.tr)
        };
        s.m[gold_row(c.gold)][col] += 1;
        if c.gold != Gold::Disputed {
            let v = [
                VerdictKind::VerifiedByReference,
                VerdictKind::Contradicted,
                VerdictKind::InsufficientEvidence,
            ][col];
            *s.kinds.entry(v).or_default() += 1;
        }
    }
    s
}

#[derive(Debug, Clone, Copy)]
struct Params {
    k: usize,
    mean: bool,
    /// > 0: the hybrid rule with this similarity threshold for support.
    tsim: f32,
    ts: f32,
    tr: f32,
    /// Hybrid only: the rules' conflicts also refute (`head_rule_conflicts`).
    rule: bool,
}

/// Evidence-level confusion and macro-F1 of argmax predictions.
fn evidence_scores(preds: &[[f32; 3]], y: &[usize]) -> (f64, f64) {
    let mut m = [[0usize; 3]; 3];
    for (p, &g) in preds.iter().zip(y) {
        let a = (0..3).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap_or(2);
        m[g][a] += 1;
    }
    let n: usize = m.iter().flatten().sum();
    let acc = (0..3).map(|i| m[i][i]).sum::<usize>() as f64 / n.max(1) as f64;
    let f1 = (0..3)
        .map(|c| {
            let tp = m[c][c] as f64;
            let pred: f64 = (0..3).map(|r| m[r][c] as f64).sum();
            let gold: f64 = m[c].iter().sum::<usize>() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (pred + gold)
            }
        })
        .sum::<f64>()
        / 3.0;
    (acc, f1)
}

/// [`evidence_scores`] over the rows marked `real` (the labelled pairs).
fn labelled_scores(preds: &[[f32; 3]], y: &[usize], real: &[bool]) -> (f64, f64) {
    let keep = |i: &usize| real[*i];
    let p: Vec<[f32; 3]> = (0..y.len()).filter(keep).map(|i| preds[i]).collect();
    let g: Vec<usize> = (0..y.len()).filter(keep).map(|i| y[i]).collect();
    evidence_scores(&p, &g)
}

/// Fold of a claim for cross-fitting: a hash of its id (prefixed with the
/// data set's name except for Climate-FEVER, whose folds predate SciFact
/// pairs, so that ids shared by both data sets fall in independent folds).
fn fold_of(d: &Dataset, id: &str) -> usize {
    match d.key {
        DataKey::ClimateFever => fold(id),
        DataKey::Scifact => fold(&format!("scifact:{id}")),
    }
}

/// Train and measure the stance head on `sets` (embedded by `enc`): its
/// training pairs come from the tuning claims of the data sets in
/// `train_on`, the split is the verdict evaluation's (`heldout`).
pub(crate) fn run(
    enc: &dyn Encoder,
    sets: &[Dataset],
    cfg: &VerdictConfig,
    heldout: f64,
    train_on: &[DataKey],
    opts: &HeadOptionArgs,
) -> Result<HeadOutcome> {
    let train_on = |d: &Dataset| train_on.contains(&d.key) && !d.pairs.is_empty();
    if !sets.iter().any(train_on) {
        bail!(
            "--stance-head needs stance-labelled pairs from a data set named in --head-train-on \
             (Climate-FEVER evidence_label, or SciFact rationales) and that data set loaded"
        );
    }
    let tol = cfg.stance.number_tolerance;
    let mut texts: Vec<&str> = Vec::new();
    for d in sets {
        for c in &d.cases {
            texts.push(&c.claim);
            texts.extend(c.passages.iter().map(|p| p.text.as_str()));
        }
        for p in &d.pairs {
            texts.push(&p.1);
            texts.push(&p.2);
        }
    }
    let alignment = opts.head_alignment;
    let (emb, toks) = if alignment {
        embed_tokens_all(enc, texts)?
    } else {
        (super::embed_all(enc, &texts)?, HashMap::new())
    };
    // The head's input row of a (claim, sentence) pair.
    let feat = |claim: &str, text: &str, k: &Conflicts| -> Vec<f32> {
        let t = alignment.then(|| (&toks[claim], &toks[text]));
        head::pair_inputs(&emb[claim], &emb[text], k, t)
    };
    // Feature rows, labels and folds of one data set's pairs of one part.
    let pair_rows = |d: &Dataset, held: bool| -> (Vec<Vec<f32>>, Vec<usize>, Vec<usize>) {
        let sel: Vec<_> = d
            .pairs
            .iter()
            .filter(|p| is_heldout(&p.0, heldout) == held)
            .collect();
        let x = sel
            .par_iter()
            .map(|p| feat(&p.1, &p.2, &Conflicts::find(&p.1, &p.2, tol)))
            .collect();
        (
            x,
            sel.iter().map(|p| p.3).collect(),
            sel.iter().map(|p| fold_of(d, &p.0)).collect(),
        )
    };
    // Each claim paired with itself (label supports).
    let identity_rows = |d: &Dataset, held: bool| -> (Vec<Vec<f32>>, Vec<usize>) {
        let sel: Vec<_> = d.cases.iter().filter(|c| c.heldout == held).collect();
        let x = sel
            .par_iter()
            .map(|c| {
                feat(
                    &c.claim,
                    &c.claim,
                    &Conflicts::find(&c.claim, &c.claim, tol),
                )
            })
            .collect();
        (x, sel.iter().map(|c| fold_of(d, &c.id)).collect())
    };
    // `real[i]`: row i is a labelled pair (not an identity pair); the
    // evidence-level figures are taken over labelled pairs only.
    let (mut x, mut y, mut folds, mut real) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut pair_counts = Vec::new();
    let mut identity_count = 0usize;
    println!("== learned stance head (experiment)");
    for d in sets.iter().filter(|d| train_on(d)) {
        let (xd, yd, fd) = pair_rows(d, false);
        let mut count = [0usize; 3];
        for &c in &yd {
            count[c] += 1;
        }
        println!(
            "training pairs from {} tuning claims: {} (supports {}, refutes {}, neutral {})",
            d.name,
            yd.len(),
            count[0],
            count[1],
            count[2],
        );
        real.extend(std::iter::repeat_n(true, yd.len()));
        x.extend(xd);
        y.extend(yd);
        folds.extend(fd);
        if opts.head_identity_pairs {
            let (xi, fi) = identity_rows(d, false);
            println!(
                "  + {} identity pairs (each tuning claim with itself, supports)",
                xi.len()
            );
            identity_count += xi.len();
            real.extend(std::iter::repeat_n(false, xi.len()));
            y.extend(std::iter::repeat_n(head::SUPPORTS, xi.len()));
            x.extend(xi);
            folds.extend(fi);
        }
        pair_counts.push((
            match d.key {
                DataKey::ClimateFever => "Climate-FEVER",
                DataKey::Scifact => "SciFact",
            }
            .to_string(),
            count,
        ));
    }
    // Cross-fitted models per weight decay; keep the best by evidence-level
    // macro-F1 of the cross-fitted predictions (tuning part only).
    let mut chosen: Option<Chosen> = None;
    for &wd in &opts.head_weight_decay {
        let opts = HeadTrainOptions {
            steps: opts.head_steps,
            weight_decay: wd,
            hidden: opts.head_hidden,
            ..Default::default()
        };
        let mut fold_models: Vec<StanceHead> = Vec::new();
        let mut cross = vec![[0f32; 3]; y.len()];
        for f in 0..FOLDS as usize {
            let idx: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
            let xf: Vec<Vec<f32>> = idx.iter().map(|&i| x[i].clone()).collect();
            let yf: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
            let m = head::train(&xf, &yf, &opts)?;
            for i in (0..y.len()).filter(|&i| folds[i] == f) {
                cross[i] = m.probs(&x[i]);
            }
            fold_models.push(m);
        }
        let (acc, f1) = labelled_scores(&cross, &y, &real);
        println!("  {opts:?}: cross-fitted evidence-level accuracy {acc:.3}, macro-F1 {f1:.3}");
        if chosen.as_ref().is_none_or(|c| f1 > c.0) {
            chosen = Some((f1, opts, fold_models, cross));
        }
    }
    let (_, opts, fold_models, cross) = chosen.context("no --head-weight-decay value")?;
    println!("chosen: {opts:?}");
    let full = head::train(&x, &y, &opts)?;
    let fit: Vec<[f32; 3]> = x.iter().map(|r| full.probs(r)).collect();
    for (name, p) in [
        ("fit (tuning pairs, full model)", &fit),
        ("cross-fitted (tuning pairs)", &cross),
    ] {
        let (acc, f1) = labelled_scores(p, &y, &real);
        println!("  evidence-level {name:<32} accuracy {acc:.3}  macro-F1 {f1:.3}");
    }
    // A claim paired with itself should read as supporting: the share of
    // held-out claims (never trained on, identity pairs or not) for which
    // the head's most probable class is supports.
    for d in sets.iter().filter(|d| !d.cases.is_empty()) {
        let (xi, _) = identity_rows(d, true);
        let sup = xi
            .iter()
            .filter(|r| {
                let p = full.probs(r);
                p[head::SUPPORTS] >= p[head::REFUTES] && p[head::SUPPORTS] >= p[head::NEUTRAL]
            })
            .count();
        println!(
            "  held-out claims of {} paired with themselves: {sup} of {} read as supports",
            d.name,
            xi.len()
        );
    }
    for d in sets.iter().filter(|d| !d.pairs.is_empty()) {
        let (xh, yh, _) = pair_rows(d, true);
        let held: Vec<[f32; 3]> = xh.iter().map(|r| full.probs(r)).collect();
        let (acc, f1) = evidence_scores(&held, &yh);
        println!(
            "  evidence-level held-out pairs ({:>5}) of {}: accuracy {acc:.3}  macro-F1 {f1:.3}",
            yh.len(),
            d.name
        );
    }

    // Passage probabilities for every case of every data set: tuning claims
    // of a training data set by their fold's model, everything else by the
    // model trained on all tuning pairs.
    let min_sim = cfg.retrieval.min_similarity;
    let probs: Vec<Vec<Vec<[f32; 3]>>> = sets
        .iter()
        .map(|d| {
            let trained = train_on(d);
            d.cases
                .par_iter()
                .map(|c| {
                    let m = if trained && !c.heldout {
                        &fold_models[fold_of(d, &c.id)]
                    } else {
                        &full
                    };
                    c.passages
                        .iter()
                        .zip(&c.conflicts)
                        .filter(|(p, _)| p.similarity >= min_sim)
                        .map(|(p, k)| m.probs(&feat(&c.claim, &p.text, k)))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut grid = Vec::new();
    for k in [1, 2, 3, 5, 10, 20] {
        for mean in [false, true] {
            for ts in steps(0.10, 0.95, 0.025) {
                for tr in steps(0.10, 0.95, 0.025) {
                    grid.push(Params {
                        k,
                        mean,
                        tsim: 0.0,
                        ts,
                        tr,
                        rule: false,
                    });
                }
            }
        }
    }
    // Macro-F1 over the pooled tuning claims of the data sets `sel`.
    let tuning = |p: Params, sel: &[usize]| {
        score(
            sel.iter()
                .flat_map(|&i| sets[i].cases.iter().zip(&probs[i]))
                .filter(|(c, _)| !c.heldout),
            p,
        )
        .macro_f1()
    };
    let mut hgrid = Vec::new();
    // `check` weighs at most retrieval.top_k passages.
    for k in [1, 2, 3, 5, 10, 20]
        .into_iter()
        .filter(|&k| k <= cfg.retrieval.top_k)
    {
        for tsim in steps(0.50, 0.85, 0.025) {
            for ts in steps(0.0, 0.9, 0.1) {
                for tr in steps(0.30, 0.95, 0.025) {
                    for rule in [false, true] {
                        hgrid.push(Params {
                            k,
                            mean: false,
                            tsim,
                            ts,
                            tr,
                            rule,
                        });
                    }
                }
            }
        }
    }
    // Thresholds are chosen on the pooled tuning claims of the training data
    // sets (one setting for all, reported on every data set) and, with
    // several training data sets, also on each one's own tuning claims
    // (reported on that data set only, for comparison).
    let trained: Vec<usize> = (0..sets.len()).filter(|&i| train_on(&sets[i])).collect();
    let mut selections = vec![(trained.clone(), (0..sets.len()).collect::<Vec<_>>())];
    if trained.len() > 1 {
        selections.extend(trained.iter().map(|&i| (vec![i], vec![i])));
    }
    let mut shipped = None;
    for (hybrid, label, grid) in [
        (false, "head alone", grid),
        (true, "hybrid (similarity supports, head refutes)", hgrid),
    ] {
        for (n, (sel, shown)) in selections.iter().enumerate() {
            let best = grid
                .par_iter()
                .map(|&p| (p, tuning(p, sel)))
                .reduce_with(|a, b| if b.1 > a.1 { b } else { a })
                .context("empty grid")?
                .0;
            let names: Vec<&str> = sel.iter().map(|&i| sets[i].name.as_str()).collect();
            println!("\n-- {label}: {best:?}");
            println!(
                "thresholds chosen on the {}tuning claims of {}: top {} passages, {} probability, supports if p(supports) >= {}, refutes if p(refutes) >= {}",
                if sel.len() > 1 { "pooled " } else { "" },
                names.join(" + "),
                best.k,
                if best.mean { "mean" } else { "max" },
                best.ts,
                best.tr
            );
            for &i in shown {
                let (d, pr) = (&sets[i], &probs[i]);
                let st = score(d.cases.iter().zip(pr).filter(|(c, _)| !c.heldout), best);
                let sh = score(d.cases.iter().zip(pr).filter(|(c, _)| c.heldout), best);
                println!("\n{} with the stance head:", d.name);
                print_metrics(&st, &sh);
                println!("confusion matrix, held-out (rows gold, columns predicted):");
                print_confusion(&sh);
                println!("confusion matrix, tuning:");
                print_confusion(&st);
            }
            if hybrid && n == 0 {
                // The pooled choice is what `[stance] method = "head"` ships:
                // check that the verdict rules reproduce the figures.
                let hc = head_config(cfg, best);
                // Tuning and held-out scores of the verdict rules under `c`.
                let through_rules = |c: &VerdictConfig, label: &dyn Fn(&Dataset) -> String| {
                    for &i in shown {
                        let (d, pr) = (&sets[i], &probs[i]);
                        let part = |held: bool| {
                            score_verdicts(
                                d.cases
                                    .iter()
                                    .zip(pr)
                                    .filter(|(c, _)| c.heldout == held)
                                    .map(|(c, p)| (c, Some(p.as_slice()))),
                                c,
                            )
                        };
                        println!("{}", label(d));
                        print_metrics(&part(false), &part(true));
                    }
                };
                through_rules(&hc, &|d| {
                    format!(
                        "\n{} through the verdict rules with [stance] method = \"head\" (as check/analyze):",
                        d.name
                    )
                });
                shipped = Some(hc);
                // The head_* thresholds compiled in for this model (what
                // `check` uses with it), applied to this run's head.
                let mut fixed = VerdictConfig::default_for(enc.name())?;
                fixed.stance.method = StanceMethod::Head;
                let st = &fixed.stance;
                println!(
                    "\nwith the compiled-in head thresholds for {} (top {}, supports at similarity >= {} and p >= {}, refutes at p >= {}, rule conflicts {}):",
                    enc.name(),
                    st.head_top_k,
                    st.head_support_similarity,
                    st.head_support_probability,
                    st.head_refute_probability,
                    st.head_rule_conflicts
                );
                through_rules(&fixed, &|d| format!("{}:", d.name));
            }
        }
    }
    Ok(HeadOutcome {
        head: full,
        options: opts,
        config: shipped.context("no hybrid setting chosen")?,
        pairs: pair_counts,
        identity_pairs: identity_count,
        encoder: enc.name().to_string(),
        dims: enc.dims(),
        alignment,
    })
}
