//! `cirrhosim run`: the exact cohort and the Monte Carlo simulation of every strategy, written as
//! `survival.csv`, `summary.json` and, with economics, `cea.csv` and `nmb.csv`.

use crate::cli::args::{self, OutDir, Quiet, ScenarioArg, Threads};
use crate::cli::progress::Reporter;
use cirrhosim::analysis::fingerprint;
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use cirrhosim::{analysis, engine, model::Model};
use std::time::Instant;

/// The arguments of `cirrhosim run`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("results")))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of simulated patients, at least 1 (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = args::patients, allow_hyphen_values = true)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long, value_parser = args::seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub threads: Threads,
    #[command(flatten)]
    pub quiet: Quiet,
    /// Print the Monte Carlo throughput in patient-cycles per second (also with --quiet).
    #[arg(long)]
    pub timing: bool,
}

/// Runs `cirrhosim run`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let scenario = args.scenario.load()?;
    let model = Model::from_scenario(&scenario)?;
    let patients = args.patients.unwrap_or(scenario.patients);
    let seed = args.seed.unwrap_or(scenario.seed);
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
    let progress = Reporter::new(args.quiet.quiet, "run", "patient-runs");
    let started = Instant::now();
    let mc = args.threads.pool()?.install(|| engine::sim_patients(&model, patients, seed, &progress))?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());

    // The timing goes to the terminal only (--timing): files depend on the scenario and seed alone.
    let summary = report::json::summary_json(&scenario, &model, patients, seed, &results, evaluation.as_ref());
    let mut files = vec![
        OutputFile::new("survival.csv", report::csv::survival_csv(&model, &results)),
        OutputFile::new("summary.json", summary),
    ];
    if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
        files.push(OutputFile::new("cea.csv", report::csv::cea_csv(&model, ev)));
        files.push(OutputFile::new("nmb.csv", report::csv::nmb_csv(&model, ev, &econ.wtp)));
    }
    let run = fingerprint::of("run", &scenario, &[("patients", patients.to_string()), ("seed", seed.to_string())]);
    let written = files::publish(&args.out.out, &run, &files, &[])?;

    if !args.quiet.quiet {
        println!("{}: {}", scenario.name, scenario.title);
        println!(
            "{} strategies, {} cycles of {:.4} years, {} patients, seed {}",
            model.n_strategies(),
            model.n_cycles,
            model.cycle_length_years,
            patients,
            seed
        );
        println!("{}", report::terminal::summary_table(&model, &results));
        if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
            println!(
                "Cost-effectiveness ({} {}, discounted at {} costs / {} effects, {} correction; cohort values, Monte Carlo mean +/- SE):",
                econ.currency,
                econ.price_year,
                econ.discount_rate_costs.get(&scenario.base_values()),
                econ.discount_rate_effects.get(&scenario.base_values()),
                econ.correction.name()
            );
            println!("{}", report::terminal::cea_table(&model, ev));
        }
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    if args.timing {
        // Cannot overflow: the scenario's limits bound patients x strategies x cycles.
        let patient_cycles = patients as f64 * model.n_strategies() as f64 * model.n_cycles as f64;
        println!(
            "throughput: {:.0} patient-cycles/s ({patient_cycles} patient-cycles in {seconds:.3} s)",
            patient_cycles / seconds.max(1e-9)
        );
    }
    Ok(())
}
