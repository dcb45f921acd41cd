//! `[psa]`: the defaults of `cirrhosim psa` (draws, the willingness-to-pay grid of the CEAC and
//! EVPI, the population for population EVPI, the groups of parameters whose EVPPI the PSA summary
//! states, each a list of names of the scenario's parameters). The grid has at most [`MAX_WTP_GRID_POINTS`]
//! points, counted before it is built.

use super::super::limits::MAX_WTP_GRID_POINTS;
use super::super::numbers::short;
use super::super::raw::RawPsa;
use super::super::types::PsaDefaults;
use super::Validator;
use crate::error::ProblemKind;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn psa(&mut self, raw: Option<&Spanned<RawPsa>>) -> PsaDefaults {
        let mut psa = PsaDefaults::default();
        let Some(raw) = raw else { return psa };
        let line = self.line(raw);
        let p = raw.get_ref();
        if let Some(d) = p.draws {
            if d < 1 {
                self.problem("psa.draws", line, ProblemKind::NotPositive { value: d.to_string() });
            } else {
                psa.draws = d as u64;
            }
        }
        if let Some([from, to, step]) = p.wtp_grid {
            if !(from.is_finite() && to.is_finite() && step.is_finite() && from >= 0.0 && to >= from && step > 0.0) {
                self.problem(
                    "psa.wtp_grid",
                    line,
                    ProblemKind::OutOfRange {
                        value: step,
                        kind: "grid [from, to, step]",
                        rule: "needs 0 <= from <= to and step > 0",
                    },
                );
            } else {
                let steps = ((to - from) / step + 1e-9).floor();
                if steps + 1.0 > MAX_WTP_GRID_POINTS as f64 {
                    self.problem(
                        "psa.wtp_grid",
                        line,
                        ProblemKind::TooLarge {
                            what: format!(
                                "the number of points of [{}, {}, {}]",
                                short(&from),
                                short(&to),
                                short(&step)
                            ),
                            value: short(&(steps + 1.0)),
                            limit: MAX_WTP_GRID_POINTS.to_string(),
                            fix: "use a larger step",
                        },
                    );
                } else {
                    psa.wtp_grid = (0..=steps as usize).map(|i| from + i as f64 * step).collect();
                }
            }
        }
        if let Some(pop) = p.population {
            if !(pop.is_finite() && pop > 0.0) {
                self.problem("psa.population", line, ProblemKind::NotPositive { value: short(&pop) });
            } else {
                psa.population = Some(pop);
            }
        }
        for (k, group) in p.evppi_groups.iter().flatten().enumerate() {
            let key = format!("psa.evppi_groups[{k}]");
            if group.is_empty() {
                self.problem(key.clone(), line, ProblemKind::EmptyEvppiGroup);
            }
            for name in group {
                if !self.parameter_index.contains_key(name) {
                    self.unknown_parameter(key.clone(), line, name);
                }
            }
        }
        psa.evppi_groups = p.evppi_groups.clone().unwrap_or_default();
        psa
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    #[test]
    fn defaults_apply_without_a_psa_table() {
        let psa = s(BASE).unwrap().psa;
        assert_eq!(psa.draws, 1000);
        assert_eq!(psa.wtp_grid.len(), 101);
        assert_eq!(psa.population, None);
    }

    #[test]
    fn the_grid_is_built_from_from_to_step() {
        let psa = s(&format!("{BASE}[psa]\ndraws = 50\nwtp_grid = [0, 1000, 250]\npopulation = 1e4\n")).unwrap().psa;
        assert_eq!(psa.draws, 50);
        assert_eq!(psa.wtp_grid, vec![0.0, 250.0, 500.0, 750.0, 1000.0]);
        assert_eq!(psa.population, Some(1e4));
    }

    #[test]
    fn a_grid_with_too_many_points_is_an_error() {
        let e = err(&format!("{BASE}[psa]\nwtp_grid = [0, 200000, 0.001]\n"));
        assert!(
            e.ends_with("psa.wtp_grid: the number of points of [0, 200000, 0.001] is 200000001, above the limit of 100001; use a larger step"),
            "{e}"
        );
        assert_eq!(s(&format!("{BASE}[psa]\nwtp_grid = [0, 100000, 1]\n")).unwrap().psa.wtp_grid.len(), 100_001);
    }

    #[test]
    fn bad_draws_and_population_are_errors() {
        assert!(err(&format!("{BASE}[psa]\ndraws = 0\n")).ends_with("psa.draws: must be positive (got 0)"));
        assert!(
            err(&format!("{BASE}[psa]\npopulation = -1.5\n")).ends_with("psa.population: must be positive (got -1.5)")
        );
    }
}
