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
    /// The row class of each slot, and the number of classes (see [`row_classes`]).
    pub row_class: Vec<usize>,
    pub n_row_classes: usize,
    /// The transitions out of each state in each strategy, in file order:
    /// `exits_from[strategy * n_states + state]` (those of every strategy and those made
    /// strategy-specific for it; a row still checks each one's time-in-state window).
    pub exits_from: Vec<Vec<usize>>,
    /// Some exit reads model time or age, so that every cycle's rows are built (and kept only
    /// when new) rather than repeated while the hazards and effects stay the same.
    pub timed: bool,
    /// Some transition applies in some strategies only ([`Transition::strategies`]).
    ///
    /// [`Transition::strategies`]: crate::scenario::Transition::strategies
    pub strategy_specific: bool,
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
        let (row_class, n_row_classes) = row_classes(scenario, &slots);
        let exits_from = (0..scenario.strategies.len())
            .flat_map(|strategy| {
                (0..n_states).map(move |state| {
                    let exits = scenario.transitions.iter().enumerate();
                    exits.filter(|(_, tr)| tr.from == state && tr.applies_in(strategy)).map(|(i, _)| i).collect()
                })
            })
            .collect();
        let timed = scenario.transitions.iter().flat_map(|t| t.values()).any(|v| {
            let d = v.depends();
            d.model_time || d.age
        });
        let strategy_specific = scenario.transitions.iter().any(|t| t.strategies.is_some());
        SlotLayout { slots, first_slot, last_bucket, row_class, n_row_classes, exits_from, timed, strategy_specific }
    }

    /// The slot a patient in `slot` moves to by staying one more cycle in its state.
    pub fn stay_slot(&self, slot: Slot) -> usize {
        self.first_slot[slot.state] + (slot.bucket + 1).min(self.last_bucket[slot.state])
    }
}

/// The row class of each slot: slots of one state share a class when the same exits apply to
/// them (the same time-in-state windows) and no exit of the state reads `state_years`, so that
/// their rows hold the same probabilities in every cycle (the transplant state's 12 first-year
/// slots, say). Returns the class of each slot and the number of classes.
fn row_classes(scenario: &Scenario, slots: &[Slot]) -> (Vec<usize>, usize) {
    let mut keys: Vec<(usize, Vec<bool>)> = Vec::new();
    let mut class_of = Vec::with_capacity(slots.len());
    for slot in slots {
        let exits = scenario.transitions.iter().filter(|tr| tr.from == slot.state);
        let reads_time_in_state = exits.clone().flat_map(|tr| tr.values()).any(|v| v.depends().state_years);
        let key = (slot.state, exits.map(|tr| tr.window.contains(slot.bucket)).collect::<Vec<bool>>());
        let found = if reads_time_in_state { None } else { keys.iter().position(|k| *k == key) };
        class_of.push(found.unwrap_or_else(|| {
            keys.push(key);
            keys.len() - 1
        }));
    }
    (class_of, keys.len())
}
