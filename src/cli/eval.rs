//! `veracity eval ...`: quality measured on labelled data.

use std::process::ExitCode;

use clap::Subcommand;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Verdict accuracy, macro-F1 and confusion matrix on Climate-FEVER and/or SciFact.
    Verdicts(super::eval_verdicts::EvalVerdictsArgs),
}

pub fn run(g: &GlobalArgs, c: &EvalCmd) -> anyhow::Result<ExitCode> {
    match c {
        EvalCmd::Verdicts(a) => super::eval_verdicts::run(g, a),
    }
}
