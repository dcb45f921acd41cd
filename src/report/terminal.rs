//! Tables for the terminal: the run summary, the cohort trace, patient histories.

use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival, SubgroupResult, incremental_nmb};
use crate::analysis::{PatientPath, StateOccupancy};
use crate::model::Model;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

fn table(header: Vec<String>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// A table of long text columns that wraps to the terminal's width (180 columns when there is
/// no terminal, e.g. in a pipe).
fn wrapping_table(header: &[&str]) -> Table {
    let mut t = table(header.iter().map(|s| s.to_string()).collect());
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if t.width().is_none() {
        t.set_width(180);
    }
    t
}

fn right(text: String) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}

fn years(v: Option<f64>) -> String {
    v.map_or("not reached".to_string(), |y| format!("{y:.2}"))
}

/// The run summary: one row per strategy and method.
pub fn summary_table(model: &Model, results: &[StrategySurvival]) -> String {
    let mut header =
        vec!["strategy".to_string(), "method".into(), "life years (95% CI)".into(), "median OS, years".into()];
    let at: Vec<f64> =
        results.first().map(|r| r.summary.survival_at.iter().map(|(y, _)| *y).collect()).unwrap_or_default();
    header.extend(at.iter().map(|y| format!("OS {y} y")));
    let mut t = table(header);
    for r in results {
        let s = &r.summary;
        let ly = match r.method {
            Method::Cohort => format!("{:.3}", s.life_years.estimate),
            Method::MonteCarlo => {
                format!("{:.3} ({:.3}-{:.3})", s.life_years.estimate, s.life_years.lower, s.life_years.upper)
            }
        };
        let mut row = vec![
            Cell::new(&model.strategy_names[r.strategy]),
            Cell::new(r.method.as_str()),
            right(ly),
            right(years(s.median_os_years)),
        ];
        row.extend(s.survival_at.iter().map(|(_, e)| right(format!("{:.1}%", 100.0 * e.estimate))));
        t.add_row(row);
    }
    t.to_string()
}

/// The first `cycles` cycles of a cohort trace, as percentages of the cohort.
pub fn trace_table(model: &Model, trace: &StateOccupancy, cycles: usize) -> String {
    let mut header = vec!["cycle".to_string(), "years".into()];
    header.extend(model.states.iter().map(|s| s.name.clone()));
    header.push("alive".into());
    let mut t = table(header);
    for c in 0..=cycles.min(model.n_cycles) {
        let mut row = vec![right(c.to_string()), right(format!("{:.3}", c as f64 * model.cycle_length_years))];
        row.extend(trace.row(c).iter().map(|v| right(format!("{:.4}%", 100.0 * v))));
        let alive: f64 = trace.row(c).iter().zip(&model.states).filter(|(_, s)| s.alive).map(|(v, _)| v).sum();
        row.push(right(format!("{:.4}%", 100.0 * alive)));
        t.add_row(row);
    }
    t.to_string()
}

/// Patient histories as a table: patient, sub-cohort, then the path with entry times. Without
/// `age_given` (a scenario with no start age) the sub-cohort shows no age.
pub fn paths_table(
    model: &Model,
    histories: &[PatientPath],
    age_given: bool,
    population: &crate::scenario::population::Population,
) -> String {
    let mut t = table(vec!["patient".into(), "start".into(), "path (state from year)".into(), "years alive".into()]);
    let dt = model.cycle_length_years;
    for h in histories {
        let g = model.groups[h.group];
        let who = match g.sex {
            Some(sex) if !age_given => sex.as_str().to_string(),
            Some(sex) => format!("{} {:.0}", sex.as_str(), g.start_age),
            None if !age_given => "-".to_string(),
            None => format!("age {:.0}", g.start_age),
        };
        // Each patient's covariates (its profile), when the scenario has a population.
        let who = match population.describe(&g.cells) {
            covariates if covariates.is_empty() => who,
            covariates if who == "-" => covariates,
            covariates => format!("{who}, {covariates}"),
        };
        let path = h
            .entries
            .iter()
            .map(|&(c, s)| format!("{} {:.2}", model.states[s].name, c as f64 * dt))
            .collect::<Vec<_>>()
            .join(" -> ");
        let death = h.entries.iter().find(|&&(_, s)| !model.states[s].alive).map(|&(c, _)| c as f64 * dt);
        let alive = death.map_or(format!(">{:.2}", model.n_cycles as f64 * dt), |d| format!("{d:.2}"));
        t.add_row(vec![right(h.index.to_string()), Cell::new(who), Cell::new(path), right(alive)]);
    }
    t.to_string()
}

