//! Plots as SVG text, drawn with `plotters`: survival curves with their Monte Carlo bands, state
//! occupancy over time, and costs by category. Each function returns a complete `<svg>` element
//! that can be written to a file or inlined in the HTML report.

use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival};
use crate::engine::CohortTrace;
use crate::model::Model;
use plotters::prelude::*;

/// Colours of strategies and states, in order.
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        // Drawing into a string cannot fail for lack of space; a plotting error leaves a partial
        // figure, which is still valid SVG.
        let _ = root.fill(&WHITE);
        let _ = draw(root.clone());
        let _ = root.present();
    }
    svg
}

/// Overall survival per strategy: the exact cohort curve, with the Monte Carlo 95% band.
pub fn survival_svg(model: &Model, results: &[StrategySurvival]) -> String {
    let dt = model.cycle_length_years;
    let horizon = model.n_cycles as f64 * dt;
    render(860, 460, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("Overall survival (line: exact cohort; band: Monte Carlo 95%)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..horizon, 0f64..100f64)?;
        chart.configure_mesh().x_desc("years").y_desc("alive (%)").draw()?;
        for r in results.iter().filter(|r| r.method == Method::MonteCarlo) {
            let os = &r.curves[0];
            let mut band: Vec<(f64, f64)> =
                os.upper.iter().enumerate().map(|(t, v)| (t as f64 * dt, v * 100.0)).collect();
            band.extend(os.lower.iter().enumerate().rev().map(|(t, v)| (t as f64 * dt, v * 100.0)));
            chart.draw_series(std::iter::once(Polygon::new(band, colour(r.strategy).mix(0.25).filled())))?;
        }
        for r in results.iter().filter(|r| r.method == Method::Cohort) {
            let points = r.curves[0].estimate.iter().enumerate().map(|(t, v)| (t as f64 * dt, v * 100.0));
            chart
                .draw_series(LineSeries::new(points, colour(r.strategy).stroke_width(2)))?
                .label(model.strategy_labels[r.strategy].clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour(r.strategy).stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
        Ok(())
    })
}

/// Share of the cohort in each state over time, stacked (exact cohort), for one strategy.
pub fn occupancy_svg(model: &Model, trace: &CohortTrace) -> String {
    let dt = model.cycle_length_years;
    let horizon = model.n_cycles as f64 * dt;
    let title = format!("Where the cohort is: {}", model.strategy_labels[trace.strategy]);
    render(860, 420, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..horizon, 0f64..100f64)?;
        chart.configure_mesh().x_desc("years").y_desc("share of the cohort (%)").draw()?;
        let n = model.n_states();
        // Cumulative shares: state s is drawn from the sum of states before it to the sum including it.
        for s in (0..n).rev() {
            let top: Vec<(f64, f64)> =
                (0..=model.n_cycles).map(|t| (t as f64 * dt, trace.row(t)[..=s].iter().sum::<f64>() * 100.0)).collect();
            chart
                .draw_series(AreaSeries::new(top, 0.0, colour(s).mix(0.85).filled()))?
                .label(model.states[s].label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour(s).filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// Discounted cost by category, one group of bars per strategy.
pub fn costs_svg(model: &Model, evaluation: &Evaluation) -> String {
    let categories = &model.cost_categories;
    let n_strategies = evaluation.totals.len();
    let max =
        evaluation.totals.iter().flat_map(|t| t.cost_by_category.iter().map(|c| c.1)).fold(0.0, f64::max).max(1.0);
    render(860, 380, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("Discounted cost per person by category", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..(categories.len() as f64), 0f64..(max * 1.1))?;
        chart.configure_mesh().disable_x_mesh().x_labels(0).y_desc("cost").draw()?;
        // Category names above each group of bars (plotters' numeric axis labels would not land
        // on the group centres).
        let style = TextStyle::from(("sans-serif", 14).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        chart.draw_series(
            categories
                .iter()
                .enumerate()
                .map(|(k, c)| Text::new(c.clone(), (k as f64 + 0.5, max * 1.05), style.clone())),
        )?;
        let width = 0.8 / n_strategies.max(1) as f64;
        for (s, t) in evaluation.totals.iter().enumerate() {
            chart
                .draw_series(t.cost_by_category.iter().enumerate().map(|(k, (_, v))| {
                    let x0 = k as f64 + 0.1 + s as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.95, *v)], colour(t.strategy).filled())
                }))?
                .label(model.strategy_labels[t.strategy].clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour(s).filled()));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
        Ok(())
    })
}
