//! Named parameters: value, kind, source, and the distribution and range used for uncertainty.
//!
//! Parameters come from `[parameters.NAME]` tables in the scenario or from CSV files with the
//! columns of `shared/evidence/parameters.csv`. This module owns the checked [`Parameter`] type,
//! the kinds and the range rule of each kind, and the CSV reader.

use super::csv_rows::read_rows;
use super::mixture::{self, Component};
use crate::error::{FormatRule, ProblemKind, Result};
use serde::{Deserialize, Serialize};

/// What a number means; decides its valid range and where it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterKind {
    /// Probability of the event within one year, in [0, 1].
    AnnualProbability,
    /// Events per person-year, >= 0.
    AnnualRate,
    /// A probability over a stated period or per cycle, in [0, 1].
    Probability,
    /// Multiplies a hazard (rate), >= 0.
    HazardRatio,
    /// Multiplies a probability, >= 0.
    RelativeRisk,
    /// An odds ratio, >= 0.
    OddsRatio,
    /// A difference in means (e.g. MELD points), any finite number.
    MeanDifference,
    /// A duration in months, >= 0.
    Months,
    /// A duration in years, >= 0.
    Years,
    /// A share, in [0, 1]... or, in the evidence CSV, a count; see [`ParameterKind::Count`].
    Proportion,
    /// A count, >= 0.
    Count,
    /// A cost in the scenario's currency, any finite number.
    Cost,
    /// A QALY weight, at most 1 (states worse than death may be negative).
    Utility,
    /// A coefficient or other number on any scale (e.g. a regression coefficient, a log hazard),
    /// any finite number; used in formulas.
    Coefficient,
}

/// Every kind's name, for messages.
pub const KIND_NAMES: &str = "annual_probability, annual_rate, probability, hazard_ratio, relative_risk, odds_ratio, mean_difference, months, years, proportion, count, cost, utility, coefficient";

/// The distributions a parameter CSV's `dist` column may name, for messages.
const DISTRIBUTION_NAMES: &str = "beta, gamma, lognormal, normal, fixed";

impl ParameterKind {
    /// Parses the snake_case name used in files.
    pub fn parse(name: &str) -> Option<ParameterKind> {
        use ParameterKind::*;
        Some(match name {
            "annual_probability" => AnnualProbability,
            "annual_rate" => AnnualRate,
            "probability" => Probability,
            "hazard_ratio" => HazardRatio,
            "relative_risk" => RelativeRisk,
            "odds_ratio" => OddsRatio,
            "mean_difference" => MeanDifference,
            "months" => Months,
            "years" => Years,
            "proportion" => Proportion,
            "count" => Count,
            "cost" => Cost,
            "utility" => Utility,
            "coefficient" => Coefficient,
            _ => return None,
        })
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        use ParameterKind::*;
        match self {
            AnnualProbability => "annual_probability",
            AnnualRate => "annual_rate",
            Probability => "probability",
            HazardRatio => "hazard_ratio",
            RelativeRisk => "relative_risk",
            OddsRatio => "odds_ratio",
            MeanDifference => "mean_difference",
            Months => "months",
            Years => "years",
            Proportion => "proportion",
            Count => "count",
            Cost => "cost",
            Utility => "utility",
            Coefficient => "coefficient",
        }
    }

    /// Checks a value against this kind's range.
    ///
    /// # Errors
    /// [`ProblemKind::OutOfRange`] naming the rule.
    pub fn check(self, value: f64) -> std::result::Result<(), ProblemKind> {
        match self.broken_rule(value) {
            Some(rule) => Err(ProblemKind::OutOfRange { value, kind: self.name(), rule }),
            None => Ok(()),
        }
    }

