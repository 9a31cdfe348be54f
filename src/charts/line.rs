//! A small line chart over periods, as hand-made SVG (coordinates
//! computed here, text widths estimated per character as in
//! [`super::svg`]): one line per series (a ward's values of an indicator),
//! with dashed reference lines (the baseline and the target). Coordinates
//! are the only place the figures become `f64`; the labels print the exact
//! decimals given. The drawing names itself with `<title>` and `<desc>`;
//! pages show the same figures as a table beside it.

use std::fmt::Write;

const FONT: &str = "'Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif";
const WIDTH: f64 = 760.0;
const FONT_PX: f64 = 12.0;

/// Line colours, told apart by colour-vision-safe hues and by a marker
/// shape per series (circle, square, triangle, diamond), so print in grey
/// still separates them.
const COLOURS: [&str; 8] = [
    "#08306b", "#a63603", "#238b45", "#6a51a3", "#2171b5", "#d94801", "#525252", "#ce1256",
];

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f64>()
        * FONT_PX
}

/// One series: its name and, per column, its value as a coordinate (`None`:
/// not measured then).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A horizontal reference (ベースライン, 目標値): its legend text (with the
/// exact figure) and its level.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub name: String,
    pub value: f64,
}

/// A line chart over periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Lines {
    /// Prefix of the element ids (unique on the page).
    pub id: String,
    pub title: String,
    pub description: String,
    /// The column headings (periods), left to right.
    pub columns: Vec<String>,
    pub series: Vec<Series>,
    pub references: Vec<Reference>,
}

fn marker(s: &mut String, shape: usize, x: f64, y: f64, colour: &str) {
    let _ = match shape % 4 {
        0 => write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#
        ),
        1 => write!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}"/>"#,
            x - 3.5,
            y - 3.5
        ),
        2 => write!(
            s,
            r#"<path d="M{x:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="{colour}"/>"#,
            y - 4.5,
            x + 4.0,
            y + 3.0,
            x - 4.0,
            y + 3.0
        ),
        _ => write!(
            s,
            r#"<path d="M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} Z" fill="{colour}"/>"#,
            y - 4.5,
            x + 4.5,
            y + 4.5,
            x - 4.5
        ),
    };
}

