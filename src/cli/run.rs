//! `cirrhosim run`: the exact cohort and the Monte Carlo simulation of every strategy, written as
//! `survival.csv`, `summary.json` and, with economics, `cea.csv` and `nmb.csv`.

use crate::cli::args::{self, OutDir, Quiet, ScenarioArg, Threads};
use crate::cli::progress::Reporter;
use cirrhosim::io as files;
use cirrhosim::{api, report};

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
    /// Results by subgroup as well: covariates of the scenario's [population], comma-separated (a
    /// categorical one by its levels, a numeric one by its bands; several: every combination),
    /// e.g. --by meld,etiology. Adds a first column `subgroup` to survival.csv, cea.csv and
    /// nmb.csv (`all` for the whole population) and a block per subgroup to summary.json.
    #[arg(long, value_name = "COVARIATE", value_delimiter = ',')]
    pub by: Vec<String>,
    /// Print the Monte Carlo throughput in patient-cycles per second (also with --quiet).
    #[arg(long)]
    pub timing: bool,
}

/// Runs `cirrhosim run`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let scenario = args.scenario.load()?;
    let progress = Reporter::new(args.quiet.quiet, "run", "patient-runs");
    let out = args.threads.pool()?.install(|| api::run_by(&scenario, args.patients, args.seed, &args.by, &progress))?;
    progress.finish();
    let api::RunOutput {
        model,
        results,
        evaluation,
        evidence,
        subgroups,
        patients,
        seed,
        simulation_seconds: seconds,
        files,
    } = out;
    // The timing goes to the terminal only (--timing): files depend on the scenario and seed alone.
    let written =
        files::publish(&args.out.out, &api::run_fingerprint_by(&scenario, patients, seed, &args.by), &files, &[])?;

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
        if !evidence.caveats.is_empty() {
            println!("Caveats of the evidence (summary.json: evidence):");
            for c in &evidence.caveats {
                println!("  - {}{}", c.text, c.source.as_ref().map_or(String::new(), |s| format!(" [{s}]")));
            }
        }
        if !evidence.calibration.is_empty() {
            println!(
                "Calibration (summary.json: evidence.calibration): {}",
                report::evidence::calibration_statement(&evidence.calibration)
            );
        }
        if let Some(e) = &evidence.calibration_error {
            println!("Calibration: the fit to the [calibration] targets could not be computed: {e}");
        }
        if !evidence.thresholds.is_empty() {
            println!("What it would take (threshold analysis on the base case):");
            for t in &evidence.thresholds {
                println!("  - {}", report::evidence::threshold_statement(&scenario, &evidence, t));
            }
        }
        if !subgroups.is_empty() {
            let wtp = scenario.economics.as_ref().and_then(|e| e.wtp.first().copied());
            println!(
                "By subgroup ({}; cohort values{}):",
                args.by.join(" x "),
                if wtp.is_some() {
                    ", incremental NMB against the first strategy, Monte Carlo mean +/- SE"
                } else {
                    ""
                }
            );
            println!("{}", report::terminal::subgroup_table(&model, &subgroups, wtp));
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
