//! `cirrhosim evppi`: expected value of partial perfect information from a PSA's
//! `psa_draws.csv`.

use crate::cli::args::{Quiet, WtpList};
use cirrhosim::error::RunAction;
use cirrhosim::io::{self as files, Fingerprint, OutputFile};
use cirrhosim::{analysis::evppi, report};
use std::path::PathBuf;

/// The arguments of `cirrhosim evppi`.
#[derive(clap::Args)]
#[command(mut_arg("wtp", |a| a
    .default_values(["20000", "30000", "50000", "100000"])
    .help("Willingness-to-pay values per QALY, comma-separated or repeated, each finite and >= 0")))]
pub struct Args {
    /// PSA output directory (with psa_draws.csv).
    pub dir: PathBuf,
    /// A group of parameters valued together, e.g. --group a,b (repeatable); default: each
    /// varied parameter on its own.
    #[arg(long, value_name = "A,B,...")]
    pub group: Vec<String>,
    #[command(flatten)]
    pub wtp: WtpList,
    /// Output directory (default: the PSA directory); the command writes nothing anywhere else.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim evppi`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let psa = files::check_folder(&args.dir, RunAction::ReadBack, "psa", None, &[])?;
    let groups: Vec<Vec<String>> =
        args.group.iter().map(|g| g.split(',').map(|p| p.trim().to_string()).collect()).collect();
    // With --group only the groups' columns are held (streamed); without, every parameter is
    // a group of its own and all are needed.
    let keep: Vec<String> = groups.iter().flatten().cloned().collect();
    let path = args.dir.join(files::draws::ROWS_FILE);
    let table = files::draws::read_keeping(&path, (!groups.is_empty()).then_some(keep.as_slice()))?;
    let groups = if groups.is_empty() { table.parameters.iter().map(|p| vec![p.clone()]).collect() } else { groups };
    let rows = evppi::evppi_table(&table, &groups, &args.wtp.wtp)?;
    let evppi = [OutputFile::new("evppi.csv", report::psa::evppi_csv(&rows))];
    let written = match &args.out {
        // Into the PSA folder: evppi.csv joins its manifest, so a later PSA there removes it.
        None => files::add_to_folder(&args.dir, RunAction::ReadBack, "psa", &evppi)?,
        Some(out) => {
            let groups = groups.iter().map(|g| g.join("+")).collect::<Vec<_>>().join(",");
            let wtp = args.wtp.wtp.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",");
            let fp = Fingerprint { command: "evppi".into(), ..psa.fingerprint }
                .with_setting("groups", groups)
                .with_setting("wtp", wtp);
            files::publish(out, &fp, &evppi, &[])?
        }
    };
    if !args.quiet.quiet {
        println!("{}", report::terminal::evppi_table(&rows));
        println!("wrote {}", written[0].display());
    }
    Ok(())
}
