//! The built model: per-cycle transition probabilities for every strategy, sub-cohort and state.
//!
//! Receives a checked [`Scenario`] and a vector of parameter values (the base case, or later a
//! PSA draw); hands the engines a [`Model`] whose rows can be stepped without any further check.
//!
//! Time dependence is handled without expanding the whole horizon into tunnel states:
//! - *time in state* (e.g. transplant year 1 vs later): a state whose exits change at time-in-state
//!   boundaries gets one "slot" per cycle up to its last boundary, and one slot for everything
//!   after. The transplant state of the default scenario needs 13 slots, however long the horizon;
//! - *age*: background mortality comes from the life table at the age reached in each cycle, so
//!   each sub-cohort (start age x sex) has its own rows;
//! - *treatment effects*: their multipliers depend on model time, so each cycle has its own rows.
//!
//! The build reads as its stages, one file each: [`slots`] (time-in-state buckets per state),
//! [`groups`] (sub-cohorts and their background hazard per cycle), [`effect`] (effect multipliers
//! per strategy and cycle), [`rows`] (one transition row per slot, stored in blocks of identical
//! cycles, each checked once to be finite and to sum to 1) and [`valuation`] (costs, QALYs and
//! life years per cycle, each checked once to be finite). Nothing that is not a number leaves the
//! build: every NaN or infinity becomes an [`Error::Invalid`] naming where it came from.

pub mod convert;
pub mod effect;
pub mod groups;
pub mod rows;
pub mod slots;
pub mod subgroups;
pub mod valuation;
pub mod value_check;

use crate::error::{Error, Problem, Result};
use crate::scenario::Scenario;
use crate::scenario::State;
use crate::scenario::formula::MAX_COVARIATE_VARIABLES;
use crate::scenario::life_table::Sex;
use rows::{RowBuilder, RowStore};
use slots::SlotLayout;

/// A sub-cohort (a profile): everyone with the same start age, sex and covariate cells.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Group {
    pub start_age: f64,
    /// `None` when the model has no background mortality (sex then plays no part).
    pub sex: Option<Sex>,
    /// Share of the cohort.
    pub weight: f64,
    /// The covariate variables formulas read (see [`crate::scenario::population`]); 0 in unused slots.
    pub covariates: [f64; MAX_COVARIATE_VARIABLES],
    /// The cell (level or stratum index) of each of the population's covariates, in order.
    pub cells: [u16; MAX_COVARIATE_VARIABLES],
}

impl Group {
    /// A sub-cohort without covariates.
    pub fn new(start_age: f64, sex: Option<Sex>, weight: f64) -> Group {
        Group {
            start_age,
            sex,
            weight,
            covariates: [0.0; MAX_COVARIATE_VARIABLES],
            cells: [0; MAX_COVARIATE_VARIABLES],
        }
    }
}

/// A (state, time-in-state bucket) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub state: usize,
    /// Full cycles spent in the state, capped at the state's last time-in-state boundary.
    pub bucket: usize,
}

/// One way out of a slot in one cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exit {
    pub to_slot: u32,
    pub to_state: u32,
    pub probability: f64,
    /// Cumulative probability up to and including this exit; the last one is exactly 1.
    pub cumulative: f64,
}

