//! `cirrhosim threshold`: the price, effect size or duration at which a strategy becomes
//! cost-effective at each willingness to pay (root-finding on incremental NMB).

use crate::cli::args::{self, Between, Compared, OutDir, Quiet, ScenarioArg, WtpList};
use cirrhosim::analysis::fingerprint;
use cirrhosim::io as files;
use cirrhosim::{api, report};

/// The arguments of `cirrhosim threshold`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("threshold")))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Parameter to solve for (repeatable; default: the strategy's infusion price and effect parameters).
    #[arg(long, value_name = "NAME")]
    pub parameter: Vec<String>,
    #[command(flatten)]
    pub wtp: WtpList,
    #[command(flatten)]
    pub compared: Compared,
    /// Search range `low,high`, two finite numbers with low < high (default: by the parameter's kind).
    #[arg(long, value_name = "LOW,HIGH", value_parser = args::between, allow_hyphen_values = true)]
    pub between: Option<Between>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim threshold`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let (strategy, comparator) = args.compared.indices(&s)?;
    let between = args.between.map(|b| (b.low, b.high));
    let out = api::threshold(&s, (strategy, comparator), &args.parameter, &args.wtp.wtp, between)?;
    let (rows, names, wtp) = (&out.rows, &out.parameters, &out.wtp);
    let settings = [
        ("strategy", s.strategies[strategy].name.clone()),
        ("comparator", s.strategies[comparator].name.clone()),
        ("parameters", names.join(",")),
        ("wtp", wtp.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")),
        ("between", between.map_or(String::new(), |(lo, hi)| format!("{lo},{hi}"))),
    ];
    let written = files::publish(&args.out.out, &fingerprint::of("threshold", &s, &settings), &out.files, &[])?;
    if !args.quiet.quiet {
        println!("{}: {} vs {}", s.name, s.strategies[strategy].name, s.strategies[comparator].name);
        println!("{}", report::terminal::threshold_table(rows));
        println!("wrote {}", written[0].display());
    }
    Ok(())
}
