//! `veracity eval ...`: one subcommand per evaluated component, each printing
//! its figures on labelled data. The arguments and drivers are the library's
//! (`veracity::eval`).

use std::process::ExitCode;

use clap::Subcommand;
use veracity::eval;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Check-worthiness: P/R/F1 on ClaimBuster's held-out split, MAP on CheckThat! files.
    Checkworthiness(eval::checkworthiness::EvalArgs),
    /// Retrieval quality on SciFact-format data: recall@1/10/100 and nDCG@10 for BM25, dense and hybrid.
    Retrieval(eval::retrieval::RetrievalArgs),
    /// Verdict accuracy, macro-F1 and confusion matrix on Climate-FEVER and/or SciFact.
    Verdicts(eval::verdicts::EvalVerdictsArgs),
    /// Propaganda scoring: k-fold CV on PTC articles, or the model on meme texts.
    Propaganda(eval::propaganda::EvalPropagandaArgs),
}

pub fn run(g: &GlobalArgs, c: &EvalCmd) -> anyhow::Result<ExitCode> {
    let models = g.encoder_options();
    match c {
        EvalCmd::Checkworthiness(a) => eval::checkworthiness::run(&models, a)?,
        EvalCmd::Retrieval(a) => eval::retrieval::run(&models, a)?,
        EvalCmd::Verdicts(a) => eval::run_verdicts(&models, a)?,
        EvalCmd::Propaganda(a) => eval::propaganda::run(&models, a)?,
    }
    Ok(ExitCode::SUCCESS)
}
