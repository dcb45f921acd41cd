//! `cirrhosim report`: `report.html` (self-contained, inline SVG plots) and every figure as .svg
//! and .png; optionally with the results of a PSA, a DSA and survival targets, and with `--pdf`
//! the same page printed to `report.pdf` by headless Chromium (its print style sheet puts each
//! section on a new page and keeps figures and tables whole).

use crate::cli::args::{self, OutDir, Quiet, ScenarioArg, Threads, WtpList};
use crate::cli::progress::Reporter;
use anyhow::{Context, anyhow, bail};
use cirrhosim::analysis::fingerprint;
use cirrhosim::error::RunAction;
use cirrhosim::io::{self as files, tables};
use cirrhosim::model::subgroups::Subgroups;
use cirrhosim::report::html::{DsaTables, Overlays, PsaTables, Report, RunInfo};
use cirrhosim::scenario::Scenario;
use cirrhosim::{analysis, engine, model::Model};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The arguments of `cirrhosim report`.
#[derive(clap::Args)]
#[command(mut_arg("out", |a| a.default_value("report")))]
#[command(mut_arg("wtp", |a| a.help(
    "Willingness-to-pay values per QALY drawn on the CE plane, comma-separated, each finite and >= 0 \
     (default: the scenario's economics.wtp)"
)))]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of simulated patients, at least 1 (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = args::patients, allow_hyphen_values = true)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long, value_parser = args::seed, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// A `cirrhosim psa` output directory: adds the PSA tables, the CE plane, the acceptability
    /// curves, the EVPI curve and (when `cirrhosim evppi` was run on it) the EVPPI table.
    #[arg(long, value_name = "DIR")]
    pub psa: Option<PathBuf>,
    /// A `cirrhosim dsa` output directory: adds the DSA table, the tornado and (with
    /// `dsa --two-way`) the two-way heat map.
    #[arg(long, value_name = "DIR")]
    pub dsa: Option<PathBuf>,
    /// Survival targets or trial points (the CSV of `calibrate --target`) to mark on the survival plot.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    #[command(flatten)]
    pub wtp: WtpList,
    /// Results by subgroup: covariates of the scenario's [population], comma-separated (as `run
    /// --by`); adds a subgroup table and a forest plot of incremental NMB at the first WTP.
    #[arg(long, value_name = "COVARIATE", value_delimiter = ',')]
    pub by: Vec<String>,
    /// Also print the page to report.pdf with headless Chromium (found on PATH as chromium,
    /// chromium-browser, google-chrome or google-chrome-stable, or given by --chromium). Chromium
    /// works in a temporary folder that is removed afterwards.
    #[arg(long)]
    pub pdf: bool,
    /// The Chromium (or Chrome) executable for --pdf.
    #[arg(long, value_name = "PATH", requires = "pdf")]
    pub chromium: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutDir,
    #[command(flatten)]
    pub threads: Threads,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `cirrhosim report`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let s = args.scenario.load()?;
    let model = Model::from_scenario(&s)?;
    let overlays = Overlays {
        psa: args.psa.as_deref().map(|dir| read_psa(dir, &s, &model.strategy_names)).transpose()?,
        dsa: args.dsa.as_deref().map(|dir| read_dsa(dir, &s)).transpose()?,
        targets: args
            .target
            .as_deref()
            .map(cirrhosim::scenario::targets::read_targets)
            .transpose()?
            .map(|t| t.rows)
            .unwrap_or_default(),
        wtp: args.wtp.or(s.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default()),
    };
    let patients = args.patients.unwrap_or(s.patients);
    let seed = args.seed.unwrap_or(s.seed);
    let subgroups = if args.by.is_empty() { None } else { Some(Subgroups::new(&s, &model.groups, &args.by)?) };
    let of_group = subgroups.as_ref().map_or(&[][..], |g| &g.of_group);
    let traces: Vec<_> = (0..model.n_strategies()).map(|i| engine::sim_cohort(&model, i)).collect();
    let progress = Reporter::new(args.quiet.quiet, "report", "patient-runs");
    let (mc, by_subgroup) =
        args.threads.pool()?.install(|| engine::sim_patients_by(&model, patients, seed, of_group, &progress))?;
    progress.finish();
    let results = analysis::survival_analysis(&model, &traces, Some(&mc.counts));
    let evaluation = analysis::evaluate(&model, &traces, mc.values.as_ref());
    let subgroups = subgroups.map(|g| analysis::subgroup_analysis(&model, &g, Some(&by_subgroup))).unwrap_or_default();
    let occupancy = analysis::occupancy(&traces);
    let evidence = analysis::evidence::evidence(&s);
    let report = Report {
        scenario: &s,
        model: &model,
        patients,
        seed,
        results: &results,
        occupancy: &occupancy,
        evaluation: evaluation.as_ref(),
        overlays: &overlays,
        evidence: Some(&evidence),
        subgroups: &subgroups,
        by: &args.by,
    };
    let mut files = report.files()?;
    if args.pdf {
        let browser = find_chromium(args.chromium.as_deref())?;
        let html = &files.iter().find(|f| f.name == "report.html").expect("a report has report.html").bytes;
        files.push(files::OutputFile::new("report.pdf", print_pdf(&browser, html)?));
    }
    let mut settings = vec![("patients", patients.to_string()), ("seed", seed.to_string())];
    if !args.by.is_empty() {
        settings.push(("by", args.by.join(",")));
    }
    let written = files::publish(&args.out.out, &fingerprint::of("report", &s, &settings), &files, &[])?;
    if !args.quiet.quiet {
        for p in written {
            println!("wrote {}", p.display());
        }
    }
    Ok(())
}

