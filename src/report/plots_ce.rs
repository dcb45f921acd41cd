//! The figures of a cost-effectiveness analysis, drawn with `plotters` as SVG text: the
//! cost-effectiveness plane, the cost-effectiveness frontier, acceptability curves with the
//! acceptability frontier, the EVPI curve, the tornado and the two-way heat map.
//!
//! Receives plain series (labels, colours, points) that [`crate::report::html`] builds from the
//! analysis results; every money axis is titled with its currency and price year
//! ([`Money::unit`]) and every tick is written by [`format::tick`] (thousands separators, no
//! `.0`). Each function returns a complete `<svg>` element.

use crate::analysis::cea::Status;
use crate::report::format::{self, Money};
use crate::report::plots::{Drawn, colour, mesh, render};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A text style anchored at `h`, `v`.
fn text(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(h, v))
}

/// `lo..hi` widened by `share` of its width on each side, never empty.
fn padded(lo: f64, hi: f64, share: f64) -> std::ops::Range<f64> {
    let pad = ((hi - lo) * share).max(hi.abs().max(lo.abs()) * 1e-3).max(1e-9);
    (lo - pad)..(hi + pad)
}

/// One strategy's cloud on the cost-effectiveness plane: its increments against the comparator
/// per draw, and their mean.
pub struct PlaneSeries {
    pub label: String,
    pub colour: usize,
    /// (incremental QALYs, incremental cost) per draw.
    pub points: Vec<(f64, f64)>,
    pub mean: (f64, f64),
}

/// The cost-effectiveness plane: one point per draw, the mean of each cloud (a large ringed
/// point), and a labelled line through the origin for each willingness to pay.
pub fn ce_plane_svg(title: &str, comparator: &str, series: &[PlaneSeries], wtp: &[f64], money: &Money) -> String {
    let (mut x0, mut x1, mut y0, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for s in series {
        for &(q, c) in s.points.iter().chain(std::iter::once(&s.mean)) {
            (x0, x1, y0, y1) = (x0.min(q), x1.max(q), y0.min(c), y1.max(c));
        }
    }
    let (xr, yr) = (padded(x0, x1, 0.06), padded(y0, y1, 0.06));
    let x_desc = format!("incremental QALYs vs {comparator}");
    let y_desc = format!("incremental cost ({})", money.unit());
    render(880, 520, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(86)
            .build_cartesian_2d(xr.clone(), yr.clone())?;
        mesh(&mut chart, &x_desc, &y_desc)?;
        let axis = RGBColor(90, 90, 90);
        chart.draw_series(LineSeries::new([(xr.start, 0.0), (xr.end, 0.0)], axis.stroke_width(1)))?;
        chart.draw_series(LineSeries::new([(0.0, yr.start), (0.0, yr.end)], axis.stroke_width(1)))?;
        for (k, &w) in wtp.iter().enumerate() {
            // The part of the line y = w x inside the plot, and its label where it leaves it.
            let (mut a, mut b) = (xr.start, xr.end);
            if w > 0.0 {
                a = a.max(yr.start / w);
                b = b.min(yr.end / w);
            }
            if a >= b {
                continue;
            }
            let c = RGBColor(60, 60, 60);
            let style = if k % 2 == 0 { c.stroke_width(1) } else { c.mix(0.6).stroke_width(1) };
            chart.draw_series(DashedLineSeries::new([(a, w * a), (b, w * b)], 6, 4, style))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{}/QALY", money.amount(w)),
                (b, w * b),
                text(12, HPos::Right, VPos::Bottom),
            )))?;
        }
        for s in series {
            let c = colour(s.colour);
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 2, c.mix(0.35).filled())))?;
            chart
                .draw_series([Circle::new(s.mean, 7, c.filled()), Circle::new(s.mean, 7, BLACK.stroke_width(2))])?
                .label(format!("{} (ringed: mean)", s.label))
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
        }
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::UpperLeft), 13)?;
        Ok(())
    })
}

/// One strategy on the cost-effectiveness frontier plot.
pub struct FrontierPoint {
    pub label: String,
    pub colour: usize,
    pub cost: f64,
    pub qaly: f64,
    pub status: Status,
    /// Against the previous frontier strategy, for strategies on the frontier after the first.
    pub icer: Option<f64>,
}

