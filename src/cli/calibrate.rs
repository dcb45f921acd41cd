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
    /// Targets CSV: strategy,curve,years,value,lower,upper,source (optional column: start).
    /// Default: the targets of the scenario's [calibration].
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Parameter to fit (repeatable). Default: the parameters of the scenario's [calibration].
    #[arg(long, value_name = "NAME")]
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
    let spec = s.calibration.as_ref();
    let (targets, targets_file) = match (&args.target, spec) {
        (Some(path), _) => (cirrhosim::scenario::targets::read_targets(path)?, path.display().to_string()),
        (None, Some(c)) if !c.targets.rows.is_empty() => {
            (c.targets.clone(), format!("the [calibration] targets of {}", s.file))
        }
        _ => return Err(missing("target", "targets")),
    };
    let parameters = match (&args.parameter[..], spec) {
        ([], Some(c)) if !c.parameters.is_empty() => c.parameters.clone(),
        ([], _) => return Err(missing("parameter", "parameters")),
        (given, _) => given.to_vec(),
    };
    let max_iterations =
        spec.map_or(cirrhosim::scenario::CalibrationSpec::DEFAULT_MAX_ITERATIONS, |c| c.max_iterations);
    let c = calibrate::calibrate(&s, &parameters, &targets, max_iterations)?;
    let (calibrated, changes) =
        calibrate::calibrated_scenario(&s, &source.text, source.path.as_deref(), &c, &targets_file)?;
    let targets_hash = match &args.target {
        Some(path) => files::publish::hash_file(path)?.1,
        None => "in the scenario".to_string(),
    };
    let settings =
        [("targets", format!("{targets_file} (SHA-256 {targets_hash})")), ("parameters", parameters.join(","))];
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

/// The error of a calibration without targets or parameters, on the command line or in the
/// scenario's `[calibration]`.
fn missing(flag: &'static str, what: &'static str) -> anyhow::Error {
    let rule = match what {
        "targets" => "is needed: the scenario has no [[calibration.targets]]; give a targets CSV with --target FILE",
        _ => "is needed: the scenario's [calibration] lists no parameters; name each with --parameter NAME",
    };
    cirrhosim::Error::Setting { flag, value: "(not given)".into(), rule }.into()
}
