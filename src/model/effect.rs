//! Treatment effects over time: onset, full-strength duration and waning.
//!
//! An effect multiplies a hazard (or a probability) by m(s) at time s since the first infusion:
//! 1 before the onset, the effect value v for the full-strength duration, then back towards 1:
//! at once (`none`), linearly over a period (`linear`), or with the distance |m - 1| halving
//! every half-life (`exponential`). A cycle [t0, t1) uses the mean of m over the cycle,
//! (1 / (t1 - t0)) * integral of m(s) ds, which is exact for a hazard ratio on a hazard that is
//! constant within the cycle: the cycle's cumulative hazard is h * integral of m. Effects that
//! start or stop inside a cycle are therefore counted for exactly the part of the cycle they cover.
//!
//! Zero-length windows are exact limits, never 0/0: a linear waning over 0 years or an exponential
//! half-life of 0 stops the effect at once (as `none` does), and a full-strength duration of 0 means
//! the waning starts at the onset. [`EffectTables`] resolves every effect of a strategy to one
//! multiplier per cycle and (from, to) pair, and refuses a multiplier or time that is not a finite
//! number >= 0 with an error naming the effect and its parameters.

use crate::error::{Problem, ProblemKind};
use crate::scenario::formula::MAX_COVARIATE_VARIABLES;
use crate::scenario::{At, Effect, EffectMeasure, Scenario, TimeValue, Waning as ScenarioWaning};
use std::f64::consts::LN_2;

/// An effect's time course, in years and resolved to numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectCourse {
    /// Multiplier at full strength.
    pub value: f64,
    /// Start, years after the first infusion.
    pub onset_years: f64,
    /// Full-strength duration in years (infinite = to the horizon).
    pub duration_years: f64,
    pub waning: WaningYears,
}

/// Waning resolved to years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WaningYears {
    None,
    Linear { over_years: f64 },
    Exponential { half_life_years: f64 },
}

impl WaningYears {
    /// Resolves a scenario waning with parameter values.
    pub fn from_scenario(w: ScenarioWaning, values: &[f64]) -> WaningYears {
        match w {
            ScenarioWaning::None => WaningYears::None,
            ScenarioWaning::Linear(t) => WaningYears::Linear { over_years: t.years(values) },
            ScenarioWaning::Exponential(t) => WaningYears::Exponential { half_life_years: t.years(values) },
        }
    }
}

impl EffectCourse {
    /// The multiplier at time `s` (years since the first infusion).
    pub fn at(&self, s: f64) -> f64 {
        1.0 + (self.value - 1.0) * self.strength(s)
    }

    /// Share of the full effect at time s: 0 before onset, 1 at full strength, then waning.
    fn strength(&self, s: f64) -> f64 {
        let end = self.onset_years + self.duration_years;
        if s < self.onset_years {
            0.0
        } else if s < end {
            1.0
        } else {
            match self.waning {
                WaningYears::Linear { over_years } if over_years > 0.0 => (1.0 - (s - end) / over_years).max(0.0),
                WaningYears::Exponential { half_life_years } if decay_rate(half_life_years).is_finite() => {
                    (-(s - end) * LN_2 / half_life_years).exp()
                }
                // No waning, or a waning window of length 0: the effect stops at once.
                _ => 0.0,
            }
        }
    }

    /// Integral of the strength over [a, b], in closed form for each piece.
    fn strength_integral(&self, a: f64, b: f64) -> f64 {
        let onset = self.onset_years;
        let end = onset + self.duration_years;
        let mut total = overlap(a, b, onset, end);
        if end.is_finite() {
            match self.waning {
                WaningYears::None => {}
                // A waning window of length 0 adds nothing (the effect stops at `end`).
                WaningYears::Linear { over_years } if over_years > 0.0 => {
                    let (lo, hi) = (a.max(end), b.min(end + over_years));
                    if hi > lo {
                        // integral of 1 - (s - end)/w from lo to hi
                        let f = |s: f64| s - (s - end).powi(2) / (2.0 * over_years);
                        total += f(hi) - f(lo);
                    }
                }
                WaningYears::Linear { .. } => {}
                WaningYears::Exponential { half_life_years } => {
                    let (lo, hi) = (a.max(end), b);
                    let k = decay_rate(half_life_years);
                    if hi > lo && k.is_finite() {
                        total += ((-k * (lo - end)).exp() - (-k * (hi - end)).exp()) / k;
                    }
                }
            }
        }
        total
    }

