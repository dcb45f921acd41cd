//! The Gaussian copula of two or three correlated numeric covariates
//! (`[[population.correlations]]`): the share of each combination of their quantile strata.
//!
//! Receives the number of strata of each covariate and the correlations of their normal
//! scores `Z = Phi^-1(F(x))`; hands [`super::population::Copula::joint_shares`] the probability
//! of every rectangle (two covariates) or box (three) of strata under the standard bivariate or
//! trivariate normal ([`trivariate_strata`] nests the bivariate integral below in a second). Stratum `i` of `n` (from 1)
//! of a covariate is the interval `[Phi^-1((i - 1) / n), Phi^-1(i / n)]` of its normal score, so
//! each covariate keeps its own marginal distribution (every stratum holds `1 / n`) and only the
//! dependence between the two comes from `rho`.
//!
//! The rectangle probabilities are integrals, computed deterministically (no sampling): with
//! `s = sqrt(1 - rho^2)`, `Z2 | Z1 = z ~ N(rho z, s^2)`, so
//! `P(a1 < Z1 < b1, Z2 < c) = integral over (a1, b1) of phi(z) Phi((c - rho z) / s) dz`
//! (Genz 2004, "Numerical computation of rectangular bivariate and trivariate normal and t
//! probabilities", Statistics and Computing 14:251, section 2), and a rectangle is the difference
//! of two such integrals at its lower and upper edges `c`. The integrand is smooth in `z`, so an
//! adaptive Gauss-Legendre rule reaches about 1e-15 per integral; the infinite outer strata are
//! cut at `|z| = 10`, which leaves out `Phi(-10) = 7.6e-24`.

use statrs::distribution::{ContinuousCDF, Normal};

/// Where the integrals over an infinite outer stratum are cut: `Phi(-10) = 7.6e-24`.
const Z_MAX: f64 = 10.0;
/// Points of the Gauss-Legendre rule applied on each piece of an integral.
const GAUSS_POINTS: usize = 10;
/// Absolute tolerance of each integral, halved with each split of its interval.
const TOLERANCE: f64 = 1e-13;
/// Most halvings of an interval (a guard; smooth integrands stop after a few).
const MAX_DEPTH: u32 = 30;

