//! Rendering: tidy CSV, JSON, terminal tables, the HTML report and its figures.
//!
//! Receives the analysis results and renders them to bytes or text. It reads no file and writes
//! none: [`crate::io::publish`] writes what it renders.

pub mod cheers;
pub mod csv;
pub mod evidence;
pub mod explain;
pub mod figures;
pub mod format;
pub mod html;
pub mod json;
pub mod plots;
pub mod plots_ce;
pub mod plots_forest;
#[cfg(feature = "png")]
pub mod png;
pub mod psa;
pub mod subgroups;
pub mod tables;
pub mod teaching;
pub mod terminal;
