//! Reads a ward's PDCA sheet: one query per table (visions, vision_goals,
//! scenes, indicators, indicator_scenes, indicator_values,
//! countermeasures with their owners, countermeasure_scenes,
//! countermeasure_indicators), whatever the number of rows; read-only.
//! Of the values it keeps each indicator's latest for the ward, as
//! `indicators::store::ward_latest` chooses it for every reader.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CountermeasureRow, Heading, IndicatorRow, Rows, Sheet, ValueRow, VisionRow, assemble};
use crate::access::WardRead;
use crate::calendar::PlanPeriod;
use crate::db::Db;
use crate::error::AppResult;

/// Fetches all rows of `sql` bound to `binds` (integers and text).
async fn rows(
    db: &Db,
    sql: &'static str,
    ints: &[i64],
    text: Option<&str>,
) -> AppResult<Vec<AnyRow>> {
    let mut q = sqlx::query(sql);
    for i in ints {
        q = q.bind(*i);
    }
    if let Some(t) = text {
        q = q.bind(t.to_string());
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// The ward's sheet for `plan_period` (404 for a ward out of scope).
pub async fn sheet(db: &Db, scope: &WardRead, plan_period: PlanPeriod) -> AppResult<Sheet> {
    let ward = crate::wards::store::get(db, scope).await?;
    let (m, w) = (ward.municipality_id, ward.id);
    let code = plan_period.code();
    let scenes = crate::scenes::store::list(db, scope.plan()).await?;

    let visions = rows(
        db,
        "SELECT id, ward_id, body, sharing, cycle_years FROM visions \
         WHERE municipality_id = $1 AND (ward_id IS NULL OR ward_id = $2) AND plan_period = $3",
        &[m, w],
        Some(&code),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(VisionRow {
            id: r.try_get("id")?,
            ward_id: r.try_get("ward_id")?,
            body: r.try_get("body")?,
            sharing: r.try_get("sharing")?,
            cycle_years: r.try_get("cycle_years")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let goals = rows(
        db,
        "SELECT g.vision_id, g.scene, g.goal FROM vision_goals g JOIN visions v ON v.id = g.vision_id \
         WHERE v.municipality_id = $1 AND (v.ward_id IS NULL OR v.ward_id = $2) AND v.plan_period = $3",
        &[m, w],
        Some(&code),
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let indicators = rows(
        db,
        "SELECT id, name, level, unit, direction, baseline_value, baseline_period, \
         target_value, target_period FROM indicators WHERE municipality_id = $1",
        &[m],
        None,
    )
    .await?
    .iter()
    .map(|r| {
        Ok(IndicatorRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            level: r.try_get("level")?,
            unit: r.try_get("unit")?,
            direction: r.try_get("direction")?,
            baseline_value: r.try_get("baseline_value")?,
            baseline_period: r.try_get("baseline_period")?,
            target_value: r.try_get("target_value")?,
            target_period: r.try_get("target_period")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let indicator_scenes = rows(
        db,
        "SELECT s.indicator_id, s.scene FROM indicator_scenes s \
         JOIN indicators i ON i.id = s.indicator_id WHERE i.municipality_id = $1",
        &[m],
        None,
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    // Only each indicator's latest value, chosen by the indicators' one rule.
    let mut values: Vec<ValueRow> = crate::indicators::store::ward_latest(db, m, w)
        .await?
        .into_values()
        .map(|l| ValueRow {
            indicator_id: l.indicator_id,
            ward_id: (!l.city_wide).then_some(w),
            period: l.period,
            value: l.value,
        })
        .collect();
    values.sort_by_key(|v| v.indicator_id);

    let countermeasures = rows(
        db,
        "SELECT c.id, c.title, c.topic, c.stage, m.name AS owner_name, c.evaluation_due_on, \
         COALESCE(c.verdict, (SELECT e.verdict FROM countermeasure_events e \
          WHERE e.countermeasure_id = c.id AND e.verdict IS NOT NULL ORDER BY e.id DESC LIMIT 1)) AS verdict, \
         c.cycle FROM countermeasures c LEFT JOIN members m ON m.id = c.owner_member_id \
         WHERE c.ward_id = $1 AND c.archived = 0",
        &[w],
        None,
    )
    .await?
    .iter()
    .map(|r| {
        Ok(CountermeasureRow {
            id: r.try_get("id")?,
            title: r.try_get("title")?,
            topic: r.try_get("topic")?,
            stage: r.try_get("stage")?,
            owner_name: r.try_get("owner_name")?,
            evaluation_due_on: r.try_get("evaluation_due_on")?,
            verdict: r.try_get("verdict")?,
            cycle: r.try_get("cycle")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let countermeasure_scenes = rows(
        db,
        "SELECT s.countermeasure_id, s.scene FROM countermeasure_scenes s \
         JOIN countermeasures c ON c.id = s.countermeasure_id WHERE c.ward_id = $1 AND c.archived = 0",
        &[w],
        None,
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let countermeasure_indicators = rows(
        db,
        "SELECT l.countermeasure_id, l.indicator_id FROM countermeasure_indicators l \
         JOIN countermeasures c ON c.id = l.countermeasure_id WHERE c.ward_id = $1 AND c.archived = 0",
        &[w],
        None,
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let heading = Heading {
        ward_id: w,
        ward_name: ward.name,
        municipality_id: m,
        municipality_name: ward.municipality_name,
        plan_period,
    };
    Ok(assemble(
        heading,
        Rows {
            scenes: scenes.names().map(str::to_string).collect(),
            visions,
            goals,
            indicators,
            indicator_scenes,
            values,
            countermeasures,
            countermeasure_scenes,
            countermeasure_indicators,
        },
    ))
}
