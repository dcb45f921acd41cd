//! `cirrhosim dsa`: one-way (tornado) and two-way deterministic sensitivity analysis of the
//! incremental net monetary benefit.

use crate::cli::args::{self, Compared, OutDir, Quiet, ScenarioArg, Threads};
use cirrhosim::analysis::fingerprint;
use cirrhosim::io as files;
use cirrhosim::{api, report};

/// The arguments of `cirrhosim dsa`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("dsa")))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    #[command(flatten)]
    pub compared: Compared,
    /// Willingness to pay per QALY for incremental NMB, finite and >= 0 (default: the
    /// scenario's second wtp value, else its first, else 30000).
    #[arg(long, value_parser = args::wtp, allow_hyphen_values = true)]
    pub wtp: Option<f64>,
    /// Two parameters for a two-way grid, e.g. msc_meld_md_24wk,c_msc_infusion.
    #[arg(long, value_name = "A,B", value_parser = args::two_names)]
    pub two_way: Option<[String; 2]>,
    /// Grid points per parameter for --two-way, 2 to 1001.
    #[arg(long, value_name = "N", default_value_t = 11, value_parser = args::steps, allow_hyphen_values = true)]
    pub steps: usize,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub threads: Threads,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim dsa`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let (strategy, comparator) = args.compared.indices(&s)?;
    let two_way = args.two_way.as_ref().map(|[x, y]| [x.as_str(), y.as_str()]);
    let out = args.threads.pool()?.install(|| api::dsa(&s, (strategy, comparator), args.wtp, two_way, args.steps))?;
    let (tornado, wtp) = (&out.tornado, out.wtp);
    let settings = [
        ("wtp", wtp.to_string()),
        ("strategy", s.strategies[strategy].name.clone()),
        ("comparator", s.strategies[comparator].name.clone()),
        ("two_way", args.two_way.as_ref().map_or(String::new(), |[x, y]| format!("{x},{y} ({} steps)", args.steps))),
    ];
    let written = files::publish(&args.out.out, &fingerprint::of("dsa", &s, &settings), &out.files, &[])?;
    if !args.quiet.quiet {
        println!(
            "{}: {} vs {}, wtp {wtp} per QALY; {} parameters with a range",
            s.name,
            s.strategies[strategy].name,
            s.strategies[comparator].name,
            tornado.rows.len()
        );
        print!("{}", report::terminal::tornado_text(tornado, 15));
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}