/// Cost against QALYs per strategy; the frontier joins the strategies that are not dominated
/// (in cost order), each segment labelled with its ICER; dominated strategies are crossed and
/// extendedly dominated ones ringed, and say so.
pub fn frontier_svg(title: &str, points: &[FrontierPoint], money: &Money) -> String {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        (x0, x1, y0, y1) = (x0.min(p.qaly), x1.max(p.qaly), y0.min(p.cost), y1.max(p.cost));
    }
    let (xr, yr) = (padded(x0, x1, 0.25), padded(y0, y1, 0.2));
    let y_desc = format!("cost per person ({}, discounted)", money.unit());
    render(880, 480, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(86)
            .build_cartesian_2d(xr, yr)?;
        mesh(&mut chart, "QALYs per person (discounted)", &y_desc)?;
        let mut on: Vec<&FrontierPoint> =
            points.iter().filter(|p| matches!(p.status, Status::Reference | Status::NonDominated)).collect();
        on.sort_by(|a, b| a.cost.total_cmp(&b.cost));
        chart
            .draw_series(LineSeries::new(on.iter().map(|p| (p.qaly, p.cost)), BLACK.stroke_width(2)))?
            .label("cost-effectiveness frontier")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
        for w in on.windows(2) {
            if let Some(icer) = w[1].icer {
                let mid = ((w[0].qaly + w[1].qaly) / 2.0, (w[0].cost + w[1].cost) / 2.0);
                chart.draw_series(std::iter::once(
                    EmptyElement::at(mid)
                        + Text::new(
                            format!("ICER {}/QALY", money.amount(icer)),
                            (10, 6),
                            text(13, HPos::Left, VPos::Top),
                        ),
                ))?;
            }
        }
        for p in points {
            let c = colour(p.colour);
            let at = (p.qaly, p.cost);
            let note = match p.status {
                Status::Dominated => {
                    chart.draw_series([Cross::new(at, 7, c.stroke_width(3))])?;
                    " (dominated)"
                }
                Status::ExtendedlyDominated => {
                    chart.draw_series([Circle::new(at, 7, c.stroke_width(3))])?;
                    " (extendedly dominated)"
                }
                _ => {
                    chart.draw_series([Circle::new(at, 7, c.filled())])?;
                    ""
                }
            };
            // Labels of points in the left half run rightwards, the others leftwards, so none
            // runs off the plot.
            let left_half = p.qaly < (x0 + x1) / 2.0;
            let (dx, h) = if left_half { (10, HPos::Left) } else { (-10, HPos::Right) };
            chart.draw_series(std::iter::once(
                EmptyElement::at(at) + Text::new(format!("{}{note}", p.label), (dx, -10), text(13, h, VPos::Bottom)),
            ))?;
        }
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::UpperLeft), 13)?;
        Ok(())
    })
}

/// One strategy's acceptability curve: (wtp, probability cost-effective) and whether the
/// strategy is on the acceptability frontier there.
pub struct CeacCurve {
    pub label: String,
    pub colour: usize,
    pub points: Vec<(f64, f64, bool)>,
}

/// Acceptability curves, the acceptability frontier over them (the probability that the
/// strategy with the highest expected NMB is cost-effective; Fenwick, Claxton & Sculpher 2001),
/// and a dotted line at each WTP of `marked`.
pub fn ceac_svg(title: &str, curves: &[CeacCurve], marked: &[f64], money: &Money) -> String {
    let max_wtp = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).fold(1.0, f64::max);
    let x_desc = format!("willingness to pay per QALY ({})", money.unit());
    render(880, 440, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(14)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_wtp, 0f64..1.02f64)?;
        mesh(&mut chart, &x_desc, "probability cost-effective")?;
        marked_lines(&mut chart, marked, 1.02)?;
        // The frontier: at each WTP, the curve of the strategy with the highest expected NMB.
        let mut frontier: Vec<(f64, f64)> =
            curves.iter().flat_map(|c| c.points.iter().filter(|p| p.2).map(|p| (p.0, p.1))).collect();
        frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(frontier, RGBColor(40, 40, 40).mix(0.35).stroke_width(9)))?
            .label("acceptability frontier")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], RGBColor(40, 40, 40).mix(0.35).stroke_width(9))
            });
        for curve in curves {
            let c = colour(curve.colour);
            chart
                .draw_series(LineSeries::new(curve.points.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?
                .label(curve.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::MiddleRight), 13)?;
        Ok(())
    })
}

