//! The numbered tables of `report.html`, beside the figures they belong to: survival, the base
//! case incremental analysis, the Monte Carlo ICER with its uncertainty, the PSA summary
//! (outcomes with 95% intervals, the incremental analysis on the PSA means, the probability
//! cost-effective and EVPI at each WTP), EVPPI, and the one-way DSA.
//!
//! Receives analysis results and the rows of earlier runs; hands [`crate::report::html`]
//! [`Table`]s of formatted text (a missing number is written [`MISSING`], never 0). The parameter
//! table is rendered by `html` itself.

use crate::analysis::economics::Evaluation;
use crate::analysis::fieller::{IcerInterval, Z95, icer_interval};
use crate::analysis::psa::summary::{PsaSummary, Spread};
use crate::analysis::{Method, Status, StrategySurvival};
use crate::io::tables::{CeacRow, DsaRow, EvppiRow};
use crate::model::Model;
use crate::report::format::{MISSING, Money, grouped, interval, percent};
use serde::Serialize;

/// One cell: its text, and whether it is a number (right-aligned).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

/// A table of the report: a caption (what it shows, from which run), a header and rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The HTML id, also the name in the list of tables.
    pub id: &'static str,
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Filled in by the page, in the order tables appear.
    pub number: usize,
}

impl Table {
    pub(crate) fn new(id: &'static str, caption: String, head: &[&str]) -> Self {
        Table { id, caption, head: head.iter().map(|h| h.to_string()).collect(), rows: Vec::new(), number: 0 }
    }

    /// The table as plain text, one row a line, cells separated by ` | ` (for tests and review).
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n{}\n", self.caption, self.head.join(" | "));
        for r in &self.rows {
            out.push_str(&r.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" | "));
            out.push('\n');
        }
        out
    }
}

pub(crate) fn text(t: impl Into<String>) -> Cell {
    Cell { text: t.into(), numeric: false }
}

pub(crate) fn num(t: impl Into<String>) -> Cell {
    Cell { text: t.into(), numeric: true }
}

/// A spread as `mean (lower to upper)`.
fn spread(s: &Spread, decimals: usize) -> Cell {
    num(interval(s.mean, s.lower, s.upper, decimals))
}

/// The status of a strategy in an incremental analysis, in words.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Reference => "reference (least costly on the frontier)",
        Status::NonDominated => "on the frontier",
        Status::Dominated => "dominated",
        Status::ExtendedlyDominated => "extendedly dominated",
    }
}

/// Life years, median and survival at the summary times per strategy and method.
pub fn survival_table(model: &Model, results: &[StrategySurvival], patients: u64) -> Table {
    let years: Vec<f64> =
        results.first().map(|r| r.summary.survival_at.iter().map(|(y, _)| *y).collect()).unwrap_or_default();
    let mut head =
        vec!["strategy".to_string(), "method".into(), "life years (95% CI)".into(), "median survival, years".into()];
    head.extend(years.iter().map(|y| format!("alive at {} y", crate::report::format::tick(*y))));
    let mut t = Table::new(
        "survival-table",
        format!(
            "Overall survival per strategy (undiscounted). Cohort: the exact expected values; Monte Carlo: {} simulated \
             patients, with 95% confidence intervals of the Monte Carlo estimate (first-order uncertainty only).",
            grouped(patients as f64, 0)
        ),
        &[],
    );
    t.head = head;
    for r in results {
        let s = &r.summary;
        let ly = match r.method {
            Method::Cohort => grouped(s.life_years.estimate, 3),
            Method::MonteCarlo => interval(s.life_years.estimate, s.life_years.lower, s.life_years.upper, 3),
        };
        let mut row = vec![
            text(model.strategy_labels[r.strategy].clone()),
            text(match r.method {
                Method::Cohort => "cohort (exact)",
                Method::MonteCarlo => "Monte Carlo",
            }),
            num(ly),
            num(s.median_os_years.map_or("not reached".to_string(), |m| grouped(m, 2))),
        ];
        row.extend(s.survival_at.iter().map(|(_, e)| num(percent(e.estimate, 1))));
        t.rows.push(row);
    }
    t
}

