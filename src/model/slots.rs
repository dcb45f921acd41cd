//! Time in state as slots: one per (state, cycles spent in it) up to the state's last boundary.
//!
//! Receives a checked [`Scenario`]; hands on the [`SlotLayout`]: a state whose exits or rewards
//! change at time-in-state boundaries (e.g. transplant year 1 vs later) gets one slot per cycle up
//! to its last boundary, and one slot for everything after. Every other state has one slot. The
//! transplant state of the default scenario needs 13 slots, however long the horizon.

use super::Slot;
use crate::scenario::{RewardTarget, Scenario};

/// The slots of a model and where each state's slots start.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotLayout {
    pub slots: Vec<Slot>,
    /// Index of the first slot (bucket 0) of each state.
    pub first_slot: Vec<usize>,
    /// Last bucket of each state: time in state is counted up to it, then stays there.
    pub last_bucket: Vec<usize>,
}

impl SlotLayout {
    /// One slot per time-in-state bucket up to the last boundary of each state's exits and
    /// state rewards.
    pub fn new(scenario: &Scenario) -> SlotLayout {
        let n_states = scenario.states.len();
        let mut last_bucket = vec![0usize; n_states];
        for t in &scenario.transitions {
            let cap = &mut last_bucket[t.from];
            *cap = (*cap).max(t.window.from_cycle).max(t.window.until_cycle.unwrap_or(0));
        }
        for r in &scenario.rewards {
            if let RewardTarget::State(s) = r.target {
                let cap = &mut last_bucket[s];
                *cap = (*cap).max(r.time_in_state.from_cycle).max(r.time_in_state.until_cycle.unwrap_or(0));
            }
        }
        // A formula that reads `state_years` needs the time in state counted to the horizon.
        let to_horizon = scenario.n_cycles.saturating_sub(1);
        for t in &scenario.transitions {
            if t.values().any(|v| v.depends().state_years) {
                last_bucket[t.from] = last_bucket[t.from].max(to_horizon);
            }
        }
        for r in &scenario.rewards {
            if let RewardTarget::State(s) = r.target
                && r.value.depends().state_years
            {
                last_bucket[s] = last_bucket[s].max(to_horizon);
            }
        }
        let mut first_slot = Vec::with_capacity(n_states);
        let mut slots = Vec::new();
        for (state, &last) in last_bucket.iter().enumerate() {
            first_slot.push(slots.len());
            slots.extend((0..=last).map(|bucket| Slot { state, bucket }));
        }
        SlotLayout { slots, first_slot, last_bucket }
    }

    /// The slot a patient in `slot` moves to by staying one more cycle in its state.
    pub fn stay_slot(&self, slot: Slot) -> usize {
        self.first_slot[slot.state] + (slot.bucket + 1).min(self.last_bucket[slot.state])
    }
}