/// Names under which Debian, Ubuntu and Google ship Chromium or Chrome.
const CHROMIUM_NAMES: [&str; 4] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// How long Chromium may take to print the page.
const PDF_TIMEOUT: Duration = Duration::from_secs(180);

/// The browser for `--pdf`: the one given, else the first of [`CHROMIUM_NAMES`] on PATH.
fn find_chromium(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        bail!("--chromium {}: no such file; give the path of a Chromium or Chrome executable", path.display());
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    CHROMIUM_NAMES.iter().flat_map(|name| dirs.iter().map(move |d| d.join(name))).find(|p| p.is_file()).ok_or_else(
        || {
            anyhow!(
                "--pdf needs headless Chromium to print the page, and none of {} is on PATH; install it (Debian: \
             apt-get install chromium) or give its path with --chromium PATH. report.html was not written either: \
             run without --pdf for the HTML and figures alone",
                CHROMIUM_NAMES.join(", ")
            )
        },
    )
}

/// Prints `html` (a self-contained page: no script, no network) to PDF with headless Chromium,
/// in a temporary folder with a fresh profile, and returns the PDF's bytes.
fn print_pdf(browser: &Path, html: &[u8]) -> anyhow::Result<Vec<u8>> {
    let work =
        tempfile::Builder::new().prefix("cirrhosim-pdf").tempdir().context("--pdf: cannot make a temporary folder")?;
    let page = work.path().join("report.html");
    let pdf = work.path().join("report.pdf");
    let log = work.path().join("chromium.log");
    std::fs::write(&page, html).with_context(|| format!("--pdf: cannot write {}", page.display()))?;
    let mut child = Command::new(browser)
        // The page is our own, with no script and nothing to fetch; --no-sandbox lets Chromium run
        // as root (CI containers). The network flags keep a closed machine from stalling it.
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--disable-quic", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", work.path().join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // To a file, not a pipe: a chatty browser could fill a pipe nobody reads until it exits.
        .stderr(std::fs::File::create(&log).with_context(|| format!("--pdf: cannot write {}", log.display()))?)
        .spawn()
        .with_context(|| format!("--pdf: cannot start {}", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > PDF_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("--pdf: {} did not finish printing within {} s", browser.display(), PDF_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        let last: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        bail!(
            "--pdf: {} did not print the page ({status}); its last messages:\n{}",
            browser.display(),
            last.join("\n")
        );
    }
    Ok(bytes)
}

/// The tables of a DSA directory: a complete, intact `dsa` output of this scenario; the two-way
/// grid when its manifest lists one.
fn read_dsa(dir: &Path, scenario: &Scenario) -> anyhow::Result<DsaTables> {
    let manifest =
        files::check_folder_of_scenario(dir, RunAction::Report, "dsa", &fingerprint::of("dsa", scenario, &[]))?;
    let rows = tables::read_dsa(&dir.join(tables::DSA_FILE))?;
    let two_way = match manifest.file(tables::TWO_WAY_FILE) {
        Some(_) => Some(tables::read_two_way(&dir.join(tables::TWO_WAY_FILE))?),
        None => None,
    };
    Ok(DsaTables { rows, two_way, run: run_info(dir, manifest.fingerprint.settings) })
}

/// The folder as given and the settings of the run that filled it.
fn run_info(dir: &Path, settings: std::collections::BTreeMap<String, String>) -> RunInfo {
    RunInfo { folder: dir.display().to_string(), settings }
}

/// The tables of a PSA directory: a complete, intact `psa` output of this scenario (its
/// manifest says so), checked again against the scenario's strategies.
fn read_psa(dir: &Path, scenario: &Scenario, strategies: &[String]) -> anyhow::Result<PsaTables> {
    let manifest =
        files::check_folder_of_scenario(dir, RunAction::Report, "psa", &fingerprint::of("psa", scenario, &[]))?;
    // A PSA --by has the whole population's rows (`all`) and then each subgroup's.
    let (ceac, ceac_by_subgroup): (Vec<_>, Vec<_>) = tables::read_ceac(&dir.join(tables::CEAC_FILE), strategies)?
        .into_iter()
        .partition(|r| r.subgroup.as_deref().is_none_or(|g| g == cirrhosim::report::csv::ALL));
    let draws_file = dir.join(files::draws::ROWS_FILE);
    let draws = files::draws::read(&draws_file)?;
    tables::expect_draw_strategies(&draws_file, &draws, strategies)?;
    let survival_band = tables::read_survival_band(&dir.join(tables::SURVIVAL_BAND_FILE), strategies)?;
    // `cirrhosim evppi` adds evppi.csv to the folder's manifest; a stray file is not read.
    let evppi = match manifest.file(tables::EVPPI_FILE) {
        Some(_) => Some(tables::read_evppi(&dir.join(tables::EVPPI_FILE))?),
        None => None,
    };
    let run = run_info(dir, manifest.fingerprint.settings);
    Ok(PsaTables { ceac, ceac_by_subgroup, draws, survival_band, evppi, run })
}
