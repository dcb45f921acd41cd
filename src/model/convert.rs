//! Conversions between rates and probabilities, and competing risks on the rate scale.
//!
//! Conventions (Briggs, Claxton & Sculpher 2006, *Decision Modelling for Health Economic
//! Evaluation*, section 3.3; Fleurence & Hollenbeak 2007, *PharmacoEconomics* 25:3):
//! - a constant rate r over t years gives the probability p = 1 - exp(-r t);
//! - a probability p over t years gives the constant rate r = -ln(1 - p) / t;
//! - probabilities are never rescaled by simple division (p/12 is wrong for a monthly cycle);
//! - several exits of one state are competing risks: with rates r_j and R = sum r_j, the
//!   probability of leaving to j within a cycle of length dt is p_j = r_j / R * (1 - exp(-R dt)).
//!   Subtracting probabilities instead double counts people who would have had two events.

/// Probability of at least one event in `years` under a constant annual `rate`: 1 - exp(-r t).
///
/// # Examples
/// ```
/// use cirrhosim::model::convert::probability_from_rate;
/// // The median survival of 2 years after decompensation (rate ln 2 / 2) gives 29.3% per year.
/// let p = probability_from_rate(std::f64::consts::LN_2 / 2.0, 1.0);
/// assert!((p - 0.29289321881345).abs() < 1e-12);
/// ```
pub fn probability_from_rate(rate: f64, years: f64) -> f64 {
    -(-rate * years).exp_m1()
}

/// Constant annual rate that gives probability `p` over `years`: -ln(1 - p) / t.
///
/// # Examples
/// ```
/// use cirrhosim::model::convert::rate_from_probability;
/// // 24.5% decompensate within 5 years (D'Amico & Perricone 2019).
/// let r = rate_from_probability(0.245, 5.0);
/// assert!((r - 0.0562075).abs() < 1e-7);
/// ```
pub fn rate_from_probability(p: f64, years: f64) -> f64 {
    -(-p).ln_1p() / years
}

/// Splits the probability of leaving a state within `years` among competing exits with annual
/// `rates`: p_j = r_j / R * (1 - exp(-R t)). An infinite rate takes everything (shared equally
/// among infinite rates). Writes into `out`, which must be as long as `rates`.
pub fn competing_risks(rates: &[f64], years: f64, out: &mut [f64]) {
    let infinite = rates.iter().filter(|r| r.is_infinite()).count();
    if infinite > 0 {
        for (o, r) in out.iter_mut().zip(rates) {
            *o = if r.is_infinite() { 1.0 / infinite as f64 } else { 0.0 };
        }
        return;
    }
    let total: f64 = rates.iter().sum();
    if total <= 0.0 {
        out.iter_mut().for_each(|o| *o = 0.0);
        return;
    }
    let leave = probability_from_rate(total, years);
    for (o, r) in out.iter_mut().zip(rates) {
        *o = r / total * leave;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_values() {
        // 1 - exp(-0.1) = 0.09516258196404048 (exact to f64).
        assert!((probability_from_rate(0.1, 1.0) - 0.09516258196404048).abs() < 1e-16);
        // Annual 0.0547 to monthly: 1 - (1 - 0.0547)^(1/12) = 0.004676...
        let monthly = probability_from_rate(rate_from_probability(0.0547, 1.0), 1.0 / 12.0);
        assert!((monthly - (1.0 - (1.0f64 - 0.0547).powf(1.0 / 12.0))).abs() < 1e-15);
        assert!((monthly - 0.0046768).abs() < 1e-6);
        // The naive p/12 is wrong by about 2.6% here.
        assert!((0.0547 / 12.0 - monthly).abs() > 1e-4);
        // Round trips.
        for p in [0.0, 1e-9, 0.01, 0.3, 0.99] {
            assert!((probability_from_rate(rate_from_probability(p, 3.0), 3.0) - p).abs() < 1e-14);
        }
        assert_eq!(rate_from_probability(1.0, 1.0), f64::INFINITY);
    }

    #[test]
    fn competing_risks_hand_example() {
        // Rates 0.2 and 0.3 over one year: leave with 1 - exp(-0.5) = 0.3934693402873666,
        // split 40:60.
        let mut out = [0.0; 2];
        competing_risks(&[0.2, 0.3], 1.0, &mut out);
        assert!((out[0] - 0.4 * 0.3934693402873666).abs() < 1e-15);
        assert!((out[1] - 0.6 * 0.3934693402873666).abs() < 1e-15);
        // Subtracting probabilities would give 1 - exp(-0.2) + 1 - exp(-0.3) = 0.4406, too high.
        assert!(out[0] + out[1] < probability_from_rate(0.2, 1.0) + probability_from_rate(0.3, 1.0));
        competing_risks(&[0.0, 0.0], 1.0, &mut out);
        assert_eq!(out, [0.0, 0.0]);
        competing_risks(&[0.1, f64::INFINITY], 1.0, &mut out);
        assert_eq!(out, [0.0, 1.0]);
    }
}
