//! `[calibration]`: the parameters `cirrhosim calibrate` fits by default and the published
//! targets the model is calibrated to. Each target keeps the rules of a targets CSV
//! ([`crate::scenario::targets::check`]) and names a known strategy, start state and curve at a
//! time within the horizon; each parameter is defined and not derived. Problems are located at
//! the target's line, with the key `calibration.targets[k].column`.

use super::super::raw::RawCalibration;
use super::super::targets::{self, Target, Targets};
use super::super::types::CalibrationSpec;
use super::Validator;
use crate::error::ProblemKind;
use std::path::PathBuf;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn calibration(&mut self, raw: &Spanned<RawCalibration>, horizon_years: f64) -> CalibrationSpec {
        let line = self.line(raw);
        let c = raw.get_ref();
        let mut max_iterations = CalibrationSpec::DEFAULT_MAX_ITERATIONS;
        if let Some(n) = c.max_iterations {
            if n < 1 {
                self.problem("calibration.max_iterations", line, ProblemKind::NotPositive { value: n.to_string() });
            } else {
                max_iterations = n as u64;
            }
        }
        for (k, name) in c.parameters.iter().enumerate() {
            let key = format!("calibration.parameters[{k}]");
            match self.parameter_index.get(name).copied() {
                None => self.unknown_parameter(key, line, name),
                Some(i) if self.parameters[i].is_derived() => {
                    self.problem(key, line, ProblemKind::CalibrateDerived { name: name.clone() });
                }
                Some(_) => {}
            }
        }
        let mut rows = Vec::new();
        for (k, raw_target) in c.targets.iter().enumerate() {
            let line = self.line(raw_target);
            let t = Target { line: line.unwrap_or(0) as u64, ..raw_target.get_ref().clone() };
            if self.target(&t, k, line, horizon_years) {
                rows.push(t);
            }
        }
        CalibrationSpec {
            parameters: c.parameters.clone(),
            max_iterations,
            targets: Targets { file: PathBuf::from(self.file), rows },
        }
    }

    /// Checks one target; `false` (after reporting) if it breaks a rule.
    fn target(&mut self, t: &Target, k: usize, line: Option<usize>, horizon_years: f64) -> bool {
        let key = |column: &str| format!("calibration.targets[{k}].{column}");
        let before = self.problems.len();
        if let Err((column, rule)) = targets::check(t) {
            self.problem(key(column), line, ProblemKind::TargetValue { rule });
        }
        if !t.strategy.is_empty() && !self.strategy_names.contains(&t.strategy) {
            let known = self.strategy_names.join(", ");
            self.problem(key("strategy"), line, ProblemKind::UnknownStrategy { name: t.strategy.clone(), known });
        }
        if !t.start.is_empty() {
            self.state(&t.start, &key("start"), line);
        }
        match targets::Curve::parse(&t.curve) {
            Some(curve) => {
                if let Some(state) = curve.state() {
                    self.state(state, &key("curve"), line);
                }
            }
            None => self.problem(key("curve"), line, ProblemKind::UnknownCurve { curve: t.curve.clone() }),
        }
        if t.years.is_finite() && t.years > horizon_years + 1e-9 {
            self.problem(key("years"), line, ProblemKind::TargetBeyondHorizon { years: t.years });
        }
        self.problems.len() == before
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    const TARGET: &str = "[[calibration.targets]]\ncurve = \"overall_survival\"\nyears = 1\nvalue = 0.8\n";

    #[test]
    fn a_calibration_table_is_read_with_its_lines() {
        let text = format!("{BASE}\n[calibration]\nparameters = []\n{TARGET}start = \"a\"\nlower = 0.7\nupper = 0.9\n");
        let c = s(&text).unwrap().calibration.unwrap();
        assert_eq!(c.max_iterations, crate::scenario::CalibrationSpec::DEFAULT_MAX_ITERATIONS);
        assert_eq!(c.targets.rows.len(), 1);
        let t = &c.targets.rows[0];
        assert_eq!((t.start.as_str(), t.years, t.value, t.lower, t.upper), ("a", 1.0, 0.8, Some(0.7), Some(0.9)));
        let first_line = text.lines().position(|l| l == "[[calibration.targets]]").unwrap() + 1;
        assert_eq!(t.line, first_line as u64);
    }

    #[test]
    fn bad_targets_are_located_problems() {
        let cases = [
            ("value = 0.8\n", "value = 64.0\n", "calibration.targets[0].value: 64 is not a share in [0, 1]"),
            ("curve = \"overall_survival\"\n", "curve = \"sick\"\n", "unknown target curve \"sick\""),
            ("curve = \"overall_survival\"\n", "curve = \"entered:nowhere\"\n", "unknown state \"nowhere\""),
            ("years = 1\n", "years = 500\n", "calibration.targets[0].years: a target at 500 years lies beyond"),
        ];
        for (from, to, want) in cases {
            let text = format!("{BASE}\n[calibration]\n{}", TARGET.replace(from, to));
            let e = err(&text);
            assert!(e.contains(want), "{to}: {e}");
        }
        let e = err(&format!("{BASE}\n[calibration]\nparameters = [\"nope\"]\n{TARGET}start = \"zz\"\n"));
        assert!(e.contains("calibration.parameters[0]") && e.contains("unknown parameter \"nope\""), "{e}");
        assert!(e.contains("calibration.targets[0].start") && e.contains("unknown state \"zz\""), "{e}");
    }
}