/// Everything the engines need, checked.
#[derive(Debug, Clone)]
pub struct Model {
    pub states: Vec<State>,
    pub strategy_names: Vec<String>,
    pub strategy_labels: Vec<String>,
    pub cycle_length_years: f64,
    pub n_cycles: usize,
    pub groups: Vec<Group>,
    /// Share of the whole cohort starting in each state (over all sub-cohorts).
    pub initial: Vec<f64>,
    /// Per sub-cohort, its own start mix when profiles start apart (a patients file's
    /// `start_state` column, or start shares that are formulas or drawn parameters); empty when
    /// every sub-cohort starts as `initial`. Read through [`Model::start_of`].
    group_starts: Vec<Vec<f64>>,
    /// A start that replaces every sub-cohort's (a calibration target's start state); see
    /// [`Model::start_wholly_in`].
    start_override: Option<Vec<f64>>,
    layout: SlotLayout,
    n_states: usize,
    /// Value tables (costs, QALYs, life years); `None` without `[economics]`. One per strategy,
    /// or, when some cost or utility reads the profile (age, sex, a covariate), one per
    /// (strategy, sub-cohort), strategy-major: read them through [`Model::valuation`]. In a
    /// model from [`Model::build_outcomes`] rebuilt for a PSA draw, they keep the first build's
    /// numbers: its outcomes come from [`Model::outcome_values`], not from the tables.
    pub valuations: Option<Vec<valuation::Valuation>>,
    /// Tables per (strategy, sub-cohort) rather than per strategy (see [`Model::valuation`]).
    values_by_profile: bool,
    /// Names of the cost categories, in the order of their quantities.
    pub cost_categories: Vec<String>,
    rows: RowStore,
    /// What [`Model::rebuild`] reuses: the sub-cohorts' background hazards (they do not
    /// depend on the parameter values), the plan of the value tables, and scratch space.
    background: groups::Background,
    plan: Option<valuation::Plan>,
    /// The reward values and infusions of the values the model was last built with, per table:
    /// what the headline outcomes are computed from ([`Model::outcome_values`]).
    draw_values: valuation::DrawValues,
    /// Built by [`Model::build_outcomes`]: [`Model::rebuild`] refreshes the draw values only,
    /// and the value tables keep the numbers of the first build (only their layout is read).
    outcomes_only: bool,
    scratch: Scratch,
}

/// Buffers a rebuild reuses.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// The parameter values with the derived ones completed.
    completed: Vec<f64>,
    /// The reward values of the value tables.
    rewards: Vec<f64>,
}

impl Model {
    /// Builds the model with the scenario's base-case parameter values.
    ///
    /// # Errors
    /// As [`Model::build`].
    pub fn from_scenario(scenario: &Scenario) -> Result<Model> {
        Model::build(scenario, &scenario.base_values())
    }

    /// Builds the model with the given parameter values (indexed like `scenario.parameters`), in
    /// the order of the module documentation: slots, sub-cohorts, background hazards, effect
    /// multipliers and rows per strategy, then the value tables. Every row is checked once to be
    /// finite and to sum to 1 within 1e-9, and every value to be finite.
    ///
    /// # Errors
    /// [`Error::Invalid`] listing every problem found:
    /// - [`ProblemKind::OutOfRange`] when a used parameter's value is outside its kind's range
    ///   (possible for values that did not come from the scenario file, e.g. a PSA draw);
    /// - [`ProblemKind::RowSum`] for each state whose exits sum above 1 in some cycle (first
    ///   such cycle per strategy and state);
    /// - [`ProblemKind::EffectNotFinite`] and [`ProblemKind::RateNotANumber`] for an effect or a
    ///   rate that does not resolve to a number;
    /// - [`ProblemKind::ValueNotFinite`] for a cost, QALY or life-year entry that is not finite;
    /// - [`ProblemKind::RowNotDistribution`] if a built row is still not a probability
    ///   distribution (a bug).
    ///
    /// [`ProblemKind::OutOfRange`]: crate::ProblemKind::OutOfRange
    /// [`ProblemKind::RowSum`]: crate::ProblemKind::RowSum
    /// [`ProblemKind::EffectNotFinite`]: crate::ProblemKind::EffectNotFinite
    /// [`ProblemKind::RateNotANumber`]: crate::ProblemKind::RateNotANumber
    /// [`ProblemKind::ValueNotFinite`]: crate::ProblemKind::ValueNotFinite
    /// [`ProblemKind::RowNotDistribution`]: crate::ProblemKind::RowNotDistribution
    pub fn build(scenario: &Scenario, values: &[f64]) -> Result<Model> {
        Model::build_keeping(scenario, values, false)
    }

    /// As [`Model::build`], with value tables for discounted cost, discounted QALYs and life
    /// years only ([`valuation::OUTCOMES`]): what a cohort PSA draw needs, built faster.
    ///
    /// # Errors
    /// As [`Model::build`].
    pub fn build_outcomes(scenario: &Scenario, values: &[f64]) -> Result<Model> {
        Model::build_keeping(scenario, values, true)
    }

