//! `veracity bench ...`: speed measurements (the library's `veracity::bench`).

use std::process::ExitCode;

use clap::Subcommand;
use veracity::bench::BenchEmbedArgs;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Encoder throughput: sentences/s, tokens/s, article latency, peak memory.
    Embed(BenchEmbedArgs),
}

pub fn run(g: &GlobalArgs, c: &BenchCmd) -> anyhow::Result<ExitCode> {
    match c {
        BenchCmd::Embed(a) => veracity::bench::embed(&g.encoder_options(), a)?,
    }
    Ok(ExitCode::SUCCESS)
}
