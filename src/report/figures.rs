//! The numbered figures of `report.html`, each with a caption that says what it shows, which
//! run and settings made it, and which table holds its numbers: the model diagram, survival with
//! the difference panel, state occupancy, costs and QALYs, the cost-effectiveness frontier, and
//! from earlier runs the CE plane, acceptability curves, EVPI curve, tornado and two-way heat map.
//!
//! Receives a [`Report`] (results and the rows of earlier runs) and its tables; hands back SVG
//! text drawn by [`crate::report::plots`] and [`crate::report::plots_ce`].

use crate::analysis::economics::Evaluation;
use crate::analysis::psa::summary::{self, PsaSummary};
use crate::io::tables::{CeacRow, DsaRow, SurvivalBandRow, TwoWayRow};
use crate::model::Model;
use crate::report::format::{Money, grouped, tick};
use crate::report::html::{DsaTables, PsaTables, Report, TORNADO_BARS};
use crate::report::plots;
use crate::report::plots_ce::{self, CeacCurve, FrontierPoint, Grid, PlaneSeries, TornadoBar};
use crate::report::plots_forest;
use crate::report::subgroups;
use crate::report::tables::{DsaContext, Table};
use serde::Serialize;

/// A numbered figure: its SVG, the file it is also written to (`<file>.svg`, `<file>.png`) and
/// its caption.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub id: String,
    pub file: String,
    pub svg: String,
    pub caption: String,
    pub number: usize,
}

/// Figures as they are drawn, in page order, with the tables their captions cite.
struct Collector<'t> {
    tables: &'t [Table],
    out: Vec<Figure>,
}

impl Collector<'_> {
    fn add(&mut self, id: &str, file: String, svg: String, caption: String) {
        self.out.push(Figure { id: id.to_string(), file, svg, caption, number: 0 });
    }

    /// ` Numbers: table k.` for the table `id`, when the report has it.
    fn table(&self, id: &str) -> String {
        self.tables.iter().find(|t| t.id == id).map_or(String::new(), |t| format!(" Numbers: table {}.", t.number))
    }
}

