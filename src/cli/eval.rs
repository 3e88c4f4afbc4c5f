//! `veracity eval …`: measure quality on labelled data.

use std::process::ExitCode;

use clap::Subcommand;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Propaganda scoring: k-fold CV on PTC articles, or the model on meme texts.
    Propaganda(super::propaganda::EvalPropagandaArgs),
}

pub fn run(g: &GlobalArgs, c: &EvalCmd) -> anyhow::Result<ExitCode> {
    match c {
        EvalCmd::Propaganda(a) => super::propaganda::run_eval(g, a),
    }
}
