//! Fuzzes the scenario parser and the model builder with arbitrary scenario files.
//!
//! Receives arbitrary bytes; when they are UTF-8, reads them as a scenario file
//! ([`Scenario::from_toml`], parse + validate) and, when that succeeds, builds the model
//! ([`Model::from_scenario`]) and, for a small model, values the first strategy's cohort trace
//! ([`cohort_outcomes`], the plan's outcomes without tables). Errors are the expected outcome for most inputs and are formatted
//! as the CLI would print them; a panic, an abort, a timeout or an allocation beyond libFuzzer's
//! limits is a bug ("library code does not panic on user input", STYLE.md). Models with more than
//! `BUILD_LIMIT` (strategy, cycle) pairs are only validated: they are legitimate (the scenario
//! limits allow them) and build in about a second in release, but take longer than libFuzzer's
//! timeout under the address sanitizer.
#![no_main]

use cirrhosim::analysis::economics::cohort_outcomes;
use cirrhosim::engine::sim_cohort;
use cirrhosim::model::Model;
use cirrhosim::scenario::Scenario;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

/// Largest strategies x cycles the fuzz target builds (the default scenario has 960).
const BUILD_LIMIT: usize = 200_000;
/// Largest strategies x cycles whose first strategy's trace is run and valued.
const RUN_LIMIT: usize = 5_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::from_toml("fuzz.toml", text, Path::new(".")) {
        Ok(scenario) if scenario.strategies.len() * scenario.n_cycles > BUILD_LIMIT => {}
        Ok(scenario) => {
            match Model::from_scenario(&scenario) {
                Ok(model) if scenario.strategies.len() * scenario.n_cycles <= RUN_LIMIT => {
                    std::hint::black_box(cohort_outcomes(&model, &sim_cohort(&model, 0)));
                }
                Ok(_) => {}
                Err(e) => {
                    std::hint::black_box(e.to_string());
                }
            }
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
});
