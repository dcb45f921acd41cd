//! Currency and price year: `[economics] conversion` and `country`, and a cost parameter's
//! `currency`, `price_year` and `country`.
//!
//! The scenario's currency, price year and country are read first ([`Validator::price_target`]),
//! before the parameters, because a cost's conversion must be known before a derived parameter
//! or any check uses its value. Each inline cost parameter that states its own price basis is
//! converted once ([`Validator::convert_prices`], with [`crate::scenario::prices::convert`]):
//! its value, its PSA distribution and its DSA range are multiplied by the factor, and the
//! [`Conversion`] is kept on the parameter for `params`, `explain`, the report and
//! summary.json. From then on the model, the PSA sampler, DSA, threshold and calibration see the
//! cost in the scenario's currency only. A missing index, an unknown currency or country, a
//! price basis given by halves, or a currency on a parameter that is not a cost are located
//! problems, never a silent factor of 1.

use super::super::parameters::{Distribution, Parameter, ParameterKind};
use super::super::prices::{self, Conversion, ConversionMethod, PriceBasis};
use super::super::raw::{RawEconomics, RawParameter};
use super::Validator;
use crate::error::ProblemKind;
use std::collections::BTreeMap;
use toml::Spanned;

/// The scenario's side of every conversion, read from `[economics]`.
pub(super) struct PriceTarget {
    /// `None` after a problem with `conversion` (no conversion is then attempted).
    pub method: Option<ConversionMethod>,
    pub currency: String,
    pub price_year: i64,
    /// The analysis's country; `Err` holds the problem, reported at `economics.currency` the
    /// first time a cost needs it (a scenario whose costs are all in its own currency never
    /// needs the table).
    pub country: Result<String, ProblemKind>,
    pub line: Option<usize>,
    /// Whether the problem in `country` has been reported.
    pub reported: bool,
}

