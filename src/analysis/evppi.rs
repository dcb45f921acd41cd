//! Expected value of partial perfect information (EVPPI) from a PSA sample, by a regression
//! metamodel (Strong, Oakley & Brennan 2014, *Med Decis Making* 34:311).
//!
//! Receives, for each PSA draw, the values of the parameters of interest and the net monetary
//! benefit of every strategy. For each strategy s, the incremental NMB against the first strategy,
//! D_s = NMB_s - NMB_0, is regressed on the parameters: a polynomial in their ranks scaled to
//! [-1, 1] (Legendre basis; total degree 4 for one parameter, 3 for two or three, 2 for more),
//! fitted by least squares over all draws with `nalgebra`'s SVD. The fitted values estimate
//! g_s(theta) = E[D_s | theta], and
//! EVPPI = mean over draws of max(0, max_s g_s(theta_k)) - max(0, max_s mean(D_s)),
//! EVPI = mean over draws of max(0, max_s D_s) - max(0, max_s mean(D_s)).
//! Strong et al. smooth with generalised additive models; a low-degree polynomial is a cruder
//! smoother, adequate for the monotone, gently curved relations of most PSAs. Sampling noise in
//! the fitted values biases EVPPI upwards by roughly phi(0) sd(D) sqrt(terms / draws), so use
//! several thousand draws and read small EVPPIs with that in mind.

use crate::error::{Error, Result};
use crate::io::draws::DrawTable;

/// EVPI and the EVPPI of one group of parameters at one willingness to pay.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvppiResult {
    pub parameters: Vec<String>,
    pub wtp: f64,
    pub evppi: f64,
    pub evpi: f64,
    /// Terms of the regression polynomial.
    pub terms: usize,
}

/// Ranks of `x` scaled to [-1, 1]; tied values share their mean rank, so the many draws of a
/// mixture's fixed component (e.g. "no effect", exactly 0) are one point of the metamodel, not a
/// spread of arbitrary ranks whose order is noise.
fn scaled_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut ranks = vec![0.0; x.len()];
    let denominator = (x.len().max(2) - 1) as f64;
    let mut start = 0;
    while start < order.len() {
        let value = x[order[start]];
        let end = (start..order.len()).find(|&k| x[order[k]].total_cmp(&value).is_ne()).unwrap_or(order.len());
        let mean_rank = (start + end - 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = 2.0 * mean_rank / denominator - 1.0;
        }
        start = end;
    }
    ranks
}

/// Legendre polynomials P_0..=P_degree at x.
fn legendre(x: f64, degree: usize) -> Vec<f64> {
    let mut p = vec![1.0, x];
    for n in 1..degree {
        let next = ((2 * n + 1) as f64 * x * p[n] - n as f64 * p[n - 1]) / (n + 1) as f64;
        p.push(next);
    }
    p.truncate(degree + 1);
    p
}

