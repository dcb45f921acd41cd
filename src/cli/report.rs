//! `cirrhosim report`: `report.html` (self-contained, inline SVG plots) and every figure as .svg
//! and .png; optionally with the results of a PSA, a DSA and survival targets.

use crate::cli::args::{self, OutDir, Quiet, ScenarioArg, Threads, WtpList};
use crate::cli::progress::Reporter;
use cirrhosim::analysis::fingerprint;
use cirrhosim::error::RunAction;
use cirrhosim::io::{self as files, tables};
use cirrhosim::report::html::{self, Overlays, PsaTables};
use cirrhosim::scenario::Scenario;
use cirrhosim::{analysis, engine, model::Model};
use std::path::{Path, PathBuf};

/// The arguments of `cirrhosim report`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("report")))]
#[command(mut_arg("wtp", |a| a.help(
    "Willingness-to-pay values per QALY drawn on the CE plane, comma-separated, each finite and >= 0 \
     (default: the scenario's economics.wtp)"
)))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of simulated patients, at least 1 (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = args::patients, allow_hyphen_values = true)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long, value_parser = args::seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// A `cirrhosim psa` output directory: adds the CE plane and the acceptability curves.
    #[arg(long, value_name = "DIR")]
    pub psa: Option<PathBuf>,
    /// A `cirrhosim dsa` output directory: adds the tornado.
    #[arg(long, value_name = "DIR")]
    pub dsa: Option<PathBuf>,
    /// Survival targets or trial points (the CSV of `calibrate --target`) to mark on the survival plot.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    #[command(flatten)]
    pub wtp: WtpList,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub threads: Threads,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim report`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let model = Model::from_scenario(&s)?;
    let overlays = Overlays {
        psa: args.psa.as_deref().map(|dir| read_psa(dir, &s, &model.strategy_names)).transpose()?,
        dsa: args.dsa.as_deref().map(|dir| read_dsa(dir, &s)).transpose()?,
        targets: args
            .target
            .as_deref()
            .map(files::targets::read_targets)
            .transpose()?
            .map(|t| t.rows)
            .unwrap_or_default(),
        wtp: args.wtp.or(s.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default()),
    };
    let patients = args.patients.unwrap_or(s.patients);
    let seed = args.seed.unwrap_or(s.seed);
    let traces: Vec<_> = (0..model.n_strategies()).map(|i| engine::sim_cohort(&model, i)).collect();
    let progress = Reporter::new(args.quiet.quiet, "report", "patient-runs");
    let mc = args.threads.pool()?.install(|| engine::sim_patients(&model, patients, seed, &progress))?;
    progress.finish();
    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
    let figures = html::figures_with(&model, &analysis::occupancy(&traces), &results, evaluation.as_ref(), &overlays);
    let files = html::report_files(&s, &model, patients, seed, &results, evaluation.as_ref(), &figures)?;
    let settings = [("patients", patients.to_string()), ("seed", seed.to_string())];
    let written = files::publish(&args.out.out, &fingerprint::of("report", &s, &settings), &files, &[])?;
    if !args.quiet.quiet {
        for p in written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}

/// The tornado rows of a DSA directory: a complete, intact `dsa` output of this scenario.
fn read_dsa(dir: &Path, scenario: &Scenario) -> anyhow::Result<Vec<tables::DsaRow>> {
    files::check_folder_of_scenario(dir, RunAction::Report, "dsa", &fingerprint::of("dsa", scenario, &[]))?;
    Ok(tables::read_dsa(&dir.join(tables::DSA_FILE))?)
}

/// The tables of a PSA directory: a complete, intact `psa` output of this scenario (its
/// manifest says so), checked again against the scenario's strategies.
fn read_psa(dir: &Path, scenario: &Scenario, strategies: &[String]) -> anyhow::Result<PsaTables> {
    files::check_folder_of_scenario(dir, RunAction::Report, "psa", &fingerprint::of("psa", scenario, &[]))?;
    let ceac = tables::read_ceac(&dir.join(tables::CEAC_FILE), strategies)?;
    let draws_file = dir.join(files::draws::ROWS_FILE);
    let draws = files::draws::read(&draws_file)?;
    tables::expect_draw_strategies(&draws_file, &draws, strategies)?;
    let survival_band = tables::read_survival_band(&dir.join(tables::SURVIVAL_BAND_FILE), strategies)?;
    Ok(PsaTables { ceac, draws, survival_band })
}
