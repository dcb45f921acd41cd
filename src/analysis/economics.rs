//! Costs, QALYs and life years per strategy from the traces, with Monte Carlo standard errors.
//!
//! Receives cohort traces (expected values, exact) and Monte Carlo value sums; multiplies the
//! traces with the model's value tables ([`crate::model::valuation`]) and hands on totals,
//! disaggregated by cost category, by state and by move, so users can check that totals add up.

use crate::engine::monte_carlo::FIXED_SCALE;
use crate::engine::{CohortTrace, McValueSums};
use crate::model::Model;
use crate::model::valuation::{Valuation, quantity};
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

/// One part of a cohort trace with the tables that value it: the whole trace with its strategy's
/// tables, or, when the model values profiles apart ([`Model::values_by_profile`]), each
/// sub-cohort's part (its weight included) with that sub-cohort's tables.
struct Piece<'a> {
    v: &'a Valuation,
    /// The sub-cohort whose values price it (0 for the whole trace).
    group: usize,
    /// `[p * n_slots + slot]`.
    slot_occupancy: &'a [f64],
    flows: Flows<'a>,
}

/// The expected moves of a [`Piece`].
enum Flows<'a> {
    /// The trace's flows, `[(t * n_states + from) * n_states + to]` (empty when not recorded).
    States(&'a [f64]),
    /// A part's flows of the valued moves, `[t * n_moves + move]`.
    Moves(&'a [f64]),
}

impl Piece<'_> {
    /// The value of quantity `q` accrued in the slots `keep` accepts (by state).
    fn by_slot(&self, q: usize, n_slots: usize, slots: &[crate::model::Slot], keep: &dyn Fn(usize) -> bool) -> f64 {
        let mut total = 0.0;
        for (p, x) in self.slot_occupancy.chunks_exact(n_slots).enumerate() {
            for slot in 0..n_slots {
                if keep(slots[slot].state) {
                    total += x[slot] * self.v.at(q, p, slot);
                }
            }
        }
        total
    }

    /// The expected move from `from` to `to` during cycle `t` (0 for a move the piece does not
    /// record).
    fn flow(&self, t: usize, from: usize, to: usize, n_states: usize) -> f64 {
        match self.flows {
            Flows::States(flows) => flows[(t * n_states + from) * n_states + to],
            Flows::Moves(flows) => self.v.move_number(from, to).map_or(0.0, |m| flows[t * self.v.n_moves() + m]),
        }
    }

    /// The value of quantity `q` of the moves from `from` to `to` over the horizon.
    fn by_move(&self, q: usize, trace: &CohortTrace, from: usize, to: usize) -> f64 {
        let n_states = trace.n_states;
        match self.flows {
            Flows::States(_) => {
                (0..trace.n_cycles).map(|t| self.flow(t, from, to, n_states) * self.v.for_move(q, t, from, to)).sum()
            }
            Flows::Moves(flows) => match self.v.move_number(from, to) {
                Some(m) => {
                    (0..trace.n_cycles).map(|t| flows[t * self.v.n_moves() + m] * self.v.for_move_number(q, t, m)).sum()
                }
                None => 0.0,
            },
        }
    }
}

/// The pieces of `trace` (see [`Piece`]); `None` without economics.
fn pieces<'a>(model: &'a Model, trace: &'a CohortTrace) -> Option<impl Iterator<Item = Piece<'a>> + Clone> {
    let parts = &trace.parts;
    let whole = parts.groups.is_empty();
    debug_assert!(whole != model.values_by_profile() || model.groups.is_empty(), "parts kept by profile");
    // Checked here so that every piece below has its tables.
    model.valuation(trace.strategy, parts.groups.first().copied().unwrap_or(0))?;
    let per_part = (trace.n_cycles + 1) * trace.n_slots;
    let n = if whole { 1 } else { parts.groups.len() };
    Some((0..n).map(move |k| {
        if whole {
            let v = model.valuation(trace.strategy, 0).expect("checked above");
            return Piece { v, group: 0, slot_occupancy: &trace.slot_occupancy, flows: Flows::States(&trace.flows) };
        }
        let v = model.valuation(trace.strategy, parts.groups[k]).expect("a table per profile");
        let flows_per_part = trace.n_cycles * parts.n_moves;
        Piece {
            v,
            group: parts.groups[k],
            slot_occupancy: &parts.slot_occupancy[k * per_part..(k + 1) * per_part],
            flows: Flows::Moves(&parts.move_flows[k * flows_per_part..(k + 1) * flows_per_part]),
        }
    }))
}

/// The sum of `f` over the pieces, in order; with one piece, exactly `f` of it.
fn over_pieces<'a>(mut pieces: impl Iterator<Item = Piece<'a>>, f: impl Fn(&Piece<'a>) -> f64) -> f64 {
    let first = pieces.next().map_or(0.0, |p| f(&p));
    pieces.fold(first, |total, p| total + f(&p))
}

