//! `cirrhosim evppi`: expected value of partial perfect information from a PSA's
//! `psa_draws.csv`.

use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// PSA output directory (with psa_draws.csv).
    pub dir: PathBuf,
    /// A group of parameters valued together, e.g. --group a,b (repeatable); default: each
    /// varied parameter on its own.
    #[arg(long)]
    pub group: Vec<String>,
    /// Willingness-to-pay values per QALY.
    #[arg(long, value_delimiter = ',', default_values_t = vec![20000.0, 30000.0, 50000.0, 100000.0])]
    pub wtp: Vec<f64>,
    /// Output directory (default: the PSA directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args { dir, group, wtp, out } = args;
    let table = cirrhosim::io::draws::read_draws(&dir.join(cirrhosim::io::draws::ROWS_FILE))?;
    let groups: Vec<Vec<String>> = if group.is_empty() {
        table.parameters.iter().map(|p| vec![p.clone()]).collect()
    } else {
        group.iter().map(|g| g.split(',').map(|p| p.trim().to_string()).collect()).collect()
    };
    let mut rows = Vec::new();
    for g in &groups {
        let columns: Vec<usize> = g
            .iter()
            .map(|name| {
                table.parameters.iter().position(|p| p == name).ok_or_else(|| cirrhosim::Error::Setting {
                    flag: "group",
                    value: name.clone(),
                    rule: "is not a column of psa_draws.csv (a varied parameter)",
                })
            })
            .collect::<Result<_, _>>()?;
        let theta: Vec<Vec<f64>> = table.values.iter().map(|v| columns.iter().map(|&c| v[c]).collect()).collect();
        for &lambda in &wtp {
            let nmb: Vec<Vec<f64>> =
                table.outcomes.iter().map(|o| o.iter().map(|(c, q)| lambda * q - c).collect()).collect();
            let (value, terms) = cirrhosim::analysis::evppi::evppi(&theta, &nmb);
            rows.push(cirrhosim::analysis::evppi::EvppiResult {
                parameters: g.clone(),
                wtp: lambda,
                evppi: value,
                evpi: cirrhosim::analysis::evppi::evpi(&nmb),
                terms,
            });
        }
    }
    let out = out.unwrap_or(dir);
    let written =
        files::write_all(&out, &[OutputFile { name: "evppi.csv".into(), bytes: report::psa::evppi_csv(&rows) }])?;
    println!("{}", report::terminal::evppi_table(&rows));
    println!("wrote {}", written[0].display());
    Ok(())
}
