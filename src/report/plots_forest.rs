//! The subgroup forest plot: one row per subgroup (the whole population first), the exact
//! cohort value of a quantity as a dot and, when a simulation was run, the Monte Carlo estimate's
//! 95% interval as a bar with whiskers, beside a vertical line at zero. Drawn with `plotters`
//! like the other figures ([`crate::report::plots`]).

use crate::report::format;
use crate::report::plots::{Drawn, colour, render};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One row of a forest plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// What the row is (`all`, `meld=meld_20_or_more;etiology=hbv (7.5%)`).
    pub label: String,
    /// The exact cohort value.
    pub cohort: f64,
    /// The Monte Carlo 95% interval, when there is one.
    pub interval: Option<(f64, f64)>,
    /// Palette index of the row's colour (the strategy compared).
    pub colour: usize,
    /// Drawn in black, above a rule: the whole population.
    pub whole: bool,
}

/// Width of the label column, in pixels.
const LABELS: u32 = 330;

/// The forest plot of `rows`, top to bottom, with `title` and the x axis described by `x_desc`.
pub fn forest_svg(title: &str, x_desc: &str, rows: &[ForestRow]) -> String {
    let n = rows.len().max(1);
    let height = 90 + 26 * n as u32;
    let values = rows.iter().flat_map(|r| [Some(r.cohort), r.interval.map(|i| i.0), r.interval.map(|i| i.1)]);
    let (lo, hi) = values.flatten().fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.08).max(1e-9);
    render(900, height, |root| -> Drawn {
        let (left, right) = root.split_horizontally(LABELS);
        let mut chart = ChartBuilder::on(&right)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(0)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n as f64)?;
        let tick = |v: &f64| format::tick(*v);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(RGBColor(245, 245, 245))
            .axis_style(RGBColor(120, 120, 120))
            .x_label_formatter(&tick)
            .x_desc(x_desc)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (0.0, n as f64)], RGBColor(90, 90, 90).stroke_width(1)))?;
        // Row k is centred at y = n - k - 1/2, so the first row is at the top.
        let y = |k: usize| n as f64 - k as f64 - 0.5;
        if let Some(last_whole) = rows.iter().rposition(|r| r.whole).filter(|&k| k + 1 < rows.len()) {
            let rule = n as f64 - last_whole as f64 - 1.0;
            chart.draw_series(LineSeries::new(
                [(lo - pad, rule), (hi + pad, rule)],
                RGBColor(200, 200, 200).stroke_width(1),
            ))?;
        }
        let label_style = TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (k, r) in rows.iter().enumerate() {
            let c = if r.whole { BLACK } else { colour(r.colour) };
            if let Some((a, b)) = r.interval {
                let whisker = 0.15;
                chart.draw_series(LineSeries::new([(a, y(k)), (b, y(k))], c.stroke_width(2)))?;
                for x in [a, b] {
                    chart
                        .draw_series(LineSeries::new([(x, y(k) - whisker), (x, y(k) + whisker)], c.stroke_width(2)))?;
                }
            }
            chart.draw_series([Circle::new((r.cohort, y(k)), 4, c.filled())])?;
            // The label in the left column, level with its row.
            let (_, py) = chart.backend_coord(&(lo, y(k)));
            left.draw_text(&r.label, &label_style, (LABELS as i32 - 8, py))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_labelled_and_drawn() {
        let rows = vec![
            ForestRow {
                label: "all".into(),
                cohort: -5000.0,
                interval: Some((-5200.0, -4800.0)),
                colour: 1,
                whole: true,
            },
            ForestRow { label: "a=x (40%)".into(), cohort: 1200.0, interval: None, colour: 1, whole: false },
            ForestRow {
                label: "a=y (60%)".into(),
                cohort: -9000.0,
                interval: Some((-9900.0, -8100.0)),
                colour: 1,
                whole: false,
            },
        ];
        let svg = forest_svg("Incremental NMB", "EUR", &rows);
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"));
        for label in ["all", "a=x (40%)", "a=y (60%)"] {
            assert!(svg.contains(label), "{label}");
        }
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
