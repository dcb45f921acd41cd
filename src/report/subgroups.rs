//! The subgroup part of `report.html` (`cirrhosim report --by`): a table of each subgroup's
//! results and the rows of the forest plot of incremental net monetary benefit, "for which
//! patients might the strategy be worth it?".
//!
//! Receives the whole population's results and the [`SubgroupResult`]s of
//! [`crate::analysis::subgroup_analysis`]; hands [`crate::report::html`] a [`Table`] and
//! [`crate::report::plots_forest`] its [`ForestRow`]s. Increments are against the first strategy
//! (the comparator of the scenario's order); the interval is the Monte Carlo estimate's 95%
//! interval (simulation error with the subgroup's own patients, not parameter uncertainty).

use crate::analysis::economics::Evaluation;
use crate::analysis::survival::z95;
use crate::analysis::{Method, StrategySurvival, SubgroupResult, incremental_nmb};
use crate::model::Model;
use crate::report::format::{MISSING, Money, grouped, interval, percent};
use crate::report::plots_forest::ForestRow;
use crate::report::tables::{Table, num, text};

/// The whole population as a subgroup of itself (`all`, share 1), to head the table and plot.
pub fn whole(results: &[StrategySurvival], evaluation: Option<&Evaluation>, patients: u64) -> SubgroupResult {
    SubgroupResult {
        name: "all".to_string(),
        share: 1.0,
        patients: Some(patients),
        survival: results.to_vec(),
        evaluation: evaluation.cloned(),
    }
}

/// The comparator of every increment: the first strategy.
const COMPARATOR: usize = 0;

/// One row per subgroup (the whole population first) and strategy: share, simulated patients,
/// cohort life years and median survival and, with economics, cost, QALYs, the ICER of the
/// subgroup's own incremental analysis and the incremental NMB at `wtp` against the first
/// strategy, exact and by Monte Carlo with its 95% interval.
pub fn subgroup_table(
    model: &Model,
    rows: &[SubgroupResult],
    by: &[String],
    money: Option<&Money>,
    wtp: Option<f64>,
) -> Table {
    let economics = money.zip(wtp);
    let mut head = vec!["subgroup", "share", "simulated patients", "strategy", "life years", "median survival, years"];
    let inb_head;
    if let Some((m, w)) = economics {
        head.extend(["cost", "QALYs", "ICER (per QALY)"]);
        inb_head = [
            format!("incremental NMB at {} per QALY", m.amount(w)),
            "incremental NMB, Monte Carlo (95% CI)".to_string(),
        ];
        head.extend(inb_head.iter().map(String::as_str));
    }
    let caption = format!(
        "Results by subgroup of {} (`--by {}`), exact cohort of each subgroup's profiles; the whole population \
         first. A numeric covariate's band holds the quantile strata whose value falls in it, so shares are those of \
         the strata. {}",
        by.join(" x "),
        by.join(","),
        match economics {
            Some((m, _)) => format!(
                "Discounted cost and QALYs per person, money in {}; the ICER is from the subgroup's own incremental \
                 analysis; incremental NMB is against {}, with the Monte Carlo estimate's 95% interval from the \
                 subgroup's simulated patients (simulation error, not parameter uncertainty).",
                m.unit(),
                model.strategy_labels[COMPARATOR]
            ),
            None => "Life years undiscounted.".to_string(),
        }
    );
    let mut t = Table::new("subgroup-table", caption, &head);
    for g in rows {
        for (k, r) in g.survival.iter().filter(|r| r.method == Method::Cohort).enumerate() {
            let s = r.strategy;
            let first = k == 0;
            let mut row = vec![
                text(if first { g.name.clone() } else { String::new() }),
                num(if first { percent(g.share, 1) } else { String::new() }),
                num(match g.patients {
                    Some(n) if first => grouped(n as f64, 0),
                    _ => String::new(),
                }),
                text(model.strategy_labels[s].clone()),
                num(grouped(r.summary.life_years.estimate, 3)),
                num(r.summary.median_os_years.map_or("not reached".to_string(), |m| grouped(m, 2))),
            ];
            if let (Some((_, w)), Some(ev)) = (economics, &g.evaluation) {
                let c = ev.cea.iter().find(|c| c.strategy == s).expect("a CEA row per strategy");
                let inb = (s != COMPARATOR).then(|| incremental_nmb(ev, s, COMPARATOR, w));
                row.extend([
                    num(grouped(c.cost, 0)),
                    num(grouped(c.qaly, 4)),
                    num(c.icer.map_or(String::new(), |i| grouped(i, 0))),
                    num(inb.map_or(String::new(), |i| grouped(i.cohort, 0))),
                    num(match inb.map(|i| i.monte_carlo) {
                        Some(Some(m)) => interval(m.mean, m.mean - z95() * m.se, m.mean + z95() * m.se, 0),
                        Some(None) => MISSING.to_string(),
                        None => String::new(),
                    }),
                ]);
            }
            t.rows.push(row);
        }
    }
    t
}

/// The rows of the forest plot: for each strategy but the first and each subgroup (the whole
/// population first), the incremental NMB at `wtp` against the first strategy, with the Monte
/// Carlo 95% interval when there is one. Rows without economics are left out.
pub fn forest_rows(model: &Model, rows: &[SubgroupResult], wtp: f64) -> Vec<ForestRow> {
    let mut out = Vec::new();
    for s in (0..model.n_strategies()).filter(|&s| s != COMPARATOR) {
        for (k, g) in rows.iter().enumerate() {
            let Some(ev) = &g.evaluation else { continue };
            let inb = incremental_nmb(ev, s, COMPARATOR, wtp);
            let strategy =
                if model.n_strategies() > 2 { format!("{}: ", model.strategy_labels[s]) } else { String::new() };
            let label = if k == 0 {
                format!("{strategy}whole population")
            } else {
                format!("{strategy}{} ({})", g.name, percent(g.share, 1))
            };
            out.push(ForestRow {
                label,
                cohort: inb.cohort,
                interval: inb.monte_carlo.map(|m| (m.mean - z95() * m.se, m.mean + z95() * m.se)),
                colour: s,
                whole: k == 0,
            });
        }
    }
    out
}
