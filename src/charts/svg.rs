//! 100 % stacked horizontal bars as hand-made SVG, coordinates computed
//! here. Text widths are estimated per character (full-width glyphs count
//! as one em, others half) because no font engine is at hand, which is
//! what makes plotters' Japanese labels come out too wide.
//!
//! Levels are told apart by lightness that falls monotonically (so greyscale
//! print keeps the order) from a blue–orange scheme safe for the common
//! colour-vision deficiencies, and by a pattern per level.

use std::fmt::{self, Write};

use super::Chart;

const FONT: &str = "'Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif";
const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 300.0;
const BAR_X: f64 = 310.0;
const BAR_W: f64 = 420.0;
const FONT_PX: f64 = 12.0;
const LINE_H: f64 = 15.0;

/// Fill, pattern ink and text colour per level, darkest first.
const STYLES: [(&str, &str, &str); 6] = [
    ("#08306b", "#6baed6", "#ffffff"),
    ("#2171b5", "#c6dbef", "#ffffff"),
    ("#fdae6b", "#a63603", "#000000"),
    ("#fff5eb", "#7f2704", "#000000"),
    ("#d9d9d9", "#252525", "#000000"),
    ("#ffffff", "#000000", "#000000"),
];

/// `text` escaped for SVG (XML) text and attribute values.
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

fn char_width(c: char) -> f64 {
    if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        0.55
    } else {
        1.0
    }
}

/// Splits a label into lines that fit `width` pixels.
fn wrap(text: &str, width: f64) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut used = 0.0;
    for c in text.chars() {
        let w = char_width(c) * FONT_PX;
        if used + w > width && !lines.last().is_some_and(String::is_empty) {
            lines.push(String::new());
            used = 0.0;
        }
        if let Some(line) = lines.last_mut() {
            line.push(c);
        }
        used += w;
    }
    lines
}

fn pattern(out: &mut String, id: &str, level: usize) {
    let (fill, ink, _) = STYLES[level % STYLES.len()];
    let _ = write!(
        out,
        r#"<pattern id="{id}" patternUnits="userSpaceOnUse" width="8" height="8"><rect width="8" height="8" fill="{fill}"/>"#
    );
    let mark = match level % STYLES.len() {
        0 => String::new(),
        1 => format!(r#"<path d="M0,8 L8,0" stroke="{ink}" stroke-width="1.5"/>"#),
        2 => format!(r#"<circle cx="4" cy="4" r="1.3" fill="{ink}"/>"#),
        3 => format!(r#"<path d="M0,8 L8,0 M0,0 L8,8" stroke="{ink}" stroke-width="0.8"/>"#),
        4 => format!(r#"<path d="M0,4 L8,4" stroke="{ink}" stroke-width="1"/>"#),
        _ => format!(r#"<path d="M4,0 L4,8" stroke="{ink}" stroke-width="1"/>"#),
    };
    out.push_str(&mark);
    out.push_str("</pattern>");
}

/// The chart as a standalone `<svg>` element of 760 px width: the legend,
/// a 0–100 % axis, then one bar per row split into its levels' shares of
/// the row's total (labels wrap to fit 300 px). Element ids start with the
/// chart's `id`. Pure: the same chart gives the same bytes, which is what
/// lets [`super::Cache`] remember drawings.
pub fn stacked_bars(chart: &Chart) -> String {
    let id = escape(&chart.id);
    let legend_rows: Vec<Vec<String>> =
        chart.levels.iter().map(|l| wrap(l, WIDTH - 40.0)).collect();
    let legend_h: f64 = legend_rows
        .iter()
        .map(|l| l.len() as f64 * LINE_H + 4.0)
        .sum();
    let top = 10.0 + legend_h + 10.0;
    let axis_y = top + 12.0;
    let rows_top = axis_y + 8.0;
    let labels: Vec<Vec<String>> = chart
        .rows
        .iter()
        .map(|r| wrap(&r.label, LABEL_W - 8.0))
        .collect();
    let row_h: Vec<f64> = labels
        .iter()
        .map(|l| (l.len() as f64 * LINE_H + 10.0).max(28.0))
        .collect();
    let height = rows_top + row_h.iter().sum::<f64>() + 10.0;

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-title" font-family="{FONT}" font-size="{FONT_PX}">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}（N={}）</title><defs>"#,
        escape(&chart.title),
        chart.n
    );
    for level in 0..chart.levels.len() {
        pattern(&mut s, &format!("{id}-p{level}"), level);
    }
    s.push_str("</defs>");

    // Legend, in the source's wording.
    let mut y = 10.0;
    for (level, lines) in legend_rows.iter().enumerate() {
        let _ = write!(
            s,
            r##"<rect x="10" y="{:.1}" width="14" height="12" fill="url(#{id}-p{level})" stroke="#333" stroke-width="0.5"/>"##,
            Px(y)
        );
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r#"<text x="30" y="{:.1}">{}</text>"#,
                Px(y + 10.0 + k as f64 * LINE_H),
                escape(line)
            );
        }
        y += lines.len() as f64 * LINE_H + 4.0;
    }

    // 0–100 % axis with grid lines.
    for tick in 0..=10 {
        let x = Px(BAR_X + BAR_W * f64::from(tick) / 10.0);
        let _ = write!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}%</text><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#bbb" stroke-width="0.5"/>"##,
            Px(axis_y),
            tick * 10,
            Px(axis_y + 3.0),
            Px(height - 10.0)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">N={}</text>"#,
        // Clear of the centred "0%" tick label at BAR_X.
        Px(BAR_X - 18.0),
        Px(axis_y),
        chart.n
    );

    let mut y = rows_top;
    for ((row, lines), h) in chart.rows.iter().zip(&labels).zip(&row_h) {
        let text_top = y + (h - lines.len() as f64 * LINE_H) / 2.0 + 11.0;
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r#"<text x="4" y="{:.1}">{}</text>"#,
                Px(text_top + k as f64 * LINE_H),
                escape(line)
            );
        }
        let total: i64 = row.counts.iter().sum();
        let bar_y = y + 4.0;
        let bar_h = h - 8.0;
        let mut x = BAR_X;
        for (level, count) in row.counts.iter().enumerate() {
            if *count == 0 || total == 0 {
                continue;
            }
            let share = *count as f64 / total as f64;
            let w = BAR_W * share;
            // Printed shares from the exact counts, rounded as Excel does.
            let percent = crate::figures::percent(*count, total).unwrap_or_default();
            let percent_1 = crate::figures::percent_1(*count, total).unwrap_or_default();
            let level_name = chart.levels.get(level).map_or("", String::as_str);
            let (_, _, ink) = STYLES[level % STYLES.len()];
            let _ = write!(
                s,
                r##"<g><title>{}：{count}（{percent_1}%）</title><rect x="{:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="url(#{id}-p{level})" stroke="#333" stroke-width="0.5"/>"##,
                escape(level_name),
                Px(x),
                Px(bar_y),
                Px(w),
                Px(bar_h)
            );
            if w >= 16.0 {
                // Printed pages have no tooltips: wide segments carry the
                // percentage too, the narrow ones the count only.
                let text = if w >= 64.0 {
                    format!("{count}（{percent}%）")
                } else {
                    count.to_string()
                };
                // A halo keeps the text legible over the pattern.
                let _ = write!(
                    s,
                    r#"<text x="{:.2}" y="{:.1}" text-anchor="middle" font-weight="bold" fill="{ink}" stroke="{}" stroke-width="2.5" paint-order="stroke">{text}</text>"#,
                    Px(x + w / 2.0),
                    Px(bar_y + bar_h / 2.0 + 4.0),
                    if ink == "#ffffff" {
                        "#000000"
                    } else {
                        "#ffffff"
                    }
                );
            }
            s.push_str("</g>");
            x += w;
        }
        y += h;
    }
    s.push_str("</svg>");
    s
}

