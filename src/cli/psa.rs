//! `cirrhosim psa`: probabilistic sensitivity analysis (CEAC, acceptability frontier, EVPI,
//! survival band), checkpointed, resumable and splittable into shards.

use crate::cli::args::{self, OutDir, Quiet, ScenarioArg, Threads};
use crate::cli::progress::Reporter;
use cirrhosim::analysis::psa::runner::{self, PsaRun};
use cirrhosim::analysis::psa::{PsaEngine, PsaSettings, Shard};
use cirrhosim::{model::Model, report};
use std::time::Instant;

/// The arguments of `cirrhosim psa`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("psa")))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of draws, at least 1 (default: the scenario's [psa] draws, else 1000).
    #[arg(long, value_name = "N", value_parser = args::draws, allow_hyphen_values = true)]
    pub draws: Option<u64>,
    /// Engine evaluating each draw.
    #[arg(long, value_enum, default_value_t = EngineArg::Cohort)]
    pub engine: EngineArg,
    /// Patients per draw with --engine monte-carlo, at least 1 (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = args::patients, allow_hyphen_values = true)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long, value_parser = args::seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub threads: Threads,
    /// Run only shard k of n (0-based), e.g. 2/8; combine shards with `cirrhosim merge`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Continue an interrupted run from its checkpoint in --out; a run already complete there is
    /// left as it is, and a checkpoint or outputs of another run are refused.
    #[arg(long)]
    pub resume: bool,
    /// CEACs by subgroup as well: covariates of the scenario's [population], comma-separated (as
    /// `run --by`), e.g. --by meld,etiology. Adds a first column `subgroup` to ceac.csv (`all`
    /// for the whole population) and a `subgroups` block to psa_summary.json; cohort engine only.
    #[arg(long, value_name = "COVARIATE", value_delimiter = ',')]
    pub by: Vec<String>,
    #[command(flatten)]
    pub quiet: Quiet,
    /// Print draws per second (also with --quiet).
    #[arg(long)]
    pub timing: bool,
}

/// The engine that evaluates each draw.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum EngineArg {
    Cohort,
    MonteCarlo,
}

/// Runs `cirrhosim psa`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (source, scenario) = args.scenario.source()?;
    let draws = args.draws.unwrap_or(scenario.psa.draws);
    let engine = match args.engine {
        EngineArg::Cohort => PsaEngine::Cohort,
        EngineArg::MonteCarlo => PsaEngine::MonteCarlo { patients: args.patients.unwrap_or(scenario.patients) },
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?.unwrap_or(Shard::ALL);
    let settings = PsaSettings {
        scenario: scenario.name.clone(),
        draws,
        seed: args.seed.unwrap_or(scenario.seed),
        engine,
        shard,
        by: args.by.clone(),
    };
    let pool = args.threads.pool()?;
    let out = &args.out.out;
    let progress = Reporter::new(args.quiet.quiet, "psa", "draws");
    let started = Instant::now();
    let outcome = pool.install(|| runner::run(&scenario, &source, &settings, out, args.resume, &progress))?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let (checkpoint, results) = match outcome {
        PsaRun::AlreadyComplete { draws } => {
            if !args.quiet.quiet {
                println!("{}: already complete ({draws} draws); nothing changed", out.display());
            }
            return Ok(());
        }
        PsaRun::Done { checkpoint, results } => (checkpoint, results),
    };
    let outputs = match &results {
        Some(r) => {
            // The value of information is computed from the whole run's rows, complete on disk,
            // streamed: only what it needs is held (nothing per draw without EVPPI groups).
            let values = report::psa::values_from(&scenario, &out.join(runner::ROWS_PARTIAL))?;
            report::psa::outputs(&scenario, &Model::from_scenario(&scenario)?, &checkpoint, r, &values)
        }
        None => Vec::new(),
    };
    runner::publish(out, &checkpoint, outputs)?;
    let (first, last) = shard.range(draws);
    if !args.quiet.quiet {
        match &results {
            Some(r) => {
                println!("{}: {} draws, seed {}", scenario.name, r.draws, settings.seed);
                println!("{}", report::terminal::psa_table(&scenario, r));
                if !r.subgroups.is_empty() {
                    println!("{}", report::terminal::psa_subgroups_table(&scenario, r));
                }
                println!(
                    "wrote {}/{{psa_draws.csv, ceac.csv, evpi.csv, survival_psa.csv, psa_summary.json}}",
                    out.display()
                );
            }
            None => println!(
                "shard {}/{}: draws {first}-{} written to {}; combine with `cirrhosim merge`",
                shard.index,
                shard.count,
                last.saturating_sub(1),
                out.display()
            ),
        }
    }
    if args.timing {
        // The draws (sampling, models, traces, sums, rows written), then the whole command up to
        // its outputs published (value of information, reports, files forced to disk).
        println!(
            "throughput: {:.0} draws/s ({} draws in {:.3} s; {:.3} s with the outputs published)",
            (last - first) as f64 / seconds.max(1e-9),
            last - first,
            seconds,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