/// The chart as a standalone `<svg>` of 760 px width: the legend (series,
/// then references) in rows at the top, a value axis with five ticks over
/// the range of every figure (padded), one column per period. A series
/// breaks where a period has no value. Pure.
pub fn lines(chart: &Lines) -> String {
    let id = escape(&chart.id);
    // Legend entries wrap into rows of the chart's width.
    let mut legend: Vec<(f64, f64, usize, bool)> = Vec::new();
    let (mut lx, mut ly) = (10.0, 16.0);
    let entries = chart.series.len() + chart.references.len();
    for i in 0..entries {
        let name = if i < chart.series.len() {
            &chart.series[i].name
        } else {
            &chart.references[i - chart.series.len()].name
        };
        let w = 30.0 + text_width(name) + 16.0;
        if lx + w > WIDTH - 10.0 && lx > 10.0 {
            lx = 10.0;
            ly += 18.0;
        }
        legend.push((lx, ly, i, i >= chart.series.len()));
        lx += w;
    }
    let (left, right, bottom) = (64.0, 20.0, 36.0);
    let top = ly + 22.0;
    let height = top + 200.0 + bottom;
    let plot_h = height - top - bottom;
    let figures: Vec<f64> = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(chart.references.iter().map(|r| r.value))
        .filter(|v| v.is_finite())
        .collect();
    let (mut lo, mut hi) = figures
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if lo >= 0.0 && lo <= (hi - lo) {
        lo = 0.0;
    }
    if (hi - lo).abs() < 1e-12 {
        hi = lo + 1.0;
    }
    // Four steps of a round size (1, 2, 2.5 or 5 times a power of ten)
    // from a multiple of it, covering every figure.
    let (lo, hi) = round_axis(lo, hi);
    let y_of = |v: f64| top + plot_h * (1.0 - (v - lo) / (hi - lo));
    let cols = chart.columns.len().max(1) as f64;
    let col_w = (WIDTH - left - right) / cols;
    let x_of = |c: usize| left + col_w * (c as f64 + 0.5);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart indicator-lines" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT}" font-size="{FONT_PX}">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&chart.title),
        escape(&chart.description)
    );
    for &(x, y, i, reference) in &legend {
        if reference {
            let r = &chart.references[i - chart.series.len()];
            let dash = if i == chart.series.len() {
                "6 3"
            } else {
                "2 2"
            };
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333" stroke-width="1.5" stroke-dasharray="{dash}"/><text x="{:.1}" y="{y:.1}">{}</text>"##,
                y - 4.0,
                x + 24.0,
                y - 4.0,
                x + 30.0,
                escape(&r.name)
            );
        } else {
            let colour = COLOURS[i % COLOURS.len()];
            let _ = write!(
                s,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"/>"#,
                y - 4.0,
                x + 24.0,
                y - 4.0
            );
            marker(&mut s, i, x + 12.0, y - 4.0, colour);
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{y:.1}">{}</text>"#,
                x + 30.0,
                escape(&chart.series[i].name)
            );
        }
    }
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let y = y_of(v);
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ccc" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"##,
            WIDTH - right,
            left - 6.0,
            y + 4.0,
            tick(v, hi - lo)
        );
    }
    for (c, label) in chart.columns.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            x_of(c),
            height - bottom + 18.0,
            escape(label)
        );
    }
    for (i, r) in chart.references.iter().enumerate() {
        let y = y_of(r.value);
        let dash = if i == 0 { "6 3" } else { "2 2" };
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#333" stroke-width="1.5" stroke-dasharray="{dash}"><title>{}</title></line>"##,
            WIDTH - right,
            escape(&r.name)
        );
    }
    for (i, series) in chart.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (c, v) in series.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let cmd = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{cmd}{:.1},{:.1} ", x_of(c), y_of(*v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.trim_end()
            );
        }
        for (c, v) in series.values.iter().enumerate() {
            if let Some(v) = v {
                marker(&mut s, i, x_of(c), y_of(*v), colour);
            }
        }
    }
    let _ = write!(
        s,
        r##"<line x1="{left:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333" stroke-width="1"/>"##,
        top + plot_h,
        WIDTH - right,
        top + plot_h
    );
    s.push_str("</svg>");
    s
}

/// An axis from a multiple of a round step, four steps long, covering
/// `lo..=hi`.
fn round_axis(lo: f64, hi: f64) -> (f64, f64) {
    let raw = (hi - lo) / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let mut k = 0;
    loop {
        let step = [1.0, 2.0, 2.5, 5.0][k % 4] * power * 10f64.powi((k / 4) as i32);
        let start = (lo / step).floor() * step;
        if start + 4.0 * step >= hi - 1e-9 || k > 40 {
            return (start, start + 4.0 * step);
        }
        k += 1;
    }
}

/// An axis tick with as many decimals as the range needs.
fn tick(v: f64, range: f64) -> String {
    let decimals = if range >= 20.0 {
        0
    } else if range >= 2.0 {
        1
    } else {
        2
    };
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_itself_and_draws_each_series_and_reference() {
        let chart = Lines {
            id: "ind1".into(),
            title: "訪問診療の実施件数の推移".into(),
            description: "北区 12 → 15".into(),
            columns: vec!["R6".into(), "R7".into(), "R8".into()],
            series: vec![
                Series {
                    name: "北区".into(),
                    values: vec![Some(12.0), None, Some(15.0)],
                },
                Series {
                    name: "南区<".into(),
                    values: vec![Some(8.0), Some(9.5), Some(11.0)],
                },
            ],
            references: vec![
                Reference {
                    name: "ベースライン 10".into(),
                    value: 10.0,
                },
                Reference {
                    name: "目標値 20".into(),
                    value: 20.0,
                },
            ],
        };
        let svg = lines(&chart);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"<title id="ind1-title">訪問診療の実施件数の推移</title>"#));
        assert!(svg.contains("南区&lt;") && !svg.contains("南区<"));
        assert_eq!(svg.matches("stroke-dasharray=\"6 3\"").count(), 2);
        // The gap splits 北区's line into two moves.
        assert!(svg.matches("<path d=\"M").count() >= 2);
    }
}