    /// Mean strength over [t0, t1): 0 before the onset, 1 at full strength, waning in between
    /// (the share of the full effect a cycle gets; for a shift, the mean shift is value x this).
    pub fn mean_strength(&self, t0: f64, t1: f64) -> f64 {
        if t1 <= t0 { self.strength(t0) } else { self.strength_integral(t0, t1) / (t1 - t0) }
    }

    /// Mean multiplier over the cycle [t0, t1).
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::model::effect::{EffectCourse, WaningYears};
    /// // HR 0.5 for the first 6 months; an annual cycle gets the mean, 0.75.
    /// let e = EffectCourse { value: 0.5, onset_years: 0.0, duration_years: 0.5, waning: WaningYears::None };
    /// assert_eq!(e.cycle_mean(0.0, 1.0), 0.75);
    /// ```
    ///
    /// A cycle has a positive length (the scenario guarantees it); for `t1 <= t0` this returns
    /// the multiplier at `t0`, the limit of the mean, rather than 0/0.
    pub fn cycle_mean(&self, t0: f64, t1: f64) -> f64 {
        if t1 <= t0 {
            return self.at(t0);
        }
        1.0 + (self.value - 1.0) * self.strength_integral(t0, t1) / (t1 - t0)
    }

    /// The first field that is not a finite number >= 0 (the duration may be infinite), with its
    /// value, or `None` when the course is usable.
    pub fn first_bad_field(&self) -> Option<(&'static str, f64)> {
        let usable = |x: f64| x.is_finite() && x >= 0.0;
        let waning = match self.waning {
            WaningYears::None => None,
            WaningYears::Linear { over_years } => Some(("the waning period", over_years)),
            WaningYears::Exponential { half_life_years } => Some(("the waning half-life", half_life_years)),
        };
        [("the multiplier at full strength", self.value), ("the onset", self.onset_years)]
            .into_iter()
            .chain(waning)
            .find(|&(_, x)| !usable(x))
            .or_else(|| {
                let d = self.duration_years;
                (d.is_nan() || d < 0.0).then_some(("the full-strength duration", d))
            })
    }
}

/// Adds the mean shift of each covariate variable per cycle under `strategy` to `shifts`
/// (`[cycle * MAX_COVARIATE_VARIABLES + slot]`, zeros to start from); one
/// [`ProblemKind::Covariate`] per covariate effect whose shift or times are not finite.
fn covariate_shifts_into(
    scenario: &Scenario,
    strategy: usize,
    values: &[f64],
    shifts: &mut [f64],
    problems: &mut Vec<Problem>,
) {
    let n_cycles = scenario.n_cycles;
    let dt = scenario.cycle_length_years;
    for effect in &scenario.strategies[strategy].covariate_effects {
        let course = EffectCourse {
            value: effect.shift.get(values),
            onset_years: effect.onset.years(values),
            duration_years: effect.duration.map_or(f64::INFINITY, |d| d.years(values)),
            waning: WaningYears::from_scenario(effect.waning, values),
        };
        // A shift may be negative: only the times must be >= 0.
        let times = EffectCourse { value: 1.0, ..course };
        let bad = if course.value.is_finite() { times.first_bad_field() } else { Some(("the shift", course.value)) };
        if let Some((what, value)) = bad {
            let kind = ProblemKind::Covariate {
                name: effect.covariate.clone(),
                rule: format!(
                    "the shift of strategy \"{}\": {what} is {value}; it must be a finite number (times >= 0)",
                    scenario.strategies[strategy].name
                ),
            };
            problems.push(Problem::new("", None, kind));
            continue;
        }
        for t in 0..n_cycles {
            let (a, b) = (t as f64 * dt, (t + 1) as f64 * dt);
            shifts[t * MAX_COVARIATE_VARIABLES + effect.slot as usize] += course.value * course.mean_strength(a, b);
        }
    }
}