/// Cohort totals of one strategy; `None` when the model has no economics. When the model values
/// profiles apart, each sub-cohort's part of the trace is valued with its own tables and the
/// parts are summed (their weights are in the trace), as the trace itself sums them.
pub fn cohort_totals(model: &Model, trace: &CohortTrace) -> Option<StrategyTotals> {
    let pieces = pieces(model, trace)?;
    let n_slots = trace.n_slots;
    let n_states = trace.n_states;
    let by_slot = |q: usize, keep: &dyn Fn(usize) -> bool| -> f64 {
        over_pieces(pieces.clone(), |piece| piece.by_slot(q, n_slots, model.slots(), keep))
    };
    let by_move =
        |q: usize, from: usize, to: usize| -> f64 { over_pieces(pieces.clone(), |p| p.by_move(q, trace, from, to)) };
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
/// numbers `run`, PSA and DSA report, straight from the trace and the model's plan of the value
/// tables, without the tables ([`crate::model::valuation::Plan::outcomes`]); the same numbers as
/// the tables give ([`by_boundary`]) up to rounding. When the model values profiles apart, each
/// sub-cohort's part of the trace is valued with its own reward values and the parts are summed
/// in order.
pub fn cohort_outcomes(model: &Model, trace: &CohortTrace) -> Option<[f64; 3]> {
    let si = trace.strategy;
    let mut total: Option<[f64; 3]> = None;
    for piece in pieces(model, trace)? {
        let (plan, sums, infusions) = model.outcome_values(si, piece.group)?;
        let flow = |t: usize, from: usize, to: usize, _| piece.flow(t, from, to, trace.n_states);
        let [cost, qaly] = plan.outcomes(si, sums, infusions, piece.slot_occupancy, &flow);
        let v = [cost, qaly, plan.life_years(si, piece.slot_occupancy)];
        total = Some(match total {
            None => v,
            Some(t) => [t[0] + v[0], t[1] + v[1], t[2] + v[2]],
        });
    }
    total
}

/// Quantity `q` accrued at each cycle boundary p = 0..=n_cycles: the occupancy at p valued as
/// in [`cohort_outcomes`], plus the one-off values of moves during cycle p; `None` without
/// economics. The values add up to the strategy's total of `q`.
pub fn by_boundary(model: &Model, trace: &CohortTrace, q: usize) -> Option<Vec<f64>> {
    let pieces = pieces(model, trace)?;
    let (n_slots, n_states) = (trace.n_slots, trace.n_states);
    let at = |p: usize| {
        over_pieces(pieces.clone(), |piece| {
            let v = piece.v;
            let x = &piece.slot_occupancy[p * n_slots..(p + 1) * n_slots];
            let mut total: f64 = x.iter().enumerate().map(|(slot, m)| m * v.at(q, p, slot)).sum();
            if p < trace.n_cycles {
                for from in 0..n_states {
                    for to in 0..n_states {
                        let flow = piece.flow(p, from, to, n_states);
                        if flow != 0.0 {
                            total += flow * v.for_move(q, p, from, to);
                        }
                    }
                }
            }
            total
        })
    };
    Some((0..=trace.n_cycles).map(at).collect())
}

/// A Monte Carlo mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSe {
    pub mean: f64,
    pub se: f64,
}

/// Mean and standard error of a Monte Carlo quantity from its exact fixed-point sums over `n`
/// patients: mean = sum / n, variance = (n sum_sq - sum^2) / (n (n - 1)), se = sqrt(variance / n),
/// all divided by the fixed-point scale. The numerator n sum_sq - sum^2 is formed exactly in
/// integers (it needs up to 256 bits) and only then converted to f64, so the variance keeps its
/// digits however large the mean is relative to the spread.
fn mean_se(sum: i128, sum_sq: i128, n: u64, scale: f64) -> MeanSe {
    let n_f = n as f64;
    let mean = sum as f64 / scale / n_f;
    let centred = exact::centred_cross(n, sum, sum, sum_sq);
    let variance = if n > 1 { (centred / n_f / (scale * scale) / (n_f - 1.0)).max(0.0) } else { 0.0 };
    MeanSe { mean, se: (variance / n_f).sqrt() }
}

