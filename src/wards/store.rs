//! SQL for wards. `store.rs` is SQL, row mapping and the transaction of
//! one use case; rules (who may rename, what a patch resolves to) are pure
//! functions in `mod.rs` that stores call.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NewWard, Ward, WardPatch, WardSettings};
use crate::access::{CityOf, Visible, WardRead, WardWrite};
use crate::audit;
use crate::db::{Bind, Db, Filter, bind_all, timestamp};
use crate::error::{AppError, AppResult, unique_violation};

const SELECT: &str = "SELECT w.id, w.municipality_id, m.name AS municipality_name, w.name, w.sort_order, w.secretariat_email \
    FROM wards w JOIN municipalities m ON m.id = w.municipality_id";

fn from_row(row: &AnyRow) -> Result<Ward, sqlx::Error> {
    Ok(Ward {
        id: row.try_get("id")?,
        municipality_id: row.try_get("municipality_id")?,
        municipality_name: row.try_get("municipality_name")?,
        name: row.try_get("name")?,
        sort_order: row.try_get("sort_order")?,
        secretariat_email: row.try_get("secretariat_email")?,
    })
}

fn audit_view(w: &WardSettings) -> serde_json::Value {
    json!({ "name": w.name, "sort_order": w.sort_order, "secretariat_email": w.secretariat_email })
}

/// The wards `visible` shows, optionally only those of one municipality,
/// in their display order.
pub async fn list(db: &Db, visible: Visible, municipality_id: Option<i64>) -> AppResult<Vec<Ward>> {
    let mut filter = Filter::default();
    if let Some(m) = municipality_id {
        filter.and("w.municipality_id = ?", [Bind::Int(m)]);
    }
    if let Some(m) = visible.municipality_id() {
        filter.and("w.municipality_id = ?", [Bind::Int(m)]);
    }
    if let Some(w) = visible.ward_id() {
        filter.and("w.id = ?", [Bind::Int(w)]);
    }
    let sql = format!(
        "{SELECT}{} ORDER BY w.municipality_id, w.sort_order, w.id",
        filter.where_sql()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The ward `ward` names.
pub async fn get(db: &Db, ward: &WardRead) -> AppResult<Ward> {
    get_by_id(db, ward.ward_id()).await
}

async fn get_by_id(db: &Db, id: i64) -> AppResult<Ward> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE w.id = $1")))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("区"))?;
    Ok(from_row(&row)?)
}

/// Adds a ward to the municipality `city` changes (`new.municipality_id`
/// must be the same one). Errors: 422 on a bad name or another
/// municipality, 409 on a duplicate name.
pub async fn create(db: &Db, city: &CityOf, new: &NewWard, now: DateTime<Utc>) -> AppResult<Ward> {
    new.check_for(city)?;
    if !crate::access::store::municipality_exists(db, new.municipality_id).await? {
        return Err(super::unknown_municipality());
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wards (municipality_id, name, sort_order, created_at) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM wards WHERE municipality_id = $1), $3) \
         RETURNING id",
    )
    .bind(new.municipality_id)
    .bind(new.name.trim())
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(unique_violation("同じ名称の区が既に登録されています"))?;
    let entry = audit::Entry {
        ward_id: Some(id),
        municipality_id: None,
        entity: "ward",
        entity_id: id,
        action: "create",
        actor: None,
        changes: json!({ "name": new.name.trim(), "municipality_id": new.municipality_id }),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    get_by_id(db, id).await
}

/// Changes a ward's name, display order or secretariat address. Renaming
/// needs the city's scope (`renamer`): a secretariat changes the other two
/// only (403 when it sends another name). Errors: 422, 409 on a duplicate
/// name, 403.
pub async fn update(
    db: &Db,
    ward: &WardWrite,
    renamer: Option<&CityOf>,
    patch: &WardPatch,
    now: DateTime<Utc>,
) -> AppResult<Ward> {
    patch.validate()?;
    let id = ward.ward_id();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT name, sort_order, secretariat_email FROM wards WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("区"))?;
    let before = WardSettings {
        name: row.try_get("name")?,
        sort_order: row.try_get("sort_order")?,
        secretariat_email: row.try_get("secretariat_email")?,
    };
    let after = patch.applied(&before, ward, renamer)?;
    sqlx::query(
        "UPDATE wards SET name = $1, sort_order = $2, secretariat_email = $3 WHERE id = $4",
    )
    .bind(after.name.as_str())
    .bind(after.sort_order)
    .bind(after.secretariat_email.clone())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(unique_violation("同じ名称の区が既に登録されています"))?;
    let changes = audit::diff(&audit_view(&before), &audit_view(&after));
    let entry = audit::Entry {
        ward_id: Some(id),
        municipality_id: None,
        entity: "ward",
        entity_id: id,
        action: "update",
        actor: None,
        changes,
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    get_by_id(db, id).await
}
