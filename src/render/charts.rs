//! Charts for bulletins, drawn on the server as SVG (plotters) so a printed bulletin and a
//! browser without JavaScript show the same picture. Text is left to the viewer's CJK fonts.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// Width of a chart in SVG units. Charts scale down to the column they sit in (a phone's is
/// about 330 px), so text is sized for that: plotters writes a font of size N as N / 1.24
/// units, so 21 is 16.9 units, which read as 12.7 px at 330 px.
const WIDTH: u32 = 440;
const TEXT: u32 = 21;

/// Scores month by month of the top and bottom units; empty when there is nothing to draw.
/// Units with equal scores would draw one line over another: each series is drawn a step
/// thinner with a smaller marker than the one before, so a line on top of another leaves the
/// other's edges and rings showing. The legend sits below the plot (it never covers a line)
/// and gives each unit's latest score.
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
    let columns = legend_columns(trends);
    let legend_rows = trends.len().div_ceil(columns) as u32;
    let plot = 260;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, plot + 12 + legend_rows * (TEXT + 10))).into_drawing_area();
        let (upper, lower) = root.split_vertically(plot);
        if draw_trend(&upper, trends, &months, lo, hi).and_then(|()| draw_legend(&lower, trends)).is_err() {
            return String::new();
        }
        if root.present().is_err() {
            return String::new();
        }
    }
    svg
}

/// Line width and marker radius of the `k`th of `n` series: the first the widest.
fn stroke(k: usize, n: usize) -> (u32, i32) {
    let step = (n.saturating_sub(1) - k.min(n.saturating_sub(1))) as u32;
    (2 + step, 3 + step as i32)
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
    let year = months.first().and_then(|m| m.get(..4)).unwrap_or_default();
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .margin_right(20)
        // Two lines: the months, then the year under them.
        .x_label_area_size(TEXT * 2 + 10)
        .y_label_area_size(TEXT * 2 + 8)
        .build_cartesian_2d(0..n, lo..hi)?;
    chart
        .configure_mesh()
        .x_labels(months.len())
        // `2019-05` as 5月; the year is in the axis name.
        .x_label_formatter(&|i| {
            months
                .get(*i)
                .and_then(|m| crate::domain::YearMonth::parse(m).ok())
                .map(|m| format!("{}月", m.month))
                .unwrap_or_default()
        })
        .x_desc(format!("{year}年"))
        .y_labels(5)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, TEXT))
        .axis_desc_style((FONT, TEXT))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (k, (t, colour)) in trends.iter().zip(COLOURS.iter().cycle()).enumerate() {
        let (width, radius) = stroke(k, trends.len());
        let points: Vec<(usize, f64)> =
            t.points.iter().filter_map(|(m, s)| months.iter().position(|x| x == m).map(|i| (i, *s))).collect();
        chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(width)))?;
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, radius, colour.filled())))?;
    }
    Ok(())
}

/// Width of a legend entry in SVG units: the key, a CJK character a font size wide, a digit
/// about half of one.
fn legend_width(t: &Trend) -> u32 {
    let text_size = TEXT * 100 / 124;
    46 + t.name.chars().count() as u32 * text_size + 6 * text_size * 6 / 10
}

/// Two columns when every entry fits in half the width, else one.
fn legend_columns(trends: &[Trend]) -> usize {
    if trends.iter().all(|t| legend_width(t) <= WIDTH / 2 - 10) { 2 } else { 1 }
}

/// One or two columns under the plot: each unit's line and marker, its name and its latest score.
fn draw_legend<'a>(
    area: &'a DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    trends: &[Trend],
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    area.fill(&WHITE)?;
    let columns = legend_columns(trends);
    let column = (WIDTH as usize / columns) as i32;
    let row = (TEXT + 10) as i32;
    for (k, (t, colour)) in trends.iter().zip(COLOURS.iter().cycle()).enumerate() {
        let (width, radius) = stroke(k, trends.len());
        let (x, y) = (10 + column * (k % columns) as i32, 6 + row * (k / columns) as i32 + row / 2);
        area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], colour.stroke_width(width)))?;
        area.draw(&Circle::new((x + 14, y), radius, colour.filled()))?;
        let latest = t.points.last().map(|p| format!(" {:.2}", p.1)).unwrap_or_default();
        let style = TextStyle::from((FONT, TEXT).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(format!("{}{latest}", t.name), (x + 36, y), style))?;
    }
    Ok(())
}