/// Exact integer arithmetic for the centred sums of the Monte Carlo estimates.
mod exact {
    /// A signed 256-bit integer as sign and magnitude (`hi` * 2^128 + `lo`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Wide {
        pub negative: bool,
        pub hi: u128,
        pub lo: u128,
    }

    /// The full 256-bit product of two u128, as (hi, lo).
    pub fn mul_u128(a: u128, b: u128) -> (u128, u128) {
        const MASK: u128 = u64::MAX as u128;
        let (a1, a0) = (a >> 64, a & MASK);
        let (b1, b0) = (b >> 64, b & MASK);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        // At most 3 * (2^64 - 1): no overflow.
        let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
        let lo = (p00 & MASK) | (mid << 64);
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        (hi, lo)
    }

    /// The exact product of two i128.
    pub fn mul(a: i128, b: i128) -> Wide {
        let (hi, lo) = mul_u128(a.unsigned_abs(), b.unsigned_abs());
        Wide { negative: (a < 0) != (b < 0) && (hi | lo) != 0, hi, lo }
    }

    /// a - b, exact: both magnitudes are below 2^255, so the result fits.
    pub fn sub(a: Wide, b: Wide) -> Wide {
        let b = Wide { negative: !b.negative && (b.hi | b.lo) != 0, ..b };
        if a.negative == b.negative {
            let (lo, carry) = a.lo.overflowing_add(b.lo);
            return Wide { negative: a.negative, hi: a.hi + b.hi + carry as u128, lo };
        }
        let (big, small) = if (a.hi, a.lo) >= (b.hi, b.lo) { (a, b) } else { (b, a) };
        let (lo, borrow) = big.lo.overflowing_sub(small.lo);
        let hi = big.hi - small.hi - borrow as u128;
        Wide { negative: big.negative && (hi | lo) != 0, hi, lo }
    }

    /// The nearest f64 (within a few units in the last place).
    pub fn to_f64(x: Wide) -> f64 {
        let magnitude = x.hi as f64 * 2f64.powi(128) + x.lo as f64;
        if x.negative { -magnitude } else { magnitude }
    }

    /// n * sum_xy - sum_x * sum_y, exact, converted to f64 at the end: n (n - 1) times the
    /// sample covariance of x and y (the variance when x = y).
    pub fn centred_cross(n: u64, sum_x: i128, sum_y: i128, sum_xy: i128) -> f64 {
        to_f64(sub(mul(n as i128, sum_xy), mul(sum_x, sum_y)))
    }
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
            // n (n - 1) times the sample covariance, exact in integers before the conversion.
            let centred = exact::centred_cross(n, sums.pair_sum[k][0], sums.pair_sum[k][1], sums.pair_cross[k]);
            let cov = if n > 1 { centred / n_f / scale / (n_f - 1.0) / n_f } else { 0.0 };
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

#[cfg(test)]
mod tests {
    use super::exact::{centred_cross, mul_u128};
    use super::*;

    #[test]
    fn wide_products_are_exact() {
        // (2^128 - 1)^2 = 2^256 - 2^129 + 1.
        assert_eq!(mul_u128(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_u128(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_u128(12345, 678), (0, 12345 * 678));
        // 0 - (-2^127)^2 = -2^254, exactly a power of two in f64.
        assert_eq!(centred_cross(1, i128::MIN, i128::MIN, 0), -(2f64.powi(254)));
        // 2 * (-20) - (-3 * 5) = -25.
        assert_eq!(centred_cross(2, -3, 5, -20), -25.0);
        // x = 1, 2, 4: 3 * 21 - 7^2 = 14.
        assert_eq!(centred_cross(3, 7, 7, 21), 14.0);
    }

    /// Values 2^60 + {0, 1, 2, 3}: the sample variance is 5/3 exactly. In f64, sum_sq - sum^2 / n
    /// is 2^122-sized with a rounding unit of 2^70, so it would lose every digit.
    #[test]
    fn variance_keeps_its_digits_far_from_zero() {
        let m: i128 = 1 << 60;
        let xs: Vec<i128> = (0..4).map(|d| m + d).collect();
        let sum: i128 = xs.iter().sum();
        let sum_sq: i128 = xs.iter().map(|x| x * x).sum();
        let e = mean_se(sum, sum_sq, 4, 1.0);
        let exact_se = (5.0f64 / 3.0 / 4.0).sqrt();
        assert!((e.se - exact_se).abs() <= 1e-15 * exact_se, "{} vs {exact_se}", e.se);
        assert_eq!(e.mean, (m as f64 + 1.5));
        // One patient: no spread to estimate.
        assert_eq!(mean_se(7, 49, 1, 1.0).se, 0.0);
    }

    #[test]
    fn covariance_of_differences_from_exact_sums() {
        // Pairs (cost, qaly) differences (1, 2), (2, 1), (3, 6): sample covariance
        // (3 * 22 - 6 * 9) / (3 * 2) = 2, so the covariance of the means is 2 / 3.
        let sums = McValueSums {
            patients: 3,
            sum: vec![[0; 3]; 2],
            sum_sq: vec![[0; 3]; 2],
            pair_sum: vec![[6, 9, 0]],
            pair_sum_sq: vec![[14, 41, 0]],
            pair_cross: vec![2 + 2 + 18],
        };
        let d = &mc_differences(&sums)[0];
        let scale = FIXED_SCALE[0] * FIXED_SCALE[1];
        assert!((d.cov_cost_qaly * scale - 2.0 / 3.0).abs() < 1e-15);
        assert!((d.inc_cost.se * FIXED_SCALE[0] - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }
}
