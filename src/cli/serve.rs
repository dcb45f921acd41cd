//! `cirrhosim serve`: a local teaching page with sliders that reruns the exact cohort model on
//! every change.

use crate::cli::args::ScenarioArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Port (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    cirrhosim::serve::serve(&s, &args.bind, args.port)?;
    Ok(())
}
