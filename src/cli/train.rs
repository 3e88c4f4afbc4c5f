//! `veracity train …`: rebuild the small learned heads from labelled data.

use std::process::ExitCode;

use clap::Subcommand;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the propaganda technique heads on the PTC corpus (SemEval-2020 Task 11).
    Propaganda(super::propaganda::TrainPropagandaArgs),
}

pub fn run(g: &GlobalArgs, c: &TrainCmd) -> anyhow::Result<ExitCode> {
    match c {
        TrainCmd::Propaganda(a) => super::propaganda::run_train(g, a),
    }
}
