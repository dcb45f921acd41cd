//! `cirrhosim verify`: black-box checks (TECH-VER style) on a scenario, printed as a pass/fail
//! table; fails when a check fails.

use crate::cli::args::ScenarioArg;
use cirrhosim::report;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Patients for the Monte Carlo checks.
    #[arg(long, default_value_t = 100_000)]
    pub patients: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    if args.patients == 0 {
        return Err(
            cirrhosim::Error::Setting { flag: "patients", value: "0".into(), rule: "must be at least 1" }.into()
        );
    }
    let checks = cirrhosim::verify::verify(&s, args.patients)?;
    println!("{}: {} checks", s.file, checks.len());
    println!("{}", report::terminal::verify_table(&checks));
    let failed = checks.iter().filter(|c| c.passed == Some(false)).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", checks.len());
    }
    Ok(())
}