/// A coordinate, printed with the precision the format asks for (`{:.1}`)
/// from an integer: `f64`'s own fixed-precision formatting took its slow
/// exact path for most chart coordinates, a few percent of a dashboard
/// request (BENCHMARKS.md). Coordinates stay far below 2^53; a value a
/// rounding error away from a tie may round the other way, a 0.01 px shift.
#[derive(Clone, Copy)]
struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = f.precision().unwrap_or(0).min(3);
        let scale = 10_i64.pow(decimals as u32);
        let n = (self.0 * scale as f64).round_ties_even() as i64;
        let sign = if n < 0 { "-" } else { "" };
        let (whole, frac) = (n.abs() / scale, n.abs() % scale);
        if decimals == 0 {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{frac:0decimals$}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::Row;

    fn chart() -> Chart {
        Chart {
            id: "t".into(),
            title: "研修会<実施>".into(),
            n: 24,
            levels: vec!["あてはまる".into(), "あてはまらない".into()],
            rows: vec![Row {
                label: "1. 地域の医療・介護にかかわる資源の充足状況について".into(),
                counts: vec![18, 6],
            }],
            stacked: true,
        }
    }

    #[test]
    fn segments_are_proportional_and_labelled() {
        let svg = stacked_bars(&chart());
        assert!(svg.contains(r#"width="315.00""#), "{svg}"); // 18/24 of 420
        assert!(svg.contains(r#"width="105.00""#));
        assert!(svg.contains("あてはまる：18（75.0%）"));
        assert!(svg.contains(">18（75%）</text>"), "{svg}");
        assert!(svg.contains(">6（25%）</text>"));
        assert!(svg.contains("研修会&lt;実施&gt;"));
        assert!(svg.contains("100%"));
    }

    #[test]
    fn printed_shares_round_ties_up_as_excel_does() {
        // 15/24 = 62.5 % and 9/24 = 37.5 %: Excel's ROUND prints 63 and 38
        // (a float's round-half-to-even would print 62); 3/24 = 12.5 %.
        let mut c = chart();
        c.rows[0].counts = vec![15, 9];
        let svg = stacked_bars(&c);
        assert!(svg.contains(">15（63%）</text>"), "{svg}");
        assert!(svg.contains(">9（38%）</text>"), "{svg}");
        c.rows[0].counts = vec![3, 21];
        let svg = stacked_bars(&c);
        assert!(svg.contains("あてはまる：3（12.5%）"), "{svg}");
        assert!(svg.contains(">21（88%）</text>"), "{svg}");
    }

    #[test]
    fn coordinates_print_like_floats_with_that_precision() {
        for v in [0.0, 0.04, 1.25, 12.5, 104.999, 315.0, 729.996, 1234.5678] {
            assert_eq!(format!("{:.1}", Px(v)), format!("{:.1}", v), "{v}");
            assert_eq!(format!("{:.2}", Px(v)), format!("{:.2}", v), "{v}");
        }
        assert_eq!(format!("{:.2}", Px(-12.346)), "-12.35");
        assert_eq!(format!("{}", Px(41.6)), "42");
    }

    #[test]
    fn long_labels_wrap() {
        let lines = wrap(&"あ".repeat(40), 292.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].chars().count(), 24);
    }
}