    /// The rule of this kind's range that `value` breaks (as [`ParameterKind::check`] words it),
    /// or `None` when it is in range.
    pub fn broken_rule(self, value: f64) -> Option<&'static str> {
        use ParameterKind::*;
        if !value.is_finite() {
            return Some("must be a finite number");
        }
        match self {
            AnnualProbability | Probability | Proportion if !(0.0..=1.0).contains(&value) => Some("must be in [0, 1]"),
            AnnualRate | HazardRatio | RelativeRisk | OddsRatio | Months | Years | Count if value < 0.0 => {
                Some("must be >= 0")
            }
            Utility if value > 1.0 => Some("must be at most 1"),
            _ => None,
        }
    }

    /// The valid range as (lowest, highest), as [`ParameterKind::check`] applies it.
    pub fn range(self) -> (f64, f64) {
        use ParameterKind::*;
        match self {
            AnnualProbability | Probability | Proportion => (0.0, 1.0),
            AnnualRate | HazardRatio | RelativeRisk | OddsRatio | Months | Years | Count => (0.0, f64::INFINITY),
            Utility => (f64::NEG_INFINITY, 1.0),
            Cost | MeanDifference | Coefficient => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// The valid range in words, for messages.
    pub fn range_text(self) -> &'static str {
        use ParameterKind::*;
        match self {
            AnnualProbability | Probability | Proportion => "in [0, 1]",
            AnnualRate | HazardRatio | RelativeRisk | OddsRatio | Months | Years | Count => ">= 0",
            Utility => "at most 1",
            Cost | MeanDifference | Coefficient => "any number",
        }
    }

    /// The PSA distribution that suits this kind, for messages.
    pub fn suggested_distribution(self) -> &'static str {
        use ParameterKind::*;
        match self {
            AnnualProbability | Probability => "beta for a probability",
            Proportion => "beta for a proportion",
            AnnualRate => "gamma for a rate",
            HazardRatio | RelativeRisk | OddsRatio => "lognormal for a ratio",
            Months | Years => "gamma or lognormal for a duration",
            Count => "gamma for a count",
            Utility => "beta for a utility (or a gamma on the disutility, 1 - utility, as a parameter of its own)",
            Cost => "gamma for a cost",
            MeanDifference => "normal for a mean difference",
            Coefficient => "normal for a coefficient (or a multivariate_normal group)",
        }
    }
}

