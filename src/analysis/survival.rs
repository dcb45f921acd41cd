//! Survival curves and their summaries.
//!
//! Curves are read off the state occupancy at cycle boundaries t = 0..T (t * cycle length years):
//! - `overall_survival`: share in alive states;
//! - `transplant_free_survival`: share alive and never transplanted (alive, non-transplant states;
//!   validation ensures transplant states are left only for death);
//! - `occupancy:<state>`: share in each state.
//!
//! Summaries: life years to the horizon and the restricted mean survival time (RMST) are the area
//! under the overall survival curve by the trapezoidal rule (the curve joined linearly between
//! cycle boundaries); the median is where that line crosses 0.5; survival at fixed years is read
//! off the same line.
//!
//! Monte Carlo uncertainty: each cycle's estimate is a binomial proportion of N independent
//! patients, with a Wilson score 95% interval (Wilson 1927; Brown, Cai & DasGupta 2001). The
//! standard error of life years comes from the exact distribution of death times in the sample.
//! The median's interval is where the pointwise band crosses 0.5 (an approximation in the spirit
//! of Brookmeyer & Crowley 1982).

use crate::engine::{CohortTrace, McCounts};
use crate::model::Model;
use statrs::distribution::{ContinuousCDF, Normal};

/// How an estimate was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cohort,
    MonteCarlo,
}

impl Method {
    /// Name used in output files.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cohort => "cohort",
            Method::MonteCarlo => "monte_carlo",
        }
    }
}

/// One curve over cycle boundaries 0..=T.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub name: String,
    pub estimate: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// A value with an optional 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Survival summary of one strategy by one method.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SurvivalSummary {
    /// Undiscounted life years to the horizon (trapezoidal).
    pub life_years: Estimate,
    /// Standard error of the life-years estimate (0 for the exact cohort).
    pub life_years_se: f64,
    /// Median overall survival in years; `None` if survival stays above 0.5 to the horizon.
    pub median_os_years: Option<f64>,
    /// Interval of the median (Monte Carlo); bounds may be unreached (`None`).
    pub median_os_lower: Option<f64>,
    pub median_os_upper: Option<f64>,
    /// Restricted mean survival time at the horizon, years.
    pub rmst_years: f64,
    pub horizon_years: f64,
    /// Overall survival at 1, 2, 5 and 10 years (those within the horizon).
    pub survival_at: Vec<(f64, Estimate)>,
}

/// Curves and summary of one strategy by one method.
#[derive(Debug, Clone)]
pub struct StrategySurvival {
    pub strategy: usize,
    pub method: Method,
    pub curves: Vec<Curve>,
    pub summary: SurvivalSummary,
}

/// Years at which survival is reported.
pub const SURVIVAL_YEARS: [f64; 4] = [1.0, 2.0, 5.0, 10.0];