impl Validator<'_> {
    /// Reads `[economics] currency`, `price_year`, `conversion` and `country`; problems with
    /// `conversion` and a given `country` are reported here, once.
    pub(super) fn price_target(&mut self, raw: Option<&Spanned<RawEconomics>>) -> Option<PriceTarget> {
        let raw_economics = raw?;
        let line = self.line(raw_economics);
        let e = raw_economics.get_ref();
        let method = match e.conversion.as_deref() {
            None => Some(ConversionMethod::Ccemg),
            Some(name) => match ConversionMethod::parse(name) {
                Some(ConversionMethod::GdpDeflator) if !prices::has_series("gdp_deflator") => {
                    let kind = ProblemKind::PriceSeriesMissing { series: "gdp_deflator", method: "gdp_deflator" };
                    self.problem("economics.conversion", line, kind);
                    None
                }
                Some(m) => Some(m),
                None => {
                    let kind = ProblemKind::UnknownChoice { value: name.to_string(), choices: ConversionMethod::NAMES };
                    self.problem("economics.conversion", line, kind);
                    None
                }
            },
        };
        let country = prices::resolve_country(&e.currency, e.country.as_deref());
        let mut reported = false;
        if let (Some(_), Err(kind)) = (&e.country, &country) {
            let key = if matches!(kind, ProblemKind::UnknownCurrency { .. }) { "currency" } else { "country" };
            self.problem(format!("economics.{key}"), line, kind.clone());
            reported = true;
        }
        Some(PriceTarget { method, currency: e.currency.clone(), price_year: e.price_year, country, line, reported })
    }

    /// Converts every inline cost parameter that states its own currency and price year.
    pub(super) fn convert_prices(&mut self, inline: &BTreeMap<String, Spanned<RawParameter>>) {
        for (name, raw) in inline {
            let p = raw.get_ref();
            if p.currency.is_none() && p.price_year.is_none() && p.country.is_none() {
                continue;
            }
            let line = self.line(raw);
            let key = format!("parameters.{name}");
            // Only the parameter this table defined (an unknown kind leaves none).
            let Some(&i) = self.parameter_index.get(name).filter(|&&i| self.parameter_lines[i] == line) else {
                continue;
            };
            let first = if p.currency.is_some() {
                "currency"
            } else if p.price_year.is_some() {
                "price_year"
            } else {
                "country"
            };
            if p.formula.is_some() {
                self.problem(format!("{key}.{first}"), line, ProblemKind::DerivedTakesNo { key: first });
                continue;
            }
            let kind = self.parameters[i].kind;
            if kind != ParameterKind::Cost {
                self.problem(format!("{key}.{first}"), line, ProblemKind::ConversionNotCost { kind: kind.name() });
                continue;
            }
            let (currency, price_year) = match (&p.currency, p.price_year) {
                (Some(c), Some(y)) => (c.clone(), y),
                (Some(_), None) => {
                    let kind = ProblemKind::PriceBasisIncomplete { given: "currency", missing: "price_year" };
                    self.problem(format!("{key}.currency"), line, kind);
                    continue;
                }
                (None, Some(_)) => {
                    let kind = ProblemKind::PriceBasisIncomplete { given: "price_year", missing: "currency" };
                    self.problem(format!("{key}.price_year"), line, kind);
                    continue;
                }
                (None, None) => {
                    let kind =
                        ProblemKind::PriceBasisIncomplete { given: "country", missing: "currency and price_year" };
                    self.problem(format!("{key}.country"), line, kind);
                    continue;
                }
            };
            let Some(target) = self.price_target.as_ref() else {
                self.problem(format!("{key}.currency"), line, ProblemKind::ConversionWithoutEconomics);
                continue;
            };
            let (to_currency, to_year, method) = (target.currency.clone(), target.price_year, target.method);
            let (to_country, target_line, reported) = (target.country.clone(), target.line, target.reported);
            let identity = currency == to_currency && price_year == to_year;
            let from_country = match prices::resolve_country(&currency, p.country.as_deref()) {
                Ok(k) => k,
                // The same currency and year need no index, so no country: factor 1 exactly.
                Err(_) if identity && p.country.is_none() => String::new(),
                Err(kind) => {
                    let field =
                        if matches!(kind, ProblemKind::UnknownCurrency { .. }) { "currency" } else { "country" };
                    self.problem(format!("{key}.{field}"), line, kind);
                    continue;
                }
            };
            let from = PriceBasis { currency, price_year, country: from_country };
            let conversion = if identity {
                prices::convert(&from, &from, ConversionMethod::Ccemg)
            } else {
                let Some(method) = method else { continue };
                let to_country = match to_country {
                    Ok(k) => k,
                    Err(kind) => {
                        if !reported {
                            self.problem("economics.currency", target_line, kind);
                            if let Some(t) = self.price_target.as_mut() {
                                t.reported = true;
                            }
                        }
                        continue;
                    }
                };
                let to = PriceBasis { currency: to_currency, price_year: to_year, country: to_country };
                prices::convert(&from, &to, method)
            };
            let mut conversion = match conversion {
                Ok(c) => c,
                Err(kind) => {
                    self.problem(format!("{key}.price_year"), line, kind);
                    continue;
                }
            };
            conversion.source_value = self.parameters[i].value;
            if let Err(kind) = rescale(&mut self.parameters[i], conversion.factor) {
                self.problem(format!("{key}.distribution"), line, kind);
                continue;
            }
            self.parameters[i].conversion = Some(conversion);
        }
    }
}

/// Multiplies a parameter's value, DSA range and PSA distribution by `factor` (> 0): gamma
/// scale x factor, lognormal meanlog + ln factor, normal mean and sd x factor, a mixture's
/// components each so and a fixed component's value x factor, so each draw is the draw in the
/// source's units times the factor.
///
/// # Errors
/// [`ProblemKind::ConversionCannotScale`] for a beta distribution, whose draws lie in [0, 1]
/// whatever the units.
pub(super) fn rescale(p: &mut Parameter, factor: f64) -> Result<(), ProblemKind> {
    if factor == 1.0 {
        return Ok(());
    }
    p.distribution = p.distribution.take().map(|d| scaled(d, factor)).transpose()?;
    p.value *= factor;
    p.low = p.low.map(|x| x * factor);
    p.high = p.high.map(|x| x * factor);
    Ok(())
}

/// A distribution scaled by `factor` (see [`rescale`]).
fn scaled(d: Distribution, factor: f64) -> Result<Distribution, ProblemKind> {
    Ok(match d {
        Distribution::Gamma { shape, scale } => Distribution::Gamma { shape, scale: scale * factor },
        Distribution::Lognormal { meanlog, sdlog } => Distribution::Lognormal { meanlog: meanlog + factor.ln(), sdlog },
        Distribution::Normal { mean, sd } => Distribution::Normal { mean: mean * factor, sd: sd * factor },
        Distribution::Beta { .. } => {
            return Err(ProblemKind::ConversionCannotScale {
                factor,
                what: "keep a beta distribution (its draws lie in [0, 1] in any currency)",
                fix: "use a gamma distribution for a cost",
            });
        }
        Distribution::Mixture { components } => Distribution::Mixture {
            components: components
                .into_iter()
                .map(|c| {
                    let value = c.value.map(|v| v * factor);
                    Ok(super::super::mixture::Component { distribution: scaled(c.distribution, factor)?, value, ..c })
                })
                .collect::<Result<_, ProblemKind>>()?,
        },
        Distribution::Fixed => Distribution::Fixed,
    })
}