/// A distribution for probabilistic sensitivity analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Distribution {
    Beta {
        alpha: f64,
        beta: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Lognormal {
        meanlog: f64,
        sdlog: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    Fixed,
    /// One of several distributions, each drawn with its weight (see [`super::mixture`]).
    Mixture {
        components: Vec<Component>,
    },
}

impl Distribution {
    /// Checks the distribution's own parameters.
    ///
    /// # Errors
    /// [`ProblemKind::OutOfRange`] for a non-positive beta/gamma parameter or a negative spread.
    pub fn check(&self) -> std::result::Result<(), ProblemKind> {
        let bad = |value: f64, rule| ProblemKind::OutOfRange { value, kind: "distribution parameter", rule };
        let positive = |v: f64| {
            if v.is_finite() && v > 0.0 { Ok(()) } else { Err(bad(v, "must be > 0")) }
        };
        let spread = |v: f64| {
            if v.is_finite() && v >= 0.0 { Ok(()) } else { Err(bad(v, "must be >= 0")) }
        };
        let finite = |v: f64| {
            if v.is_finite() { Ok(()) } else { Err(bad(v, "must be finite")) }
        };
        match *self {
            Distribution::Beta { alpha, beta } => positive(alpha).and(positive(beta)),
            Distribution::Gamma { shape, scale } => positive(shape).and(positive(scale)),
            Distribution::Lognormal { meanlog, sdlog } => finite(meanlog).and(spread(sdlog)),
            Distribution::Normal { mean, sd } => finite(mean).and(spread(sd)),
            Distribution::Fixed => Ok(()),
            Distribution::Mixture { ref components } => mixture::check(components),
        }
    }

    /// The family's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Beta { .. } => "beta",
            Distribution::Gamma { .. } => "gamma",
            Distribution::Lognormal { .. } => "lognormal",
            Distribution::Normal { .. } => "normal",
            Distribution::Fixed => "fixed",
            Distribution::Mixture { .. } => "mixture",
        }
    }

    /// The mean of a draw: alpha / (alpha + beta), shape x scale, exp(meanlog + sdlog^2 / 2),
    /// mean; for a mixture the weighted mean of its components' means ([`mixture::mean`]);
    /// `None` for `fixed` (the base-case value).
    pub fn mean(&self) -> Option<f64> {
        match *self {
            Distribution::Beta { alpha, beta } => Some(alpha / (alpha + beta)),
            Distribution::Gamma { shape, scale } => Some(shape * scale),
            Distribution::Lognormal { meanlog, sdlog } => Some((meanlog + sdlog * sdlog / 2.0).exp()),
            Distribution::Normal { mean, .. } => Some(mean),
            Distribution::Fixed => None,
            Distribution::Mixture { ref components } => Some(mixture::mean(components)),
        }
    }

    /// The values a draw can take, as (lowest, highest, in words); `None` for `fixed`, which
    /// always gives the base-case value, and for a mixture, whose components are checked one by
    /// one ([`Distribution::check_kind`]).
    pub fn support(&self) -> Option<(f64, f64, &'static str)> {
        match self {
            Distribution::Beta { .. } => Some((0.0, 1.0, "[0, 1]")),
            Distribution::Gamma { .. } => Some((0.0, f64::INFINITY, "[0, inf)")),
            Distribution::Lognormal { .. } => Some((0.0, f64::INFINITY, "(0, inf)")),
            Distribution::Normal { .. } => Some((f64::NEG_INFINITY, f64::INFINITY, "(-inf, inf)")),
            Distribution::Fixed | Distribution::Mixture { .. } => None,
        }
    }

    /// Checks that every draw lies in the range of `kind`: the family's support must lie inside
    /// the kind's range (beta for [0, 1] and wider, gamma and lognormal for kinds >= 0 or any
    /// number, normal only for costs and mean differences).
    ///
    /// # Errors
    /// [`ProblemKind::DistributionOutsideKind`] naming the parameter, the family, the kind and
    /// the distribution to use instead.
    /// A mixture's components are checked in turn: a fixed component's value against the kind's
    /// range ([`ProblemKind::OutOfRange`]), the others as distributions of their own.
    pub fn check_kind(&self, name: &str, kind: ParameterKind) -> std::result::Result<(), ProblemKind> {
        if let Distribution::Mixture { components } = self {
            for c in components {
                match (&c.distribution, c.value) {
                    (Distribution::Fixed, Some(v)) => kind.check(v)?,
                    (d, _) => d.check_kind(name, kind)?,
                }
            }
            return Ok(());
        }
        let Some((low, high, support)) = self.support() else { return Ok(()) };
        let (kind_low, kind_high) = kind.range();
        if low >= kind_low && high <= kind_high {
            return Ok(());
        }
        Err(ProblemKind::DistributionOutsideKind {
            name: name.to_string(),
            kind: kind.name(),
            range: kind.range_text(),
            distribution: self.name(),
            support,
            fix: kind.suggested_distribution(),
        })
    }

    /// The central interval holding `mass` of the distribution (e.g. 0.99: from the 0.5% to the
    /// 99.5% quantile); `None` for `fixed`, a zero spread or parameters statrs rejects. A
    /// mixture's quantiles are found by bisection on its CDF ([`mixture::quantile`]).
    pub fn central_interval(&self, mass: f64) -> Option<(f64, f64)> {
        let (p_low, p_high) = ((1.0 - mass) / 2.0, (1.0 + mass) / 2.0);
        let (low, high) = match self {
            Distribution::Mixture { components } => {
                (mixture::quantile(components, p_low), mixture::quantile(components, p_high))
            }
            d => (d.quantile(p_low)?, d.quantile(p_high)?),
        };
        (low.is_finite() && high.is_finite()).then_some((low, high))
    }

    /// The p-quantile of one family; `None` for `fixed`, a mixture, a zero spread or parameters
    /// statrs rejects.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal};
        match *self {
            Distribution::Beta { alpha, beta } => Some(Beta::new(alpha, beta).ok()?.inverse_cdf(p)),
            Distribution::Gamma { shape, scale } => {
                let d = Gamma::new(shape, 1.0 / scale).ok()?;
                Some(quantile_by_bisection(|x| d.cdf(x), p, 0.0, shape * scale))
            }
            Distribution::Lognormal { meanlog, sdlog } if sdlog > 0.0 => {
                Some(LogNormal::new(meanlog, sdlog).ok()?.inverse_cdf(p))
            }
            Distribution::Normal { mean, sd } if sd > 0.0 => Some(Normal::new(mean, sd).ok()?.inverse_cdf(p)),
            _ => None,
        }
    }

    /// P(X <= x) of one family; `None` where [`Distribution::quantile`] is.
    pub fn cdf(&self, x: f64) -> Option<f64> {
        use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal};
        match *self {
            Distribution::Beta { alpha, beta } => Some(Beta::new(alpha, beta).ok()?.cdf(x)),
            Distribution::Gamma { shape, scale } => Some(Gamma::new(shape, 1.0 / scale).ok()?.cdf(x)),
            Distribution::Lognormal { meanlog, sdlog } if sdlog > 0.0 => {
                Some(LogNormal::new(meanlog, sdlog).ok()?.cdf(x))
            }
            Distribution::Normal { mean, sd } if sd > 0.0 => Some(Normal::new(mean, sd).ok()?.cdf(x)),
            _ => None,
        }
    }
}

