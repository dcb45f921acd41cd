//! Mixture distributions: a parameter drawn from one of several distributions, each with a weight.
//!
//! `distribution = { type = "mixture", components = [ { weight = 0.36, type = "fixed", value = 0 },
//! { weight = 0.64, type = "normal", mean = -2.01, sd = 0.68 } ] }` says "no effect with
//! probability 0.36, else Normal(-2.01, 0.68)": the way to state that pooled analyses disagree
//! (some find an effect, some none) instead of drawing from the one that found it.
//!
//! Receives the components as written ([`super::parameters::RawDistribution`], whose `weight`,
//! `value` and `components` keys exist for this); checks them (weights > 0 summing to 1 within
//! [`WEIGHT_SUM_TOLERANCE`], no mixture inside a mixture, each component a valid distribution),
//! each problem keyed to its component (`distribution.components[1].weight`); hands on
//! [`Component`]s. Also owns what a mixture is as a distribution: its mean (the weighted mean of
//! the components' means), its CDF (the weighted sum of theirs) and its quantiles, found by
//! bisection on that CDF (exact to the last bits, no sampling), which give the 95% interval
//! shown by `params` and used as the DSA range when the file gives none.

use super::parameters::{Distribution, RawDistribution};
use crate::error::ProblemKind;
use serde::{Deserialize, Serialize};

/// How far the weights of a mixture may sum from 1.
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-9;

/// One component of a mixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Probability of drawing from this component (> 0; the weights sum to 1).
    pub weight: f64,
    #[serde(flatten)]
    pub distribution: Distribution,
    /// The value a `fixed` component always gives (`None` for the other families).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

impl Component {
    /// The mean of this component.
    pub fn mean(&self) -> f64 {
        match (&self.distribution, self.value) {
            (Distribution::Fixed, Some(v)) => v,
            (d, _) => d.mean().unwrap_or(f64::NAN),
        }
    }

    /// P(X <= x) for this component (a step at the value of a fixed one).
    fn cdf(&self, x: f64) -> f64 {
        match self.point() {
            Some(v) => f64::from(u8::from(x >= v)),
            None => self.distribution.cdf(x).unwrap_or(f64::NAN),
        }
    }

    /// The p-quantile of this component.
    fn quantile(&self, p: f64) -> f64 {
        match self.point() {
            Some(v) => v,
            None => self.distribution.quantile(p).unwrap_or(f64::NAN),
        }
    }

    /// The one value of a component without spread: a fixed component, a normal or lognormal
    /// with zero spread.
    fn point(&self) -> Option<f64> {
        match (&self.distribution, self.value) {
            (Distribution::Fixed, v) => Some(v.unwrap_or(f64::NAN)),
            (&Distribution::Normal { mean, sd: 0.0 }, _) => Some(mean),
            (&Distribution::Lognormal { meanlog, sdlog: 0.0 }, _) => Some(meanlog.exp()),
            _ => None,
        }
    }
}

/// The mean of a mixture: sum of weight x component mean (the law of total expectation).
pub fn mean(components: &[Component]) -> f64 {
    components.iter().map(|c| c.weight * c.mean()).sum()
}

/// P(X <= x) of a mixture: sum of weight x component CDF.
pub fn cdf(components: &[Component], x: f64) -> f64 {
    components.iter().map(|c| c.weight * c.cdf(x)).sum()
}

/// The p-quantile of a mixture, the smallest x with F(x) >= p, by bisection on [`cdf`]. It lies
/// between the smallest and the largest of the components' p-quantiles (there F <= p and F >= p);
/// 200 halvings of that bracket exhaust an f64. NaN when a component's quantile cannot be computed.
///
/// # Examples
/// ```
/// use cirrhosim::scenario::Distribution;
/// use cirrhosim::scenario::mixture::{Component, quantile};
/// // Half "exactly 0", half Normal(-2, 1): F jumps at 0 from 0.5 Phi(2) = 0.489 to 0.989, so
/// // the median is 0.
/// let c = vec![
///     Component { weight: 0.5, distribution: Distribution::Fixed, value: Some(0.0) },
///     Component { weight: 0.5, distribution: Distribution::Normal { mean: -2.0, sd: 1.0 }, value: None },
/// ];
/// assert_eq!(quantile(&c, 0.5), 0.0);
/// // Below the jump only the normal counts: F(x) = 0.5 Phi(x + 2) = 0.025 at Phi = 0.05.
/// assert!((quantile(&c, 0.025) - (-2.0 - 1.6448536269514722)).abs() < 1e-9);
/// ```
pub fn quantile(components: &[Component], p: f64) -> f64 {
    let qs: Vec<f64> = components.iter().map(|c| c.quantile(p)).collect();
    if qs.iter().any(|q| !q.is_finite()) {
        return f64::NAN;
    }
    let (mut low, mut high) = qs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &q| (l.min(q), h.max(q)));
    if cdf(components, low) >= p {
        return low;
    }
    for _ in 0..200 {
        let mid = low + (high - low) / 2.0;
        if mid <= low || mid >= high {
            break;
        }
        if cdf(components, mid) < p { low = mid } else { high = mid }
    }
    high
}

