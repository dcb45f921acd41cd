//! Plots as SVG text, drawn with `plotters`: survival curves with their Monte Carlo bands, state
//! occupancy over time, and costs by category. Each function returns a complete `<svg>` element
//! that can be written to a file or inlined in the HTML report.

use crate::analysis::StateOccupancy;
use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival};
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

/// A PSA survival band of one strategy: (years, median, lower, upper) per cycle.
pub type PsaBand = Vec<(f64, f64, f64, f64)>;

/// A survival target or trial point: (years, value, optional 95% interval).
pub type TargetPoint = (f64, f64, Option<(f64, f64)>);

/// Overall survival per strategy: the exact cohort curve, with the Monte Carlo 95% band.
pub fn survival_svg(model: &Model, results: &[StrategySurvival]) -> String {
    survival_svg_with(model, results, &[], &[])
}

/// As [`survival_svg`], adding per-strategy PSA bands (dashed medians and 95% intervals across
/// draws) and target points with their intervals.
pub fn survival_svg_with(
    model: &Model,
    results: &[StrategySurvival],
    psa: &[(usize, PsaBand)],
    targets: &[TargetPoint],
) -> String {
    let dt = model.cycle_length_years;
    let horizon = model.n_cycles as f64 * dt;
    render(860, 460, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(
                if psa.is_empty() && targets.is_empty() {
                    "Overall survival (line: exact cohort; band: Monte Carlo 95%)"
                } else {
                    "Overall survival (lines: cohort; light bands, dashes: PSA 95% and median; dots: targets)"
                },
                ("sans-serif", 17),
            )
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
        for (strategy, band) in psa {
            let c = colour(*strategy);
            let mut area: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.3 * 100.0)).collect();
            area.extend(band.iter().rev().map(|b| (b.0, b.2 * 100.0)));
            chart.draw_series(std::iter::once(Polygon::new(area, c.mix(0.12).filled())))?;
            chart.draw_series(DashedLineSeries::new(
                band.iter().map(|b| (b.0, b.1 * 100.0)),
                5,
                4,
                c.stroke_width(1),
            ))?;
        }
        for &(years, value, interval) in targets {
            if let Some((lo, hi)) = interval {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(years, lo * 100.0), (years, hi * 100.0)],
                    BLACK.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new((years, value * 100.0), 5, BLACK.filled())))?;
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
pub fn occupancy_svg(model: &Model, trace: &StateOccupancy) -> String {
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
    let series: Vec<(usize, Vec<f64>)> =
        evaluation.totals.iter().map(|t| (t.strategy, t.cost_by_category.iter().map(|c| c.1).collect())).collect();
    grouped_bars_svg(model, "Discounted cost per person by category", "cost", &model.cost_categories, &series)
}

/// Discounted QALYs accrued in each state, one group of bars per strategy.
pub fn qalys_svg(model: &Model, evaluation: &Evaluation) -> String {
    let states: Vec<String> = model.states.iter().map(|s| s.name.clone()).collect();
    let series: Vec<(usize, Vec<f64>)> =
        evaluation.totals.iter().map(|t| (t.strategy, t.qaly_by_state.iter().map(|c| c.1).collect())).collect();
    grouped_bars_svg(model, "Discounted QALYs per person by state", "QALYs", &states, &series)
}

/// Grouped bars: one group per category, one bar per strategy.
fn grouped_bars_svg(
    model: &Model,
    title: &str,
    y_desc: &str,
    categories: &[String],
    series: &[(usize, Vec<f64>)],
) -> String {
    let n_strategies = series.len();
    let max = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0, f64::max).max(1e-9);
    let min = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0, f64::min);
    render(860, 380, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..(categories.len() as f64), (min * 1.1)..(max * 1.15))?;
        chart.configure_mesh().disable_x_mesh().x_labels(0).y_desc(y_desc).draw()?;
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
                .map(|(k, c)| Text::new(c.clone(), (k as f64 + 0.5, max * 1.08), style.clone())),
        )?;
        let width = 0.8 / n_strategies.max(1) as f64;
        for (s, (strategy, values)) in series.iter().enumerate() {
            let strategy = *strategy;
            chart
                .draw_series(values.iter().enumerate().map(|(k, v)| {
                    let x0 = k as f64 + 0.1 + s as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.95, *v)], colour(strategy).filled())
                }))?
                .label(model.strategy_labels[strategy].clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour(strategy).filled()));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
        Ok(())
    })
}

/// Rows of a PSA's `ceac.csv`, read by [`crate::io::tables::read_ceac`].
pub use crate::io::tables::CeacRow;

/// Cost-effectiveness acceptability curves; the frontier strategy's segments drawn thicker.
pub fn ceac_svg(strategies: &[String], rows: &[CeacRow]) -> String {
    let max_wtp = rows.iter().map(|r| r.wtp).fold(1.0, f64::max);
    render(860, 400, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("Cost-effectiveness acceptability curves (thick: acceptability frontier)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..max_wtp, 0f64..1f64)?;
        chart.configure_mesh().x_desc("willingness to pay per QALY").y_desc("probability cost-effective").draw()?;
        for (i, name) in strategies.iter().enumerate() {
            let mine: Vec<&CeacRow> = rows.iter().filter(|r| &r.strategy == name).collect();
            chart
                .draw_series(LineSeries::new(
                    mine.iter().map(|r| (r.wtp, r.probability_cost_effective)),
                    colour(i).stroke_width(2),
                ))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour(i).stroke_width(2)));
            for w in mine.windows(2).filter(|w| w[0].on_frontier && w[1].on_frontier) {
                chart.draw_series(LineSeries::new(
                    [(w[0].wtp, w[0].probability_cost_effective), (w[1].wtp, w[1].probability_cost_effective)],
                    colour(i).stroke_width(6),
                ))?;
            }
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
        Ok(())
    })
}

