//! `report.html`: one self-contained page (inline SVG, no network) with the settings keyed to
//! CHEERS 2022 items, the model's states and exits, the results with plots, and the parameter
//! table with sources. Rendered with `minijinja` from `templates/report.html`.
//!
//! Receives the results and, in [`Overlays`], the tables of earlier runs (PSA, DSA, targets) as
//! rows the caller has read; hands back the figures and the list of files ([`report_files`]). It
//! reads no file.

use crate::analysis::StateOccupancy;
use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival};
use crate::io::OutputFile;
use crate::io::draws::DrawTable;
use crate::io::tables::{CeacRow, DsaRow, SurvivalBandRow};
use crate::io::targets::Target;
use crate::model::Model;
use crate::report::plots;
use crate::scenario::duration::describe_years;
use crate::scenario::{ExitSpec, Scenario, Value};
use minijinja::{Environment, context};

const TEMPLATE: &str = include_str!("../../templates/report.html");

fn money(x: f64) -> String {
    format!("{x:.0}")
}

/// The SVG figures of a report, also written as separate files.
pub struct Figures {
    pub survival: String,
    pub occupancy: Vec<String>,
    pub costs: Option<String>,
    pub qalys: Option<String>,
    /// From a PSA directory: acceptability curves and the cost-effectiveness plane.
    pub ceac: Option<String>,
    pub ce_plane: Option<String>,
    /// From a DSA directory: the tornado.
    pub tornado: Option<String>,
}

/// What a report draws from earlier runs, read by the caller with [`crate::io::tables`] and
/// [`crate::io::targets`]: this module reads no file.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    /// A PSA directory's tables: acceptability curves, CE plane and survival band.
    pub psa: Option<PsaTables>,
    /// A DSA directory's `dsa.csv`: the tornado.
    pub dsa: Option<Vec<DsaRow>>,
    /// Survival targets or trial points; those on `overall_survival` are marked on the survival plot.
    pub targets: Vec<Target>,
    /// Willingness-to-pay values per QALY drawn as lines on the CE plane.
    pub wtp: Vec<f64>,
}

/// The tables of a PSA directory that the report draws.
#[derive(Debug, Clone)]
pub struct PsaTables {
    /// `ceac.csv`.
    pub ceac: Vec<CeacRow>,
    /// `psa_draws.csv`, complete (see [`crate::io::draws::read`], which refuses a file without draws or cut short).
    pub draws: DrawTable,
    /// `survival_psa.csv`.
    pub survival_band: Vec<SurvivalBandRow>,
}

/// The acceptability curves and the cost-effectiveness plane (last strategy vs the first, one
/// point per draw, lines of slope `wtp`) of a PSA.
pub fn psa_figures(model: &Model, ceac: &[CeacRow], draws: &DrawTable, wtp: &[f64]) -> (String, String) {
    let ceac = plots::ceac_svg(&model.strategy_names, ceac);
    let last = model.n_strategies().saturating_sub(1);
    let points: Vec<(f64, f64)> = draws
        .outcomes
        .iter()
        .filter_map(|o| {
            let (first, last) = (o.first()?, o.get(last)?);
            Some((last[1] - first[1], last[0] - first[0]))
        })
        .collect();
    let name = |i: usize| model.strategy_names.get(i).map_or("", String::as_str);
    let title = format!("Cost-effectiveness plane: {} vs {} ({} draws)", name(last), name(0), points.len());
    (ceac, plots::ce_plane_svg(&title, &points, wtp))
}

/// A PSA's survival band per strategy of the model (rows of other strategies are ignored).
pub fn psa_bands(model: &Model, rows: &[SurvivalBandRow]) -> Vec<(usize, plots::PsaBand)> {
    let mut bands: Vec<(usize, plots::PsaBand)> = (0..model.n_strategies()).map(|s| (s, Vec::new())).collect();
    for r in rows {
        if let Some(s) = model.strategy_names.iter().position(|n| *n == r.strategy) {
            bands[s].1.push((r.years, r.median, r.lower, r.upper));
        }
    }
    bands
}

