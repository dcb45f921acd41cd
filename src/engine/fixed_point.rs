//! Per-patient values in fixed point and their exact sums over patients.
//!
//! Receives each simulated patient's discounted cost, discounted QALYs and life years (f64) from
//! [`super::monte_carlo`]; converts them to integers at fixed scales and sums them, their squares
//! and the pairwise differences between strategies in 128-bit integers with checked arithmetic.
//! Integer sums do not depend on the order in which blocks finish, so the results are the same
//! for any number of threads; an overflow is an error, never a wrapped or saturated number.
//! Hands on [`McValueSums`], from which [`crate::analysis::economics`] forms means, standard
//! errors and covariances exactly.

use crate::error::{Error, Result};

/// Names of [`super::monte_carlo::MC_QUANTITIES`] in messages.
pub(super) const MC_QUANTITY_NAMES: [&str; 3] = ["cost", "QALYs", "life years"];

/// Fixed-point scales for per-patient values (cost, QALYs, life years). Summing integers makes the
/// totals independent of the order in which blocks finish; the rounding is below 1e-6 of a
/// currency unit and 2e-11 QALY per patient.
pub const FIXED_SCALE: [f64; 3] = [1_048_576.0, 68_719_476_736.0, 68_719_476_736.0];

/// Largest |per-patient total| in fixed point, 2^62: squares and pairwise products then fit an
/// i128, and a sum of fewer than 2^64 totals or differences cannot overflow.
pub(super) const FIXED_LIMIT: f64 = 4_611_686_018_427_387_904.0;

/// Sums over simulated patients of per-patient costs, QALYs and life years, in fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McValueSums {
    pub patients: u64,
    /// Per strategy and quantity: sum of x and of x^2.
    pub sum: Vec<[i128; 3]>,
    pub sum_sq: Vec<[i128; 3]>,
    /// Per pair (i, j), i < j, in the order (0,1), (0,2), ..., (1,2), ...: sums of the per-patient
    /// difference d = x_j - x_i, of d^2, and of d_cost * d_qaly.
    pub pair_sum: Vec<[i128; 3]>,
    pub pair_sum_sq: Vec<[i128; 3]>,
    pub pair_cross: Vec<i128>,
}

/// An exact 128-bit sum that remembers an overflow (`None`) instead of wrapping or saturating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact(Option<i128>);

impl Exact {
    const ZERO: Exact = Exact(Some(0));

    #[inline]
    fn add(&mut self, x: Option<i128>) {
        self.0 = self.0.zip(x).and_then(|(a, b)| a.checked_add(b));
    }
}

/// [`McValueSums`] while they are being summed, with checked arithmetic throughout.
///
/// Whether an accumulator overflows does not depend on the order of summation, so the error (if
/// any) is the same for any number of threads: sums of squares only grow, so one overflows in some
/// order exactly when its total does; sums of totals and differences cannot overflow (each term is
/// at most 2^63 in size and there are fewer than 2^64 of them); and every partial sum of the cross
/// products d_cost * d_qaly is at most half the sum of the two sums of squares, which are checked
/// first.
#[derive(Debug, Clone)]
pub(super) struct ExactSums {
    patients: u64,
    sum: Vec<[Exact; 3]>,
    sum_sq: Vec<[Exact; 3]>,
    pair_sum: Vec<[Exact; 3]>,
    pair_sum_sq: Vec<[Exact; 3]>,
    pair_cross: Vec<Exact>,
}

impl ExactSums {
    pub(super) fn new(n_strategies: usize) -> Self {
        let pairs = n_strategies * n_strategies.saturating_sub(1) / 2;
        ExactSums {
            patients: 0,
            sum: vec![[Exact::ZERO; 3]; n_strategies],
            sum_sq: vec![[Exact::ZERO; 3]; n_strategies],
            pair_sum: vec![[Exact::ZERO; 3]; pairs],
            pair_sum_sq: vec![[Exact::ZERO; 3]; pairs],
            pair_cross: vec![Exact::ZERO; pairs],
        }
    }

