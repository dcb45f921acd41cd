//! Limits across tables, checked once every table is read and before the model allocates
//! anything (see `super::super::limits`).
//!
//! - Time-in-state bounds beyond the horizon are *capped* at the number of cycles: a patient can
//!   spend at most `n_cycles - 1` full cycles in a state, so a bound of "100000 years" means the
//!   same as one at the horizon and must not create 1.2 million unreachable slots.
//! - patients x strategies x cycles (the Monte Carlo's patient-cycles) must fit in a `u64`.
//! - The model's rows are bounded by strategies x sub-cohorts x cycles x slots, each with at most
//!   one exit per state of [`BYTES_PER_EXIT`] bytes; that bound must stay under
//!   [`MAX_MODEL_BYTES`].

use super::super::limits::{BYTES_PER_EXIT, MAX_MODEL_BYTES};
use super::super::numbers::short;
use super::super::types::{RewardTarget, Scenario, Window};
use super::Validator;
use super::settings::Settings;
use crate::error::ProblemKind;

impl Validator<'_> {
    pub(super) fn check_size(&mut self, scenario: &mut Scenario, settings: &Settings) {
        cap_windows(scenario);
        let strategies = scenario.strategies.len() as u64;
        let cycles = scenario.n_cycles as u64;
        if settings.patients.checked_mul(strategies).and_then(|x| x.checked_mul(cycles)).is_none() {
            self.problem(
                "settings.patients",
                settings.patients_line,
                ProblemKind::Overflow {
                    what: format!(
                        "settings.patients x strategies x cycles ({} x {strategies} x {cycles})",
                        settings.patients
                    ),
                    fix: "simulate fewer patients, or use fewer strategies or a shorter settings.horizon",
                },
            );
        }
        let groups = sub_cohorts(scenario) as u64;
        let slots = slots(scenario) as u64;
        let states = scenario.states.len() as u64;
        let bytes = [strategies, groups, cycles, slots, states, BYTES_PER_EXIT]
            .iter()
            .fold(1u128, |product, &x| product.saturating_mul(x as u128));
        if bytes > MAX_MODEL_BYTES as u128 {
            let gib = |b: f64| b / (1u64 << 30) as f64;
            self.problem(
                "settings.horizon",
                settings.horizon_line,
                ProblemKind::TooLarge {
                    what: format!(
                        "the model's size (strategies {strategies} x sub-cohorts {groups} x cycles {cycles} x slots {slots} x exits per slot {states} x {BYTES_PER_EXIT} bytes)"
                    ),
                    value: format!("{} GiB", short(&((gib(bytes as f64) * 10.0).ceil() / 10.0))),
                    limit: format!("{} GiB", short(&gib(MAX_MODEL_BYTES as f64))),
                    fix: "shorten settings.horizon or lengthen settings.cycle_length, use fewer cohort.start_age groups, shorter time_in_state bounds, or fewer strategies",
                },
            );
        }
    }
}

/// Caps every time-in-state window at the number of cycles (same meaning, bounded slots).
fn cap_windows(scenario: &mut Scenario) {
    let n = scenario.n_cycles;
    let cap = |w: &mut Window| {
        w.from_cycle = w.from_cycle.min(n);
        w.until_cycle = w.until_cycle.map(|u| u.min(n));
    };
    scenario.transitions.iter_mut().for_each(|t| cap(&mut t.window));
    scenario.rewards.iter_mut().for_each(|r| cap(&mut r.time_in_state));
}

/// Sub-cohorts the model builds: start age x sex with a positive share when there is background
/// mortality, else one.
fn sub_cohorts(scenario: &Scenario) -> usize {
    if scenario.background.is_none() {
        return 1;
    }
    let sexes = [scenario.cohort.fraction_male, 1.0 - scenario.cohort.fraction_male];
    scenario.cohort.age_groups.iter().map(|g| sexes.iter().filter(|&&share| g.weight * share > 0.0).count()).sum()
}

/// Slots the model builds: per state, one per time-in-state cycle up to the last bound of its
/// exits and state rewards, plus one.
fn slots(scenario: &Scenario) -> usize {
    let mut last = vec![0usize; scenario.states.len()];
    let mut bound = |s: usize, w: &Window| last[s] = last[s].max(w.from_cycle).max(w.until_cycle.unwrap_or(0));
    for t in &scenario.transitions {
        bound(t.from, &t.window);
    }
    for r in &scenario.rewards {
        if let RewardTarget::State(s) = r.target {
            bound(s, &r.time_in_state);
        }
    }
    last.iter().map(|c| c + 1).sum()
}

#[cfg(test)]
mod tests {
    use super::super::super::types::Window;
    use super::super::tests::{BASE, err, s};

    #[test]
    fn a_time_in_state_bound_beyond_the_horizon_is_capped() {
        let text = BASE.replace(
            "rate = \"r\"\n",
            "rate = \"r\"\ntime_in_state = { from = \"1 year\", until = \"100000 years\" }\n",
        );
        let scenario = s(&text).unwrap();
        assert_eq!(scenario.transitions[0].window, Window { from_cycle: 12, until_cycle: Some(24) });
        assert_eq!(super::slots(&scenario), 24 + 1 + 1);
    }

    #[test]
    fn a_model_above_the_memory_limit_is_an_error() {
        // 100000 cycles x (100000 + 1 + 1) slots x 2 states x 24 bytes is about 447 GiB.
        let text = BASE
            .replace("\"2 years\"", "\"100000 months\"")
            .replace("rate = \"r\"\n", "rate = \"r\"\ntime_in_state = { from = \"1 month\" }\n[[transitions]]\nfrom = \"a\"\nto = \"dead\"\nrate = 0.1\ntime_in_state = { until = \"1 month\" }\n");
        assert!(s(&text).is_ok(), "one slot per bound, not per cycle: {:?}", s(&text).err());
        let text = text
            .replace("until = \"1 month\"", "until = \"8000 years\"")
            .replace("from = \"1 month\"", "from = \"8000 years\"");
        let e = err(&text);
        assert!(e.contains("settings.horizon: the model's size (strategies 1 x sub-cohorts 1 x cycles 100000 x slots 96002 x exits per slot 2 x 24 bytes) is 429.2 GiB, above the limit of 2 GiB"), "{e}");
    }

    #[test]
    fn patient_cycles_must_fit_in_64_bits() {
        let mut text =
            BASE.replace("patients = 10", "patients = 1000000000000").replace("\"2 years\"", "\"8000 years\"");
        for i in 0..200 {
            text.push_str(&format!("[[strategies]]\nname = \"s{i}\"\n"));
        }
        let e = err(&text);
        assert!(e.contains("settings.patients: settings.patients x strategies x cycles (1000000000000 x 201 x 96000) does not fit in a 64-bit count"), "{e}");
    }
}
