//! The exact cohort trace: expected state occupancy per cycle, x_{t+1} = x_t P_t.
//!
//! Receives a [`Model`] and a strategy; returns the share of the cohort in each state at every
//! cycle boundary t = 0..T (the trace) and the expected number of moves between states in each
//! cycle (the flows, used for transition costs). Each sub-cohort (start age x sex) is stepped on
//! its own slots, then mixed by its weight, in a fixed order, so results are bit-reproducible.

use crate::model::Model;

/// The cohort trace of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortTrace {
    pub strategy: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    /// Share in each state at cycle boundary t, `[(t * n_states) + state]`, t = 0..=n_cycles.
    pub occupancy: Vec<f64>,
    /// Share in each slot (state x time-in-state bucket) at cycle boundary t,
    /// `[(t * n_slots) + slot]`, for valuing time-in-state dependent costs.
    pub slot_occupancy: Vec<f64>,
    pub n_slots: usize,
    /// Expected share moving from one state to another during cycle t,
    /// `[(t * n_states + from) * n_states + to]`, t = 0..n_cycles; zero on the diagonal.
    pub flows: Vec<f64>,
}

impl CohortTrace {
    /// Occupancy of `state` at cycle boundary `t`.
    pub fn at(&self, t: usize, state: usize) -> f64 {
        self.occupancy[t * self.n_states + state]
    }

    /// The row of occupancies at cycle boundary `t`.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.occupancy[t * self.n_states..(t + 1) * self.n_states]
    }
}

/// Runs the exact cohort model for one strategy.
///
/// # Examples
/// ```
/// use cirrhosim::{scenario::Scenario, model::Model, engine::sim_cohort};
/// let scenario = Scenario::default_scenario().unwrap();
/// let model = Model::from_scenario(&scenario).unwrap();
/// let trace = sim_cohort(&model, 0);
/// let total: f64 = trace.row(12).iter().sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// ```
pub fn sim_cohort(model: &Model, strategy: usize) -> CohortTrace {
    let n_states = model.n_states();
    let n_cycles = model.n_cycles;
    let n_slots = model.slots.len();
    let mut occupancy = vec![0.0; (n_cycles + 1) * n_states];
    let mut slot_occupancy = vec![0.0; (n_cycles + 1) * n_slots];
    let mut flows = vec![0.0; n_cycles * n_states * n_states];
    let mut x = vec![0.0; n_slots];
    let mut y = vec![0.0; n_slots];
    let slot_state: Vec<usize> = model.slots.iter().map(|s| s.state).collect();
    for (g, group) in model.groups.iter().enumerate() {
        x.iter_mut().for_each(|v| *v = 0.0);
        for (s, share) in model.initial.iter().enumerate() {
            x[model.entry_slot(s)] += share * group.weight;
        }
        for (slot, m) in x.iter().enumerate() {
            occupancy[slot_state[slot]] += m;
            slot_occupancy[slot] += m;
        }
        for t in 0..n_cycles {
            y.iter_mut().for_each(|v| *v = 0.0);
            let base = model.row_index(strategy, g, t, 0);
            let flows_t = &mut flows[t * n_states * n_states..(t + 1) * n_states * n_states];
            for (slot, &m) in x.iter().enumerate() {
                if m == 0.0 {
                    continue;
                }
                let from = slot_state[slot];
                let row = model.row_at(base + slot);
                if row.is_empty() {
                    y[slot] += m; // absorbing
                    continue;
                }
                for e in row {
                    let moved = m * e.probability;
                    y[e.to_slot as usize] += moved;
                    let to = e.to_state as usize;
                    if to != from {
                        flows_t[from * n_states + to] += moved;
                    }
                }
            }
            let next = &mut occupancy[(t + 1) * n_states..(t + 2) * n_states];
            for (slot, m) in y.iter().enumerate() {
                next[slot_state[slot]] += m;
            }
            for (acc, m) in slot_occupancy[(t + 1) * n_slots..(t + 2) * n_slots].iter_mut().zip(&y) {
                *acc += m;
            }
            std::mem::swap(&mut x, &mut y);
        }
    }
    CohortTrace { strategy, n_states, n_cycles, occupancy, slot_occupancy, n_slots, flows }
}
