//! How numbers are printed in messages: at most 10 significant digits and no trailing zeros, so
//! float noise such as `0.8999999999999999` reads `0.9`.
//!
//! Every [`crate::error::ProblemKind`] that prints an `f64` goes through [`short`], as does every
//! message text the validator builds from a number.

pub use crate::error::SIGNIFICANT_DIGITS;

/// A number for a message ([`crate::error::number`]); takes a reference so that `thiserror`
/// attributes can pass a field (`short(.value)`).
///
/// # Examples
/// ```
/// use cirrhosim::scenario::numbers::short;
/// assert_eq!(short(&0.8999999999999999), "0.9");
/// ```
pub fn short(x: &f64) -> String {
    crate::error::number(*x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_noise_is_rounded_away() {
        assert_eq!(short(&0.8999999999999999), "0.9");
        assert_eq!(short(&(0.1 + 0.2)), "0.3");
        assert_eq!(short(&1.02), "1.02");
        assert_eq!(short(&1.07), "1.07");
        assert_eq!(short(&0.3), "0.3");
    }

    #[test]
    fn integers_and_extremes_read_plainly() {
        assert_eq!(short(&0.0), "0");
        assert_eq!(short(&-0.0), "0");
        assert_eq!(short(&5.0), "5");
        assert_eq!(short(&-5.0), "-5");
        assert_eq!(short(&130.0), "130");
        assert_eq!(short(&1e12), "1000000000000");
        assert_eq!(short(&1e300), "1e300");
        assert_eq!(short(&-2.5e-9), "-2.5e-9");
        assert_eq!(short(&0.000001), "0.000001");
        assert_eq!(short(&f64::INFINITY), "inf");
        assert_eq!(short(&f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn at_most_ten_significant_digits() {
        assert_eq!(short(&std::f64::consts::PI), "3.141592654");
        assert_eq!(short(&123456789012.0), "123456789000");
        assert_eq!(short(&(2.0f64 / 3.0)), "0.6666666667");
    }
}
