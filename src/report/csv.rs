//! Tidy CSV outputs, one observation per row, stable headers (for R, Python and Excel).

use crate::analysis::cea::nmb;
use crate::analysis::economics::Evaluation;
use crate::analysis::{StrategySurvival, SubgroupResult};
use crate::model::Model;

/// Header of `survival.csv`.
pub const SURVIVAL_HEADER: [&str; 8] = ["strategy", "method", "curve", "cycle", "years", "estimate", "lower", "upper"];

/// The name of the whole population in the `subgroup` column.
pub const ALL: &str = "all";

/// A header, with `subgroup` first when `by` is set.
fn header(w: &mut ::csv::Writer<Vec<u8>>, by: bool, names: &[&str]) {
    let first = by.then_some("subgroup");
    w.write_record(first.iter().copied().chain(names.iter().copied())).expect("write to memory");
}

/// One row, with the subgroup's name first when there is one.
fn record(w: &mut ::csv::Writer<Vec<u8>>, subgroup: Option<&str>, cells: &[&str]) {
    w.write_record(subgroup.iter().copied().chain(cells.iter().copied())).expect("write to memory");
}

/// `survival.csv`: every curve of every strategy and method at every cycle boundary.
///
/// Numbers are written in Rust's shortest round-trip form, so reading them back gives the same
/// f64 bits.
pub fn survival_csv(model: &Model, results: &[StrategySurvival]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, false, &SURVIVAL_HEADER);
    let mut bytes = w.into_inner().expect("flush to memory");
    bytes.extend(survival_rows(model, results, None));
    bytes
}

/// `survival.csv` of a run `--by` subgroups: a first column `subgroup`, the whole population's
/// rows (`all`, the numbers of [`survival_csv`]) and then each subgroup's, in order.
pub fn survival_csv_by(model: &Model, results: &[StrategySurvival], subgroups: &[SubgroupResult]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, true, &SURVIVAL_HEADER);
    let mut bytes = w.into_inner().expect("flush to memory");
    bytes.extend(survival_rows(model, results, Some(ALL)));
    for g in subgroups {
        bytes.extend(survival_rows(model, &g.survival, Some(&g.name)));
    }
    bytes
}

fn survival_rows(model: &Model, results: &[StrategySurvival], subgroup: Option<&str>) -> Vec<u8> {
    use rayon::prelude::*;
    // Formatting the numbers is most of the work: each curve is rendered on its own thread and
    // the pieces are joined in order, so the bytes are those of a serial writer.
    let curves: Vec<(&StrategySurvival, &crate::analysis::Curve)> =
        results.iter().flat_map(|r| r.curves.iter().map(move |c| (r, c))).collect();
    let pieces: Vec<Vec<u8>> = curves
        .par_iter()
        .map(|(r, c)| {
            let strategy = &model.strategy_names[r.strategy];
            let mut w = ::csv::Writer::from_writer(Vec::new());
            for t in 0..c.estimate.len() {
                let years = t as f64 * model.cycle_length_years;
                record(
                    &mut w,
                    subgroup,
                    &[
                        strategy.as_str(),
                        r.method.as_str(),
                        c.name.as_str(),
                        &t.to_string(),
                        &years.to_string(),
                        &c.estimate[t].to_string(),
                        &c.lower[t].to_string(),
                        &c.upper[t].to_string(),
                    ],
                );
            }
            w.into_inner().expect("flush to memory")
        })
        .collect();
    pieces.concat()
}

/// Header of `cea.csv`.
pub const CEA_HEADER: [&str; 8] = ["strategy", "cost", "qaly", "life_years", "inc_cost", "inc_qaly", "icer", "status"];

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// `cea.csv`: the incremental analysis (exact cohort values), one row per strategy, by cost.
/// Costs and QALYs are discounted; life years are undiscounted. Empty cells mean "not
/// applicable" (no comparator, or dominated).
pub fn cea_csv(model: &Model, evaluation: &Evaluation) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, false, &CEA_HEADER);
    cea_rows(&mut w, model, evaluation, None);
    w.into_inner().expect("flush to memory")
}

/// `cea.csv` of a run `--by` subgroups: a first column `subgroup`, the whole population's rows
/// (`all`) and then each subgroup's own incremental analysis.
pub fn cea_csv_by(model: &Model, evaluation: &Evaluation, subgroups: &[SubgroupResult]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, true, &CEA_HEADER);
    cea_rows(&mut w, model, evaluation, Some(ALL));
    for g in subgroups {
        if let Some(ev) = &g.evaluation {
            cea_rows(&mut w, model, ev, Some(&g.name));
        }
    }
    w.into_inner().expect("flush to memory")
}

fn cea_rows(w: &mut ::csv::Writer<Vec<u8>>, model: &Model, evaluation: &Evaluation, subgroup: Option<&str>) {
    for r in &evaluation.cea {
        record(
            w,
            subgroup,
            &[
                &model.strategy_names[r.strategy],
                &r.cost.to_string(),
                &r.qaly.to_string(),
                &r.life_years.to_string(),
                &opt(r.inc_cost),
                &opt(r.inc_qaly),
                &opt(r.icer),
                r.status.as_str(),
            ],
        );
    }
}

/// `nmb.csv`: net monetary benefit of every strategy at every willingness to pay.
pub fn nmb_csv(model: &Model, evaluation: &Evaluation, wtp: &[f64]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, false, &NMB_HEADER);
    nmb_rows(&mut w, model, evaluation, wtp, None);
    w.into_inner().expect("flush to memory")
}

