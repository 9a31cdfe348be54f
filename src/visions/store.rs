//! SQL for visions (tables `visions` and `vision_goals`, migration 0020):
//! reading a municipality's or a ward's vision of a plan period, and
//! replacing it whole with its audit row in one transaction.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use super::{Checked, Goal, Sharing, Vision, VisionInput, WardVision, cycle_label};
use crate::access::{CityOf, PlanRead, WardRead, WardWrite};
use crate::audit;
use crate::calendar::PlanPeriod;
use crate::db::{Db, Tx, timestamp};
use crate::error::AppResult;
use crate::scenes;

/// Whose vision: the municipality's own, or one of its wards'.
#[derive(Debug, Clone, Copy)]
struct Owner {
    municipality_id: i64,
    ward_id: Option<i64>,
}

const SELECT: &str = "SELECT id, body, sharing, cycle_years, updated_at FROM visions \
     WHERE municipality_id = $1 AND plan_period = $2 \
     AND ((ward_id IS NULL AND $3 = 0) OR ward_id = $3)";

/// The row's id and the vision, goals in stored order.
async fn read(
    conn: &mut sqlx::AnyConnection,
    owner: Owner,
    period: PlanPeriod,
) -> AppResult<Option<(i64, Vision)>> {
    let Some(row) = sqlx::query(SELECT)
        .bind(owner.municipality_id)
        .bind(period.code())
        .bind(owner.ward_id.unwrap_or(0))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get("id")?;
    let sharing: String = row.try_get("sharing")?;
    let cycle_years: i64 = row.try_get("cycle_years")?;
    let goals = sqlx::query("SELECT scene, goal FROM vision_goals WHERE vision_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Goal {
                scene: r.try_get(0)?,
                goal: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some((
        id,
        Vision {
            municipality_id: owner.municipality_id,
            ward_id: owner.ward_id,
            plan_period: period.code(),
            plan_period_label: period.label(),
            text: row.try_get("body")?,
            sharing: Sharing::parse(&sharing).unwrap_or(Sharing::NotSet),
            cycle_years,
            cycle_label: cycle_label(cycle_years),
            goals,
            updated_at: row.try_get("updated_at")?,
        },
    )))
}

/// The goals in the order of the municipality's scenes (names no longer in
/// the list, which cannot happen while scenes are never removed, last).
fn in_scene_order(mut vision: Vision, scenes: &scenes::Scenes) -> Vision {
    let position = |name: &str| scenes.names().position(|n| n == name).unwrap_or(usize::MAX);
    vision.goals.sort_by_key(|g| position(&g.scene));
    vision
}

async fn load(
    db: &Db,
    plan: PlanRead,
    owner: Owner,
    period: PlanPeriod,
) -> AppResult<Option<Vision>> {
    let mut conn = db.pool.acquire().await?;
    let found = read(&mut conn, owner, period).await?;
    drop(conn);
    let Some((_, vision)) = found else {
        return Ok(None);
    };
    let scenes = scenes::store::list(db, plan).await?;
    Ok(Some(in_scene_order(vision, &scenes)))
}

/// The municipality's own vision of `period` (none when not set), goals in
/// its scene order. Every account of the municipality reads it.
pub async fn of_municipality(
    db: &Db,
    plan: PlanRead,
    period: PlanPeriod,
) -> AppResult<Option<Vision>> {
    let owner = Owner {
        municipality_id: plan.municipality_id(),
        ward_id: None,
    };
    load(db, plan, owner, period).await
}

/// The ward's own vision of `period` (none when not set).
pub async fn of_ward(db: &Db, ward: &WardRead, period: PlanPeriod) -> AppResult<Option<Vision>> {
    let owner = Owner {
        municipality_id: ward.municipality_id(),
        ward_id: Some(ward.ward_id()),
    };
    load(db, ward.plan(), owner, period).await
}

/// The ward's vision of `period` with its municipality's; none when the
/// ward has not set its own.
pub async fn for_ward(
    db: &Db,
    ward: &WardRead,
    period: PlanPeriod,
) -> AppResult<Option<WardVision>> {
    let Some(vision) = of_ward(db, ward, period).await? else {
        return Ok(None);
    };
    let municipality = of_municipality(db, ward.plan(), period).await?;
    Ok(Some(WardVision {
        vision,
        municipality,
    }))
}

