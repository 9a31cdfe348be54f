//! Indicators and their values (tables `indicators`, `indicator_values`,
//! migration 0020).

use sqlx::Row;

use super::LatestValue;
use crate::db::Tx;
use crate::error::AppResult;

/// The ids among `ids` that are indicators of municipality
/// `municipality_id`, in `ids`' order (a countermeasure links only its own
/// municipality's).
pub async fn of_municipality_in(
    tx: &mut Tx,
    municipality_id: i64,
    ids: &[i64],
) -> AppResult<Vec<i64>> {
    let mut found = Vec::new();
    for &id in ids {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM indicators WHERE id = $1 AND municipality_id = $2",
        )
        .bind(id)
        .bind(municipality_id)
        .fetch_one(&mut **tx)
        .await?;
        if n > 0 {
            found.push(id);
        }
    }
    Ok(found)
}

/// The latest value of each of `indicator_ids` for ward `ward_id` — the
/// ward's own when it has one, else the municipality's as a whole; none
/// when neither was measured. "Latest" is the greatest period by its start
/// (a fiscal year `2026` starts with `2026H1`, so the half-year wins a tie:
/// it is the more recent measurement of the two).
pub async fn latest_in(
    tx: &mut Tx,
    ward_id: i64,
    indicator_ids: &[i64],
) -> AppResult<Vec<LatestValue>> {
    let mut out = Vec::new();
    for &id in indicator_ids {
        let rows = sqlx::query(
            "SELECT i.name, i.unit, v.period, v.value, v.ward_id FROM indicators i \
             JOIN indicator_values v ON v.indicator_id = i.id \
             WHERE i.id = $1 AND (v.ward_id = $2 OR v.ward_id IS NULL)",
        )
        .bind(id)
        .bind(ward_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut best: Option<(bool, String, LatestValue)> = None;
        for r in rows {
            let period: String = r.try_get(2)?;
            let ward: Option<i64> = r.try_get(4)?;
            let own = ward.is_some();
            // Order: own ward values before city-wide, then by period start,
            // a half-year after the fiscal year it starts.
            let key = sort_key(&period);
            let better = match &best {
                None => true,
                Some((best_own, best_key, _)) => (own, &key) > (*best_own, best_key),
            };
            if better {
                best = Some((
                    own,
                    key,
                    LatestValue {
                        indicator_id: id,
                        name: r.try_get(0)?,
                        unit: r.try_get(1)?,
                        period,
                        value: r.try_get(3)?,
                        city_wide: !own,
                    },
                ));
            }
        }
        out.extend(best.map(|(_, _, v)| v));
    }
    Ok(out)
}

/// `2026` → `2026H0`, `2026H1` → `2026H1`: codes that sort by start, a
/// fiscal year before the half-years it contains.
fn sort_key(period: &str) -> String {
    if period.contains(['H', 'h']) {
        period.to_uppercase()
    } else {
        format!("{period}H0")
    }
}