/// The mean shift of each covariate variable in every cycle under `strategy`,
/// `[cycle * MAX_COVARIATE_VARIABLES + slot]` (all 0 for a strategy without covariate effects),
/// as the rows see it ([`EffectTables::covariate_shifts`]); for values (costs, utilities) that
/// read a covariate. A shift that is not finite was reported by the rows' build, which comes
/// first; here it is left as it is.
pub fn covariate_shift_table(scenario: &Scenario, strategy: usize, values: &[f64]) -> Vec<f64> {
    let mut shifts = vec![0.0; scenario.n_cycles * MAX_COVARIATE_VARIABLES];
    covariate_shifts_into(scenario, strategy, values, &mut shifts, &mut Vec::new());
    shifts
}

/// Decay rate of an exponential waning, ln 2 / half-life (infinite for a half-life of 0).
fn decay_rate(half_life_years: f64) -> f64 {
    LN_2 / half_life_years
}

/// For each cycle t of `n`, how many cycles from t on are each the same as the cycle before, by
/// `same(k)` (asked for k >= 1 only; cycle 0 has none before it, so its count is 0).
pub(super) fn unchanged_runs(n: usize, same: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut runs = vec![0u32; n];
    for t in (1..n).rev() {
        if same(t) {
            runs[t] = 1 + runs.get(t + 1).copied().unwrap_or(0);
        }
    }
    runs
}

/// Are the two lists the same numbers, bit for bit?
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The effect multipliers of one strategy: for every cycle and (from, to) pair, the mean hazard
/// ratio and the mean relative risk over the cycle (1 where no effect applies; several effects on
/// one pair multiply).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectTables {
    n_states: usize,
    /// `[(cycle * n_states + from) * n_states + to]`.
    hazard_ratio: Vec<f64>,
    relative_risk: Vec<f64>,
    /// Per cycle, how many cycles from it on have every multiplier and shift of the cycle
    /// before ([`unchanged_runs`]; 0 for cycle 0).
    unchanged: Vec<u32>,
    /// `[cycle * MAX_COVARIATE_VARIABLES + slot]`: the mean shift of each covariate variable over
    /// the cycle (0 where no covariate effect applies).
    covariate_shift: Vec<f64>,
    /// The tables are those of a strategy without effects (every multiplier 1, no shift).
    plain: bool,
    /// Some covariate effect applies: the shifts are not all 0.
    shifting: bool,
}

impl EffectTables {
    /// Resolves the effects of strategy `strategy` with the parameter `values`.
    ///
    /// # Errors
    /// One [`ProblemKind::EffectNotFinite`] per effect whose multiplier, onset, duration or waning
    /// is not a finite number >= 0, or whose product with the other effects on its transition is
    /// not finite in some cycle.
    pub fn new(scenario: &Scenario, strategy: usize, values: &[f64]) -> Result<EffectTables, Vec<Problem>> {
        let mut tables = EffectTables::empty();
        tables.refill(scenario, strategy, values)?;
        Ok(tables)
    }

    /// Tables with nothing in them, to be filled by [`EffectTables::refill`].
    pub fn empty() -> EffectTables {
        EffectTables {
            n_states: 0,
            hazard_ratio: Vec::new(),
            relative_risk: Vec::new(),
            unchanged: Vec::new(),
            covariate_shift: Vec::new(),
            plain: false,
            shifting: false,
        }
    }

