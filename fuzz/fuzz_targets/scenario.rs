//! Fuzzes the scenario parser and the model builder with arbitrary scenario files.
//!
//! Receives arbitrary bytes; when they are UTF-8, reads them as a scenario file
//! ([`Scenario::from_toml`], parse + validate) and, when that succeeds, builds the model
//! ([`Model::from_scenario`]). Errors are the expected outcome for most inputs and are formatted
//! as the CLI would print them; a panic, an abort, a timeout or an allocation beyond libFuzzer's
//! limits is a bug ("library code does not panic on user input", STYLE.md).
#![no_main]

use cirrhosim::model::Model;
use cirrhosim::scenario::Scenario;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::from_toml("fuzz.toml", text, Path::new(".")) {
        Ok(scenario) => {
            if let Err(e) = Model::from_scenario(&scenario) {
                std::hint::black_box(e.to_string());
            }
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
});
