//! `cirrhosim merge`: combines the outputs of PSA shards (`psa --shard k/n`) into the files of a
//! single run.

use crate::cli::args::load;
use cirrhosim::io as files;
use cirrhosim::{model::Model, report};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Shard output directories, in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The scenario the shards ran (default: the embedded default scenario).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "psa")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = load(args.scenario.as_deref())?;
    let (checkpoint, r) = cirrhosim::analysis::psa::runner::merge(&s, &args.dirs, &args.out)?;
    let model = Model::from_scenario(&s)?;
    files::write_all(&args.out, &report::psa::outputs(&s, &model, &checkpoint, &r))?;
    println!("merged {} shards: {} draws into {}", args.dirs.len(), r.draws, args.out.display());
    Ok(())
}
