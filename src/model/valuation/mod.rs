//! What each cycle of each state is worth: costs, QALYs and life years, discounted and corrected
//! for when within a cycle people change state.
//!
//! Receives the scenario's rewards and economics settings; builds, per strategy, value tables
//! that any trace can be multiplied with: a value per (cycle boundary, slot) and a value per
//! (cycle, from, to) move. The cohort total of a quantity is then
//! `sum_t sum_slot x_t[slot] * V[t][slot] + sum_t sum_moves flow * M[t][move]`, and a simulated
//! patient's total is the same sum along its path, so both engines value paths identically. The
//! cohort's headline totals are that sum taken addition by addition from the tables' [`Plan`]
//! ([`Plan::outcomes`] with a draw's [`DrawValues`]), without filling the tables.
//!
//! Within-cycle correction (cycle t = 1..T spans boundaries t-1 and t; x_t is the occupancy at
//! boundary t; R_t the yearly reward in cycle t; d(s) = (1 + r)^-s the discount factor at year s;
//! dt the cycle length in years):
//! - `none` (end of cycle): cycle t is worth x_t R_t dt d(tau_t) (Briggs, Claxton & Sculpher
//!   2006, exercise 2.5);
//! - `start_of_cycle`: x_{t-1} R_t dt d(tau_t);
//! - `trapezoid` (life-table method, heemod's default; Barendregt 2009): (x_{t-1} + x_t)/2 R_t dt d(tau_t);
//! - `half_cycle`: the trapezoidal rule on the whole discounted integrand,
//!   (x_{t-1} d((t-1) dt) + x_t d(t dt))/2 R_t dt: the half-cycle correction as formalised by
//!   Elbasha & Chhatwal 2016 (*Med Decis Making* 36:115);
//! - `simpson`: Simpson's 1/3 rule on the discounted integrand at the boundaries (weights
//!   1, 4, 2, ..., 4, 1 over 3), with Simpson's 3/8 rule on the last three cycles when T is odd;
//!   the reward at boundary p is that of the cycle starting there (the last cycle's at T).
//!
//! For the three cycle-based methods, tau_t is the cycle's start ((t-1) dt, first cycle
//! undiscounted; the default), midpoint or end (t dt), as the scenario's `discount_timing` says.
//! One-off values of moves made during cycle t are discounted at its midpoint. Infusions happen at
//! k x interval after the first, for people alive at the start of the cycle they fall in, and
//! are discounted at their own time. Adverse events enter as expected values (probability x cost,
//! probability x QALY loss) per infusion.

use crate::error::Problem;
use crate::scenario::formula::MAX_COVARIATE_VARIABLES;
use crate::scenario::{At, Correction, DiscountTiming, RewardKind, Scenario};
use rayon::prelude::*;

mod plan;
pub use plan::{Infusion, Plan};

use super::rows::row_time;
use super::{Group, Slot};

/// Indices of the fixed quantities in a value table (costs by category follow them).
pub mod quantity {
    /// Discounted total cost.
    pub const COST: usize = 0;
    /// Discounted QALYs.
    pub const QALY: usize = 1;
    /// Undiscounted life years.
    pub const LIFE_YEARS: usize = 2;
    /// Undiscounted total cost.
    pub const COST_UNDISCOUNTED: usize = 3;
    /// Undiscounted QALYs.
    pub const QALY_UNDISCOUNTED: usize = 4;
    /// Discounted life years (at the effects rate).
    pub const LIFE_YEARS_DISCOUNTED: usize = 5;
    /// Number of fixed quantities; discounted cost category k is at `FIXED + k`.
    pub const FIXED: usize = 6;
}

/// Name of the cost category of infusion costs.
pub const INFUSION_CATEGORY: &str = "msc_infusions";
/// Name of the cost category of adverse events.
pub const ADVERSE_EVENT_CATEGORY: &str = "adverse_events";

/// Value tables of one strategy.
#[derive(Debug, Clone)]
pub struct Valuation {
    pub n_quantities: usize,
    pub n_slots: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    /// `[(q * (T + 1) + p) * n_slots + slot]`: value of being in `slot` at boundary p.
    pub point: Vec<f64>,
    /// Index of each (from, to) move that has a value, `[from * n_states + to]`.
    pub(super) move_index: Vec<Option<u32>>,
    pub(super) n_moves: usize,
    /// `[(q * T + t) * n_moves + move]`: value of one move during cycle t (0-based).
    pub(super) moves: Vec<f64>,
}

