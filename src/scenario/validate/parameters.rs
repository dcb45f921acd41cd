//! `parameter_files` and `[parameters.NAME]`: the named numbers, their ranges and distributions.
//!
//! CSV libraries are read first and inline tables override them by name; values set by the
//! caller (`--set NAME=VALUE`, `set=` in Python and R) override both. A value set so is known:
//! the parameter keeps no PSA distribution and no DSA range, and is always checked (its kind's
//! range and every use). Inline parameters are always checked; a CSV row only once the model
//! uses it (see [`Validator::mark_used`]). A checked parameter must be in its kind's range,
//! `low <= value <= high`, and have a PSA distribution whose draws stay in that range; a base
//! value outside the distribution's central 99% interval, an annual rate that looks like a
//! percentage and a used parameter without a
//! source are warnings.

use super::super::parameters::{self as params, Distribution, Parameter, ParameterKind};
use super::super::raw::RawParameter;
use super::Validator;
use crate::error::{Error, ProblemKind, Result};
use std::collections::BTreeMap;
use toml::Spanned;

/// Share of a distribution's mass the base-case value is expected to lie in.
const CENTRAL_MASS: f64 = 0.99;

/// Share of a mixture's mass its default DSA range holds (the 2.5% to 97.5% quantiles).
const DSA_MASS: f64 = 0.95;