/// Exponent tuples of all monomials in `dims` variables with total degree <= `degree`.
fn exponents(dims: usize, degree: usize) -> Vec<Vec<usize>> {
    if dims == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for first in 0..=degree {
        for mut rest in exponents(dims - 1, degree - first) {
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}

/// Total polynomial degree used for a group of `dims` parameters.
pub fn degree_for(dims: usize) -> usize {
    match dims {
        1 => 4,
        2 | 3 => 3,
        _ => 2,
    }
}

/// EVPI per person from per-draw NMBs (`nmb[draw][strategy]`).
pub fn evpi(nmb: &[Vec<f64>]) -> f64 {
    let mut sums = EvpiSums::default();
    for r in nmb {
        sums.add(r);
    }
    sums.evpi()
}

/// The EVPI's sums, added one draw at a time (nothing held per draw): over draws, max(0,
/// max_s D_s) and each D_s, with D_s = NMB_s - NMB_0. The sums run in draw order from -0.0, as
/// an iterator's `sum` does, so they give [`evpi`]'s number on a table bit for bit.
#[derive(Debug, Clone, PartialEq)]
pub struct EvpiSums {
    draws: usize,
    choice: f64,
    increments: Vec<f64>,
}

impl Default for EvpiSums {
    fn default() -> Self {
        EvpiSums { draws: 0, choice: -0.0, increments: Vec::new() }
    }
}

impl EvpiSums {
    /// Adds a draw's NMB of each strategy.
    pub fn add(&mut self, nmb: &[f64]) {
        if self.draws == 0 {
            self.increments = vec![-0.0; nmb.len().saturating_sub(1)];
        }
        self.draws += 1;
        let mut best = 0.0;
        for (sum, v) in self.increments.iter_mut().zip(nmb.iter().skip(1)) {
            let d = v - nmb[0];
            best = f64::max(best, d);
            *sum += d;
        }
        self.choice += best;
    }

    /// EVPI per person: mean of max(0, max_s D_s) - max(0, max_s mean D_s).
    pub fn evpi(&self) -> f64 {
        let n = self.draws.max(1) as f64;
        self.choice / n - self.increments.iter().map(|s| s / n).fold(0.0, f64::max)
    }
}

fn increments(nmb: &[Vec<f64>]) -> Vec<Vec<f64>> {
    nmb.iter().map(|r| r.iter().skip(1).map(|v| v - r[0]).collect()).collect()
}

/// mean over draws of max(0, max_s d_s).
fn value_of_choice(d: &[Vec<f64>]) -> f64 {
    d.iter().map(|r| r.iter().copied().fold(0.0, f64::max)).sum::<f64>() / d.len().max(1) as f64
}

/// max(0, max_s mean d_s).
fn choice_at_means(d: &[Vec<f64>]) -> f64 {
    let n = d.len().max(1) as f64;
    let strategies = d.first().map_or(0, |r| r.len());
    (0..strategies).map(|s| d.iter().map(|r| r[s]).sum::<f64>() / n).fold(0.0, f64::max)
}

/// EVPPI per person of the parameters whose per-draw values are `theta[draw][parameter]`.
/// Returns the EVPPI and the number of regression terms.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::evppi::{evpi, evppi};
/// // The NMB of B is exactly theta: knowing theta is worth as much as knowing everything.
/// let theta: Vec<Vec<f64>> = (0..400).map(|i| vec![(i as f64 - 199.5) / 100.0]).collect();
/// let nmb: Vec<Vec<f64>> = theta.iter().map(|t| vec![0.0, t[0]]).collect();
/// let (value, _) = evppi(&theta, &nmb);
/// assert!((value - evpi(&nmb)).abs() < 0.01);
/// ```
pub fn evppi(theta: &[Vec<f64>], nmb: &[Vec<f64>]) -> (f64, usize) {
    let n = theta.len();
    if n == 0 || nmb[0].len() < 2 {
        return (0.0, 0);
    }
    let dims = theta[0].len();
    let ranks: Vec<Vec<f64>> =
        (0..dims).map(|j| scaled_ranks(&theta.iter().map(|t| t[j]).collect::<Vec<_>>())).collect();
    let degree = degree_for(dims);
    let terms = exponents(dims, degree);
    let basis: Vec<Vec<Vec<f64>>> =
        (0..n).map(|i| (0..dims).map(|j| legendre(ranks[j][i], degree)).collect()).collect();
    let x = nalgebra::DMatrix::from_fn(n, terms.len(), |i, c| {
        terms[c].iter().enumerate().map(|(j, &e)| basis[i][j][e]).product()
    });
    let svd = x.clone().svd(true, true);
    let d = increments(nmb);
    let mut fitted = vec![vec![0.0; d[0].len()]; n];
    for s in 0..d[0].len() {
        let y = nalgebra::DVector::from_iterator(n, d.iter().map(|r| r[s]));
        let beta = svd.solve(&y, 1e-12).expect("SVD with U and V");
        let g = &x * beta;
        for i in 0..n {
            fitted[i][s] = g[i];
        }
    }
    ((value_of_choice(&fitted) - choice_at_means(&d)).max(0.0), terms.len())
}

/// EVPPI of each group of parameters at each willingness to pay, from a PSA's per-draw table:
/// for each group, theta is the group's columns of `table.values`; for each `wtp`,
/// NMB = wtp x QALY - cost per draw and strategy; then [`evppi`] and [`evpi`]. Rows come out
/// group by group, WTP within group.
///
/// # Errors
/// [`Error::Setting`] naming `--group` when a member of a group is not a column of the table (a
/// parameter the PSA did not vary).
///
/// # Examples
/// ```
/// use cirrhosim::analysis::evppi::evppi_table;
/// use cirrhosim::io::draws::DrawTable;
/// // Strategy b's QALYs are theta: its NMB rises with theta at any WTP.
/// let theta: Vec<f64> = (0..200).map(|i| (i as f64 - 99.5) / 100.0).collect();
/// let table = DrawTable {
///     strategies: vec!["a".into(), "b".into()],
///     parameters: vec!["theta".into()],
///     draws: (0..theta.len() as u64).collect(),
///     outcomes: theta.iter().map(|&t| vec![[0.0, 0.0, 0.0], [0.0, t, 0.0]]).collect(),
///     values: theta.iter().map(|&t| vec![t]).collect(),
/// };
/// let rows = evppi_table(&table, &[vec!["theta".to_string()]], &[1.0, 2.0])?;
/// assert_eq!(rows.len(), 2);
/// assert!((rows[1].evppi - rows[1].evpi).abs() < 0.01 && rows[1].evpi > 0.0);
/// assert!(evppi_table(&table, &[vec!["nope".to_string()]], &[1.0]).is_err());
/// # Ok::<(), cirrhosim::Error>(())
/// ```
pub fn evppi_table(table: &DrawTable, groups: &[Vec<String>], wtp: &[f64]) -> Result<Vec<EvppiResult>> {
    let mut rows = Vec::new();
    for group in groups {
        let columns: Vec<usize> = group
            .iter()
            .map(|name| {
                table.parameters.iter().position(|p| p == name).ok_or_else(|| Error::Setting {
                    flag: "group",
                    value: name.clone(),
                    rule: "is not a column of psa_draws.csv (a varied parameter)",
                })
            })
            .collect::<Result<_>>()?;
        let theta: Vec<Vec<f64>> = table.values.iter().map(|v| columns.iter().map(|&c| v[c]).collect()).collect();
        for &lambda in wtp {
            let nmb: Vec<Vec<f64>> =
                table.outcomes.iter().map(|o| o.iter().map(|x| lambda * x[1] - x[0]).collect()).collect();
            let (value, terms) = evppi(&theta, &nmb);
            rows.push(EvppiResult { parameters: group.clone(), wtp: lambda, evppi: value, evpi: evpi(&nmb), terms });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn tied_values_share_their_mean_rank() {
        // Sorted: 0 (draws 1, 3), 1 (draw 0), 2 (draw 2): ranks 0.5, 0.5, 2, 3 of 0..=3.
        let r = scaled_ranks(&[1.0, 0.0, 2.0, 0.0]);
        let want = [2.0 * 2.0 / 3.0 - 1.0, 2.0 * 0.5 / 3.0 - 1.0, 1.0, 2.0 * 0.5 / 3.0 - 1.0];
        for (a, b) in r.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{r:?}");
        }
    }

    /// Issue 13: a group is worth at least as much as each member alone and at most the EVPI, up
    /// to the metamodel's noise bound phi(0) sd(D) sqrt(terms / n). D = theta1 + theta2 + noise,
    /// with theta1 a mixture (0 with probability 0.4, else N(-1, 1)) as the MSC effect is drawn.
    #[test]
    fn a_group_is_worth_at_least_its_members_and_at_most_the_evpi() {
        let n = 4000;
        let normal = Normal::standard();
        let q = |i: usize, m: usize| normal.inverse_cdf((((i * m) % n) as f64 + 0.5) / n as f64);
        let theta1: Vec<f64> = (0..n).map(|i| if (i * 7) % 10 < 4 { 0.0 } else { q(i, 7919) - 1.0 }).collect();
        let theta2: Vec<f64> = (0..n).map(|i| 0.8 * q(i, 104_729)).collect();
        let noise: Vec<f64> = (0..n).map(|i| 0.3 * q(i, 1_299_709)).collect();
        let nmb: Vec<Vec<f64>> = (0..n).map(|i| vec![0.0, 0.5 + theta1[i] + theta2[i] + noise[i]]).collect();
        let d: Vec<f64> = nmb.iter().map(|r| r[1]).collect();
        let mean = d.iter().sum::<f64>() / n as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let total = evpi(&nmb);
        let one = |t: &[f64]| evppi(&t.iter().map(|&x| vec![x]).collect::<Vec<_>>(), &nmb);
        let ((e1, t1), (e2, _)) = (one(&theta1), one(&theta2));
        let both: Vec<Vec<f64>> = theta1.iter().zip(&theta2).map(|(&a, &b)| vec![a, b]).collect();
        let (e12, terms) = evppi(&both, &nmb);
        let bound = |terms: usize| 0.3989 * sd * (terms as f64 / n as f64).sqrt();
        assert!(e12 >= e1.max(e2) - bound(t1), "group {e12} vs members {e1}, {e2}");
        assert!(e12 <= total + bound(terms), "group {e12} vs EVPI {total}");
        assert!(e1 > 0.0 && e2 > 0.0 && e12 > e1.max(e2), "{e1} {e2} {e12}");
    }

    /// theta1 ~ N(0, 1) decides; theta2 is irrelevant noise. NMB_A = 0, NMB_B = theta1.
    /// EVPI = E[max(0, theta1)] = phi(0) = 0.3989; EVPPI(theta1) = EVPI; EVPPI(theta2) ~ 0.
    #[test]
    fn known_answer_for_a_decisive_and_an_irrelevant_parameter() {
        let n = 2000;
        let normal = Normal::standard();
        // Stratified normal quantiles in a scrambled order, so the two parameters are unrelated.
        let theta1: Vec<f64> = (0..n).map(|i| normal.inverse_cdf((i as f64 + 0.5) / n as f64)).collect();
        let theta2: Vec<f64> = (0..n).map(|i| normal.inverse_cdf((((i * 7919) % n) as f64 + 0.5) / n as f64)).collect();
        let nmb: Vec<Vec<f64>> = theta1.iter().map(|&t| vec![0.0, t]).collect();
        let total = evpi(&nmb);
        assert!((total - 0.3989).abs() < 0.005, "EVPI {total}");
        let one: Vec<Vec<f64>> = theta1.iter().map(|&t| vec![t]).collect();
        let (e1, _) = evppi(&one, &nmb);
        // A degree-4 polynomial in the rank cannot follow the normal quantile's tails exactly.
        assert!(e1 <= total + 1e-12 && e1 > 0.95 * total, "EVPPI(theta1) {e1} vs EVPI {total}");
        let two: Vec<Vec<f64>> = theta2.iter().map(|&t| vec![t]).collect();
        let (e2, terms) = evppi(&two, &nmb);
        // For an irrelevant parameter the fitted values are pure noise with SD about
        // sd(D) sqrt(terms / n), so the upward bias is at most about phi(0) times that (sd(D) = 1).
        let bias_bound = 0.3989 * (terms as f64 / n as f64).sqrt();
        assert!(e2 < bias_bound, "EVPPI(theta2) {e2} vs noise bound {bias_bound}");
        // The group of both is worth as much as the decisive one alone.
        let both: Vec<Vec<f64>> = theta1.iter().zip(&theta2).map(|(&a, &b)| vec![a, b]).collect();
        let (e12, _) = evppi(&both, &nmb);
        assert!(e12 <= total + 1e-12 && e12 > 0.9 * total, "EVPPI(both) {e12}");
    }
}