/// The p-quantile of a distribution on [low, inf) from its CDF: the upper end of the bracket
/// doubles from `guess` until it holds p, then 200 bisections (more than the 52 bits of an f64).
fn quantile_by_bisection(cdf: impl Fn(f64) -> f64, p: f64, mut low: f64, guess: f64) -> f64 {
    let mut high = if guess.is_finite() && guess > low { guess } else { low + 1.0 };
    while cdf(high) < p && high.is_finite() {
        high *= 2.0;
    }
    for _ in 0..200 {
        let mid = low + (high - low) / 2.0;
        if cdf(mid) < p { low = mid } else { high = mid }
    }
    low + (high - low) / 2.0
}

/// A distribution as written in a scenario: its own parameters, or a mean (default: the
/// parameter's value) with a standard error, or a 95% interval, to be fitted by the method of
/// moments (Briggs, Claxton & Sculpher 2006, section 4.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribution {
    #[serde(rename = "type")]
    pub kind: String,
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub meanlog: Option<f64>,
    pub sdlog: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Standard error of the mean (for fitting).
    pub se: Option<f64>,
    /// 95% interval `[low, high]` (for fitting).
    pub interval: Option<[f64; 2]>,
    /// A mixture component's weight (see [`mixture`]).
    pub weight: Option<f64>,
    /// The value a fixed mixture component gives.
    pub value: Option<f64>,
    /// A mixture's components.
    pub components: Option<Vec<RawDistribution>>,
}

/// Normal quantile for a two-sided 95% interval.
const Z95: f64 = 1.959963984540054;