impl Validator<'_> {
    /// Loads the CSV libraries, then the inline tables, and checks every inline parameter.
    ///
    /// # Errors
    /// [`Error::Read`] or [`Error::FileFormat`] for a parameter file that cannot be read.
    pub(super) fn parameters(
        &mut self,
        files: &[String],
        inline: &BTreeMap<String, Spanned<RawParameter>>,
        tables: &BTreeMap<String, Spanned<super::super::raw::RawTable>>,
    ) -> Result<()> {
        for file in files {
            let path = self.path(file);
            let text =
                std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), cause: source })?;
            for p in params::read_csv(&path.display().to_string(), &text)? {
                self.add_parameter(p, None);
            }
        }
        for (name, p) in inline {
            let line = self.line(p);
            let key = format!("parameters.{name}");
            let p = p.get_ref();
            if !self.named(name, "parameter", "r_comp_decomp", format!("parameters.{name:?}"), line) {
                continue;
            }
            if name == "cycle_years" || super::super::formula::TimeVar::from_name(name).is_some() {
                self.problem(key.clone(), line, ProblemKind::ReservedName { name: name.clone() });
                continue;
            }
            let Some(kind) = ParameterKind::parse(&p.kind) else {
                self.problem(
                    format!("{key}.kind"),
                    line,
                    ProblemKind::UnknownKind { value: p.kind.clone(), known: params::KIND_NAMES },
                );
                continue;
            };
            if let Some(text) = &p.formula {
                for (present, key_name) in [
                    (p.value.is_some(), "value"),
                    (p.distribution.is_some(), "distribution"),
                    (p.low.is_some(), "low"),
                    (p.high.is_some(), "high"),
                ] {
                    if present {
                        self.problem(format!("{key}.{key_name}"), line, ProblemKind::DerivedTakesNo { key: key_name });
                    }
                }
                self.pending_formulas.push((name.clone(), text.clone(), line));
            } else if p.value.is_none() {
                self.problem(key.clone(), line, ProblemKind::NoValueOrFormula);
                continue;
            }
            let value = p.value.unwrap_or(f64::NAN);
            let (distribution, low, high) = self.distribution_and_range(p, name, kind, value, &key, line);
            let origin = match line {
                Some(l) => format!("{} line {l}", self.file),
                None => self.file.to_string(),
            };
            let parameter = Parameter {
                formula: None,
                name: name.clone(),
                value,
                kind,
                unit: p.unit.clone(),
                source: p.source.clone(),
                note: p.note.clone(),
                distribution,
                low,
                high,
                origin,
                conversion: None,
            };
            self.add_parameter(parameter, line);
        }
        // Costs in another currency or price year, before any value is used.
        self.convert_prices(inline);
        // Tables first: derived parameters' formulas may read them.
        self.tables(tables);
        self.set_by_caller = vec![false; self.parameters.len()];
        for (name, value) in self.set {
            let derived = self.pending_formulas.iter().any(|(n, _, _)| n == name);
            match self.parameter_index.get(name) {
                Some(_) if derived => {
                    self.problem(format!("set.{name}"), None, ProblemKind::DerivedNotVaried { name: name.clone() });
                }
                Some(&i) => {
                    // Set from outside, the value is known: the PSA distribution and the DSA
                    // range described the file's value and no longer apply. It is in the
                    // scenario's currency and price year (the units of every output), so a
                    // cost's conversion goes too.
                    let p = &mut self.parameters[i];
                    (p.value, p.distribution, p.low, p.high, p.conversion) = (*value, None, None, None, None);
                    self.checked[i] = true;
                    self.set_by_caller[i] = true;
                }
                None => self.problem(
                    format!("set.{name}"),
                    None,
                    ProblemKind::UnknownParameter { name: name.clone(), hint: String::new() },
                ),
            }
        }
        self.derived_parameters();
        for i in 0..self.parameters.len() {
            if self.checked[i] && !self.derived.contains(&i) {
                self.check_parameter(i);
            }
        }
        Ok(())
    }

    /// An inline parameter's PSA distribution, resolved (every problem reported, keyed to the
    /// component it is in), and its DSA range: as written, or for a mixture without one its
    /// central 95% interval (when the value lies in it and the mixture suits the kind), since a
    /// mixture's range is otherwise nowhere to be read.
    fn distribution_and_range(
        &mut self,
        p: &RawParameter,
        name: &str,
        kind: ParameterKind,
        value: f64,
        key: &str,
        line: Option<usize>,
    ) -> (Option<Distribution>, Option<f64>, Option<f64>) {
        let distribution = match p.distribution.as_ref().filter(|_| p.formula.is_none()).map(|d| d.resolve(value)) {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(problems)) => {
                for (at, kind) in problems {
                    self.problem(format!("{key}.distribution{at}"), line, kind);
                }
                None
            }
        };
        let (low, high) = match (&distribution, p.low, p.high) {
            (Some(d @ Distribution::Mixture { .. }), None, None) => d
                .central_interval(DSA_MASS)
                .filter(|(lo, hi)| *lo <= value && value <= *hi && d.check_kind(name, kind).is_ok())
                .map_or((None, None), |(lo, hi)| (Some(lo), Some(hi))),
            _ => (p.low, p.high),
        };
        (distribution, low, high)
    }

    /// Adds a parameter or replaces one of the same name; `line` is `Some` for inline tables,
    /// which are always checked.
    fn add_parameter(&mut self, p: Parameter, line: Option<usize>) {
        let inline = line.is_some();
        match self.parameter_index.get(&p.name) {
            Some(&i) => {
                self.parameters[i] = p;
                self.checked[i] = inline;
                self.parameter_lines[i] = line;
            }
            None => {
                self.parameter_index.insert(p.name.clone(), self.parameters.len());
                self.parameters.push(p);
                self.checked.push(inline);
                self.parameter_lines.push(line);
            }
        }
    }

    /// Checks one parameter: value, distribution and range against its kind.
    pub(super) fn check_parameter(&mut self, i: usize) {
        // A converted cost is checked as written in the file, so messages quote its numbers.
        let p = super::prices::as_written(&self.parameters[i]);
        let set_by_caller = self.set_by_caller.get(i).copied().unwrap_or(false);
        // A value set by the caller is not on any line of the file: its problems say `set.NAME`.
        let line = if set_by_caller { None } else { self.parameter_lines[i] };
        let key = match line {
            _ if set_by_caller => format!("set.{}", p.name),
            Some(_) => format!("parameters.{}", p.name),
            None => format!("parameters.{} ({})", p.name, p.origin),
        };
        let value_ok = match p.kind.check(p.value) {
            Ok(()) => true,
            Err(kind) => {
                self.problem(format!("{key}.value"), line, kind);
                false
            }
        };
        if value_ok && p.kind == ParameterKind::AnnualRate {
            self.warn_percentage(p.value, &format!("{key}.value"), line);
        }
        if let Some(d) = &p.distribution {
            match d.check().and_then(|()| d.check_kind(&p.name, p.kind)) {
                Err(kind) => self.problem(format!("{key}.distribution"), line, kind),
                Ok(()) if value_ok => {
                    if let Some((low, high)) = d.central_interval(CENTRAL_MASS)
                        && !(low <= p.value && p.value <= high)
                    {
                        let distribution = d.name().to_string();
                        let kind = ProblemKind::BaseOutsideDistribution {
                            name: p.name.clone(),
                            value: p.value,
                            distribution,
                            low,
                            high,
                        };
                        self.warn(format!("{key}.value"), line, kind);
                    }
                }
                Ok(()) => {}
            }
        }
        for (field, bound) in [("low", p.low), ("high", p.high)] {
            if let Some(b) = bound
                && let Err(kind) = p.kind.check(b)
            {
                self.problem(format!("{key}.{field}"), line, kind);
            }
        }
        if let (Some(lo), Some(hi)) = (p.low, p.high)
            && !(lo <= p.value && p.value <= hi)
        {
            self.problem(
                format!("{key}.low"),
                line,
                ProblemKind::OutOfRange {
                    value: p.value,
                    kind: "parameter value",
                    rule: "must lie within [low, high]",
                },
            );
        }
    }

    /// Warns about every used parameter without a source.
    pub(super) fn warn_missing_sources(&mut self) {
        for i in 0..self.parameters.len() {
            if self.checked[i] && self.parameters[i].source.is_none() {
                let name = self.parameters[i].name.clone();
                self.warn(format!("parameters.{name}"), None, ProblemKind::NoSource { what: "parameter", name });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s, warnings};

    fn with_r(table: &str) -> String {
        BASE.replace("[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"test\"\n", table)
    }

    #[test]
    fn a_distribution_must_draw_inside_the_kind_range() {
        let e = err(&with_r(
            "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\n[parameters.p]\nvalue = 0.2\nkind = \"probability\"\nsource = \"t\"\ndistribution = { type = \"gamma\", shape = 4, scale = 0.05 }\n",
        ));
        assert_eq!(
            e,
            "t.toml:23: parameters.p.distribution: parameter \"p\" is a probability (in [0, 1]) but a gamma distribution draws values in [0, inf); use beta for a probability"
        );
        let e = err(&with_r(
            "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\ndistribution = { type = \"normal\", mean = 0.2, sd = 0.01 }\n",
        ));
        assert!(e.contains("a normal distribution draws values in (-inf, inf); use gamma for a rate"), "{e}");
        let e = err(&with_r(
            "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\n[parameters.u]\nvalue = 0.7\nkind = \"utility\"\nsource = \"t\"\ndistribution = { type = \"lognormal\", meanlog = -0.36, sdlog = 0.1 }\n",
        ));
        assert!(e.contains("parameter \"u\" is a utility (at most 1) but a lognormal distribution"), "{e}");
        // Supports inside the range pass: beta for a utility, gamma for a cost, normal for a cost.
        for (kind, value, d) in [
            ("utility", "0.7", "{ type = \"beta\", alpha = 70, beta = 30 }"),
            ("cost", "100", "{ type = \"gamma\", shape = 100, scale = 1 }"),
            ("cost", "100", "{ type = \"normal\", mean = 100, sd = 10 }"),
            ("hazard_ratio", "0.8", "{ type = \"lognormal\", meanlog = -0.22, sdlog = 0.1 }"),
        ] {
            let text = with_r(&format!(
                "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\n[parameters.q]\nvalue = {value}\nkind = \"{kind}\"\nsource = \"t\"\ndistribution = {d}\n"
            ));
            assert!(s(&text).is_ok(), "{kind} {d}: {:?}", s(&text).err());
        }
    }

    /// Issue 13: a mixture without low and high gets its 2.5% and 97.5% quantiles as the DSA
    /// range; with them, they stand.
    #[test]
    fn a_mixture_without_a_range_gets_its_central_95_percent_interval() {
        let mixture = "distribution = { type = \"mixture\", components = [{ weight = 0.5, type = \"fixed\", value = 0.2 }, { weight = 0.5, type = \"gamma\", shape = 100, scale = 0.002 }] }\n";
        let table = format!("[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\n{mixture}");
        let r = s(&with_r(&table)).unwrap().parameters.into_iter().find(|p| p.name == "r").unwrap();
        // Below 0.2 only the gamma counts: F = 0.5 G(x), so the 2.5% quantile is the gamma's 5%;
        // above, F = 0.5 + 0.5 G(x): the 97.5% quantile is the gamma's 95%.
        let gamma = super::super::super::parameters::Distribution::Gamma { shape: 100.0, scale: 0.002 };
        let (lo, hi) = (gamma.quantile(0.05).unwrap(), gamma.quantile(0.95).unwrap());
        assert!((r.low.unwrap() - lo).abs() < 1e-9 && (r.high.unwrap() - hi).abs() < 1e-9, "{r:?}");
        let stated = format!("{table}low = 0.1\nhigh = 0.3\n");
        let r = s(&with_r(&stated)).unwrap().parameters.into_iter().find(|p| p.name == "r").unwrap();
        assert_eq!((r.low, r.high), (Some(0.1), Some(0.3)));
    }

    #[test]
    fn a_base_value_far_in_the_tail_is_a_warning() {
        // gamma(4, 0.5) has mean 2; 0.2 lies below its 0.5% quantile (0.336).
        let w = warnings(&with_r(
            "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\ndistribution = { type = \"gamma\", shape = 4, scale = 0.5 }\n",
        ));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("line 19: parameters.r.value: parameter \"r\" = 0.2 lies outside the central 99% interval [0.3361032718, 5.488738748] of its gamma distribution"), "{w:?}");
        let ok = with_r(
            "[parameters.r]\nvalue = 0.2\nkind = \"annual_rate\"\nsource = \"t\"\ndistribution = { type = \"gamma\", shape = 4, scale = 0.05 }\n",
        );
        assert!(warnings(&ok).is_empty());
    }

    #[test]
    fn gamma_quantiles_match_reference_values() {
        use super::super::super::parameters::Distribution;
        // Gamma(shape 2, scale 1) has CDF 1 - exp(-x) (1 + x); solving it for 0.005 and 0.995
        // gives 0.1034945467 and 7.4301295003.
        let (lo, hi) = Distribution::Gamma { shape: 2.0, scale: 1.0 }.central_interval(0.99).unwrap();
        assert!((lo - 0.1034945467).abs() < 1e-9 && (hi - 7.4301295003).abs() < 1e-9, "{lo} {hi}");
        // Beta(2, 3) has CDF 6x^2 - 8x^3 + 3x^4: quantiles 0.0294447871 and 0.8891150145.
        let (lo, hi) = Distribution::Beta { alpha: 2.0, beta: 3.0 }.central_interval(0.99).unwrap();
        assert!((lo - 0.0294447871).abs() < 1e-9 && (hi - 0.8891150145).abs() < 1e-9, "{lo} {hi}");
        // Scale, not rate: Gamma(2, scale 10) is ten times wider.
        let (lo, _) = Distribution::Gamma { shape: 2.0, scale: 10.0 }.central_interval(0.99).unwrap();
        assert!((lo - 1.034945467).abs() < 1e-8, "{lo}");
        assert_eq!(Distribution::Fixed.central_interval(0.99), None);
    }

    #[test]
    fn an_annual_rate_parameter_that_looks_like_a_percentage_is_a_warning() {
        let w = warnings(&BASE.replace("value = 0.2", "value = 3"));
        assert_eq!(w, ["line 19: parameters.r.value: an annual rate of 3 looks like a percentage: write 0.03 for 3%"]);
    }

    #[test]
    fn empty_parameter_names_are_errors() {
        let e = err(&format!("{BASE}[parameters.\" \"]\nvalue = 1\nkind = \"cost\"\n"));
        assert!(e.contains("parameters.\" \": parameter name is empty"), "{e}");
    }

    #[test]
    fn inline_parameters_name_their_line_and_csv_rows_their_file() {
        let scenario = s(BASE).unwrap();
        assert_eq!(scenario.parameters[0].origin, "t.toml line 19");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.csv"), "name,value,kind\nr2,abc,annual_rate\n").unwrap();
        let text = format!("parameter_files = [\"p.csv\"]\n{BASE}");
        let e = super::super::super::Scenario::from_toml("t.toml", &text, dir.path()).unwrap_err().to_string();
        assert!(e.ends_with("p.csv:2: column \"value\": \"abc\" is not a number"), "{e}");
    }
}
