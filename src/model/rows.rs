//! Transition rows: the per-cycle probabilities of leaving each slot, built and stored in blocks.
//!
//! Receives the scenario, the parameter values, the slot layout, the sub-cohorts with their
//! background hazards and each strategy's [`EffectTables`]; hands [`super::Model`] a [`RowStore`]
//! whose every row is finite and sums to 1 within 1e-9 (checked once, by [`RowStore::check`]).
//!
//! One row is built in one of two ways (Briggs, Claxton & Sculpher 2006, section 3.3):
//! - *rates* (rates, annual probabilities, probabilities over a period): the exits and the
//!   background hazard are competing risks, p_j = r_j / R (1 - exp(-R dt)), each r_j times its
//!   hazard ratio and each p_j then times its relative risk; staying takes the rest;
//! - *per-cycle probabilities*: used as given (a hazard ratio h turns p into 1 - (1 - p)^h, a
//!   relative risk multiplies it); the complement exit, or staying, takes the rest; background
//!   death comes first and the disease exits apply to the survivors.
//!
//! Consecutive cycles with the same background hazard and effect multipliers share one block of
//! rows (with monthly cycles and yearly ages, about 12 cycles a block), which cuts build time and
//! memory tenfold. Each row keeps at most one exit per state, the "stay" exit first because it is
//! the most likely.

use super::convert::{competing_risks, probability_from_rate, rate_from_probability};
use super::effect::EffectTables;
use super::groups::{Background, describe_group};
use super::slots::SlotLayout;
use super::{Exit, Group, Slot, readable};
use crate::error::{Problem, ProblemKind};
use crate::scenario::{At, Depends, ExitSpec, Modifier, ParameterKind, Scenario, Value};

/// Rows stored flat in blocks: `blocks[(strategy * n_groups + group) * n_cycles + cycle]` names
/// the block of (strategy, group, cycle), whose row for `slot` is `block * n_slots + slot`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStore {
    n_slots: usize,
    n_states: usize,
    pub(super) blocks: Vec<u32>,
    /// `n_states` exits reserved per row, the first `lens[row]` used.
    pub(super) exits: Vec<Exit>,
    pub(super) lens: Vec<u32>,
    /// Some row stored since the last clear is not a probability distribution (its exits are
    /// not finite or do not sum to 1 within 1e-9): [`RowStore::check`] then names it.
    pub(super) bad_row: bool,
    /// Each strategy's effect tables of the last build, kept for their memory.
    effects: Vec<EffectTables>,
    /// The builder's scratch space, likewise.
    scratch: RowScratch,
}

const EMPTY_EXIT: Exit = Exit { to_slot: 0, to_state: 0, probability: 0.0, cumulative: 0.0 };

impl RowStore {
    pub(super) fn new(n_slots: usize, n_states: usize, n_block_refs: usize) -> RowStore {
        RowStore {
            n_slots,
            n_states,
            blocks: Vec::with_capacity(n_block_refs),
            exits: Vec::new(),
            lens: Vec::new(),
            bad_row: false,
            effects: Vec::new(),
            scratch: RowScratch::default(),
        }
    }

    /// Empties the store for a new build, keeping its memory.
    pub(super) fn clear(&mut self, n_slots: usize, n_states: usize) {
        self.n_slots = n_slots;
        self.n_states = n_states;
        self.blocks.clear();
        self.exits.clear();
        self.lens.clear();
        self.bad_row = false;
    }

    /// Number of blocks stored.
    pub fn n_blocks(&self) -> usize {
        self.lens.len() / self.n_slots
    }

    /// The next `n` cycles use the same block as the previous one.
    fn repeat_previous(&mut self, n: usize) {
        let previous = *self.blocks.last().expect("a block for the previous cycle");
        self.blocks.resize(self.blocks.len() + n, previous);
    }

