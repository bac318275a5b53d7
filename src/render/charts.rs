//! Charts for bulletins, drawn on the server as SVG (plotters) so a printed bulletin and a
//! browser without JavaScript show the same picture. Text is left to the viewer's CJK fonts.

use plotters::prelude::*;

use crate::domain::bulletin::{CityRate, Trend};

const FONT: &str = "Noto Sans CJK SC, Microsoft YaHei, SimHei, sans-serif";
const COLOURS: [RGBColor; 6] = [
    RGBColor(192, 0, 0),
    RGBColor(230, 120, 0),
    RGBColor(160, 120, 0),
    RGBColor(0, 90, 160),
    RGBColor(0, 130, 90),
    RGBColor(110, 60, 150),
];

/// Scores month by month of the top and bottom units; empty when there is nothing to draw.
pub fn score_trend(trends: &[Trend]) -> String {
    let months: Vec<&str> = {
        let mut m: Vec<&str> = trends.iter().flat_map(|t| t.points.iter().map(|p| p.0.as_str())).collect();
        m.sort_unstable();
        m.dedup();
        m
    };
    if months.is_empty() {
        return String::new();
    }
    let scores = trends.iter().flat_map(|t| t.points.iter().map(|p| p.1));
    let (lo, hi) = scores.fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(s), hi.max(s)));
    let (lo, hi) = ((lo - 2.0).floor().max(0.0), (hi + 2.0).ceil());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        if draw_trend(&root, trends, &months, lo, hi).is_err() {
            return String::new();
        }
    }
    svg
}

fn draw_trend<'a>(
    root: &'a DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    trends: &[Trend],
    months: &[&str],
    lo: f64,
    hi: f64,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    root.fill(&WHITE)?;
    let n = months.len().max(2) - 1;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        // Room for the last month's label at the right edge.
        .margin_right(36)
        .x_label_area_size(28)
        .y_label_area_size(40)
        .build_cartesian_2d(0..n, lo..hi)?;
    chart
        .configure_mesh()
        .x_labels(months.len())
        // `2019-05` as a Chinese reader writes it: 2019年5月.
        .x_label_formatter(&|i| {
            months
                .get(*i)
                .and_then(|m| crate::domain::YearMonth::parse(m).ok())
                .map(|m| m.chinese())
                .unwrap_or_default()
        })
        .y_desc("得分")
        .label_style((FONT, 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (t, colour) in trends.iter().zip(COLOURS.iter().cycle()) {
        let points: Vec<(usize, f64)> =
            t.points.iter().filter_map(|(m, s)| months.iter().position(|x| x == m).map(|i| (i, *s))).collect();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(t.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 11))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

/// On-time rate by city as horizontal bars; empty when there is nothing to draw.
pub fn city_rates(rates: &[CityRate]) -> String {
    if rates.is_empty() {
        return String::new();
    }
    let height = 40 + 26 * rates.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, height)).into_drawing_area();
        if draw_rates(&root, rates).is_err() {
            return String::new();
        }
    }
    svg
}

fn draw_rates<'a>(
    root: &'a DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rates: &[CityRate],
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..100f64, 0..rates.len())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rates.len())
        .y_label_formatter(&|i| rates.get(*i).map(|r| r.name.clone()).unwrap_or_default())
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .label_style((FONT, 12))
        .draw()?;
    chart.draw_series(rates.iter().enumerate().map(|(i, r)| {
        let v = f64::from(r.on_time_permille.unwrap_or(0)) / 10.0;
        let colour = if v >= 90.0 {
            RGBColor(0, 130, 90)
        } else if v >= 60.0 {
            RGBColor(230, 150, 0)
        } else {
            RGBColor(192, 0, 0)
        };
        Rectangle::new([(0.0, i), (v, i + 1)], colour.filled())
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_the_names_in_them() {
        let t = vec![
            Trend { name: "新安街道".into(), points: vec![("2019-04".into(), 96.0), ("2019-05".into(), 98.5)] },
            Trend { name: "华西街道".into(), points: vec![("2019-04".into(), 90.0), ("2019-05".into(), 85.0)] },
        ];
        let svg = score_trend(&t);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("新安街道") && svg.contains("2019年5月") && !svg.contains("2019-05"), "{svg}");
        let r = vec![CityRate { city: "350100".into(), name: "福州市".into(), due: 4, on_time_permille: Some(750) }];
        assert!(city_rates(&r).contains("福州市"));
        assert_eq!(score_trend(&[]), "");
    }
}
