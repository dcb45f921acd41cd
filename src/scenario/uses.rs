//! Where the model uses each parameter: the one enumeration of parameter references.
//!
//! [`Scenario::parameter_uses`] walks every place a checked scenario can hold a parameter
//! (transitions, effects, schedules, costs, utilities, discount rates) and returns one
//! [`ParameterUse`] per place, with the scenario key path and the role the number plays. PSA
//! sampling, the parameter table, threshold and sensitivity defaults, `serve` knobs, `verify`
//! and `explain` read it instead of keeping their own lists.

use super::types::{ExitSpec, RewardKind, RewardTarget, Scenario, TimeValue, Value, Waning};

/// The role a parameter plays where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterRole {
    /// `transitions[i].rate`: an annual transition rate.
    TransitionRate,
    /// `transitions[i].annual_probability`.
    AnnualProbability,
    /// `transitions[i].probability` (with `over`): a probability over a period.
    ProbabilityOverPeriod,
    /// `transitions[i].cycle_probability`: a per-cycle transition probability.
    CycleProbability,
    /// `strategies[s].effects[j].hazard_ratio`.
    HazardRatio,
    /// `strategies[s].effects[j].relative_risk`.
    RelativeRisk,
    /// `strategies[s].effects[j].meld_shift`: a shift in MELD points.
    MeldShift,
    /// `strategies[s].effects[j].hr_per_meld_point`: the hazard ratio per MELD point.
    HrPerMeldPoint,
    /// `strategies[s].effects[j].shift` with `covariate`: a shift of a numeric covariate (e.g.
    /// MELD lowered by MSC) read by every formula that reads the covariate.
    CovariateShift,
    /// `strategies[s].effects[j].onset`: when an effect starts.
    Onset,
    /// `strategies[s].effects[j].duration`: how long an effect lasts at full strength.
    Duration,
    /// `strategies[s].effects[j].waning.over`: the waning period (half-life when exponential).
    WaningPeriod,
    /// `strategies[s].schedule.cost_per_infusion`.
    InfusionCost,
    /// `strategies[s].schedule.adverse_events[k].probability`: per infusion.
    AdverseEventProbability,
    /// `strategies[s].schedule.adverse_events[k].cost`.
    AdverseEventCost,
    /// `strategies[s].schedule.adverse_events[k].qaly_loss`.
    AdverseEventQalyLoss,
    /// `costs[i].annual` or `costs[i].one_off`: a cost reward.
    Cost,
    /// `utilities[i].annual`: a utility (QALY weight) per year in a state.
    Utility,
    /// `utilities[i].one_off`: a QALY change once per transition.
    QalyChange,
    /// `economics.discount_rate_costs`.
    DiscountRateCosts,
    /// `economics.discount_rate_effects`.
    DiscountRateEffects,
    /// `transitions[i].hazard_ratio`, `.relative_risk` or `.odds_ratio`: a natural-history ratio.
    NaturalHistoryRatio,
    /// `cohort.start_state.STATE`: the share of the cohort (or of a profile) starting in a state.
    StartShare,
}

impl ParameterRole {
    /// The role in words, for tables and messages ("hazard ratio", "infusion cost").
    pub fn name(self) -> &'static str {
        use ParameterRole::*;
        match self {
            TransitionRate => "transition rate",
            AnnualProbability => "annual probability",
            ProbabilityOverPeriod => "probability over a period",
            CycleProbability => "cycle probability",
            HazardRatio => "hazard ratio",
            RelativeRisk => "relative risk",
            MeldShift => "MELD shift",
            HrPerMeldPoint => "hazard ratio per MELD point",
            CovariateShift => "covariate shift",
            Onset => "effect onset",
            Duration => "effect duration",
            WaningPeriod => "waning period",
            InfusionCost => "infusion cost",
            AdverseEventProbability => "adverse-event probability",
            AdverseEventCost => "adverse-event cost",
            AdverseEventQalyLoss => "adverse-event QALY loss",
            Cost => "cost",
            Utility => "utility",
            QalyChange => "QALY change",
            DiscountRateCosts => "discount rate (costs)",
            DiscountRateEffects => "discount rate (effects)",
            NaturalHistoryRatio => "natural-history ratio",
            StartShare => "start share",
        }
    }

    /// True for the roles of a treatment strategy (effects and schedules).
    pub fn is_treatment(self) -> bool {
        use ParameterRole::*;
        matches!(
            self,
            HazardRatio
                | RelativeRisk
                | MeldShift
                | HrPerMeldPoint
                | CovariateShift
                | Onset
                | Duration
                | WaningPeriod
                | InfusionCost
                | AdverseEventProbability
                | AdverseEventCost
                | AdverseEventQalyLoss
        )
    }
}

