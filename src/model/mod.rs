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
//! Rows are stored flat as `[strategy][group][cycle][slot]`, each with at most one exit per state,
//! the "stay" exit first because it is the most likely.

pub mod convert;
pub mod effect;
pub mod valuation;

use crate::error::{Error, Problem, ProblemKind, Result};
use crate::scenario::life_table::Sex;
use crate::scenario::{EffectMeasure, ExitSpec, Scenario, State};
use convert::{competing_risks, probability_from_rate, rate_from_probability};
use effect::{EffectCourse, WaningYears};

/// A sub-cohort: everyone with the same start age and sex.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Group {
    pub start_age: f64,
    /// `None` when the model has no background mortality (sex then plays no part).
    pub sex: Option<Sex>,
    /// Share of the cohort.
    pub weight: f64,
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
    /// Share of the cohort starting in each state.
    pub initial: Vec<f64>,
    pub slots: Vec<Slot>,
    first_slot: Vec<usize>,
    n_states: usize,
    /// Value tables per strategy (costs, QALYs, life years); `None` without `[economics]`.
    pub valuations: Option<Vec<valuation::Valuation>>,
    /// Names of the cost categories, in the order of their quantities.
    pub cost_categories: Vec<String>,
    /// Block of rows used by each (strategy, group, cycle).
    blocks: Vec<u32>,
    exits: Vec<Exit>,
    lens: Vec<u8>,
}

impl Model {
    /// Builds the model with the scenario's base-case parameter values.
    ///
    /// # Errors
    /// [`Error::Invalid`] with a [`ProblemKind::RowSum`] for each state whose exits sum above 1
    /// in some cycle (first such cycle per strategy and state).
    pub fn from_scenario(scenario: &Scenario) -> Result<Model> {
        Model::build(scenario, &scenario.base_values())
    }

    /// Builds the model with the given parameter values (indexed like `scenario.parameters`).
    ///
    /// # Errors
    /// As [`Model::from_scenario`]; also [`ProblemKind::OutOfRange`] when a value is outside its
    /// kind's range (possible for values that did not come from the scenario file).
    pub fn build(scenario: &Scenario, values: &[f64]) -> Result<Model> {
        let n_states = scenario.states.len();
        let n_cycles = scenario.n_cycles;
        let dt = scenario.cycle_length_years;
        let mut problems = Vec::new();

        for (i, p) in scenario.parameters.iter().enumerate() {
            if let Err(kind) = p.kind.check(values[i])
                && scenario.uses_parameter(i)
            {
                problems.push(Problem::new(format!("parameters.{}", p.name), None, kind));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid { file: scenario.file.clone(), problems });
        }

        // Slots: one per time-in-state bucket up to the last boundary of the state's exits.
        let mut first_slot = Vec::with_capacity(n_states);
        let mut slots = Vec::new();
        let mut cap = vec![0usize; n_states];
        for t in &scenario.transitions {
            cap[t.from] = cap[t.from].max(t.window.from_cycle).max(t.window.until_cycle.unwrap_or(0));
        }
        for r in &scenario.rewards {
            if let crate::scenario::RewardTarget::State(s) = r.target {
                cap[s] = cap[s].max(r.time_in_state.from_cycle).max(r.time_in_state.until_cycle.unwrap_or(0));
            }
        }
        for (s, &c) in cap.iter().enumerate() {
            first_slot.push(slots.len());
            for bucket in 0..=c {
                slots.push(Slot { state: s, bucket });
            }
        }
        let n_slots = slots.len();

        // Sub-cohorts.
        let groups: Vec<Group> = match &scenario.background {
            Some(_) => scenario
                .cohort
                .age_groups
                .iter()
                .flat_map(|g| {
                    scenario.sexes().into_iter().map(move |(sex, share)| Group {
                        start_age: g.age,
                        sex: Some(sex),
                        weight: g.weight * share,
                    })
                })
                .filter(|g| g.weight > 0.0)
                .collect(),
            None => {
                let age = scenario.cohort.age_groups.iter().map(|g| g.age * g.weight).sum();
                vec![Group { start_age: age, sex: None, weight: 1.0 }]
            }
        };

        // Background hazard per group and cycle (annual rate, mean over the cycle).
        let background: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| match (&scenario.background, g.sex) {
                (Some(bg), Some(sex)) => (0..n_cycles)
                    .map(|t| {
                        let a = g.start_age + t as f64 * dt;
                        mean_life_table_hazard(|age| bg.table.qx(sex, age), a, a + dt)
                    })
                    .collect(),
                _ => vec![0.0; n_cycles],
            })
            .collect();
        let background_to = scenario.background.as_ref().map(|b| b.to);