/// The tornado of incremental NMB from a DSA's rows: the first 15 parameters (the file is in
/// tornado order); a result that was not finite is drawn as NaN (no bar).
pub fn tornado_figure(rows: &[DsaRow]) -> String {
    let mut bars = Vec::new();
    let mut base = 0.0;
    for r in rows.iter().filter(|r| r.outcome == "inc_nmb") {
        base = r.base.unwrap_or(f64::NAN);
        bars.push((r.parameter.clone(), r.low_result.unwrap_or(f64::NAN), r.high_result.unwrap_or(f64::NAN)));
    }
    bars.truncate(15);
    plots::tornado_svg(&bars, base)
}

/// Draws every figure, with what `overlays` adds: the PSA's acceptability curves, CE plane and
/// survival band, the DSA's tornado, and the survival targets.
pub fn figures_with(
    model: &Model,
    traces: &[StateOccupancy],
    results: &[StrategySurvival],
    evaluation: Option<&Evaluation>,
    overlays: &Overlays,
) -> Figures {
    let mut figures = figures(model, traces, results, evaluation);
    if let Some(psa) = &overlays.psa {
        let (ceac, plane) = psa_figures(model, &psa.ceac, &psa.draws, &overlays.wtp);
        figures.ceac = Some(ceac);
        figures.ce_plane = Some(plane);
    }
    let bands = overlays.psa.as_ref().map(|p| psa_bands(model, &p.survival_band)).unwrap_or_default();
    let points: Vec<plots::TargetPoint> = overlays
        .targets
        .iter()
        .filter(|t| t.curve == "overall_survival")
        .map(|t| (t.years, t.value, t.lower.zip(t.upper)))
        .collect();
    if !bands.is_empty() || !points.is_empty() {
        figures.survival = plots::survival_svg_with(model, results, &bands, &points);
    }
    if let Some(rows) = &overlays.dsa {
        figures.tornado = Some(tornado_figure(rows));
    }
    figures
}

/// Every file of a report: `report.html`; each figure as SVG: `survival.svg`, `model.svg`,
/// `occupancy_<k>.svg` for the k-th strategy (from 1), and when drawn `costs.svg`, `qalys.svg`,
/// `ceac.svg`, `ce_plane.svg`, `tornado.svg`; then a PNG copy of each figure, for slides.
///
/// # Errors
/// [`crate::Error::Serialise`] if a figure cannot be rasterised.
#[allow(clippy::too_many_arguments)]
pub fn report_files(
    scenario: &Scenario,
    model: &Model,
    patients: u64,
    seed: u64,
    results: &[StrategySurvival],
    evaluation: Option<&Evaluation>,
    figures: &Figures,
) -> crate::Result<Vec<OutputFile>> {
    let html = report_html(scenario, model, patients, seed, results, evaluation, figures);
    let mut files = vec![
        OutputFile::new("report.html", html.into_bytes()),
        OutputFile::new("survival.svg", figures.survival.clone().into_bytes()),
        OutputFile::new("model.svg", plots::model_diagram_svg(scenario).into_bytes()),
    ];
    for (k, svg) in figures.occupancy.iter().enumerate() {
        files.push(OutputFile::new(format!("occupancy_{}.svg", k + 1), svg.clone().into_bytes()));
    }
    for (name, svg) in [
        ("costs.svg", &figures.costs),
        ("qalys.svg", &figures.qalys),
        ("ceac.svg", &figures.ceac),
        ("ce_plane.svg", &figures.ce_plane),
        ("tornado.svg", &figures.tornado),
    ] {
        if let Some(svg) = svg {
            files.push(OutputFile::new(name, svg.clone().into_bytes()));
        }
    }
    let pngs = png_copies(&files)?;
    files.extend(pngs);
    Ok(files)
}

/// Without the `png` feature there are no PNG copies (the report has its SVG figures).
#[cfg(not(feature = "png"))]
fn png_copies(_files: &[OutputFile]) -> crate::Result<Vec<OutputFile>> {
    Ok(Vec::new())
}