fn money(x: f64) -> String {
    let rounded = x.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0 { format!("-{out}") } else { out }
}

/// The incremental analysis: cost, QALYs, life years, increments, ICER and status, by cost.
pub fn cea_table(model: &Model, evaluation: &Evaluation) -> String {
    let mut t = table(
        ["strategy", "cost", "QALYs", "life years", "inc. cost", "inc. QALYs", "ICER", "status"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let mc = evaluation.monte_carlo.as_ref().map(|(est, _)| est);
    for r in &evaluation.cea {
        let m = mc.and_then(|e| e.iter().find(|m| m.strategy == r.strategy));
        let cost = match m {
            Some(m) => format!("{}\n(MC {} +/- {})", money(r.cost), money(m.cost.mean), money(m.cost.se)),
            None => money(r.cost),
        };
        let qaly = match m {
            Some(m) => format!("{:.4}\n(MC {:.4} +/- {:.4})", r.qaly, m.qaly.mean, m.qaly.se),
            None => format!("{:.4}", r.qaly),
        };
        t.add_row(vec![
            Cell::new(&model.strategy_names[r.strategy]),
            right(cost),
            right(qaly),
            right(format!("{:.4}", r.life_years)),
            right(r.inc_cost.map_or(String::new(), money)),
            right(r.inc_qaly.map_or(String::new(), |q| format!("{q:.4}"))),
            right(r.icer.map_or(String::new(), money)),
            Cell::new(r.status.as_str()),
        ]);
    }
    t.to_string()
}

/// Results by subgroup (`run --by`): per subgroup and strategy, its share and Monte Carlo
/// patients, cohort life years and median survival and, with economics, cost, QALYs, ICER (from
/// the subgroup's own incremental analysis) and the incremental NMB against the first strategy at
/// `wtp` (cohort; Monte Carlo mean +/- SE below it).
pub fn subgroup_table(model: &Model, subgroups: &[SubgroupResult], wtp: Option<f64>) -> String {
    let economics = wtp.is_some() && subgroups.iter().any(|g| g.evaluation.is_some());
    let mut header: Vec<String> =
        ["subgroup", "share", "patients", "strategy", "life years", "median OS, years"].map(String::from).to_vec();
    if let Some(w) = wtp.filter(|_| economics) {
        header.extend(["cost", "QALYs", "ICER"].map(String::from));
        header.push(format!("inc. NMB at {}", money(w)));
    }
    let mut t = table(header);
    for g in subgroups {
        for (k, r) in g.survival.iter().filter(|r| r.method == Method::Cohort).enumerate() {
            let first = k == 0;
            let mut row = vec![
                Cell::new(if first { g.name.as_str() } else { "" }),
                right(if first { format!("{:.1}%", 100.0 * g.share) } else { String::new() }),
                right(match g.patients {
                    Some(n) if first => n.to_string(),
                    _ => String::new(),
                }),
                Cell::new(&model.strategy_names[r.strategy]),
                right(format!("{:.3}", r.summary.life_years.estimate)),
                right(years(r.summary.median_os_years)),
            ];
            if let (Some(w), Some(ev)) = (wtp.filter(|_| economics), &g.evaluation) {
                let c = ev.cea.iter().find(|c| c.strategy == r.strategy).expect("a CEA row per strategy");
                let inb = (r.strategy != 0).then(|| incremental_nmb(ev, r.strategy, 0, w));
                row.extend([
                    right(money(c.cost)),
                    right(format!("{:.4}", c.qaly)),
                    right(c.icer.map_or(c.status.as_str().to_string(), money)),
                    right(inb.map_or(String::new(), |i| match i.monte_carlo {
                        Some(m) => format!("{}\n(MC {} +/- {})", money(i.cohort), money(m.mean), money(m.se)),
                        None => money(i.cohort),
                    })),
                ]);
            }
            t.add_row(row);
        }
    }
    t.to_string()
}

/// The `verify` table: check, verdict, figure.
pub fn verify_table(checks: &[crate::analysis::verify::Check]) -> String {
    let mut t = table(vec!["check".into(), "result".into(), "figure".into()]);
    for c in checks {
        let verdict = match c.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "skip",
        };
        t.add_row(vec![Cell::new(&c.name), Cell::new(verdict), Cell::new(&c.figure)]);
    }
    t.to_string()
}

/// PSA summary: mean outcomes per strategy, and CEAC and EVPI at the scenario's WTP values.
pub fn psa_table(scenario: &crate::scenario::Scenario, r: &crate::analysis::psa::PsaResults) -> String {
    let wtp: Vec<f64> = scenario.economics.as_ref().map(|e| e.wtp.clone()).unwrap_or_default();
    let mut header = vec!["strategy".to_string(), "mean cost".into(), "mean QALYs".into()];
    header.extend(wtp.iter().map(|w| format!("P(CE) at {}", money(*w))));
    let mut t = table(header);
    let nearest = |w: f64| r.ceac.iter().min_by(|a, b| (a.wtp - w).abs().total_cmp(&(b.wtp - w).abs()));
    for (s, m) in r.mean.iter().enumerate() {
        let mut row = vec![Cell::new(&scenario.strategies[s].name), right(money(m[0])), right(format!("{:.4}", m[1]))];
        row.extend(
            wtp.iter().map(|&w| right(nearest(w).map_or(String::new(), |p| format!("{:.3}", p.probability[s])))),
        );
        t.add_row(row);
    }
    let mut evpi = vec![Cell::new("EVPI per person"), Cell::new(""), Cell::new("")];
    evpi.extend(wtp.iter().map(|&w| {
        right(
            r.evpi
                .iter()
                .min_by(|a, b| (a.wtp - w).abs().total_cmp(&(b.wtp - w).abs()))
                .map_or(String::new(), |e| money(e.per_person)),
        )
    }));
    t.add_row(evpi);
    t.to_string()
}

/// A PSA by subgroups (`--by`): per subgroup its share and the probability that each strategy
/// is cost-effective at each of the scenario's WTP values, `p1 / p2 / ...` in scenario order.
pub fn psa_subgroups_table(scenario: &crate::scenario::Scenario, r: &crate::analysis::psa::PsaResults) -> String {
    let order: Vec<&str> = scenario.strategies.iter().map(|s| s.name.as_str()).collect();
    let mut header = vec!["subgroup".to_string(), "share".into()];
    let wtp: Vec<f64> = r.subgroups.first().map(|g| g.at_wtp.iter().map(|p| p.wtp).collect()).unwrap_or_default();
    header.extend(wtp.iter().map(|w| format!("P(CE) at {}", money(*w))));
    let mut t = table(header);
    for g in &r.subgroups {
        let mut row = vec![Cell::new(&g.name), right(format!("{:.3}", g.share))];
        row.extend(
            g.at_wtp
                .iter()
                .map(|p| right(p.probability.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" / "))),
        );
        t.add_row(row);
    }
    format!("probability cost-effective by subgroup ({}):\n{t}", order.join(" / "))
}

