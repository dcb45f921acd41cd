//! Durations written as text in scenario files: `"1 month"`, `"4 weeks"`, `"40 years"`.
//!
//! Every duration in a scenario carries its unit, so "6" can never be read as months by one user
//! and years by another. The conversions are calendar averages: a month is 1/12 year and a week or
//! a day is 7 or 1 of the 365.25 days in a Julian year.

/// Days in a (Julian) year, used to convert weeks and days to years.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Parses `"<number> <unit>"` into years; `None` if it is not of that form.
///
/// Units: `day(s)`, `week(s)`, `month(s)`, `year(s)`. The number may be a decimal.
///
/// # Examples
/// ```
/// use cirrhosim::scenario::duration::parse_years;
/// assert_eq!(parse_years("6 months"), Some(0.5));
/// assert_eq!(parse_years("40 years"), Some(40.0));
/// assert_eq!(parse_years("six months"), None);
/// ```
pub fn parse_years(text: &str) -> Option<f64> {
    let mut parts = text.split_whitespace();
    let number: f64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?;
    if parts.next().is_some() || !number.is_finite() {
        return None;
    }
    let years_per_unit = match unit {
        "day" | "days" => 1.0 / DAYS_PER_YEAR,
        "week" | "weeks" => 7.0 / DAYS_PER_YEAR,
        "month" | "months" => 1.0 / 12.0,
        "year" | "years" => 1.0,
        _ => return None,
    };
    Some(number * years_per_unit)
}

/// Formats a duration in years for messages, in the unit that reads best.
pub fn describe_years(years: f64) -> String {
    let months = years * 12.0;
    if years >= 1.0 && (years - years.round()).abs() < 1e-9 {
        let y = years.round();
        format!("{y} year{}", if y == 1.0 { "" } else { "s" })
    } else if (months - months.round()).abs() < 1e-9 {
        let m = months.round();
        format!("{m} month{}", if m == 1.0 { "" } else { "s" })
    } else {
        format!("{years} years")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_to_years() {
        assert_eq!(parse_years("1 month"), Some(1.0 / 12.0));
        assert_eq!(parse_years("12 months"), Some(1.0));
        assert_eq!(parse_years("1 year"), Some(1.0));
        assert_eq!(parse_years("2.5 years"), Some(2.5));
        assert_eq!(parse_years("4 weeks"), Some(28.0 / 365.25));
        assert_eq!(parse_years("365.25 days"), Some(1.0));
        assert_eq!(parse_years("0 months"), Some(0.0));
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in ["", "6", "months", "6 fortnights", "6 months later", "nan years", "inf years"] {
            assert_eq!(parse_years(bad), None, "{bad}");
        }
    }

    #[test]
    fn describe_picks_a_readable_unit() {
        assert_eq!(describe_years(1.0), "1 year");
        assert_eq!(describe_years(40.0), "40 years");
        assert_eq!(describe_years(0.5), "6 months");
        assert_eq!(describe_years(1.0 / 12.0), "1 month");
    }
}
