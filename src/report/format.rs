//! Numbers as a reader of a health-economic report expects them: thousands separators, no
//! trailing `.0`, money with its currency and price year, a missing value shown as missing.
//!
//! Receives numbers; hands back text for tables, captions and axis ticks. Used by the HTML
//! report and its figures.

/// The currency and price year of every money amount of a scenario (CHEERS 2022 item 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// ISO 4217 code or the scenario's own word, e.g. `EUR`.
    pub currency: String,
    pub price_year: i64,
}

impl Money {
    /// `EUR 2013`: the unit of an amount, for axis titles and column headers.
    pub fn unit(&self) -> String {
        format!("{} {}", self.currency, self.price_year)
    }

    /// `EUR 12,346`: an amount rounded to the unit.
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::report::format::Money;
    /// let eur = Money { currency: "EUR".into(), price_year: 2013 };
    /// assert_eq!(eur.amount(12345.6), "EUR 12,346");
    /// assert_eq!(eur.amount(-0.4), "EUR 0");
    /// assert_eq!(eur.amount(f64::NAN), "not available");
    /// ```
    pub fn amount(&self, x: f64) -> String {
        if x.is_finite() { format!("{} {}", self.currency, grouped(x, 0)) } else { MISSING.to_string() }
    }

    /// `EUR 30,000 per QALY`.
    pub fn per_qaly(&self, x: f64) -> String {
        if x.is_finite() { format!("{} per QALY", self.amount(x)) } else { MISSING.to_string() }
    }
}

/// What a table shows for a number that does not exist or was not computed (never `0`).
pub const MISSING: &str = "not available";

/// `x` with `decimals` decimals and a comma between each group of three digits; `-0` is `0`;
/// a number that is not finite is [`MISSING`].
///
/// # Examples
/// ```
/// use cirrhosim::report::format::grouped;
/// assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
/// assert_eq!(grouped(-1234.6, 0), "-1,235");
/// assert_eq!(grouped(-0.0001, 2), "0.00");
/// assert_eq!(grouped(999.5, 0), "1,000");
/// ```
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return MISSING.to_string();
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    let is_zero = out.chars().all(|c| matches!(c, '0' | ',' | '.'));
    if x < 0.0 && !is_zero { format!("-{out}") } else { out }
}

/// An axis tick: thousands separators, and only the decimals the value needs (at most 6), so
/// `20000.0` is `20,000`, `0.30000000000000004` is `0.3` and `-0.0` is `0`.
///
/// # Examples
/// ```
/// use cirrhosim::report::format::tick;
/// assert_eq!(tick(20000.0), "20,000");
/// assert_eq!(tick(0.1 + 0.2), "0.3");
/// assert_eq!(tick(-0.0), "0");
/// assert_eq!(tick(-2500.0), "-2,500");
/// assert_eq!(tick(0.025), "0.025");
/// ```
pub fn tick(x: f64) -> String {
    let text = grouped(x, 6);
    if !text.contains('.') {
        return text;
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" { "0".to_string() } else { trimmed.to_string() }
}

/// A share as a percentage with `decimals` decimals: `0.4567` -> `45.7%`.
pub fn percent(share: f64, decimals: usize) -> String {
    if share.is_finite() { format!("{}%", grouped(100.0 * share, decimals)) } else { MISSING.to_string() }
}

/// `mean (lower to upper)`, each with `decimals` decimals.
pub fn interval(mean: f64, lower: f64, upper: f64, decimals: usize) -> String {
    format!("{} ({} to {})", grouped(mean, decimals), grouped(lower, decimals), grouped(upper, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_at_every_length_and_sign() {
        let cases = [
            (0.0, 0, "0"),
            (7.0, 0, "7"),
            (123.0, 0, "123"),
            (1234.0, 0, "1,234"),
            (12345.0, 0, "12,345"),
            (123456.0, 0, "123,456"),
            (1234567.0, 1, "1,234,567.0"),
            (-12.345, 2, "-12.35"),
            (-999.9, 0, "-1,000"),
        ];
        for (x, d, want) in cases {
            assert_eq!(grouped(x, d), want, "{x}");
        }
        assert_eq!(grouped(f64::INFINITY, 0), MISSING);
        assert_eq!(percent(f64::NAN, 1), MISSING);
        assert_eq!(interval(1.5, 1.0, 2.25, 2), "1.50 (1.00 to 2.25)");
    }

    #[test]
    fn ticks_drop_float_noise_and_trailing_zeros() {
        assert_eq!(tick(1.0000000000000002), "1");
        assert_eq!(tick(0.7000000000000001), "0.7");
        assert_eq!(tick(1e6), "1,000,000");
        assert_eq!(tick(-0.0000001), "0");
        assert_eq!(tick(f64::NAN), MISSING);
    }
}
