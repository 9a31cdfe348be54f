//! List pages already read, remembered under the ward's data version.
//!
//! Every state change of a ward moves `wards.data_version` in its own
//! transaction (`audit::record`, which every change writes), so a page
//! read at version V is the page for as long as the ward stays at V. A
//! request reads the version (one small row, the same in every instance
//! of the server) and is served the remembered page when nothing changed
//! since it was read. The dashboard's overview parts rest on the same rule.

use std::sync::Arc;

use chrono::NaiveDate;

use super::{CountermeasureQuery, Listed};
use crate::paging::{Page, Paging};

/// The pages of wards' countermeasure lists ([`super::store::list_page`]),
/// bounded by bytes; cheap to clone (one shared cache).
#[derive(Clone)]
pub struct ListCache {
    pages: Arc<quick_cache::sync::Cache<Key, Arc<Page<Listed>>, Weight>>,
}

/// What a page depends on: the ward at its data version, the day (overdue
/// is judged against it), the filters and the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub ward_id: i64,
    pub data_version: i64,
    pub today: NaiveDate,
    pub query: CountermeasureQuery,
    pub limit: i64,
    pub offset: i64,
}

impl Key {
    pub fn new(
        ward_id: i64,
        data_version: i64,
        today: NaiveDate,
        query: CountermeasureQuery,
        paging: Paging,
    ) -> Self {
        Key {
            ward_id,
            data_version,
            today,
            query,
            limit: paging.limit,
            offset: paging.offset,
        }
    }
}

/// About 2 MiB by default: a page of 50 weighs 25–60 KB, so 35–80 pages,
/// the pages people are paging through now; the process's peak memory
/// target (64 MiB, BENCHMARKS.md) counts it.
pub const DEFAULT_LIST_CACHE_BYTES: u64 = 2 * 1024 * 1024;

impl ListCache {
    /// A cache holding at most about `max_bytes` of pages (each weighs its
    /// rows' text plus a fixed share per row).
    pub fn new(max_bytes: u64) -> Self {
        let estimated = usize::try_from(max_bytes / 30_000)
            .unwrap_or(usize::MAX)
            .max(16);
        ListCache {
            pages: Arc::new(quick_cache::sync::Cache::with_weighter(
                estimated, max_bytes, Weight,
            )),
        }
    }

    pub(super) fn get(&self, key: &Key) -> Option<Arc<Page<Listed>>> {
        self.pages.get(key)
    }

    pub(super) fn insert(&self, key: Key, page: Arc<Page<Listed>>) {
        self.pages.insert(key, page);
    }

    /// Bytes held now, as weighed against the cap.
    pub fn weight(&self) -> u64 {
        self.pages.weight()
    }
}

impl Default for ListCache {
    /// A cache of [`DEFAULT_LIST_CACHE_BYTES`].
    fn default() -> Self {
        ListCache::new(DEFAULT_LIST_CACHE_BYTES)
    }
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Key, Arc<Page<Listed>>> for Weight {
    fn weight(&self, _key: &Key, page: &Arc<Page<Listed>>) -> u64 {
        let text: usize = page
            .items
            .iter()
            .map(|l| {
                let c = &l.cm;
                200 + c.title.len()
                    + c.issue.len()
                    + c.plan.len()
                    + c.evaluation.as_ref().map_or(0, String::len)
                    + c.improvement.as_ref().map_or(0, String::len)
                    + c.verdict_reason.as_ref().map_or(0, String::len)
                    + c.scenes.iter().map(|s| s.len() + 24).sum::<usize>()
                    + c.indicator_ids.len() * 8
                    + l.owner_name.as_ref().map_or(0, String::len)
            })
            .sum();
        u64::try_from(text + 64).unwrap_or(u64::MAX)
    }
}
