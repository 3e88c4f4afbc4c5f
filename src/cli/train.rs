//! `veracity train ...`: one subcommand per learned head. Each area keeps its
//! arguments and implementation in its own file (e.g. `claims.rs`).

use std::process::ExitCode;

use clap::Subcommand;

use super::{claims, propaganda, GlobalArgs};

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the check-worthiness head on ClaimBuster (and optionally CheckThat!) data.
    Checkworthiness(claims::TrainArgs),
    /// Train the propaganda technique heads on the PTC corpus (SemEval-2020 Task 11).
    Propaganda(propaganda::TrainPropagandaArgs),
}

pub fn run(g: &GlobalArgs, c: &TrainCmd) -> anyhow::Result<ExitCode> {
    match c {
        TrainCmd::Checkworthiness(a) => claims::run_train(g, a),
        TrainCmd::Propaganda(a) => propaganda::run_train(g, a),
    }
}
