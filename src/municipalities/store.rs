//! SQL for municipalities. `store.rs` is SQL, row mapping and the
//! transaction of one use case; rules (the wards a new one gets, what makes
//! one a single area) are pure functions in `mod.rs` that stores call.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use serde_json::json;

use super::{Municipality, NewMunicipality};
use crate::access::{CityRead, Installation, Visible};
use crate::audit;
use crate::db::{Db, timestamp};
use crate::error::{AppError, AppResult, unique_violation};

const SELECT: &str = "SELECT m.id, m.name, \
    (SELECT COUNT(*) FROM wards w WHERE w.municipality_id = m.id) AS ward_count, \
    (SELECT COUNT(*) FROM wards w WHERE w.municipality_id = m.id AND w.name = m.name) AS single \
    FROM municipalities m";

fn from_row(row: &AnyRow) -> Result<Municipality, sqlx::Error> {
    let ward_count: i64 = row.try_get("ward_count")?;
    let single: i64 = row.try_get("single")?;
    Ok(Municipality {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        single_area: super::single_area(ward_count, single),
        ward_count,
    })
}

/// The municipalities whose wards `visible` shows (admin: all).
pub async fn list(db: &Db, visible: Visible) -> AppResult<Vec<Municipality>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY m.id")))
        .fetch_all(&db.pool)
        .await?;
    let all: Vec<Municipality> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok(all
        .into_iter()
        .filter(|m| visible.municipality_id().is_none_or(|v| v == m.id))
        .collect())
}

/// The municipality `city` names. Errors: 404 when it does not exist.
pub async fn get(db: &Db, city: &CityRead) -> AppResult<Municipality> {
    get_by_id(db, city.municipality_id()).await
}

async fn get_by_id(db: &Db, id: i64) -> AppResult<Municipality> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE m.id = $1")))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("自治体"))?;
    Ok(from_row(&row)?)
}

/// Creates the municipality and its wards (or its single area) in one transaction.
pub async fn create(
    db: &Db,
    _operator: &Installation,
    new: &NewMunicipality,
    now: DateTime<Utc>,
) -> AppResult<Municipality> {
    new.validate()?;
    let name = new.name.trim();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO municipalities (name, created_at) VALUES ($1, $2) RETURNING id",
    )
    .bind(name)
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(unique_violation("同じ名称の自治体が既に登録されています"))?;
    let wards = new.ward_names();
    for (i, ward) in wards.iter().enumerate() {
        sqlx::query("INSERT INTO wards (municipality_id, name, sort_order, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(*ward)
            .bind(i as i64 + 1)
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
    }
    let entry = audit::Entry {
        ward_id: None,
        municipality_id: Some(id),
        entity: "municipality",
        entity_id: id,
        action: "create",
        actor: None,
        changes: json!({ "name": name, "wards": wards }),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    get_by_id(db, id).await
}

/// Finds a municipality by its exact name (for the CLI).
pub async fn find_by_name(db: &Db, name: &str) -> AppResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM municipalities WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?,
    )
}