/// One place where the model uses a parameter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParameterUse {
    /// Index into [`Scenario::parameters`].
    pub parameter: usize,
    /// Key path in the scenario file, e.g. `transitions[3].rate`,
    /// `strategies[1].effects[0].duration`, `costs[2].annual`, `economics.discount_rate_costs`.
    pub key: String,
    pub role: ParameterRole,
    /// The strategy, for effects and schedules; `None` for uses shared by every strategy.
    pub strategy: Option<usize>,
}

impl Scenario {
    /// Every place the model uses a parameter, in file order: start shares, transitions, strategies (effects,
    /// then schedule), costs, utilities, discount rates. An effect entry without `to` (which
    /// applies to several exits) is listed once. A parameter that appears nowhere is a library
    /// entry: neither checked nor sampled.
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::scenario::{ParameterRole, Scenario};
    /// let s = Scenario::default_scenario().unwrap();
    /// let uses = s.parameter_uses();
    /// assert!(uses.iter().any(|u| u.role == ParameterRole::InfusionCost && u.strategy.is_some()));
    /// assert!(uses.iter().all(|u| s.uses_parameter(u.parameter)));
    /// ```
    pub fn parameter_uses(&self) -> Vec<ParameterUse> {
        let mut out = Vec::new();
        let mut add = |value: Option<&Value>, key: String, role: ParameterRole, strategy: Option<usize>| {
            for parameter in value.map(|v| self.inputs(v)).unwrap_or_default() {
                out.push(ParameterUse { parameter, key: key.clone(), role, strategy });
            }
        };
        for (state, v) in self.states.iter().zip(&self.cohort.start_values) {
            add(Some(v), format!("cohort.start_state.{}", state.name), ParameterRole::StartShare, None);
        }
        for (i, t) in self.transitions.iter().enumerate() {
            let (value, field, role) = match &t.spec {
                ExitSpec::Rate(v) => (v, "rate", ParameterRole::TransitionRate),
                ExitSpec::AnnualProbability(v) => (v, "annual_probability", ParameterRole::AnnualProbability),
                ExitSpec::ProbabilityOver { value, .. } => (value, "probability", ParameterRole::ProbabilityOverPeriod),
                ExitSpec::CycleProbability(v) => (v, "cycle_probability", ParameterRole::CycleProbability),
                ExitSpec::Complement => continue,
            };
            add(Some(value), format!("transitions[{i}].{field}"), role, None);
            if let Some((m, v)) = &t.modifier {
                add(Some(v), format!("transitions[{i}].{}", m.key()), ParameterRole::NaturalHistoryRatio, None);
            }
        }
        for (s, strategy) in self.strategies.iter().enumerate() {
            let mut seen_entry = None;
            for e in &strategy.effects {
                if seen_entry == Some(e.entry) {
                    continue;
                }
                seen_entry = Some(e.entry);
                let key = |field: &str| format!("strategies[{s}].effects[{}].{field}", e.entry);
                let (field, role) = match (e.hr_per_meld_point.is_some(), e.measure) {
                    (true, _) => ("meld_shift", ParameterRole::MeldShift),
                    (false, super::EffectMeasure::HazardRatio) => ("hazard_ratio", ParameterRole::HazardRatio),
                    (false, super::EffectMeasure::RelativeRisk) => ("relative_risk", ParameterRole::RelativeRisk),
                };
                add(Some(&e.value), key(field), role, Some(s));
                add(e.hr_per_meld_point.as_ref(), key("hr_per_meld_point"), ParameterRole::HrPerMeldPoint, Some(s));
                add(time(Some(e.onset)).as_ref(), key("onset"), ParameterRole::Onset, Some(s));
                add(time(e.duration).as_ref(), key("duration"), ParameterRole::Duration, Some(s));
                if let Waning::Linear(t) | Waning::Exponential(t) = e.waning {
                    add(time(Some(t)).as_ref(), key("waning.over"), ParameterRole::WaningPeriod, Some(s));
                }
            }
            for e in &strategy.covariate_effects {
                let key = |field: &str| format!("strategies[{s}].effects[{}].{field}", e.entry);
                add(Some(&e.shift), key("shift"), ParameterRole::CovariateShift, Some(s));
                add(time(Some(e.onset)).as_ref(), key("onset"), ParameterRole::Onset, Some(s));
                add(time(e.duration).as_ref(), key("duration"), ParameterRole::Duration, Some(s));
                if let Waning::Linear(t) | Waning::Exponential(t) = e.waning {
                    add(time(Some(t)).as_ref(), key("waning.over"), ParameterRole::WaningPeriod, Some(s));
                }
            }
            if let Some(schedule) = &strategy.schedule {
                let key = format!("strategies[{s}].schedule");
                add(
                    schedule.cost_per_infusion.as_ref(),
                    format!("{key}.cost_per_infusion"),
                    ParameterRole::InfusionCost,
                    Some(s),
                );
                for (k, ae) in schedule.adverse_events.iter().enumerate() {
                    let key = format!("{key}.adverse_events[{k}]");
                    add(
                        Some(&ae.probability),
                        format!("{key}.probability"),
                        ParameterRole::AdverseEventProbability,
                        Some(s),
                    );
                    add(ae.cost.as_ref(), format!("{key}.cost"), ParameterRole::AdverseEventCost, Some(s));
                    let loss = ae.qaly_loss.as_ref();
                    add(loss, format!("{key}.qaly_loss"), ParameterRole::AdverseEventQalyLoss, Some(s));
                }
            }
        }
        let (mut costs, mut utilities) = (0, 0);
        for r in &self.rewards {
            let field = match r.target {
                RewardTarget::State(_) => "annual",
                RewardTarget::Transition { .. } => "one_off",
            };
            let (key, role) = match (&r.kind, r.target) {
                (RewardKind::Cost { .. }, _) => {
                    costs += 1;
                    (format!("costs[{}].{field}", costs - 1), ParameterRole::Cost)
                }
                (RewardKind::Qaly, target) => {
                    utilities += 1;
                    let role = match target {
                        RewardTarget::State(_) => ParameterRole::Utility,
                        RewardTarget::Transition { .. } => ParameterRole::QalyChange,
                    };
                    (format!("utilities[{}].{field}", utilities - 1), role)
                }
            };
            add(Some(&r.value), key, role, None);
        }
        if let Some(e) = &self.economics {
            add(
                Some(&e.discount_rate_costs),
                "economics.discount_rate_costs".into(),
                ParameterRole::DiscountRateCosts,
                None,
            );
            let key = "economics.discount_rate_effects".into();
            add(Some(&e.discount_rate_effects), key, ParameterRole::DiscountRateEffects, None);
        }
        out
    }

