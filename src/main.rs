//! The `cirrhosim` command line: parses arguments, wires progress bars, and calls the library
//! one stage at a time. Nothing else lives here.

use anyhow::Context;
use cirrhosim::engine::{self, Progress};
use cirrhosim::report::{self, OutputFile, json::Throughput};
use cirrhosim::{analysis, model::Model, scenario::Scenario};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

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
    Run(RunArgs),
    /// Check a scenario file and report every problem, without running it.
    Check {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
    },
    /// Print the exact cohort trace of the first cycles (teaching).
    Trace {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Number of cycles to show.
        #[arg(long, default_value_t = 12)]
        cycles: usize,
        /// Show only this strategy.
        #[arg(long)]
        strategy: Option<String>,
    },
    /// Write report.html (self-contained, inline SVG plots) and the plots as .svg files.
    Report {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Number of simulated patients (default: the scenario's).
        #[arg(long)]
        patients: Option<u64>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// A `cirrhosim psa` output directory: adds the CE plane and the acceptability curves.
        #[arg(long)]
        psa: Option<PathBuf>,
        /// A `cirrhosim dsa` output directory: adds the tornado.
        #[arg(long)]
        dsa: Option<PathBuf>,
        /// Survival targets or trial points (the CSV of `calibrate --target`) to mark on the survival plot.
        #[arg(long)]
        target: Option<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "report")]
        out: PathBuf,
    },
    /// A local teaching page with sliders that reruns the exact cohort model on every change.
    Serve {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Port (0 picks a free one; the address is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
    },
    /// Explain the model in words, with the arithmetic of the first cycles (teaching).
    Explain {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Strategy to explain (default: the last).
        #[arg(long)]
        strategy: Option<String>,
        /// Cycles to show.
        #[arg(long, default_value_t = 3)]
        cycles: usize,
    },
    /// Print individual simulated patient histories (teaching).
    Paths {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Number of patients to show.
        #[arg(long, default_value_t = 10)]
        patients: u64,
        /// Show only this strategy.
        #[arg(long)]
        strategy: Option<String>,
        /// Master seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Probabilistic sensitivity analysis: CEAC, acceptability frontier, EVPI, survival band.
    Psa(PsaArgs),
    /// One-way (tornado) and two-way deterministic sensitivity analysis.
    Dsa {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Strategy to evaluate (default: the last).
        #[arg(long)]
        strategy: Option<String>,
        /// Comparator (default: the first strategy).
        #[arg(long)]
        comparator: Option<String>,
        /// Willingness to pay per QALY for incremental NMB (default: the scenario's second wtp value).
        #[arg(long)]
        wtp: Option<f64>,
        /// Two parameters for a two-way grid, e.g. msc_meld_md_24wk,c_msc_infusion.
        #[arg(long, value_delimiter = ',')]
        two_way: Option<Vec<String>>,
        /// Grid points per parameter for --two-way.
        #[arg(long, default_value_t = 11)]
        steps: usize,
        /// Output directory.
        #[arg(long, default_value = "dsa")]
        out: PathBuf,
        /// No tornado on the terminal.
        #[arg(long)]
        quiet: bool,
    },
    /// Expected value of partial perfect information from a PSA's psa_draws.csv.
    Evppi {
        /// PSA output directory (with psa_draws.csv).
        dir: PathBuf,
        /// A group of parameters valued together, e.g. --group a,b (repeatable); default: each
        /// varied parameter on its own.
        #[arg(long)]
        group: Vec<String>,
        /// Willingness-to-pay values per QALY.
        #[arg(long, value_delimiter = ',', default_values_t = vec![20000.0, 30000.0, 50000.0, 100000.0])]
        wtp: Vec<f64>,
        /// Output directory (default: the PSA directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Threshold analysis: the price, effect size or duration at which a strategy becomes
    /// cost-effective at each willingness to pay.
    Threshold {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Parameter to solve for (repeatable; default: the strategy's infusion price and effect parameters).
        #[arg(long)]
        parameter: Vec<String>,
        /// Willingness-to-pay values (default: the scenario's).
        #[arg(long, value_delimiter = ',')]
        wtp: Vec<f64>,
        /// Strategy (default: the last).
        #[arg(long)]
        strategy: Option<String>,
        /// Comparator (default: the first strategy).
        #[arg(long)]
        comparator: Option<String>,
        /// Search range `low,high` (default: by the parameter's kind).
        #[arg(long, value_delimiter = ',')]
        between: Vec<f64>,
        /// Output directory.
        #[arg(long, default_value = "threshold")]
        out: PathBuf,
    },
    /// Fit parameters to survival targets (weighted least squares, Nelder-Mead) and write the
    /// calibrated scenario.
    Calibrate {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Targets CSV: strategy,curve,years,value,lower,upper,source.
        #[arg(long)]
        target: PathBuf,
        /// Parameter to fit (repeatable).
        #[arg(long, required = true)]
        parameter: Vec<String>,
        /// Output directory (calibrated.toml and calibration.csv).
        #[arg(long, default_value = "calibration")]
        out: PathBuf,
    },
    /// Merge the outputs of PSA shards (`psa --shard k/n`) into the files of a single run.
    Merge {
        /// Shard output directories, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The scenario the shards ran (default: the embedded default scenario).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "psa")]
        out: PathBuf,
    },
    /// Run black-box checks (TECH-VER style) on a scenario and print a pass/fail table.
    Verify {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
        /// Patients for the Monte Carlo checks.
        #[arg(long, default_value_t = 100_000)]
        patients: u64,
    },
    /// List every parameter with value, kind, distribution, range and source.
    Params {
        /// Scenario TOML file (default: the embedded default scenario).
        scenario: Option<PathBuf>,
    },
    /// Print the embedded default scenario, to copy and edit.
    DefaultScenario,
}

#[derive(Args)]
struct RunArgs {
    /// Scenario TOML file (default: the embedded default scenario).
    scenario: Option<PathBuf>,
    /// Number of simulated patients (default: the scenario's).
    #[arg(long)]
    patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no table.
    #[arg(long)]
    quiet: bool,
    /// Print the Monte Carlo throughput in patient-cycles per second.
    #[arg(long)]
    timing: bool,
}

#[derive(Args)]
struct PsaArgs {
    /// Scenario TOML file (default: the embedded default scenario).
    scenario: Option<PathBuf>,
    /// Number of draws (default: the scenario's [psa] draws, else 1000).
    #[arg(long)]
    draws: Option<u64>,
    /// Engine evaluating each draw.
    #[arg(long, value_enum, default_value_t = EngineArg::Cohort)]
    engine: EngineArg,
    /// Patients per draw with --engine monte-carlo (default: the scenario's).
    #[arg(long)]
    patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory.
    #[arg(long, default_value = "psa")]
    out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard k of n (0-based), e.g. 2/8; combine shards with `cirrhosim merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Continue an interrupted run from its checkpoint in --out.
    #[arg(long)]
    resume: bool,
    /// No progress bar and no table.
    #[arg(long)]
    quiet: bool,
    /// Print draws per second.
    #[arg(long)]
    timing: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum EngineArg {
    Cohort,
    MonteCarlo,
}

fn pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 {
            return Err(
                cirrhosim::Error::Setting { flag: "threads", value: "0".into(), rule: "must be at least 1" }.into()
            );
        }
        pool = pool.num_threads(t);
    }
    Ok(pool.build().context("cannot start worker threads")?)
}

fn bar(quiet: bool, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(0);
        b.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
        b
    }
}

fn psa(args: PsaArgs) -> anyhow::Result<()> {
    use cirrhosim::psa::{PsaEngine, PsaSettings, Shard};
    let scenario = load(&args.scenario)?;
    let draws = args.draws.unwrap_or(scenario.psa.draws);
    if draws == 0 {
        return Err(cirrhosim::Error::Setting { flag: "draws", value: "0".into(), rule: "must be at least 1" }.into());
    }
    let engine = match args.engine {
        EngineArg::Cohort => PsaEngine::Cohort,
        EngineArg::MonteCarlo => PsaEngine::MonteCarlo { patients: args.patients.unwrap_or(scenario.patients).max(1) },
    };
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?.unwrap_or(Shard::ALL);
    let settings =
        PsaSettings { scenario: scenario.name.clone(), draws, seed: args.seed.unwrap_or(scenario.seed), engine, shard };
    let pool = pool(args.threads)?;
    let progress = bar(args.quiet, "{spinner} PSA [{bar:40}] {pos}/{len} draws ({eta})");
    let started = Instant::now();
    let results =
        pool.install(|| cirrhosim::psa::run(&scenario, &settings, &args.out, args.resume, &Bar(progress.clone())))?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let (first, last) = shard.range(draws);
    if !args.quiet {
        match &results {
            Some(r) => {
                println!("{}: {} draws, seed {}", scenario.name, r.draws, settings.seed);
                println!("{}", report::terminal::psa_table(&scenario, r));
                println!(
                    "wrote {}/{{psa_draws.csv, ceac.csv, evpi.csv, survival_psa.csv, psa_summary.json}}",
                    args.out.display()
                );
            }
            None => println!(
                "shard {}/{}: draws {first}-{} written to {}; combine with `cirrhosim merge`",
                shard.index,
                shard.count,
                last.saturating_sub(1),
                args.out.display()
            ),
        }
    }
    if args.timing {
        println!(
            "throughput: {:.0} draws/s ({} draws in {:.3} s)",
            (last - first) as f64 / seconds.max(1e-9),
            last - first,
            seconds
        );
    }
    Ok(())
}

fn load(path: &Option<PathBuf>) -> anyhow::Result<Scenario> {
    let scenario = match path {
        Some(p) => Scenario::load(p)?,
        None => Scenario::default_scenario()?,
    };
    for w in &scenario.warnings {
        eprintln!("warning: {}: {w}", scenario.file);
    }
    Ok(scenario)
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, done: u64) {
        self.0.inc(done);
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let scenario = load(&args.scenario)?;
    let patients = args.patients.unwrap_or(scenario.patients);
    if patients == 0 {
        return Err(
            cirrhosim::Error::Setting { flag: "patients", value: "0".into(), rule: "must be at least 1" }.into()
        );
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let model = Model::from_scenario(&scenario)?;
    let pool = pool(args.threads)?;
    let bar = bar(args.quiet, "{spinner} simulating [{bar:40}] {pos}/{len} patient-runs ({eta})");
    let traces: Vec<_> = (0..model.n_strategies()).map(|s| engine::sim_cohort(&model, s)).collect();
    let started = Instant::now();
    let mc = pool.install(|| engine::sim_patients(&model, patients, seed, &Bar(bar.clone())))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let patient_cycles = engine::monte_carlo::patient_cycles(&model, patients)?;
    let throughput =
        Throughput { patient_cycles, seconds, patient_cycles_per_second: patient_cycles as f64 / seconds.max(1e-9) };

    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
    let mut files = vec![
        OutputFile { name: "survival.csv", bytes: report::csv::survival_csv(&model, &results) },
        OutputFile {
            name: "summary.json",
            bytes: report::json::summary_json(
                &scenario,
                &model,
                patients,
                seed,
                &results,
                evaluation.as_ref(),
                Some(throughput),
            ),
        },
    ];
    if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
        files.push(OutputFile { name: "cea.csv", bytes: report::csv::cea_csv(&model, ev) });
        files.push(OutputFile { name: "nmb.csv", bytes: report::csv::nmb_csv(&model, ev, &econ.wtp) });
    }
    let written = report::write_all(&args.out, &files)?;

    if !args.quiet {
        println!("{}: {}", scenario.name, scenario.title);
        println!(
            "{} strategies, {} cycles of {:.4} years, {} patients, seed {}",
            model.n_strategies(),
            model.n_cycles,
            model.cycle_length_years,
            patients,
            seed
        );
        println!("{}", report::terminal::summary_table(&model, &results));
        if let (Some(ev), Some(econ)) = (&evaluation, &scenario.economics) {
            println!(
                "Cost-effectiveness ({} {}, discounted at {} costs / {} effects, {} correction; cohort values, Monte Carlo mean +/- SE):",
                econ.currency,
                econ.price_year,
                econ.discount_rate_costs.get(&scenario.base_values()),
                econ.discount_rate_effects.get(&scenario.base_values()),
                econ.correction.name()
            );
            println!("{}", report::terminal::cea_table(&model, ev));
        }
        for p in &written {
            println!("wrote {}", p.display());
        }
    }
    if args.timing {
        println!(
            "throughput: {:.0} patient-cycles/s ({} patient-cycles in {:.3} s)",
            throughput.patient_cycles_per_second, patient_cycles, seconds
        );
    }
    Ok(())
}

/// The strategy (default: the last) and comparator (default: the first) named on the command line.
fn compared(
    scenario: &Scenario,
    strategy: Option<String>,
    comparator: Option<String>,
) -> anyhow::Result<(usize, usize)> {
    let strategy = match strategy {
        Some(name) => scenario.strategy_index(&name)?,
        None => scenario.strategies.len() - 1,
    };
    let comparator = match comparator {
        Some(name) => scenario.strategy_index(&name)?,
        None => 0,
    };
    Ok((strategy, comparator))
}

fn strategies(scenario: &Scenario, only: &Option<String>) -> anyhow::Result<Vec<usize>> {
    Ok(match only {
        Some(name) => vec![scenario.strategy_index(name)?],
        None => (0..scenario.strategies.len()).collect(),
    })
}

fn main_inner() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args)?,
        Command::Check { scenario } => {
            let s = load(&scenario)?;
            Model::from_scenario(&s)?;
            println!(
                "{}: ok ({} states, {} transitions, {} strategies, {} parameters, {} cycles)",
                s.file,
                s.states.len(),
                s.transitions.len(),
                s.strategies.len(),
                s.parameters.len(),
                s.n_cycles
            );
        }
        Command::Trace { scenario, cycles, strategy } => {
            let s = load(&scenario)?;
            let model = Model::from_scenario(&s)?;
            for i in strategies(&s, &strategy)? {
                let trace = engine::sim_cohort(&model, i);
                println!(
                    "{} ({}): share of the cohort in each state",
                    model.strategy_names[i], model.strategy_labels[i]
                );
                println!("{}", report::terminal::trace_table(&model, &trace, cycles));
            }
        }
        Command::Report { scenario, patients, seed, psa, dsa, target, out } => {
            let s = load(&scenario)?;
            let patients = patients.unwrap_or(s.patients).max(1);
            let seed = seed.unwrap_or(s.seed);
            let model = Model::from_scenario(&s)?;
            let traces: Vec<_> = (0..model.n_strategies()).map(|i| engine::sim_cohort(&model, i)).collect();
            let mc = engine::sim_patients(&model, patients, seed, &engine::NoProgress)?;
            let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
            let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
            let mut figures = report::html::figures(&model, &traces, &results, evaluation.as_ref());
            if let Some(dir) = &psa {
                let wtp = s.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default();
                let (ceac, plane) = report::html::psa_figures(&model, dir, &wtp)?;
                figures.ceac = Some(ceac);
                figures.ce_plane = Some(plane);
            }
            let bands = match &psa {
                Some(dir) => report::html::psa_bands(&model, dir)?,
                None => Vec::new(),
            };
            let points: Vec<report::plots::TargetPoint> = match &target {
                Some(file) => cirrhosim::calibrate::read_targets(file)?
                    .into_iter()
                    .filter(|t| t.curve == "overall_survival")
                    .map(|t| (t.years, t.value, t.lower.zip(t.upper)))
                    .collect(),
                None => Vec::new(),
            };
            if !bands.is_empty() || !points.is_empty() {
                figures.survival = report::plots::survival_svg_with(&model, &results, &bands, &points);
            }
            if let Some(dir) = &dsa {
                figures.tornado = Some(report::html::tornado_figure(dir)?);
            }
            let html = report::html::report_html(&s, &model, patients, seed, &results, evaluation.as_ref(), &figures);
            let mut files = vec![
                OutputFile { name: "report.html", bytes: html.into_bytes() },
                OutputFile { name: "survival.svg", bytes: figures.survival.clone().into_bytes() },
                OutputFile { name: "model.svg", bytes: report::plots::model_diagram_svg(&s).into_bytes() },
            ];
            const OCCUPANCY: [&str; 8] = [
                "occupancy_1.svg",
                "occupancy_2.svg",
                "occupancy_3.svg",
                "occupancy_4.svg",
                "occupancy_5.svg",
                "occupancy_6.svg",
                "occupancy_7.svg",
                "occupancy_8.svg",
            ];
            for (name, svg) in OCCUPANCY.iter().zip(&figures.occupancy) {
                files.push(OutputFile { name, bytes: svg.clone().into_bytes() });
            }
            for (name, svg) in [
                ("costs.svg", &figures.costs),
                ("qalys.svg", &figures.qalys),
                ("ceac.svg", &figures.ceac),
                ("ce_plane.svg", &figures.ce_plane),
                ("tornado.svg", &figures.tornado),
            ] {
                if let Some(svg) = svg {
                    files.push(OutputFile { name, bytes: svg.clone().into_bytes() });
                }
            }
            // PNG copies of every figure, for slides.
            let rasteriser = report::png::Rasteriser::new();
            let mut pngs = Vec::new();
            for f in &files {
                if let Some(png) = report::png::png_name(f.name) {
                    let svg = std::str::from_utf8(&f.bytes).expect("SVG is text");
                    pngs.push(OutputFile { name: png, bytes: rasteriser.png(std::path::Path::new(png), svg)? });
                }
            }
            files.extend(pngs);
            for p in report::write_all(&out, &files)? {
                println!("wrote {}", p.display());
            }
        }
        Command::Serve { scenario, port, bind } => {
            let s = load(&scenario)?;
            cirrhosim::serve::serve(&s, &bind, port)?;
        }
        Command::Explain { scenario, strategy, cycles } => {
            let s = load(&scenario)?;
            let model = Model::from_scenario(&s)?;
            let (strategy, _) = compared(&s, strategy, None)?;
            print!("{}", report::explain::explain(&s, &model, strategy, cycles));
        }
        Command::Paths { scenario, patients, strategy, seed } => {
            let s = load(&scenario)?;
            let model = Model::from_scenario(&s)?;
            let seed = seed.unwrap_or(s.seed);
            for i in strategies(&s, &strategy)? {
                let histories: Vec<_> = (0..patients).map(|p| engine::patient_history(&model, i, seed, p)).collect();
                println!("{} ({}), seed {seed}:", model.strategy_names[i], model.strategy_labels[i]);
                println!("{}", report::terminal::paths_table(&model, &histories));
            }
        }
        Command::Psa(args) => psa(args)?,
        Command::Calibrate { scenario, target, parameter, out } => {
            let s = load(&scenario)?;
            let text = match &scenario {
                Some(p) => {
                    std::fs::read_to_string(p).map_err(|source| cirrhosim::Error::Read { path: p.clone(), source })?
                }
                None => cirrhosim::scenario::DEFAULT_SCENARIO.to_string(),
            };
            let targets = cirrhosim::calibrate::read_targets(&target)?;
            let c = cirrhosim::calibrate::calibrate(&s, &parameter, &targets)?;
            let calibrated = cirrhosim::calibrate::calibrated_text(&s.file, &text, &c, &target.display().to_string())?;
            let written = report::write_all(
                &out,
                &[
                    OutputFile { name: "calibrated.toml", bytes: calibrated.into_bytes() },
                    OutputFile { name: "calibration.csv", bytes: report::csv::calibration_csv(&targets, &c) },
                ],
            )?;
            println!(
                "{}: {} iterations, weighted sum of squares {:.6} -> {:.6}",
                s.name, c.iterations, c.objective_before, c.objective_after
            );
            println!("{}", report::terminal::calibration_table(&targets, &c));
            for p in &written {
                println!("wrote {}", p.display());
            }
        }
        Command::Threshold { scenario, parameter, wtp, strategy, comparator, between, out } => {
            let s = load(&scenario)?;
            let (strategy, comparator) = compared(&s, strategy, comparator)?;
            let wtp =
                if wtp.is_empty() { s.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default() } else { wtp };
            let between = match between.as_slice() {
                [] => None,
                [lo, hi] if lo < hi => Some((*lo, *hi)),
                _ => {
                    let value = between.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
                    return Err(cirrhosim::Error::Setting {
                        flag: "between",
                        value,
                        rule: "must be low,high with low < high",
                    }
                    .into());
                }
            };
            let names =
                if parameter.is_empty() { cirrhosim::threshold::default_parameters(&s, strategy) } else { parameter };
            let mut rows = Vec::new();
            for name in &names {
                rows.extend(cirrhosim::threshold::thresholds(&s, name, &wtp, strategy, comparator, between)?);
            }
            let written = report::write_all(
                &out,
                &[OutputFile { name: "threshold.csv", bytes: report::csv::threshold_csv(&rows) }],
            )?;
            println!("{}: {} vs {}", s.name, s.strategies[strategy].name, s.strategies[comparator].name);
            println!("{}", report::terminal::threshold_table(&rows));
            println!("wrote {}", written[0].display());
        }
        Command::Evppi { dir, group, wtp, out } => {
            let table = cirrhosim::psa::read_draws(&dir.join(cirrhosim::psa::ROWS_FILE))?;
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
                let theta: Vec<Vec<f64>> =
                    table.values.iter().map(|v| columns.iter().map(|&c| v[c]).collect()).collect();
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
                report::write_all(&out, &[OutputFile { name: "evppi.csv", bytes: report::psa::evppi_csv(&rows) }])?;
            println!("{}", report::terminal::evppi_table(&rows));
            println!("wrote {}", written[0].display());
        }
        Command::Dsa { scenario, strategy, comparator, wtp, two_way, steps, out, quiet } => {
            let s = load(&scenario)?;
            let (strategy, comparator) = compared(&s, strategy, comparator)?;
            let wtp = wtp
                .or_else(|| s.economics.as_ref().and_then(|e| e.wtp.get(1).or(e.wtp.first()).copied()))
                .unwrap_or(30_000.0);
            let tornado = cirrhosim::dsa::one_way(&s, strategy, comparator, wtp)?;
            let mut files = vec![OutputFile { name: "dsa.csv", bytes: report::csv::dsa_csv(&tornado) }];
            if let Some(names) = &two_way {
                if names.len() != 2 {
                    return Err(cirrhosim::Error::Setting {
                        flag: "two-way",
                        value: names.join(","),
                        rule: "needs exactly two parameter names, e.g. a,b",
                    }
                    .into());
                }
                let names = [names[0].as_str(), names[1].as_str()];
                let grid = cirrhosim::dsa::two_way(&s, names, steps, strategy, comparator, wtp)?;
                files.push(OutputFile { name: "dsa_two_way.csv", bytes: report::csv::two_way_csv(names, &grid) });
            }
            let written = report::write_all(&out, &files)?;
            if !quiet {
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
        }
        Command::Merge { dirs, scenario, out } => {
            let s = load(&scenario)?;
            let r = cirrhosim::psa::merge(&s, &dirs, &out)?;
            println!("merged {} shards: {} draws into {}", dirs.len(), r.draws, out.display());
        }
        Command::Verify { scenario, patients } => {
            let s = load(&scenario)?;
            if patients == 0 {
                return Err(cirrhosim::Error::Setting {
                    flag: "patients",
                    value: "0".into(),
                    rule: "must be at least 1",
                }
                .into());
            }
            let checks = cirrhosim::verify::verify(&s, patients)?;
            println!("{}: {} checks", s.file, checks.len());
            println!("{}", report::terminal::verify_table(&checks));
            let failed = checks.iter().filter(|c| c.passed == Some(false)).count();
            if failed > 0 {
                anyhow::bail!("{failed} of {} checks failed", checks.len());
            }
        }
        Command::Params { scenario } => {
            let s = load(&scenario)?;
            println!("{}: parameters", s.file);
            println!("{}", report::terminal::params_table(&s));
        }
        Command::DefaultScenario => print!("{}", cirrhosim::scenario::DEFAULT_SCENARIO),
    }
    Ok(())
}

fn main() {
    if let Err(e) = main_inner() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
