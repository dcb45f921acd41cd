//! Costs, QALYs and life years per strategy from the traces, with Monte Carlo standard errors.
//!
//! Receives cohort traces (expected values, exact) and Monte Carlo value sums; multiplies the
//! traces with the model's value tables ([`crate::model::valuation`]) and hands on totals,
//! disaggregated by cost category, by state and by move, so users can check that totals add up.

use crate::engine::monte_carlo::FIXED_SCALE;
use crate::engine::{CohortTrace, McValueSums};
use crate::model::Model;
use crate::model::valuation::quantity;
use serde::Serialize;

/// Totals of one strategy by the exact cohort model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyTotals {
    pub strategy: usize,
    /// Discounted.
    pub cost: f64,
    pub qaly: f64,
    /// Undiscounted, with the scenario's within-cycle correction.
    pub life_years: f64,
    pub cost_undiscounted: f64,
    pub qaly_undiscounted: f64,
    pub life_years_discounted: f64,
    /// Discounted cost by category.
    pub cost_by_category: Vec<(String, f64)>,
    /// Discounted cost and QALYs accrued in each state (moves excluded).
    pub cost_by_state: Vec<(String, f64)>,
    pub qaly_by_state: Vec<(String, f64)>,
    /// Discounted one-off cost and QALYs of moves, by "from->to".
    pub cost_by_move: Vec<(String, f64)>,
    pub qaly_by_move: Vec<(String, f64)>,
}

/// Cohort totals of one strategy; `None` when the model has no economics.
pub fn cohort_totals(model: &Model, trace: &CohortTrace) -> Option<StrategyTotals> {
    let v = &model.valuations.as_ref()?[trace.strategy];
    let n_slots = trace.n_slots;
    let n_states = trace.n_states;
    let by_slot = |q: usize, keep: &dyn Fn(usize) -> bool| -> f64 {
        let mut total = 0.0;
        for p in 0..=trace.n_cycles {
            for slot in 0..n_slots {
                if keep(model.slots[slot].state) {
                    total += trace.slot_occupancy[p * n_slots + slot] * v.at(q, p, slot);
                }
            }
        }
        total
    };
    let by_move = |q: usize, from: usize, to: usize| -> f64 {
        (0..trace.n_cycles)
            .map(|t| trace.flows[(t * n_states + from) * n_states + to] * v.for_move(q, t, from, to))
            .sum()
    };
    let total = |q: usize| -> f64 {
        let moves: f64 =
            (0..n_states).flat_map(|f| (0..n_states).map(move |t| (f, t))).map(|(f, t)| by_move(q, f, t)).sum();
        by_slot(q, &|_| true) + moves
    };
    let state_names = model.states.iter().map(|s| s.name.clone());
    let move_list = |q: usize| -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for from in 0..n_states {
            for to in 0..n_states {
                let value = by_move(q, from, to);
                if value != 0.0 {
                    out.push((format!("{}->{}", model.states[from].name, model.states[to].name), value));
                }
            }
        }
        out
    };
    // The headline numbers come from the same function as PSA and DSA use, so the base case of a
    // sensitivity analysis reproduces `run` to the bit.
    let [cost, qaly, life_years] = cohort_outcomes(model, trace)?;
    Some(StrategyTotals {
        strategy: trace.strategy,
        cost,
        qaly,
        life_years,
        cost_undiscounted: total(quantity::COST_UNDISCOUNTED),
        qaly_undiscounted: total(quantity::QALY_UNDISCOUNTED),
        life_years_discounted: total(quantity::LIFE_YEARS_DISCOUNTED),
        cost_by_category: model
            .cost_categories
            .iter()
            .enumerate()
            .map(|(k, c)| (c.clone(), total(quantity::FIXED + k)))
            .collect(),
        cost_by_state: state_names
            .clone()
            .enumerate()
            .map(|(s, n)| (n, by_slot(quantity::COST, &|x| x == s)))
            .collect(),
        qaly_by_state: state_names.enumerate().map(|(s, n)| (n, by_slot(quantity::QALY, &|x| x == s))).collect(),
        cost_by_move: move_list(quantity::COST),
        qaly_by_move: move_list(quantity::QALY),
    })
}

/// Discounted cost, discounted QALYs and undiscounted life years of one strategy: the three
/// numbers a PSA draw needs, without the breakdowns of [`cohort_totals`].
pub fn cohort_outcomes(model: &Model, trace: &CohortTrace) -> Option<[f64; 3]> {
    let v = &model.valuations.as_ref()?[trace.strategy];
    let n_slots = trace.n_slots;
    let n_states = trace.n_states;
    let quantities = [quantity::COST, quantity::QALY, quantity::LIFE_YEARS];
    let mut out = [0.0; 3];
    for (k, &q) in quantities.iter().enumerate() {
        let mut total = 0.0;
        for p in 0..=trace.n_cycles {
            let x = &trace.slot_occupancy[p * n_slots..(p + 1) * n_slots];
            total += x.iter().enumerate().map(|(slot, m)| m * v.at(q, p, slot)).sum::<f64>();
        }
        for t in 0..trace.n_cycles {
            for from in 0..n_states {
                for to in 0..n_states {
                    let flow = trace.flows[(t * n_states + from) * n_states + to];
                    if flow != 0.0 {
                        total += flow * v.for_move(q, t, from, to);
                    }
                }
            }
        }
        out[k] = total;
    }
    Some(out)
}

