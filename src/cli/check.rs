//! `cirrhosim check`: reads and validates a scenario and builds its model, without running it;
//! every problem goes to stderr (or, with `--json`, to stdout as records) and the exit status
//! says whether there was one.

use crate::cli::args::{Quiet, ScenarioArg};
use cirrhosim::api;
use cirrhosim::model::Model;

/// The arguments of `cirrhosim check`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    #[command(flatten)]
    pub quiet: Quiet,
    /// Print the problems as a JSON array of {file, line, key, message} on stdout (`[]` when
    /// the scenario is fine), for programs such as the R package.
    #[arg(long)]
    pub json: bool,
}

/// Runs `cirrhosim check`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.json {
        let input = args.scenario.scenario.clone().map_or(api::ScenarioInput::Default, api::ScenarioInput::File);
        let problems = api::check(&input, &args.scenario.set)?;
        println!("{}", serde_json::to_string_pretty(&problems)?);
        return match problems.len() {
            0 => Ok(()),
            n => Err(anyhow::anyhow!("{n} problem(s), listed on stdout")),
        };
    }
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
    for line in s.conventions() {
        println!("  {line}");
    }
    if let Some(e) = cirrhosim::analysis::population::stratification(&s)? {
        println!("  {}", cirrhosim::report::terminal::stratification_line(&e));
    }
    Ok(())
}