    /// The next cycle uses the block at `reference`, an earlier entry of the block list (the
    /// first strategy's block of the same sub-cohort and cycle).
    fn reuse(&mut self, reference: usize) {
        let block = self.blocks[reference];
        self.blocks.push(block);
    }

    /// Opens a new block of empty rows for the next cycle and returns its index.
    pub(super) fn open_block(&mut self) -> usize {
        let block = self.n_blocks();
        self.blocks.push(block as u32);
        self.exits.resize((block + 1) * self.n_slots * self.n_states, EMPTY_EXIT);
        self.lens.resize((block + 1) * self.n_slots, 0);
        block
    }

    /// Stores the row of `slot` in `block` from per-state probabilities: stay first, then the
    /// other exits in state order, zero probabilities left out; the last cumulative is exactly 1.
    pub(super) fn store(&mut self, block: usize, slot_index: usize, slot: Slot, layout: &SlotLayout, prob: &[f64]) {
        let row = block * self.n_slots + slot_index;
        let s = slot.state;
        let stay_slot = layout.stay_slot(slot);
        let base = row * self.n_states;
        let mut n = 0;
        let mut cumulative = 0.0;
        for j in std::iter::once(s).chain((0..self.n_states).filter(|&j| j != s)) {
            let p = prob[j];
            if p <= 0.0 {
                continue;
            }
            cumulative += p;
            let to_slot = if j == s { stay_slot } else { layout.first_slot[j] };
            self.exits[base + n] = Exit { to_slot: to_slot as u32, to_state: j as u32, probability: p, cumulative };
            n += 1;
        }
        // The sum the final check would take (the exits in stored order), taken here for free.
        self.bad_row |= !(cumulative.is_finite() && (cumulative - 1.0).abs() <= 1e-9);
        if n > 0 {
            self.exits[base + n - 1].cumulative = 1.0;
        }
        self.lens[row] = n as u32;
    }

    /// Copies the row of `slot_index` in the block of an earlier entry of the block list,
    /// `reference` (the first strategy's block of the same sub-cohort and cycle), into `block`.
    fn copy_row(&mut self, block: usize, slot_index: usize, reference: usize) {
        let from = self.blocks[reference] as usize * self.n_slots + slot_index;
        let to = block * self.n_slots + slot_index;
        let n = self.n_states;
        self.exits.copy_within(from * n..(from + 1) * n, to * n);
        self.lens[to] = self.lens[from];
    }

    /// Drops the block just built if it equals the block of the cycle before, which the cycle
    /// then shares.
    fn keep_if_new(&mut self) {
        let n = self.blocks.len();
        let (last, previous) = (self.blocks[n - 1] as usize, self.blocks[n - 2] as usize);
        if last == previous {
            return;
        }
        let rows = |b: usize| b * self.n_slots..(b + 1) * self.n_slots;
        let exits = |b: usize| b * self.n_slots * self.n_states..(b + 1) * self.n_slots * self.n_states;
        let same = self.lens[rows(last)] == self.lens[rows(previous)]
            && self.exits[exits(last)].iter().zip(&self.exits[exits(previous)]).all(|(a, b)| {
                a.to_slot == b.to_slot
                    && a.to_state == b.to_state
                    && a.probability.to_bits() == b.probability.to_bits()
                    && a.cumulative.to_bits() == b.cumulative.to_bits()
            });
        if same {
            self.exits.truncate(last * self.n_slots * self.n_states);
            self.lens.truncate(last * self.n_slots);
            self.blocks[n - 1] = previous as u32;
        }
    }

    /// The exits of the row at a flat index.
    #[inline]
    pub fn row_at(&self, r: usize) -> &[Exit] {
        &self.exits[r * self.n_states..r * self.n_states + self.lens[r] as usize]
    }

