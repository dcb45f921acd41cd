//! `cirrhosim run`: the exact cohort and the Monte Carlo simulation of every strategy, written as
//! `survival.csv`, `summary.json` and, with economics, `cea.csv` and `nmb.csv`.

use crate::cli::args::{ScenarioArg, Threads};
use crate::cli::progress::{Bar, bar};
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report::{self, json::Throughput};
use cirrhosim::{analysis, engine, model::Model};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of simulated patients (default: the scenario's).
    #[arg(long)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    #[command(flatten)]
    pub threads: Threads,
    /// No progress bar and no table.
    #[arg(long)]
    pub quiet: bool,
    /// Print the Monte Carlo throughput in patient-cycles per second.
    #[arg(long)]
    pub timing: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let scenario = args.scenario.load()?;
    let patients = args.patients.unwrap_or(scenario.patients);
    if patients == 0 {
        return Err(
            cirrhosim::Error::Setting { flag: "patients", value: "0".into(), rule: "must be at least 1" }.into()
        );
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let model = Model::from_scenario(&scenario)?;
    let pool = args.threads.pool()?;
    let bar = bar(args.quiet, "{spinner} simulating [{bar:40}] {pos}/{len} patient-runs ({eta})");
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
    let started = Instant::now();
    let mc = pool.install(|| engine::sim_patients(&model, patients, seed, &Bar(bar.clone())));
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let patient_cycles = patients * model.n_strategies() as u64 * model.n_cycles as u64;
    let throughput =
        Throughput { patient_cycles, seconds, patient_cycles_per_second: patient_cycles as f64 / seconds.max(1e-9) };

    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
    let mut files = vec![
        OutputFile { name: "survival.csv".into(), bytes: report::csv::survival_csv(&model, &results) },
        OutputFile {
            name: "summary.json".into(),
            bytes: report::json::summary_json(
                &scenario,
                &model,
                patients,
                seed,
                &results,
                evaluation.as_ref(),
                Some(throughput),
            ),
        },
    ];
    if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
        files.push(OutputFile { name: "cea.csv".into(), bytes: report::csv::cea_csv(&model, ev) });
        files.push(OutputFile { name: "nmb.csv".into(), bytes: report::csv::nmb_csv(&model, ev, &econ.wtp) });
    }
    let written = files::write_all(&args.out, &files)?;

    if !args.quiet {
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
        println!(
            "throughput: {:.0} patient-cycles/s ({} patient-cycles in {:.3} s)",
            throughput.patient_cycles_per_second, patient_cycles, seconds
        );
    }
    Ok(())
}
