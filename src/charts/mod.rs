//! Charts: what a chart shows (items, levels, counts), its CSV table, its
//! SVG drawing ([`svg`]) and the [`Cache`] of drawings the app state holds.
//! Nothing here knows the survey: the report ([`crate::report`]) and the
//! dashboard produce charts, this module draws them.

pub mod line;
pub mod svg;
pub mod trend;

use std::sync::Arc;

use serde::Serialize;

use crate::spreadsheet::{Cell, Table};

/// One item (one bar): its label and a count per level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, poem_openapi::Object)]
#[oai(rename = "ChartRow")]
pub struct Row {
    pub label: String,
    /// Counts per level, in the order of the chart's `levels` (one per level).
    pub counts: Vec<i64>,
}

/// A chart: items (`rows`) counted per level. Drawn as 100 % stacked
/// horizontal bars when `stacked`; otherwise a table of counts, shown as a
/// table and never drawn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, poem_openapi::Object)]
// "Chart" is the report's chart (this one with its survey section), the
// name the API has always given it.
#[oai(rename = "ChartData")]
pub struct Chart {
    /// Stable id, used in the CSV download's URL and in the drawing's
    /// element ids (ids must differ between the charts of one page).
    pub id: String,
    pub title: String,
    /// How many answered (wards, 相談支援室…): the N printed with the chart
    /// and the total of each row of a stacked chart.
    pub n: i64,
    /// The legend: one name per level, in the source's wording.
    pub levels: Vec<String>,
    pub rows: Vec<Row>,
    /// True for 100 % stacked bars (shares of each row's total); false for
    /// count tables, which are not drawn as 100 % bars.
    pub stacked: bool,
}

impl Chart {
    /// The chart as a CSV table: a header `項目, <levels…>, N` (`計` for a
    /// count table), then one line per item with its counts and, last,
    /// the chart's `n` (stacked) or the row's sum (count table).
    pub fn table(&self) -> Table {
        let mut header = vec!["項目".to_string()];
        header.extend(self.levels.iter().cloned());
        header.push(if self.stacked { "N" } else { "計" }.to_string());
        let mut t = Table::new(&header);
        for r in &self.rows {
            let mut line = vec![Cell::text(&r.label)];
            line.extend(r.counts.iter().map(Cell::value));
            let total = if self.stacked {
                self.n
            } else {
                r.counts.iter().sum()
            };
            line.push(Cell::value(total));
            t.push(line);
        }
        t
    }

    /// Whether any row counts anything (a chart of zeros draws no bar).
    pub fn has_counts(&self) -> bool {
        self.rows.iter().any(|r| r.counts.iter().any(|&k| k > 0))
    }

    /// Bytes the chart holds on the heap, roughly: its weight as a key of
    /// the [`Cache`].
    fn heap_bytes(&self) -> usize {
        let rows: usize = self
            .rows
            .iter()
            .map(|r| size_of::<Row>() + r.label.len() + r.counts.len() * size_of::<i64>())
            .sum();
        let levels: usize = self
            .levels
            .iter()
            .map(|l| size_of::<String>() + l.len())
            .sum();
        self.id.len() + self.title.len() + levels + rows
    }
}

/// The default cap of a [`Cache`], in bytes: 16 MiB. A drawing is 3–10 KB
/// (6 KB on average for 資料1's charts) and its chart about 1 KB, so this
/// holds some 2,300 charts: a city's report and the dashboards its wards
/// open, not every ward of the national dataset (a drawing is redrawn in
/// well under a millisecond). The cap keeps the server's peak memory under
/// 64 MiB in the list-after-dashboard run (BENCHMARKS.md, "List pages").
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// Drawings already made, keyed by the whole chart (not a hash of it): a
/// changed count is another key, so nothing is ever invalidated, and what
/// is not asked for again is evicted once the cap is reached. Drawing is
/// a pure function of the chart; a ward's dashboard embeds eight charts of
/// a closed half-year that rarely change, and drawing them was a fifth of
/// the page's time (BENCHMARKS.md).
///
/// Cheap to clone (one `Arc`): every clone shares the same drawings. The
/// app state holds one ([`crate::state::AppState::charts`]).
#[derive(Clone)]
pub struct Cache {
    drawn: Arc<quick_cache::sync::Cache<Chart, Arc<str>, Weight>>,
}

