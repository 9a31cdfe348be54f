//! Charts over half-years, as hand-made SVG (coordinates computed here,
//! text widths estimated per character as in [`super::svg`]):
//! - [`stage_strip`]: one row per item (a topic), one cell per half-year,
//!   each cell filled by its level (a stage) and marked with the level's
//!   short name, so the strip reads without colour too;
//! - [`rate_bars`]: one bar per half-year (件/月), a comparison value (the
//!   city's) as a marker beside it, and no bar but 「未回答」 where there
//!   is no figure.
//!
//! Each drawing names itself with `<title>` and `<desc>`; the pages show
//! the same figures as a table beside it.

use std::fmt::Write;

const FONT: &str = "'Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif";
const WIDTH: f64 = 760.0;
const FONT_PX: f64 = 12.0;

/// Fill and text colour per level of a strip, most advanced first; the
/// lightness falls monotonically so greyscale print keeps the order.
const STRIP_STYLES: [(&str, &str); 4] = [
    ("#08306b", "#ffffff"),
    ("#4292c6", "#000000"),
    ("#fdd0a2", "#000000"),
    ("#ffffff", "#000000"),
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

fn text_width(text: &str, px: f64) -> f64 {
    text.chars()
        .map(|c| {
            if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                0.55
            } else {
                1.0
            }
        })
        .sum::<f64>()
        * px
}

/// Cuts a label to fit `width` pixels, with 「…」 when cut.
fn fit(text: &str, width: f64) -> String {
    if text_width(text, FONT_PX) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = format!("{out}{c}…");
        if text_width(&next, FONT_PX) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// One row of a strip: its label and, per column, the level it stood at
/// (an index into the strip's `levels`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripRow {
    pub label: String,
    pub cells: Vec<usize>,
}

/// A strip: items over columns (half-years), each cell at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strip {
    /// Prefix of the drawing's element ids (unique on the page).
    pub id: String,
    pub title: String,
    /// What the drawing shows, for assistive technology (`<desc>`).
    pub description: String,
    /// Column headings (「R8上」…), in order.
    pub columns: Vec<String>,
    /// Level names, most advanced first (at most four are styled).
    pub levels: Vec<String>,
    /// A short mark per level, printed in its cells (「評価」「具体」…).
    pub marks: Vec<String>,
    pub rows: Vec<StripRow>,
}

/// The strip as a standalone `<svg>` of 760 px width: the legend, the
/// column headings, then one row per item (labels cut to fit with 「…」;
/// the full label is in the row's `<title>`). Pure.
pub fn stage_strip(strip: &Strip) -> String {
    let id = escape(&strip.id);
    let label_w = 330.0;
    let cols = strip.columns.len().max(1) as f64;
    let cell_w = ((WIDTH - label_w - 10.0) / cols).min(90.0);
    let legend_y = 10.0;
    let head_y = legend_y + 30.0;
    let rows_top = head_y + 10.0;
    let row_h = 24.0;
    let height = rows_top + row_h * strip.rows.len() as f64 + 10.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-strip" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT}" font-size="{FONT_PX}">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&strip.title),
        escape(&strip.description)
    );
    // Legend in one line.
    let mut x = 10.0;
    for (k, level) in strip.levels.iter().enumerate() {
        let (fill, _) = STRIP_STYLES[k.min(STRIP_STYLES.len() - 1)];
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{legend_y:.1}" width="14" height="12" fill="{fill}" stroke="#333" stroke-width="0.5"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            x + 18.0,
            legend_y + 10.0,
            escape(level)
        );
        x += 18.0 + text_width(level, FONT_PX) + 18.0;
    }
    for (c, col) in strip.columns.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{head_y:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            label_w + cell_w * (c as f64 + 0.5),
            escape(col)
        );
    }
    for (r, row) in strip.rows.iter().enumerate() {
        let y = rows_top + row_h * r as f64;
        let _ = write!(
            s,
            r#"<g><title>{}</title><text x="4" y="{:.1}">{}</text>"#,
            escape(&row.label),
            y + 16.0,
            escape(&fit(&row.label, label_w - 12.0))
        );
        for (c, level) in row.cells.iter().enumerate() {
            let (fill, ink) = STRIP_STYLES[(*level).min(STRIP_STYLES.len() - 1)];
            let cx = label_w + cell_w * c as f64;
            let mark = strip.marks.get(*level).map_or("", String::as_str);
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="#555" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{ink}" font-size="11">{}</text>"##,
                cx + 1.0,
                y + 2.0,
                cell_w - 2.0,
                row_h - 4.0,
                cx + cell_w / 2.0,
                y + 16.0,
                escape(mark)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// One column of a bar chart: its heading, the value as an exact fraction
/// (cases, months) with its printed text, and the comparison value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    /// (numerator, denominator); none: no figure (the bar is left out and
    /// `text` printed instead).
    pub value: Option<(i64, i64)>,
    /// What is printed above the bar (「11件/月」 or 「未回答」).
    pub text: String,
    /// The comparison value (the city's), as a fraction.
    pub reference: Option<(i64, i64)>,
}

/// A bar chart over half-years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bars {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The legend's names for the bars and the markers.
    pub bar_name: String,
    pub reference_name: String,
    pub bars: Vec<Bar>,
}

