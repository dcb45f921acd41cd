//! `report.html`: one self-contained page (inline SVG, no network) with the settings keyed to
//! CHEERS 2022 items, the model's states and exits, the results with plots, and the parameter
//! table with sources. Rendered with `minijinja` from `templates/report.html`.

use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival};
use crate::engine::CohortTrace;
use crate::model::Model;
use crate::report::plots;
use crate::scenario::duration::describe_years;
use crate::scenario::{ExitSpec, Scenario};
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

/// Opens a CSV of a PSA or DSA directory; returns the reader and the file name for messages.
fn open_csv(path: &std::path::Path) -> crate::Result<(csv::Reader<std::fs::File>, String)> {
    let file = path.display().to_string();
    let reader = csv::Reader::from_path(path).map_err(|e| row_error(&file, e))?;
    Ok((reader, file))
}

fn row_error(file: &str, e: csv::Error) -> crate::Error {
    crate::Error::Csv { file: file.to_string(), line: e.position().map_or(0, |p| p.line()), message: e.to_string() }
}

/// Reads a PSA output directory (`ceac.csv`, `psa_draws.csv`) and draws its figures.
///
/// # Errors
/// [`crate::Error::Read`] / [`crate::Error::Csv`] naming the file.
pub fn psa_figures(model: &Model, dir: &std::path::Path, wtp: &[f64]) -> crate::Result<(String, String)> {
    let path = dir.join("ceac.csv");
    let (mut reader, file) = open_csv(&path)?;
    let rows: Vec<plots::CeacRow> = reader.deserialize().collect::<Result<_, _>>().map_err(|e| row_error(&file, e))?;
    let ceac = plots::ceac_svg(&model.strategy_names, &rows);
    let draws = crate::io::draws::read(&dir.join(crate::io::draws::ROWS_FILE))?;
    let last = draws.strategies.len().saturating_sub(1);
    let points: Vec<(f64, f64)> = draws.outcomes.iter().map(|o| (o[last][1] - o[0][1], o[last][0] - o[0][0])).collect();
    let title = format!(
        "Cost-effectiveness plane: {} vs {} ({} draws)",
        draws.strategies[last],
        draws.strategies[0],
        points.len()
    );
    Ok((ceac, plots::ce_plane_svg(&title, &points, wtp)))
}

/// Reads a PSA directory's `survival_psa.csv` into per-strategy bands.
///
/// # Errors
/// [`crate::Error::Csv`] naming the file.
pub fn psa_bands(model: &Model, dir: &std::path::Path) -> crate::Result<Vec<(usize, plots::PsaBand)>> {
    let path = dir.join("survival_psa.csv");
    let (mut reader, file) = open_csv(&path)?;
    let mut bands: Vec<(usize, plots::PsaBand)> = (0..model.n_strategies()).map(|s| (s, Vec::new())).collect();
    for record in reader.records() {
        let r = record.map_err(|e| row_error(&file, e))?;
        let num = |i: usize| r.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        if let Some(s) = model.strategy_names.iter().position(|n| Some(n.as_str()) == r.get(0)) {
            bands[s].1.push((num(2), num(3), num(4), num(5)));
        }
    }
    Ok(bands)
}

/// Reads a DSA output directory (`dsa.csv`) and draws the tornado of incremental NMB.
///
/// # Errors
/// [`crate::Error::Csv`] naming the file.
pub fn tornado_figure(dir: &std::path::Path) -> crate::Result<String> {
    let path = dir.join("dsa.csv");
    let (mut reader, file) = open_csv(&path)?;
    let mut rows = Vec::new();
    let mut base = 0.0;
    for record in reader.records() {
        let r = record.map_err(|e| row_error(&file, e))?;
        if r.get(3) != Some("inc_nmb") {
            continue;
        }
        let num = |i: usize| r.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        base = num(6);
        rows.push((r.get(0).unwrap_or_default().to_string(), num(4), num(5)));
    }
    rows.truncate(15);
    Ok(plots::tornado_svg(&rows, base))
}

/// Draws every figure.
pub fn figures(
    model: &Model,
    traces: &[CohortTrace],
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
    let values = scenario.base_values();
    let states: Vec<_> = scenario
        .states
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let exits: Vec<String> = scenario
                .transitions
                .iter()
                .filter(|t| t.from == i)
                .map(|t| {
                    let what = match t.spec {
                        ExitSpec::Rate(v) => format!("annual rate {}", v.get(&values)),
                        ExitSpec::AnnualProbability(v) => format!("annual probability {}", v.get(&values)),
                        ExitSpec::ProbabilityOver { value, years } => {
                            format!("probability {} over {}", value.get(&values), describe_years(years))
                        }
                        ExitSpec::CycleProbability(v) => format!("probability per cycle {}", v.get(&values)),
                        ExitSpec::Complement => "the rest (complement)".to_string(),
                    };
                    let dt = scenario.cycle_length_years;
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
        .collect();
    let strategies: Vec<_> = scenario
        .strategies
        .iter()
        .map(|s| context! { name => s.name.clone(), label => s.label.clone(), description => s.description.clone() })
        .collect();
    let survival_years: Vec<f64> =
        results.first().map(|r| r.summary.survival_at.iter().map(|(y, _)| *y).collect()).unwrap_or_default();
    let survival_rows: Vec<_> = results
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
        .collect();
    let cea_rows: Vec<_> = evaluation
        .map(|ev| {
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
        })
        .unwrap_or_default();
    let parameters: Vec<_> = scenario
        .parameters
        .iter()
        .enumerate()
        .filter(|(i, _)| scenario.uses_parameter(*i))
        .map(|(i, p)| {
            let distribution = scenario.distribution_text(i);
            context! {
                name => p.name.clone(),
                value => p.value,
                kind => p.kind.name(),
                distribution => distribution,
                range => match (p.low, p.high) { (Some(l), Some(h)) => format!("{l} - {h}"), _ => String::new() },
                source => p.source.clone().unwrap_or_else(|| "(no source)".to_string()),
            }
        })
        .collect();
    let (discounting, currency, correction) = match &scenario.economics {
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
    };
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
            states => states,
            diagram_svg => plots::model_diagram_svg(scenario),
            survival_svg => figures.survival.clone(),
            survival_years => survival_years,
            survival_rows => survival_rows,
            occupancy_svgs => figures.occupancy.clone(),
            cea_rows => cea_rows,
            costs_svg => figures.costs.clone().unwrap_or_default(),
            qalys_svg => figures.qalys.clone().unwrap_or_default(),
            ceac_svg => figures.ceac.clone().unwrap_or_default(),
            ce_plane_svg => figures.ce_plane.clone().unwrap_or_default(),
            tornado_svg => figures.tornado.clone().unwrap_or_default(),
            parameters => parameters,
        })
        .expect("the report template renders with this context")
}
