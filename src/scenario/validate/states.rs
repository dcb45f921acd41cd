//! `[[states]]`: names (non-empty, unique), labels and flags; a state that is not alive must be
//! absorbing. Fills the validator's state list that every later table resolves names against.

use super::super::raw::RawState;
use super::super::types::State;
use super::Validator;
use crate::error::ProblemKind;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn states(&mut self, raw: &[Spanned<RawState>]) {
        if raw.is_empty() {
            self.problem("states", None, ProblemKind::Empty { what: "states" });
        }
        for (i, s) in raw.iter().enumerate() {
            let line = self.line(s);
            let s = s.get_ref();
            if !self.named(&s.name, "state", "compensated", format!("states[{i}].name"), line) {
                continue;
            }
            if self.state_index.contains_key(&s.name) {
                self.problem(format!("states[{i}].name"), line, ProblemKind::DuplicateState { name: s.name.clone() });
                continue;
            }
            if !s.alive && !s.absorbing {
                self.problem(
                    format!("states[{i}].absorbing"),
                    line,
                    ProblemKind::DeadNotAbsorbing { name: s.name.clone() },
                );
            }
            self.state_index.insert(s.name.clone(), self.states.len());
            self.states.push(State {
                name: s.name.clone(),
                label: s.label.clone().unwrap_or_else(|| s.name.clone()),
                absorbing: s.absorbing,
                alive: s.alive,
                transplant: s.transplant,
                description: s.description.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    #[test]
    fn states_resolve_in_file_order_with_labels() {
        let scenario = s(BASE).unwrap();
        let names: Vec<&str> = scenario.states.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "dead"]);
        assert_eq!(scenario.states[0].label, "a");
        assert!(scenario.states[0].alive && !scenario.states[1].alive);
    }

    #[test]
    fn empty_and_duplicate_names_are_errors() {
        let e = err(&BASE.replace("name = \"a\"\n[[states]]", "name = \"a\"\n[[states]]\nname = \"  \"\n[[states]]"));
        assert!(e.contains("states[1].name: state name is empty; give it a name (e.g. \"compensated\")"), "{e}");
        let e = err(&BASE.replace("name = \"a\"\n[[states]]", "name = \"a\"\n[[states]]\nname = \"a\"\n[[states]]"));
        assert!(e.contains("states[1].name: state \"a\" is defined twice"), "{e}");
    }

    #[test]
    fn a_dead_state_must_be_absorbing() {
        let e = err(&BASE.replace("absorbing = true\n", ""));
        assert!(e.contains("states[1].absorbing: state \"dead\" is not alive, so it must be absorbing"), "{e}");
    }
}