/// Dotted vertical lines at the WTPs of `marked`, from 0 to `top`.
fn marked_lines(chart: &mut crate::report::plots::Chart<'_, '_>, marked: &[f64], top: f64) -> Drawn {
    for &w in marked {
        chart.draw_series(DashedLineSeries::new(
            [(w, 0.0), (w, top)],
            2,
            4,
            RGBColor(110, 110, 110).stroke_width(1),
        ))?;
    }
    Ok(())
}

/// The expected value of perfect information per person against willingness to pay, with the
/// WTPs of `marked` dotted.
pub fn evpi_svg(title: &str, points: &[(f64, f64)], marked: &[f64], money: &Money) -> String {
    let max_wtp = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let x_desc = format!("willingness to pay per QALY ({})", money.unit());
    let y_desc = format!("EVPI per person ({})", money.unit());
    render(880, 420, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(14)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..max_wtp, 0f64..top)?;
        mesh(&mut chart, &x_desc, &y_desc)?;
        marked_lines(&mut chart, marked, top)?;
        chart.draw_series(LineSeries::new(points.iter().copied(), colour(0).stroke_width(2)))?;
        Ok(())
    })
}

/// One parameter of the tornado: its label and the outcome at its low and high value (`None`
/// when that result was not finite: no bar is drawn).
pub struct TornadoBar {
    pub label: String,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A tornado: for each parameter a bar from the base case to the outcome at its low value
/// (blue) and at its high value (red), widest swing at the top, with the base case as a
/// labelled vertical line.
pub fn tornado_svg(title: &str, bars: &[TornadoBar], base: f64, x_desc: &str, base_label: &str) -> String {
    let n = bars.len().max(1);
    let (mut lo, mut hi) = (base, base);
    for b in bars {
        for v in [b.low, b.high].into_iter().flatten() {
            (lo, hi) = (lo.min(v), hi.max(v));
        }
    }
    let xr = padded(lo, hi, 0.06);
    let names: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    // Room for the longest label, whole (about 6 px a character at 12 px), beside a 560 px plot.
    let label_area = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u32 * 6 + 24;
    // Rows k = 0..n sit from the top at n - k - 1 to n - k; the row above them holds the label
    // of the base case.
    render(580 + label_area, 140 + 28 * n as u32, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(label_area)
            .build_cartesian_2d(xr.clone(), 0f64..(n as f64 + 1.0))?;
        let formatter = |y: &f64| {
            // Label k sits at n - k - 0.5; other ticks are blank.
            let k = n as f64 - y - 0.5;
            let nearest = k.round();
            if (k - nearest).abs() < 0.05 && nearest >= 0.0 {
                names.get(nearest as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let x_formatter = |x: &f64| format::tick(*x);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(RGBColor(245, 245, 245))
            .axis_style(RGBColor(120, 120, 120))
            .y_labels(n * 2 + 3)
            .y_label_formatter(&formatter)
            .x_label_formatter(&x_formatter)
            .x_desc(x_desc)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        for (k, b) in bars.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.85;
            for (v, c) in [(b.low, colour(0)), (b.high, colour(1))] {
                if let Some(v) = v {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(base.min(v), y), (base.max(v), y + 0.7)],
                        c.mix(0.85).filled(),
                    )))?;
                }
            }
        }
        let (blue, red) = (colour(0), colour(1));
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label("parameter at its low value")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], blue.filled()));
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label("parameter at its high value")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], red.filled()));
        chart.draw_series(LineSeries::new([(base, 0.0), (base, n as f64)], BLACK.stroke_width(1)))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((base, n as f64 + 0.5))
                + Text::new(base_label.to_string(), (0, 0), text(12, HPos::Center, VPos::Center)),
        ))?;
        crate::report::plots::legend(&mut chart, Some(SeriesLabelPosition::LowerLeft), 12)?;
        Ok(())
    })
}