/// The standard normal quantile for a two-sided 95% interval.
pub fn z95() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// Wilson score interval for a proportion `p` from `n` observations at normal quantile `z`.
///
/// # Examples
/// ```
/// use cirrhosim::analysis::survival::wilson;
/// // 50 of 100: 0.5 (0.4038, 0.5962), as in Brown, Cai & DasGupta (2001).
/// let (lo, hi) = wilson(0.5, 100.0, 1.959963984540054);
/// assert!((lo - 0.4038).abs() < 1e-4 && (hi - 0.5962).abs() < 1e-4);
/// ```
pub fn wilson(p: f64, n: f64, z: f64) -> (f64, f64) {
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Trapezoidal area under a curve sampled every `dt` years.
pub fn trapezoid_area(curve: &[f64], dt: f64) -> f64 {
    curve.windows(2).map(|w| (w[0] + w[1]) / 2.0).sum::<f64>() * dt
}

/// First time the linearly joined curve reaches `level` (it must start above it), or `None`.
pub fn crossing_time(curve: &[f64], dt: f64, level: f64) -> Option<f64> {
    if curve.first().is_none_or(|&s| s <= level) {
        return curve.first().map(|_| 0.0);
    }
    curve.windows(2).enumerate().find(|(_, w)| w[1] <= level).map(|(t, w)| {
        let fraction = (w[0] - level) / (w[0] - w[1]);
        (t as f64 + fraction) * dt
    })
}

/// The linearly joined curve at `years`; `None` beyond the last point.
pub fn value_at(curve: &[f64], dt: f64, years: f64) -> Option<f64> {
    let x = years / dt;
    let i = x.floor() as usize;
    if (x - x.round()).abs() < 1e-9 {
        return curve.get(x.round() as usize).copied();
    }
    let (a, b) = (curve.get(i)?, curve.get(i + 1)?);
    Some(a + (b - a) * (x - i as f64))
}

fn state_curve(model: &Model, occupancy: impl Fn(usize, usize) -> f64, keep: impl Fn(usize) -> bool) -> Vec<f64> {
    let kept: Vec<usize> = (0..model.n_states()).filter(|&s| keep(s)).collect();
    // The kept states' occupancy summed in state order (a PSA draw makes a curve per strategy).
    (0..=model.n_cycles).map(|t| kept.iter().map(|&s| occupancy(t, s)).sum()).collect()
}

/// Overall survival at every cycle boundary: the sum of `occupancy(t, state)` over alive states.
pub fn overall_survival(model: &Model, occupancy: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    state_curve(model, occupancy, |s| model.states[s].alive)
}

/// Appends [`overall_survival`] of a cohort trace to `curve`, number for number, read straight off
/// its rows (a PSA draw puts one per strategy in one list).
pub fn trace_survival_into(model: &Model, trace: &CohortTrace, curve: &mut Vec<f64>) {
    let n = trace.n_states;
    // As `Iterator::sum`: each boundary's sum starts from minus zero and adds the alive states
    // in state order; taken state by state over all boundaries, which the processor runs side
    // by side rather than one boundary's chain of additions after another's.
    let start = curve.len();
    curve.resize(start + trace.n_cycles + 1, -0.0);
    for s in (0..model.n_states()).filter(|&s| model.states[s].alive) {
        for (total, row) in curve[start..].iter_mut().zip(trace.occupancy.chunks_exact(n)) {
            *total += row[s];
        }
    }
}

fn curves(model: &Model, occupancy: impl Fn(usize, usize) -> f64) -> Vec<(String, Vec<f64>)> {
    let states = &model.states;
    let mut out = vec![
        ("overall_survival".to_string(), overall_survival(model, &occupancy)),
        (
            "transplant_free_survival".to_string(),
            state_curve(model, &occupancy, |s| states[s].alive && !states[s].transplant),
        ),
    ];
    for (s, state) in states.iter().enumerate() {
        out.push((format!("occupancy:{}", state.name), state_curve(model, &occupancy, |x| x == s)));
    }
    out
}

/// Survival curves and summaries of every strategy, by the cohort and (when given) Monte Carlo.
pub fn survival_analysis(model: &Model, traces: &[CohortTrace], counts: Option<&[McCounts]>) -> Vec<StrategySurvival> {
    let mut out = Vec::new();
    for trace in traces {
        out.push(from_cohort(model, trace));
        if let Some(c) = counts.and_then(|c| c.iter().find(|c| c.strategy == trace.strategy)) {
            out.push(from_monte_carlo(model, c));
        }
    }
    out
}

fn horizon(model: &Model) -> f64 {
    model.n_cycles as f64 * model.cycle_length_years
}

/// Curves and summary from the exact cohort trace.
pub fn from_cohort(model: &Model, trace: &CohortTrace) -> StrategySurvival {
    let dt = model.cycle_length_years;
    let curves: Vec<Curve> = curves(model, |t, s| trace.at(t, s))
        .into_iter()
        .map(|(name, estimate)| Curve { name, lower: estimate.clone(), upper: estimate.clone(), estimate })
        .collect();
    let os = &curves[0].estimate;
    let area = trapezoid_area(os, dt);
    let median = crossing_time(os, dt, 0.5);
    let summary = SurvivalSummary {
        life_years: Estimate { estimate: area, lower: area, upper: area },
        life_years_se: 0.0,
        median_os_years: median,
        median_os_lower: median,
        median_os_upper: median,
        rmst_years: area,
        horizon_years: horizon(model),
        survival_at: survival_at(&curves[0], dt, horizon(model)),
    };
    StrategySurvival { strategy: trace.strategy, method: Method::Cohort, curves, summary }
}

fn survival_at(os: &Curve, dt: f64, horizon: f64) -> Vec<(f64, Estimate)> {
    SURVIVAL_YEARS
        .iter()
        .filter(|&&y| y <= horizon + 1e-9)
        .filter_map(|&y| {
            Some((
                y,
                Estimate {
                    estimate: value_at(&os.estimate, dt, y)?,
                    lower: value_at(&os.lower, dt, y)?,
                    upper: value_at(&os.upper, dt, y)?,
                },
            ))
        })
        .collect()
}

/// Curves with Wilson 95% bands and summary from Monte Carlo counts.
pub fn from_monte_carlo(model: &Model, counts: &McCounts) -> StrategySurvival {
    let dt = model.cycle_length_years;
    let n = counts.patients as f64;
    let z = z95();
    let curves: Vec<Curve> = curves(model, |t, s| counts.at(t, s) as f64)
        .into_iter()
        .map(|(name, count)| {
            let estimate: Vec<f64> = count.iter().map(|c| c / n).collect();
            let (lower, upper) = estimate.iter().map(|&p| wilson(p, n, z)).unzip();
            Curve { name, estimate, lower, upper }
        })
        .collect();
    let os = &curves[0];
    // Each patient's life years depend only on the cycle boundary d at which they are first seen
    // dead: the trapezoid gives dt * (d - 1/2) for 1 <= d <= T, and dt * T if alive at T.
    let alive: Vec<u64> = (0..=model.n_cycles)
        .map(|t| (0..model.n_states()).filter(|&s| model.states[s].alive).map(|s| counts.at(t, s)).sum())
        .collect();
    let t_max = model.n_cycles;
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    let mut value_by_death = |patients: u64, ly: f64| {
        sum += patients as f64 * ly;
        sum_sq += patients as f64 * ly * ly;
    };
    value_by_death(counts.patients - alive[0], 0.0);
    for d in 1..=t_max {
        value_by_death(alive[d - 1] - alive[d], dt * (d as f64 - 0.5));
    }
    value_by_death(alive[t_max], dt * t_max as f64);
    let mean = sum / n;
    let variance = if n > 1.0 { ((sum_sq - n * mean * mean) / (n - 1.0)).max(0.0) } else { 0.0 };
    let se = (variance / n).sqrt();
    let summary = SurvivalSummary {
        life_years: Estimate { estimate: mean, lower: mean - z * se, upper: mean + z * se },
        life_years_se: se,
        median_os_years: crossing_time(&os.estimate, dt, 0.5),
        median_os_lower: crossing_time(&os.lower, dt, 0.5),
        median_os_upper: crossing_time(&os.upper, dt, 0.5),
        rmst_years: trapezoid_area(&os.estimate, dt),
        horizon_years: horizon(model),
        survival_at: survival_at(os, dt, horizon(model)),
    };
    StrategySurvival { strategy: counts.strategy, method: Method::MonteCarlo, curves, summary }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PSA's reading of a trace's survival is `overall_survival`'s, bit for bit.
    #[test]
    fn trace_survival_is_overall_survival() {
        for name in ["four_state", "sick_sicker", "default", "thr_briggs"] {
            let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let scenario = crate::scenario::Scenario::load(std::path::Path::new(&path)).unwrap();
            let model = Model::from_scenario(&scenario).unwrap();
            for si in 0..model.n_strategies() {
                let trace = crate::engine::sim_cohort(&model, si);
                let want: Vec<u64> =
                    overall_survival(&model, |t, s| trace.at(t, s)).iter().map(|x| x.to_bits()).collect();
                let mut got = vec![0.5];
                trace_survival_into(&model, &trace, &mut got);
                assert_eq!(got[0], 0.5, "{name}: appended, not overwritten");
                let got: Vec<u64> = got[1..].iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "{name}, strategy {si}");
            }
        }
    }

    #[test]
    fn trapezoid_and_crossing_hand_values() {
        let s = [1.0, 0.8, 0.4, 0.2];
        assert!((trapezoid_area(&s, 0.5) - 0.5 * (0.9 + 0.6 + 0.3)).abs() < 1e-15);
        // 0.8 -> 0.4 crosses 0.5 three quarters of the way through cycle 1.
        assert!((crossing_time(&s, 0.5, 0.5).unwrap() - 0.875).abs() < 1e-15);
        assert_eq!(crossing_time(&[1.0, 0.9], 1.0, 0.5), None);
        assert_eq!(value_at(&s, 0.5, 0.75), Some(0.6000000000000001));
        assert_eq!(value_at(&s, 0.5, 1.0), Some(0.4));
        assert_eq!(value_at(&s, 0.5, 2.0), None);
    }

    #[test]
    fn wilson_interval_properties() {
        let z = z95();
        assert!((z - 1.959963984540054).abs() < 1e-9);
        let (lo, hi) = wilson(0.0, 50.0, z);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.1);
        let (lo, hi) = wilson(0.3, 1e6, z);
        let se = (0.3f64 * 0.7 / 1e6).sqrt();
        assert!((hi - lo - 2.0 * z * se).abs() < 1e-6);
    }
}
