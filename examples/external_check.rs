//! Draws docs/img/external_check.svg: overall survival over 75 months, standard care vs UC-MSC,
//! in the default (MELD only), optimistic (ACLF HR) and HBV-with-recompensation scenarios, with
//! the window in which the Shi 2021 trial reports an OS difference (months 13-75) shaded.
//!
//! Run: `cargo run --release --example external_check` (from the repository root).

use cirrhosim::engine::sim_cohort;
use cirrhosim::{model::Model, scenario::Scenario};
use plotters::prelude::*;
use std::path::Path;

fn curves(file: &str) -> Vec<Vec<(f64, f64)>> {
    let s = Scenario::load(Path::new(file)).expect("scenario loads");
    let m = Model::from_scenario(&s).expect("model builds");
    let alive: Vec<usize> = (0..m.n_states()).filter(|&i| m.states[i].alive).collect();
    (0..m.n_strategies())
        .map(|st| {
            let t = sim_cohort(&m, st);
            (0..=75.min(m.n_cycles))
                .map(|c| (c as f64, alive.iter().map(|&i| t.at(c, i)).sum::<f64>() * 100.0))
                .collect()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = "docs/img/external_check.svg";
    let root = SVGBackend::new(out, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Overall survival: standard care (dashed) vs UC-MSC (solid)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..75f64, 0f64..100f64)?;
    chart
        .draw_series(std::iter::once(Rectangle::new([(13.0, 0.0), (75.0, 100.0)], RGBColor(235, 235, 235).filled())))?
        .label("Shi 2021: OS higher with MSC, months 13-75")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], RGBColor(235, 235, 235).filled()));
    chart
        .configure_mesh()
        .x_desc("months since the first infusion")
        .y_desc("alive (%)")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (file, name, colour) in [
        ("scenarios/default.toml", "default (MELD only)", BLUE),
        ("scenarios/optimistic.toml", "optimistic (ACLF HR 0.54, 1 year)", RED),
        ("scenarios/hbv_recompensation.toml", "HBV with recompensation (MELD only)", GREEN),
    ] {
        let c = curves(file);
        chart.draw_series(DashedLineSeries::new(c[0].clone(), 6, 4, colour.stroke_width(2)))?;
        chart
            .draw_series(LineSeries::new(c[1].clone(), colour.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    println!("wrote {out}");
    Ok(())
}