impl Valuation {
    /// Adds to the value of quantity `q` in `slot` at boundary `p`; a quantity the tables do not
    /// keep (see [`OUTCOMES`]) is skipped.
    #[inline]
    fn add_point(&mut self, q: usize, p: usize, slot: usize, amount: f64) {
        if q < self.n_quantities {
            self.point[(q * (self.n_cycles + 1) + p) * self.n_slots + slot] += amount;
        }
    }

    /// Value of quantity `q` for being in `slot` at boundary `p`.
    #[inline]
    pub fn at(&self, q: usize, p: usize, slot: usize) -> f64 {
        self.point[(q * (self.n_cycles + 1) + p) * self.n_slots + slot]
    }

    /// Value of quantity `q` for one move from `from` to `to` during cycle `t` (0-based).
    #[inline]
    pub fn for_move(&self, q: usize, t: usize, from: usize, to: usize) -> f64 {
        match self.move_index[from * self.n_states + to] {
            Some(m) => self.moves[(q * self.n_cycles + t) * self.n_moves + m as usize],
            None => 0.0,
        }
    }

    /// The index of the (from, to) move among the moves that have a value, if it has one.
    #[inline]
    pub fn move_number(&self, from: usize, to: usize) -> Option<usize> {
        self.move_index[from * self.n_states + to].map(|m| m as usize)
    }

    /// Number of (from, to) moves that have a value.
    pub fn n_moves(&self) -> usize {
        self.n_moves
    }

    /// Value of quantity `q` for move number `m` (see [`Valuation::move_number`]) during cycle `t`.
    #[inline]
    pub fn for_move_number(&self, q: usize, t: usize, m: usize) -> f64 {
        self.moves[(q * self.n_cycles + t) * self.n_moves + m]
    }

    /// The largest |total| of quantity `q` that one patient can accrue over the horizon: the sum
    /// over boundaries of the largest |value| of any slot, plus the sum over cycles of the largest
    /// |value| of any move (a patient is in one slot at each boundary and moves at most once per
    /// cycle). Every cohort and per-patient total of `q` is at most this in absolute value.
    pub fn largest_path_total(&self, q: usize) -> f64 {
        // NaN-aware: a NaN entry makes the bound NaN (f64::max would skip it).
        let largest =
            |values: &[f64]| values.iter().fold(0.0f64, |m, v| if v.abs() > m || v.is_nan() { v.abs() } else { m });
        let points: f64 = (0..=self.n_cycles)
            .map(|p| {
                let start = (q * (self.n_cycles + 1) + p) * self.n_slots;
                largest(&self.point[start..start + self.n_slots])
            })
            .sum();
        let moves: f64 = (0..self.n_cycles)
            .map(|t| {
                let start = (q * self.n_cycles + t) * self.n_moves;
                largest(&self.moves[start..start + self.n_moves])
            })
            .sum();
        points + moves
    }
}

/// The cost categories of a scenario, in order of first appearance.
pub fn cost_categories(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &scenario.rewards {
        if let RewardKind::Cost { category } = &r.kind
            && !out.contains(category)
        {
            out.push(category.clone());
        }
    }
    let schedules = scenario.strategies.iter().filter_map(|s| s.schedule.as_ref());
    if schedules.clone().any(|s| s.cost_per_infusion.is_some()) {
        out.push(INFUSION_CATEGORY.to_string());
    }
    if schedules.clone().any(|s| s.adverse_events.iter().any(|a| a.cost.is_some())) {
        out.push(ADVERSE_EVENT_CATEGORY.to_string());
    }
    out
}

/// Weights of the boundaries 0..=T for Simpson's rule over T cycles (sum T).
pub fn simpson_weights(n_cycles: usize) -> Vec<f64> {
    let mut w = vec![0.0; n_cycles + 1];
    if n_cycles == 1 {
        w[0] = 0.5;
        w[1] = 0.5;
        return w;
    }
    let tail = if n_cycles % 2 == 1 { 3 } else { 0 };
    let even = n_cycles - tail;
    for i in 0..even / 2 {
        let p = 2 * i;
        w[p] += 1.0 / 3.0;
        w[p + 1] += 4.0 / 3.0;
        w[p + 2] += 1.0 / 3.0;
    }
    if tail == 3 {
        let p = even;
        w[p] += 3.0 / 8.0;
        w[p + 1] += 9.0 / 8.0;
        w[p + 2] += 9.0 / 8.0;
        w[p + 3] += 3.0 / 8.0;
    }
    w
}

