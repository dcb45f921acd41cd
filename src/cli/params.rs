//! `cirrhosim params`: every parameter with value, kind, distribution, range and source.

use crate::cli::args::ScenarioArg;
use cirrhosim::report;

/// The arguments of `cirrhosim params`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
}

/// Runs `cirrhosim params`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    println!("{}: parameters", s.file);
    println!("{}", report::terminal::params_table(&s));
    Ok(())
}