/// A Monte Carlo mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSe {
    pub mean: f64,
    pub se: f64,
}

fn mean_se(sum: i128, sum_sq: i128, n: u64, scale: f64) -> MeanSe {
    let n_f = n as f64;
    let mean = sum as f64 / scale / n_f;
    // Centre in fixed point before converting, so the variance does not lose digits.
    let centred = sum_sq as f64 - (sum as f64) * (sum as f64) / n_f;
    let variance = if n > 1 { (centred / (scale * scale) / (n_f - 1.0)).max(0.0) } else { 0.0 };
    MeanSe { mean, se: (variance / n_f).sqrt() }
}

/// Monte Carlo estimates of one strategy: discounted cost, discounted QALYs, life years.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McEstimate {
    pub strategy: usize,
    pub cost: MeanSe,
    pub qaly: MeanSe,
    pub life_years: MeanSe,
}

/// Monte Carlo estimate of the difference between two strategies (later minus earlier).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McDifference {
    pub strategy: usize,
    pub comparator: usize,
    pub inc_cost: MeanSe,
    pub inc_qaly: MeanSe,
    /// Covariance of the mean incremental cost and mean incremental QALYs.
    pub cov_cost_qaly: f64,
}

/// Per-strategy Monte Carlo estimates from value sums.
pub fn mc_estimates(sums: &McValueSums) -> Vec<McEstimate> {
    let n = sums.patients;
    (0..sums.sum.len())
        .map(|s| McEstimate {
            strategy: s,
            cost: mean_se(sums.sum[s][0], sums.sum_sq[s][0], n, FIXED_SCALE[0]),
            qaly: mean_se(sums.sum[s][1], sums.sum_sq[s][1], n, FIXED_SCALE[1]),
            life_years: mean_se(sums.sum[s][2], sums.sum_sq[s][2], n, FIXED_SCALE[2]),
        })
        .collect()
}

/// Pairwise Monte Carlo differences (common random numbers make these much tighter than the
/// per-strategy standard errors suggest).
pub fn mc_differences(sums: &McValueSums) -> Vec<McDifference> {
    let n = sums.patients;
    let n_f = n as f64;
    let mut out = Vec::new();
    let mut k = 0;
    for i in 0..sums.sum.len() {
        for j in i + 1..sums.sum.len() {
            let cost = mean_se(sums.pair_sum[k][0], sums.pair_sum_sq[k][0], n, FIXED_SCALE[0]);
            let qaly = mean_se(sums.pair_sum[k][1], sums.pair_sum_sq[k][1], n, FIXED_SCALE[1]);
            let scale = FIXED_SCALE[0] * FIXED_SCALE[1];
            let centred = sums.pair_cross[k] as f64 - sums.pair_sum[k][0] as f64 * sums.pair_sum[k][1] as f64 / n_f;
            let cov = if n > 1 { centred / scale / (n_f - 1.0) / n_f } else { 0.0 };
            out.push(McDifference { strategy: j, comparator: i, inc_cost: cost, inc_qaly: qaly, cov_cost_qaly: cov });
            k += 1;
        }
    }
    out
}

/// Everything the health-economic evaluation produces for one run.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Exact cohort totals per strategy (the expected values).
    pub totals: Vec<StrategyTotals>,
    /// The incremental analysis on the cohort totals, sorted by cost.
    pub cea: Vec<super::CeaRow>,
    /// Monte Carlo estimates with standard errors, when a simulation was run.
    pub monte_carlo: Option<(Vec<McEstimate>, Vec<McDifference>)>,
}

/// Runs the evaluation; `None` when the model has no economics.
pub fn evaluate(model: &Model, traces: &[CohortTrace], sums: Option<&McValueSums>) -> Option<Evaluation> {
    let totals: Vec<StrategyTotals> = traces.iter().map(|t| cohort_totals(model, t)).collect::<Option<_>>()?;
    let outcomes: Vec<super::Outcome> = totals
        .iter()
        .map(|t| super::Outcome { strategy: t.strategy, cost: t.cost, qaly: t.qaly, life_years: t.life_years })
        .collect();
    Some(Evaluation {
        cea: super::cea(&outcomes),
        totals,
        monte_carlo: sums.map(|s| (mc_estimates(s), mc_differences(s))),
    })
}