    fn build_keeping(scenario: &Scenario, values: &[f64], outcomes_only: bool) -> Result<Model> {
        let invalid = |problems: Vec<Problem>| Error::Invalid { file: scenario.file.clone(), problems };
        // Derived parameters follow their inputs, whatever made the values.
        let mut scratch = Scratch::default();
        let values = complete(scenario, values, &mut scratch.completed);
        check_parameter_values(scenario, values).map_err(invalid)?;
        let layout = SlotLayout::new(scenario);
        let groups = groups::sub_cohorts(scenario);
        let background = groups::Background::new(scenario, &groups);
        let rows = RowBuilder::new(scenario, values, &layout, &groups, &background).build().map_err(invalid)?;
        let (group_starts, initial) = starts(scenario, &groups, values).map_err(invalid)?;
        let kept = outcomes_only.then_some(valuation::OUTCOMES);
        let plan = valuation::Plan::new(scenario, values, &layout.slots, kept, &groups);
        let valuations = valuation::build_with(plan.as_ref(), scenario, values, &layout.slots).map_err(invalid)?;
        let mut draw_values = valuation::DrawValues::default();
        if let Some(plan) = &plan {
            valuation::draw_values_into(plan, scenario, values, &layout.slots, &mut draw_values).map_err(invalid)?;
        }
        Ok(Model {
            valuations,
            values_by_profile: plan.as_ref().is_some_and(valuation::Plan::by_profile),
            cost_categories: valuation::cost_categories(scenario),
            states: scenario.states.clone(),
            strategy_names: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            strategy_labels: scenario.strategies.iter().map(|s| s.label.clone()).collect(),
            cycle_length_years: scenario.cycle_length_years,
            n_cycles: scenario.n_cycles,
            group_starts,
            groups,
            initial,
            start_override: None,
            layout,
            n_states: scenario.states.len(),
            rows,
            background,
            plan,
            draw_values,
            outcomes_only,
            scratch,
        })
    }

    /// Rebuilds this model, made by [`Model::build`] or [`Model::build_outcomes`] from the same
    /// scenario, for new parameter values (a PSA draw): the rows and the value tables (the same
    /// quantities as before) are refilled in the memory they already have, and what does not
    /// depend on the values (slots, sub-cohorts, background hazards, the value tables' plan) is
    /// kept. The result is the model [`Model::build`] would give, number for number.
    ///
    /// # Errors
    /// As [`Model::build`]. After an error the model is incomplete and must not be used.
    pub fn rebuild(&mut self, scenario: &Scenario, values: &[f64]) -> Result<()> {
        let invalid = |problems: Vec<Problem>| Error::Invalid { file: scenario.file.clone(), problems };
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = (|| {
            let values = complete(scenario, values, &mut scratch.completed);
            check_parameter_values(scenario, values).map_err(invalid)?;
            RowBuilder::new(scenario, values, &self.layout, &self.groups, &self.background)
                .build_into(&mut self.rows)
                .map_err(invalid)?;
            // Start shares that are parameters or formulas follow the draw.
            if !scenario.cohort.start_values.is_empty() {
                (self.group_starts, self.initial) = starts(scenario, &self.groups, values).map_err(invalid)?;
            }
            let (Some(plan), Some(tables)) = (self.plan.as_mut(), self.valuations.as_mut()) else {
                return Ok(());
            };
            // A draw of a discount rate changes every factor: plan again, keeping the quantities.
            if !plan.fits(scenario, values) {
                *plan =
                    valuation::Plan::new(scenario, values, &self.layout.slots, Some(plan.n_quantities()), &self.groups)
                        .expect("the model was built with [economics]");
            }
            if !self.outcomes_only {
                valuation::rebuild(plan, scenario, values, &self.layout.slots, tables, &mut scratch.rewards)
                    .map_err(invalid)?;
            }
            valuation::draw_values_into(plan, scenario, values, &self.layout.slots, &mut self.draw_values)
                .map_err(invalid)
        })();
        self.scratch = scratch;
        result
    }

    /// The value tables of `strategy` for the sub-cohort `group`: the strategy's own when values
    /// are the same for every profile, the (strategy, group) tables when some cost or utility
    /// reads the profile ([`Model::values_by_profile`]); `None` without `[economics]`.
    #[inline]
    pub fn valuation(&self, strategy: usize, group: usize) -> Option<&valuation::Valuation> {
        let tables = self.valuations.as_ref()?;
        tables.get(self.valuation_index(strategy, group))
    }

