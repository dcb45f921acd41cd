//! `cirrhosim check`: reads and validates a scenario and builds its model, without running it.

use crate::cli::args::ScenarioArg;
use cirrhosim::model::Model;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    Model::from_scenario(&s)?;
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
