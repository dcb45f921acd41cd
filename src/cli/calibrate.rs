//! `cirrhosim calibrate`: fits parameters to survival targets (weighted least squares,
//! Nelder-Mead) and writes the calibrated scenario and the fit.

use crate::cli::args::{OutDir, Quiet, ScenarioArg};
use cirrhosim::analysis::calibrate;
use cirrhosim::analysis::fingerprint;
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use std::path::PathBuf;

/// The arguments of `cirrhosim calibrate`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("calibration").help(
    "Output directory for calibrated.toml and calibration.csv (created if needed); the command writes nothing anywhere else"
)))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Targets CSV: strategy,curve,years,value,lower,upper,source.
    #[arg(long, value_name = "FILE")]
    pub target: PathBuf,
    /// Parameter to fit (repeatable).
    #[arg(long, value_name = "NAME", required = true)]
    pub parameter: Vec<String>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim calibrate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some((name, value)) = args.scenario.set.first() {
        // The calibrated scenario is the file's text rewritten: a value set outside it would be lost.
        return Err(cirrhosim::Error::Setting {
            flag: "set",
            value: format!("{name}={value}"),
            rule: "is not taken by calibrate, which writes a scenario file: put the value in the scenario file",
        }
        .into());
    }
    let (source, s) = args.scenario.source()?;
    let targets = files::targets::read_targets(&args.target)?;
    let c = calibrate::calibrate(&s, &args.parameter, &targets)?;
    let targets_file = args.target.display().to_string();
    let (calibrated, changes) =
        calibrate::calibrated_scenario(&s, &source.text, source.path.as_deref(), &c, &targets_file)?;
    let (_, targets_sha256) = files::publish::hash_file(&args.target)?;
    let settings =
        [("targets", format!("{targets_file} (SHA-256 {targets_sha256})")), ("parameters", args.parameter.join(","))];
    let written = files::publish(
        &args.out.out,
        &fingerprint::of("calibrate", &s, &settings),
        &[
            OutputFile::new("calibrated.toml", calibrated.into_bytes()),
            OutputFile::new("calibration.csv", report::csv::calibration_csv(&targets.rows, &c)),
        ],
        &[],
    )?;
    if !args.quiet.quiet {
        println!(
            "{}: {} iterations, weighted sum of squares {:.6} -> {:.6}",
            s.name, c.iterations, c.objective_before, c.objective_after
        );
        println!("{}", report::terminal::calibration_table(&targets.rows, &c));
        for change in &changes {
            println!("{}", report::terminal::calibration_change(change));
        }
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}
