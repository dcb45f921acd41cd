//! `cirrhosim default-scenario`: prints the embedded default scenario, to copy and edit.

/// The arguments of `cirrhosim default-scenario`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `cirrhosim default-scenario`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    print!("{}", cirrhosim::scenario::DEFAULT_SCENARIO);
    Ok(())
}
