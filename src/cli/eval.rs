//! `veracity eval ...`: one subcommand per evaluated component, each printing
//! its metric on labelled data.

use std::process::ExitCode;

use clap::Subcommand;

use super::{retrieval, GlobalArgs};

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Retrieval quality on SciFact-format data: recall@1/10/100 and nDCG@10 for BM25, dense and hybrid.
    Retrieval(retrieval::RetrievalArgs),
}

pub fn run(g: &GlobalArgs, c: &EvalCmd) -> anyhow::Result<ExitCode> {
    match c {
        EvalCmd::Retrieval(a) => retrieval::run_eval(g, a),
    }
}