/// Checks resolved components (as [`Distribution::check`] does for one family): at least one, no
/// mixture inside, each family's parameters valid, weights > 0 and summing to 1.
///
/// # Errors
/// The first problem, as [`ProblemKind::BadDistribution`] or [`ProblemKind::MixtureWeight`].
pub fn check(components: &[Component]) -> Result<(), ProblemKind> {
    if components.is_empty() {
        return Err(ProblemKind::BadDistribution { kind: "mixture".into(), rule: NO_COMPONENTS });
    }
    for c in components {
        if matches!(c.distribution, Distribution::Mixture { .. }) {
            return Err(ProblemKind::BadDistribution { kind: "mixture".into(), rule: NESTED });
        }
        weight_rule(c.weight)?;
        c.distribution.check()?;
    }
    sum_rule(components.iter().map(|c| c.weight).sum())
}

const NO_COMPONENTS: &str = "give at least one component: components = [{ weight = 1, type = \"normal\", ... }]";
const NESTED: &str = "a component of a mixture cannot itself be a mixture: list its components in the outer mixture, each weight multiplied by the inner mixture's weight";

fn weight_rule(weight: f64) -> Result<(), ProblemKind> {
    if weight.is_finite() && weight > 0.0 {
        return Ok(());
    }
    Err(ProblemKind::MixtureWeight {
        what: "weight is",
        value: weight,
        rule: "each weight must be a number > 0 (leave out a component that is never drawn)",
    })
}

