//! `store.rs` is SQL, row mapping and the transaction of one use case; a
//! store may call another concept's `*_in(tx, …)` store functions so a use
//! case writes in one transaction. Here: the audit log's one write and the
//! audit page's read.

use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{Entry, Query, Row, current_actor};
use crate::calendar::day_start;
use crate::db::{Bind, Db, Filter, Tx, bind_all, timestamp};
use crate::error::{AppError, AppResult};
use crate::paging::{Page, Paging};

/// Writes `entry` in the caller's transaction, so the change and its record
/// commit or roll back together; the signed-in actor of the request wins
/// over `entry.actor`. Moves the data versions of `entry.ward_id` and its
/// municipality, or of `entry.municipality_id` and all its wards.
pub async fn record(tx: &mut Tx, entry: Entry<'_>, now: DateTime<Utc>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (ward_id, entity, entity_id, action, actor, changes, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.ward_id)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(entry.action)
    .bind(current_actor().or_else(|| entry.actor.map(str::to_string)))
    .bind(entry.changes.to_string())
    .bind(timestamp(now))
    .execute(&mut **tx)
    .await?;
    // New data versions in the same transaction: stored summaries computed
    // before the change (the dashboard's overview parts) no longer count.
    // A ward's change moves the ward and its municipality; a change of the
    // municipality's own (its settings) moves it and every ward of it.
    // Every state change writes its audit row, so this sees them all.
    if let Some(ward_id) = entry.ward_id {
        sqlx::query("UPDATE wards SET data_version = data_version + 1 WHERE id = $1")
            .bind(ward_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE municipalities SET data_version = data_version + 1 \
             WHERE id = (SELECT municipality_id FROM wards WHERE id = $1)",
        )
        .bind(ward_id)
        .execute(&mut **tx)
        .await?;
    } else if let Some(municipality_id) = entry.municipality_id {
        sqlx::query("UPDATE municipalities SET data_version = data_version + 1 WHERE id = $1")
            .bind(municipality_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE wards SET data_version = data_version + 1 WHERE municipality_id = $1")
            .bind(municipality_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The audit log's filters as SQL: the viewer's municipality first, then
/// the narrowing filters. `l` is `audit_log`, `w` its ward.
fn filter_of(q: &Query) -> Filter {
    let mut filter = Filter::default();
    if let Some(m) = q.municipality_id {
        filter.and("w.municipality_id = ?", [Bind::Int(m)]);
    }
    if let Some(w) = q.ward_id {
        filter.and("l.ward_id = ?", [Bind::Int(w)]);
    }
    if let Some(a) = q.account_id {
        filter.and("l.actor = ?", [Bind::Text(format!("account:{a}"))]);
    }
    if let Some(e) = &q.entity {
        filter.and("l.entity = ?", [Bind::Text(e.clone())]);
    }
    // Tokyo days as UTC instants; `recorded_at` is RFC 3339 UTC text
    // (`timestamp`), so text order is time order.
    if let Some(d) = q.from {
        filter.and("l.recorded_at >= ?", [Bind::Text(timestamp(day_start(d)))]);
    }
    if let Some(d) = q.to.and_then(|d| d.succ_opt()) {
        filter.and("l.recorded_at < ?", [Bind::Text(timestamp(day_start(d)))]);
    }
    filter
}

/// One page of the rows matching the query, newest first, with how many
/// match in all (`Paging::all()`: every row, for the CSV).
pub async fn list(db: &Db, q: &Query, paging: Paging) -> AppResult<Page<Row>> {
    let filter = filter_of(q);
    let from = "FROM audit_log l LEFT JOIN wards w ON w.id = l.ward_id";
    let n = filter.next_placeholder();
    // The count rides along as an uncorrelated subquery, so the total and
    // the rows come from one statement (one snapshot).
    let sql = format!(
        "SELECT l.recorded_at, COALESCE(w.name, '') AS ward_name, l.entity, l.entity_id, l.action, \
         COALESCE(NULLIF(a.display_name, ''), a.email, l.actor, '') AS actor_name, l.changes, \
         (SELECT COUNT(*) {from}{where_sql}) AS total \
         FROM audit_log l LEFT JOIN wards w ON w.id = l.ward_id \
         LEFT JOIN accounts a ON l.actor = 'account:' || a.id{where_sql} \
         ORDER BY l.id DESC LIMIT ${} OFFSET ${}",
        n,
        n + 1,
        where_sql = filter.where_sql(),
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .bind(paging.limit)
        .bind(paging.offset)
        .fetch_all(&db.pool)
        .await?;
    let total = crate::db::page_total(db, &rows, paging.offset, from, &filter).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(Row {
                recorded_at: r.try_get("recorded_at")?,
                ward_name: r.try_get("ward_name")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                action: r.try_get("action")?,
                actor: r.try_get("actor_name")?,
                changes: r.try_get("changes")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// The accounts that acted in the part of the log `municipality_id` may
/// read (None: all of it), as (id, 「名前（アドレス）」) by id: the
/// audit page's 操作したアカウント choices.
pub async fn actors(db: &Db, municipality_id: Option<i64>) -> AppResult<Vec<(i64, String)>> {
    let mut filter = Filter::default();
    if let Some(m) = municipality_id {
        filter.and("w.municipality_id = ?", [Bind::Int(m)]);
    }
    let sql = format!(
        "SELECT a.id, a.display_name, a.email FROM accounts a JOIN \
         (SELECT DISTINCT l.actor FROM audit_log l LEFT JOIN wards w ON w.id = l.ward_id{}) x \
         ON x.actor = 'account:' || a.id ORDER BY a.id",
        filter.where_sql()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let name: String = r.try_get("display_name")?;
            let email: String = r.try_get("email")?;
            let label = if name.is_empty() {
                email
            } else {
                format!("{name}（{email}）")
            };
            Ok((id, label))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