    /// As [`EffectTables::new`], into tables from an earlier build (a PSA draw's), whose memory is
    /// reused. A strategy without effects has the same tables (every multiplier 1, no shift) with
    /// any values, so tables that already hold them are left as they are. After an error the
    /// tables must be filled again.
    ///
    /// # Errors
    /// As [`EffectTables::new`].
    pub fn refill(&mut self, scenario: &Scenario, strategy: usize, values: &[f64]) -> Result<(), Vec<Problem>> {
        let n = scenario.states.len();
        let n_cycles = scenario.n_cycles;
        let dt = scenario.cycle_length_years;
        let own = &scenario.strategies[strategy];
        let plain = own.effects.is_empty() && own.covariate_effects.is_empty();
        if plain && self.plain && self.n_states == n && self.unchanged.len() == n_cycles {
            return Ok(());
        }
        self.plain = false;
        self.shifting = !own.covariate_effects.is_empty();
        self.n_states = n;
        let reset = |v: &mut Vec<f64>, len: usize, x: f64| {
            v.clear();
            v.resize(len, x);
        };
        reset(&mut self.hazard_ratio, n_cycles * n * n, 1.0);
        reset(&mut self.relative_risk, n_cycles * n * n, 1.0);
        reset(&mut self.covariate_shift, n_cycles * MAX_COVARIATE_VARIABLES, 0.0);
        let mut problems = Vec::new();
        for effect in &own.effects {
            let timed = effect.is_timed();
            let at = |t: usize| At::cycle_start(t, dt);
            let mut course = EffectCourse {
                value: if timed { effect.multiplier_at(values, &at(0)) } else { effect.multiplier(values) },
                onset_years: effect.onset.years(values),
                duration_years: effect.duration.map_or(f64::INFINITY, |d| d.years(values)),
                waning: WaningYears::from_scenario(effect.waning, values),
            };
            let bad = |what: String, value: f64| {
                let kind = effect_problem(scenario, strategy, effect, values, what, value);
                Problem::new("", None, kind)
            };
            if let Some((what, value)) = course.first_bad_field() {
                problems.push(bad(what.to_string(), value));
                continue;
            }
            let target = match effect.measure {
                EffectMeasure::HazardRatio => &mut self.hazard_ratio,
                EffectMeasure::RelativeRisk => &mut self.relative_risk,
            };
            for t in 0..n_cycles {
                if timed {
                    // The size at the start of each cycle, held through the cycle.
                    course.value = effect.multiplier_at(values, &at(t));
                    if let Some((what, value)) = course.first_bad_field() {
                        problems.push(bad(format!("{what} at cycle {t}"), value));
                        break;
                    }
                }
                let cell = &mut target[(t * n + effect.from) * n + effect.to];
                *cell *= course.cycle_mean(t as f64 * dt, (t + 1) as f64 * dt);
                if !cell.is_finite() {
                    let what =
                        format!("the mean multiplier over cycle {t}, with the other effects on this transition,");
                    problems.push(bad(what, *cell));
                    break;
                }
            }
        }
        covariate_shifts_into(scenario, strategy, values, &mut self.covariate_shift, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        // Only the cells some effect touches can change from one cycle to the next, and the
        // shifts only when some covariate effect applies.
        let mut touched: Vec<usize> = own.effects.iter().map(|e| e.from * n + e.to).collect();
        touched.sort_unstable();
        touched.dedup();
        let same =
            |table: &[f64], t: usize| touched.iter().all(|&c| table[t * n * n + c] == table[(t - 1) * n * n + c]);
        let shifts = |t: usize| &self.covariate_shift[t * MAX_COVARIATE_VARIABLES..(t + 1) * MAX_COVARIATE_VARIABLES];
        self.unchanged = unchanged_runs(n_cycles, |t| {
            same(&self.hazard_ratio, t)
                && same(&self.relative_risk, t)
                && (!self.shifting || shifts(t) == shifts(t - 1))
        });
        self.plain = plain;
        Ok(())
    }

    /// Mean hazard ratios on the exits of `from` during `cycle`, indexed by the target state.
    #[inline]
    pub fn hazard_ratios(&self, cycle: usize, from: usize) -> &[f64] {
        let start = (cycle * self.n_states + from) * self.n_states;
        &self.hazard_ratio[start..start + self.n_states]
    }

    /// Mean relative risks on the exits of `from` during `cycle`, indexed by the target state.
    #[inline]
    pub fn relative_risks(&self, cycle: usize, from: usize) -> &[f64] {
        let start = (cycle * self.n_states + from) * self.n_states;
        &self.relative_risk[start..start + self.n_states]
    }

    /// The mean shift of each covariate variable during `cycle` (see [`crate::scenario::CovariateEffect`]).
    #[inline]
    pub fn covariate_shifts(&self, cycle: usize) -> &[f64] {
        &self.covariate_shift[cycle * MAX_COVARIATE_VARIABLES..(cycle + 1) * MAX_COVARIATE_VARIABLES]
    }

    /// Does some covariate effect apply (otherwise every shift is 0)?
    #[inline]
    pub fn shifts_covariates(&self) -> bool {
        self.shifting
    }

    /// True when every multiplier and covariate shift of `cycle` equals `other`'s (another
    /// strategy's tables for the same scenario and values), bit for bit.
    pub fn same_cycle_as(&self, other: &EffectTables, cycle: usize) -> bool {
        let cells = cycle * self.n_states * self.n_states..(cycle + 1) * self.n_states * self.n_states;
        same_bits(&self.hazard_ratio[cells.clone()], &other.hazard_ratio[cells.clone()])
            && same_bits(&self.relative_risk[cells.clone()], &other.relative_risk[cells])
            && same_bits(self.covariate_shifts(cycle), other.covariate_shifts(cycle))
    }

    /// True when the multipliers on the exits of state `from` and the covariate shifts of `cycle`
    /// equal `other`'s, bit for bit (what a row of `from` in that cycle is built from).
    pub fn same_state_as(&self, other: &EffectTables, cycle: usize, from: usize) -> bool {
        same_bits(self.hazard_ratios(cycle, from), other.hazard_ratios(cycle, from))
            && same_bits(self.relative_risks(cycle, from), other.relative_risks(cycle, from))
            && same_bits(self.covariate_shifts(cycle), other.covariate_shifts(cycle))
    }

    /// How many cycles from `cycle` on have every multiplier and covariate shift of the cycle
    /// before (0 for cycle 0).
    #[inline]
    pub fn unchanged_from(&self, cycle: usize) -> usize {
        self.unchanged[cycle] as usize
    }
}

/// Describes a broken effect: strategy, transition, measure, and the parameters it reads.
fn effect_problem(
    scenario: &Scenario,
    strategy: usize,
    effect: &Effect,
    values: &[f64],
    what: String,
    value: f64,
) -> ProblemKind {
    let name = |i: usize| format!("{} = {}", scenario.parameters[i].name, super::readable(values[i]));
    let mut inputs: Vec<String> = Vec::new();
    for v in [Some(&effect.value), effect.hr_per_meld_point.as_ref()].into_iter().flatten() {
        for i in scenario.inputs(v) {
            inputs.push(name(i));
        }
    }
    let waning = match effect.waning {
        ScenarioWaning::None => None,
        ScenarioWaning::Linear(t) | ScenarioWaning::Exponential(t) => Some(t),
    };
    for t in [Some(effect.onset), effect.duration, waning].into_iter().flatten() {
        if let TimeValue::Parameter(i, _) = t {
            inputs.push(name(i));
        }
    }
    ProblemKind::EffectNotFinite {
        strategy: scenario.strategies[strategy].name.clone(),
        from: scenario.states[effect.from].name.clone(),
        to: scenario.states[effect.to].name.clone(),
        measure: match (effect.measure, &effect.hr_per_meld_point) {
            (EffectMeasure::HazardRatio, Some(_)) => "hazard ratio through MELD",
            (EffectMeasure::HazardRatio, None) => "hazard ratio",
            (EffectMeasure::RelativeRisk, _) => "relative risk",
        },
        what,
        value,
        inputs: if inputs.is_empty() { String::new() } else { format!(" (from {})", inputs.join(", ")) },
    }
}

fn overlap(a: f64, b: f64, lo: f64, hi: f64) -> f64 {
    (b.min(hi) - a.max(lo)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_runs_count_the_cycles_that_repeat_the_one_before() {
        let x = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0];
        assert_eq!(unchanged_runs(x.len(), |k| x[k] == x[k - 1]), [0, 2, 1, 0, 1, 0]);
        assert_eq!(unchanged_runs(4, |_| true), [0, 3, 2, 1]);
        assert_eq!(unchanged_runs(1, |_| true), [0]);
        assert!(unchanged_runs(0, |_| true).is_empty());
    }

    fn course(waning: WaningYears) -> EffectCourse {
        EffectCourse { value: 0.6, onset_years: 0.25, duration_years: 0.5, waning }
    }

    /// Midpoint rule with many points: the obviously correct reference.
    fn numeric_mean(e: &EffectCourse, a: f64, b: f64) -> f64 {
        let n = 200_000;
        let h = (b - a) / n as f64;
        (0..n).map(|i| e.at(a + (i as f64 + 0.5) * h)).sum::<f64>() / n as f64
    }

    #[test]
    fn closed_form_matches_numeric_integration() {
        for waning in [
            WaningYears::None,
            WaningYears::Linear { over_years: 0.4 },
            WaningYears::Exponential { half_life_years: 0.3 },
        ] {
            let e = course(waning);
            for (a, b) in [(0.0, 1.0 / 12.0), (0.2, 0.3), (0.5, 1.0), (0.7, 0.9), (0.0, 2.0), (3.0, 4.0)] {
                let exact = e.cycle_mean(a, b);
                let numeric = numeric_mean(&e, a, b);
                assert!((exact - numeric).abs() < 1e-6, "{waning:?} [{a},{b}): {exact} vs {numeric}");
            }
        }
    }

    #[test]
    fn shape_of_the_course() {
        let e = course(WaningYears::Linear { over_years: 0.4 });
        assert_eq!(e.at(0.0), 1.0);
        assert_eq!(e.at(0.3), 0.6);
        assert!((e.at(0.95) - 0.8).abs() < 1e-12); // half way through the waning
        assert_eq!(e.at(2.0), 1.0);
        let x = course(WaningYears::Exponential { half_life_years: 0.3 });
        assert!((x.at(0.75 + 0.3) - 0.8).abs() < 1e-12); // distance from 1 halved
        let none = course(WaningYears::None);
        assert_eq!(none.cycle_mean(1.0, 2.0), 1.0);
        let forever =
            EffectCourse { value: 0.5, onset_years: 0.0, duration_years: f64::INFINITY, waning: WaningYears::None };
        assert_eq!(forever.cycle_mean(10.0, 11.0), 0.5);
    }

    /// The mean of a course whose strength is 1 on [onset, onset + duration) and 0 elsewhere:
    /// 1 + (v - 1) * |cycle and full-strength overlap| / |cycle|.
    fn box_mean(v: f64, onset: f64, duration: f64, a: f64, b: f64) -> f64 {
        1.0 + (v - 1.0) * overlap(a, b, onset, onset + duration) / (b - a)
    }

    #[test]
    fn zero_length_waning_stops_the_effect_at_once() {
        let none = course(WaningYears::None);
        for waning in [WaningYears::Linear { over_years: 0.0 }, WaningYears::Exponential { half_life_years: 0.0 }] {
            let e = course(waning);
            for (a, b) in [(0.0, 1.0 / 12.0), (0.2, 0.3), (0.7, 0.75), (0.75, 0.8), (0.5, 1.0), (0.0, 2.0), (3.0, 4.0)]
            {
                let got = e.cycle_mean(a, b);
                assert!(got.is_finite(), "{waning:?} [{a},{b}): {got}");
                assert!((got - box_mean(0.6, 0.25, 0.5, a, b)).abs() < 1e-15, "{waning:?} [{a},{b}): {got}");
                assert_eq!(got, none.cycle_mean(a, b));
            }
            // At the end of the full-strength period exactly: 0/0 before the fix, now 1.
            assert_eq!(e.at(0.75), 1.0);
            assert_eq!(e.at(0.8), 1.0);
        }
        // A half-life so small that ln 2 / half-life overflows behaves as 0.
        let tiny = course(WaningYears::Exponential { half_life_years: 1e-310 });
        assert_eq!(tiny.cycle_mean(0.5, 1.0), box_mean(0.6, 0.25, 0.5, 0.5, 1.0));
    }

    #[test]
    fn zero_duration_means_waning_from_the_onset() {
        // Linear waning over 0.4 years from the onset at 0.25: strength 1 - (s - 0.25) / 0.4.
        let e = EffectCourse {
            value: 0.6,
            onset_years: 0.25,
            duration_years: 0.0,
            waning: WaningYears::Linear { over_years: 0.4 },
        };
        // Over [0, 1): integral of the strength is 0.4 / 2 = 0.2.
        assert!((e.cycle_mean(0.0, 1.0) - (1.0 - 0.4 * 0.2)).abs() < 1e-15);
        assert_eq!(e.at(0.25), 0.6);
        // Exponential with half-life 0.3 from 0.25 over [0.25, 0.55): integral (1 - 1/2) * 0.3 / ln 2.
        let x = EffectCourse { waning: WaningYears::Exponential { half_life_years: 0.3 }, ..e };
        let integral = 0.5 * 0.3 / std::f64::consts::LN_2;
        assert!((x.cycle_mean(0.25, 0.55) - (1.0 - 0.4 * integral / 0.3)).abs() < 1e-15);
        // No full-strength period and no waning: no effect at all.
        for waning in [
            WaningYears::None,
            WaningYears::Linear { over_years: 0.0 },
            WaningYears::Exponential { half_life_years: 0.0 },
        ] {
            let z = EffectCourse { waning, ..e };
            for (a, b) in [(0.0, 0.25), (0.0, 1.0), (0.25, 0.26), (0.2, 0.3)] {
                assert_eq!(z.cycle_mean(a, b), 1.0, "{waning:?} [{a},{b})");
            }
        }
    }

    #[test]
    fn empty_cycle_gives_the_value_at_its_start() {
        let e = course(WaningYears::Linear { over_years: 0.4 });
        for t in [0.0, 0.25, 0.5, 0.75, 0.95, 2.0] {
            assert_eq!(e.cycle_mean(t, t), e.at(t));
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let good = course(WaningYears::Exponential { half_life_years: 0.3 });
        assert_eq!(good.first_bad_field(), None);
        let forever = EffectCourse { duration_years: f64::INFINITY, ..good };
        assert_eq!(forever.first_bad_field(), None);
        let cases = [
            (EffectCourse { value: f64::INFINITY, ..good }, "the multiplier at full strength"),
            (EffectCourse { value: f64::NAN, ..good }, "the multiplier at full strength"),
            (EffectCourse { value: -0.5, ..good }, "the multiplier at full strength"),
            (EffectCourse { onset_years: f64::NAN, ..good }, "the onset"),
            (EffectCourse { duration_years: f64::NAN, ..good }, "the full-strength duration"),
            (EffectCourse { duration_years: -1.0, ..good }, "the full-strength duration"),
            (course(WaningYears::Linear { over_years: f64::INFINITY }), "the waning period"),
            (course(WaningYears::Exponential { half_life_years: -1.0 }), "the waning half-life"),
        ];
        for (c, field) in cases {
            assert_eq!(c.first_bad_field().map(|f| f.0), Some(field), "{c:?}");
        }
    }
}