impl Cache {
    /// A cache holding at most about `max_bytes` of drawings and their
    /// charts (each entry weighs its SVG's length plus its chart's heap
    /// size).
    pub fn new(max_bytes: u64) -> Self {
        // quick_cache sizes its tables from an estimated entry count:
        // about 7 KB an entry (drawing and chart).
        let estimated = usize::try_from(max_bytes / 7_000)
            .unwrap_or(usize::MAX)
            .max(16);
        Cache {
            drawn: Arc::new(quick_cache::sync::Cache::with_weighter(
                estimated, max_bytes, Weight,
            )),
        }
    }

    /// The chart as a standalone `<svg>` element ([`svg::stacked_bars`]),
    /// drawn once and then remembered. Draw only stacked charts: count
    /// tables are shown as tables.
    pub fn svg(&self, chart: &Chart) -> Arc<str> {
        if let Some(svg) = self.drawn.get(chart) {
            return svg;
        }
        let svg: Arc<str> = svg::stacked_bars(chart).into();
        self.drawn.insert(chart.clone(), svg.clone());
        svg
    }

    /// Bytes held now (drawings and charts, as weighed against the cap).
    pub fn weight(&self) -> u64 {
        self.drawn.weight()
    }
}

impl Default for Cache {
    /// A cache of [`DEFAULT_CACHE_BYTES`].
    fn default() -> Self {
        Cache::new(DEFAULT_CACHE_BYTES)
    }
}

/// Weighs a remembered drawing: its length in bytes plus its key's.
#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Chart, Arc<str>> for Weight {
    fn weight(&self, chart: &Chart, svg: &Arc<str>) -> u64 {
        (svg.len() + chart.heap_bytes()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            id: "memo".into(),
            title: "描画の再利用".into(),
            n: 3,
            levels: vec!["はい".into(), "いいえ".into()],
            rows: vec![Row {
                label: "項目".into(),
                counts: vec![2, 1],
            }],
            stacked: true,
        }
    }

    #[test]
    fn a_chart_is_drawn_once_and_a_changed_chart_again() {
        let cache = Cache::default();
        let chart = chart();
        let first = cache.svg(&chart);
        // A clone of the cache shares its drawings.
        assert!(Arc::ptr_eq(&first, &cache.clone().svg(&chart.clone())));
        assert_eq!(&*first, svg::stacked_bars(&chart));
        let mut changed = chart.clone();
        changed.rows[0].counts = vec![1, 2];
        let redrawn = cache.svg(&changed);
        assert!(!Arc::ptr_eq(&first, &redrawn));
        assert_eq!(&*redrawn, svg::stacked_bars(&changed));
    }

    #[test]
    fn the_cache_keeps_under_its_cap() {
        let cache = Cache::new(64 << 10);
        for i in 0..200 {
            let mut c = chart();
            c.rows[0].counts = vec![i, 1];
            let svg = cache.svg(&c);
            assert_eq!(&*svg, svg::stacked_bars(&c));
        }
        assert!(cache.weight() <= 64 << 10, "{}", cache.weight());
        assert!(cache.weight() > 0);
    }

    #[test]
    fn the_table_ends_with_n_or_the_row_sum() {
        let csv = |c: &Chart| {
            let bytes = c.table().to_bytes(crate::spreadsheet::Encoding::Utf8);
            String::from_utf8(bytes.unwrap()).unwrap()
        };
        let mut c = chart();
        c.n = 4;
        assert_eq!(csv(&c), "\u{feff}項目,はい,いいえ,N\r\n項目,2,1,4\r\n");
        c.stacked = false;
        assert_eq!(csv(&c), "\u{feff}項目,はい,いいえ,計\r\n項目,2,1,3\r\n");
        assert!(c.has_counts());
        c.rows[0].counts = vec![0, 0];
        assert!(!c.has_counts());
    }
}
