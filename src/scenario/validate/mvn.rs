//! `[[multivariate_normal]]`: coefficients drawn jointly in a PSA (e.g. the regression of a
//! survival model, Briggs, Claxton & Sculpher 2006, section 4.4.2). Each group names parameters
//! of kinds that allow any number (`coefficient`, `cost`, `mean_difference`), each in one group
//! and in no Dirichlet group, and gives a covariance matrix or a correlation matrix with
//! standard deviations; the matrix must be symmetric and positive definite (its Cholesky factor
//! is kept for sampling). Means default to the parameters' values.

use super::super::raw::RawMultivariateNormal;
use super::super::types::{DirichletGroup, MultivariateNormal};
use super::Validator;
use crate::error::ProblemKind;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn multivariate_normal(
        &mut self,
        raw: &[Spanned<RawMultivariateNormal>],
        dirichlet: &[DirichletGroup],
    ) -> Vec<MultivariateNormal> {
        let mut groups: Vec<MultivariateNormal> = Vec::new();
        for (g, m) in raw.iter().enumerate() {
            let line = self.line(m);
            let key = format!("multivariate_normal[{g}]");
            if let Some(group) = self.normal_group(&key, line, m.get_ref(), dirichlet, &groups) {
                groups.push(group);
            }
        }
        groups
    }

    fn normal_group(
        &mut self,
        key: &str,
        line: Option<usize>,
        m: &RawMultivariateNormal,
        dirichlet: &[DirichletGroup],
        groups: &[MultivariateNormal],
    ) -> Option<MultivariateNormal> {
        let n = m.parameters.len();
        let mut indices = Vec::new();
        for name in &m.parameters {
            let Some(&i) = self.parameter_index.get(name) else {
                let kind = ProblemKind::UnknownParameter { name: name.clone(), hint: String::new() };
                self.problem(format!("{key}.parameters"), line, kind);
                continue;
            };
            let taken = indices.contains(&i)
                || groups.iter().any(|g| g.parameters.contains(&i))
                || dirichlet.iter().any(|g| g.parameters.contains(&i));
            if taken {
                self.problem(format!("{key}.parameters"), line, ProblemKind::DirichletTwice { name: name.clone() });
                continue;
            }
            let p = &self.parameters[i];
            if p.kind.range() != (f64::NEG_INFINITY, f64::INFINITY) || self.derived.contains(&i) {
                let kind = ProblemKind::NormalOutsideKind {
                    name: name.clone(),
                    kind: if self.derived.contains(&i) { "derived parameter" } else { p.kind.name() },
                    range: if self.derived.contains(&i) {
                        "its value comes from a formula"
                    } else {
                        p.kind.range_text()
                    },
                };
                self.problem(format!("{key}.parameters"), line, kind);
                continue;
            }
            if let Some(c) = super::prices::converted(p) {
                let kind = ProblemKind::ConversionCannotScale {
                    factor: c.factor,
                    what: "be drawn in a multivariate_normal group (its mean and covariance are given in one currency)",
                    fix: "state the cost in the scenario's currency and price year, or draw it alone",
                };
                self.problem(format!("{key}.parameters"), line, kind);
                continue;
            }
            self.mark_used(i);
            indices.push(i);
        }
        let covariance = self.covariance(key, line, m, n)?;
        let mean = match &m.mean {
            Some(mean) if mean.len() != n => {
                let kind = ProblemKind::GroupShape { what: "mean".into(), got: mean.len(), expected: n };
                self.problem(format!("{key}.mean"), line, kind);
                return None;
            }
            Some(mean) => mean.clone(),
            None => indices.iter().map(|&i| self.parameters[i].value).collect(),
        };
        if indices.len() != n {
            return None;
        }
        let matrix = nalgebra::DMatrix::from_row_slice(n, n, &covariance);
        let Some(cholesky) = matrix.cholesky() else {
            self.problem(format!("{key}.covariance"), line, ProblemKind::NotPositiveDefinite);
            return None;
        };
        let l = cholesky.l();
        let cholesky: Vec<f64> = (0..n).flat_map(|r| (0..n).map(move |c| (r, c))).map(|(r, c)| l[(r, c)]).collect();
        Some(MultivariateNormal { parameters: indices, mean, cholesky, source: m.source.clone() })
    }

    /// The covariance matrix, row by row: as given, or D R D from a correlation matrix R and
    /// standard deviations D; square, n x n, finite and symmetric.
    fn covariance(&mut self, key: &str, line: Option<usize>, m: &RawMultivariateNormal, n: usize) -> Option<Vec<f64>> {
        let (matrix, field) = match (&m.covariance, &m.correlation, &m.sd) {
            (Some(c), None, None) => (c.clone(), "covariance"),
            (None, Some(r), Some(sd)) => {
                if sd.len() != n {
                    let kind = ProblemKind::GroupShape { what: "sd".into(), got: sd.len(), expected: n };
                    self.problem(format!("{key}.sd"), line, kind);
                    return None;
                }
                if let Some(&bad) = sd.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
                    let kind = ProblemKind::OutOfRange { value: bad, kind: "standard deviation", rule: "must be >= 0" };
                    self.problem(format!("{key}.sd"), line, kind);
                    return None;
                }
                let scaled = r
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        row.iter().enumerate().map(|(j, x)| x * sd[i] * sd.get(j).copied().unwrap_or(0.0)).collect()
                    })
                    .collect();
                (scaled, "correlation")
            }
            _ => {
                let kind = ProblemKind::ExactlyOne { options: "covariance, or correlation together with sd", found: 0 };
                self.problem(key, line, kind);
                return None;
            }
        };
        let field_key = format!("{key}.{field}");
        if matrix.len() != n {
            let kind = ProblemKind::GroupShape { what: format!("{field} (rows)"), got: matrix.len(), expected: n };
            self.problem(field_key, line, kind);
            return None;
        }
        if let Some((r, row)) = matrix.iter().enumerate().find(|(_, row)| row.len() != n) {
            let kind = ProblemKind::GroupShape { what: format!("{field} row {r}"), got: row.len(), expected: n };
            self.problem(field_key, line, kind);
            return None;
        }
        if let Some(&bad) = matrix.iter().flatten().find(|x| !x.is_finite()) {
            let kind = ProblemKind::OutOfRange { value: bad, kind: "matrix entry", rule: "must be finite" };
            self.problem(field_key, line, kind);
            return None;
        }
        let asymmetric = (0..n).flat_map(|r| (0..r).map(move |c| (r, c))).find(|&(r, c)| {
            let (a, b) = (matrix[r][c], matrix[c][r]);
            (a - b).abs() > 1e-12 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
        });
        if let Some((r, c)) = asymmetric {
            let kind = ProblemKind::NotSymmetric { row: r, column: c, a: matrix[r][c], b: matrix[c][r] };
            self.problem(field_key, line, kind);
            return None;
        }
        if field == "correlation"
            && let Some(r) = (0..n).find(|&r| m.correlation.as_ref().is_some_and(|c| (c[r][r] - 1.0).abs() > 1e-12))
        {
            let value = m.correlation.as_ref().map_or(f64::NAN, |c| c[r][r]);
            let kind = ProblemKind::OutOfRange { value, kind: "correlation on the diagonal", rule: "must be 1" };
            self.problem(field_key, line, kind);
            return None;
        }
        Some(matrix.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BASE, err, s};

    fn with_group(group: &str) -> String {
        format!(
            "{BASE}[parameters.b0]\nvalue = -1.0\nkind = \"coefficient\"\nsource = \"t\"\n[parameters.b1]\nvalue = 0.5\nkind = \"coefficient\"\nsource = \"t\"\n[[multivariate_normal]]\nparameters = [\"b0\", \"b1\"]\n{group}"
        )
    }

    #[test]
    fn a_group_keeps_the_cholesky_factor_of_its_covariance() {
        let scenario = s(&with_group("covariance = [[4.0, 2.0], [2.0, 2.0]]\n")).unwrap();
        let g = &scenario.multivariate_normal[0];
        // [[4, 2], [2, 2]] = L L' with L = [[2, 0], [1, 1]].
        assert_eq!(g.cholesky, vec![2.0, 0.0, 1.0, 1.0]);
        assert_eq!(g.mean, vec![-1.0, 0.5]);
        let from_correlation = s(&with_group("correlation = [[1.0, 0.5], [0.5, 1.0]]\nsd = [2.0, 1.0]\n")).unwrap();
        // Covariance [[4, 1], [1, 1]]: L = [[2, 0], [0.5, sqrt(0.75)]].
        let l = &from_correlation.multivariate_normal[0].cholesky;
        assert_eq!(&l[..3], &[2.0, 0.0, 0.5]);
        assert!((l[3] - 0.75f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn bad_groups_are_located_and_explained() {
        let e = err(&with_group("covariance = [[1.0, 2.0], [2.0, 1.0]]\n"));
        assert!(e.contains("multivariate_normal[0].covariance: the covariance matrix is not positive definite"), "{e}");
        let e = err(&with_group("covariance = [[1.0, 0.2], [0.3, 1.0]]\n"));
        assert!(e.contains("not symmetric: row 1, column 0 is 0.3, but row 0, column 1 is 0.2"), "{e}");
        let e = err(&with_group("covariance = [[1.0, 0.2]]\n"));
        assert!(e.contains("covariance (rows) has 1 entries; the group has 2 parameters"), "{e}");
        let e = err(&with_group("correlation = [[2.0, 0.0], [0.0, 1.0]]\nsd = [1.0, 1.0]\n"));
        assert!(e.contains("correlation on the diagonal: must be 1"), "{e}");
        let e =
            err(&with_group("covariance = [[1.0, 0.0], [0.0, 1.0]]\n").replace("[\"b0\", \"b1\"]", "[\"r\", \"b1\"]"));
        assert!(
            e.contains("parameter \"r\" (kind annual_rate: >= 0) cannot be drawn from a multivariate normal"),
            "{e}"
        );
    }
}