/// A text tornado of incremental NMB: one bar per parameter, from the base case to the low and
/// high results, largest swing first.
pub fn tornado_text(t: &crate::analysis::dsa::Tornado, top: usize) -> String {
    let rows = &t.rows[..t.rows.len().min(top)];
    let span = rows
        .iter()
        .flat_map(|r| [(r.low.inc_nmb - t.base.inc_nmb).abs(), (r.high.inc_nmb - t.base.inc_nmb).abs()])
        .fold(0.0, f64::max)
        .max(1e-9);
    let width = 30.0;
    let name_width = rows.iter().map(|r| r.parameter.len()).max().unwrap_or(0);
    let mut out = format!("incremental NMB, base {} (L = low value, H = high value)\n", money(t.base.inc_nmb));
    for r in rows {
        let mut line = vec![' '; 2 * width as usize + 1];
        line[width as usize] = '|';
        for (result, mark) in [(r.low.inc_nmb, 'L'), (r.high.inc_nmb, 'H')] {
            let cells = ((result - t.base.inc_nmb) / span * width).round() as i64;
            let (from, to) = if cells < 0 {
                (width as i64 + cells, width as i64 - 1)
            } else {
                (width as i64 + 1, width as i64 + cells)
            };
            for c in from.max(0)..=to.min(2 * width as i64) {
                line[c as usize] = mark;
            }
        }
        out.push_str(&format!(
            "{:>name_width$} {} {} .. {}\n",
            r.parameter,
            line.iter().collect::<String>(),
            money(r.low.inc_nmb),
            money(r.high.inc_nmb)
        ));
    }
    out
}

