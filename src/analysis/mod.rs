//! What the traces mean: survival curves and their summaries, costs, QALYs and life years, and
//! the incremental cost-effectiveness analysis, with uncertainty for Monte Carlo estimates.
//!
//! Receives cohort traces and Monte Carlo results from [`crate::engine`]; hands
//! [`crate::report`] tidy curves, per-strategy totals and the CEA table.

pub mod cea;
pub mod economics;
pub mod evppi;
pub mod psa;
pub mod survival;

pub use cea::{CeaRow, Outcome, Status, cea};
pub use economics::{
    Evaluation, McDifference, McEstimate, StrategyTotals, cohort_totals, evaluate, mc_differences, mc_estimates,
};
pub use survival::{Curve, Method, StrategySurvival, SurvivalSummary, survival_analysis};