/// The base-case incremental analysis (exact cohort), in cost order.
pub fn cea_table(model: &Model, evaluation: &Evaluation, money: &Money) -> Table {
    let unit = money.unit();
    let mut t = Table::new(
        "cea-table",
        format!(
            "Base case (exact cohort, parameters at their base values): discounted cost and QALYs, undiscounted life \
             years per person, and the incremental analysis in cost order; increments are against the previous \
             strategy on the frontier; money in {unit}."
        ),
        &[
            "strategy",
            "cost",
            "QALYs",
            "life years",
            "incremental cost",
            "incremental QALYs",
            "ICER (per QALY)",
            "status",
        ],
    );
    for r in &evaluation.cea {
        t.rows.push(vec![
            text(model.strategy_labels[r.strategy].clone()),
            num(grouped(r.cost, 0)),
            num(grouped(r.qaly, 4)),
            num(grouped(r.life_years, 4)),
            num(r.inc_cost.map_or(String::new(), |c| grouped(c, 0))),
            num(r.inc_qaly.map_or(String::new(), |q| grouped(q, 4))),
            num(r.icer.map_or(String::new(), |i| grouped(i, 0))),
            text(status_words(r.status)),
        ]);
    }
    t
}

/// The Monte Carlo estimate of each pairwise comparison with its 95% confidence interval
/// (normal, from the standard errors of the paired differences), and the ICER with Fieller's
/// interval; the exact cohort value beside it. `None` without a Monte Carlo run.
pub fn monte_carlo_table(model: &Model, evaluation: &Evaluation, money: &Money, patients: u64) -> Option<Table> {
    let (_, differences) = evaluation.monte_carlo.as_ref()?;
    let mut t = Table::new(
        "monte-carlo-table",
        format!(
            "Monte Carlo estimates from {} simulated patients per strategy (common random numbers): mean incremental \
             cost and QALYs with 95% confidence intervals, and the ICER with its 95% interval by Fieller's theorem \
             (Willan & O'Brien 1996). These intervals are first-order (patient-level) uncertainty of the simulation, \
             not parameter uncertainty (see the PSA). Money in {}.",
            grouped(patients as f64, 0),
            money.unit()
        ),
        &[
            "strategy vs comparator",
            "incremental cost (95% CI)",
            "incremental QALYs (95% CI)",
            "ICER, Monte Carlo (95% CI)",
            "ICER, exact cohort",
        ],
    );
    let total = |s: usize| evaluation.totals.iter().find(|x| x.strategy == s);
    for d in differences {
        let (dc, dq) = (d.inc_cost, d.inc_qaly);
        let ci = |m: f64, se: f64, decimals: usize| interval(m, m - Z95 * se, m + Z95 * se, decimals);
        let icer = dc.mean / dq.mean;
        let fieller = match icer_interval(dc.mean, dq.mean, dc.se, dq.se, d.cov_cost_qaly, Z95) {
            IcerInterval::Bounded { lower, upper } => {
                format!("{} ({} to {})", grouped(icer, 0), grouped(lower, 0), grouped(upper, 0))
            }
            IcerInterval::Unbounded => {
                format!("{} (no finite interval: QALY difference not significant)", grouped(icer, 0))
            }
        };
        let exact = match (total(d.strategy), total(d.comparator)) {
            (Some(a), Some(b)) => grouped((a.cost - b.cost) / (a.qaly - b.qaly), 0),
            _ => MISSING.to_string(),
        };
        t.rows.push(vec![
            text(format!("{} vs {}", model.strategy_labels[d.strategy], model.strategy_labels[d.comparator])),
            num(ci(dc.mean, dc.se, 0)),
            num(ci(dq.mean, dq.se, 4)),
            num(fieller),
            num(exact),
        ]);
    }
    Some(t)
}

/// Per strategy: mean discounted cost, QALYs and undiscounted life years across PSA draws,
/// each with its 95% interval (2.5th to 97.5th percentile).
pub fn psa_outcome_table(model: &Model, s: &PsaSummary, money: &Money, run: &str) -> Table {
    let mut t = Table::new(
        "psa-outcome-table",
        format!(
            "Probabilistic sensitivity analysis ({run}): mean per person across {} draws with the 2.5th to 97.5th \
             percentile of the draws in brackets. Cost and QALYs discounted, life years undiscounted; money in {}.",
            grouped(s.draws as f64, 0),
            money.unit()
        ),
        &["strategy", "cost (95% interval)", "QALYs (95% interval)", "life years (95% interval)"],
    );
    for x in &s.strategies {
        t.rows.push(vec![
            text(model.strategy_labels[x.strategy].clone()),
            spread(&x.cost, 0),
            spread(&x.qaly, 4),
            spread(&x.life_years, 3),
        ]);
    }
    t
}