fn sum_rule(sum: f64) -> Result<(), ProblemKind> {
    if (sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE {
        return Ok(());
    }
    Err(ProblemKind::MixtureWeight {
        what: "weights sum to",
        value: sum,
        rule: "they must sum to 1 (within 1e-9): each weight is the probability of drawing from its component",
    })
}

/// Resolves the components of a mixture as written. `value` is the parameter's base value (a
/// component's `mean` defaults to it, as for a distribution of its own; a `fixed` component
/// gives its `value`, else this one). Returns every problem, each with the key below
/// `distribution` it belongs to (`.components[1].weight`, `.components`).
pub fn resolve(raw: &RawDistribution, value: f64) -> Result<Vec<Component>, Vec<(String, ProblemKind)>> {
    let mut problems = Vec::new();
    let bad = |rule: &'static str| ProblemKind::BadDistribution { kind: "mixture".into(), rule };
    let own_keys = [raw.alpha, raw.beta, raw.shape, raw.scale, raw.meanlog, raw.sdlog, raw.mean, raw.sd, raw.se];
    if own_keys.iter().any(Option::is_some) || raw.interval.is_some() || raw.value.is_some() {
        problems.push((
            String::new(),
            bad("give only components = [...], each component with its own weight, type and parameters"),
        ));
    }
    if raw.weight.is_some() {
        problems.push((".weight".into(), bad("weight belongs to each component, not to the mixture")));
    }
    let Some(raw_components) = raw.components.as_deref().filter(|c| !c.is_empty()) else {
        problems.push((".components".into(), bad(NO_COMPONENTS)));
        return Err(problems);
    };
    let mut components = Vec::new();
    let mut sum = 0.0;
    for (k, c) in raw_components.iter().enumerate() {
        let at = format!(".components[{k}]");
        if c.kind == "mixture" || c.components.is_some() {
            problems.push((at, bad(NESTED)));
            continue;
        }
        match c.weight {
            None => problems.push((
                format!("{at}.weight"),
                ProblemKind::BadDistribution {
                    kind: c.kind.clone(),
                    rule: "a component of a mixture needs weight = (a number > 0)",
                },
            )),
            Some(w) => {
                sum += w;
                if let Err(kind) = weight_rule(w) {
                    problems.push((format!("{at}.weight"), kind));
                }
            }
        }
        let component_value = match (c.kind.as_str(), c.value) {
            ("fixed", v) => Some(v.unwrap_or(value)),
            (_, Some(_)) => {
                let rule = "value is only for a fixed component (the value it always gives)";
                problems.push((format!("{at}.value"), ProblemKind::BadDistribution { kind: c.kind.clone(), rule }));
                None
            }
            (_, None) => None,
        };
        match c.fit(value) {
            Ok(distribution) => {
                components.push(Component {
                    weight: c.weight.unwrap_or(f64::NAN),
                    distribution,
                    value: component_value,
                });
            }
            Err(kind) => problems.push((at, kind)),
        }
    }
    if problems.is_empty()
        && let Err(kind) = sum_rule(sum)
    {
        problems.push((".components".into(), kind));
    }
    if problems.is_empty() { Ok(components) } else { Err(problems) }
}

/// A mixture in words for tables: `mixture(0.36 fixed 0, 0.64 normal(-2.0100, 0.6811))`.
pub fn text(components: &[Component], one: impl Fn(&Distribution) -> String) -> String {
    let parts: Vec<String> = components
        .iter()
        .map(|c| match (&c.distribution, c.value) {
            (Distribution::Fixed, Some(v)) => {
                format!("{} fixed {}", crate::error::number(c.weight), crate::error::number(v))
            }
            (d, _) => format!("{} {}", crate::error::number(c.weight), one(d)),
        })
        .collect();
    format!("mixture({})", parts.join(", "))
}

/// A test mixture: no MELD effect with weight `weight_null`, else Pan 2014's normal(-2.01, 0.6811).
#[cfg(test)]
pub(crate) fn no_effect_or_pan(weight_null: f64) -> Vec<Component> {
    vec![
        Component { weight: weight_null, distribution: Distribution::Fixed, value: Some(0.0) },
        Component {
            weight: 1.0 - weight_null,
            distribution: Distribution::Normal { mean: -2.01, sd: 0.6811 },
            value: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    fn pan(weight_null: f64) -> Vec<Component> {
        no_effect_or_pan(weight_null)
    }

    /// Mean = 0.36 x 0 + 0.64 x -2.01 = -1.2864 (law of total expectation).
    #[test]
    fn the_mean_is_the_weighted_mean_of_the_components() {
        assert!((mean(&pan(0.36)) - (-1.2864)).abs() < 1e-12);
        let gamma =
            Component { weight: 0.25, distribution: Distribution::Gamma { shape: 2.0, scale: 3.0 }, value: None };
        let fixed = Component { weight: 0.75, distribution: Distribution::Fixed, value: Some(4.0) };
        assert!((mean(&[gamma, fixed]) - (0.25 * 6.0 + 3.0)).abs() < 1e-12);
    }

    /// Quantiles against the closed form: below the jump at 0, F(x) = 0.64 Phi((x + 2.01) / 0.6811);
    /// from 0 on, F = 0.36 + 0.64 Phi(...). The 2.5% quantile solves Phi(z) = 0.025 / 0.64.
    #[test]
    fn quantiles_match_the_closed_form() {
        let c = pan(0.36);
        let normal = Normal::standard();
        let want = -2.01 + 0.6811 * normal.inverse_cdf(0.025 / 0.64);
        assert!((quantile(&c, 0.025) - want).abs() < 1e-9, "{} vs {want}", quantile(&c, 0.025));
        // The jump at 0 spans F from 0.64 Phi(2.01 / 0.6811) to that + 0.36: every p in it gives 0.
        let below = 0.64 * normal.cdf(2.01 / 0.6811);
        assert_eq!(quantile(&c, below + 0.1), 0.0);
        assert_eq!(quantile(&c, 0.975), 0.0);
        // Above the jump the normal's tail again.
        let p = below + 0.36 + 0.5 * (0.64 - below);
        let want = -2.01 + 0.6811 * normal.inverse_cdf((p - 0.36) / 0.64);
        assert!((quantile(&c, p) - want).abs() < 1e-9);
        // A one-component mixture is its component.
        let one = [Component { weight: 1.0, distribution: Distribution::Normal { mean: 1.0, sd: 2.0 }, value: None }];
        assert!((quantile(&one, 0.975) - (1.0 + 2.0 * 1.959963984540054)).abs() < 1e-9);
    }

    #[test]
    fn weights_must_be_positive_and_sum_to_one() {
        assert!(check(&pan(0.36)).is_ok());
        let mut c = pan(0.36);
        c[0].weight = 0.3;
        let e = check(&c).unwrap_err().to_string();
        assert_eq!(
            e,
            "mixture weights sum to 0.94; they must sum to 1 (within 1e-9): each weight is the probability of drawing from its component"
        );
        c[0].weight = 0.36 + 5e-10;
        assert!(check(&c).is_ok(), "within 1e-9");
        c[0].weight = -0.36;
        assert!(
            check(&c).unwrap_err().to_string().starts_with("mixture weight is -0.36; each weight must be a number > 0")
        );
        assert!(check(&[]).is_err());
    }
}
