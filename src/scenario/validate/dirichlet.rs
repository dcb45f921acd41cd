//! `[[dirichlet]]`: groups of probabilities drawn jointly in a PSA. Each group names at least two
//! probability parameters (each in at most one group), one positive alpha per parameter, and
//! base values that sum to 1.

use super::super::parameters::ParameterKind;
use super::super::raw::RawDirichlet;
use super::super::types::DirichletGroup;
use super::Validator;
use crate::error::ProblemKind;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn dirichlet(&mut self, raw: &[Spanned<RawDirichlet>]) -> Vec<DirichletGroup> {
        let mut groups: Vec<DirichletGroup> = Vec::new();
        for (g, d) in raw.iter().enumerate() {
            let line = self.line(d);
            let key = format!("dirichlet[{g}]");
            let d = d.get_ref();
            if d.parameters.len() < 2 || d.parameters.len() != d.alpha.len() {
                self.problem(
                    &key,
                    line,
                    ProblemKind::DirichletShape { parameters: d.parameters.len(), alpha: d.alpha.len() },
                );
                continue;
            }
            let mut indices = Vec::new();
            for name in &d.parameters {
                if let Some(i) = self.dirichlet_member(&key, line, name, &groups, &indices) {
                    indices.push(i);
                }
            }
            for a in &d.alpha {
                if !(a.is_finite() && *a > 0.0) {
                    self.problem(
                        format!("{key}.alpha"),
                        line,
                        ProblemKind::OutOfRange { value: *a, kind: "Dirichlet alpha", rule: "must be > 0" },
                    );
                }
            }
            if indices.len() != d.parameters.len() {
                continue;
            }
            let sum: f64 = indices.iter().map(|&i| self.parameters[i].value).sum();
            if (sum - 1.0).abs() > 1e-6 {
                self.problem(format!("{key}.parameters"), line, ProblemKind::SharesSum { sum });
            }
            groups.push(DirichletGroup { parameters: indices, alpha: d.alpha.clone(), source: d.source.clone() });
        }
        groups
    }

    /// The index of one member: a known probability parameter not already in a group.
    fn dirichlet_member(
        &mut self,
        key: &str,
        line: Option<usize>,
        name: &str,
        groups: &[DirichletGroup],
        this_group: &[usize],
    ) -> Option<usize> {
        let members_key = format!("{key}.parameters");
        let Some(i) = self.parameter_index.get(name).copied() else {
            self.problem(
                members_key,
                line,
                ProblemKind::UnknownParameter { name: name.to_string(), hint: String::new() },
            );
            return None;
        };
        let kind = self.parameters[i].kind;
        if !matches!(kind, ParameterKind::Probability | ParameterKind::AnnualProbability | ParameterKind::Proportion) {
            self.problem(
                members_key,
                line,
                ProblemKind::KindMismatch {
                    name: name.to_string(),
                    kind: kind.name(),
                    used_as: "a probability in a Dirichlet group",
                },
            );
            return None;
        }
        if self.set_by_caller.get(i).copied().unwrap_or(false) {
            self.problem(format!("set.{name}"), None, ProblemKind::SetInDirichletGroup { name: name.to_string() });
            return None;
        }
        if groups.iter().any(|o| o.parameters.contains(&i)) || this_group.contains(&i) {
            self.problem(members_key, line, ProblemKind::DirichletTwice { name: name.to_string() });
            return None;
        }
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    const PROBABILITIES: &str = "[parameters.p1]\nvalue = 0.7\nkind = \"probability\"\nsource = \"t\"\n[parameters.p2]\nvalue = 0.2\nkind = \"probability\"\nsource = \"t\"\n[parameters.p3]\nvalue = 0.1\nkind = \"probability\"\nsource = \"t\"\n";

    #[test]
    fn a_member_of_a_group_cannot_be_set_alone() {
        let text = format!(
            "{BASE}{PROBABILITIES}[[dirichlet]]\nparameters = [\"p1\", \"p2\", \"p3\"]\nalpha = [70, 20, 10]\n"
        );
        let set = [("p2".to_string(), 0.25)];
        let e = crate::scenario::Scenario::from_toml_with("t.toml", &text, std::path::Path::new("."), &set)
            .unwrap_err()
            .to_string();
        assert!(e.contains("set.p2: parameter \"p2\" is drawn with the other members of a Dirichlet group"), "{e}");
    }

    #[test]
    fn a_group_resolves_to_parameter_indices() {
        let text = format!(
            "{BASE}{PROBABILITIES}[[dirichlet]]\nparameters = [\"p1\", \"p2\", \"p3\"]\nalpha = [70, 20, 10]\n"
        );
        let scenario = s(&text).unwrap();
        assert_eq!(scenario.dirichlet.len(), 1);
        assert_eq!(scenario.dirichlet[0].alpha, vec![70.0, 20.0, 10.0]);
    }

    #[test]
    fn base_values_must_sum_to_one_printed_without_noise() {
        let text = format!("{BASE}{PROBABILITIES}[[dirichlet]]\nparameters = [\"p1\", \"p2\"]\nalpha = [70, 20]\n");
        let e = err(&text);
        assert!(e.ends_with("dirichlet[0].parameters: shares sum to 0.9 (expected 1)"), "{e}");
    }

    #[test]
    fn members_must_be_known_probabilities_once() {
        let text =
            format!("{BASE}{PROBABILITIES}[[dirichlet]]\nparameters = [\"p1\", \"r\", \"p1\"]\nalpha = [1, 1, 1]\n");
        let e = err(&text);
        assert!(
            e.contains("parameter \"r\" is a annual_rate but is used as a probability in a Dirichlet group"),
            "{e}"
        );
        assert!(e.contains("parameter \"p1\" is in more than one place of the Dirichlet groups"), "{e}");
        let e = err(&format!("{BASE}[[dirichlet]]\nparameters = [\"p1\"]\nalpha = [1]\n"));
        assert!(e.contains("a Dirichlet group needs at least two parameters"), "{e}");
    }
}
