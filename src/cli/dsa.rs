//! `cirrhosim dsa`: one-way (tornado) and two-way deterministic sensitivity analysis of the
//! incremental net monetary benefit.

use crate::cli::args::{Compared, ScenarioArg};
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    #[command(flatten)]
    pub compared: Compared,
    /// Willingness to pay per QALY for incremental NMB (default: the scenario's second wtp value).
    #[arg(long)]
    pub wtp: Option<f64>,
    /// Two parameters for a two-way grid, e.g. msc_meld_md_24wk,c_msc_infusion.
    #[arg(long, value_delimiter = ',')]
    pub two_way: Option<Vec<String>>,
    /// Grid points per parameter for --two-way.
    #[arg(long, default_value_t = 11)]
    pub steps: usize,
    /// Output directory.
    #[arg(long, default_value = "dsa")]
    pub out: PathBuf,
    /// No tornado on the terminal.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let (strategy, comparator) = args.compared.indices(&s)?;
    let wtp = args
        .wtp
        .or_else(|| s.economics.as_ref().and_then(|e| e.wtp.get(1).or(e.wtp.first()).copied()))
        .unwrap_or(30_000.0);
    let tornado = cirrhosim::analysis::dsa::one_way(&s, strategy, comparator, wtp)?;
    let mut files = vec![OutputFile { name: "dsa.csv".into(), bytes: report::csv::dsa_csv(&tornado) }];
    if let Some(names) = &args.two_way {
        if names.len() != 2 {
            return Err(cirrhosim::Error::Setting {
                flag: "two-way",
                value: names.join(","),
                rule: "needs exactly two parameter names, e.g. a,b",
            }
            .into());
        }
        let names = [names[0].as_str(), names[1].as_str()];
        let grid = cirrhosim::analysis::dsa::two_way(&s, names, args.steps, strategy, comparator, wtp)?;
        files.push(OutputFile { name: "dsa_two_way.csv".into(), bytes: report::csv::two_way_csv(names, &grid) });
    }
    let written = files::write_all(&args.out, &files)?;
    if !args.quiet {
        println!(
            "{}: {} vs {}, wtp {wtp} per QALY; {} parameters with a range",
            s.name,
            s.strategies[strategy].name,
            s.strategies[comparator].name,
            tornado.rows.len()
        );
        print!("{}", report::terminal::tornado_text(&tornado, 15));
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}