/// Where cycle t (1-based) puts its value: (boundary, weight, discount time in years).
/// `boundary` holds Simpson's weights, or the scenario's own with [`Correction::Weights`]: both
/// value boundary p with the cycle that starts there (the last cycle at T).
fn spread(
    correction: Correction,
    timing: DiscountTiming,
    t: usize,
    dt: f64,
    boundary: &[f64],
    out: &mut Vec<(usize, f64, f64)>,
) {
    out.clear();
    let tau = match timing {
        DiscountTiming::Start => (t - 1) as f64 * dt,
        DiscountTiming::Midpoint => (t as f64 - 0.5) * dt,
        DiscountTiming::End => t as f64 * dt,
    };
    match correction {
        Correction::None => out.push((t, 1.0, tau)),
        Correction::StartOfCycle => out.push((t - 1, 1.0, tau)),
        Correction::Trapezoid => out.extend([(t - 1, 0.5, tau), (t, 0.5, tau)]),
        Correction::HalfCycle => out.extend([(t - 1, 0.5, (t - 1) as f64 * dt), (t, 0.5, t as f64 * dt)]),
        Correction::Simpson | Correction::Weights => {
            let last = boundary.len() - 1;
            out.push((t - 1, boundary[t - 1], (t - 1) as f64 * dt));
            if t == last {
                out.push((t, boundary[t], t as f64 * dt));
            }
        }
    }
}

/// Where in model time a reward of cycle `cycle` (0-based) is evaluated, for a slot that has
/// spent `bucket` cycles in its state. The profile's variables (age, sex, covariates) are left
/// unknown (NaN) here: tables built per profile fill them in ([`Profile::at`]).
fn reward_time(dt: f64, cycle: usize, bucket: usize) -> At {
    At { state_years: bucket as f64 * dt, ..At::cycle_start(cycle, dt) }
}

/// Does some cost or utility read what makes a profile (age, sex or a covariate)? Then the value
/// tables are built per (strategy, profile) instead of per strategy.
pub fn reads_profile(scenario: &Scenario) -> bool {
    scenario.rewards.iter().any(|r| {
        let d = r.value.depends();
        d.age || d.sex || d.covariates
    })
}

/// The profile a table is built for: its sub-cohort and the strategy's covariate shifts per
/// cycle (`[cycle * MAX_COVARIATE_VARIABLES + slot]`, empty for no shift).
#[derive(Debug, Clone, Copy)]
pub(super) struct Profile<'a> {
    group: &'a Group,
    shifts: &'a [f64],
}

impl Profile<'_> {
    /// `at` with the profile's age, sex and covariates at its cycle, the covariates shifted by
    /// the strategy's covariate effects as the rows shift them ([`super::rows`]).
    fn at(&self, dt: f64, at: &At) -> At {
        let cycle = at.cycle as usize;
        let mut out = At { state_years: at.state_years, ..row_time(dt, self.group, cycle, 0) };
        if !self.shifts.is_empty() {
            let shifts = &self.shifts[cycle * MAX_COVARIATE_VARIABLES..(cycle + 1) * MAX_COVARIATE_VARIABLES];
            for (x, shift) in out.covariates.iter_mut().zip(shifts) {
                *x += shift;
            }
        }
        out
    }
}

/// Discount factors for costs and for effects at any time in years.
#[derive(Debug, Clone)]
struct Discounting {
    rate_costs: f64,
    rate_effects: f64,
    /// Factors on the half-cycle grid, where every cycle-based time falls.
    grid_costs: std::sync::Arc<Vec<f64>>,
    grid_effects: std::sync::Arc<Vec<f64>>,
    dt: f64,
    n_cycles: usize,
}

