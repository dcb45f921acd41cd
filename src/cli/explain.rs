//! `cirrhosim explain`: the model in words, with the arithmetic of the first cycles (teaching).

use crate::cli::args::{self, ScenarioArg, strategy_or_last};
use cirrhosim::{analysis, engine, model::Model, report};

/// The arguments of `cirrhosim explain`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Strategy to explain (default: the last).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Cycles to show, at least 1 (at most the horizon is shown).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = args::cycles, allow_hyphen_values = true)]
    pub cycles: usize,
}

/// Runs `cirrhosim explain`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let model = Model::from_scenario(&s)?;
    let strategy = strategy_or_last(&s, args.strategy.as_deref())?;
    let occupancy = analysis::StateOccupancy::from_trace(&engine::sim_cohort(&model, strategy));
    print!("{}", report::explain::explain(&s, &model, &occupancy, strategy, args.cycles));
    Ok(())
}
