//! `cirrhosim paths`: individual simulated patient histories (teaching).

use crate::cli::args::{self, ScenarioArg, StrategyFilter};
use cirrhosim::{analysis, model::Model, report};

/// The arguments of `cirrhosim paths`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of patients to show, 1 to 10000.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = args::path_patients, allow_hyphen_values = true)]
    pub patients: u64,
    #[command(flatten)]
    pub strategy: StrategyFilter,
    /// Master seed (default: the scenario's).
    #[arg(long, value_parser = args::seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
}

/// Runs `cirrhosim paths`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let model = Model::from_scenario(&s)?;
    let seed = args.seed.unwrap_or(s.seed);
    for i in args.strategy.indices(&s)? {
        let histories = analysis::patient_paths(&model, i, seed, args.patients);
        println!("{} ({}), seed {seed}:", model.strategy_names[i], model.strategy_labels[i]);
        println!("{}", report::terminal::paths_table(&model, &histories, s.cohort.age_given, &s.population));
    }
    Ok(())
}
