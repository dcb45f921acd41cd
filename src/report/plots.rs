//! Plots as SVG text, drawn with `plotters`: survival curves with their Monte Carlo bands and
//! the difference in survival, state occupancy over time, costs and QALYs by category, and the
//! model diagram. Each function returns a complete `<svg>` element that can be written to a file
//! or inlined in the HTML report. The figures of the cost-effectiveness analysis are in
//! [`crate::report::plots_ce`]; both share the palette, the light grid and the tick format here.

use crate::analysis::StateOccupancy;
use crate::analysis::economics::Evaluation;
use crate::analysis::{Method, StrategySurvival};
use crate::model::Model;
use crate::report::format::{self, Money};
use plotters::coord::types::RangedCoordf64;
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

/// The colour of strategy or state `i`.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// What a drawing closure returns.
pub(crate) type Drawn = Result<(), Box<dyn std::error::Error>>;

/// A chart with two numeric axes.
pub(crate) type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The legend every figure uses: white background, light grey border, `size`-point labels, at
/// `position` (plotters' default place when `None`).
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: Option<SeriesLabelPosition>,
    size: u32,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let mut labels = chart.configure_series_labels();
    if let Some(p) = position {
        labels.position(p);
    }
    labels
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", size))
        .draw()?;
    Ok(())
}

/// The axes and grid of every figure: a light grid, muted axes, ticks written by
/// [`format::tick`] (thousands separators, no `.0`), and the axis titles.
pub(crate) fn mesh(chart: &mut Chart<'_, '_>, x_desc: &str, y_desc: &str) -> Drawn {
    let tick = |v: &f64| format::tick(*v);
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .axis_style(RGBColor(120, 120, 120))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    Ok(())
}

/// Draws into an SVG string of `width` x `height` pixels on white.
pub(crate) fn render(
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

/// The years the survival and occupancy figures show: to the first 5-year mark at which fewer
/// than 5% are alive in every strategy by the exact cohort model (all of the horizon when that
/// never happens), so the first years, where the strategies differ, are not squeezed into the
/// left edge of a 40-year axis.
pub fn shown_years(model: &Model, results: &[StrategySurvival]) -> f64 {
    let dt = model.cycle_length_years;
    let horizon = model.n_cycles as f64 * dt;
    let cohort: Vec<&Vec<f64>> =
        results.iter().filter(|r| r.method == Method::Cohort).map(|r| &r.curves[0].estimate).collect();
    let first_below = (0..=model.n_cycles).find(|&t| cohort.iter().all(|c| c.get(t).is_none_or(|v| *v < 0.05)));
    match first_below {
        Some(t) if !cohort.is_empty() => ((t as f64 * dt / 5.0).ceil() * 5.0).clamp(5.0f64.min(horizon), horizon),
        _ => horizon,
    }
}

/// Overall survival per strategy: the exact cohort curve, with the Monte Carlo 95% band.
pub fn survival_svg(model: &Model, results: &[StrategySurvival]) -> String {
    survival_svg_with(model, results, &[], &[])
}

/// As [`survival_svg`], adding per-strategy PSA bands (dashed medians and 95% intervals across
/// draws) and target points with their intervals. Below the curves, a second panel shows the
/// difference in survival of each strategy from the first (percentage points, exact cohort),
/// which is where strategies with near-identical curves can be told apart.
pub fn survival_svg_with(
    model: &Model,
    results: &[StrategySurvival],
    psa: &[(usize, PsaBand)],
    targets: &[TargetPoint],
) -> String {
    let dt = model.cycle_length_years;
    let shown = shown_years(model, results);
    let horizon = model.n_cycles as f64 * dt;
    let last = ((shown / dt).round() as usize).min(model.n_cycles);
    let cohort: Vec<&StrategySurvival> = results.iter().filter(|r| r.method == Method::Cohort).collect();
    let differences = survival_differences(&cohort, last, dt);
    let (mut d0, mut d1) = (0.0f64, 0.0f64);
    for (_, d) in &differences {
        for &(_, v) in d {
            (d0, d1) = (d0.min(v), d1.max(v));
        }
    }
    let pad = ((d1 - d0) * 0.1).max(0.05);
    let scope = if shown < horizon {
        format!("first {} years of the {}-year horizon", format::tick(shown), format::tick(horizon))
    } else {
        format!("{}-year horizon", format::tick(horizon))
    };
    let title = if psa.is_empty() && targets.is_empty() {
        format!("Overall survival, {scope} (lines: exact cohort; bands: Monte Carlo 95%)")
    } else {
        format!("Overall survival, {scope} (lines: cohort; light bands, dashes: PSA 95% and median; dots: targets)")
    };
    let height = if differences.is_empty() { 460 } else { 680 };
    render(880, height, |root| {
        let (top, bottom) = if differences.is_empty() {
            (root.clone(), None)
        } else {
            let (a, b) = root.split_vertically(450);
            (a, Some(b))
        };
        let mut chart = ChartBuilder::on(&top)
            .caption(title, ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..shown, 0f64..100f64)?;
        mesh(&mut chart, "years since start", "alive (%)")?;
        for r in results.iter().filter(|r| r.method == Method::MonteCarlo) {
            let os = &r.curves[0];
            let mut band: Vec<(f64, f64)> =
                os.upper.iter().take(last + 1).enumerate().map(|(t, v)| (t as f64 * dt, v * 100.0)).collect();
            band.extend(os.lower.iter().take(last + 1).enumerate().rev().map(|(t, v)| (t as f64 * dt, v * 100.0)));
            chart.draw_series(std::iter::once(Polygon::new(band, colour(r.strategy).mix(0.25).filled())))?;
        }
        for (strategy, band) in psa {
            let c = colour(*strategy);
            let band: Vec<_> = band.iter().filter(|b| b.0 <= shown + 1e-9).collect();
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
        for &(years, value, interval) in targets.iter().filter(|t| t.0 <= shown) {
            if let Some((lo, hi)) = interval {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(years, lo * 100.0), (years, hi * 100.0)],
                    BLACK.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new((years, value * 100.0), 5, BLACK.filled())))?;
        }
        for r in &cohort {
            let points =
                r.curves[0].estimate.iter().take(last + 1).enumerate().map(|(t, v)| (t as f64 * dt, v * 100.0));
            let c = colour(r.strategy);
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))?
                .label(model.strategy_labels[r.strategy].clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        crate::report::plots::legend(&mut chart, None, 13)?;
        if let (Some(bottom), Some(first)) = (bottom, cohort.first()) {
            let mut diff = ChartBuilder::on(&bottom)
                .caption(
                    format!(
                        "Difference in survival from {} (percentage points)",
                        model.strategy_labels[first.strategy]
                    ),
                    ("sans-serif", 14),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..shown, (d0 - pad)..(d1 + pad))?;
            mesh(&mut diff, "years since start", "difference (points)")?;
            diff.draw_series(LineSeries::new([(0.0, 0.0), (shown, 0.0)], RGBColor(90, 90, 90).stroke_width(1)))?;
            for (strategy, d) in &differences {
                let c = colour(*strategy);
                diff.draw_series(
                    AreaSeries::new(d.iter().copied(), 0.0, c.mix(0.2).filled()).border_style(c.stroke_width(2)),
                )?;
            }
        }
        Ok(())
    })
}