impl RawDistribution {
    /// Resolves to a [`Distribution`], fitting by the method of moments where asked:
    /// - beta from mean m and se s: alpha = m (m (1 - m) / s^2 - 1), beta = alpha (1 - m) / m;
    /// - gamma: shape = m^2 / s^2, scale = s^2 / m;
    /// - lognormal: sdlog^2 = ln(1 + s^2 / m^2), meanlog = ln m - sdlog^2 / 2; from an interval,
    ///   meanlog and sdlog are the log-midpoint and (ln high - ln low) / (2 x 1.96);
    /// - normal: sd = s;
    ///
    /// with s = (high - low) / (2 x 1.96) when an interval is given.
    ///
    /// # Errors
    /// [`ProblemKind::BadDistribution`] naming what is missing or impossible; for a mixture, the
    /// first of [`RawDistribution::resolve`]'s problems.
    pub fn fit(&self, value: f64) -> std::result::Result<Distribution, ProblemKind> {
        let bad = |rule: &'static str| ProblemKind::BadDistribution { kind: self.kind.clone(), rule };
        if self.kind == "mixture" {
            return self.resolve(value).map_err(|mut p| p.swap_remove(0).1);
        }
        let m = self.mean.unwrap_or(value);
        let se = match (self.se, self.interval) {
            (Some(s), None) => Some(s),
            (None, Some([lo, hi])) if hi > lo => Some((hi - lo) / (2.0 * Z95)),
            (None, Some(_)) => return Err(bad("interval must be [low, high] with low < high")),
            (Some(_), Some(_)) => return Err(bad("give se or interval, not both")),
            (None, None) => None,
        };
        let d = match self.kind.as_str() {
            "fixed" => Distribution::Fixed,
            "beta" => match (self.alpha, self.beta, se) {
                (Some(alpha), Some(beta), None) => Distribution::Beta { alpha, beta },
                (None, None, Some(s)) => {
                    if !(m > 0.0 && m < 1.0 && s > 0.0 && s * s < m * (1.0 - m)) {
                        return Err(bad("a beta fit needs 0 < mean < 1 and se^2 < mean (1 - mean)"));
                    }
                    let alpha = m * (m * (1.0 - m) / (s * s) - 1.0);
                    Distribution::Beta { alpha, beta: alpha * (1.0 - m) / m }
                }
                _ => return Err(bad("give alpha and beta, or se or interval (mean defaults to the value)")),
            },
            "gamma" => match (self.shape, self.scale, se) {
                (Some(shape), Some(scale), None) => Distribution::Gamma { shape, scale },
                (None, None, Some(s)) => {
                    if !(m > 0.0 && s > 0.0) {
                        return Err(bad("a gamma fit needs mean > 0 and se > 0"));
                    }
                    Distribution::Gamma { shape: m * m / (s * s), scale: s * s / m }
                }
                _ => return Err(bad("give shape and scale, or se or interval (mean defaults to the value)")),
            },
            "lognormal" => match (self.meanlog, self.sdlog, self.se, self.interval) {
                (Some(meanlog), Some(sdlog), None, None) => Distribution::Lognormal { meanlog, sdlog },
                (None, None, None, Some([lo, hi])) if lo > 0.0 && hi > lo => Distribution::Lognormal {
                    meanlog: (lo.ln() + hi.ln()) / 2.0,
                    sdlog: (hi.ln() - lo.ln()) / (2.0 * Z95),
                },
                (None, None, Some(s), None) if m > 0.0 && s > 0.0 => {
                    let var = (1.0 + s * s / (m * m)).ln();
                    Distribution::Lognormal { meanlog: m.ln() - var / 2.0, sdlog: var.sqrt() }
                }
                _ => return Err(bad("give meanlog and sdlog, or se (mean > 0), or a positive interval")),
            },
            "normal" => match (self.sd, se) {
                (Some(sd), None) => Distribution::Normal { mean: m, sd },
                (None, Some(s)) => {
                    let mean = match (self.mean, self.interval) {
                        (None, Some([lo, hi])) => (lo + hi) / 2.0,
                        _ => m,
                    };
                    Distribution::Normal { mean, sd: s }
                }
                _ => return Err(bad("give sd, or se or interval (mean defaults to the value)")),
            },
            _ => return Err(bad("type must be beta, gamma, lognormal, normal, fixed or mixture")),
        };
        d.check().map(|()| d)
    }

