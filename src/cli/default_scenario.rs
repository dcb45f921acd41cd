//! `cirrhosim default-scenario`: prints the embedded default scenario, to copy and edit.

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    print!("{}", cirrhosim::scenario::DEFAULT_SCENARIO);
    Ok(())
}