    /// What the discounted cost, discounted QALYs and life years of `strategy` for the
    /// sub-cohort `group` are computed from ([`valuation::Plan::outcomes`]): the plan, and the
    /// reward values and infusions of the values the model was last built with; `None` without
    /// `[economics]`.
    pub fn outcome_values(
        &self,
        strategy: usize,
        group: usize,
    ) -> Option<(&valuation::Plan, &[f64], &[valuation::Infusion])> {
        let plan = self.plan.as_ref()?;
        let k = self.valuation_index(strategy, group);
        Some((plan, self.draw_values.rewards.get(k)?, self.draw_values.infusions.get(k)?))
    }

    /// The index in [`Model::valuations`] of the tables of (`strategy`, `group`).
    #[inline]
    pub fn valuation_index(&self, strategy: usize, group: usize) -> usize {
        if self.values_by_profile { strategy * self.groups.len() + group } else { strategy }
    }

    /// Do the value tables differ by profile (some cost or utility reads age, sex or a
    /// covariate)? Then a cohort is valued sub-cohort by sub-cohort, each with its own tables,
    /// and the totals are summed with the sub-cohorts' weights.
    pub fn values_by_profile(&self) -> bool {
        self.values_by_profile
    }

    /// The slots (state x time-in-state bucket), in row order.
    #[inline]
    pub fn slots(&self) -> &[Slot] {
        &self.layout.slots
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of strategies.
    pub fn n_strategies(&self) -> usize {
        self.strategy_names.len()
    }

    /// The share of sub-cohort `group` starting in each state: a calibration target's start
    /// when one is set ([`Model::start_wholly_in`]), else its own mix when profiles start apart,
    /// else the cohort's.
    #[inline]
    pub fn start_of(&self, group: usize) -> &[f64] {
        match &self.start_override {
            Some(start) => start,
            None => self.group_starts.get(group).unwrap_or(&self.initial),
        }
    }

    /// The share of the whole cohort starting in each state (as [`Model::start_of`], over all
    /// sub-cohorts).
    pub fn start_mix(&self) -> &[f64] {
        self.start_override.as_deref().unwrap_or(&self.initial)
    }

    /// Starts every sub-cohort wholly in `state` (a calibration target's cohort), or as the
    /// scenario says with `None`.
    pub fn start_wholly_in(&mut self, state: Option<usize>) {
        self.start_override = state.map(|i| (0..self.n_states).map(|s| if s == i { 1.0 } else { 0.0 }).collect());
    }

    /// The slot a patient entering `state` starts in.
    pub fn entry_slot(&self, state: usize) -> usize {
        self.layout.first_slot[state]
    }

    /// Index of the first of the rows used by (strategy, group) in each cycle, for fast stepping:
    /// the row of `slot` in cycle `t` is `cycle_rows(strategy, group)(t) + slot`.
    #[inline]
    pub fn cycle_rows(&self, strategy: usize, group: usize) -> impl Fn(usize) -> usize + '_ {
        let base = (strategy * self.groups.len() + group) * self.n_cycles;
        let n_slots = self.layout.slots.len();
        move |t| self.rows.blocks[base + t] as usize * n_slots
    }

    /// Flat index of a row.
    #[inline]
    pub fn row_index(&self, strategy: usize, group: usize, cycle: usize, slot: usize) -> usize {
        self.rows.blocks[(strategy * self.groups.len() + group) * self.n_cycles + cycle] as usize
            * self.layout.slots.len()
            + slot
    }

    /// The exits of a slot in a cycle (empty for absorbing states).
    #[inline]
    pub fn row(&self, strategy: usize, group: usize, cycle: usize, slot: usize) -> &[Exit] {
        self.row_at(self.row_index(strategy, group, cycle, slot))
    }

    /// Number of distinct blocks of rows stored (a measure of the model's memory).
    pub fn n_row_blocks(&self) -> usize {
        self.rows.n_blocks()
    }

    /// The rows of every slot in one cycle, for stepping a whole cycle: the exits of slot i are
    /// the first `lens[i]` of `exits[i * n_states..(i + 1) * n_states]`.
    #[inline]
    pub fn cycle_block(&self, strategy: usize, group: usize, cycle: usize) -> (&[Exit], &[u32]) {
        self.block(self.cycle_blocks(strategy, group)[cycle])
    }