    /// Adds one patient's fixed-point totals, one `[cost, qaly, life_years]` per strategy.
    pub(super) fn add_patient(&mut self, values: &[[i128; 3]]) {
        self.patients += 1;
        for (s, v) in values.iter().enumerate() {
            for (q, &x) in v.iter().enumerate() {
                self.sum[s][q].add(Some(x));
                self.sum_sq[s][q].add(x.checked_mul(x));
            }
        }
        let mut k = 0;
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                let d: [Option<i128>; 3] = std::array::from_fn(|q| values[j][q].checked_sub(values[i][q]));
                for (q, &x) in d.iter().enumerate() {
                    self.pair_sum[k][q].add(x);
                    self.pair_sum_sq[k][q].add(x.and_then(|x| x.checked_mul(x)));
                }
                self.pair_cross[k].add(d[0].zip(d[1]).and_then(|(c, e)| c.checked_mul(e)));
                k += 1;
            }
        }
    }

    pub(super) fn merge(&mut self, other: &ExactSums) {
        self.patients += other.patients;
        let add = |a: &mut Vec<[Exact; 3]>, b: &Vec<[Exact; 3]>| {
            for (x, y) in a.iter_mut().zip(b) {
                for q in 0..3 {
                    x[q].add(y[q].0);
                }
            }
        };
        add(&mut self.sum, &other.sum);
        add(&mut self.sum_sq, &other.sum_sq);
        add(&mut self.pair_sum, &other.pair_sum);
        add(&mut self.pair_sum_sq, &other.pair_sum_sq);
        for (x, y) in self.pair_cross.iter_mut().zip(&other.pair_cross) {
            x.add(y.0);
        }
    }

    /// The exact sums, or the first overflow in a fixed order (sums, sums of squares, pair sums,
    /// pair sums of squares, cross products).
    pub(super) fn finish(self, names: &[String]) -> Result<McValueSums> {
        let patients = self.patients;
        let pairs: Vec<String> = (0..names.len())
            .flat_map(|i| (i + 1..names.len()).map(move |j| (i, j)))
            .map(|(i, j)| format!("{} minus {}", names[j], names[i]))
            .collect();
        let overflow = |what: &'static str, quantity: &'static str, strategy: &str| Error::AccumulatorOverflow {
            what,
            quantity,
            strategy: strategy.to_string(),
            patients,
        };
        let unwrap = |table: &[[Exact; 3]], what: &'static str, labels: &[String]| -> Result<Vec<[i128; 3]>> {
            table
                .iter()
                .zip(labels)
                .map(|(row, label)| {
                    let mut out = [0i128; 3];
                    for q in 0..3 {
                        out[q] = row[q].0.ok_or_else(|| overflow(what, MC_QUANTITY_NAMES[q], label))?;
                    }
                    Ok(out)
                })
                .collect()
        };
        let sum = unwrap(&self.sum, "sum", names)?;
        let sum_sq = unwrap(&self.sum_sq, "sum of squares", names)?;
        let pair_sum = unwrap(&self.pair_sum, "sum of differences", &pairs)?;
        let pair_sum_sq = unwrap(&self.pair_sum_sq, "sum of squared differences", &pairs)?;
        let pair_cross = self
            .pair_cross
            .iter()
            .zip(&pairs)
            .map(|(x, label)| x.0.ok_or_else(|| overflow("sum of cross products", "cost x QALYs", label)))
            .collect::<Result<Vec<i128>>>()?;
        Ok(McValueSums { patients, sum, sum_sq, pair_sum, pair_sum_sq, pair_cross })
    }
}

/// `x * scale` rounded to an integer, if it is finite and at most [`FIXED_LIMIT`] in size.
#[inline]
pub(super) fn to_fixed(x: f64, scale: f64) -> Option<i128> {
    let y = (x * scale).round();
    (y.abs() <= FIXED_LIMIT).then_some(y as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["a".to_string(), "b".to_string()]
    }

    /// Patients added in any order and any split into accumulators give the same sums.
    #[test]
    fn sums_do_not_depend_on_order_or_split() {
        let patients: Vec<[[i128; 3]; 2]> =
            (0..50i128).map(|i| [[i * 7 - 100, -i, i * i], [i * 3, 5 - i, 2 * i]]).collect();
        let mut all = ExactSums::new(2);
        patients.iter().for_each(|p| all.add_patient(p));
        let (mut left, mut right) = (ExactSums::new(2), ExactSums::new(2));
        patients
            .iter()
            .rev()
            .enumerate()
            .for_each(|(k, p)| if k % 3 == 0 { left.add_patient(p) } else { right.add_patient(p) });
        right.merge(&left);
        let (a, b) = (all.finish(&names()).unwrap(), right.finish(&names()).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.patients, 50);
        assert_eq!(a.sum[0][0], (0..50).map(|i| i * 7 - 100).sum::<i128>());
        assert_eq!(a.pair_cross[0], (0..50).map(|i| (3 * i - (7 * i - 100)) * ((5 - i) + i)).sum::<i128>());
    }

    /// Eight costs of 2^62 square to 8 * 2^124 = 2^127, one more than an i128 holds: the same
    /// located error whichever way the patients are split.
    #[test]
    fn an_overflow_is_an_error_whatever_the_order() {
        let big = 1i128 << 62;
        let patient = [[big, 0, 0], [big, 0, 0]];
        let mut one = ExactSums::new(2);
        (0..8).for_each(|_| one.add_patient(&patient));
        let mut halves = [ExactSums::new(2), ExactSums::new(2)];
        (0..8).for_each(|k| halves[k % 2].add_patient(&patient));
        let [mut first, second] = halves;
        first.merge(&second);
        let expected = "Monte Carlo: the sum of squares of the per-patient cost (strategy \"a\") is too large for the \
                        fixed-point accumulator after 8 patients; reduce the number of patients or express costs in \
                        larger units (e.g. thousands)";
        assert_eq!(one.finish(&names()).unwrap_err().to_string(), expected);
        assert_eq!(first.finish(&names()).unwrap_err().to_string(), expected);
        // Seven fit: 7 * 2^124 < 2^127.
        let mut seven = ExactSums::new(2);
        (0..7).for_each(|_| seven.add_patient(&patient));
        assert_eq!(seven.finish(&names()).unwrap().sum_sq[1][0], 7 << 124);
    }

    #[test]
    fn fixed_point_conversion_refuses_what_does_not_fit() {
        assert_eq!(to_fixed(1.5, 4.0), Some(6));
        assert_eq!(to_fixed(-0.1, 1_048_576.0), Some(-104_858));
        assert_eq!(to_fixed(FIXED_LIMIT, 1.0), Some(1 << 62));
        assert_eq!(to_fixed(-FIXED_LIMIT, 1.0), Some(-(1 << 62)));
        assert_eq!(to_fixed(FIXED_LIMIT * 2.0, 1.0), None);
        assert_eq!(to_fixed(f64::NAN, 1.0), None);
        assert_eq!(to_fixed(f64::INFINITY, 1.0), None);
        assert_eq!(to_fixed(f64::NEG_INFINITY, 1.0), None);
        // A value that only overflows once scaled.
        assert_eq!(to_fixed(1e300, FIXED_SCALE[0]), None);
    }
}