/// A `.png` copy of every `.svg` file, rendered by `report::png` (the default `png` feature).
#[cfg(feature = "png")]
fn png_copies(files: &[OutputFile]) -> crate::Result<Vec<OutputFile>> {
    let rasteriser = crate::report::png::Rasteriser::new();
    let mut pngs = Vec::new();
    for f in files {
        if let Some(stem) = f.name.strip_suffix(".svg") {
            let name = format!("{stem}.png");
            // The figures are drawn into Strings above, so they are UTF-8.
            let svg = String::from_utf8_lossy(&f.bytes);
            let bytes = rasteriser.png(std::path::Path::new(&name), &svg)?;
            pngs.push(OutputFile::new(name, bytes));
        }
    }
    Ok(pngs)
}

/// Draws every figure.
pub fn figures(
    model: &Model,
    traces: &[StateOccupancy],
    results: &[StrategySurvival],
    evaluation: Option<&Evaluation>,
) -> Figures {
    Figures {
        survival: plots::survival_svg(model, results),
        occupancy: traces.iter().map(|t| plots::occupancy_svg(model, t)).collect(),
        costs: evaluation.map(|e| plots::costs_svg(model, e)),
        qalys: evaluation.map(|e| plots::qalys_svg(model, e)),
        ceac: None,
        ce_plane: None,
        tornado: None,
    }
}

/// The report page.
#[allow(clippy::too_many_arguments)]
pub fn report_html(
    scenario: &Scenario,
    model: &Model,
    patients: u64,
    seed: u64,
    results: &[StrategySurvival],
    evaluation: Option<&Evaluation>,
    figures: &Figures,
) -> String {
    let strategies: Vec<_> = scenario
        .strategies
        .iter()
        .map(|s| context! { name => s.name.clone(), label => s.label.clone(), description => s.description.clone() })
        .collect();
    let survival_years: Vec<f64> =
        results.first().map(|r| r.summary.survival_at.iter().map(|(y, _)| *y).collect()).unwrap_or_default();
    let (discounting, currency, correction) = economics_settings(scenario);
    let mut env = Environment::new();
    env.add_template("report", TEMPLATE).expect("the embedded template parses");
    env.get_template("report")
        .expect("template added above")
        .render(context! {
            title => scenario.title.clone(),
            description => scenario.description.clone().unwrap_or_default(),
            file => scenario.file.clone(),
            version => env!("CARGO_PKG_VERSION"),
            seed => seed,
            patients => patients,
            strategies => strategies,
            horizon => describe_years(model.n_cycles as f64 * model.cycle_length_years),
            cycles => model.n_cycles,
            cycle => describe_years(model.cycle_length_years),
            discounting => discounting,
            currency => currency,
            correction => correction,
            states => state_rows(scenario),
            diagram_svg => plots::model_diagram_svg(scenario),
            survival_svg => figures.survival.clone(),
            survival_years => survival_years,
            survival_rows => survival_rows(model, results),
            occupancy_svgs => figures.occupancy.clone(),
            cea_rows => cea_rows(model, evaluation),
            costs_svg => figures.costs.clone().unwrap_or_default(),
            qalys_svg => figures.qalys.clone().unwrap_or_default(),
            ceac_svg => figures.ceac.clone().unwrap_or_default(),
            ce_plane_svg => figures.ce_plane.clone().unwrap_or_default(),
            tornado_svg => figures.tornado.clone().unwrap_or_default(),
            parameters => parameter_rows(scenario),
        })
        .expect("the report template renders with this context")
}

