//! `[economics]`, `[[costs]]` and `[[utilities]]`: currency, discounting, the within-cycle
//! correction and the willingness-to-pay values; then every cost and utility with its target
//! (a state per year, or a transition once), windows and strategies.
//!
//! A utility on a state that is not alive is an error (QALYs would exceed life years); an annual
//! cost on one is a warning (a one-off cost on the transition into death is the usual intent).

use super::super::formula::{self, At, FormulaError, Resolved, TimeVar};
use super::super::limits::MAX_WTP_VALUES;
use super::super::raw::{RawEconomics, RawReward, RawWeights, RawWindow};
use super::super::types::{
    Correction, DiscountTiming, Economics, Reward, RewardKind, RewardTarget, Strategy, Transition,
};
use super::{Usage, Validator};
use crate::error::ProblemKind;
use toml::Spanned;

/// The willingness-to-pay values per QALY when `economics.wtp` is not given.
const DEFAULT_WTP: [f64; 4] = [20_000.0, 30_000.0, 50_000.0, 100_000.0];

impl Validator<'_> {
    pub(super) fn economics(&mut self, raw: &Spanned<RawEconomics>, n_cycles: usize) -> Option<Economics> {
        let line = self.line(raw);
        let e = raw.get_ref();
        let costs = self.value(&e.discount_rate_costs, Usage::DiscountRate, "economics.discount_rate_costs", line);
        let effects =
            self.value(&e.discount_rate_effects, Usage::DiscountRate, "economics.discount_rate_effects", line);
        let correction = match (e.within_cycle_correction.as_deref(), &e.within_cycle_weights) {
            (Some(_), Some(_)) => {
                let kind = ProblemKind::ExactlyOne { options: "within_cycle_correction or within_cycle_weights", found: 2 };
                self.problem("economics.within_cycle_weights", line, kind);
                None
            }
            (None, Some(_)) => Some(Correction::Weights),
            (None, None) => Some(Correction::HalfCycle),
            (Some("none"), None) => {
                self.problem("economics.within_cycle_correction", line, ProblemKind::CorrectionNone);
                None
            }
            (Some(name), None) => Correction::parse(name).or_else(|| {
                self.problem(
                    "economics.within_cycle_correction",
                    line,
                    ProblemKind::UnknownChoice {
                        value: name.to_string(),
                        choices: "end_of_cycle, start_of_cycle, half_cycle, trapezoid, simpson (or give within_cycle_weights)",
                    },
                );
                None
            }),
        };
        let weights = match &e.within_cycle_weights {
            Some(w) => self.boundary_weights(w, n_cycles),
            None => Some(Vec::new()),
        };
        let discount_timing = match e.discount_timing.as_deref() {
            None | Some("start") => Some(DiscountTiming::Start),
            Some("midpoint") => Some(DiscountTiming::Midpoint),
            Some("end") => Some(DiscountTiming::End),
            Some(other) => {
                self.problem(
                    "economics.discount_timing",
                    line,
                    ProblemKind::UnknownChoice { value: other.to_string(), choices: "start, midpoint, end" },
                );
                None
            }
        };
        let wtp = e.wtp.clone().unwrap_or_else(|| DEFAULT_WTP.to_vec());
        if wtp.len() > MAX_WTP_VALUES {
            self.problem(
                "economics.wtp",
                line,
                ProblemKind::TooLarge {
                    what: "the number of willingness-to-pay values".into(),
                    value: wtp.len().to_string(),
                    limit: MAX_WTP_VALUES.to_string(),
                    fix: "list fewer values (for a fine grid use [psa] wtp_grid)",
                },
            );
            return None;
        }
        for w in &wtp {
            if !(w.is_finite() && *w >= 0.0) {
                self.problem(
                    "economics.wtp",
                    line,
                    ProblemKind::OutOfRange { value: *w, kind: "willingness to pay", rule: "must be >= 0" },
                );
            }
        }
        Some(Economics {
            currency: e.currency.clone(),
            price_year: e.price_year,
            discount_rate_costs: costs?,
            discount_rate_effects: effects?,
            correction: correction?,
            weights: weights?,
            discount_timing: discount_timing?,
            wtp,
            conversion: self.price_target.as_ref().and_then(|t| t.method).unwrap_or_default(),
            country: e.country.clone(),
        })
    }

    /// The weights of the cycle boundaries 0..T: the list as given (T + 1 finite numbers), or the
    /// formula evaluated at t = 0..T (it may read `t`, `T` and numbers only).
    fn boundary_weights(&mut self, raw: &Spanned<RawWeights>, n_cycles: usize) -> Option<Vec<f64>> {
        let line = self.line(raw);
        let key = "economics.within_cycle_weights";
        let weights = match raw.get_ref() {
            RawWeights::List(list) => {
                if list.len() != n_cycles + 1 {
                    let kind = ProblemKind::WeightCount { given: list.len(), expected: n_cycles + 1, cycles: n_cycles };
                    self.problem(key, line, kind);
                    return None;
                }
                list.clone()
            }
            RawWeights::Formula(text) => {
                let mut resolve = |name: &str| {
                    match TimeVar::from_name(name) {
                    Some(v @ (TimeVar::Boundary | TimeVar::Cycles)) => Ok(Resolved::Var(v)),
                    _ => Err(FormulaError::NotHere {
                        name: name.to_string(),
                        why: "within_cycle_weights may read only t (the boundary, 0..T), T (the number of cycles) and numbers".to_string(),
                    }),
                }
                };
                let f = match formula::read(text, &mut resolve) {
                    Ok(f) => f,
                    Err(e) => {
                        let kind = ProblemKind::Formula { formula: text.clone(), message: e.to_string() };
                        self.problem(key, line, kind);
                        return None;
                    }
                };
                (0..=n_cycles)
                    .map(|t| f.eval(&[], &At { boundary: t as f64, cycles: n_cycles as f64, ..At::default() }))
                    .collect()
            }
        };
        if let Some((t, &w)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
            let kind =
                ProblemKind::OutOfRange { value: w, kind: "boundary weight", rule: "must be a finite number >= 0" };
            self.problem(format!("{key}[{t}]"), line, kind);
            return None;
        }
        Some(weights)
    }

    /// Every `[[costs]]` entry, then every `[[utilities]]` entry, in file order.
    pub(super) fn rewards(
        &mut self,
        costs: &[Spanned<RawReward>],
        utilities: &[Spanned<RawReward>],
        strategies: &[Strategy],
        transitions: &[Transition],
    ) -> Vec<Reward> {
        let mut rewards = Vec::new();
        for (list, name, is_cost) in [(costs, "costs", true), (utilities, "utilities", false)] {
            for (i, r) in list.iter().enumerate() {
                let line = self.line(r);
                let key = format!("{name}[{i}]");
                if let Some(reward) = self.reward(&key, line, r.get_ref(), is_cost, strategies, transitions) {
                    rewards.push(reward);
                }
            }
        }
        rewards
    }

    fn reward(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawReward,
        is_cost: bool,
        strategies: &[Strategy],
        transitions: &[Transition],
    ) -> Option<Reward> {
        let kind = if is_cost {
            let category = raw.category.clone().unwrap_or_else(|| "other".to_string());
            self.named(&category, "cost category", "drug", format!("{key}.category"), line);
            RewardKind::Cost { category }
        } else {
            if raw.category.is_some() {
                self.problem(
                    format!("{key}.category"),
                    line,
                    ProblemKind::ExactlyOne { options: "no category on utilities", found: 1 },
                );
            }
            RewardKind::Qaly
        };
        let target = self.reward_target(key, line, raw, transitions);
        if let Some(RewardTarget::State(s)) = target
            && !self.states[s].alive
        {
            let name = self.states[s].name.clone();
            if is_cost {
                self.warn(format!("{key}.state"), line, ProblemKind::CostOnDeadState { name });
            } else {
                self.problem(format!("{key}.state"), line, ProblemKind::UtilityOnDeadState { name });
            }
        }
        let per_year = matches!(target, Some(RewardTarget::State(_)));
        let usage = match (is_cost, per_year) {
            (true, _) => Usage::Cost,
            (false, true) => Usage::Utility,
            (false, false) => Usage::QalyLoss,
        };
        // State values may change with model time and time in state; one-off values with model
        // time. Both may read what makes a profile (age, sex, covariates): the value tables are
        // then built per profile (`model::valuation`).
        self.time_allowed = crate::scenario::Depends {
            model_time: true,
            state_years: per_year,
            age: true,
            sex: true,
            covariates: true,
            boundary: false,
        };
        let value = match (&raw.annual, &raw.one_off, per_year) {
            (Some(v), None, true) => self.value(v, usage, &format!("{key}.annual"), line),
            (None, Some(v), false) => self.value(v, usage, &format!("{key}.one_off"), line),
            _ => {
                self.problem(
                    key,
                    line,
                    ProblemKind::ExactlyOne {
                        options: "annual (with state) or one_off (with transition)",
                        found: raw.annual.is_some() as usize + raw.one_off.is_some() as usize,
                    },
                );
                None
            }
        };
        self.time_allowed = Default::default();
        let time_in_state = self.window(raw.time_in_state.as_ref(), &format!("{key}.time_in_state"), line);
        let during = self.during(raw.during.as_ref(), &format!("{key}.during"), line);
        let applies_to = self.reward_strategies(key, line, raw, strategies);
        let (during_from_years, during_until_years) = during?;
        Some(Reward {
            kind,
            target: target?,
            value: value?,
            time_in_state: time_in_state?,
            during_from_years,
            during_until_years,
            strategies: applies_to?,
        })
    }

    /// A state, or a transition that exists (or a move into a dead state, which background
    /// mortality or any exit may make).
    fn reward_target(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawReward,
        transitions: &[Transition],
    ) -> Option<RewardTarget> {
        match (&raw.state, &raw.transition) {
            (Some(state), None) => self.state(state, &format!("{key}.state"), line).map(RewardTarget::State),
            (None, Some(t)) => {
                let from = self.state(&t.from, &format!("{key}.transition.from"), line);
                let to = self.state(&t.to, &format!("{key}.transition.to"), line);
                let (from, to) = (from?, to?);
                let exists = transitions.iter().any(|x| x.from == from && x.to == to && from != to)
                    || (!self.states[to].alive && !self.states[from].absorbing);
                if !exists {
                    self.problem(
                        format!("{key}.transition"),
                        line,
                        ProblemKind::NoSuchTransition { from: t.from.clone(), to: t.to.clone() },
                    );
                    return None;
                }
                Some(RewardTarget::Transition { from, to })
            }
            (a, b) => {
                let found = a.is_some() as usize + b.is_some() as usize;
                self.problem(key, line, ProblemKind::ExactlyOne { options: "state, transition", found });
                None
            }
        }
    }

    /// The model-time window `during = { from, until }` in years; `until` must be after `from`.
    fn during(&mut self, raw: Option<&RawWindow>, key: &str, line: Option<usize>) -> Option<(f64, Option<f64>)> {
        let Some(w) = raw else { return Some((0.0, None)) };
        let from = match &w.from {
            None => Some(0.0),
            Some(t) => self.duration(t, &format!("{key}.from"), line, false),
        };
        let until = match &w.until {
            None => Some(None),
            Some(t) => self.duration(t, &format!("{key}.until"), line, false).map(Some),
        };
        let (from, until) = (from?, until?);
        if let Some(u) = until
            && u <= from
        {
            let from_text = w.from.clone().unwrap_or_else(|| "0 years".to_string());
            let until_text = w.until.clone().unwrap_or_default();
            self.problem(key, line, ProblemKind::EmptyWindow { from: from_text, until: until_text });
            return None;
        }
        Some((from, until))
    }

    /// The strategies a reward applies to; `Some(None)` for all.
    fn reward_strategies(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawReward,
        strategies: &[Strategy],
    ) -> Option<Option<Vec<usize>>> {
        let Some(names) = &raw.strategies else { return Some(None) };
        let mut out = Vec::new();
        for name in names {
            match strategies.iter().position(|s| &s.name == name) {
                Some(i) => out.push(i),
                None => {
                    let known = strategies.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
                    self.problem(
                        format!("{key}.strategies"),
                        line,
                        ProblemKind::UnknownStrategy { name: name.clone(), known },
                    );
                }
            }
        }
        (out.len() == names.len()).then_some(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s, warnings};

    fn with_economics(rewards: &str) -> String {
        format!(
            "{BASE}[economics]\ncurrency = \"EUR\"\nprice_year = 2024\ndiscount_rate_costs = 0.03\ndiscount_rate_effects = 0.03\n{rewards}"
        )
    }

    #[test]
    fn costs_and_utilities_resolve() {
        let scenario = s(&with_economics(
            "[[costs]]\nstate = \"a\"\nannual = 100\n[[utilities]]\nstate = \"a\"\nannual = 0.8\n[[costs]]\ntransition = { from = \"a\", to = \"dead\" }\none_off = 50\n",
        ))
        .unwrap();
        assert_eq!(scenario.rewards.len(), 3);
    }

    #[test]
    fn a_utility_on_a_dead_state_is_an_error_and_a_cost_a_warning() {
        let e = err(&with_economics("[[utilities]]\nstate = \"dead\"\nannual = 0.1\n"));
        assert!(e.ends_with("utilities[0].state: a utility on \"dead\", which is not alive, would count QALYs after death (QALYs would exceed life years); remove it, or put a one-off QALY change on the transition into \"dead\""), "{e}");
        let w = warnings(&with_economics("[[costs]]\nstate = \"dead\"\nannual = 100\n"));
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains(
                "costs[0].state: an annual cost on \"dead\", which is not alive, is charged every cycle after death"
            ),
            "{w:?}"
        );
        // A one-off cost on the move into death is fine.
        let ok = with_economics("[[costs]]\ntransition = { from = \"a\", to = \"dead\" }\none_off = 5000\n");
        assert!(warnings(&ok).is_empty());
    }

    #[test]
    fn reversed_or_empty_windows_are_errors() {
        let e = err(&with_economics(
            "[[costs]]\nstate = \"a\"\nannual = 1\nduring = { from = \"2 years\", until = \"1 year\" }\n",
        ));
        assert!(e.ends_with("costs[0].during: \"from\" (2 years) must be before \"until\" (1 year)"), "{e}");
        let e = err(&with_economics("[[costs]]\nstate = \"a\"\nannual = 1\nduring = { until = \"0 months\" }\n"));
        assert!(e.ends_with("costs[0].during: \"from\" (0 years) must be before \"until\" (0 months)"), "{e}");
        let e = err(&with_economics(
            "[[utilities]]\nstate = \"a\"\nannual = 0.8\ntime_in_state = { from = \"1 year\", until = \"1 year\" }\n",
        ));
        assert!(e.ends_with("utilities[0].time_in_state: \"from\" (1 year) must be before \"until\" (1 year)"), "{e}");
        let e = err(&with_economics("[[costs]]\nstate = \"a\"\nannual = 1\nduring = { from = \"-1 year\" }\n"));
        assert!(e.ends_with("costs[0].during.from: \"-1 year\" is negative; a duration must be >= 0"), "{e}");
    }

    #[test]
    fn an_empty_cost_category_is_an_error() {
        let e = err(&with_economics("[[costs]]\ncategory = \"\"\nstate = \"a\"\nannual = 1\n"));
        assert!(e.ends_with("costs[0].category: cost category name is empty; give it a name (e.g. \"drug\")"), "{e}");
    }

    #[test]
    fn too_many_wtp_values_is_an_error() {
        let list: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        let text = with_economics("").replace(
            "discount_rate_effects = 0.03\n",
            &format!("discount_rate_effects = 0.03\nwtp = [{}]\n", list.join(", ")),
        );
        let e = err(&text);
        assert!(e.ends_with("economics.wtp: the number of willingness-to-pay values is 1001, above the limit of 1000; list fewer values (for a fine grid use [psa] wtp_grid)"), "{e}");
    }
}