/// Header of `nmb.csv`.
pub const NMB_HEADER: [&str; 3] = ["strategy", "wtp", "nmb"];

/// `nmb.csv` of a run `--by` subgroups: a first column `subgroup`, the whole population's rows
/// (`all`) and then each subgroup's.
pub fn nmb_csv_by(model: &Model, evaluation: &Evaluation, wtp: &[f64], subgroups: &[SubgroupResult]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    header(&mut w, true, &NMB_HEADER);
    nmb_rows(&mut w, model, evaluation, wtp, Some(ALL));
    for g in subgroups {
        if let Some(ev) = &g.evaluation {
            nmb_rows(&mut w, model, ev, wtp, Some(&g.name));
        }
    }
    w.into_inner().expect("flush to memory")
}

fn nmb_rows(
    w: &mut ::csv::Writer<Vec<u8>>,
    model: &Model,
    evaluation: &Evaluation,
    wtp: &[f64],
    subgroup: Option<&str>,
) {
    for t in &evaluation.totals {
        for &lambda in wtp {
            let cells = [lambda.to_string(), nmb(t.cost, t.qaly, lambda).to_string()];
            record(w, subgroup, &[&model.strategy_names[t.strategy], &cells[0], &cells[1]]);
        }
    }
}

fn finite(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { String::new() }
}

/// `dsa.csv`: `parameter,low_value,high_value,outcome,low_result,high_result,base`, the
/// incremental NMB rows first, then the ICER rows, each in tornado order (largest INB swing first).
/// An ICER that is undefined (no QALY difference) is left empty.
pub fn dsa_csv(t: &crate::analysis::dsa::Tornado) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["parameter", "low_value", "high_value", "outcome", "low_result", "high_result", "base"])
        .expect("write to memory");
    for (outcome, pick) in [
        ("inc_nmb", (|c: &crate::analysis::dsa::Comparison| c.inc_nmb) as fn(&crate::analysis::dsa::Comparison) -> f64),
        ("icer", |c| c.icer),
    ] {
        for r in &t.rows {
            w.write_record([
                r.parameter.clone(),
                r.low_value.to_string(),
                r.high_value.to_string(),
                outcome.to_string(),
                finite(pick(&r.low)),
                finite(pick(&r.high)),
                finite(pick(&t.base)),
            ])
            .expect("write to memory");
        }
    }
    w.into_inner().expect("flush to memory")
}

/// `dsa_two_way.csv`: `x_parameter,x_value,y_parameter,y_value,inc_cost,inc_qaly,icer,inc_nmb`.
pub fn two_way_csv(names: [&str; 2], points: &[crate::analysis::dsa::TwoWayPoint]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["x_parameter", "x_value", "y_parameter", "y_value", "inc_cost", "inc_qaly", "icer", "inc_nmb"])
        .expect("write to memory");
    for p in points {
        w.write_record([
            names[0].to_string(),
            p.x.to_string(),
            names[1].to_string(),
            p.y.to_string(),
            p.result.inc_cost.to_string(),
            p.result.inc_qaly.to_string(),
            finite(p.result.icer),
            p.result.inc_nmb.to_string(),
        ])
        .expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// `threshold.csv`: `parameter,wtp,threshold,cost_effective,base_value,search_from,search_to`;
/// `cost_effective` says on which side of the threshold the strategy is cost-effective (`below`,
/// `above`), or `always`/`never` over the search range (then `threshold` is empty).
pub fn threshold_csv(rows: &[crate::analysis::threshold::Threshold]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["parameter", "wtp", "threshold", "cost_effective", "base_value", "search_from", "search_to"])
        .expect("write to memory");
    for r in rows {
        w.write_record([
            r.parameter.clone(),
            r.wtp.to_string(),
            r.threshold.map_or(String::new(), |t| t.to_string()),
            r.cost_effective.to_string(),
            r.base_value.to_string(),
            r.search_from.to_string(),
            r.search_to.to_string(),
        ])
        .expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

/// `calibration.csv`: the fitted parameters (`kind = parameter`: start and fitted value) and each
/// target with its start state, interval, the model's value before and after and whether the
/// value after lies within the interval (`kind = target`).
pub fn calibration_csv(
    targets: &[crate::scenario::targets::Target],
    c: &crate::analysis::calibrate::Calibration,
) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "kind", "name", "start", "years", "target", "lower", "upper", "before", "after", "inside", "source",
    ])
    .expect("write to memory");
    for (name, before, after) in &c.parameters {
        w.write_record(["parameter", name, "", "", "", "", "", &before.to_string(), &after.to_string(), "", ""])
            .expect("write to memory");
    }
    for ((t, b), a) in targets.iter().zip(&c.before).zip(&c.after) {
        let name = if t.strategy.is_empty() { t.curve.clone() } else { format!("{}:{}", t.strategy, t.curve) };
        let bound = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
        let inside = t.lower.zip(t.upper).map_or("", |(lo, hi)| if (lo..=hi).contains(a) { "true" } else { "false" });
        w.write_record([
            "target",
            &name,
            &t.start,
            &t.years.to_string(),
            &t.value.to_string(),
            &bound(t.lower),
            &bound(t.upper),
            &b.to_string(),
            &a.to_string(),
            inside,
            &t.source,
        ])
        .expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}
