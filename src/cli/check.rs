//! `cirrhosim check`: reads and validates a scenario and builds its model, without running it;
//! every problem goes to stderr and the exit status says whether there was one.

use crate::cli::args::{Quiet, ScenarioArg};
use cirrhosim::model::Model;

/// The arguments of `cirrhosim check`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim check`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    Model::from_scenario(&s)?;
    if args.quiet.quiet {
        return Ok(());
    }
    println!(
        "{}: ok ({} states, {} transitions, {} strategies, {} parameters, {} cycles)",
        s.file,
        s.states.len(),
        s.transitions.len(),
        s.strategies.len(),
        s.parameters.len(),
        s.n_cycles
    );
    Ok(())
}
