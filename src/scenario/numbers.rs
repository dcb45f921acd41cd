//! How numbers are printed in messages: at most 10 significant digits and no trailing zeros, so
//! float noise such as `0.8999999999999999` reads `0.9`.
//!
//! Every [`crate::error::ProblemKind`] that prints an `f64` goes through [`short`], as does every
//! message text the validator builds from a number.

/// Significant digits kept when a number is printed in a message.
pub const SIGNIFICANT_DIGITS: usize = 10;

/// A number for a message: rounded to [`SIGNIFICANT_DIGITS`] significant digits, written
/// without trailing zeros; in scientific notation below 1e-6 and from 1e16 on.
///
/// Takes a reference so that `thiserror` attributes can pass a field (`short(.value)`).
///
/// # Examples
/// ```
/// use cirrhosim::scenario::numbers::short;
/// assert_eq!(short(&0.8999999999999999), "0.9");
/// assert_eq!(short(&-0.03), "-0.03");
/// assert_eq!(short(&1.2e10), "12000000000");
/// assert_eq!(short(&1e-12), "1e-12");
/// assert_eq!(short(&f64::NAN), "NaN");
/// ```
pub fn short(x: &f64) -> String {
    let x = *x;
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let scientific = format!("{:.*e}", SIGNIFICANT_DIGITS - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-6..16).contains(&exponent) {
        // The rounded value has at most 10 significant digits, so its shortest form does too.
        let rounded: f64 = scientific.parse().unwrap_or(x);
        rounded.to_string()
    } else {
        let mantissa =
            if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        format!("{mantissa}e{exponent}")
    }
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