/// The incremental analysis on the PSA means: increments (with their 95% interval across draws),
/// the ICER as a ratio of means, and each strategy's status.
pub fn psa_incremental_table(model: &Model, s: &PsaSummary, money: &Money) -> Table {
    let mut t = Table::new(
        "psa-incremental-table",
        format!(
            "Incremental analysis on the PSA means, in cost order: each increment is taken draw by draw against the \
             previous strategy on the frontier (95% interval across draws in brackets); the ICER is the ratio of the \
             mean increments. Money in {}.",
            money.unit()
        ),
        &[
            "strategy",
            "compared with",
            "incremental cost",
            "incremental QALYs",
            "incremental life years",
            "ICER (per QALY)",
            "status",
        ],
    );
    for r in &s.incremental {
        let empty = || num("");
        t.rows.push(vec![
            text(model.strategy_labels[r.row.strategy].clone()),
            text(r.row.compared_with.map_or(String::new(), |c| model.strategy_labels[c].clone())),
            r.inc_cost.as_ref().map_or_else(empty, |x| spread(x, 0)),
            r.inc_qaly.as_ref().map_or_else(empty, |x| spread(x, 4)),
            r.inc_life_years.as_ref().map_or_else(empty, |x| spread(x, 3)),
            num(r.row.icer.map_or(String::new(), |i| grouped(i, 0))),
            text(status_words(r.row.status)),
        ]);
    }
    t
}

/// At each WTP: the probability each strategy is cost-effective, the strategy with the highest
/// expected NMB, and the EVPI per person (and for the population, when the scenario gives one).
pub fn psa_wtp_table(model: &Model, s: &PsaSummary, money: &Money, population: Option<f64>) -> Table {
    let mut head: Vec<String> = vec![format!("WTP per QALY ({})", money.unit())];
    head.extend(model.strategy_labels.iter().map(|l| format!("P(cost-effective): {l}")));
    head.push("optimal (highest expected NMB)".into());
    head.push(format!("EVPI per person ({})", money.unit()));
    if population.is_some() {
        head.push(format!("EVPI, population ({})", money.unit()));
    }
    let mut t = Table::new(
        "psa-wtp-table",
        format!(
            "Decision uncertainty at the scenario's willingness-to-pay values: the share of the {} PSA draws in which \
             each strategy has the highest net monetary benefit, the strategy with the highest expected NMB, and the \
             expected value of perfect information (EVPI = E[max NMB] - max E[NMB]){}.",
            grouped(s.draws as f64, 0),
            population.map_or(String::new(), |p| format!("; population EVPI for {} people", grouped(p, 0)))
        ),
        &[],
    );
    t.head = head;
    for w in &s.at_wtp {
        let mut row = vec![num(grouped(w.wtp, 0))];
        row.extend(w.probability_cost_effective.iter().map(|p| num(percent(*p, 1))));
        row.push(text(model.strategy_labels[w.optimal].clone()));
        row.push(num(grouped(w.evpi_per_person, 0)));
        if let Some(p) = population {
            row.push(num(grouped(w.evpi_per_person * p, 0)));
        }
        t.rows.push(row);
    }
    t
}

/// The probability that each strategy is cost-effective in each subgroup of a PSA `--by`, at
/// the point of its WTP grid nearest each of `wtp` (the scenario's), from `ceac.csv`'s subgroup
/// rows (`rows`, in file order).
pub fn psa_subgroup_table(model: &Model, rows: &[CeacRow], wtp: &[f64], run: &str) -> Table {
    let mut subgroups: Vec<&str> = Vec::new();
    for r in rows {
        let name = r.subgroup.as_deref().unwrap_or_default();
        if !subgroups.contains(&name) {
            subgroups.push(name);
        }
    }
    let grid: Vec<f64> = rows.iter().map(|r| r.wtp).fold(Vec::new(), |mut v, w| {
        if !v.contains(&w) {
            v.push(w);
        }
        v
    });
    let nearest = |w: f64| grid.iter().copied().min_by(|a, b| (a - w).abs().total_cmp(&(b - w).abs()));
    let points: Vec<f64> = wtp.iter().filter_map(|&w| nearest(w)).collect();
    let mut t = Table::new(
        "psa-subgroup-table",
        format!(
            "Probability cost-effective by subgroup ({run}): the share of PSA draws in which each strategy has the \
             highest net monetary benefit in the subgroup, at the points of the PSA's WTP grid nearest the scenario's \
             willingness-to-pay values (psa_summary.json states them at those values exactly)."
        ),
        &["subgroup", "WTP per QALY"],
    );
    t.head.extend(model.strategy_labels.iter().map(|l| format!("P(cost-effective): {l}")));
    for g in &subgroups {
        for &w in &points {
            let mut row = vec![text(g.to_string()), num(grouped(w, 0))];
            row.extend(model.strategy_names.iter().map(|s| {
                let p = rows.iter().find(|r| r.subgroup.as_deref() == Some(*g) && r.wtp == w && &r.strategy == s);
                num(p.map_or(String::new(), |r| percent(r.probability_cost_effective, 1)))
            }));
            t.rows.push(row);
        }
    }
    t
}