/// On-time rate by city as horizontal bars, the first city at the top, each bar centred on its
/// name with its rate written at its end; empty when there is nothing to draw.
pub fn city_rates(rates: &[CityRate]) -> String {
    if rates.is_empty() {
        return String::new();
    }
    let height = 50 + (TEXT + 16) * rates.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
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
    let n = rates.len();
    let name_width = rates.iter().map(|r| r.name.chars().count()).max().unwrap_or(2) as u32 * TEXT + 12;
    // Row i sits at y = n-1-i, so the first city is at the top; the range runs half a row past
    // each end so that every bar is centred on its label.
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(TEXT + 12)
        .y_label_area_size(name_width)
        .build_cartesian_2d(0f64..100f64, -0.5f64..(n as f64 - 0.5))?;
    let name_at = |y: &f64| {
        let i = n as f64 - 1.0 - y.round();
        ((y - y.round()).abs() < 1e-6 && i >= 0.0).then(|| rates.get(i as usize).map(|r| r.name.clone())).flatten()
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| name_at(y).unwrap_or_default())
        .x_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .label_style((FONT, TEXT))
        .draw()?;
    for (i, r) in rates.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let v = f64::from(r.on_time_permille.unwrap_or(0)) / 10.0;
        let colour = if v >= 90.0 {
            RGBColor(0, 130, 90)
        } else if v >= 60.0 {
            RGBColor(230, 150, 0)
        } else {
            RGBColor(192, 0, 0)
        };
        chart.draw_series(std::iter::once(Rectangle::new([(0.0, y - 0.32), (v, y + 0.32)], colour.filled())))?;
        let label = crate::domain::bulletin::percent(r.on_time_permille);
        // Inside the bar's end when it is long, past it when it is short.
        let (at, pos, colour) = if v > 75.0 { (v - 1.0, HPos::Right, WHITE) } else { (v + 1.0, HPos::Left, BLACK) };
        let style = TextStyle::from((FONT, TEXT).into_font()).pos(Pos::new(pos, VPos::Center)).color(&colour);
        chart.draw_series(std::iter::once(Text::new(label, (at, y), style)))?;
    }
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
        assert!(svg.contains("新安街道 98.50") && svg.contains("5月") && !svg.contains("2019-05"), "{svg}");
        let r = vec![CityRate { city: "350100".into(), name: "福州市".into(), due: 4, on_time_permille: Some(750) }];
        assert!(city_rates(&r).contains("福州市"));
        assert_eq!(score_trend(&[]), "");
    }

    /// Font sizes in an SVG: every `font-size="N"` (plotters writes them so).
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"").skip(1).filter_map(|r| r.split('"').next()?.parse().ok()).collect()
    }

    #[test]
    fn equal_scores_stay_visible_and_text_reads_on_a_phone() {
        let same =
            |name: &str| Trend { name: name.into(), points: vec![("2019-04".into(), 90.0), ("2019-05".into(), 90.0)] };
        let svg = score_trend(&[same("甲镇"), same("乙镇"), same("丙镇")]);
        // Three series on the same points: three marker sizes at each point, widest first.
        for r in ["r=\"5\"", "r=\"4\"", "r=\"3\""] {
            assert_eq!(svg.matches(r).count(), 3, "{r}: two points and the legend's marker: {svg}");
        }
        assert!(svg.contains("甲镇 90.00") && svg.contains("5月") && svg.contains("2019年"), "{svg}");
        // At 330 px wide a chart of WIDTH units shows text at size × 330 / WIDTH.
        let sizes = font_sizes(&svg);
        assert!(!sizes.is_empty() && sizes.iter().all(|s| s * 330.0 / f64::from(WIDTH) >= 12.0), "{sizes:?}");
        let long = Trend { name: "黄腊布依族苗族乡".into(), ..same("") };
        assert_eq!((legend_columns(&[same("甲镇"), same("乙镇")]), legend_columns(&[same("甲镇"), long])), (2, 1));
        let rates = vec![
            CityRate { city: "350100".into(), name: "福州市".into(), due: 4, on_time_permille: Some(1000) },
            CityRate { city: "350200".into(), name: "厦门市".into(), due: 4, on_time_permille: Some(500) },
        ];
        let svg = city_rates(&rates);
        assert!(svg.contains("100.0%") && svg.contains("50.0%"), "each bar says its rate: {svg}");
        let y_of = |name: &str| -> f64 {
            let at = svg.find(name).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            tag.split("y=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        assert!(y_of("福州市") < y_of("厦门市"), "the first city is drawn at the top");
        assert!(font_sizes(&svg).iter().all(|s| s * 330.0 / f64::from(WIDTH) >= 12.0));
    }
}