/// Each strategy's cohort survival minus the first strategy's, in percentage points, at cycles
/// 0..=`last` (as (years, points)).
fn survival_differences(cohort: &[&StrategySurvival], last: usize, dt: f64) -> Vec<(usize, Vec<(f64, f64)>)> {
    let Some(reference) = cohort.first().map(|r| &r.curves[0].estimate) else { return Vec::new() };
    cohort
        .iter()
        .skip(1)
        .map(|r| {
            let d = (0..=last).map(|t| (t as f64 * dt, 100.0 * (r.curves[0].estimate[t] - reference[t]))).collect();
            (r.strategy, d)
        })
        .collect()
}

/// Share of the cohort in each state over time, stacked (exact cohort), for one strategy, over
/// the first `shown` years (see [`shown_years`]).
pub fn occupancy_svg(model: &Model, trace: &StateOccupancy, shown: f64) -> String {
    let dt = model.cycle_length_years;
    let last = ((shown / dt).round() as usize).min(model.n_cycles);
    let title = format!("Where the cohort is: {}", model.strategy_labels[trace.strategy]);
    render(880, 420, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..shown, 0f64..100f64)?;
        mesh(&mut chart, "years since start", "share of the cohort (%)")?;
        let n = model.n_states();
        // Cumulative shares: state s is drawn from the sum of states before it to the sum including it.
        for s in (0..n).rev() {
            let top: Vec<(f64, f64)> =
                (0..=last).map(|t| (t as f64 * dt, trace.row(t)[..=s].iter().sum::<f64>() * 100.0)).collect();
            chart
                .draw_series(AreaSeries::new(top, 0.0, colour(s).mix(0.85).filled()))?
                .label(model.states[s].label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour(s).filled()));
        }
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::UpperRight), 13)?;
        Ok(())
    })
}