/// The cost-effectiveness plane: incremental QALYs and costs of `strategy` vs `comparator` per
/// PSA draw, with lines of slope `wtp` through the origin.
pub fn ce_plane_svg(title: &str, points: &[(f64, f64)], wtp: &[f64]) -> String {
    let (mut x0, mut x1, mut y0, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(q, c) in points {
        x0 = x0.min(q);
        x1 = x1.max(q);
        y0 = y0.min(c);
        y1 = y1.max(c);
    }
    let pad = |a: f64, b: f64| ((b - a) * 0.05).max(1e-9);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    render(860, 460, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))?;
        chart.configure_mesh().x_desc("incremental QALYs").y_desc("incremental cost").draw()?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, colour(0).mix(0.4).filled())))?;
        for (k, &w) in wtp.iter().enumerate() {
            let (a, b) = (x0 - px, x1 + px);
            chart
                .draw_series(LineSeries::new([(a, w * a), (b, w * b)], colour(k + 1).stroke_width(1)))?
                .label(format!("WTP {w}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour(k + 1)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).draw()?;
        Ok(())
    })
}

/// A tornado of incremental NMB: bars from the base case to each parameter's low and high result.
pub fn tornado_svg(rows: &[(String, f64, f64)], base: f64) -> String {
    let n = rows.len().max(1);
    let (mut lo, mut hi) = (base, base);
    for (_, a, b) in rows {
        lo = lo.min(a.min(*b));
        hi = hi.max(a.max(*b));
    }
    let pad = ((hi - lo) * 0.05).max(1.0);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    render(860, 60 + 26 * n as u32, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("One-way sensitivity of incremental NMB (blue: low value, red: high value)", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(230)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..(n as f64))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let k = (n as f64 - y - 0.5).round();
                if (y - (n as f64 - k - 0.5)).abs() < 0.05 && k >= 0.0 {
                    names.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("incremental net monetary benefit")
            .draw()?;
        for (k, (_, low, high)) in rows.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.85;
            for (v, c) in [(*low, colour(0)), (*high, colour(1))] {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(base.min(v), y), (base.max(v), y + 0.7)],
                    c.mix(0.8).filled(),
                )))?;
            }
        }
        chart.draw_series(LineSeries::new([(base, 0.0), (base, n as f64)], BLACK.stroke_width(1)))?;
        Ok(())
    })
}

/// A diagram of the states (boxes, dead states in grey) and the transitions between them
/// (arrows, labelled with how the number is given), laid out left to right in scenario order.
pub fn model_diagram_svg(scenario: &crate::scenario::Scenario) -> String {
    use std::fmt::Write as _;
    let n = scenario.states.len().max(1);
    let (box_w, box_h, gap) = (150.0, 56.0, 70.0);
    let width = 40.0 + n as f64 * box_w + (n as f64 - 1.0) * gap;
    let mut pairs: Vec<(usize, usize)> =
        scenario.transitions.iter().filter(|t| t.from != t.to).map(|t| (t.from, t.to)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let height = 140.0 + 28.0 * pairs.len() as f64;
    let x = |i: usize| 20.0 + i as f64 * (box_w + gap);
    let top = 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker></defs>"
    );
    for (i, s) in scenario.states.iter().enumerate() {
        let fill = if s.alive { "#e8f1fa" } else { "#ddd" };
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{box_w}\" height=\"{box_h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#336\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x(i),
            x(i) + box_w / 2.0,
            top + 24.0,
            escape(&s.name),
            x(i) + box_w / 2.0,
            top + 42.0,
            escape(&s.label.chars().take(26).collect::<String>())
        );
    }
    // Each transition: an elbow arrow below the boxes, from the source's bottom to the target's.
    for (k, &(from, to)) in pairs.iter().enumerate() {
        let y = top + box_h + 20.0 + 28.0 * k as f64;
        let (x0, x1) =
            (x(from) + box_w / 2.0 - 20.0 + (k % 3) as f64 * 12.0, x(to) + box_w / 2.0 + 20.0 - (k % 3) as f64 * 12.0);
        let how: Vec<String> = scenario
            .transitions
            .iter()
            .filter(|t| t.from == from && t.to == to)
            .map(|t| match t.spec {
                crate::scenario::ExitSpec::Rate(_) => "rate",
                crate::scenario::ExitSpec::AnnualProbability(_) => "annual probability",
                crate::scenario::ExitSpec::ProbabilityOver { .. } => "probability over a period",
                crate::scenario::ExitSpec::CycleProbability(_) => "probability per cycle",
                crate::scenario::ExitSpec::Complement => "complement",
            })
            .map(String::from)
            .collect::<Vec<_>>();
        let mut how = how;
        how.dedup();
        let _ = write!(
            svg,
            "<path d=\"M{x0:.1},{:.1} L{x0:.1},{y:.1} L{x1:.1},{y:.1} L{x1:.1},{:.1}\" fill=\"none\" stroke=\"#444\" marker-end=\"url(#arrow)\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">{} \u{2192} {}: {}</text>",
            top + box_h,
            top + box_h,
            (x0 + x1) / 2.0,
            y - 4.0,
            escape(&scenario.states[from].name),
            escape(&scenario.states[to].name),
            escape(&how.join(", "))
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