    /// Checks every stored row once: the exits of a non-absorbing state are finite and sum to 1
    /// within 1e-9. Returns one [`ProblemKind::RowNotDistribution`] per (strategy, state) that
    /// fails, at its first failing cycle.
    pub fn check(&self, scenario: &Scenario, layout: &SlotLayout, groups: &[Group]) -> Vec<Problem> {
        let n_cycles = scenario.n_cycles;
        let mut problems = Vec::new();
        let mut checked = vec![false; self.n_blocks()];
        for (si, strategy) in scenario.strategies.iter().enumerate() {
            let mut reported = vec![false; self.n_states];
            for (gi, group) in groups.iter().enumerate() {
                for t in 0..n_cycles {
                    let block = self.blocks[(si * groups.len() + gi) * n_cycles + t] as usize;
                    if std::mem::replace(&mut checked[block], true) {
                        continue;
                    }
                    for (slot_index, slot) in layout.slots.iter().enumerate() {
                        let s = slot.state;
                        if scenario.states[s].absorbing || reported[s] {
                            continue;
                        }
                        let sum: f64 =
                            self.row_at(block * self.n_slots + slot_index).iter().map(|e| e.probability).sum();
                        if !(sum.is_finite() && (sum - 1.0).abs() <= 1e-9) {
                            reported[s] = true;
                            let kind = ProblemKind::RowNotDistribution {
                                from: scenario.states[s].name.clone(),
                                strategy: strategy.name.clone(),
                                cycle: t,
                                sum,
                                group: describe_group(scenario, group, groups.len()),
                            };
                            problems.push(Problem::new("", None, kind));
                        }
                    }
                }
            }
        }
        problems
    }
}

/// Why a row could not be built.
enum RowError {
    /// A derived parameter that changes with model time is outside its kind's range here.
    Derived { parameter: usize, value: f64, rule: &'static str },
    /// An infinite rate times a hazard ratio of 0.
    NotANumber { transition: usize, hazard_ratio: f64 },
    /// A formula's value outside the range of what it is used as (or not a number); `modifier`
    /// when it is the exit's natural-history modifier rather than its number.
    Formula { transition: usize, value: f64, rule: &'static str, modifier: bool },
}

/// The number an exit specification holds and the key it is written under.
fn spec_value(spec: &ExitSpec) -> Option<(&Value, &'static str)> {
    let field = match spec {
        ExitSpec::Rate(_) => "rate",
        ExitSpec::AnnualProbability(_) => "annual_probability",
        ExitSpec::ProbabilityOver { .. } => "probability",
        ExitSpec::CycleProbability(_) => "cycle_probability",
        ExitSpec::Complement => return None,
    };
    spec.value().map(|v| (v, field))
}

/// The range rule a value of `spec` breaks, if any.
fn spec_rule(spec: &ExitSpec, x: f64) -> Option<&'static str> {
    match spec {
        ExitSpec::Rate(_) => ParameterKind::AnnualRate.broken_rule(x),
        ExitSpec::Complement => None,
        _ => ParameterKind::Probability.broken_rule(x),
    }
}

/// A probability with its odds multiplied by `or`: or p / (1 - p + or p) (p itself for or = 1).
fn with_odds_ratio(p: f64, or: f64) -> f64 {
    if or == 1.0 {
        p
    } else if or == 0.0 {
        0.0
    } else {
        or * p / (1.0 - p + or * p)
    }
}

/// Where in model time a row is built: the values of the formula variables for a slot of a
/// sub-cohort in a cycle.
pub fn row_time(dt: f64, group: &Group, cycle: usize, bucket: usize) -> At {
    At {
        age: group.start_age + cycle as f64 * dt,
        state_years: bucket as f64 * dt,
        male: match group.sex {
            Some(crate::scenario::life_table::Sex::Male) => 1.0,
            Some(crate::scenario::life_table::Sex::Female) => 0.0,
            None => f64::NAN,
        },
        covariates: group.covariates,
        ..At::cycle_start(cycle, dt)
    }
}

/// What a strategy's rows may take from the first strategy's, built before them: its effect
/// tables, given when all its rows were built without a problem; rows built from the same
/// inputs (the same transitions and, in that cycle, the same effect multipliers and covariate
/// shifts) are the same, number for number.
#[derive(Clone, Copy)]
struct Reference<'a> {
    effects: Option<&'a EffectTables>,
    /// No transition is strategy-specific, so that a cycle whose effects are the first
    /// strategy's shares its whole block; otherwise rows are copied one by one.
    whole_blocks: bool,
}

