//! Treatment effects over time: onset, full-strength duration and waning.
//!
//! An effect multiplies a hazard (or a probability) by m(s) at time s since the first infusion:
//! 1 before the onset, the effect value v for the full-strength duration, then back towards 1:
//! at once (`none`), linearly over a period (`linear`), or with the distance |m - 1| halving
//! every half-life (`exponential`). A cycle [t0, t1) uses the mean of m over the cycle,
//! (1 / (t1 - t0)) * integral of m(s) ds, which is exact for a hazard ratio on a hazard that is
//! constant within the cycle: the cycle's cumulative hazard is h * integral of m. Effects that
//! start or stop inside a cycle are therefore counted for exactly the part of the cycle they cover.

use crate::scenario::Waning as ScenarioWaning;

/// An effect's time course, in years and resolved to numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectCourse {
    /// Multiplier at full strength.
    pub value: f64,
    /// Start, years after the first infusion.
    pub onset_years: f64,
    /// Full-strength duration in years (infinite = to the horizon).
    pub duration_years: f64,
    pub waning: WaningYears,
}

/// Waning resolved to years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WaningYears {
    None,
    Linear { over_years: f64 },
    Exponential { half_life_years: f64 },
}

impl WaningYears {
    /// Resolves a scenario waning with parameter values.
    pub fn from_scenario(w: ScenarioWaning, values: &[f64]) -> WaningYears {
        match w {
            ScenarioWaning::None => WaningYears::None,
            ScenarioWaning::Linear(t) => WaningYears::Linear { over_years: t.years(values) },
            ScenarioWaning::Exponential(t) => WaningYears::Exponential { half_life_years: t.years(values) },
        }
    }
}

impl EffectCourse {
    /// The multiplier at time `s` (years since the first infusion).
    pub fn at(&self, s: f64) -> f64 {
        1.0 + (self.value - 1.0) * self.strength(s)
    }

    /// Share of the full effect at time s: 0 before onset, 1 at full strength, then waning.
    fn strength(&self, s: f64) -> f64 {
        let end = self.onset_years + self.duration_years;
        if s < self.onset_years {
            0.0
        } else if s < end {
            1.0
        } else {
            match self.waning {
                WaningYears::None => 0.0,
                WaningYears::Linear { over_years } => (1.0 - (s - end) / over_years).max(0.0),
                WaningYears::Exponential { half_life_years } => {
                    (-(s - end) * std::f64::consts::LN_2 / half_life_years).exp()
                }
            }
        }
    }

    /// Integral of the strength over [a, b], in closed form for each piece.
    fn strength_integral(&self, a: f64, b: f64) -> f64 {
        let onset = self.onset_years;
        let end = onset + self.duration_years;
        let mut total = overlap(a, b, onset, end);
        if end.is_finite() {
            match self.waning {
                WaningYears::None => {}
                WaningYears::Linear { over_years } => {
                    let (lo, hi) = (a.max(end), b.min(end + over_years));
                    if hi > lo {
                        // integral of 1 - (s - end)/w from lo to hi
                        let f = |s: f64| s - (s - end).powi(2) / (2.0 * over_years);
                        total += f(hi) - f(lo);
                    }
                }
                WaningYears::Exponential { half_life_years } => {
                    let (lo, hi) = (a.max(end), b);
                    if hi > lo {
                        let k = std::f64::consts::LN_2 / half_life_years;
                        total += ((-k * (lo - end)).exp() - (-k * (hi - end)).exp()) / k;
                    }
                }
            }
        }
        total
    }

    /// Mean multiplier over the cycle [t0, t1).
    ///
    /// # Examples
    /// ```
    /// use cirrhosim::model::effect::{EffectCourse, WaningYears};
    /// // HR 0.5 for the first 6 months; an annual cycle gets the mean, 0.75.
    /// let e = EffectCourse { value: 0.5, onset_years: 0.0, duration_years: 0.5, waning: WaningYears::None };
    /// assert_eq!(e.cycle_mean(0.0, 1.0), 0.75);
    /// ```
    pub fn cycle_mean(&self, t0: f64, t1: f64) -> f64 {
        1.0 + (self.value - 1.0) * self.strength_integral(t0, t1) / (t1 - t0)
    }
}

fn overlap(a: f64, b: f64, lo: f64, hi: f64) -> f64 {
    (b.min(hi) - a.max(lo)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(waning: WaningYears) -> EffectCourse {
        EffectCourse { value: 0.6, onset_years: 0.25, duration_years: 0.5, waning }
    }

    /// Midpoint rule with many points: the obviously correct reference.
    fn numeric_mean(e: &EffectCourse, a: f64, b: f64) -> f64 {
        let n = 200_000;
        let h = (b - a) / n as f64;
        (0..n).map(|i| e.at(a + (i as f64 + 0.5) * h)).sum::<f64>() / n as f64
    }

    #[test]
    fn closed_form_matches_numeric_integration() {
        for waning in [
            WaningYears::None,
            WaningYears::Linear { over_years: 0.4 },
            WaningYears::Exponential { half_life_years: 0.3 },
        ] {
            let e = course(waning);
            for (a, b) in [(0.0, 1.0 / 12.0), (0.2, 0.3), (0.5, 1.0), (0.7, 0.9), (0.0, 2.0), (3.0, 4.0)] {
                let exact = e.cycle_mean(a, b);
                let numeric = numeric_mean(&e, a, b);
                assert!((exact - numeric).abs() < 1e-6, "{waning:?} [{a},{b}): {exact} vs {numeric}");
            }
        }
    }

    #[test]
    fn shape_of_the_course() {
        let e = course(WaningYears::Linear { over_years: 0.4 });
        assert_eq!(e.at(0.0), 1.0);
        assert_eq!(e.at(0.3), 0.6);
        assert!((e.at(0.95) - 0.8).abs() < 1e-12); // half way through the waning
        assert_eq!(e.at(2.0), 1.0);
        let x = course(WaningYears::Exponential { half_life_years: 0.3 });
        assert!((x.at(0.75 + 0.3) - 0.8).abs() < 1e-12); // distance from 1 halved
        let none = course(WaningYears::None);
        assert_eq!(none.cycle_mean(1.0, 2.0), 1.0);
        let forever =
            EffectCourse { value: 0.5, onset_years: 0.0, duration_years: f64::INFINITY, waning: WaningYears::None };
        assert_eq!(forever.cycle_mean(10.0, 11.0), 0.5);
    }
}