    /// Resolves a distribution as written, a mixture's components included, returning every
    /// problem with the key below `distribution` it belongs to (`""` for the distribution
    /// itself, `.components[1].weight` for a component's): [`RawDistribution::fit`] for one
    /// family, [`mixture::resolve`] for a mixture. `weight`, `value` and `components` outside a
    /// mixture are problems.
    ///
    /// # Errors
    /// Every problem, keyed as above.
    pub fn resolve(&self, value: f64) -> std::result::Result<Distribution, Vec<(String, ProblemKind)>> {
        if self.kind == "mixture" {
            return mixture::resolve(self, value).map(|components| Distribution::Mixture { components });
        }
        let bad = |rule: &'static str| ProblemKind::BadDistribution { kind: self.kind.clone(), rule };
        let mut problems = Vec::new();
        if self.weight.is_some() {
            problems.push((".weight".to_string(), bad("weight is only for a component of a mixture")));
        }
        if self.value.is_some() {
            problems.push((".value".to_string(), bad("value is only for a fixed component of a mixture; a fixed distribution gives the parameter's value")));
        }
        if self.components.is_some() {
            problems.push((".components".to_string(), bad("components are only for type = \"mixture\"")));
        }
        match self.fit(value) {
            Ok(d) if problems.is_empty() => Ok(d),
            Ok(_) => Err(problems),
            Err(kind) => {
                problems.insert(0, (String::new(), kind));
                Err(problems)
            }
        }
    }
}

/// A checked, named parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    pub value: f64,
    pub kind: ParameterKind,
    pub unit: Option<String>,
    pub source: Option<String>,
    pub note: Option<String>,
    pub distribution: Option<Distribution>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Where it was defined: `scenario line N` or `FILE line N`.
    pub origin: String,
    /// For a derived parameter: the formula that gives its value (then `distribution`, `low` and
    /// `high` are `None`, and `value` is the base-case value, or NaN when the formula reads model
    /// time and so has no single value).
    #[serde(serialize_with = "formula_text")]
    pub formula: Option<std::sync::Arc<super::formula::Formula>>,
    /// For a cost stated in another currency or price year: how it was converted. `value`,
    /// `distribution`, `low` and `high` are then already in the scenario's currency and price
    /// year (scaled by the factor once, at validation); the value as written is
    /// [`super::prices::Conversion::source_value`].
    pub conversion: Option<super::prices::Conversion>,
}

/// A formula is written to JSON as its text.
fn formula_text<S: serde::Serializer>(
    f: &Option<std::sync::Arc<super::formula::Formula>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match f {
        Some(f) => s.serialize_some(f.text()),
        None => s.serialize_none(),
    }
}

impl Parameter {
    /// True for a parameter whose value comes from a formula.
    pub fn is_derived(&self) -> bool {
        self.formula.is_some()
    }
}