/// The parameter as written in the file, before its conversion (for messages about it).
pub(super) fn as_written(p: &Parameter) -> Parameter {
    let mut q = p.clone();
    if let Some(c) = &p.conversion
        && !c.is_identity()
    {
        // A converted parameter has no beta distribution, so this cannot fail.
        let _ = rescale(&mut q, 1.0 / c.factor);
        q.value = c.source_value;
    }
    q
}

/// The conversion of a parameter, if any, that is not the identity.
pub(super) fn converted(p: &Parameter) -> Option<&Conversion> {
    p.conversion.as_ref().filter(|c| !c.is_identity())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    /// BASE with a cost parameter `c` (USD 2024 unless `extra` says otherwise) and an economics table.
    fn with_cost(parameter: &str, economics: &str) -> String {
        format!(
            "{BASE}[economics]\ncurrency = \"EUR\"\nprice_year = 2013\ndiscount_rate_costs = 0.03\ndiscount_rate_effects = 0.03\n{economics}\n[parameters.c]\nkind = \"cost\"\nsource = \"t\"\n{parameter}\n[[costs]]\nstate = \"a\"\nannual = \"c\"\n"
        )
    }

    const USD_2024: &str = "value = 4000\ncurrency = \"USD\"\nprice_year = 2024\nlow = 1500\nhigh = 9333\ndistribution = { type = \"gamma\", shape = 4.007, scale = 998.3 }";

    #[test]
    fn a_usd_cost_is_converted_with_its_range_and_distribution() {
        let scenario = s(&with_cost(USD_2024, "")).unwrap();
        let p = scenario.parameters.iter().find(|p| p.name == "c").unwrap();
        let f = 232.957 / 313.689 * 0.774784;
        let c = p.conversion.as_ref().unwrap();
        assert!(((c.factor - f) / f).abs() < 1e-12);
        assert_eq!(c.source_value, 4000.0);
        assert!(((p.value - 4000.0 * f) / p.value).abs() < 1e-12, "{}", p.value);
        assert!(((p.low.unwrap() - 1500.0 * f) / 1500.0).abs() < 1e-12);
        assert!(((p.high.unwrap() - 9333.0 * f) / 9333.0).abs() < 1e-12);
        let Some(super::Distribution::Gamma { shape, scale }) = p.distribution else { panic!() };
        assert_eq!(shape, 4.007);
        assert!(((scale - 998.3 * f) / scale).abs() < 1e-12);
        assert_eq!(c.to.country, "DEU");
        // By the exchange rate instead.
        let scenario = s(&with_cost(USD_2024, "conversion = \"exchange_rate\"")).unwrap();
        let c = scenario.parameters.iter().find(|p| p.name == "c").unwrap().conversion.clone().unwrap();
        assert!(((c.factor - 232.957 / 313.689 * 0.752945) / c.factor).abs() < 1e-12);
        // A lognormal is shifted on the log scale, a normal scaled.
        let lognormal = USD_2024.replace(
            "{ type = \"gamma\", shape = 4.007, scale = 998.3 }",
            "{ type = \"lognormal\", meanlog = 8.2, sdlog = 0.5 }",
        );
        let scenario = s(&with_cost(&lognormal, "")).unwrap();
        let Some(super::Distribution::Lognormal { meanlog, sdlog }) =
            scenario.parameters.iter().find(|p| p.name == "c").unwrap().distribution
        else {
            panic!()
        };
        assert!((meanlog - (8.2 + f.ln())).abs() < 1e-12 && sdlog == 0.5);
    }

    #[test]
    fn the_same_currency_and_year_is_factor_one_without_the_table() {
        // GBP 1995 is not in the table; nothing needs it.
        let text = with_cost("value = 100\ncurrency = \"GBP\"\nprice_year = 1995", "")
            .replace("currency = \"EUR\"\nprice_year = 2013", "currency = \"GBP\"\nprice_year = 1995");
        let scenario = s(&text).unwrap();
        let p = scenario.parameters.iter().find(|p| p.name == "c").unwrap();
        assert_eq!((p.value, p.conversion.as_ref().unwrap().factor), (100.0, 1.0));
        assert!(p.conversion.as_ref().unwrap().steps.is_empty());
    }

    #[test]
    fn each_error_is_located_with_its_fix() {
        let e = err(&with_cost("value = 1\ncurrency = \"USX\"\nprice_year = 2024", ""));
        assert!(e.contains(": parameters.c.currency: unknown currency \"USX\" for conversion; the price-index table converts USD, EUR, GBP"), "{e}");
        let e = err(&with_cost("value = 1\ncurrency = \"USD\"", ""));
        assert!(e.contains(": parameters.c.currency: `currency` without `price_year`"), "{e}");
        let e = err(&with_cost("value = 1\nprice_year = 2020", ""));
        assert!(e.contains(": parameters.c.price_year: `price_year` without `currency`"), "{e}");
        let e = err(&with_cost("value = 1\ncurrency = \"GBP\"\nprice_year = 2008", ""));
        assert!(
            e.contains(": parameters.c.price_year: the table has no cpi for GBR in 2008 (it has 2012-2025)"),
            "{e}"
        );
        let e = err(&with_cost("value = 1\ncurrency = \"USD\"\nprice_year = 2030", ""));
        assert!(
            e.contains(
                ": parameters.c.price_year: the cost's price year 2030 is outside the price-index table (2005-2025)"
            ),
            "{e}"
        );
        let e = err(&with_cost("value = 1\ncurrency = \"USD\"\nprice_year = 2020\ncountry = \"DEU\"", ""));
        assert!(e.contains(": parameters.c.country: country \"DEU\" does not price costs in USD"), "{e}");
        let e = err(&with_cost(USD_2024, "conversion = \"gdp_deflator\""));
        assert!(e.contains(": economics.conversion: conversion = \"gdp_deflator\" needs the series gdp_deflator, which the price-index table does not have"), "{e}");
        let e = err(&with_cost(USD_2024, "conversion = \"ppp\""));
        assert!(e.contains(": economics.conversion: \"ppp\" is not one of: ccemg, exchange_rate, gdp_deflator"), "{e}");
        let e = err(&with_cost(
            "value = 1\ncurrency = \"USD\"\nprice_year = 2020\ndistribution = { type = \"beta\", alpha = 2, beta = 2 }",
            "",
        ));
        assert!(e.contains(": parameters.c.distribution: a cost converted to the scenario's currency (factor"), "{e}");
        let text = format!(
            "{BASE}[parameters.u]\nvalue = 0.5\nkind = \"utility\"\nsource = \"t\"\ncurrency = \"USD\"\nprice_year = 2020\n"
        );
        let e = err(&text);
        assert!(e.contains(": parameters.u.currency: a parameter of kind utility has no currency"), "{e}");
        // The scenario's currency: unknown to the table only matters when a cost is converted.
        let chf = with_cost(USD_2024, "").replace("currency = \"EUR\"", "currency = \"CHF\"");
        let e = err(&chf);
        assert!(e.contains(": economics.currency: unknown currency \"CHF\" for conversion"), "{e}");
        // The euro area has no PPP for 2025.
        let e = err(&with_cost(USD_2024, "country = \"EMU\"")
            .replace("price_year = 2013\ndiscount", "price_year = 2025\ndiscount"));
        assert!(
            e.contains(": parameters.c.price_year: the table has no ppp_gdp for EMU in 2025 (it has 2005-2024)"),
            "{e}"
        );
    }

    #[test]
    fn messages_about_a_converted_value_quote_the_file() {
        // 9000 is outside [1500, 8000] in USD; the message gives the file's numbers.
        let e = err(&with_cost(
            &USD_2024.replace("value = 4000", "value = 9000").replace("high = 9333", "high = 8000"),
            "",
        ));
        assert!(
            e.contains("parameters.c.low: 9000 is not a valid parameter value: must lie within [low, high]"),
            "{e}"
        );
    }

    #[test]
    fn a_value_set_by_the_caller_is_in_the_scenarios_currency() {
        let text = with_cost(USD_2024, "");
        let set = [("c".to_string(), 2500.0)];
        let scenario =
            crate::scenario::Scenario::from_toml_with("t.toml", &text, std::path::Path::new("."), &set).unwrap();
        let p = scenario.parameters.iter().find(|p| p.name == "c").unwrap();
        assert_eq!((p.value, p.conversion.is_none()), (2500.0, true));
    }
}
