//! Size limits checked before anything is allocated.
//!
//! A scenario is text, so one typo (`horizon = "1000000000 years"`, `cycle_length = "0.000001
//! days"`, `infusions = 1000000000`) could ask for more memory than any machine has and abort the
//! process with `memory allocation failed`, even in `cirrhosim check`. Validation compares every
//! size a scenario controls with the limits below and reports the key, the value and the limit
//! instead. The limits are far above any published model: a lifetime horizon with daily cycles
//! is about 30,000 cycles.

/// Most cycles a model may have (horizon / cycle length, rounded up).
pub const MAX_CYCLES: usize = 100_000;

/// Most infusions of one strategy's schedule (`infusions` x `courses`).
pub const MAX_INFUSIONS: u64 = 10_000;

/// Most points of the `[psa] wtp_grid` (`(to - from) / step + 1`).
pub const MAX_WTP_GRID_POINTS: usize = 100_001;

/// Most willingness-to-pay values in `economics.wtp`.
pub const MAX_WTP_VALUES: usize = 1_000;

/// Most simulated patients (`settings.patients`).
pub const MAX_PATIENTS: u64 = 1_000_000_000_000;

/// Bytes of one stored exit of the built model (target slot, target state, probability,
/// cumulative probability).
pub const BYTES_PER_EXIT: u64 = 24;

/// Largest model, in bytes, by the bound strategies x sub-cohorts x cycles x slots x states
/// exits of [`BYTES_PER_EXIT`] bytes each (2 GiB).
pub const MAX_MODEL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Most numeric covariates that `[[population.correlations]]` may correlate. Their joint strata
/// shares are bivariate or trivariate normal probabilities of rectangles and boxes, computed by
/// one- and two-dimensional (nested) quadrature (`scenario::copula`); four would need a third
/// level, whose cost (the points of one level to the power of the levels, per box) `check`'s
/// run with twice the strata could not afford.
pub const MAX_CORRELATED_COVARIATES: usize = 3;