/// A two-way grid: `values[i * ys.len() + j]` is the outcome at (`xs[i]`, `ys[j]`); `None` is a
/// point without a finite result (drawn grey).
pub struct Grid {
    pub x_label: String,
    pub y_label: String,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub values: Vec<Option<f64>>,
    /// The base-case values of the two parameters, marked with a cross.
    pub base: Option<(f64, f64)>,
}

/// Diverging colour of `v` on a scale of +-`max`: red below 0, white at 0, blue above.
fn diverging(v: f64, max: f64) -> RGBColor {
    let t = (v / max).clamp(-1.0, 1.0);
    let (end, t) = if t < 0.0 { ((178.0, 24.0, 43.0), -t) } else { ((33.0, 102.0, 172.0), t) };
    let mix = |a: f64| (255.0 + (a - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// A heat map of a two-way sensitivity analysis, with its colour bar (the title says what the
/// colour is).
pub fn heat_map_svg(title: &str, grid: &Grid) -> String {
    let max = grid.values.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-9);
    let edges = |v: &[f64]| -> Vec<f64> {
        if v.len() < 2 {
            return v.first().map_or(vec![0.0, 1.0], |&x| vec![x - 0.5, x + 0.5]);
        }
        let mut e = vec![v[0] - (v[1] - v[0]) / 2.0];
        e.extend(v.windows(2).map(|w| (w[0] + w[1]) / 2.0));
        e.push(v[v.len() - 1] + (v[v.len() - 1] - v[v.len() - 2]) / 2.0);
        e
    };
    let (ex, ey) = (edges(&grid.xs), edges(&grid.ys));
    render(880, 520, |root| {
        let root = root.titled(title, ("sans-serif", 16))?;
        let (left, right) = root.split_horizontally(760);
        let mut chart = ChartBuilder::on(&left)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(ex[0]..ex[ex.len() - 1], ey[0]..ey[ey.len() - 1])?;
        mesh(&mut chart, &grid.x_label, &grid.y_label)?;
        let ny = grid.ys.len();
        chart.draw_series(grid.values.iter().enumerate().map(|(k, v)| {
            let (i, j) = (k / ny.max(1), k % ny.max(1));
            let fill = v.map_or(RGBColor(200, 200, 200), |v| diverging(v, max));
            Rectangle::new([(ex[i], ey[j]), (ex[i + 1], ey[j + 1])], fill.filled())
        }))?;
        if let Some(at) = grid.base {
            chart.draw_series([Cross::new(at, 8, BLACK.stroke_width(2))])?;
            chart.draw_series(std::iter::once(
                EmptyElement::at(at) + Text::new("base case", (10, -8), text(12, HPos::Left, VPos::Bottom)),
            ))?;
        }
        // The colour bar, in pixels of the right-hand area: from +max at the top to -max at the
        // bottom, with 5 labelled ticks.
        let (x0, x1, top, bottom) = (14i32, 34i32, 30i32, 440i32);
        let steps = 100;
        for k in 0..steps {
            let (a, b) = (top + (bottom - top) * k / steps, top + (bottom - top) * (k + 1) / steps);
            let v = max - 2.0 * max * (k as f64 + 0.5) / steps as f64;
            right.draw(&Rectangle::new([(x0, a), (x1, b)], diverging(v, max).filled()))?;
        }
        right.draw(&Rectangle::new([(x0, top), (x1, bottom)], RGBColor(120, 120, 120).stroke_width(1)))?;
        for k in 0..=4 {
            let v = max - 2.0 * max * k as f64 / 4.0;
            let y = top + (bottom - top) * k / 4;
            right.draw(&PathElement::new(vec![(x1, y), (x1 + 4, y)], RGBColor(120, 120, 120).stroke_width(1)))?;
            right.draw(&Text::new(
                format::tick((v / 10.0).round() * 10.0),
                (x1 + 7, y),
                text(11, HPos::Left, VPos::Center),
            ))?;
        }
        right.draw(&Text::new("INMB", (x0, top - 8), text(11, HPos::Left, VPos::Bottom)))?;
        Ok(())
    })
}