fn audit_view(v: &Checked) -> serde_json::Value {
    json!({
        "text": v.text,
        "sharing": v.sharing.as_str(),
        "cycle_years": v.cycle_years,
        "goals": v.goals.iter().map(|g| json!({ "scene": g.scene, "goal": g.goal })).collect::<Vec<_>>(),
    })
}

/// Replaces (or sets) the vision of `owner` for `period` in one write
/// transaction with its audit row (entity `vision`).
async fn save(
    db: &Db,
    owner: Owner,
    period: PlanPeriod,
    input: &VisionInput,
    now: DateTime<Utc>,
) -> AppResult<Vision> {
    let mut tx = db.begin_write().await?;
    scenes::store::municipality_name_in(&mut tx, owner.municipality_id).await?;
    let scenes = scenes::store::list_in(&mut tx, owner.municipality_id).await?;
    let checked = super::check(input, &scenes)?;
    let before = read(&mut tx, owner, period).await?;
    let at = timestamp(now);
    let (id, action, changes) = match &before {
        Some((id, old)) => {
            sqlx::query(
                "UPDATE visions SET body = $1, sharing = $2, cycle_years = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(checked.text.as_str())
            .bind(checked.sharing.as_str())
            .bind(checked.cycle_years)
            .bind(at.as_str())
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM vision_goals WHERE vision_id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            let old = Checked {
                text: old.text.clone(),
                sharing: old.sharing,
                cycle_years: old.cycle_years,
                goals: old.goals.clone(),
            };
            (
                *id,
                "update",
                audit::diff(&audit_view(&old), &audit_view(&checked)),
            )
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO visions (municipality_id, ward_id, plan_period, body, sharing, cycle_years, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(owner.municipality_id)
            .bind(owner.ward_id)
            .bind(period.code())
            .bind(checked.text.as_str())
            .bind(checked.sharing.as_str())
            .bind(checked.cycle_years)
            .bind(at.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let mut view = audit_view(&checked);
            view["plan_period"] = json!(period.code());
            (id, "create", view)
        }
    };
    insert_goals(&mut tx, id, &checked.goals).await?;
    let entry = audit::Entry {
        ward_id: owner.ward_id,
        municipality_id: Some(owner.municipality_id),
        entity: "vision",
        entity_id: id,
        action,
        actor: None,
        changes,
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(Vision {
        municipality_id: owner.municipality_id,
        ward_id: owner.ward_id,
        plan_period: period.code(),
        plan_period_label: period.label(),
        text: checked.text,
        sharing: checked.sharing,
        cycle_years: checked.cycle_years,
        cycle_label: cycle_label(checked.cycle_years),
        goals: checked.goals,
        updated_at: at,
    })
}

async fn insert_goals(tx: &mut Tx, vision_id: i64, goals: &[Goal]) -> AppResult<()> {
    for g in goals {
        sqlx::query("INSERT INTO vision_goals (vision_id, scene, goal) VALUES ($1, $2, $3)")
            .bind(vision_id)
            .bind(g.scene.as_str())
            .bind(g.goal.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Sets or replaces the municipality's own vision of `period` (checked by
/// [`super::check`] against its scenes), with its audit row in the same
/// transaction. Errors: 404 (no such municipality), 422 (field by field;
/// nothing stored).
pub async fn save_municipality(
    db: &Db,
    city: &CityOf,
    period: PlanPeriod,
    input: &VisionInput,
    now: DateTime<Utc>,
) -> AppResult<Vision> {
    let owner = Owner {
        municipality_id: city.municipality_id(),
        ward_id: None,
    };
    save(db, owner, period, input, now).await
}

/// Sets or replaces the ward's own vision of `period` (scenes are its
/// municipality's), with its audit row (the ward's) in the same
/// transaction. Errors: 422 (field by field; nothing stored).
pub async fn save_ward(
    db: &Db,
    ward: &WardWrite,
    period: PlanPeriod,
    input: &VisionInput,
    now: DateTime<Utc>,
) -> AppResult<Vision> {
    let owner = Owner {
        municipality_id: ward.municipality_id(),
        ward_id: Some(ward.ward_id()),
    };
    save(db, owner, period, input, now).await
}
