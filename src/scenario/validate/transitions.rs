//! `[[transitions]]`: one exit of a state each, read as a rate, an annual probability, a
//! probability over a period, a per-cycle probability or the complement, with an optional
//! time-in-state window. Then the rules across the exits of one state: one scale per state, at
//! most one complement and no overlapping windows to the same state.

use super::super::raw::RawTransition;
use super::super::raw::RawValue;
use super::super::types::{Depends, ExitSpec, Modifier, Transition, Value};
use super::{Usage, Validator};
use crate::error::{Problem, ProblemKind};
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn transitions(&mut self, raw: &[Spanned<RawTransition>]) -> Vec<Transition> {
        let mut out: Vec<(Transition, Option<usize>)> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let line = self.line(t);
            if let Some(transition) = self.transition(&format!("transitions[{i}]"), line, t.get_ref()) {
                out.push((transition, line));
            }
        }
        self.exits_of_each_state(&out);
        out.into_iter().map(|(t, _)| t).collect()
    }

    fn transition(&mut self, key: &str, line: Option<usize>, t: &RawTransition) -> Option<Transition> {
        let from = self.state(&t.from, &format!("{key}.from"), line);
        let to = self.state(&t.to, &format!("{key}.to"), line);
        let given = [
            t.rate.is_some(),
            t.annual_probability.is_some(),
            t.probability.is_some(),
            t.cycle_probability.is_some(),
            t.complement == Some(true),
        ];
        let found = given.iter().filter(|g| **g).count();
        if found != 1 {
            self.problem(
                key,
                line,
                ProblemKind::ExactlyOne {
                    options: "rate, annual_probability, probability (with over), cycle_probability, complement = true",
                    found,
                },
            );
            return None;
        }
        self.time_allowed = Depends::all_but_boundary();
        let spec = self.exit_spec(key, line, t);
        let modifier = self.modifier(key, line, t);
        self.time_allowed = Depends::default();
        let strategies = match &t.strategies {
            None => Some(None),
            Some(names) => self.strategy_list(names, &format!("{key}.strategies"), line).map(Some),
        };
        if t.over.is_some() && t.probability.is_none() {
            self.problem(
                format!("{key}.over"),
                line,
                ProblemKind::ExactlyOne { options: "probability together with over", found: 0 },
            );
        }
        let window = self.window(t.time_in_state.as_ref(), &format!("{key}.time_in_state"), line);
        let (Some(from), Some(to), Some(spec), Some(window), Some(strategies), Some(modifier)) =
            (from, to, spec, window, strategies, modifier)
        else {
            return None;
        };
        if modifier.is_some() && spec == ExitSpec::Complement {
            let kind = ProblemKind::ExactlyOne {
                options: "a modifier only on an exit with a number (not the complement)",
                found: 0,
            };
            self.problem(key, line, kind);
            return None;
        }
        if let (Some((Modifier::HazardRatio, _)), ExitSpec::CycleProbability(_)) = (&modifier, &spec) {
            self.warn(format!("{key}.hazard_ratio"), line, ProblemKind::HazardRatioOnProbability);
        }
        if self.states[from].absorbing {
            self.problem(key, line, ProblemKind::ExitFromAbsorbing { name: t.from.clone() });
            return None;
        }
        if from == to && spec != ExitSpec::Complement {
            self.problem(key, line, ProblemKind::SelfLoop { name: t.from.clone() });
            return None;
        }
        if self.states[from].transplant && self.states[to].alive && !self.states[to].transplant {
            self.problem(key, line, ProblemKind::TransplantExit { name: t.from.clone(), to: t.to.clone() });
        }
        Some(Transition { from, to, spec, window, note: t.note.clone(), strategies, modifier })
    }

    /// The natural-history modifier, if any: `Some(None)` for none, `None` after a problem.
    fn modifier(&mut self, key: &str, line: Option<usize>, t: &RawTransition) -> Option<Option<(Modifier, Value)>> {
        let given: Vec<(Modifier, &RawValue)> = [
            (Modifier::HazardRatio, &t.hazard_ratio),
            (Modifier::RelativeRisk, &t.relative_risk),
            (Modifier::OddsRatio, &t.odds_ratio),
        ]
        .into_iter()
        .filter_map(|(m, v)| v.as_ref().map(|v| (m, v)))
        .collect();
        match given.as_slice() {
            [] => Some(None),
            [(m, raw)] => {
                let usage = match m {
                    Modifier::HazardRatio => Usage::HazardRatio,
                    Modifier::RelativeRisk | Modifier::OddsRatio => Usage::RelativeRisk,
                };
                let value = self.value(raw, usage, &format!("{key}.{}", m.key()), line)?;
                Some(Some((*m, value)))
            }
            _ => {
                let kind = ProblemKind::ExactlyOne {
                    options: "at most one of hazard_ratio, relative_risk, odds_ratio",
                    found: given.len(),
                };
                self.problem(key, line, kind);
                None
            }
        }
    }

    /// The exit's number and how it is to be read (exactly one was given).
    fn exit_spec(&mut self, key: &str, line: Option<usize>, t: &RawTransition) -> Option<ExitSpec> {
        if let Some(v) = &t.rate {
            self.value(v, Usage::Rate, &format!("{key}.rate"), line).map(ExitSpec::Rate)
        } else if let Some(v) = &t.annual_probability {
            let value = self.value(v, Usage::AnnualProbability, &format!("{key}.annual_probability"), line);
            value.map(ExitSpec::AnnualProbability)
        } else if let Some(v) = &t.probability {
            let value = self.value(v, Usage::Probability, &format!("{key}.probability"), line);
            let years = match &t.over {
                Some(text) => self.duration(text, &format!("{key}.over"), line, true),
                None => {
                    self.problem(
                        format!("{key}.over"),
                        line,
                        ProblemKind::ExactlyOne {
                            options: "over (the period the probability refers to, e.g. \"5 years\")",
                            found: 0,
                        },
                    );
                    None
                }
            };
            value.zip(years).map(|(value, years)| ExitSpec::ProbabilityOver { value, years })
        } else if let Some(v) = &t.cycle_probability {
            self.value(v, Usage::CycleProbability, &format!("{key}.cycle_probability"), line)
                .map(ExitSpec::CycleProbability)
        } else {
            Some(ExitSpec::Complement)
        }
    }

    /// Rules across the exits of one state.
    fn exits_of_each_state(&mut self, out: &[(Transition, Option<usize>)]) {
        for s in 0..self.states.len() {
            let exits: Vec<&(Transition, Option<usize>)> = out.iter().filter(|(t, _)| t.from == s).collect();
            if exits.is_empty() {
                continue;
            }
            let cycle_scale = exits.iter().filter(|(t, _)| t.spec.is_cycle_scale()).count();
            if cycle_scale != 0 && cycle_scale != exits.len() {
                let line = exits[0].1;
                self.problems.push(Problem::new(
                    "transitions",
                    line,
                    ProblemKind::MixedScales { name: self.states[s].name.clone() },
                ));
            }
            for (a_i, (a, a_line)) in exits.iter().enumerate() {
                for (b, _) in exits.iter().skip(a_i + 1) {
                    if !a.window.overlaps(&b.window) || !a.shares_a_strategy_with(b) {
                        continue;
                    }
                    let kind = if a.to == b.to {
                        ProblemKind::OverlappingWindows {
                            from: self.states[s].name.clone(),
                            to: self.states[a.to].name.clone(),
                            a: a.window.describe(self.cycle_years),
                            b: b.window.describe(self.cycle_years),
                        }
                    } else if a.spec == ExitSpec::Complement && b.spec == ExitSpec::Complement {
                        ProblemKind::TwoComplements {
                            name: self.states[s].name.clone(),
                            count: 2,
                            window: a.window.describe(self.cycle_years),
                        }
                    } else {
                        continue;
                    };
                    self.problems.push(Problem::new("transitions", *a_line, kind));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::types::{ExitSpec, Value, Window};
    use super::super::tests::{BASE, err, s, warnings};

    fn with_transition(extra: &str) -> String {
        BASE.replace("rate = \"r\"\n", &format!("rate = \"r\"\n{extra}"))
    }

    #[test]
    fn each_way_of_giving_an_exit_resolves() {
        let text = BASE.replace("[[transitions]]", "[[states]]\nname = \"b\"\n[[transitions]]\nfrom = \"a\"\nto = \"b\"\nprobability = 0.5\nover = \"5 years\"\n[[transitions]]");
        let scenario = s(&text).unwrap();
        assert_eq!(scenario.transitions[0].spec, ExitSpec::ProbabilityOver { value: Value::Literal(0.5), years: 5.0 });
        assert_eq!(scenario.transitions[1].spec, ExitSpec::Rate(Value::Parameter(0)));
    }

    #[test]
    fn a_time_in_state_window_must_not_be_empty_or_reversed() {
        let e = err(&with_transition("time_in_state = { from = \"1 year\", until = \"6 months\" }\n"));
        assert!(
            e.contains("transitions[0].time_in_state: \"from\" (1 year) must be before \"until\" (6 months)"),
            "{e}"
        );
        let e = err(&with_transition("time_in_state = { until = \"-1 month\" }\n"));
        assert!(e.contains("transitions[0].time_in_state.until: \"-1 month\" is negative"), "{e}");
        let ok = s(&with_transition("time_in_state = { from = \"1 year\" }\n")).unwrap();
        assert_eq!(ok.transitions[0].window, Window { from_cycle: 12, until_cycle: None });
    }

    #[test]
    fn the_period_of_a_probability_must_be_positive() {
        let text = BASE.replace("rate = \"r\"", "probability = 0.5\nover = \"0 years\"");
        let e = err(&text);
        assert!(e.contains("transitions[0].over: must be positive (got 0 years)"), "{e}");
    }

    #[test]
    fn exits_of_absorbing_states_and_self_loops_are_errors() {
        let text = format!("{BASE}[[transitions]]\nfrom = \"dead\"\nto = \"a\"\nrate = 0.1\n");
        assert!(err(&text).contains("\"dead\" is absorbing: it can have no exits"));
        let text = format!("{BASE}[[transitions]]\nfrom = \"a\"\nto = \"a\"\nrate = 0.1\n");
        assert!(err(&text).contains("a transition from \"a\" to itself is only allowed as the complement"));
    }

    #[test]
    fn a_literal_percentage_rate_is_a_warning_not_an_error() {
        let w = warnings(&BASE.replace("rate = \"r\"", "rate = 12"));
        assert_eq!(w.len(), 1);
        assert!(w[0].ends_with("an annual rate of 12 looks like a percentage: write 0.12 for 12%"), "{w:?}");
    }
}
