//! What the traces mean: survival curves, medians, restricted means, life years, with uncertainty
//! for the Monte Carlo estimates.
//!
//! Receives cohort traces and Monte Carlo counts from [`crate::engine`]; hands [`crate::report`]
//! tidy curves and per-strategy summaries.

pub mod survival;

pub use survival::{Curve, Method, StrategySurvival, SurvivalSummary, survival_analysis};
