//! `cirrhosim trace`: the exact cohort trace of the first cycles, as a table (teaching).

use crate::cli::args::{self, ScenarioArg, StrategyFilter};
use cirrhosim::{analysis, engine, model::Model, report};

/// The arguments of `cirrhosim trace`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of cycles to show, at least 1 (at most the horizon is shown).
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = args::cycles, allow_hyphen_values = true)]
    pub cycles: usize,
    #[command(flatten)]
    pub strategy: StrategyFilter,
}

/// Runs `cirrhosim trace`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let model = Model::from_scenario(&s)?;
    for i in args.strategy.indices(&s)? {
        let trace = engine::sim_cohort(&model, i);
        println!("{} ({}): share of the cohort in each state", model.strategy_names[i], model.strategy_labels[i]);
        println!(
            "{}",
            report::terminal::trace_table(&model, &analysis::StateOccupancy::from_trace(&trace), args.cycles)
        );
    }
    Ok(())
}