/// EVPPI rows: parameters, WTP, EVPPI and EVPI per person.
pub fn evppi_table(rows: &[crate::analysis::evppi::EvppiResult]) -> String {
    let mut t = table(vec!["parameters".into(), "wtp".into(), "EVPPI per person".into(), "EVPI per person".into()]);
    for r in rows {
        t.add_row(vec![
            Cell::new(r.parameters.join(" + ")),
            right(money(r.wtp)),
            right(format!("{:.2}", r.evppi)),
            right(format!("{:.2}", r.evpi)),
        ]);
    }
    t.to_string()
}

/// How many places the `used as` column of [`params_table`] lists before counting the rest.
const USES_SHOWN: usize = 3;

/// The widest line of the `used as` column; longer key paths are broken after a dot.
const USES_WIDTH: usize = 40;

/// A key path on lines of at most [`USES_WIDTH`] characters, broken after a dot, continuation
/// lines indented by two spaces: `strategies[2].schedule.` / `  adverse_events[1].qaly_loss`.
fn wrap_key(key: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in key.split_inclusive('.') {
        let indent = if lines.is_empty() { 0 } else { 2 };
        if !line.is_empty() && indent + line.len() + part.len() > USES_WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(part);
    }
    lines.push(line);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l.clone() } else { format!("  {l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `used as` cell: the scenario key paths where the parameter is used, one a line in file
/// order; beyond [`USES_SHOWN`] + 1 keys, the first [`USES_SHOWN`] and how many more; `not used`
/// when there are none.
fn uses_text(keys: &[String]) -> String {
    if keys.is_empty() {
        return "not used".to_string();
    }
    // "(and 1 more)" would take the line the last key needs.
    let shown = if keys.len() > USES_SHOWN + 1 { USES_SHOWN } else { keys.len() };
    let mut lines: Vec<String> = keys[..shown].iter().map(|k| wrap_key(k)).collect();
    if keys.len() > shown {
        lines.push(format!("(and {} more)", keys.len() - USES_SHOWN));
    }
    lines.join("\n")
}

/// `cirrhosim params`: every parameter with value, kind, distribution, range, where the model
/// uses it ([`Scenario::parameter_uses`](crate::scenario::Scenario::parameter_uses): key paths
/// such as `transitions[3].rate`) and source.
pub fn params_table(scenario: &crate::scenario::Scenario) -> String {
    let mut t = wrapping_table(&["parameter", "value", "kind", "distribution", "range", "used as", "source"]);
    // The `used as` column keeps its width (key paths are broken only after a dot, by
    // `wrap_key`); the source column gives way instead.
    if let Some(column) = t.column_mut(5) {
        column.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
    }
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); scenario.parameters.len()];
    for u in scenario.parameter_uses() {
        keys[u.parameter].push(u.key);
    }
    let group = |i: usize| scenario.dirichlet.iter().find(|g| g.parameters.contains(&i));
    for (i, p) in scenario.parameters.iter().enumerate() {
        let used = !keys[i].is_empty();
        // Library rows from parameter CSVs that the scenario never uses are left out.
        if !used && !p.origin.starts_with(&scenario.file) && group(i).is_none() {
            continue;
        }
        let distribution = scenario.distribution_text(i);
        // A converted cost is shown to the cent (its full value is in summary.json).
        let converted = p.conversion.as_ref().is_some_and(|c| !c.is_identity());
        let range = match (p.low, p.high) {
            (Some(lo), Some(hi)) if converted => format!("{lo:.2} - {hi:.2}"),
            (Some(lo), Some(hi)) => format!("{lo} - {hi}"),
            _ => String::new(),
        };
        let value = if converted { format!("{:.2}", p.value) } else { scenario.value_text(i) };
        let unit = p.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
        t.add_row(vec![
            Cell::new(&p.name),
            right(value),
            Cell::new(format!("{}{unit}", p.kind.name())),
            Cell::new(distribution),
            Cell::new(range),
            Cell::new(uses_text(&keys[i])),
            Cell::new(p.source.as_deref().unwrap_or("(no source)")),
        ]);
    }
    let mut text = t.to_string();
    if scenario.parameters.iter().any(|p| p.conversion.is_some()) {
        text.push_str("\n\n");
        text.push_str(&conversions_text(scenario));
    }
    if !scenario.population.covariates.is_empty() {
        text.push_str("\n\n");
        text.push_str(&population_table(&scenario.population));
    }
    text
}

