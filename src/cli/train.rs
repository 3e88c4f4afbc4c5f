//! `veracity train ...`: one subcommand per learned head. Each area keeps its
//! arguments and implementation in its own file (e.g. `claims.rs`).

use std::process::ExitCode;

use clap::Subcommand;

use super::{claims, eval_head, propaganda, GlobalArgs};

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the check-worthiness head on ClaimBuster (and optionally CheckThat!) data.
    Checkworthiness(claims::TrainArgs),
    /// Train the propaganda technique heads on the PTC corpus (SemEval-2020 Task 11).
    Propaganda(propaganda::TrainPropagandaArgs),
    /// Train the stance head on Climate-FEVER and SciFact tuning claims and
    /// choose its thresholds ([stance] method = "head").
    Stance(eval_head::TrainStanceArgs),
}

pub fn run(g: &GlobalArgs, c: &TrainCmd) -> anyhow::Result<ExitCode> {
    match c {
        TrainCmd::Checkworthiness(a) => claims::run_train(g, a),
        TrainCmd::Propaganda(a) => propaganda::run_train(g, a),
        TrainCmd::Stance(a) => eval_head::run_train(g, a),
    }
}