    /// The parameters a value reads: the parameter itself, or a formula's parameters; for a
    /// derived parameter, also (recursively) the parameters its formula reads. Sorted, no repeats.
    pub fn inputs(&self, value: &Value) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pending: Vec<usize> = match value {
            Value::Parameter(i) => vec![*i],
            Value::Formula(f) => f.parameters().iter().chain(f.inlined()).copied().collect(),
            Value::Literal(_) => Vec::new(),
        };
        while let Some(i) = pending.pop() {
            if out.contains(&i) {
                continue;
            }
            out.push(i);
            if let Some(f) = &self.parameters[i].formula {
                pending.extend(f.parameters().iter().chain(f.inlined()));
            }
        }
        out.sort_unstable();
        out
    }

    /// A value in words for tables and explanations: `0.1`, `0.1 (r_HD)`, or for a formula its
    /// value and text, `0.0952 (= 1 - exp(-r_HD))`; a formula that reads model time has no single
    /// value: `1 - exp(-r * age) (changes with age)`.
    pub fn value_in_words(&self, value: &Value, values: &[f64]) -> String {
        match value {
            Value::Literal(x) => format!("{x}"),
            Value::Parameter(i) => format!("{} ({})", values[*i], self.parameters[*i].name),
            Value::Formula(f) if f.depends().is_constant() => format!("{} (= {})", value.get(values), f.text()),
            Value::Formula(f) => format!("{} (changes with {})", f.text(), f.depends().describe()),
        }
    }

    /// The conventions a published model is most often mis-stated in, in words, for `check`: how
    /// the exits of each state combine (competing risks on the rate scale, or per-cycle
    /// probabilities as given) and how occupancy is counted within a cycle (naming a rule that
    /// leaves out the starting cohort).
    pub fn conventions(&self) -> Vec<String> {
        let mut rate_states = Vec::new();
        let mut cycle_states = Vec::new();
        for (i, state) in self.states.iter().enumerate() {
            let exits: Vec<_> = self.transitions.iter().filter(|t| t.from == i).collect();
            if exits.iter().any(|t| !t.spec.is_cycle_scale())
                && exits.len() + usize::from(self.background.is_some()) > 1
            {
                rate_states.push(state.name.as_str());
            } else if exits.iter().any(|t| t.spec.is_cycle_scale()) {
                cycle_states.push(state.name.as_str());
            }
        }
        let mut out = Vec::new();
        if !rate_states.is_empty() {
            out.push(format!(
                "exits of {} are competing risks on the rate scale (p_j = r_j / R (1 - exp(-R dt))); a model whose moves are \
                 conditional on surviving the cycle writes cycle_probability = \"(1 - p_die) * p_move\" instead",
                rate_states.join(", ")
            ));
        }
        if !cycle_states.is_empty() {
            out.push(format!("exits of {} are per-cycle probabilities, used as given", cycle_states.join(", ")));
        }
        if let Some(e) = &self.economics {
            out.push(format!("counting within a cycle: {}", e.counting_in_words()));
        }
        out
    }

    /// Does the model use parameter `index` anywhere (see [`Scenario::parameter_uses`])? Unused
    /// parameters are a library and are neither checked nor sampled.
    pub fn uses_parameter(&self, index: usize) -> bool {
        self.parameter_uses().iter().any(|u| u.parameter == index)
    }
}

