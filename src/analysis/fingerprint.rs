//! The fingerprint of a run: which scenario (by the hash of its resolved content) and which
//! settings made a set of outputs ([`crate::io::fingerprint`] stores and compares them).

use crate::io::fingerprint::{Fingerprint, sha256_hex};
use crate::scenario::Scenario;

/// SHA-256 of the resolved scenario: every state, parameter value and distribution,
/// transition, strategy, cost, utility and life-table entry as checked, whatever file and folder
/// it was read from (file paths are reduced to file names, so the same scenario read through
/// another path has the same hash). A change to any number changes the hash.
pub fn scenario_sha256(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    for p in &mut s.parameters {
        p.origin = match p.origin.strip_prefix(&scenario.file) {
            Some(line) => line.to_string(),
            None => file_name_only(&p.origin),
        };
    }
    s.file.clear();
    if let Some(c) = &mut s.calibration {
        c.targets.file.clear();
    }
    if let Some(bg) = &mut s.background {
        bg.table.name = file_name_only(&bg.table.name);
    }
    // A patients file counts by what it gave (profiles, strata, start mixes), not where it is.
    if let Some((path, _)) = &mut s.population.file {
        *path = path.file_name().map(std::path::PathBuf::from).unwrap_or_default();
    }
    sha256_hex(format!("{s:?}").as_bytes())
}

/// `dir/x.csv line 3` -> `x.csv line 3`.
fn file_name_only(text: &str) -> String {
    match text.rsplit_once(['/', '\\']) {
        Some((_, rest)) => rest.to_string(),
        None => text.to_string(),
    }
}

/// The fingerprint of `command` run on `scenario` with `settings`.
pub fn of(command: &str, scenario: &Scenario, settings: &[(&str, String)]) -> Fingerprint {
    Fingerprint::new(command, &scenario.name, &scenario_sha256(scenario), settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn same_content_same_hash_any_change_another() {
        let text = crate::scenario::DEFAULT_SCENARIO;
        let a = Scenario::from_toml("a.toml", text, Path::new(".")).unwrap();
        let b = Scenario::from_toml("/elsewhere/b.toml", text, Path::new("elsewhere")).unwrap();
        assert_eq!(scenario_sha256(&a), scenario_sha256(&b), "the path it was read from does not matter");
        assert_eq!(scenario_sha256(&a), scenario_sha256(&Scenario::default_scenario().unwrap()));
        let mut c = a.clone();
        c.parameters[0].value *= 1.0 + 1e-15;
        assert_ne!(scenario_sha256(&a), scenario_sha256(&c), "any number changes it");
        assert_eq!(scenario_sha256(&a).len(), 64);
    }
}