/// Builds the rows of every strategy, sub-cohort and cycle.
pub struct RowBuilder<'a> {
    scenario: &'a Scenario,
    values: &'a [f64],
    layout: &'a SlotLayout,
    groups: &'a [Group],
    /// Each sub-cohort's background hazard per cycle, and where it repeats the cycle before.
    background: &'a Background,
    /// Scratch space, reused for every row (and kept in the store from build to build).
    scratch: RowScratch,
}

/// The scratch space of a [`RowBuilder`], kept in the [`RowStore`] so that a PSA draw's build
/// allocates nothing.
#[derive(Debug, Clone, Default)]
pub(super) struct RowScratch {
    disease_rate: Vec<f64>,
    prob: Vec<f64>,
    split: Vec<f64>,
    rates_with_background: Vec<f64>,
    /// Natural-history relative risks and odds ratios per destination, for rate-scale exits
    /// (applied to the per-cycle probability after the competing-risk split).
    modifier_rr: Vec<f64>,
    modifier_or: Vec<f64>,
    /// Slots whose rows are the same in every cycle share a class
    /// ([`SlotLayout::row_class`]); each block computes a class's probabilities once
    /// (`class_prob`, its exit sum in `class_sum`).
    class_done: Vec<bool>,
    class_prob: Vec<f64>,
    class_sum: Vec<f64>,
}

impl RowScratch {
    /// Sized and set for `n` states and `n_classes` row classes, as a new builder's.
    fn prepare(&mut self, n: usize, n_classes: usize) {
        let set = |v: &mut Vec<f64>, len: usize, x: f64| {
            v.clear();
            v.resize(len, x);
        };
        set(&mut self.disease_rate, n, 0.0);
        set(&mut self.prob, n, 0.0);
        set(&mut self.split, n + 1, 0.0);
        set(&mut self.rates_with_background, n + 1, 0.0);
        set(&mut self.modifier_rr, n, 1.0);
        set(&mut self.modifier_or, n, 1.0);
        self.class_done.clear();
        self.class_done.resize(n_classes, false);
        set(&mut self.class_prob, n_classes * n, 0.0);
        set(&mut self.class_sum, n_classes, 0.0);
    }
}

/// Scratch space is not part of a store's value: any two are equal.
impl PartialEq for RowScratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<'a> RowBuilder<'a> {
    /// A builder for the given inputs.
    pub fn new(
        scenario: &'a Scenario,
        values: &'a [f64],
        layout: &'a SlotLayout,
        groups: &'a [Group],
        background: &'a Background,
    ) -> Self {
        RowBuilder { scenario, values, layout, groups, background, scratch: RowScratch::default() }
    }

    /// Builds the rows of all strategies. Returns the store, or every problem found: the exits of
    /// a state summing above 1 ([`ProblemKind::RowSum`], first cycle per strategy and state), an
    /// effect that is not finite, an infinite rate times a hazard ratio of 0, and (a bug) a stored
    /// row that is not a probability distribution.
    pub fn build(self) -> Result<RowStore, Vec<Problem>> {
        let n_refs = self.scenario.strategies.len() * self.groups.len() * self.scenario.n_cycles;
        let mut store = RowStore::new(self.layout.slots.len(), self.scenario.states.len(), n_refs);
        self.build_into(&mut store)?;
        Ok(store)
    }