/// The parameter behind a duration, as a [`Value`] for [`Scenario::parameter_uses`].
fn time(t: Option<TimeValue>) -> Option<Value> {
    match t {
        Some(TimeValue::Parameter(i, _)) => Some(Value::Parameter(i)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const TEXT: &str = r#"
[scenario]
name = "t"
[settings]
cycle_length = "1 month"
horizon = "2 years"
patients = 10
seed = 3
[cohort]
start_age = 60
fraction_male = 0.5
start_state = { a = 1.0 }
[[states]]
name = "a"
[[states]]
name = "b"
[[states]]
name = "dead"
absorbing = true
alive = false
[parameters.r]
value = 0.2
kind = "annual_rate"
source = "t"
[parameters.unused]
value = 0.2
kind = "annual_rate"
source = "t"
[parameters.hr]
value = 0.5
kind = "hazard_ratio"
source = "t"
[parameters.dur]
value = 6
kind = "months"
source = "t"
[parameters.price]
value = 1000
kind = "cost"
source = "t"
[parameters.u]
value = 0.8
kind = "utility"
source = "t"
[parameters.d]
value = 0.03
kind = "proportion"
source = "t"
[[transitions]]
from = "a"
to = "b"
rate = 0.1
[[transitions]]
from = "a"
to = "dead"
rate = "r"
[[strategies]]
name = "soc"
[[strategies]]
name = "msc"
schedule = { infusions = 3, interval = "4 weeks", cost_per_infusion = "price", adverse_events = [{ name = "fever", probability = 0.1, cost = "price" }] }
[[strategies.effects]]
from = "a"
hazard_ratio = "hr"
duration = "dur"
waning = { shape = "linear", over = "dur" }
[economics]
currency = "EUR"
price_year = 2024
discount_rate_costs = "d"
discount_rate_effects = 0.03
[[costs]]
state = "a"
annual = "price"
[[utilities]]
state = "a"
annual = "u"
"#;

    /// A covariate effect's shift and duration are uses: before, they were "not used", so a PSA
    /// held the MSC MELD effect of a covariate-shift scenario at its base value.
    #[test]
    fn covariate_effects_use_their_shift_and_duration() {
        let s = Scenario::default_scenario().unwrap();
        let uses = s.parameter_uses();
        let role = |name: &str| {
            let i = s.parameters.iter().position(|p| p.name == name).unwrap();
            uses.iter().find(|u| u.parameter == i).map(|u| (u.role, u.key.clone(), u.strategy))
        };
        let shift = role("msc_meld_md_24wk").unwrap();
        assert_eq!(shift.0, ParameterRole::CovariateShift);
        assert!(shift.1.ends_with(".shift") && shift.2 == Some(1), "{shift:?}");
        assert_eq!(role("msc_effect_duration").unwrap().0, ParameterRole::Duration);
    }

    #[test]
    fn every_reference_is_listed_once_with_its_key_role_and_strategy() {
        let s = Scenario::from_toml("t.toml", TEXT, Path::new(".")).unwrap();
        // The effect without `to` applies to two exits but is one place in the file.
        assert_eq!(s.strategies[1].effects.len(), 2);
        let got: Vec<(String, &str, ParameterRole, Option<usize>)> = s
            .parameter_uses()
            .into_iter()
            .map(|u| (u.key, s.parameters[u.parameter].name.as_str(), u.role, u.strategy))
            .collect();
        let want = [
            ("transitions[1].rate", "r", ParameterRole::TransitionRate, None),
            ("strategies[1].effects[0].hazard_ratio", "hr", ParameterRole::HazardRatio, Some(1)),
            ("strategies[1].effects[0].duration", "dur", ParameterRole::Duration, Some(1)),
            ("strategies[1].effects[0].waning.over", "dur", ParameterRole::WaningPeriod, Some(1)),
            ("strategies[1].schedule.cost_per_infusion", "price", ParameterRole::InfusionCost, Some(1)),
            ("strategies[1].schedule.adverse_events[0].cost", "price", ParameterRole::AdverseEventCost, Some(1)),
            ("costs[0].annual", "price", ParameterRole::Cost, None),
            ("utilities[0].annual", "u", ParameterRole::Utility, None),
            ("economics.discount_rate_costs", "d", ParameterRole::DiscountRateCosts, None),
        ];
        let want: Vec<(String, &str, ParameterRole, Option<usize>)> =
            want.into_iter().map(|(k, n, r, st)| (k.to_string(), n, r, st)).collect();
        assert_eq!(got, want);
        let unused = s.parameters.iter().position(|p| p.name == "unused").unwrap();
        assert!(!s.uses_parameter(unused));
        assert!(s.uses_parameter(s.parameters.iter().position(|p| p.name == "hr").unwrap()));
        assert!(ParameterRole::WaningPeriod.is_treatment() && !ParameterRole::Cost.is_treatment());
    }
}