        // Rows are stored once per block of identical cycles: consecutive cycles with the same
        // background hazard and effect multipliers share one block of rows (with monthly cycles
        // and yearly ages, about 12 cycles a block), which cuts build time and memory tenfold.
        let empty_exit = Exit { to_slot: 0, to_state: 0, probability: 0.0, cumulative: 0.0 };
        let mut blocks: Vec<u32> = Vec::with_capacity(scenario.strategies.len() * groups.len() * n_cycles);
        let mut exits: Vec<Exit> = Vec::new();
        let mut lens: Vec<u8> = Vec::new();

        // Scratch space, reused for every row.
        let mut disease_rate = vec![0.0; n_states];
        let mut prob = vec![0.0; n_states];
        let mut split = vec![0.0; n_states + 1];
        let mut rates_with_bg = vec![0.0; n_states + 1];

        for strategy in scenario.strategies.iter() {
            // Effect multipliers per cycle and (from, to).
            let mut hr = vec![1.0; n_cycles * n_states * n_states];
            let mut rr = vec![1.0; n_cycles * n_states * n_states];
            for e in &strategy.effects {
                let course = EffectCourse {
                    value: e.multiplier(values),
                    onset_years: e.onset.years(values),
                    duration_years: e.duration.map_or(f64::INFINITY, |d| d.years(values)),
                    waning: WaningYears::from_scenario(e.waning, values),
                };
                let target = match e.measure {
                    EffectMeasure::HazardRatio => &mut hr,
                    EffectMeasure::RelativeRisk => &mut rr,
                };
                for t in 0..n_cycles {
                    target[(t * n_states + e.from) * n_states + e.to] *=
                        course.cycle_mean(t as f64 * dt, (t + 1) as f64 * dt);
                }
            }
            let mut reported = vec![false; n_states];

            for (gi, group) in groups.iter().enumerate() {
                for t in 0..n_cycles {
                    let mu = background[gi][t];
                    let width = n_states * n_states;
                    let unchanged =
                        |table: &[f64]| table[t * width..(t + 1) * width] == table[(t - 1) * width..t * width];
                    if t > 0 && mu.to_bits() == background[gi][t - 1].to_bits() && unchanged(&hr) && unchanged(&rr) {
                        let previous = *blocks.last().expect("a block for the previous cycle");
                        blocks.push(previous);
                        continue;
                    }
                    let block = lens.len() / n_slots;
                    blocks.push(block as u32);
                    exits.resize((block + 1) * n_slots * n_states, empty_exit);
                    lens.resize((block + 1) * n_slots, 0);
                    for (slot_index, slot) in slots.iter().enumerate() {
                        let row = block * n_slots + slot_index;
                        let s = slot.state;
                        if scenario.states[s].absorbing {
                            continue;
                        }
                        let m = |table: &Vec<f64>, to: usize| table[(t * n_states + s) * n_states + to];
                        disease_rate.iter_mut().for_each(|x| *x = 0.0);
                        prob.iter_mut().for_each(|x| *x = 0.0);
                        let mut cycle_scale = false;
                        let mut complement: Option<usize> = None;
                        for tr in
                            scenario.transitions.iter().filter(|tr| tr.from == s && tr.window.contains(slot.bucket))
                        {
                            match tr.spec {
                                ExitSpec::Rate(v) => disease_rate[tr.to] += v.get(values) * m(&hr, tr.to),
                                ExitSpec::AnnualProbability(v) => {
                                    disease_rate[tr.to] += rate_from_probability(v.get(values), 1.0) * m(&hr, tr.to)
                                }
                                ExitSpec::ProbabilityOver { value, years } => {
                                    disease_rate[tr.to] +=
                                        rate_from_probability(value.get(values), years) * m(&hr, tr.to)
                                }
                                ExitSpec::CycleProbability(v) => {
                                    cycle_scale = true;
                                    let p = v.get(values);
                                    let h = m(&hr, tr.to);
                                    let p = if h == 1.0 { p } else { 1.0 - (1.0 - p).powf(h) };
                                    prob[tr.to] += p * m(&rr, tr.to);
                                }
                                ExitSpec::Complement => {
                                    cycle_scale = true;
                                    complement = Some(tr.to);
                                }
                            }
                        }
                        let mut exit_sum;
                        if cycle_scale {
                            // Per-cycle probabilities as given; the complement (or staying) takes the rest.
                            exit_sum = prob.iter().sum::<f64>();
                            let rest = 1.0 - exit_sum;
                            prob[complement.unwrap_or(s)] += rest.max(0.0);
                            if let Some(d) = background_to {
                                // Background death first, then the disease exits among survivors.
                                let q = probability_from_rate(mu, dt);
                                prob.iter_mut().for_each(|p| *p *= 1.0 - q);
                                prob[d] += q;
                            }
                        } else {
                            // Competing risks on the rate scale, background mortality included.
                            rates_with_bg[..n_states].copy_from_slice(&disease_rate);
                            rates_with_bg[n_states] = if background_to.is_some() { mu } else { 0.0 };
                            competing_risks(&rates_with_bg, dt, &mut split);
                            for j in 0..n_states {
                                prob[j] = split[j] * m(&rr, j);
                            }
                            if let Some(d) = background_to {
                                prob[d] += split[n_states];
                            }
                            exit_sum = prob.iter().sum::<f64>();
                            prob[s] = (1.0 - exit_sum).max(0.0);
                        }
                        if exit_sum > 1.0 + 1e-9 && !reported[s] {
                            reported[s] = true;
                            exit_sum = exit_sum.min(f64::MAX);
                            problems.push(Problem::new(
                                "",
                                None,
                                ProblemKind::RowSum {
                                    from: scenario.states[s].name.clone(),
                                    strategy: strategy.name.clone(),
                                    cycle: t,
                                    sum: (exit_sum * 1e6).round() / 1e6,
                                    group: describe_group(group, groups.len()),
                                },
                            ));
                        }
                        // Store the row: stay first, then the other exits in state order.
                        let stay_slot = first_slot[s] + (slot.bucket + 1).min(cap[s]);
                        let base = row * n_states;
                        let mut n = 0;
                        let mut cumulative = 0.0;
                        let order = std::iter::once(s).chain((0..n_states).filter(|&j| j != s));
                        for j in order {
                            let p = prob[j];
                            if p <= 0.0 {
                                continue;
                            }
                            cumulative += p;
                            exits[base + n] = Exit {
                                to_slot: if j == s { stay_slot } else { first_slot[j] } as u32,
                                to_state: j as u32,
                                probability: p,
                                cumulative,
                            };
                            n += 1;
                        }
                        if n > 0 {
                            exits[base + n - 1].cumulative = 1.0;
                        }
                        lens[row] = n as u8;
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid { file: scenario.file.clone(), problems });
        }
        let valuations = valuation::build(scenario, values, &slots);
        Ok(Model {
            valuations,
            cost_categories: valuation::cost_categories(scenario),
            states: scenario.states.clone(),
            strategy_names: scenario.strategies.iter().map(|s| s.name.clone()).collect(),
            strategy_labels: scenario.strategies.iter().map(|s| s.label.clone()).collect(),
            cycle_length_years: dt,
            n_cycles,
            groups,
            initial: scenario.cohort.start.clone(),
            slots,
            first_slot,
            n_states,
            blocks,
            exits,
            lens,
        })
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of strategies.
    pub fn n_strategies(&self) -> usize {
        self.strategy_names.len()
    }

    /// The slot a patient entering `state` starts in.
    pub fn entry_slot(&self, state: usize) -> usize {
        self.first_slot[state]
    }

    /// Index of the first of the rows used by (strategy, group) in each cycle, for fast stepping:
    /// the row of `slot` in cycle `t` is `cycle_rows(strategy, group)(t) + slot`.
    #[inline]
    pub fn cycle_rows(&self, strategy: usize, group: usize) -> impl Fn(usize) -> usize + '_ {
        let base = (strategy * self.groups.len() + group) * self.n_cycles;
        let n_slots = self.slots.len();
        move |t| self.blocks[base + t] as usize * n_slots
    }

    /// Flat index of a row.
    #[inline]
    pub fn row_index(&self, strategy: usize, group: usize, cycle: usize, slot: usize) -> usize {
        self.blocks[(strategy * self.groups.len() + group) * self.n_cycles + cycle] as usize * self.slots.len() + slot
    }

    /// The exits of a slot in a cycle (empty for absorbing states).
    #[inline]
    pub fn row(&self, strategy: usize, group: usize, cycle: usize, slot: usize) -> &[Exit] {
        self.row_at(self.row_index(strategy, group, cycle, slot))
    }

    /// Number of distinct blocks of rows stored (a measure of the model's memory).
    pub fn n_row_blocks(&self) -> usize {
        self.lens.len() / self.slots.len()
    }

    /// The exits of the row at a flat index (see [`Model::row_index`]).
    #[inline]
    pub fn row_at(&self, r: usize) -> &[Exit] {
        &self.exits[r * self.n_states..r * self.n_states + self.lens[r] as usize]
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
            for e in self.row(strategy, group, cycle, self.first_slot[s]) {
                row[e.to_state as usize] += e.probability;
            }
        }
        m
    }
}