/// Discount factors (1 + rate)^-(k dt / 2) for k = 0..=2T. A PSA builds the model once per draw
/// with the same rates (they are rarely drawn), so each thread keeps the last few grids: the same
/// numbers, computed once.
fn discount_grid(rate: f64, dt: f64, n_cycles: usize) -> std::sync::Arc<Vec<f64>> {
    type Key = (u64, u64, usize);
    thread_local! {
        static GRIDS: std::cell::RefCell<Vec<(Key, std::sync::Arc<Vec<f64>>)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (rate.to_bits(), dt.to_bits(), n_cycles);
    GRIDS.with(|grids| {
        let mut grids = grids.borrow_mut();
        if let Some((_, grid)) = grids.iter().find(|(k, _)| *k == key) {
            return std::sync::Arc::clone(grid);
        }
        let grid: Vec<f64> = (0..=2 * n_cycles).map(|k| (1.0 + rate).powf(-(k as f64) * dt / 2.0)).collect();
        let grid = std::sync::Arc::new(grid);
        if grids.len() >= 4 {
            grids.remove(0);
        }
        grids.push((key, std::sync::Arc::clone(&grid)));
        grid
    })
}

impl Discounting {
    fn new(rate_costs: f64, rate_effects: f64, dt: f64, n_cycles: usize) -> Self {
        Discounting {
            rate_costs,
            rate_effects,
            grid_costs: discount_grid(rate_costs, dt, n_cycles),
            grid_effects: discount_grid(rate_effects, dt, n_cycles),
            dt,
            n_cycles,
        }
    }

    /// Index of `s` on the half-cycle grid, if it falls there.
    fn on_grid(&self, s: f64) -> Option<usize> {
        let k = 2.0 * s / self.dt;
        let r = k.round();
        ((k - r).abs() < 1e-9 && r >= 0.0 && r <= (2 * self.n_cycles) as f64).then_some(r as usize)
    }

    /// Discount factor of costs at year `s`: (1 + r)^-s.
    fn costs(&self, s: f64) -> f64 {
        self.on_grid(s).map_or_else(|| (1.0 + self.rate_costs).powf(-s), |k| self.grid_costs[k])
    }

    /// Discount factor of effects at year `s`.
    fn effects(&self, s: f64) -> f64 {
        self.on_grid(s).map_or_else(|| (1.0 + self.rate_effects).powf(-s), |k| self.grid_effects[k])
    }
}

/// The number of quantities a PSA draw keeps: discounted cost, discounted QALYs and undiscounted
/// life years (indices 0 to 2 of [`quantity`]); a [`Plan`] made with it stores no others
/// (undiscounted totals, categories), and the three kept are bit-identical to a full plan's.
pub const OUTCOMES: usize = quantity::LIFE_YEARS + 1;

/// The value tables made by a plan ([`Plan::new`] with these values), one per strategy, or one
/// per (strategy, profile) when the plan is [`Plan::by_profile`] (strategy-major: the tables of
/// strategy s and sub-cohort g are at `s * n_profiles + g`); `None` without a plan (a scenario
/// without `[economics]`).
///
/// # Errors
/// A [`ProblemKind::ValueNotFinite`](crate::ProblemKind::ValueNotFinite) per table that holds a
/// value that is not finite, or whose largest total along one patient's path is not (see
/// [`Valuation::largest_path_total`]), naming the strategy (and the profile), the state or move,
/// the cycle and the cost or utility entries that feed it.
pub fn build_with(
    plan: Option<&Plan>,
    scenario: &Scenario,
    values: &[f64],
    slots: &[Slot],
) -> Result<Option<Vec<Valuation>>, Vec<Problem>> {
    let Some(plan) = plan else {
        return Ok(None);
    };
    let n_profiles = plan.n_profiles();
    let shifts = plan.covariate_shifts(scenario, values);
    // Tables are independent: built (and checked) in parallel, collected in (strategy, profile)
    // order; one after the other when already on a worker thread (a PSA draw), where splitting
    // costs more than it saves. Either way the tables are the same.
    let one = |k: usize| {
        let (si, profile) = (k / n_profiles, plan.profile(k / n_profiles, k % n_profiles, &shifts));
        let mut v = plan.empty_tables();
        plan.tables_into(scenario, values, si, profile, &mut v, &mut Vec::new());
        let problem = super::value_check::first_problem(scenario, values, slots, si, profile.map(|p| p.group), &v);
        (v, problem)
    };
    let n_tables = scenario.strategies.len() * n_profiles;
    let built: Vec<(Valuation, Option<Problem>)> = if rayon::current_thread_index().is_some() {
        (0..n_tables).map(one).collect()
    } else {
        (0..n_tables).into_par_iter().map(one).collect()
    };
    let (tables, problems): (Vec<Valuation>, Vec<Option<Problem>>) = built.into_iter().unzip();
    let problems: Vec<Problem> = problems.into_iter().flatten().collect();
    if problems.is_empty() { Ok(Some(tables)) } else { Err(problems) }
}

/// Refills `tables` (from an earlier build with the same plan, or empty) for new parameter
/// values: the same numbers [`build_with`] gives, without allocating once the tables exist
/// (but for the covariate shifts of tables built per profile). The plan must [`Plan::fits`] the
/// values.
///
/// # Errors
/// As [`build_with`].
pub fn rebuild(
    plan: &Plan,
    scenario: &Scenario,
    values: &[f64],
    slots: &[Slot],
    tables: &mut Vec<Valuation>,
    scratch: &mut Vec<f64>,
) -> Result<(), Vec<Problem>> {
    debug_assert!(plan.fits(scenario, values));
    let n_profiles = plan.n_profiles();
    let shifts = plan.covariate_shifts(scenario, values);
    tables.resize_with(scenario.strategies.len() * n_profiles, || plan.empty_tables());
    let mut problems = Vec::new();
    for (k, v) in tables.iter_mut().enumerate() {
        let (si, profile) = (k / n_profiles, plan.profile(k / n_profiles, k % n_profiles, &shifts));
        plan.tables_into(scenario, values, si, profile, v, scratch);
        problems.extend(super::value_check::first_problem(scenario, values, slots, si, profile.map(|p| p.group), v));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// A draw's values for [`Plan::outcomes`]: per table (strategy, or (strategy, profile), in the
/// order of [`super::Model::valuations`]), the sums of its reward value sets and the
/// strategy's infusions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrawValues {
    pub rewards: Vec<Vec<f64>>,
    pub infusions: Vec<Vec<Infusion>>,
    /// The reward values of the table being filled (scratch).
    raw: Vec<f64>,
}

/// Fills `out` with the values of every table of `plan` for the parameter `values`, in the
/// memory it already has: what [`Plan::outcomes`] needs, without the tables themselves.
///
/// # Errors
/// [`crate::ProblemKind::ValueNotFinite`], located as [`build_with`] locates it, when a value is
/// not finite: the table that holds it is then built and checked to say where.
pub fn draw_values_into(
    plan: &Plan,
    scenario: &Scenario,
    values: &[f64],
    slots: &[Slot],
    out: &mut DrawValues,
) -> Result<(), Vec<Problem>> {
    let n_profiles = plan.n_profiles();
    let shifts = plan.covariate_shifts(scenario, values);
    let n_tables = scenario.strategies.len() * n_profiles;
    out.rewards.resize_with(n_tables, Vec::new);
    out.infusions.resize_with(n_tables, Vec::new);
    let mut problems = Vec::new();
    for k in 0..n_tables {
        let (si, profile) = (k / n_profiles, plan.profile(k / n_profiles, k % n_profiles, &shifts));
        // Without profiles every table reads the same reward values: worked out once.
        if k == 0 || profile.is_some() {
            plan.reward_values(scenario, values, profile, &mut out.raw);
        }
        plan.values_into(scenario, values, si, &out.raw, (&mut out.rewards[k], &mut out.infusions[k]));
        let finite = out.rewards[k].iter().all(|x| x.is_finite())
            && out.infusions[k].iter().all(|i| i.cost.is_finite() && i.qaly.is_finite());
        if !finite {
            let mut v = plan.empty_tables();
            plan.tables_into(scenario, values, si, profile, &mut v, &mut Vec::new());
            problems.extend(super::value_check::first_problem(
                scenario,
                values,
                slots,
                si,
                profile.map(|p| p.group),
                &v,
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simpson's rule on x^3 over [0, T] is exact for any T >= 2 (with the 3/8 tail when T is odd).
    #[test]
    fn simpson_weights_sum_to_cycles_and_integrate_a_cubic_exactly() {
        for n in 1..=12usize {
            let w = simpson_weights(n);
            let total: f64 = w.iter().sum();
            assert!((total - n as f64).abs() < 1e-12, "n={n}: {total}");
            if n >= 2 {
                let f = |x: f64| 2.0 * x.powi(3) - x * x + 3.0;
                let approx: f64 = w.iter().enumerate().map(|(p, wp)| wp * f(p as f64)).sum();
                let exact = 0.5 * (n as f64).powi(4) - (n as f64).powi(3) / 3.0 + 3.0 * n as f64;
                assert!((approx - exact).abs() < 1e-9 * exact.abs(), "n={n}: {approx} vs {exact}");
            }
        }
    }

    #[test]
    fn cycle_based_weights_sum_to_one_per_cycle() {
        let simpson = simpson_weights(6);
        let mut parts = Vec::new();
        for correction in [Correction::None, Correction::StartOfCycle, Correction::HalfCycle, Correction::Trapezoid] {
            for t in 1..=6 {
                spread(correction, DiscountTiming::Start, t, 1.0, &simpson, &mut parts);
                assert_eq!(parts.iter().map(|p| p.1).sum::<f64>(), 1.0);
            }
        }
    }
}