/// The population's covariates (`params`): kind, distribution or levels, the cells the model
/// runs, bands, unit and source.
pub fn population_table(population: &crate::scenario::population::Population) -> String {
    use crate::scenario::population::{CovariateDistribution, CovariateKind};
    let mut t = wrapping_table(&["covariate", "distribution or levels", "in the model", "bands", "source"]);
    for (c, cells) in population.covariates.iter().zip(population.cells()) {
        let given = match &c.kind {
            CovariateKind::Numeric(CovariateDistribution::Normal { mean, sd, low, high }) => match (low, high) {
                (None, None) => format!("normal(mean {mean}, sd {sd})"),
                _ => format!(
                    "normal(mean {mean}, sd {sd}) cut to [{}, {}]",
                    low.map_or("-inf".into(), |x| x.to_string()),
                    high.map_or("inf".into(), |x| x.to_string())
                ),
            },
            CovariateKind::Numeric(CovariateDistribution::LogNormal { mean, sd }) => {
                format!("lognormal(mean {mean}, sd {sd})")
            }
            CovariateKind::Numeric(CovariateDistribution::Quantiles(q)) => format!("empirical quantiles {q:?}"),
            CovariateKind::Numeric(CovariateDistribution::File) => "from the patients file".to_string(),
            CovariateKind::Categorical(levels) => {
                levels.iter().map(|(l, w)| format!("{l} {:.1}%", 100.0 * w)).collect::<Vec<_>>().join(", ")
            }
        };
        let model = match &c.kind {
            CovariateKind::Numeric(_) => format!(
                "{} strata at {}",
                cells.len(),
                cells.iter().map(|x| format!("{:.1}", x.value)).collect::<Vec<_>>().join(", ")
            ),
            CovariateKind::Categorical(_) => format!("{} levels", cells.len()),
        };
        let bands = c.bands.iter().map(|(n, lo, hi)| format!("{n} [{lo}, {hi})")).collect::<Vec<_>>().join(", ");
        let unit = c.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
        t.add_row(vec![
            Cell::new(format!("{}{unit}", c.name)),
            Cell::new(given),
            Cell::new(model),
            Cell::new(bands),
            Cell::new(c.source.as_deref().unwrap_or("(no source)")),
        ]);
    }
    let file =
        population.file.as_ref().map(|(p, f)| format!(" from {} ({} rows)", p.display(), f.rows)).unwrap_or_default();
    format!("Population{file}: every combination of strata and levels is a profile run as its own sub-cohort.\n{t}")
}

/// Currency, price year and every conversion of a cost with its index values and their sources
/// (`params` and `explain`): the statement, one line per converted cost, the sources.
pub fn conversions_text(scenario: &crate::scenario::Scenario) -> String {
    let summary = crate::scenario::prices::ConversionSummary::new(&scenario.parameters, scenario.economics.as_ref());
    let mut out = format!("Currency and price year. {}", summary.statement);
    for line in &summary.lines {
        out.push_str(&format!("\n  {line}"));
    }
    if !summary.sources.is_empty() {
        out.push_str("\nIndex sources:");
        for (k, s) in summary.sources.iter().enumerate() {
            out.push_str(&format!("\n  [{}] {s}", k + 1));
        }
    }
    out
}

/// Threshold answers: for each parameter and WTP, the value where INB = 0.
pub fn threshold_table(rows: &[crate::analysis::threshold::Threshold]) -> String {
    let mut t = table(
        ["parameter", "base value", "wtp", "threshold", "cost-effective when"].iter().map(|s| s.to_string()).collect(),
    );
    for r in rows {
        let when = match (r.threshold, r.cost_effective) {
            (Some(x), "below") => format!("below {x:.4}"),
            (Some(x), _) => format!("above {x:.4}"),
            (None, "always") => format!("always in [{}, {}]", r.search_from, r.search_to),
            (None, _) => format!("never in [{}, {}]", r.search_from, r.search_to),
        };
        t.add_row(vec![
            Cell::new(&r.parameter),
            right(r.base_value.to_string()),
            right(money(r.wtp)),
            right(r.threshold.map_or(String::new(), |x| format!("{x:.4}"))),
            Cell::new(when),
        ]);
    }
    t.to_string()
}

