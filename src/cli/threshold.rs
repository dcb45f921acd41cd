//! `cirrhosim threshold`: the price, effect size or duration at which a strategy becomes
//! cost-effective at each willingness to pay (root-finding on incremental NMB).

use crate::cli::args::{Compared, ScenarioArg};
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::report;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Parameter to solve for (repeatable; default: the strategy's infusion price and effect parameters).
    #[arg(long)]
    pub parameter: Vec<String>,
    /// Willingness-to-pay values (default: the scenario's).
    #[arg(long, value_delimiter = ',')]
    pub wtp: Vec<f64>,
    #[command(flatten)]
    pub compared: Compared,
    /// Search range `low,high` (default: by the parameter's kind).
    #[arg(long, value_delimiter = ',')]
    pub between: Vec<f64>,
    /// Output directory.
    #[arg(long, default_value = "threshold")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let (strategy, comparator) = args.compared.indices(&s)?;
    let wtp =
        if args.wtp.is_empty() { s.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default() } else { args.wtp };
    let between = match args.between.as_slice() {
        [] => None,
        [lo, hi] if lo < hi => Some((*lo, *hi)),
        _ => {
            let value = args.between.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
            return Err(
                cirrhosim::Error::Setting { flag: "between", value, rule: "must be low,high with low < high" }.into()
            );
        }
    };
    let names = if args.parameter.is_empty() {
        cirrhosim::analysis::threshold::default_parameters(&s, strategy)
    } else {
        args.parameter
    };
    let mut rows = Vec::new();
    for name in &names {
        rows.extend(cirrhosim::analysis::threshold::thresholds(&s, name, &wtp, strategy, comparator, between)?);
    }
    let written = files::write_all(
        &args.out,
        &[OutputFile { name: "threshold.csv".into(), bytes: report::csv::threshold_csv(&rows) }],
    )?;
    println!("{}: {} vs {}", s.name, s.strategies[strategy].name, s.strategies[comparator].name);
    println!("{}", report::terminal::threshold_table(&rows));
    println!("wrote {}", written[0].display());
    Ok(())
}