/// Each state with its exits in words (CHEERS item 16: model structure).
fn state_rows(scenario: &Scenario) -> Vec<minijinja::Value> {
    let values = scenario.base_values();
    let dt = scenario.cycle_length_years;
    scenario
        .states
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let exits: Vec<String> = scenario
                .transitions
                .iter()
                .filter(|t| t.from == i)
                .map(|t| {
                    let words = |v: &Value| match v {
                        Value::Formula(_) => scenario.value_in_words(v, &values),
                        _ => v.get(&values).to_string(),
                    };
                    let what = match &t.spec {
                        ExitSpec::Rate(v) => format!("annual rate {}", words(v)),
                        ExitSpec::AnnualProbability(v) => format!("annual probability {}", words(v)),
                        ExitSpec::ProbabilityOver { value, years } => {
                            format!("probability {} over {}", words(value), describe_years(*years))
                        }
                        ExitSpec::CycleProbability(v) => format!("probability per cycle {}", words(v)),
                        ExitSpec::Complement => "the rest (complement)".to_string(),
                    };
                    let when = match (t.window.from_cycle, t.window.until_cycle) {
                        (0, None) => String::new(),
                        (f, None) => format!(" (after {} in the state)", describe_years(f as f64 * dt)),
                        (0, Some(u)) => format!(" (first {} in the state)", describe_years(u as f64 * dt)),
                        (f, Some(u)) => format!(
                            " ({} to {} in the state)",
                            describe_years(f as f64 * dt),
                            describe_years(u as f64 * dt)
                        ),
                    };
                    format!("to {}: {what}{when}", scenario.states[t.to].name)
                })
                .collect();
            context! { name => st.name.clone(), label => st.label.clone(), exits => exits }
        })
        .collect()
}

/// Survival per strategy and method: life years, median, survival at the summary times.
fn survival_rows(model: &Model, results: &[StrategySurvival]) -> Vec<minijinja::Value> {
    results
        .iter()
        .map(|r| {
            let s = &r.summary;
            let ly = match r.method {
                Method::Cohort => format!("{:.3}", s.life_years.estimate),
                Method::MonteCarlo => {
                    format!("{:.3} ({:.3}-{:.3})", s.life_years.estimate, s.life_years.lower, s.life_years.upper)
                }
            };
            context! {
                strategy => model.strategy_names[r.strategy].clone(),
                method => r.method.as_str(),
                life_years => ly,
                median => s.median_os_years.map_or("not reached".to_string(), |m| format!("{m:.2}")),
                at => s.survival_at.iter().map(|(_, e)| format!("{:.1}%", 100.0 * e.estimate)).collect::<Vec<_>>(),
            }
        })
        .collect()
}

/// The incremental analysis table.
fn cea_rows(model: &Model, evaluation: Option<&Evaluation>) -> Vec<minijinja::Value> {
    let Some(ev) = evaluation else { return Vec::new() };
    ev.cea
        .iter()
        .map(|r| {
            context! {
                strategy => model.strategy_names[r.strategy].clone(),
                cost => money(r.cost),
                qaly => format!("{:.4}", r.qaly),
                life_years => format!("{:.4}", r.life_years),
                inc_cost => r.inc_cost.map(money).unwrap_or_default(),
                inc_qaly => r.inc_qaly.map(|q| format!("{q:.4}")).unwrap_or_default(),
                icer => r.icer.map(money).unwrap_or_default(),
                status => r.status.as_str(),
            }
        })
        .collect()
}

/// Every parameter the model uses, with value, kind, distribution, range and source.
fn parameter_rows(scenario: &Scenario) -> Vec<minijinja::Value> {
    scenario
        .parameters
        .iter()
        .enumerate()
        .filter(|(i, _)| scenario.uses_parameter(*i))
        .map(|(i, p)| {
            context! {
                name => p.name.clone(),
                value => scenario.value_text(i),
                kind => p.kind.name(),
                distribution => scenario.distribution_text(i),
                range => match (p.low, p.high) { (Some(l), Some(h)) => format!("{l} - {h}"), _ => String::new() },
                source => p.source.clone().unwrap_or_else(|| "(no source)".to_string()),
            }
        })
        .collect()
}

/// Discounting, currency and the within-cycle correction, in words (CHEERS items 10, 15).
fn economics_settings(scenario: &Scenario) -> (String, String, String) {
    let values = scenario.base_values();
    match &scenario.economics {
        Some(e) => (
            format!(
                "costs {} and effects {} per year",
                e.discount_rate_costs.get(&values),
                e.discount_rate_effects.get(&values)
            ),
            format!("{} (price year {})", e.currency, e.price_year),
            e.correction.name().to_string(),
        ),
        None => (
            "not applicable (survival only)".to_string(),
            "not applicable".to_string(),
            "trapezoid (survival)".to_string(),
        ),
    }
}