/// Reads a parameter CSV (columns `name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note`;
/// `name`, `value` and `kind` are required, the others may be absent or empty).
///
/// Rows are a library: the scenario checks the range of a CSV parameter only if it uses it.
/// `dist_a`/`dist_b` are beta alpha/beta, gamma shape/scale, lognormal meanlog/sdlog, normal
/// mean/sd, as in `shared/evidence/parameters.csv`.
///
/// # Errors
/// [`crate::error::Error::FileFormat`] with the line (and the column, by header name) for a
/// malformed row, an empty name, value or kind, a cell that is not a number, an unknown kind or
/// distribution, or a distribution missing `dist_a`/`dist_b`.
pub fn read_csv(file: &str, text: &str) -> Result<Vec<Parameter>> {
    let mut out = Vec::new();
    for row in read_rows(file, text, "name,value,kind")? {
        let name = row.required_text("name")?.to_string();
        let value = row.required_number("value")?;
        let kind_text = row.required_text("kind")?;
        let kind = ParameterKind::parse(kind_text).ok_or_else(|| {
            row.error(Some("kind"), FormatRule::Unknown { value: kind_text.to_string(), known: KIND_NAMES.to_string() })
        })?;
        let need = |distribution: &'static str, column: &'static str| -> Result<f64> {
            row.number(column)?.ok_or_else(|| row.error(None, FormatRule::NeedsColumn { distribution, column }))
        };
        let distribution = match row.text("dist") {
            None => None,
            Some("fixed") => Some(Distribution::Fixed),
            Some("beta") => Some(Distribution::Beta { alpha: need("beta", "dist_a")?, beta: need("beta", "dist_b")? }),
            Some("gamma") => {
                Some(Distribution::Gamma { shape: need("gamma", "dist_a")?, scale: need("gamma", "dist_b")? })
            }
            Some("lognormal") => Some(Distribution::Lognormal {
                meanlog: need("lognormal", "dist_a")?,
                sdlog: need("lognormal", "dist_b")?,
            }),
            Some("normal") => {
                Some(Distribution::Normal { mean: need("normal", "dist_a")?, sd: need("normal", "dist_b")? })
            }
            Some(other) => {
                let known = DISTRIBUTION_NAMES.to_string();
                return Err(row.error(Some("dist"), FormatRule::Unknown { value: other.to_string(), known }));
            }
        };
        out.push(Parameter {
            formula: None,
            value,
            kind,
            unit: row.text("unit").map(str::to_string),
            source: row.text("source").map(str::to_string),
            note: row.text("note").map(str::to_string),
            distribution,
            low: row.number("low")?,
            high: row.number("high")?,
            origin: format!("{file} line {}", row.line),
            name,
            conversion: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_check_ranges() {
        for name in KIND_NAMES.split(", ") {
            assert_eq!(ParameterKind::parse(name).unwrap().name(), name);
        }
        assert!(ParameterKind::AnnualProbability.check(0.3).is_ok());
        assert!(ParameterKind::AnnualProbability.check(1.07).is_err());
        assert!(ParameterKind::AnnualRate.check(-0.1).is_err());
        assert!(ParameterKind::AnnualRate.check(3.0).is_ok());
        assert!(ParameterKind::HazardRatio.check(f64::NAN).is_err());
        assert!(ParameterKind::Utility.check(-0.2).is_ok());
        assert!(ParameterKind::Utility.check(1.2).is_err());
        assert!(ParameterKind::Cost.check(-100.0).is_ok());
    }

    #[test]
    fn method_of_moments_fits_reproduce_mean_and_se() {
        let raw = |kind: &str| RawDistribution { kind: kind.into(), ..Default::default() };
        // Beta with mean 0.3 and se 0.05: alpha = 0.3 (0.21 / 0.0025 - 1) = 24.9, beta = 58.1.
        let d = RawDistribution { se: Some(0.05), ..raw("beta") }.fit(0.3).unwrap();
        let Distribution::Beta { alpha, beta } = d else { panic!("{d:?}") };
        assert!((alpha - 24.9).abs() < 1e-9 && (beta - 58.1).abs() < 1e-9);
        let mean = alpha / (alpha + beta);
        let sd = (alpha * beta / ((alpha + beta).powi(2) * (alpha + beta + 1.0))).sqrt();
        assert!((mean - 0.3).abs() < 1e-12 && (sd - 0.05).abs() < 1e-12);
        // Gamma from a 95% interval around the value.
        let d = RawDistribution { interval: Some([0.173, 0.630]), ..raw("gamma") }.fit(0.347).unwrap();
        let Distribution::Gamma { shape, scale } = d else { panic!("{d:?}") };
        assert!((shape * scale - 0.347).abs() < 1e-12);
        assert!((shape.sqrt() * scale - (0.630 - 0.173) / 3.919927969080108).abs() < 1e-12);
        // Lognormal from an interval: the evidence table's convention (hr_msc_via_meld_derived).
        let d = RawDistribution { interval: Some([0.715, 0.934]), ..raw("lognormal") }.fit(0.818).unwrap();
        let Distribution::Lognormal { meanlog, sdlog } = d else { panic!("{d:?}") };
        assert!((meanlog - (-0.2010)).abs() < 1e-3 && (sdlog - 0.0682).abs() < 1e-3, "{meanlog} {sdlog}");
        // Lognormal from mean and se keeps the arithmetic mean.
        let d = RawDistribution { se: Some(0.2), ..raw("lognormal") }.fit(1.0).unwrap();
        let Distribution::Lognormal { meanlog, sdlog } = d else { panic!("{d:?}") };
        assert!(((meanlog + sdlog * sdlog / 2.0).exp() - 1.0).abs() < 1e-12);
        // Impossible requests say what is wrong.
        let e = RawDistribution { se: Some(0.6), ..raw("beta") }.fit(0.3).unwrap_err().to_string();
        assert!(e.contains("se^2 < mean (1 - mean)"), "{e}");
        let e = RawDistribution { alpha: Some(2.0), ..raw("beta") }.fit(0.3).unwrap_err().to_string();
        assert!(e.contains("give alpha and beta"), "{e}");
    }

    #[test]
    fn distributions_reject_impossible_parameters() {
        assert!(Distribution::Beta { alpha: 0.0, beta: 1.0 }.check().is_err());
        assert!(Distribution::Gamma { shape: 2.0, scale: -1.0 }.check().is_err());
        assert!(Distribution::Lognormal { meanlog: -0.2, sdlog: 0.07 }.check().is_ok());
        assert!(Distribution::Normal { mean: 0.0, sd: f64::INFINITY }.check().is_err());
    }

    #[test]
    fn evidence_csv_layout_is_read() {
        let text = "name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note\n\
                    r_decomp_death,0.347,per year,annual_rate,gamma,8.859,0.03917,0.173,0.630,\"D'Amico 2006, median 2 y\",\n\
                    msc_n_infusions,3,infusions,proportion,fixed,3,,1,4,Shi 2021,\n";
        let p = read_csv("p.csv", text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].kind, ParameterKind::AnnualRate);
        assert_eq!(p[0].distribution, Some(Distribution::Gamma { shape: 8.859, scale: 0.03917 }));
        assert_eq!(p[0].source.as_deref(), Some("D'Amico 2006, median 2 y"));
        assert_eq!(p[0].origin, "p.csv line 2");
        assert_eq!(p[1].distribution, Some(Distribution::Fixed));
        assert_eq!(p[1].note, None);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let text = "name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note\nx,1,,weird,,,,,,,\n";
        let e = read_csv("p.csv", text).unwrap_err().to_string();
        assert!(e.starts_with("p.csv:2: column \"kind\": \"weird\" is not one of: annual_probability"), "{e}");
        let text = "name,value,unit,kind,dist,dist_a,dist_b,low,high,source,note\nx,1,,cost,gamma,2,,,,,\n";
        let e = read_csv("p.csv", text).unwrap_err().to_string();
        assert_eq!(e, "p.csv:2: distribution gamma needs dist_b");
        let text = "name,value,kind,dist\nx,1,cost,gama\n";
        let e = read_csv("p.csv", text).unwrap_err().to_string();
        assert_eq!(e, "p.csv:2: column \"dist\": \"gama\" is not one of: beta, gamma, lognormal, normal, fixed");
    }

    #[test]
    fn the_shared_evidence_table_loads_when_present() {
        // The shared folder sits beside the repository in CI and on developer machines.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/evidence/parameters.csv");
        if let Ok(text) = std::fs::read_to_string(path) {
            let p = read_csv(path, &text).unwrap();
            assert!(p.len() >= 80, "{} rows", p.len());
            let hr = p.iter().find(|p| p.name == "hr_msc_via_meld_derived").unwrap();
            assert_eq!(hr.value, 0.818);
        } else {
            eprintln!("skipped: {path} not found (shared/ is not beside the repository)");
        }
    }
}
