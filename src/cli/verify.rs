//! `cirrhosim verify`: black-box checks (TECH-VER style) on a scenario, printed as a pass/fail
//! table; fails when a check fails (with `--quiet`, only the exit status and the error say so).

use crate::cli::args::{self, Quiet, ScenarioArg, Threads};
use cirrhosim::report;

/// The arguments of `cirrhosim verify`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Patients for the Monte Carlo checks, at least 1.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = args::patients, allow_hyphen_values = true)]
    pub patients: u64,
    #[command(flatten)]
    pub threads: Threads,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim verify`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let checks = args.threads.pool()?.install(|| cirrhosim::analysis::verify::verify(&s, args.patients))?;
    if !args.quiet.quiet {
        println!("{}: {} checks", s.file, checks.len());
        println!("{}", report::terminal::verify_table(&checks));
    }
    let failed = checks.iter().filter(|c| c.passed == Some(false)).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", checks.len());
    }
    Ok(())
}