fn describe_group(g: &Group, n_groups: usize) -> String {
    match g.sex {
        Some(sex) if n_groups > 1 => format!(", {} starting at age {}", sex.as_str(), g.start_age),
        _ => String::new(),
    }
}

/// Mean annual hazard over ages [a, b) from a life table, taking qx constant within each year of
/// age (mu_x = -ln(1 - qx)). Infinite once the table closes (qx = 1).
fn mean_life_table_hazard(qx: impl Fn(u32) -> Option<f64>, a: f64, b: f64) -> f64 {
    let mut total = 0.0;
    let mut lo = a;
    while lo < b {
        let age = lo.floor();
        let hi = (age + 1.0).min(b);
        let q = qx(age as u32).unwrap_or(1.0);
        let mu = rate_from_probability(q, 1.0);
        if mu.is_infinite() {
            return f64::INFINITY;
        }
        total += mu * (hi - lo);
        lo = hi;
    }
    total / (b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_table_hazard_is_integrated_across_birthdays() {
        let qx = |age: u32| Some(if age == 50 { 0.1 } else { 0.2 });
        let mu50 = -(0.9f64).ln();
        let mu51 = -(0.8f64).ln();
        assert!((mean_life_table_hazard(qx, 50.0, 50.5) - mu50).abs() < 1e-15);
        assert!((mean_life_table_hazard(qx, 50.5, 51.5) - (0.5 * mu50 + 0.5 * mu51)).abs() < 1e-15);
        let closed = |age: u32| if age < 120 { Some(0.5) } else { None };
        assert_eq!(mean_life_table_hazard(closed, 119.5, 120.5), f64::INFINITY);
    }
}
