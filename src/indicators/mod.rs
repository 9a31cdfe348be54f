//! 評価指標 (indicators) of a municipality and their measured values per
//! ward and period: what the countermeasures of the PDCA chain are judged
//! against (手引き Ver.3: ストラクチャー → プロセス → アウトプット →
//! 中間アウトカム → 最終アウトカム).

pub mod store;

/// An indicator's latest measured value for one ward (or the municipality
/// as a whole), as an evaluation keeps it: `value` is the exact decimal as
/// stored (`"12.5"`), `period` a `calendar::Span` code (`2026`, `2026H1`).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct LatestValue {
    pub indicator_id: i64,
    /// The indicator's name at that moment.
    pub name: String,
    pub unit: String,
    pub period: String,
    pub value: String,
    /// Measured for the municipality as a whole (no ward value existed).
    pub city_wide: bool,
}