/// Calibration: fitted parameters, then each target with the model before and after.
pub fn calibration_table(
    targets: &[crate::scenario::targets::Target],
    c: &crate::analysis::calibrate::Calibration,
) -> String {
    let header = ["", "years", "target (95% CI)", "before", "after", "inside"];
    let mut t = table(header.iter().map(|s| s.to_string()).collect());
    for (name, before, after) in &c.parameters {
        t.add_row(vec![
            Cell::new(format!("parameter {name}")),
            Cell::new(""),
            Cell::new(""),
            right(format!("{before:.6}")),
            right(format!("{after:.6}")),
            Cell::new(""),
        ]);
    }
    for ((target, b), a) in targets.iter().zip(&c.before).zip(&c.after) {
        let ci = match (target.lower, target.upper) {
            (Some(lo), Some(hi)) => format!("{:.3} ({lo:.3}-{hi:.3})", target.value),
            _ => format!("{:.3}", target.value),
        };
        let curve = if target.start.is_empty() {
            target.curve.clone()
        } else {
            format!("{} from {}", target.curve, target.start)
        };
        let inside = match (target.lower, target.upper) {
            (Some(lo), Some(hi)) if (lo..=hi).contains(a) => "yes",
            (Some(_), Some(_)) => "NO",
            _ => "",
        };
        t.add_row(vec![
            Cell::new(curve),
            right(target.years.to_string()),
            right(ci),
            right(format!("{b:.4}")),
            right(format!("{a:.4}")),
            Cell::new(inside),
        ]);
    }
    t.to_string()
}

/// One line saying what the calibrated scenario changed for a fitted parameter.
pub fn calibration_change(c: &crate::analysis::calibrate::Rewritten) -> String {
    let mut line = format!("{}: {} -> {}", c.name, c.before, c.after);
    if c.from_csv {
        line.push_str(" (from a parameter CSV; now defined inline in calibrated.toml)");
    }
    if let Some((old, new)) = &c.distribution {
        line.push_str(&format!("; PSA distribution {old} re-centred to {new}"));
    }
    if let Some(([lo, hi], [nlo, nhi])) = c.range {
        line.push_str(&format!("; range [{lo}, {hi}] moved to [{nlo:.6}, {nhi:.6}]"));
    }
    line
}

/// The population's stratification error in one line, for `check`.
pub fn stratification_line(e: &crate::analysis::population::Stratification) -> String {
    let outcomes = e
        .outcomes
        .iter()
        .map(|(s, d)| format!("{s}: cost {:.3}, QALYs {:.6}", d[0], d[1]))
        .collect::<Vec<_>>()
        .join("; ");
    let outcomes = if outcomes.is_empty() { String::new() } else { format!(" ({outcomes})") };
    format!(
        "population: {} profiles; numeric covariates in {} quantile strata. With {} strata overall survival moves by at most {:.6}{outcomes}: the stratification error",
        e.profiles, e.nodes, e.finer_nodes, e.survival
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_break_after_a_dot_within_the_column_width() {
        assert_eq!(wrap_key("transitions[3].rate"), "transitions[3].rate");
        assert_eq!(wrap_key("strategies[1].schedule.cost_per_infusion"), "strategies[1].schedule.cost_per_infusion");
        assert_eq!(
            wrap_key("strategies[2].schedule.adverse_events[1].qaly_loss"),
            "strategies[2].schedule.\n  adverse_events[1].qaly_loss"
        );
        // A part longer than the width stays whole.
        let long = "x".repeat(USES_WIDTH + 5);
        assert_eq!(wrap_key(&format!("a.{long}")), format!("a.\n  {long}"));
    }

    #[test]
    fn uses_cell_lists_keys_then_counts_the_rest() {
        let keys = |n: usize| (0..n).map(|i| format!("costs[{i}].annual")).collect::<Vec<_>>();
        assert_eq!(uses_text(&[]), "not used");
        assert_eq!(uses_text(&keys(1)), "costs[0].annual");
        assert_eq!(uses_text(&keys(4)).lines().count(), 4);
        assert_eq!(uses_text(&keys(4)).lines().last(), Some("costs[3].annual"));
        assert_eq!(uses_text(&keys(6)).lines().last(), Some("(and 3 more)"));
    }
}
