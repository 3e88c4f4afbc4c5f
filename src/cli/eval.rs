//! `veracity eval ...`: one subcommand per evaluated component, each printing
//! its metric on labelled data. Each area keeps its arguments and
//! implementation in its own file (e.g. `claims.rs`, `retrieval.rs`).

use std::process::ExitCode;

use clap::Subcommand;

use super::{claims, retrieval, GlobalArgs};

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Check-worthiness: P/R/F1 on ClaimBuster's held-out split, MAP on CheckThat! files.
    Checkworthiness(claims::EvalArgs),
    /// Retrieval quality on SciFact-format data: recall@1/10/100 and nDCG@10 for BM25, dense and hybrid.
    Retrieval(retrieval::RetrievalArgs),
    /// Verdict accuracy, macro-F1 and confusion matrix on Climate-FEVER and/or SciFact.
    Verdicts(super::eval_verdicts::EvalVerdictsArgs),
    /// Propaganda scoring: k-fold CV on PTC articles, or the model on meme texts.
    Propaganda(super::propaganda::EvalPropagandaArgs),
}

pub fn run(g: &GlobalArgs, c: &EvalCmd) -> anyhow::Result<ExitCode> {
    match c {
        EvalCmd::Checkworthiness(a) => claims::run_eval(g, a),
        EvalCmd::Retrieval(a) => retrieval::run_eval(g, a),
        EvalCmd::Verdicts(a) => super::eval_verdicts::run(g, a),
        EvalCmd::Propaganda(a) => super::propaganda::run_eval(g, a),
    }
}