/// EVPPI per person of each parameter group at each WTP of `evppi.csv`, with its share of EVPI.
pub fn evppi_table(rows: &[EvppiRow], money: &Money, run: &str) -> Table {
    let mut wtps: Vec<f64> = Vec::new();
    for r in rows {
        if !wtps.contains(&r.wtp) {
            wtps.push(r.wtp);
        }
    }
    let mut groups: Vec<&str> = Vec::new();
    for r in rows {
        if !groups.contains(&r.parameters.as_str()) {
            groups.push(&r.parameters);
        }
    }
    let mut t = Table::new(
        "evppi-table",
        format!(
            "Expected value of partial perfect information per person ({}) by parameter group, from `cirrhosim \
             evppi` on the same PSA ({run}; regression on the draws, Strong, Oakley & Brennan 2014); in brackets the \
             share of the EVPI at the same WTP.",
            money.unit()
        ),
        &[],
    );
    t.head = std::iter::once("parameters".to_string())
        .chain(wtps.iter().map(|w| format!("WTP {}", grouped(*w, 0))))
        .collect();
    for g in groups {
        let mut row = vec![text(g.replace('+', " + "))];
        for w in &wtps {
            let cell = rows.iter().find(|r| r.parameters == g && r.wtp == *w).map_or(MISSING.to_string(), |r| {
                let share = if r.evpi_per_person > 0.0 {
                    percent(r.evppi_per_person / r.evpi_per_person, 0)
                } else {
                    MISSING.to_string()
                };
                format!("{} ({share})", grouped(r.evppi_per_person, 0))
            });
            row.push(num(cell));
        }
        t.rows.push(row);
    }
    t
}

/// What a DSA compared: the labels of the two strategies and the WTP, from its settings.
pub struct DsaContext {
    pub strategy: String,
    pub comparator: String,
    pub wtp: Option<f64>,
    pub run: String,
}

/// The one-way DSA: each parameter's range and the incremental NMB (and ICER) at its low and
/// high value, in tornado order.
pub fn dsa_table(rows: &[DsaRow], money: &Money, c: &DsaContext) -> Table {
    let base = rows.iter().find(|r| r.outcome == "inc_nmb").and_then(|r| r.base);
    let wtp = c.wtp.map_or(MISSING.to_string(), |w| money.per_qaly(w));
    let mut t = Table::new(
        "dsa-table",
        format!(
            "One-way deterministic sensitivity analysis ({}): {} vs {}, outcome incremental net monetary benefit \
             (INMB = WTP x incremental QALYs - incremental cost, {}) at a WTP of {wtp}; base case INMB {}. Each \
             parameter is set to the low and the high end of its range, all others at base; rows in order of swing.",
            c.run,
            c.strategy,
            c.comparator,
            money.unit(),
            base.map_or(MISSING.to_string(), |b| grouped(b, 0)),
        ),
        &[
            "parameter",
            "low value",
            "high value",
            "INMB at low",
            "INMB at high",
            "swing",
            "ICER at low",
            "ICER at high",
        ],
    );
    let icer = |p: &str| rows.iter().find(|r| r.outcome == "icer" && r.parameter == p);
    let opt = |v: Option<f64>| v.map_or(MISSING.to_string(), |x| grouped(x, 0));
    for r in rows.iter().filter(|r| r.outcome == "inc_nmb") {
        let swing = r.low_result.zip(r.high_result).map(|(a, b)| (b - a).abs());
        let i = icer(&r.parameter);
        t.rows.push(vec![
            text(r.parameter.clone()),
            num(crate::report::format::tick(r.low_value)),
            num(crate::report::format::tick(r.high_value)),
            num(opt(r.low_result)),
            num(opt(r.high_result)),
            num(opt(swing)),
            num(opt(i.and_then(|i| i.low_result))),
            num(opt(i.and_then(|i| i.high_result))),
        ]);
    }
    t
}