    /// The number of the block of rows each cycle of (`strategy`, `group`) uses, cycle by cycle:
    /// cycles with the same number share their rows ([`Model::block`]).
    #[inline]
    pub fn cycle_blocks(&self, strategy: usize, group: usize) -> &[u32] {
        let first = (strategy * self.groups.len() + group) * self.n_cycles;
        &self.rows.blocks[first..first + self.n_cycles]
    }

    /// The rows of block `block` (a number from [`Model::cycle_blocks`]), laid out as
    /// [`Model::cycle_block`] gives them.
    #[inline]
    pub fn block(&self, block: u32) -> (&[Exit], &[u32]) {
        let n_slots = self.layout.slots.len();
        let first = block as usize * n_slots;
        (
            &self.rows.exits[first * self.n_states..(first + n_slots) * self.n_states],
            &self.rows.lens[first..first + n_slots],
        )
    }

    /// The exits of the row at a flat index (see [`Model::row_index`]).
    #[inline]
    pub fn row_at(&self, r: usize) -> &[Exit] {
        self.rows.row_at(r)
    }

    /// The per-cycle transition matrix between states (not slots) for one strategy, group, cycle
    /// and time-in-state bucket per state (bucket 0 = just entered), for display.
    pub fn state_matrix(&self, strategy: usize, group: usize, cycle: usize) -> Vec<Vec<f64>> {
        let mut m = vec![vec![0.0; self.n_states]; self.n_states];
        for (s, row) in m.iter_mut().enumerate() {
            if self.states[s].absorbing {
                row[s] = 1.0;
                continue;
            }
            for e in self.row(strategy, group, cycle, self.layout.first_slot[s]) {
                row[e.to_state as usize] += e.probability;
            }
        }
        m
    }
}

/// A number for a message: as written for everyday sizes, in exponent form (1.5e308) for very
/// large or very small ones, whose full decimal expansion would run to hundreds of digits.
pub(crate) fn readable(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-6..1e15).contains(&x.abs()) { format!("{x:e}") } else { format!("{x}") }
}

/// The values with the derived parameters computed from their inputs (in `buffer`), or the
/// values themselves when the scenario has no derived parameters.
fn complete<'a>(scenario: &Scenario, values: &'a [f64], buffer: &'a mut Vec<f64>) -> &'a [f64] {
    if scenario.derived_order.is_empty() {
        return values;
    }
    buffer.clear();
    buffer.extend_from_slice(values);
    scenario.complete_values(buffer);
    buffer
}

/// Checks the values of the parameters the model uses against their kinds' ranges.
fn check_parameter_values(scenario: &Scenario, values: &[f64]) -> std::result::Result<(), Vec<Problem>> {
    // A derived parameter that changes with model time has no single value: it is checked where
    // it is used, in every cycle (see `rows`).
    let checked = |p: &crate::scenario::Parameter| p.formula.as_ref().is_none_or(|f| f.depends().is_constant());
    // Every value in range, as in almost every PSA draw: nothing to gather.
    let params = &scenario.parameters;
    if params.iter().zip(values).all(|(p, &x)| p.kind.broken_rule(x).is_none() || !checked(p)) {
        return Ok(());
    }
    let problems: Vec<Problem> = params
        .iter()
        .enumerate()
        .filter(|(_, p)| checked(p))
        .filter_map(|(i, p)| {
            let kind = p.kind.check(values[i]).err()?;
            scenario.uses_parameter(i).then(|| Problem::new(format!("parameters.{}", p.name), None, kind))
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Each sub-cohort's start mix (empty when they all start alike) and the whole cohort's.
type StartMixes = (Vec<Vec<f64>>, Vec<f64>);

/// Each sub-cohort's own start mix ([`groups::start_mixes`], empty when they all start alike)
/// and the whole cohort's: their mix weighted by the sub-cohorts' shares, or `[cohort]
/// start_state`'s when they all start alike.
fn starts(scenario: &Scenario, groups: &[Group], values: &[f64]) -> std::result::Result<StartMixes, Vec<Problem>> {
    let by_group = groups::start_mixes(scenario, groups, values)?;
    let mut mix = scenario.cohort.start.clone();
    if !by_group.is_empty() {
        mix.fill(0.0);
        for (g, start) in groups.iter().zip(&by_group) {
            mix.iter_mut().zip(start).for_each(|(x, s)| *x += g.weight * s);
        }
    }
    Ok((by_group, mix))
}

#[cfg(test)]
mod tests;