fn ratio((n, d): (i64, i64)) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The bars as a standalone `<svg>` of 760 px width, 260 px high: a value
/// axis from 0 to a round maximum, one bar per column with its text above,
/// and the reference as a dashed marker across the column. Pure.
pub fn rate_bars(chart: &Bars) -> String {
    let id = escape(&chart.id);
    let (left, right, top, bottom) = (60.0, 20.0, 44.0, 40.0);
    let height = 260.0;
    let plot_h = height - top - bottom;
    let max = chart
        .bars
        .iter()
        .flat_map(|b| [b.value.and_then(ratio), b.reference.and_then(ratio)])
        .flatten()
        .fold(0.0_f64, f64::max);
    // A round top: 1, 2 or 5 times a power of ten, at least 1.
    let mut scale = 1.0;
    while scale < max {
        scale = if scale * 2.0 >= max {
            scale * 2.0
        } else if scale * 5.0 >= max {
            scale * 5.0
        } else {
            scale * 10.0
        };
    }
    let y_of = |v: f64| top + plot_h * (1.0 - v / scale);
    let cols = chart.bars.len().max(1) as f64;
    let col_w = (WIDTH - left - right) / cols;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-bars" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT}" font-size="{FONT_PX}">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&chart.title),
        escape(&chart.description)
    );
    let _ = write!(
        s,
        r##"<rect x="10" y="8" width="14" height="12" fill="#2171b5"/><text x="30" y="18">{}</text><line x1="{:.1}" y1="14" x2="{:.1}" y2="14" stroke="#a63603" stroke-width="2" stroke-dasharray="4 2"/><text x="{:.1}" y="18">{}</text>"##,
        escape(&chart.bar_name),
        40.0 + text_width(&chart.bar_name, FONT_PX),
        64.0 + text_width(&chart.bar_name, FONT_PX),
        70.0 + text_width(&chart.bar_name, FONT_PX),
        escape(&chart.reference_name)
    );
    for k in 0..=4 {
        let v = scale * f64::from(k) / 4.0;
        let y = y_of(v);
        let _ = write!(
            s,
            r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ccc" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"##,
            WIDTH - right,
            left - 6.0,
            y + 4.0,
            // Ticks of a 1-2-5 scale over 4 are whole or end in .5/.25.
            format_tick(v)
        );
    }
    for (c, bar) in chart.bars.iter().enumerate() {
        let x0 = left + col_w * c as f64;
        let mid = x0 + col_w / 2.0;
        let bw = (col_w * 0.5).min(60.0);
        let _ = write!(
            s,
            r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            height - bottom + 16.0,
            escape(&bar.label)
        );
        // The marker's level, so the bar's text sits clear above both.
        let marker = bar.reference.and_then(ratio).map(y_of);
        match bar.value.and_then(ratio) {
            Some(v) => {
                let y = y_of(v);
                let text_y = marker.map_or(y, |m| m.min(y)) - 5.0;
                let _ = write!(
                    s,
                    r##"<rect x="{:.1}" y="{y:.1}" width="{bw:.1}" height="{:.1}" fill="#2171b5"/><text x="{mid:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{}</text>"##,
                    mid - bw / 2.0,
                    (top + plot_h - y).max(0.0),
                    text_y.max(top - 4.0),
                    escape(&bar.text)
                );
            }
            None => {
                let _ = write!(
                    s,
                    r##"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
                    top + plot_h - 6.0,
                    escape(&bar.text)
                );
            }
        }
        if let Some(y) = marker {
            let _ = write!(
                s,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#a63603" stroke-width="2" stroke-dasharray="4 2"/>"##,
                mid - col_w * 0.4,
                mid + col_w * 0.4
            );
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

fn format_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// 「R8上」: a half-year's short heading (era initial, year, half).
pub fn short_period(label: &str) -> String {
    // 令和8年度上半期 → R8上; 平成29年度下半期 → H29下; others as they are.
    let initial = if let Some(rest) = label.strip_prefix("令和") {
        Some(("R", rest))
    } else {
        label.strip_prefix("平成").map(|rest| ("H", rest))
    };
    match initial {
        Some((i, rest)) => {
            let year = rest.split('年').next().unwrap_or("");
            let year = if year == "元" { "1" } else { year };
            let half = if rest.contains("上半期") {
                "上"
            } else {
                "下"
            };
            format!("{i}{year}{half}")
        }
        None => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strip_marks_each_cell_with_its_level_and_names_itself() {
        let strip = Strip {
            id: "s".into(),
            title: "推移<テスト>".into(),
            description: "説明".into(),
            columns: vec!["R7下".into(), "R8上".into()],
            levels: vec!["評価改善".into(), "具体化".into()],
            marks: vec!["評価".into(), "具体".into()],
            rows: vec![StripRow {
                label: "1. 資源".into(),
                cells: vec![1, 0],
            }],
        };
        let svg = stage_strip(&strip);
        assert!(svg.contains("推移&lt;テスト&gt;"));
        assert!(svg.contains(r#"<desc id="s-desc">説明</desc>"#));
        assert!(svg.contains(">具体</text>") && svg.contains(">評価</text>"));
        assert!(svg.contains(">R8上</text>"));
    }

    #[test]
    fn bars_leave_out_a_column_without_a_figure_and_print_why() {
        let chart = Bars {
            id: "b".into(),
            title: "件/月".into(),
            description: "説明".into(),
            bar_name: "この区".into(),
            reference_name: "市全体".into(),
            bars: vec![
                Bar {
                    label: "R7下".into(),
                    value: Some((63, 6)),
                    text: "11件/月".into(),
                    reference: Some((60, 6)),
                },
                Bar {
                    label: "R8上".into(),
                    value: None,
                    text: "未回答".into(),
                    reference: None,
                },
            ],
        };
        let svg = rate_bars(&chart);
        assert_eq!(svg.matches("fill=\"#2171b5\"/>").count(), 2, "{svg}"); // legend + one bar
        assert!(svg.contains(">11件/月</text>") && svg.contains(">未回答</text>"));
        assert!(svg.contains(">20</text>"), "{svg}"); // 10.5 rounds the axis up to 20
    }

    #[test]
    fn short_periods() {
        assert_eq!(short_period("令和8年度上半期"), "R8上");
        assert_eq!(short_period("平成29年度下半期"), "H29下");
        assert_eq!(short_period("令和元年度下半期"), "R1下");
    }
}
