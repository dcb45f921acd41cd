//! `cirrhosim calibrate`: fits parameters to survival targets (weighted least squares,
//! Nelder-Mead) and writes the calibrated scenario and the fit.

use crate::cli::args::ScenarioArg;
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Targets CSV: strategy,curve,years,value,lower,upper,source.
    #[arg(long)]
    pub target: PathBuf,
    /// Parameter to fit (repeatable).
    #[arg(long, required = true)]
    pub parameter: Vec<String>,
    /// Output directory (calibrated.toml and calibration.csv).
    #[arg(long, default_value = "calibration")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let text = args.scenario.text()?;
    let targets = cirrhosim::io::targets::read_targets(&args.target)?;
    let c = cirrhosim::analysis::calibrate::calibrate(&s, &args.parameter, &targets)?;
    let calibrated =
        cirrhosim::analysis::calibrate::calibrated_text(&s.file, &text, &c, &args.target.display().to_string())?;
    let written = files::write_all(
        &args.out,
        &[
            OutputFile { name: "calibrated.toml".into(), bytes: calibrated.into_bytes() },
            OutputFile { name: "calibration.csv".into(), bytes: report::csv::calibration_csv(&targets, &c) },
        ],
    )?;
    println!(
        "{}: {} iterations, weighted sum of squares {:.6} -> {:.6}",
        s.name, c.iterations, c.objective_before, c.objective_after
    );
    println!("{}", report::terminal::calibration_table(&targets, &c));
    for p in &written {
        println!("wrote {}", p.display());
    }
    Ok(())
}
