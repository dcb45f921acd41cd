//! `cirrhosim report`: `report.html` (self-contained, inline SVG plots) and every figure as .svg
//! and .png; optionally with the results of a PSA, a DSA and survival targets.

use crate::cli::args::ScenarioArg;
use cirrhosim::io::{self as files, OutputFile};
use cirrhosim::{analysis, engine, model::Model, report};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Number of simulated patients (default: the scenario's).
    #[arg(long)]
    pub patients: Option<u64>,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// A `cirrhosim psa` output directory: adds the CE plane and the acceptability curves.
    #[arg(long)]
    pub psa: Option<PathBuf>,
    /// A `cirrhosim dsa` output directory: adds the tornado.
    #[arg(long)]
    pub dsa: Option<PathBuf>,
    /// Survival targets or trial points (the CSV of `calibrate --target`) to mark on the survival plot.
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args { scenario, patients, seed, psa, dsa, target, out } = args;
    let s = scenario.load()?;
    let patients = patients.unwrap_or(s.patients).max(1);
    let seed = seed.unwrap_or(s.seed);
    let model = Model::from_scenario(&s)?;
    let traces: Vec<_> = (0..model.n_strategies()).map(|i| engine::sim_cohort(&model, i)).collect();
    let mc = engine::sim_patients(&model, patients, seed, &engine::NoProgress);
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
        Some(file) => cirrhosim::io::targets::read_targets(file)?
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
        OutputFile { name: "report.html".into(), bytes: html.into_bytes() },
        OutputFile { name: "survival.svg".into(), bytes: figures.survival.clone().into_bytes() },
        OutputFile { name: "model.svg".into(), bytes: report::plots::model_diagram_svg(&s).into_bytes() },
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
        files.push(OutputFile { name: name.to_string(), bytes: svg.clone().into_bytes() });
    }
    for (name, svg) in [
        ("costs.svg", &figures.costs),
        ("qalys.svg", &figures.qalys),
        ("ceac.svg", &figures.ceac),
        ("ce_plane.svg", &figures.ce_plane),
        ("tornado.svg", &figures.tornado),
    ] {
        if let Some(svg) = svg {
            files.push(OutputFile { name: name.to_string(), bytes: svg.clone().into_bytes() });
        }
    }
    // PNG copies of every figure, for slides.
    let rasteriser = report::png::Rasteriser::new();
    let mut pngs = Vec::new();
    for f in &files {
        if let Some(png) = report::png::png_name(&f.name) {
            let svg = std::str::from_utf8(&f.bytes).expect("SVG is text");
            pngs.push(OutputFile { name: png.into(), bytes: rasteriser.png(std::path::Path::new(png), svg)? });
        }
    }
    files.extend(pngs);
    for p in files::write_all(&out, &files)? {
        println!("wrote {}", p.display());
    }
    Ok(())
}
