//! `cirrhosim merge`: combines the outputs of PSA shards (`psa --shard k/n`) into the files of a
//! single run.

use crate::cli::args::{OutDir, Quiet, load};
use cirrhosim::analysis::psa::runner;
use cirrhosim::{model::Model, report};
use std::path::PathBuf;

/// The arguments of `cirrhosim merge`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("psa")))]
pub struct Args {
    /// Shard output directories, in any order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Check that the shards ran this scenario (they carry the scenario they ran, so it is
    /// optional).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim merge`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let out = &args.out.out;
    let expected = args.scenario.as_deref().map(|p| load(Some(p))).transpose()?;
    let m = runner::merge(&args.dirs, expected.as_ref(), out)?;
    let model = Model::from_scenario(&m.scenario)?;
    // Streamed: only what the value of information needs is held.
    let values = report::psa::values_from(&m.scenario, &out.join(runner::ROWS_PARTIAL))?;
    let outputs = report::psa::outputs(&m.scenario, &model, &m.checkpoint, &m.results, &values);
    runner::publish(out, &m.checkpoint, outputs)?;
    if !args.quiet.quiet {
        println!("merged {} shards: {} draws into {}", m.shards, m.results.draws, out.display());
    }
    Ok(())
}
