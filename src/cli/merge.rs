//! `cirrhosim merge`: combines the outputs of PSA shards (`psa --shard k/n`) into the files of a
//! single run.

use crate::cli::args::{OutDir, Quiet, load};
use cirrhosim::io as files;
use cirrhosim::{model::Model, report};
use std::path::PathBuf;

/// The arguments of `cirrhosim merge`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("psa")))]
pub struct Args {
    /// Shard output directories, in any order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The scenario the shards ran (default: the embedded default scenario).
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
    let s = load(args.scenario.as_deref())?;
    let (checkpoint, r) = cirrhosim::analysis::psa::runner::merge(&s, &args.dirs, out)?;
    let model = Model::from_scenario(&s)?;
    files::write_all(out, &report::psa::outputs(&s, &model, &checkpoint, &r))?;
    if !args.quiet.quiet {
        println!("merged {} shards: {} draws into {}", args.dirs.len(), r.draws, out.display());
    }
    Ok(())
}
