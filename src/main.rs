//! The `cirrhosim` command line: a table of contents. Each command lives in its own file under
//! `src/cli/` (its arguments, its progress, and the library's stages one line each); this file
//! parses the command line, dispatches, and prints the error of a failed command.

mod cli;

use clap::{Parser, Subcommand};

/// mimalloc reuses freed memory instead of returning large blocks to the OS, which keeps PSA
/// draws (each builds a model of a few hundred kB) from spending their time in page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Liver cirrhosis progression under adjunct MSC therapy: exact cohort and Monte Carlo simulation.
#[derive(Parser)]
#[command(name = "cirrhosim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (the embedded default if none is given) and write survival.csv and summary.json.
    Run(cli::run::Args),
    /// Check a scenario file and report every problem, without running it.
    Check(cli::check::Args),
    /// Print the exact cohort trace of the first cycles (teaching).
    Trace(cli::trace::Args),
    /// Write report.html (self-contained, inline SVG plots) and the plots as .svg files.
    Report(cli::report::Args),
    /// A local teaching page with sliders that reruns the exact cohort model on every change.
    Serve(cli::serve::Args),
    /// Explain the model in words, with the arithmetic of the first cycles (teaching).
    Explain(cli::explain::Args),
    /// Print individual simulated patient histories (teaching).
    Paths(cli::paths::Args),
    /// Probabilistic sensitivity analysis: CEAC, acceptability frontier, EVPI, survival band.
    Psa(cli::psa::Args),
    /// One-way (tornado) and two-way deterministic sensitivity analysis.
    Dsa(cli::dsa::Args),
    /// Expected value of partial perfect information from a PSA's psa_draws.csv.
    Evppi(cli::evppi::Args),
    /// Threshold analysis: the price, effect or duration at which a strategy becomes cost-effective, per WTP.
    Threshold(cli::threshold::Args),
    /// Fit parameters to survival targets (weighted least squares, Nelder-Mead); write the calibrated scenario.
    Calibrate(cli::calibrate::Args),
    /// Merge the outputs of PSA shards (`psa --shard k/n`) into the files of a single run.
    Merge(cli::merge::Args),
    /// Run black-box checks (TECH-VER style) on a scenario and print a pass/fail table.
    Verify(cli::verify::Args),
    /// List every parameter with value, kind, distribution, range and source.
    Params(cli::params::Args),
    /// Print the embedded default scenario, to copy and edit.
    DefaultScenario(cli::default_scenario::Args),
}

fn main() {
    // A closed pipe (`cirrhosim params | head`) ends the program quietly, as for other command-line
    // tools, instead of a panic in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let result = match Cli::parse().command {
        Command::Run(args) => cli::run::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::Trace(args) => cli::trace::run(args),
        Command::Report(args) => cli::report::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Explain(args) => cli::explain::run(args),
        Command::Paths(args) => cli::paths::run(args),
        Command::Psa(args) => cli::psa::run(args),
        Command::Dsa(args) => cli::dsa::run(args),
        Command::Evppi(args) => cli::evppi::run(args),
        Command::Threshold(args) => cli::threshold::run(args),
        Command::Calibrate(args) => cli::calibrate::run(args),
        Command::Merge(args) => cli::merge::run(args),
        Command::Verify(args) => cli::verify::run(args),
        Command::Params(args) => cli::params::run(args),
        Command::DefaultScenario(args) => cli::default_scenario::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
