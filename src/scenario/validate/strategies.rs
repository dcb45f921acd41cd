//! `[[strategies]]`: names, the infusion schedule (courses, cost per infusion, adverse events)
//! and the treatment effects (`[[strategies.effects]]`: hazard ratio, relative risk or MELD
//! shift; onset, duration and waning).
//!
//! A schedule has at most [`MAX_INFUSIONS`] infusions in all; a waning period must be positive.

use super::super::limits::MAX_INFUSIONS;
use super::super::numbers::short;
use super::super::raw::{RawEffect, RawSchedule, RawStrategy, RawWaning};
use super::super::types::{
    AdverseEvent, CovariateEffect, Effect, EffectMeasure, ExitSpec, Schedule, Strategy, TimeValue, Transition, Value,
    Waning,
};
use super::{Usage, Validator};
use crate::error::ProblemKind;
use toml::Spanned;

/// An effect's onset, full-strength duration (`None` inside: to the horizon) and waning.
type EffectTiming = (Option<TimeValue>, Option<Option<TimeValue>>, Option<Waning>);

impl Validator<'_> {
    pub(super) fn strategies(&mut self, raw: &[Spanned<RawStrategy>], transitions: &[Transition]) -> Vec<Strategy> {
        if raw.is_empty() {
            self.problem("strategies", None, ProblemKind::Empty { what: "strategies" });
        }
        let mut strategies: Vec<Strategy> = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let line = self.line(s);
            let key = format!("strategies[{i}]");
            let s = s.get_ref();
            if self.named(&s.name, "strategy", "standard_care", format!("{key}.name"), line)
                && strategies.iter().any(|o| o.name == s.name)
            {
                self.problem(format!("{key}.name"), line, ProblemKind::DuplicateStrategy { name: s.name.clone() });
            }
            let schedule = s.schedule.as_ref().and_then(|sc| self.schedule(&format!("{key}.schedule"), line, sc));
            let mut effects = Vec::new();
            let mut covariate_effects = Vec::new();
            for (j, e) in s.effects.iter().enumerate() {
                let eline = self.line(e);
                let ekey = format!("{key}.effects[{j}]");
                if e.get_ref().covariate.is_some() {
                    covariate_effects.extend(self.covariate_effect(&ekey, eline, e.get_ref(), j));
                } else {
                    effects.extend(self.effect(&ekey, eline, e.get_ref(), transitions, j));
                }
            }
            strategies.push(Strategy {
                name: s.name.clone(),
                label: s.label.clone().unwrap_or_else(|| s.name.clone()),
                description: s.description.clone(),
                schedule,
                effects,
                covariate_effects,
            });
        }
        strategies
    }

    fn schedule(&mut self, key: &str, line: Option<usize>, sc: &RawSchedule) -> Option<Schedule> {
        if sc.infusions < 1 {
            let value = sc.infusions.to_string();
            self.problem(format!("{key}.infusions"), line, ProblemKind::NotPositive { value });
            return None;
        }
        let cost_per_infusion = sc
            .cost_per_infusion
            .as_ref()
            .and_then(|v| self.value(v, Usage::Cost, &format!("{key}.cost_per_infusion"), line));
        let mut adverse_events = Vec::new();
        for (j, ae) in sc.adverse_events.iter().enumerate() {
            let k = format!("{key}.adverse_events[{j}]");
            let named = self.named(&ae.name, "adverse event", "infusion reaction", format!("{k}.name"), line);
            let probability = self.value(&ae.probability, Usage::Probability, &format!("{k}.probability"), line);
            let cost = ae.cost.as_ref().map(|v| self.value(v, Usage::Cost, &format!("{k}.cost"), line));
            let qaly_loss =
                ae.qaly_loss.as_ref().map(|v| self.value(v, Usage::QalyLoss, &format!("{k}.qaly_loss"), line));
            if let (true, Some(probability), Some(cost), Some(qaly_loss)) = (
                named,
                probability,
                cost.map_or(Some(None), |c| c.map(Some)),
                qaly_loss.map_or(Some(None), |q| q.map(Some)),
            ) {
                adverse_events.push(AdverseEvent { name: ae.name.clone(), probability, cost, qaly_loss });
            }
        }
        let courses = match sc.courses {
            None => 1,
            Some(c) if c >= 1 => c,
            Some(c) => {
                self.problem(format!("{key}.courses"), line, ProblemKind::NotPositive { value: c.to_string() });
                1
            }
        };
        let total = (sc.infusions as u64).saturating_mul(courses as u64);
        if total > MAX_INFUSIONS {
            self.problem(
                key,
                line,
                ProblemKind::TooLarge {
                    what: "infusions x courses".into(),
                    value: total.to_string(),
                    limit: MAX_INFUSIONS.to_string(),
                    fix: "give fewer infusions or courses",
                },
            );
            return None;
        }
        let course_interval_years = match &sc.course_interval {
            None if courses > 1 => {
                self.problem(
                    format!("{key}.course_interval"),
                    line,
                    ProblemKind::ExactlyOne { options: "course_interval with courses > 1", found: 0 },
                );
                0.0
            }
            None => 0.0,
            Some(text) => self.duration(text, &format!("{key}.course_interval"), line, true).unwrap_or(0.0),
        };
        let interval_years = self.duration(&sc.interval, &format!("{key}.interval"), line, false)?;
        Some(Schedule {
            infusions: sc.infusions as u32,
            interval_years,
            courses: courses as u32,
            course_interval_years,
            cost_per_infusion,
            adverse_events,
        })
    }

    fn effect(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawEffect,
        transitions: &[Transition],
        entry: usize,
    ) -> Vec<Effect> {
        let Some(from_name) = &raw.from else {
            let kind =
                ProblemKind::ExactlyOne { options: "from (an effect on a state's exits) or covariate", found: 0 };
            self.problem(key, line, kind);
            return Vec::new();
        };
        if raw.shift.is_some() {
            let kind = ProblemKind::ExactlyOne { options: "shift with covariate", found: 0 };
            self.problem(format!("{key}.shift"), line, kind);
        }
        let from = self.state(from_name, &format!("{key}.from"), line);
        let to = match &raw.to {
            Some(name) => self.state(name, &format!("{key}.to"), line).map(Some),
            None => Some(None),
        };
        let (measure, value, per_point) = self.effect_size(key, line, raw);
        let (onset, duration, waning) = self.effect_timing(key, line, raw);
        let (Some(from), Some(to), Some(value), Some(onset), Some(duration), Some(waning)) =
            (from, to, value, onset, duration, waning)
        else {
            return Vec::new();
        };
        let targets = self.effect_targets(key, line, raw, from, to, transitions);
        let on_probability = targets.iter().any(|&to| {
            transitions.iter().any(|t| t.from == from && t.to == to && matches!(t.spec, ExitSpec::CycleProbability(_)))
        });
        if measure == EffectMeasure::HazardRatio && on_probability {
            self.warn(format!("{key}.hazard_ratio"), line, ProblemKind::HazardRatioOnProbability);
        }
        targets
            .into_iter()
            .map(|to| Effect {
                from,
                to,
                measure,
                value: value.clone(),
                hr_per_meld_point: per_point.clone(),
                onset,
                duration,
                waning,
                entry,
            })
            .collect()
    }

    /// An effect's onset (default 0), full-strength duration (default: to the horizon) and waning
    /// (default none), each `None` when its text has a problem (reported).
    fn effect_timing(&mut self, key: &str, line: Option<usize>, raw: &RawEffect) -> EffectTiming {
        let onset = match &raw.onset {
            Some(text) => self.time_value(text, &format!("{key}.onset"), line),
            None => Some(TimeValue::Years(0.0)),
        };
        let duration = match &raw.duration {
            Some(text) => self.time_value(text, &format!("{key}.duration"), line).map(Some),
            None => Some(None),
        };
        let waning = match &raw.waning {
            None => Some(Waning::None),
            Some(w) => self.waning(key, line, w),
        };
        (onset, duration, waning)
    }

    /// A covariate effect: `covariate` names a numeric covariate of `[population]`, `shift` its
    /// change at full strength; the transition keys (`from`, `to`, `hazard_ratio`, ...) do not
    /// belong with it.
    fn covariate_effect(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawEffect,
        entry: usize,
    ) -> Option<CovariateEffect> {
        let name = raw.covariate.clone().unwrap_or_default();
        let transition_keys = [
            ("from", raw.from.is_some()),
            ("to", raw.to.is_some()),
            ("hazard_ratio", raw.hazard_ratio.is_some()),
            ("relative_risk", raw.relative_risk.is_some()),
            ("meld_shift", raw.meld_shift.is_some()),
            ("hr_per_meld_point", raw.hr_per_meld_point.is_some()),
        ];
        for (k, given) in transition_keys {
            if given {
                let rule = format!(
                    "a covariate effect shifts the covariate for every formula that reads it; {k} belongs to an effect on a state's exits (remove it, or write a separate effect)"
                );
                self.problem(format!("{key}.{k}"), line, ProblemKind::Covariate { name: name.clone(), rule });
            }
        }
        let slot = self.covariate_variables.iter().position(|v| *v == name);
        let numeric = slot.is_some_and(|k| self.covariate_numeric.get(k).copied().unwrap_or(false));
        if !numeric && !self.broken_covariates.contains(&name) {
            let rule = format!(
                "a covariate effect shifts a numeric covariate of [population] (numeric covariates: {})",
                self.covariate_variables
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| self.covariate_numeric[*k])
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.problem(format!("{key}.covariate"), line, ProblemKind::Covariate { name: name.clone(), rule });
        }
        let shift = match &raw.shift {
            Some(v) => self.value(v, Usage::MeanDifference, &format!("{key}.shift"), line),
            None => {
                let kind = ProblemKind::ExactlyOne { options: "shift with covariate", found: 0 };
                self.problem(format!("{key}.shift"), line, kind);
                None
            }
        };
        let (onset, duration, waning) = self.effect_timing(key, line, raw);
        Some(CovariateEffect {
            covariate: name,
            slot: u8::try_from(slot?).ok()?,
            shift: shift?,
            onset: onset?,
            duration: duration?,
            waning: waning?,
            entry,
        })
    }

    /// The effect measure, its value and, for a MELD effect, the hazard ratio per MELD point.
    fn effect_size(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawEffect,
    ) -> (EffectMeasure, Option<Value>, Option<Value>) {
        let mut per_point: Option<Value> = None;
        // An effect's size may change with model time (its onset, duration and waning already do).
        self.time_allowed = crate::scenario::Depends { model_time: true, ..Default::default() };
        let result = self.effect_size_at(key, line, raw, &mut per_point);
        self.time_allowed = Default::default();
        let (measure, value) = result;
        (measure, value, per_point)
    }

    /// The measure and value of an effect (see [`Validator::effect_size`]).
    fn effect_size_at(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawEffect,
        per_point: &mut Option<Value>,
    ) -> (EffectMeasure, Option<Value>) {
        let (measure, value) = match (&raw.hazard_ratio, &raw.relative_risk, &raw.meld_shift) {
            (Some(v), None, None) => {
                (EffectMeasure::HazardRatio, self.value(v, Usage::HazardRatio, &format!("{key}.hazard_ratio"), line))
            }
            (None, Some(v), None) => {
                (EffectMeasure::RelativeRisk, self.value(v, Usage::RelativeRisk, &format!("{key}.relative_risk"), line))
            }
            (None, None, Some(v)) => {
                let shift = self.value(v, Usage::MeanDifference, &format!("{key}.meld_shift"), line);
                match &raw.hr_per_meld_point {
                    Some(p) => {
                        *per_point = self.value(p, Usage::HazardRatio, &format!("{key}.hr_per_meld_point"), line)
                    }
                    None => self.problem(
                        format!("{key}.hr_per_meld_point"),
                        line,
                        ProblemKind::ExactlyOne {
                            options: "hr_per_meld_point with meld_shift (e.g. 1.105 = exp(0.1))",
                            found: 0,
                        },
                    ),
                }
                (EffectMeasure::HazardRatio, shift.filter(|_| per_point.is_some()))
            }
            (a, b, c) => {
                let found = a.is_some() as usize + b.is_some() as usize + c.is_some() as usize;
                self.problem(
                    key,
                    line,
                    ProblemKind::ExactlyOne { options: "hazard_ratio, relative_risk, meld_shift", found },
                );
                (EffectMeasure::HazardRatio, None)
            }
        };
        if raw.hr_per_meld_point.is_some() && raw.meld_shift.is_none() {
            self.problem(
                format!("{key}.hr_per_meld_point"),
                line,
                ProblemKind::ExactlyOne { options: "meld_shift together with hr_per_meld_point", found: 0 },
            );
        }
        (measure, value)
    }

    /// How the effect fades; the waning period (or half-life) must be positive.
    fn waning(&mut self, key: &str, line: Option<usize>, w: &RawWaning) -> Option<Waning> {
        match w.shape.as_str() {
            "none" => Some(Waning::None),
            "linear" | "exponential" => {
                let Some(text) = &w.over else {
                    self.problem(
                        format!("{key}.waning"),
                        line,
                        ProblemKind::WaningNeedsPeriod { shape: w.shape.clone() },
                    );
                    return None;
                };
                let over_key = format!("{key}.waning.over");
                let period = self.time_value(text, &over_key, line)?;
                let (years, shown) = match period {
                    TimeValue::Years(y) => (y, text.clone()),
                    TimeValue::Parameter(i, per_unit) => {
                        let p = &self.parameters[i];
                        (p.value * per_unit, format!("{} = {} {}", p.name, short(&p.value), p.kind.name()))
                    }
                };
                if years.is_nan() || years <= 0.0 {
                    self.problem(over_key, line, ProblemKind::NotPositive { value: shown });
                    return None;
                }
                Some(if w.shape == "linear" { Waning::Linear(period) } else { Waning::Exponential(period) })
            }
            other => {
                let kind = ProblemKind::UnknownWaning { value: other.to_string() };
                self.problem(format!("{key}.waning.shape"), line, kind);
                None
            }
        }
    }

    /// The exits an effect modifies: `from -> to`, or every non-complement exit of `from`.
    fn effect_targets(
        &mut self,
        key: &str,
        line: Option<usize>,
        raw: &RawEffect,
        from: usize,
        to: Option<usize>,
        transitions: &[Transition],
    ) -> Vec<usize> {
        match to {
            Some(to) => {
                let exits: Vec<&Transition> = transitions.iter().filter(|t| t.from == from && t.to == to).collect();
                let to_name = self.states[to].name.clone();
                if exits.is_empty() {
                    let kind =
                        ProblemKind::NoSuchTransition { from: raw.from.clone().unwrap_or_default(), to: to_name };
                    self.problem(format!("{key}.to"), line, kind);
                    return Vec::new();
                }
                if exits.iter().any(|t| t.spec == ExitSpec::Complement) {
                    let kind =
                        ProblemKind::EffectOnComplement { from: raw.from.clone().unwrap_or_default(), to: to_name };
                    self.problem(format!("{key}.to"), line, kind);
                    return Vec::new();
                }
                vec![to]
            }
            None => {
                let mut tos: Vec<usize> = transitions
                    .iter()
                    .filter(|t| t.from == from && t.spec != ExitSpec::Complement)
                    .map(|t| t.to)
                    .collect();
                tos.sort_unstable();
                tos.dedup();
                if tos.is_empty() {
                    self.problem(
                        format!("{key}.from"),
                        line,
                        ProblemKind::NoSuchTransition {
                            from: raw.from.clone().unwrap_or_default(),
                            to: "any state".into(),
                        },
                    );
                }
                tos
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s, warnings};

    fn with_strategy(extra: &str) -> String {
        format!("{BASE}[[strategies]]\nname = \"msc\"\n{extra}")
    }

    fn with_effect(effect: &str) -> String {
        with_strategy(&format!("[[strategies.effects]]\nfrom = \"a\"\n{effect}\n"))
    }

    #[test]
    fn an_effect_without_to_applies_to_every_exit_and_keeps_its_entry() {
        let scenario = s(&with_effect("hazard_ratio = 0.5\nduration = \"1 year\"")).unwrap();
        let e = &scenario.strategies[1].effects;
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].from, e[0].to, e[0].entry), (0, 1, 0));
    }

    #[test]
    fn a_waning_period_must_be_positive() {
        let e = err(&with_effect("hazard_ratio = 0.5\nwaning = { shape = \"exponential\", over = \"0 months\" }"));
        assert!(e.ends_with("strategies[1].effects[0].waning.over: must be positive (got 0 months)"), "{e}");
        let e = err(&with_effect("hazard_ratio = 0.5\nwaning = { shape = \"linear\", over = \"-2 months\" }"));
        assert!(
            e.ends_with("strategies[1].effects[0].waning.over: \"-2 months\" is negative; a duration must be >= 0"),
            "{e}"
        );
        let text = with_effect("hazard_ratio = 0.5\nwaning = { shape = \"linear\", over = \"w\" }")
            + "[parameters.w]\nvalue = 0\nkind = \"months\"\nsource = \"t\"\n";
        assert!(err(&text).ends_with("waning.over: must be positive (got w = 0 months)"));
    }

    #[test]
    fn a_hazard_ratio_of_zero_is_a_warning() {
        let w = warnings(&with_effect("hazard_ratio = 0"));
        assert_eq!(w.len(), 1);
        assert!(w[0].ends_with("strategies[1].effects[0].hazard_ratio: a hazard ratio of 0 removes the transition entirely (nobody ever makes it); check the value"), "{w:?}");
        let w = warnings(&with_effect("relative_risk = 0"));
        assert!(w[0].contains("a relative risk of 0"), "{w:?}");
    }

    #[test]
    fn too_many_infusions_is_an_error() {
        let e = err(&with_strategy("schedule = { infusions = 1000000000, interval = \"1 day\" }\n"));
        assert!(e.ends_with("strategies[1].schedule: infusions x courses is 1000000000, above the limit of 10000; give fewer infusions or courses"), "{e}");
        let e = err(&with_strategy(
            "schedule = { infusions = 200, interval = \"1 day\", courses = 100, course_interval = \"1 year\" }\n",
        ));
        assert!(e.contains("infusions x courses is 20000"), "{e}");
        assert!(
            s(&with_strategy(
                "schedule = { infusions = 100, interval = \"1 day\", courses = 100, course_interval = \"1 year\" }\n"
            ))
            .is_ok()
        );
    }

    #[test]
    fn empty_strategy_and_adverse_event_names_are_errors() {
        let e = err(&format!("{BASE}[[strategies]]\nname = \"\"\n"));
        assert!(
            e.ends_with("strategies[1].name: strategy name is empty; give it a name (e.g. \"standard_care\")"),
            "{e}"
        );
        let e = err(&with_strategy(
            "schedule = { infusions = 1, interval = \"1 day\", adverse_events = [{ name = \" \", probability = 0.1 }] }\n",
        ));
        assert!(e.ends_with("strategies[1].schedule.adverse_events[0].name: adverse event name is empty; give it a name (e.g. \"infusion reaction\")"), "{e}");
    }

    #[test]
    fn a_negative_interval_is_an_error() {
        let e = err(&with_strategy("schedule = { infusions = 2, interval = \"-4 weeks\" }\n"));
        assert!(
            e.ends_with("strategies[1].schedule.interval: \"-4 weeks\" is negative; a duration must be >= 0"),
            "{e}"
        );
    }
}
