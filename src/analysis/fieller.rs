//! The confidence interval of an ICER estimated by Monte Carlo, by Fieller's theorem.
//!
//! Receives the mean incremental cost and QALYs of two strategies, their standard errors and
//! covariance (from [`crate::analysis::McDifference`]); hands [`crate::report`] the ICER and
//! its interval. Fieller's interval is the set of ratios R for which dC - R dQ is not
//! significantly different from 0: (dC - R dQ)^2 <= z^2 (var C - 2 R cov + R^2 var Q), a
//! quadratic in R (Willan & O'Brien 1996, Health Econ 5:297; Briggs, Claxton & Sculpher 2006,
//! section 4.2). It is a bounded interval only when the QALY difference is itself significant
//! (dQ^2 > z^2 var Q); otherwise no finite interval exists, and none is given.

/// Two-sided 95% normal quantile, z(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// An ICER's confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IcerInterval {
    /// From `lower` to `upper` (cost per QALY).
    Bounded { lower: f64, upper: f64 },
    /// The QALY difference is not significantly different from 0 at this level: the set of
    /// ratios is unbounded (the whole line, or two rays), so no finite interval exists.
    Unbounded,
}

/// Fieller's interval of dC / dQ at normal quantile `z`, given the standard errors of the two
/// means and the covariance of the means.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::fieller::{IcerInterval, Z95, icer_interval};
/// // Without any uncertainty the interval is the ICER itself.
/// let IcerInterval::Bounded { lower, upper } = icer_interval(1000.0, 0.1, 0.0, 0.0, 0.0, Z95) else { panic!() };
/// assert!((lower - 10_000.0).abs() < 1e-9 && (upper - 10_000.0).abs() < 1e-9);
/// // A QALY difference within noise of 0 has no finite interval.
/// assert_eq!(icer_interval(1000.0, 0.01, 10.0, 0.01, 0.0, Z95), IcerInterval::Unbounded);
/// ```
pub fn icer_interval(inc_cost: f64, inc_qaly: f64, se_cost: f64, se_qaly: f64, cov: f64, z: f64) -> IcerInterval {
    let z2 = z * z;
    let a = inc_qaly * inc_qaly - z2 * se_qaly * se_qaly;
    let b = inc_cost * inc_qaly - z2 * cov;
    let c = inc_cost * inc_cost - z2 * se_cost * se_cost;
    let discriminant = b * b - a * c;
    if !(a > 0.0 && a.is_finite() && discriminant.is_finite()) {
        return IcerInterval::Unbounded;
    }
    // With a > 0 the discriminant is never negative: the quadratic a R^2 - 2 b R + c is
    // -z^2 var(dC - R dQ) <= 0 at R = dC / dQ, so it has real roots. A negative value is rounding.
    let root = discriminant.max(0.0).sqrt();
    let (r1, r2) = ((b - root) / a, (b + root) / a);
    IcerInterval::Bounded { lower: r1.min(r2), upper: r1.max(r2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dC = 1000, dQ = 0.1, SE 100 and 0.01, independent: the roots of
    /// 0.0096158541 R^2 - 200 R + 961585.41 = 0, computed separately (Python, double precision):
    /// 7544.770115200393 and 13254.214306481084.
    #[test]
    fn known_interval() {
        let IcerInterval::Bounded { lower, upper } = icer_interval(1000.0, 0.1, 100.0, 0.01, 0.0, Z95) else {
            panic!("bounded")
        };
        assert!((lower - 7544.770115200393).abs() < 1e-6, "{lower}");
        assert!((upper - 13254.214306481084).abs() < 1e-6, "{upper}");
    }

    /// Each bound solves the defining equation, with and without covariance, for a negative
    /// ICER too; and the interval contains the point estimate.
    #[test]
    fn bounds_solve_the_defining_equation() {
        for &(dc, dq, sc, sq, cov) in
            &[(1000.0, 0.1, 100.0, 0.01, 0.5), (-500.0, 0.2, 300.0, 0.05, -4.0), (2e5, 0.05, 1e4, 0.004, 20.0)]
        {
            let IcerInterval::Bounded { lower, upper } = icer_interval(dc, dq, sc, sq, cov, Z95) else {
                panic!("bounded for {dc} {dq}")
            };
            for r in [lower, upper] {
                let lhs = (dc - r * dq).powi(2);
                let rhs = Z95 * Z95 * (sc * sc - 2.0 * r * cov + r * r * sq * sq);
                assert!((lhs - rhs).abs() <= 1e-9 * lhs.abs().max(1.0), "{r}: {lhs} vs {rhs}");
            }
            assert!(lower <= dc / dq && dc / dq <= upper);
        }
    }

    #[test]
    fn not_finite_inputs_give_no_interval() {
        assert_eq!(icer_interval(f64::NAN, 0.1, 1.0, 0.01, 0.0, Z95), IcerInterval::Unbounded);
        assert_eq!(icer_interval(1.0, 0.0, 1.0, 0.0, 0.0, Z95), IcerInterval::Unbounded);
    }
}
