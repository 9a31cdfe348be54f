//! The scenes a municipality added (table `scenes`, migration 0020).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use super::Scenes;
use crate::access::{CityOf, PlanRead};
use crate::audit;
use crate::db::{Db, Tx, timestamp};
use crate::error::{AppError, AppResult, unique_violation};
use crate::text::SingleLine;

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

const NAME_SQL: &str = "SELECT name FROM municipalities WHERE id = $1";

/// The municipality's name; it is also the check that it exists, which the
/// scope alone does not say for `admin`. Errors: 404 (自治体).
pub async fn municipality_name(db: &Db, plan: PlanRead) -> AppResult<String> {
    sqlx::query_scalar(NAME_SQL)
        .bind(plan.municipality_id())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("自治体"))
}

/// [`municipality_name`] inside a write's transaction. Errors: 404 (自治体).
pub async fn municipality_name_in(tx: &mut Tx, municipality_id: i64) -> AppResult<String> {
    sqlx::query_scalar(NAME_SQL)
        .bind(municipality_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound("自治体"))
}

/// Adds a scene of the municipality's own after the ones it has (the rule:
/// [`super::check_new`]), with its audit row (entity `scene`) in the same
/// transaction; returns the whole list. Errors: 404 (no such
/// municipality), 422 (blank or too long), 409 (already in the list).
pub async fn create(
    db: &Db,
    city: &CityOf,
    name: &SingleLine,
    now: DateTime<Utc>,
) -> AppResult<Scenes> {
    let municipality_id = city.municipality_id();
    let mut tx = db.begin_write().await?;
    municipality_name_in(&mut tx, municipality_id).await?;
    let scenes = list_in(&mut tx, municipality_id).await?;
    let name = super::check_new(&scenes, name.as_str())?;
    let sort_order: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM scenes WHERE municipality_id = $1",
    )
    .bind(municipality_id)
    .fetch_one(&mut *tx)
    .await?;
    let taken = format!("場面「{name}」はすでにあります");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO scenes (municipality_id, name, sort_order, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(municipality_id)
    .bind(name.as_str())
    .bind(sort_order)
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(unique_violation(&taken))?;
    let entry = audit::Entry {
        ward_id: None,
        municipality_id: Some(municipality_id),
        entity: "scene",
        entity_id: id,
        action: "create",
        actor: None,
        changes: json!({ "name": name, "sort_order": sort_order }),
    };
    audit::store::record(&mut tx, entry, now).await?;
    let all = list_in(&mut tx, municipality_id).await?;
    tx.commit().await?;
    Ok(all)
}

fn own(rows: Vec<sqlx::any::AnyRow>) -> AppResult<Scenes> {
    let names = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenes::with_own(names))
}