/// A Gauss-Legendre rule on [-1, 1]: its nodes and weights.
#[derive(Debug, Clone)]
struct GaussLegendre {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl GaussLegendre {
    /// The `m`-point rule: the roots of the Legendre polynomial `P_m`, found by Newton's method
    /// from Tricomi's approximation `cos(pi (i - 1/4) / (m + 1/2))`, with weights
    /// `2 / ((1 - x^2) P_m'(x)^2)` (Abramowitz & Stegun 25.4.29).
    fn new(m: usize) -> Self {
        let mut nodes = Vec::with_capacity(m);
        let mut weights = Vec::with_capacity(m);
        for i in 1..=m {
            let mut x = (std::f64::consts::PI * (i as f64 - 0.25) / (m as f64 + 0.5)).cos();
            let mut derivative = 1.0;
            for _ in 0..100 {
                // P_m(x) and P_{m-1}(x) by the three-term recurrence.
                let (mut p_prev, mut p) = (1.0, x);
                for k in 2..=m {
                    let k = k as f64;
                    (p_prev, p) = (p, ((2.0 * k - 1.0) * x * p - (k - 1.0) * p_prev) / k);
                }
                derivative = m as f64 * (x * p - p_prev) / (x * x - 1.0);
                let step = p / derivative;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            nodes.push(x);
            weights.push(2.0 / ((1.0 - x * x) * derivative * derivative));
        }
        GaussLegendre { nodes, weights }
    }

    /// The rule on (a, b).
    fn apply(&self, f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
        let (half, centre) = ((b - a) / 2.0, (a + b) / 2.0);
        half * self.nodes.iter().zip(&self.weights).map(|(x, w)| w * f(centre + half * x)).sum::<f64>()
    }

    /// The integral of `f` over (a, b): the rule on the whole interval is compared with the rule
    /// on its halves, and a half is split again until they agree within the tolerance (or to
    /// 1e-15 of the value, the limit of rounding).
    fn integrate(&self, f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
        if b <= a {
            return 0.0;
        }
        self.adaptive(f, a, b, self.apply(f, a, b), TOLERANCE, MAX_DEPTH)
    }

    fn adaptive(&self, f: &impl Fn(f64) -> f64, a: f64, b: f64, whole: f64, tolerance: f64, depth: u32) -> f64 {
        let middle = (a + b) / 2.0;
        let (left, right) = (self.apply(f, a, middle), self.apply(f, middle, b));
        let halves = left + right;
        if depth == 0 || (halves - whole).abs() <= tolerance.max(1e-15 * halves.abs()) {
            return halves;
        }
        self.adaptive(f, a, middle, left, tolerance / 2.0, depth - 1)
            + self.adaptive(f, middle, b, right, tolerance / 2.0, depth - 1)
    }
}

/// The standard normal CDF, `Phi(z) = erfc(-z / sqrt 2) / 2`, with musl's `erfc` (within about
/// an ulp; statrs's `Normal::cdf` is off by up to about 1e-11).
fn cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The standard normal density.
fn density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The edges of `n` equal-probability strata on the normal-score scale: `Phi^-1(i / n)` for
/// i = 0..=n (minus and plus infinity at the ends), with `Phi(edge) = i / n` to about 1e-16.
fn stratum_edges(n: usize) -> Vec<f64> {
    let normal = Normal::standard();
    (0..=n)
        .map(|i| match i {
            0 => f64::NEG_INFINITY,
            i if i == n => f64::INFINITY,
            i => {
                // statrs's inverse is good to about 1e-11 in probability; two Newton steps on
                // Phi(z) = p bring the edge to the precision of Phi itself.
                let p = i as f64 / n as f64;
                (0..2).fold(normal.inverse_cdf(p), |z, _| z - (cdf(z) - p) / density(z))
            }
        })
        .collect()
}

/// The probability of every rectangle of strata of a standard bivariate normal with correlation
/// `rho` in (-1, 1): `n1 x n2` values, row-major (stratum of the first covariate, then of the
/// second), before normalisation (they sum to 1 within about 1e-13).
///
/// # Examples
/// ```
/// // Two strata each: P(Z1 < 0, Z2 < 0) = 1/4 + asin(rho) / (2 pi) (Sheppard 1899).
/// let w = cirrhosim::scenario::copula::bivariate_strata(2, 2, 0.5);
/// assert!((w[0] - (0.25 + 0.5f64.asin() / (2.0 * std::f64::consts::PI))).abs() < 1e-12);
/// ```
pub fn bivariate_strata(n1: usize, n2: usize, rho: f64) -> Vec<f64> {
    let rule = GaussLegendre::new(GAUSS_POINTS);
    let (first, second) = (stratum_edges(n1), stratum_edges(n2));
    let s = (1.0 - rho * rho).sqrt();
    let mut out = Vec::with_capacity(n1 * n2);
    for i in 0..n1 {
        let (a, b) = (first[i].max(-Z_MAX), first[i + 1].min(Z_MAX));
        // P(Z1 in stratum i, Z2 < c) at each edge c of the second covariate's strata.
        let below: Vec<f64> = second
            .iter()
            .map(|&c| match c {
                f64::NEG_INFINITY => 0.0,
                f64::INFINITY => rule.integrate(&density, a, b),
                c => rule.integrate(&|z| density(z) * cdf((c - rho * z) / s), a, b),
            })
            .collect();
        // A difference can round a few 1e-17 below 0 where the rectangle holds almost nothing.
        out.extend(below.windows(2).map(|w| (w[1] - w[0]).max(0.0)));
    }
    out
}

/// The probability of every box of strata of a standard trivariate normal whose normal scores
/// have the correlations `r12`, `r13`, `r23` (a positive definite matrix): `n1 x n2 x n3` values,
/// row-major (first covariate slowest), before normalisation.
///
/// Given `Z1 = z`, `(Z2, Z3)` is bivariate normal with means `(r12 z, r13 z)`, standard
/// deviations `s2 = sqrt(1 - r12^2)`, `s3 = sqrt(1 - r13^2)` and correlation
/// `rc = (r23 - r12 r13) / (s2 s3)` (Genz 2004, section 3), so a box is
/// `integral over stratum i of phi(z) R(z) dz`, `R(z)` the conditional probability of the
/// rectangle `(j, k)`, itself `integral of phi(u) [Phi((b3 - rc u) / sc) - Phi((a3 - rc u) / sc)] du`
/// over the standardised edges of stratum `j` (`sc = sqrt(1 - rc^2)`). Both integrals use the
/// adaptive rule of [`bivariate_strata`]; the standardised infinite edges are cut at
/// `|z| = 10` as there.
///
/// # Examples
/// ```
/// // Two strata each: P(Z1 < 0, Z2 < 0, Z3 < 0) = 1/8 + (asin r12 + asin r13 + asin r23) / (4 pi).
/// let (r12, r13, r23) = (0.5, -0.3, 0.2);
/// let w = cirrhosim::scenario::copula::trivariate_strata([2, 2, 2], [r12, r13, r23]);
/// let orthant = 0.125 + (r12.asin() + r13.asin() + r23.asin()) / (4.0 * std::f64::consts::PI);
/// assert!((w[0] - orthant).abs() < 1e-10);
/// ```
pub fn trivariate_strata(n: [usize; 3], [r12, r13, r23]: [f64; 3]) -> Vec<f64> {
    let rule = GaussLegendre::new(GAUSS_POINTS);
    let edges = n.map(stratum_edges);
    let (s2, s3) = ((1.0 - r12 * r12).sqrt(), (1.0 - r13 * r13).sqrt());
    let rc = (r23 - r12 * r13) / (s2 * s3);
    let sc = (1.0 - rc * rc).sqrt();
    let cut = |x: f64| x.clamp(-Z_MAX, Z_MAX);
    let mut out = Vec::with_capacity(n[0] * n[1] * n[2]);
    for i in 0..n[0] {
        let (a1, b1) = (cut(edges[0][i]), cut(edges[0][i + 1]));
        for j in 0..n[1] {
            for k in 0..n[2] {
                // The conditional probability of rectangle (j, k) given Z1 = z.
                let rectangle = |z: f64| {
                    let (a2, b2) = (cut((edges[1][j] - r12 * z) / s2), cut((edges[1][j + 1] - r12 * z) / s2));
                    let (a3, b3) = ((edges[2][k] - r13 * z) / s3, (edges[2][k + 1] - r13 * z) / s3);
                    let band = |u: f64| {
                        let upper = if b3 == f64::INFINITY { 1.0 } else { cdf((b3 - rc * u) / sc) };
                        let lower = if a3 == f64::NEG_INFINITY { 0.0 } else { cdf((a3 - rc * u) / sc) };
                        density(u) * (upper - lower)
                    };
                    rule.integrate(&band, a2, b2)
                };
                out.push(rule.integrate(&|z| density(z) * rectangle(z), a1, b1).max(0.0));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly_and_the_normal_density() {
        let rule = GaussLegendre::new(GAUSS_POINTS);
        assert!((rule.weights.iter().sum::<f64>() - 2.0).abs() < 1e-14);
        // Exact for degree 2m - 1 = 19: the integral of x^18 over (-1, 1) is 2/19.
        assert!((rule.apply(&|x| x.powi(18), -1.0, 1.0) - 2.0 / 19.0).abs() < 1e-15);
        // Phi(1.3) = 0.9031995154143897 (R: print(pnorm(1.3), digits = 16)).
        let got = rule.integrate(&density, -Z_MAX, 1.3);
        assert!((got - 0.903_199_515_414_389_6).abs() < 1e-15, "{got}");
        assert!((cdf(1.3) - 0.903_199_515_414_389_6).abs() < 1e-15);
        // The strata's edges hold exactly their share.
        for (i, z) in stratum_edges(5).iter().enumerate() {
            assert!((cdf(*z) - i as f64 / 5.0).abs() < 1e-15, "{z}");
        }
    }

    /// Sheppard's formula for the bivariate normal orthant, P(Z1 < 0, Z2 < 0) = 1/4 + asin(rho)/(2 pi).
    #[test]
    fn two_by_two_strata_match_the_orthant_probability() {
        for rho in [-0.99, -0.45, 0.0, 0.3, 0.8, 0.999] {
            let w = bivariate_strata(2, 2, rho);
            let orthant = 0.25 + rho.asin() / (2.0 * PI);
            for (k, expected) in [orthant, 0.5 - orthant, 0.5 - orthant, orthant].into_iter().enumerate() {
                assert!((w[k] - expected).abs() < 1e-10, "rho {rho}, cell {k}: {} vs {expected}", w[k]);
            }
        }
    }

    #[test]
    fn zero_correlation_gives_the_product_of_the_shares() {
        let w = bivariate_strata(8, 5, 0.0);
        assert_eq!(w.len(), 40);
        for x in &w {
            assert!((x - 1.0 / 40.0).abs() < 1e-12, "{x}");
        }
    }

    /// Summing the joint shares over one covariate gives 1/n in every stratum of the other, and
    /// the sum before normalisation is 1.
    #[test]
    fn the_marginals_are_kept_and_the_shares_sum_to_one() {
        for (n1, n2, rho) in [(8, 8, -0.45), (16, 4, 0.9), (64, 64, 0.6)] {
            let w = bivariate_strata(n1, n2, rho);
            let total: f64 = w.iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            for i in 0..n1 {
                let row: f64 = w[i * n2..(i + 1) * n2].iter().sum();
                assert!((row - 1.0 / n1 as f64).abs() < 1e-10, "row {i}: {row}");
            }
            for j in 0..n2 {
                let column: f64 = (0..n1).map(|i| w[i * n2 + j]).sum();
                assert!((column - 1.0 / n2 as f64).abs() < 1e-10, "column {j}: {column}");
            }
        }
    }

    /// Each cell against the bivariate normal CDF on the edges of the strata by
    /// inclusion-exclusion, the CDF integrated by a composite Simpson rule on (-12, x) with
    /// 20,000 steps (error of order h^4 / 180, about 1e-14): a second, plainer integration.
    #[test]
    fn cells_match_an_independent_simpson_integration() {
        let rho: f64 = -0.45;
        let s = (1.0 - rho * rho).sqrt();
        let edges = stratum_edges(4);
        let cdf = |x: f64, y: f64| -> f64 {
            if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
                return 0.0;
            }
            let f = |z: f64| density(z) * if y == f64::INFINITY { 1.0 } else { cdf((y - rho * z) / s) };
            let (lo, hi, steps) = (-12.0, x.min(12.0), 20_000);
            let h = (hi - lo) / steps as f64;
            let inner: f64 = (1..steps).map(|k| f(lo + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 }).sum();
            (f(lo) + inner + f(hi)) * h / 3.0
        };
        let grid: Vec<Vec<f64>> = edges.iter().map(|&x| edges.iter().map(|&y| cdf(x, y)).collect()).collect();
        let w = bivariate_strata(4, 4, rho);
        for i in 0..4 {
            for j in 0..4 {
                let exact = grid[i + 1][j + 1] - grid[i][j + 1] - grid[i + 1][j] + grid[i][j];
                assert!((w[i * 4 + j] - exact).abs() < 1e-10, "cell ({i}, {j}): {} vs {exact}", w[i * 4 + j]);
            }
        }
    }

    /// The trivariate orthant, P(Z1 < 0, Z2 < 0, Z3 < 0) = 1/8 + (asin r12 + asin r13 + asin r23) / (4 pi)
    /// (Steck 1962), in every cell of 2 x 2 x 2 strata by symmetry (flipping a score's sign
    /// flips its correlations).
    #[test]
    fn two_strata_each_match_the_trivariate_orthant_probabilities() {
        for r in [[0.5, -0.3, 0.2], [-0.45, 0.6, -0.2], [0.9, 0.85, 0.8], [0.0, 0.0, 0.0]] {
            let w = trivariate_strata([2, 2, 2], r);
            for (cell, &got) in w.iter().enumerate() {
                // Cell bits: 1 = the upper stratum (a positive score) of that covariate.
                let sign = |c: usize| if cell >> (2 - c) & 1 == 1 { -1.0 } else { 1.0 };
                let (r12, r13, r23) = (sign(0) * sign(1) * r[0], sign(0) * sign(2) * r[1], sign(1) * sign(2) * r[2]);
                let orthant = 0.125 + (r12.asin() + r13.asin() + r23.asin()) / (4.0 * PI);
                assert!((got - orthant).abs() < 1e-10, "{r:?} cell {cell}: {got} vs {orthant}");
            }
        }
    }

    /// A third covariate correlated with neither of the others splits each bivariate cell evenly;
    /// summed over any one covariate, the boxes give that pair's bivariate cells.
    #[test]
    fn trivariate_boxes_reduce_to_the_bivariate_cells() {
        let (n1, n2, n3) = (5, 4, 3);
        let independent = trivariate_strata([n1, n2, n3], [-0.45, 0.0, 0.0]);
        let pair = bivariate_strata(n1, n2, -0.45);
        for (cell, box_) in independent.iter().enumerate() {
            assert!((box_ - pair[cell / n3] / n3 as f64).abs() < 1e-12, "{cell}");
        }
        let (r12, r13, r23) = (-0.45, 0.3, 0.5);
        let w = trivariate_strata([n1, n2, n3], [r12, r13, r23]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let over = |keep: [usize; 2], n: [usize; 2], r: f64| {
            let pair = bivariate_strata(n[0], n[1], r);
            for a in 0..n[0] {
                for b in 0..n[1] {
                    let total: f64 = (0..n1 * n2 * n3)
                        .filter(|c| {
                            let idx = [c / (n2 * n3), c / n3 % n2, c % n3];
                            idx[keep[0]] == a && idx[keep[1]] == b
                        })
                        .map(|c| w[c])
                        .sum();
                    assert!((total - pair[a * n[1] + b]).abs() < 1e-10, "{keep:?} ({a}, {b})");
                }
            }
        };
        over([0, 1], [n1, n2], r12);
        over([0, 2], [n1, n3], r13);
        over([1, 2], [n2, n3], r23);
    }

    #[test]
    fn negative_correlation_puts_the_weight_on_the_anti_diagonal() {
        let n = 4;
        let w = bivariate_strata(n, n, -0.7);
        let diagonal: f64 = (0..n).map(|i| w[i * n + i]).sum();
        let anti: f64 = (0..n).map(|i| w[i * n + (n - 1 - i)]).sum();
        assert!(anti > 2.0 * diagonal, "{anti} vs {diagonal}");
        // The low stratum of one goes with the high stratum of the other more than 1/16 of the time.
        assert!(w[n - 1] > 1.5 / 16.0 && w[0] < 0.5 / 16.0, "{w:?}");
    }
}
