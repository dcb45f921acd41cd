//! Tidy CSV outputs, one observation per row, stable headers (for R, Python and Excel).

use crate::analysis::StrategySurvival;
use crate::model::Model;

/// Header of `survival.csv`.
pub const SURVIVAL_HEADER: [&str; 8] = ["strategy", "method", "curve", "cycle", "years", "estimate", "lower", "upper"];

/// `survival.csv`: every curve of every strategy and method at every cycle boundary.
///
/// Numbers are written in Rust's shortest round-trip form, so reading them back gives the same
/// f64 bits.
pub fn survival_csv(model: &Model, results: &[StrategySurvival]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(SURVIVAL_HEADER).expect("write to memory");
    for r in results {
        let strategy = &model.strategy_names[r.strategy];
        for c in &r.curves {
            for t in 0..c.estimate.len() {
                let years = t as f64 * model.cycle_length_years;
                w.write_record([
                    strategy.as_str(),
                    r.method.as_str(),
                    c.name.as_str(),
                    &t.to_string(),
                    &years.to_string(),
                    &c.estimate[t].to_string(),
                    &c.lower[t].to_string(),
                    &c.upper[t].to_string(),
                ])
                .expect("write to memory");
            }
        }
    }
    w.into_inner().expect("flush to memory")
}
