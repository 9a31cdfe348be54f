//! The scenes a municipality added (table `scenes`, migration 0020).

use sqlx::Row;

use super::Scenes;
use crate::access::PlanRead;
use crate::db::{Db, Tx};
use crate::error::AppResult;

const OWN_SQL: &str = "SELECT name FROM scenes WHERE municipality_id = $1 ORDER BY sort_order, id";

/// The municipality's scenes: the national four, then its own.
pub async fn list(db: &Db, plan: PlanRead) -> AppResult<Scenes> {
    let rows = sqlx::query(OWN_SQL)
        .bind(plan.municipality_id())
        .fetch_all(&db.pool)
        .await?;
    own(rows)
}

/// [`list`] inside a transaction, for a write that checks the names it stores.
pub async fn list_in(tx: &mut Tx, municipality_id: i64) -> AppResult<Scenes> {
    let rows = sqlx::query(OWN_SQL)
        .bind(municipality_id)
        .fetch_all(&mut **tx)
        .await?;
    own(rows)
}

fn own(rows: Vec<sqlx::any::AnyRow>) -> AppResult<Scenes> {
    let names = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenes::with_own(names))
}
