//! `veracity train ...`: one subcommand per learned head. The arguments and
//! recipes are the library's (`veracity::train`).

use std::process::ExitCode;

use clap::Subcommand;
use veracity::train;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum TrainCmd {
    /// Train the check-worthiness head on ClaimBuster (and optionally CheckThat!) data.
    Checkworthiness(train::checkworthiness::TrainArgs),
    /// Train the propaganda technique heads on the PTC corpus (SemEval-2020 Task 11).
    Propaganda(train::propaganda::TrainPropagandaArgs),
    /// Train the stance head on Climate-FEVER and SciFact tuning claims and
    /// choose its thresholds ([stance] method = "head").
    Stance(train::stance::TrainStanceArgs),
}

pub fn run(g: &GlobalArgs, c: &TrainCmd) -> anyhow::Result<ExitCode> {
    let models = g.encoder_options();
    // The provenance records the command that rebuilds the head.
    let invocation: Vec<String> = std::env::args().skip(1).collect();
    match c {
        TrainCmd::Checkworthiness(a) => train::checkworthiness::run(&models, a, &invocation)?,
        TrainCmd::Propaganda(a) => train::propaganda::run(&models, a, &invocation)?,
        TrainCmd::Stance(a) => train::stance::run(&models, a, &invocation)?,
    }
    Ok(ExitCode::SUCCESS)
}