/// Discounted cost by category, one group of bars per strategy.
pub fn costs_svg(model: &Model, evaluation: &Evaluation, money: &Money) -> String {
    let series: Vec<(usize, Vec<f64>)> =
        evaluation.totals.iter().map(|t| (t.strategy, t.cost_by_category.iter().map(|c| c.1).collect())).collect();
    let y_desc = format!("cost per person ({}, discounted)", money.unit());
    // Category names as words: `msc_infusions` -> `msc infusions`.
    let categories: Vec<String> = model.cost_categories.iter().map(|c| c.replace('_', " ")).collect();
    grouped_bars_svg(model, "Discounted cost per person by category", &y_desc, &categories, &series)
}

/// Discounted QALYs accrued in each state, one group of bars per strategy.
pub fn qalys_svg(model: &Model, evaluation: &Evaluation) -> String {
    let states: Vec<String> = model.states.iter().map(|s| s.label.clone()).collect();
    let series: Vec<(usize, Vec<f64>)> =
        evaluation.totals.iter().map(|t| (t.strategy, t.qaly_by_state.iter().map(|c| c.1).collect())).collect();
    grouped_bars_svg(model, "Discounted QALYs per person by state", "QALYs per person (discounted)", &states, &series)
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
    render(880, 400, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(20)
            .y_label_area_size(86)
            .build_cartesian_2d(0f64..(categories.len() as f64), (min * 1.1)..(max * 1.4))?;
        let tick = |v: &f64| format::tick(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(RGBColor(245, 245, 245))
            .axis_style(RGBColor(120, 120, 120))
            .y_label_formatter(&tick)
            .y_desc(y_desc)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        // Category names above each group of bars (plotters' numeric axis labels would not land
        // on the group centres).
        let style = TextStyle::from(("sans-serif", 13).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        chart.draw_series(
            categories
                .iter()
                .enumerate()
                .map(|(k, c)| Text::new(c.clone(), (k as f64 + 0.5, max * 1.06), style.clone())),
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
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::UpperRight), 13)?;
        Ok(())
    })
}

/// A diagram of the states (boxes, dead states in grey) and the transitions between them
/// (arrows, labelled with how the number is given), laid out left to right in scenario order.
pub fn model_diagram_svg(scenario: &crate::scenario::Scenario) -> String {
    use std::fmt::Write as _;
    let n = scenario.states.len().max(1);
    // Each state's label, wrapped (never cut) to lines that fit the box; all boxes are as tall
    // as the one with the most lines.
    let labels: Vec<Vec<String>> = scenario.states.iter().map(|s| wrap(&s.label, 22)).collect();
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let (box_w, gap) = (160.0, 70.0);
    let box_h = 30.0 + 15.0 * lines as f64;
    let width = 40.0 + n as f64 * box_w + (n as f64 - 1.0) * gap;
    let mut pairs: Vec<(usize, usize)> =
        scenario.transitions.iter().filter(|t| t.from != t.to).map(|t| (t.from, t.to)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let top = 30.0;
    let height = top + box_h + 50.0 + 28.0 * pairs.len() as f64;
    let x = |i: usize| 20.0 + i as f64 * (box_w + gap);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker></defs>"
    );
    for (i, s) in scenario.states.iter().enumerate() {
        let fill = if s.alive { "#e8f1fa" } else { "#ddd" };
        let cx = x(i) + box_w / 2.0;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{box_w}\" height=\"{box_h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#336\"/>",
            x(i)
        );
        for (k, line) in labels[i].iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
                top + 20.0 + 15.0 * k as f64,
                escape(line)
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            top + box_h - 9.0,
            escape(&s.name)
        );
    }
    let mut labels_on_top: Vec<(f64, f64, String)> = Vec::new();
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
            "<path d=\"M{x0:.1},{:.1} L{x0:.1},{y:.1} L{x1:.1},{y:.1} L{x1:.1},{:.1}\" fill=\"none\" stroke=\"#444\" marker-end=\"url(#arrow)\"/>",
            top + box_h,
            top + box_h,
        );
        let text = format!("{} \u{2192} {}: {}", scenario.states[from].name, scenario.states[to].name, how.join(", "));
        labels_on_top.push(((x0 + x1) / 2.0, y - 4.0, text));
    }
    // The labels go over every arrow, each on a white ground (about 5.6 px per character at
    // 10 px), so no line runs through a label.
    for (cx, y, text) in labels_on_top {
        let w = 5.6 * text.chars().count() as f64 + 6.0;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"13\" fill=\"#fff\" fill-opacity=\"0.92\"/>\
             <text x=\"{cx:.1}\" y=\"{y:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            cx - w / 2.0,
            y - 10.0,
            escape(&text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word gets a line
/// of its own, whole).
///
/// # Examples
/// ```
/// use cirrhosim::report::plots::wrap;
/// assert_eq!(wrap("Liver transplant (and after)", 22), vec!["Liver transplant (and", "after)"]);
/// assert_eq!(wrap("Death", 22), vec!["Death"]);
/// ```
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
