//! Where the cohort is, cycle by cycle, and where simulated patients went: the engines' traces
//! as the analysis hands them on to reports and teaching pages.

use crate::engine::{self, CohortTrace};
use crate::model::Model;

/// The share of the cohort in each state at every cycle boundary, for one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct StateOccupancy {
    pub strategy: usize,
    pub n_states: usize,
    pub n_cycles: usize,
    /// `[t * n_states + state]`, t = 0..=n_cycles.
    pub shares: Vec<f64>,
    /// Shares per slot (state x time-in-state bucket), `[t * n_slots + slot]`, for values that
    /// depend on time in state.
    pub slot_shares: Vec<f64>,
    pub n_slots: usize,
    /// When the model values profiles apart ([`crate::model::Model::values_by_profile`]): the
    /// sub-cohort of each part and the part's slot shares, its weight included,
    /// `[(k * (n_cycles + 1) + t) * n_slots + slot]`; both empty otherwise.
    pub profile_groups: Vec<usize>,
    pub profile_slot_shares: Vec<f64>,
}

impl StateOccupancy {
    /// The occupancy of an exact cohort trace.
    pub fn from_trace(trace: &CohortTrace) -> Self {
        StateOccupancy {
            strategy: trace.strategy,
            n_states: trace.n_states,
            n_cycles: trace.n_cycles,
            shares: trace.occupancy.clone(),
            slot_shares: trace.slot_occupancy.clone(),
            n_slots: trace.n_slots,
            profile_groups: trace.parts.groups.clone(),
            profile_slot_shares: trace.parts.slot_occupancy.clone(),
        }
    }

    /// The shares at cycle boundary `t`, one per state.
    pub fn row(&self, t: usize) -> &[f64] {
        &self.shares[t * self.n_states..(t + 1) * self.n_states]
    }
}

/// The occupancy of every strategy's exact cohort trace, in strategy order.
pub fn occupancy(traces: &[CohortTrace]) -> Vec<StateOccupancy> {
    traces.iter().map(StateOccupancy::from_trace).collect()
}

/// One simulated patient's path: the states entered and the cycle boundary of each entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientPath {
    /// The patient's index in the Monte Carlo run (the same patient in every strategy).
    pub index: u64,
    /// The sub-cohort (start age and sex) the patient belongs to.
    pub group: usize,
    /// (cycle boundary of entry, state), starting with (0, start state).
    pub entries: Vec<(usize, usize)>,
}

/// The paths of the first `patients` patients under `strategy`: exactly the paths these
/// patients follow in a Monte Carlo run with the same seed.
pub fn patient_paths(model: &Model, strategy: usize, seed: u64, patients: u64) -> Vec<PatientPath> {
    (0..patients)
        .map(|p| {
            let h = engine::patient_history(model, strategy, seed, p);
            PatientPath { index: h.index, group: h.group, entries: h.entries }
        })
        .collect()
}