    /// As [`RowBuilder::build`], into a store from an earlier build (a PSA draw's), whose memory
    /// is reused. After an error the store holds a partial build and must be built again.
    pub fn build_into(mut self, store: &mut RowStore) -> Result<(), Vec<Problem>> {
        let scenario = self.scenario;
        store.clear(self.layout.slots.len(), scenario.states.len());
        self.scratch = std::mem::take(&mut store.scratch);
        self.scratch.prepare(scenario.states.len(), self.layout.n_row_classes);
        let mut problems = Vec::new();
        // A strategy's rows differ from the first strategy's only through its effects, unless
        // some transition applies to some strategies only: where the effects are the same (before
        // an effect's onset, after it ends), its cycles share the first strategy's blocks.
        let shared = !self.layout.strategy_specific;
        // Each strategy's effect tables, in the memory of the store's previous build.
        let mut effects = std::mem::take(&mut store.effects);
        effects.resize_with(scenario.strategies.len(), EffectTables::empty);
        let mut first_ok = false;
        for strategy in 0..scenario.strategies.len() {
            let (before, rest) = effects.split_at_mut(strategy);
            match rest[0].refill(scenario, strategy, self.values) {
                Ok(()) => {
                    // The first strategy's rows are a reference only when all were built.
                    let first = before.first().filter(|_| first_ok && problems.is_empty());
                    let reference = Reference { effects: first, whole_blocks: shared };
                    self.strategy_rows(strategy, &rest[0], reference, store, &mut problems);
                    first_ok |= strategy == 0;
                }
                Err(p) => {
                    // Tables left half-filled are refilled in full next time.
                    rest[0] = EffectTables::empty();
                    problems.extend(p);
                }
            }
        }
        store.effects = effects;
        store.scratch = std::mem::take(&mut self.scratch);
        // Every stored row was summed as it was stored; the full check names a bad one.
        if problems.is_empty() && store.bad_row {
            problems = store.check(scenario, self.layout, self.groups);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// Builds the rows of one strategy for every group and cycle, reusing the previous cycle's
    /// block when nothing changed, and the first strategy's block of the same cycle, or row of
    /// the same slot, when they are built from the same inputs (see [`Reference`]).
    fn strategy_rows(
        &mut self,
        strategy: usize,
        effects: &EffectTables,
        reference: Reference<'_>,
        store: &mut RowStore,
        problems: &mut Vec<Problem>,
    ) {
        let scenario = self.scenario;
        let layout = self.layout;
        let mut reported = vec![false; scenario.states.len()];
        let dt = scenario.cycle_length_years;
        // Exits that change with model time or age: every cycle is built, then kept only if it
        // differs from the one before (an age band or a step function repeats many cycles).
        let timed = layout.timed;
        for (gi, group) in self.groups.iter().enumerate() {
            let hazards = &self.background.hazards[gi];
            // Cycles before `next` are stored.
            let mut next = 0;
            while next < hazards.len() {
                let (t, hazard) = (next, hazards[next]);
                next += 1;
                // A cycle whose hazard and effects are those of the cycle before repeats its
                // block: a run of such cycles is stored in one step, and skipped.
                let run = if timed { 0 } else { self.background.unchanged_from(gi, t).min(effects.unchanged_from(t)) };
                if run > 0 {
                    store.repeat_previous(run);
                    next = t + run;
                    continue;
                }
                // The first strategy's block of this sub-cohort and cycle.
                let first_block = gi * scenario.n_cycles + t;
                let same_cycle = reference.effects.is_some_and(|r| r.same_cycle_as(effects, t));
                if same_cycle && reference.whole_blocks {
                    store.reuse(first_block);
                    continue;
                }
                let block = store.open_block();
                self.scratch.class_done.fill(false);
                let n = scenario.states.len();
                for (slot_index, &slot) in layout.slots.iter().enumerate() {
                    let s = slot.state;
                    if scenario.states[s].absorbing {
                        continue;
                    }
                    // A state whose exits and effects are the first strategy's has its row.
                    let same_row = reference.effects.is_some_and(|r| {
                        layout.exits_from[strategy * n + s] == layout.exits_from[s]
                            && (same_cycle || r.same_state_as(effects, t, s))
                    });
                    if same_row {
                        store.copy_row(block, slot_index, first_block);
                        continue;
                    }
                    let class = layout.row_class[slot_index];
                    let exit_sum = if self.scratch.class_done[class] {
                        self.scratch.prob.copy_from_slice(&self.scratch.class_prob[class * n..(class + 1) * n]);
                        self.scratch.class_sum[class]
                    } else {
                        let inputs = (effects.hazard_ratios(t, s), effects.relative_risks(t, s), hazard);
                        let mut at = row_time(dt, group, t, slot.bucket);
                        // A strategy's covariate effects shift the profile's covariates.
                        if effects.shifts_covariates() {
                            for (x, shift) in at.covariates.iter_mut().zip(effects.covariate_shifts(t)) {
                                *x += shift;
                            }
                        }
                        let exit_sum = match self.probabilities(slot, strategy, inputs, &at) {
                            Ok(sum) => sum,
                            Err(e) => {
                                problems.push(self.row_problem(strategy, t, &at, e));
                                return;
                            }
                        };
                        self.scratch.class_prob[class * n..(class + 1) * n].copy_from_slice(&self.scratch.prob);
                        self.scratch.class_sum[class] = exit_sum;
                        self.scratch.class_done[class] = true;
                        exit_sum
                    };
                    if exit_sum > 1.0 + 1e-9 && !reported[s] {
                        reported[s] = true;
                        let kind = ProblemKind::RowSum {
                            from: scenario.states[s].name.clone(),
                            strategy: scenario.strategies[strategy].name.clone(),
                            cycle: t,
                            sum: (exit_sum.min(f64::MAX) * 1e6).round() / 1e6,
                            group: describe_group(scenario, group, self.groups.len()),
                        };
                        problems.push(Problem::new("", None, kind));
                    }
                    store.store(block, slot_index, slot, layout, &self.scratch.prob);
                }
                if timed && t > 0 {
                    store.keep_if_new();
                }
            }
        }
    }

    /// Per-cycle probabilities of moving from `slot` to each state (staying included) into
    /// `self.scratch.prob`, given the hazard ratios and relative risks on the state's exits and the
    /// background hazard. Returns the sum of the exits before the rest was given to staying (or
    /// to the complement), which must not exceed 1.
    fn probabilities(
        &mut self,
        slot: Slot,
        strategy: usize,
        (hr, rr, mu): (&[f64], &[f64], f64),
        at: &At,
    ) -> Result<f64, RowError> {
        let s = slot.state;
        let n = self.scratch.prob.len();
        let dt = self.scenario.cycle_length_years;
        let background_to = self.scenario.background.as_ref().map(|b| b.to);
        self.scratch.disease_rate.iter_mut().for_each(|x| *x = 0.0);
        self.scratch.prob.iter_mut().for_each(|x| *x = 0.0);
        self.scratch.modifier_rr.iter_mut().for_each(|x| *x = 1.0);
        self.scratch.modifier_or.iter_mut().for_each(|x| *x = 1.0);
        let mut cycle_scale = false;
        let mut complement: Option<usize> = None;
        let transitions = &self.scenario.transitions;
        let exits = self.layout.exits_from[strategy * n + s].iter().map(|&i| (i, &transitions[i]));
        for (i, tr) in exits.filter(|(_, tr)| tr.window.contains(slot.bucket)) {
            // A formula is evaluated at this row's model time and checked against its use's range
            // (literals and parameters were checked when the values were made).
            let number = match spec_value(&tr.spec) {
                Some((v @ Value::Formula(f), _)) => {
                    self.check_inlined(f, at)?;
                    let x = v.at(self.values, at);
                    if let Some(rule) = spec_rule(&tr.spec, x) {
                        return Err(RowError::Formula { transition: i, value: x, rule, modifier: false });
                    }
                    x
                }
                Some((v, _)) => v.get(self.values),
                None => f64::NAN,
            };
            // The natural-history modifier, then the strategy's effects.
            let (mut h, mut r, mut o) = (1.0, 1.0, 1.0);
            if let Some((m, v)) = &tr.modifier {
                let x = v.at(self.values, at);
                if !(x.is_finite() && x >= 0.0) {
                    let rule = "must be a finite number >= 0";
                    return Err(RowError::Formula { transition: i, value: x, rule, modifier: true });
                }
                match m {
                    Modifier::HazardRatio => h = x,
                    Modifier::RelativeRisk => r = x,
                    Modifier::OddsRatio => o = x,
                }
            }
            let base_rate = match tr.spec {
                ExitSpec::Rate(_) => number,
                ExitSpec::AnnualProbability(_) => rate_from_probability(number, 1.0),
                ExitSpec::ProbabilityOver { years, .. } => rate_from_probability(number, years),
                ExitSpec::CycleProbability(_) => {
                    cycle_scale = true;
                    let h = h * hr[tr.to];
                    let p = if h == 1.0 { number } else { 1.0 - (1.0 - number).powf(h) };
                    self.scratch.prob[tr.to] += with_odds_ratio(p * r, o) * rr[tr.to];
                    continue;
                }
                ExitSpec::Complement => {
                    cycle_scale = true;
                    complement = Some(tr.to);
                    continue;
                }
            };
            let rate = base_rate * h * hr[tr.to];
            if rate.is_nan() {
                return Err(RowError::NotANumber { transition: i, hazard_ratio: h * hr[tr.to] });
            }
            self.scratch.disease_rate[tr.to] += rate;
            self.scratch.modifier_rr[tr.to] *= r;
            self.scratch.modifier_or[tr.to] *= o;
        }
        let exit_sum;
        if cycle_scale {
            // Per-cycle probabilities as given; the complement (or staying) takes the rest.
            exit_sum = self.scratch.prob.iter().sum::<f64>();
            let rest = 1.0 - exit_sum;
            self.scratch.prob[complement.unwrap_or(s)] += rest.max(0.0);
            if let Some(d) = background_to {
                // Background death first, then the disease exits among survivors.
                let q = probability_from_rate(mu, dt);
                self.scratch.prob.iter_mut().for_each(|p| *p *= 1.0 - q);
                self.scratch.prob[d] += q;
            }
        } else {
            // Competing risks on the rate scale, background mortality included.
            self.scratch.rates_with_background[..n].copy_from_slice(&self.scratch.disease_rate);
            self.scratch.rates_with_background[n] = if background_to.is_some() { mu } else { 0.0 };
            competing_risks(&self.scratch.rates_with_background, dt, &mut self.scratch.split);
            for (j, p) in self.scratch.prob.iter_mut().enumerate() {
                *p = with_odds_ratio(self.scratch.split[j] * self.scratch.modifier_rr[j], self.scratch.modifier_or[j])
                    * rr[j];
            }
            if let Some(d) = background_to {
                self.scratch.prob[d] += self.scratch.split[n];
            }
            exit_sum = self.scratch.prob.iter().sum::<f64>();
            self.scratch.prob[s] = (1.0 - exit_sum).max(0.0);
        }
        Ok(exit_sum)
    }

    /// Checks the derived parameters a formula inlined against their kinds at this model time.
    fn check_inlined(&self, f: &crate::scenario::Formula, at: &At) -> Result<(), RowError> {
        for &j in f.inlined() {
            let p = &self.scenario.parameters[j];
            let Some(g) = &p.formula else { continue };
            let x = g.eval(self.values, at);
            if let Some(rule) = p.kind.broken_rule(x) {
                return Err(RowError::Derived { parameter: j, value: x, rule });
            }
        }
        Ok(())
    }

    /// Where a formula gave its value, in words: " at cycle 5 (age 60) (2 years in "sick"),
    /// strategy "soc"", naming the age and time in state only for a formula that reads them.
    fn where_words(&self, d: Depends, strategy: usize, cycle: usize, at: &At, state: String) -> String {
        let mut words = format!(" at cycle {cycle}");
        if d.age {
            words += &format!(" (age {})", readable(at.age));
        }
        if d.state_years {
            words += &format!(" ({} years in {state})", readable(at.state_years));
        }
        words + &format!(", strategy \"{}\"", self.scenario.strategies[strategy].name)
    }

    /// The problem for a row that could not be built: a formula out of range, or an infinite
    /// rate times a hazard ratio of 0.
    fn row_problem(&self, strategy: usize, cycle: usize, at: &At, e: RowError) -> Problem {
        let scenario = self.scenario;
        let (transition, hazard_ratio) = match e {
            RowError::NotANumber { transition, hazard_ratio } => (transition, hazard_ratio),
            RowError::Derived { parameter, value, rule } => {
                let p = &scenario.parameters[parameter];
                let d = p.formula.as_ref().map(|f| f.depends()).unwrap_or_default();
                let at_words = self.where_words(d, strategy, cycle, at, "the state".to_string());
                let kind = ProblemKind::FormulaValue {
                    formula: p.formula.as_ref().map(|f| f.text().to_string()).unwrap_or_default(),
                    value,
                    at: at_words,
                    used_as: format!("parameter \"{}\" is a {}, which", p.name, p.kind.name()),
                    rule,
                };
                return Problem::new(format!("parameters.{}", p.name), None, kind);
            }
            RowError::Formula { transition, value, rule, modifier } => {
                let tr = &scenario.transitions[transition];
                let (v, field) = match (&tr.modifier, modifier) {
                    (Some((m, v)), true) => (v, m.key()),
                    _ => spec_value(&tr.spec).expect("a formula belongs to a valued exit"),
                };
                let state = format!("\"{}\"", scenario.states[tr.from].name);
                let at_words = self.where_words(v.depends(), strategy, cycle, at, state);
                let kind = ProblemKind::FormulaValue {
                    formula: v.formula_text().unwrap_or_default().to_string(),
                    value,
                    at: at_words,
                    used_as: format!(
                        "{} from \"{}\" to \"{}\"",
                        field.replace('_', " "),
                        scenario.states[tr.from].name,
                        scenario.states[tr.to].name
                    ),
                    rule,
                };
                return Problem::new(format!("transitions[{transition}].{field}"), None, kind);
            }
        };
        let tr = &scenario.transitions[transition];
        let describe = |what: &str, v: &Value| match v {
            Value::Parameter(i) => format!("{what} {} = {}", scenario.parameters[*i].name, readable(self.values[*i])),
            Value::Literal(x) => format!("{what} {}", readable(*x)),
            Value::Formula(f) => format!("{what} {} = {}", f.text(), readable(v.at(self.values, at))),
        };
        let inputs = match &tr.spec {
            ExitSpec::Rate(v) => describe("rate", v),
            ExitSpec::AnnualProbability(v) => describe("annual probability", v),
            ExitSpec::ProbabilityOver { value, years } => describe(&format!("probability over {years} years,"), value),
            ExitSpec::CycleProbability(v) => describe("per-cycle probability", v),
            ExitSpec::Complement => "the complement".to_string(),
        };
        let kind = ProblemKind::RateNotANumber {
            from: scenario.states[tr.from].name.clone(),
            to: scenario.states[tr.to].name.clone(),
            inputs,
            strategy: scenario.strategies[strategy].name.clone(),
            cycle,
            hazard_ratio,
        };
        Problem::new("", None, kind)
    }
}