impl Report<'_> {
    /// Every figure, numbered in page order; captions cite the tables of `tables` by number.
    pub fn figures(&self, tables: &[Table], psa: Option<&PsaSummary>) -> Vec<Figure> {
        let mut f = Collector { tables, out: Vec::new() };
        self.base_figures(&mut f);
        if let (Some(ev), Some(money)) = (self.evaluation, self.money()) {
            self.cost_figures(&mut f, ev, &money);
            if let (Some(p), Some(s)) = (&self.overlays.psa, psa) {
                self.psa_figures(&mut f, p, s, &money);
            }
            if let Some(d) = &self.overlays.dsa {
                self.dsa_figures(&mut f, d, &money);
            }
            if let (false, Some(wtp)) = (self.subgroups.is_empty(), self.first_wtp()) {
                self.subgroup_figure(&mut f, wtp, &money);
            }
        }
        let mut out = f.out;
        for (k, f) in out.iter_mut().enumerate() {
            f.number = k + 1;
        }
        out
    }

    /// The model diagram, survival and occupancy.
    fn base_figures(&self, f: &mut Collector<'_>) {
        f.add(
            "model-diagram",
            "model".into(),
            plots::model_diagram_svg(self.scenario),
            format!(
                "The model: states (boxes; grey: dead) and transitions (arrows, labelled with how each is given in {}). \
                 Each state's exits with their base values are listed below.",
                self.scenario.file
            ),
        );
        let (survival, caption) = self.survival_figure();
        let caption = format!("{caption}{}", f.table("survival-table"));
        f.add("survival-plot", "survival".into(), survival, caption);
        let shown = plots::shown_years(self.model, self.results);
        for (k, trace) in self.occupancy.iter().enumerate() {
            f.add(
                &format!("occupancy-plot-{}", k + 1),
                format!("occupancy_{}", k + 1),
                plots::occupancy_svg(self.model, trace, shown),
                format!(
                    "Share of the cohort in each state over the first {} years, {} (exact cohort trace, base case).",
                    tick(shown),
                    self.label(trace.strategy)
                ),
            );
        }
    }

    /// The cost-effectiveness frontier and costs and QALYs by category, base case.
    fn cost_figures(&self, f: &mut Collector<'_>, ev: &Evaluation, money: &Money) {
        let numbers = f.table("cea-table");
        f.add(
            "frontier-plot",
            "frontier".into(),
            self.frontier_figure(ev, money),
            format!(
                "Cost-effectiveness frontier of the base case (exact cohort): discounted cost ({}) against QALYs \
                     per person. The line joins the strategies that are not dominated, each segment labelled with its \
                     ICER; dominated strategies are crossed, extendedly dominated ones ringed.{}",
                money.unit(),
                numbers
            ),
        );
        f.add(
            "cost-plot",
            "costs".into(),
            plots::costs_svg(self.model, ev, money),
            format!("Discounted cost per person by cost category ({}), base case, exact cohort.", money.unit()),
        );
        f.add(
            "qaly-plot",
            "qalys".into(),
            plots::qalys_svg(self.model, ev),
            "Discounted QALYs per person accrued in each state, base case, exact cohort.".into(),
        );
    }

    /// The forest plot of incremental NMB by subgroup.
    fn subgroup_figure(&self, f: &mut Collector<'_>, wtp: f64, money: &Money) {
        let rows = subgroups::forest_rows(self.model, &self.subgroup_rows(), wtp);
        let comparator = self.label(0);
        let svg = plots_forest::forest_svg(
            &format!("Incremental net monetary benefit at {} per QALY, by subgroup", money.amount(wtp)),
            &format!("incremental NMB per person against {comparator} ({})", money.unit()),
            &rows,
        );
        let caption = format!(
            "For which patients might it be worth it? Incremental net monetary benefit per person (wtp x incremental \
             QALYs - incremental cost, discounted) against {comparator} at {} per QALY, for the whole population and \
             each subgroup of {} (share of the population in brackets). Dots: the exact cohort value; bars: the 95% \
             interval of the Monte Carlo estimate from the subgroup's {} simulated patients in all (simulation error \
             only; parameter uncertainty needs a PSA). Right of the line the strategy is cost-effective at this \
             willingness to pay.{}",
            money.amount(wtp),
            self.by.join(" x "),
            grouped(self.patients as f64, 0),
            f.table("subgroup-table")
        );
        f.add("subgroup-plot", "subgroups".into(), svg, caption);
    }

    /// The CE plane, acceptability curves and EVPI curve of a PSA.
    fn psa_figures(&self, f: &mut Collector<'_>, p: &PsaTables, s: &PsaSummary, money: &Money) {
        let run = p.run.describe("psa");
        let wtps: Vec<String> = self.overlays.wtp.iter().map(|w| grouped(*w, 0)).collect();
        let numbers = f.table("psa-incremental-table");
        f.add(
            "ce-plane-plot",
            "ce_plane".into(),
            self.ce_plane_figure(p, s, money),
            format!(
                "Cost-effectiveness plane: incremental QALYs and cost ({}) of each strategy against {} in \
                         each of the {} PSA draws ({run}); ringed: the mean. Dashed lines: willingness to pay of {} \
                         per QALY through the origin; points below a line are cost-effective at that WTP.{}",
                money.unit(),
                self.label(0),
                grouped(s.draws as f64, 0),
                if wtps.is_empty() { "(none given)".to_string() } else { wtps.join(", ") },
                numbers
            ),
        );
        let grid: Vec<f64> = dedup_wtp(&p.ceac);
        let range = match (grid.first(), grid.last()) {
            (Some(a), Some(b)) => {
                format!("{} to {} per QALY ({} points)", grouped(*a, 0), grouped(*b, 0), grid.len())
            }
            _ => "none".into(),
        };
        let numbers = f.table("psa-wtp-table");
        f.add(
            "ceac-plot",
            "ceac".into(),
            self.ceac_figure(p, money),
            format!(
                "Cost-effectiveness acceptability curves: the share of the {} PSA draws in which each strategy \
                         has the highest net monetary benefit, over the PSA's WTP grid ({range}, {}), with the \
                         acceptability frontier (wide grey: the strategy with the highest expected NMB; Fenwick, \
                         Claxton & Sculpher 2001); dotted: the WTPs of the table. Run: {run}.{}",
                grouped(s.draws as f64, 0),
                money.unit(),
                numbers
            ),
        );
        let curve: Vec<(f64, f64)> = grid.iter().map(|&w| (w, summary::at(&p.draws, w).evpi_per_person)).collect();
        f.add(
            "evpi-plot",
            "evpi".into(),
            plots_ce::evpi_svg(
                &format!("Expected value of perfect information per person ({} draws)", grouped(s.draws as f64, 0)),
                &curve,
                &self.overlays.wtp,
                money,
            ),
            format!(
                "EVPI per person (E[max NMB] - max E[NMB], {}) over the PSA's WTP grid, from the {} draws \
                         ({run}); dotted: the WTPs of the table.{}",
                money.unit(),
                grouped(s.draws as f64, 0),
                numbers
            ),
        );
    }

    /// The tornado and, when the DSA has a two-way grid, its heat map.
    fn dsa_figures(&self, f: &mut Collector<'_>, d: &DsaTables, money: &Money) {
        let c = self.dsa_context(d);
        let wtp = c.wtp.map_or("(not recorded)".to_string(), |w| money.per_qaly(w));
        let (svg, base) = self.tornado_figure(d, &c, money);
        let numbers = f.table("dsa-table");
        f.add(
            "tornado-plot",
            "tornado".into(),
            svg,
            format!(
                "Tornado: incremental net monetary benefit ({}) of {} vs {} at a WTP of {wtp}, with each \
                         parameter at the low (blue) and high (red) end of its range and all others at base; the \
                         vertical line is the base case ({}). The {} parameters with the largest swing; run: {}.{}",
                money.unit(),
                c.strategy,
                c.comparator,
                base.map_or("not available".to_string(), |b| money.amount(b)),
                d.rows.iter().filter(|r| r.outcome == "inc_nmb").count().min(TORNADO_BARS),
                c.run,
                numbers
            ),
        );
        if let Some(grid) = d.two_way.as_deref().and_then(|rows| self.two_way_grid(rows)) {
            let title = format!(
                "Two-way sensitivity: incremental NMB ({}) of {} vs {} at {wtp}",
                money.unit(),
                c.strategy,
                c.comparator
            );
            f.add(
                "two-way-plot",
                "two_way".into(),
                plots_ce::heat_map_svg(&title, &grid),
                format!(
                    "Two-way sensitivity analysis: incremental NMB ({}) of {} vs {} at a WTP of {wtp} over a \
                             {} x {} grid of {} (x) and {} (y) across their ranges, all other parameters at base. \
                             Blue: INMB above 0 ({} cost-effective), red: below 0, white: 0; cross: the base case. \
                             Run: {}.",
                    money.unit(),
                    c.strategy,
                    c.comparator,
                    grid.xs.len(),
                    grid.ys.len(),
                    grid.x_label,
                    grid.y_label,
                    c.strategy,
                    c.run
                ),
            );
        }
    }

    /// The survival figure and the first part of its caption.
    fn survival_figure(&self) -> (String, String) {
        let model = self.model;
        let bands = self.overlays.psa.as_ref().map(|p| psa_bands(model, &p.survival_band)).unwrap_or_default();
        let points: Vec<plots::TargetPoint> = self
            .overlays
            .targets
            .iter()
            // Only targets of this cohort: a target whose cohort starts elsewhere (survival after
            // transplant) is not a point on this curve.
            .filter(|t| {
                t.curve == "overall_survival"
                    && (t.start.is_empty()
                        || self.scenario.state_index(&t.start).is_some_and(|i| model.initial[i] == 1.0))
            })
            .map(|t| (t.years, t.value, t.lower.zip(t.upper)))
            .collect();
        let svg = plots::survival_svg_with(model, self.results, &bands, &points);
        let shown = plots::shown_years(model, self.results);
        let horizon = model.n_cycles as f64 * model.cycle_length_years;
        let mut caption = format!(
            "Overall survival by strategy, shown over the first {} years of the {}-year horizon (to where fewer than \
             5% are alive in every strategy): exact cohort (lines) with the Monte Carlo 95% band of {} simulated \
             patients (seed {}).",
            tick(shown),
            tick(horizon),
            grouped(self.patients as f64, 0),
            self.seed
        );
        if let Some(p) = &self.overlays.psa {
            caption.push_str(&format!(
                " Light bands and dashes: the PSA's 95% interval and median across draws ({}).",
                p.run.describe("psa")
            ));
        }
        if !points.is_empty() {
            caption.push_str(" Black dots: survival targets with their 95% intervals.");
        }
        if model.n_strategies() > 1 {
            caption.push_str(&format!(
                " Lower panel: survival of each strategy minus that of {}, in percentage points (exact cohort).",
                self.label(0)
            ));
        }
        (svg, caption)
    }

    fn frontier_figure(&self, ev: &Evaluation, money: &Money) -> String {
        let points: Vec<FrontierPoint> = ev
            .cea
            .iter()
            .map(|r| FrontierPoint {
                label: self.label(r.strategy).to_string(),
                colour: r.strategy,
                cost: r.cost,
                qaly: r.qaly,
                status: r.status,
                icer: r.icer,
            })
            .collect();
        plots_ce::frontier_svg("Cost-effectiveness frontier (base case)", &points, money)
    }

    fn ce_plane_figure(&self, p: &PsaTables, s: &PsaSummary, money: &Money) -> String {
        let series: Vec<PlaneSeries> = (1..self.model.n_strategies())
            .map(|k| {
                let points: Vec<(f64, f64)> = p
                    .draws
                    .outcomes
                    .iter()
                    .filter_map(|o| Some((o.get(k)?[1] - o.first()?[1], o.get(k)?[0] - o.first()?[0])))
                    .collect();
                let n = points.len().max(1) as f64;
                let mean = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
                PlaneSeries { label: self.label(k).to_string(), colour: k, points, mean }
            })
            .collect();
        let title = format!("Cost-effectiveness plane vs {} ({} PSA draws)", self.label(0), grouped(s.draws as f64, 0));
        plots_ce::ce_plane_svg(&title, self.label(0), &series, &self.overlays.wtp, money)
    }

    fn ceac_figure(&self, p: &PsaTables, money: &Money) -> String {
        let curves: Vec<CeacCurve> = self
            .model
            .strategy_names
            .iter()
            .enumerate()
            .map(|(i, name)| CeacCurve {
                label: self.label(i).to_string(),
                colour: i,
                points: p
                    .ceac
                    .iter()
                    .filter(|r| &r.strategy == name)
                    .map(|r| (r.wtp, r.probability_cost_effective, r.on_frontier))
                    .collect(),
            })
            .collect();
        plots_ce::ceac_svg("Cost-effectiveness acceptability curves and frontier", &curves, &self.overlays.wtp, money)
    }

    /// The tornado and the base-case INMB it is drawn around.
    fn tornado_figure(&self, d: &DsaTables, c: &DsaContext, money: &Money) -> (String, Option<f64>) {
        let rows: Vec<&DsaRow> = d.rows.iter().filter(|r| r.outcome == "inc_nmb").collect();
        // The parameter's unit from the scenario, when it gives one, without its remarks
        // (`EUR per infusion (USD price taken at par, see note)` -> ` EUR per infusion`).
        let unit = |name: &str| {
            let p = self.scenario.parameters.iter().find(|p| p.name == name);
            let unit = p.and_then(|p| p.unit.as_deref()).unwrap_or("");
            let short = unit.split([',', '(']).next().unwrap_or("").trim();
            if short.is_empty() { String::new() } else { format!(" {short}") }
        };
        let base = rows.first().and_then(|r| r.base);
        let bars: Vec<TornadoBar> = rows
            .iter()
            .take(TORNADO_BARS)
            .map(|r| TornadoBar {
                label: format!(
                    "{} ({} to {}{})",
                    r.parameter,
                    tick(r.low_value),
                    tick(r.high_value),
                    unit(&r.parameter)
                ),
                low: r.low_result,
                high: r.high_result,
            })
            .collect();
        let wtp = c.wtp.map_or("(WTP not recorded)".to_string(), |w| money.per_qaly(w));
        let title = format!("One-way sensitivity: incremental NMB of {} vs {} at {wtp}", c.strategy, c.comparator);
        let x_desc = format!("incremental net monetary benefit ({})", money.unit());
        let base_label = format!(" base case {}", base.map_or("not available".to_string(), |b| money.amount(b)));
        (plots_ce::tornado_svg(&title, &bars, base.unwrap_or(f64::NAN), &x_desc, &base_label), base)
    }

    /// The two-way rows as a grid, with the base values of the two parameters; `None` when the
    /// rows are not one complete grid over two parameters.
    fn two_way_grid(&self, rows: &[TwoWayRow]) -> Option<Grid> {
        let first = rows.first()?;
        let mut xs: Vec<f64> = rows.iter().map(|r| r.x_value).collect();
        let mut ys: Vec<f64> = rows.iter().map(|r| r.y_value).collect();
        for v in [&mut xs, &mut ys] {
            v.sort_by(f64::total_cmp);
            v.dedup();
        }
        let same = rows.iter().all(|r| r.x_parameter == first.x_parameter && r.y_parameter == first.y_parameter);
        if !same || xs.len() * ys.len() != rows.len() {
            return None;
        }
        let values = xs
            .iter()
            .flat_map(|x| ys.iter().map(move |y| (*x, *y)))
            .map(|(x, y)| {
                rows.iter().find(|r| r.x_value == x && r.y_value == y).map(|r| r.inc_nmb).filter(|v| v.is_finite())
            })
            .collect();
        let base_of = |name: &str| self.scenario.parameters.iter().find(|p| p.name == name).map(|p| p.value);
        Some(Grid {
            x_label: first.x_parameter.clone(),
            y_label: first.y_parameter.clone(),
            base: base_of(&first.x_parameter).zip(base_of(&first.y_parameter)),
            xs,
            ys,
            values,
        })
    }
}

/// The distinct WTPs of a CEAC, in file order.
fn dedup_wtp(rows: &[CeacRow]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for r in rows {
        if out.last() != Some(&r.wtp) && !out.contains(&r.wtp) {
            out.push(r.wtp);
        }
    }
    out
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
