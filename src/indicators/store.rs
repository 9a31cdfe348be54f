//! Indicators and their values (tables `indicators`, `indicator_values`,
//! migration 0020).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    CITY_WIDE, DataSource, Direction, Frequency, Indicator, IndicatorPatch, LatestValue, Level,
    MeasuredValue, NewIndicator, Point, ValueEntry, period_order,
};
use crate::access::{CityOf, IndicatorRead, IndicatorWrite, PlanRead, Visible};
use crate::audit;
use crate::calendar::Span;
use crate::db::{Bind, Db, Tx, bind_all, placeholders, timestamp};
use crate::error::{AppError, AppResult, FieldError, unique_violation};

/// How many ids one `IN (…)` list binds, as `countermeasures::store`'s
/// batches do.
const IDS_PER_QUERY: usize = 500;

/// The ids among `ids` that are indicators of municipality
/// `municipality_id`, in `ids`' order (a repeated id as often as it is
/// given; a countermeasure links only its own municipality's).
pub async fn of_municipality_in(
    tx: &mut Tx,
    municipality_id: i64,
    ids: &[i64],
) -> AppResult<Vec<i64>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let binds: Vec<Bind> = std::iter::once(municipality_id)
            .chain(chunk.iter().copied())
            .map(Bind::Int)
            .collect();
        let sql = format!(
            "SELECT id FROM indicators WHERE municipality_id = $1 AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_all(&mut **tx)
            .await?;
        for r in &rows {
            found.insert(r.try_get::<i64, _>(0)?);
        }
    }
    Ok(ids
        .iter()
        .copied()
        .filter(|id| found.contains(id))
        .collect())
}

/// The candidates for [`super::latest_per_indicator`]: the values of ward
/// `binds[0]` and the municipality's as a whole, of the indicators
/// `filter` (a condition on `i` / `v` whose placeholders start at `$2`)
/// selects, with each indicator's name and unit.
async fn latest_candidates(
    conn: &mut AnyConnection,
    filter: &str,
    binds: &[Bind],
    into: &mut HashMap<i64, LatestValue>,
) -> AppResult<()> {
    let sql = format!(
        "SELECT v.indicator_id, i.name, i.unit, v.period, v.value, v.ward_id \
         FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id \
         WHERE (v.ward_id = $1 OR v.ward_id IS NULL) AND {filter}"
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(&mut *conn)
        .await?;
    let candidates = rows
        .iter()
        .map(|r| {
            Ok(LatestValue {
                indicator_id: r.try_get("indicator_id")?,
                name: r.try_get("name")?,
                unit: r.try_get("unit")?,
                period: r.try_get("period")?,
                value: r.try_get("value")?,
                city_wide: r.try_get::<Option<i64>, _>("ward_id")?.is_none(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // An indicator's values all come in one query, so the rule sees them all.
    into.extend(super::latest_per_indicator(candidates));
    Ok(())
}

/// The latest value of each of `indicator_ids` for ward `ward_id`, in
/// `indicator_ids`' order — the ward's own when it has one, else the
/// municipality's as a whole; none when neither was measured. "Latest" as
/// [`super::latest_per_indicator`] says: the greatest period by its start,
/// a half-year beating the fiscal year it starts.
pub async fn latest_in(
    tx: &mut Tx,
    ward_id: i64,
    indicator_ids: &[i64],
) -> AppResult<Vec<LatestValue>> {
    let mut latest = HashMap::new();
    for chunk in indicator_ids.chunks(IDS_PER_QUERY) {
        let binds: Vec<Bind> = std::iter::once(ward_id)
            .chain(chunk.iter().copied())
            .map(Bind::Int)
            .collect();
        let filter = format!("v.indicator_id IN ({})", placeholders(2, chunk.len()));
        latest_candidates(tx, &filter, &binds, &mut latest).await?;
    }
    Ok(indicator_ids
        .iter()
        .filter_map(|id| latest.get(id).cloned())
        .collect())
}

/// The latest value for ward `ward_id` of every indicator of municipality
/// `municipality_id` that has one, by indicator id; chosen as
/// [`latest_in`] chooses (the PDCA sheet's 最新値).
pub(crate) async fn ward_latest(
    db: &Db,
    municipality_id: i64,
    ward_id: i64,
) -> AppResult<HashMap<i64, LatestValue>> {
    let mut conn = db.pool.acquire().await?;
    let mut latest = HashMap::new();
    latest_candidates(
        &mut conn,
        "v.municipality_id = $2",
        &[Bind::Int(ward_id), Bind::Int(municipality_id)],
        &mut latest,
    )
    .await?;
    Ok(latest)
}

const SELECT: &str = "SELECT id, municipality_id, name, level, unit, definition, data_source, direction, \
     baseline_value, baseline_period, target_value, target_period, frequency FROM indicators";

const DUPLICATE: &str = "同じ名前の評価指標がすでにあります";

fn point(value: Option<String>, period: Option<String>) -> Option<Point> {
    let (value, period) = (value?, period?);
    let period_label = Span::parse(&period).map_or_else(|_| period.clone(), Span::label);
    Some(Point {
        value,
        period,
        period_label,
    })
}

fn from_row(row: &AnyRow) -> Result<Indicator, sqlx::Error> {
    let level: String = row.try_get("level")?;
    let source: String = row.try_get("data_source")?;
    let direction: String = row.try_get("direction")?;
    let frequency: String = row.try_get("frequency")?;
    Ok(Indicator {
        id: row.try_get("id")?,
        municipality_id: row.try_get("municipality_id")?,
        name: row.try_get("name")?,
        level: Level::parse(&level).unwrap_or(Level::Process),
        unit: row.try_get("unit")?,
        definition: row.try_get("definition")?,
        data_source: DataSource::parse(&source).unwrap_or(DataSource::Other),
        direction: Direction::parse(&direction).unwrap_or(Direction::Up),
        baseline: point(
            row.try_get("baseline_value")?,
            row.try_get("baseline_period")?,
        ),
        target: point(row.try_get("target_value")?, row.try_get("target_period")?),
        frequency: Frequency::parse(&frequency).unwrap_or(Frequency::FiscalYear),
        scenes: Vec::new(),
    })
}

/// Fills the scenes of `list`, indicators of municipality
/// `municipality_id`, in one query (one indicator's, else the
/// municipality's): each in the municipality's scene order, a scene no
/// longer listed last.
async fn attach_scenes(tx: &mut Tx, municipality_id: i64, list: &mut [Indicator]) -> AppResult<()> {
    let (filter, id) = match list {
        [] => return Ok(()),
        [one] => ("s.indicator_id = $1", one.id),
        _ => ("i.municipality_id = $1", municipality_id),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT s.indicator_id, s.scene FROM indicator_scenes s \
         JOIN indicators i ON i.id = s.indicator_id WHERE {filter} ORDER BY s.indicator_id, s.scene"
    )))
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    for r in &rows {
        names
            .entry(r.try_get("indicator_id")?)
            .or_default()
            .push(r.try_get("scene")?);
    }
    let scenes = crate::scenes::store::list_in(tx, municipality_id).await?;
    for ind in list.iter_mut() {
        let own = names.remove(&ind.id).unwrap_or_default();
        let mut ordered: Vec<String> = scenes
            .names()
            .filter(|n| own.iter().any(|x| x == n))
            .map(str::to_string)
            .collect();
        ordered.extend(own.into_iter().filter(|n| !scenes.contains(n)));
        ind.scenes = ordered;
    }
    Ok(())
}

fn audit_view(ind: &Indicator) -> serde_json::Value {
    json!({
        "name": ind.name,
        "level": ind.level.as_str(),
        "unit": ind.unit,
        "definition": ind.definition,
        "data_source": ind.data_source.as_str(),
        "direction": ind.direction.as_str(),
        "baseline": ind.baseline.as_ref().map(|p| json!({"value": p.value, "period": p.period})),
        "target": ind.target.as_ref().map(|p| json!({"value": p.value, "period": p.period})),
        "frequency": ind.frequency.as_str(),
        "scenes": ind.scenes,
    })
}

/// The municipality's indicators, by level (the logic model's order), then
/// name.
pub async fn list(db: &Db, plan: PlanRead) -> AppResult<Vec<Indicator>> {
    let mut tx = db.pool.begin().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE municipality_id = $1 ORDER BY name, id"
    )))
    .bind(plan.municipality_id())
    .fetch_all(&mut *tx)
    .await?;
    let mut out = rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    attach_scenes(&mut tx, plan.municipality_id(), &mut out).await?;
    tx.commit().await?;
    out.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

async fn get_in(tx: &mut Tx, id: i64) -> AppResult<Indicator> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound("評価指標"))?;
    let mut ind = from_row(&row)?;
    let m = ind.municipality_id;
    attach_scenes(tx, m, std::slice::from_mut(&mut ind)).await?;
    Ok(ind)
}

/// The indicator `read` names.
pub async fn get(db: &Db, read: &IndicatorRead) -> AppResult<Indicator> {
    let mut tx = db.pool.begin().await?;
    let ind = get_in(&mut tx, read.id()).await?;
    tx.commit().await?;
    Ok(ind)
}

async fn write_scenes(tx: &mut Tx, id: i64, scenes: &[String]) -> AppResult<()> {
    sqlx::query("DELETE FROM indicator_scenes WHERE indicator_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for s in scenes {
        sqlx::query("INSERT INTO indicator_scenes (indicator_id, scene) VALUES ($1, $2)")
            .bind(id)
            .bind(s.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Adds an indicator to the municipality, audited. Errors: 422 per field,
/// 409 for a name it already has.
pub async fn create(
    db: &Db,
    city: &CityOf,
    new: &NewIndicator,
    now: DateTime<Utc>,
) -> AppResult<Indicator> {
    let m = city.municipality_id();
    let mut tx = db.begin_write().await?;
    let scenes = crate::scenes::store::list_in(&mut tx, m).await?;
    let ind = new.to_indicator(m, &scenes)?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM indicators WHERE municipality_id = $1 AND name = $2",
    )
    .bind(m)
    .bind(ind.name.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Err(AppError::Conflict(DUPLICATE.into()));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO indicators (municipality_id, name, level, unit, definition, data_source, direction, \
         baseline_value, baseline_period, target_value, target_period, frequency, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(m)
    .bind(ind.name.as_str())
    .bind(ind.level.as_str())
    .bind(ind.unit.as_str())
    .bind(ind.definition.as_str())
    .bind(ind.data_source.as_str())
    .bind(ind.direction.as_str())
    .bind(ind.baseline.as_ref().map(|p| p.value.clone()))
    .bind(ind.baseline.as_ref().map(|p| p.period.clone()))
    .bind(ind.target.as_ref().map(|p| p.value.clone()))
    .bind(ind.target.as_ref().map(|p| p.period.clone()))
    .bind(ind.frequency.as_str())
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(unique_violation(DUPLICATE))?;
    write_scenes(&mut tx, id, &ind.scenes).await?;
    let entry = audit::Entry {
        ward_id: None,
        municipality_id: Some(m),
        entity: "indicator",
        entity_id: id,
        action: "create",
        actor: None,
        changes: audit_view(&ind),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(Indicator { id, ..ind })
}

/// Changes an indicator (absent fields stay), audited with before and
/// after. Errors: 422 per field; 409 for a name the municipality already
/// has, or a frequency its recorded values are not of.
pub async fn update(
    db: &Db,
    scope: &IndicatorWrite,
    patch: &IndicatorPatch,
    now: DateTime<Utc>,
) -> AppResult<Indicator> {
    let id = scope.id();
    let m = scope.municipality_id();
    let mut tx = db.begin_write().await?;
    let before = get_in(&mut tx, id).await?;
    let scenes = crate::scenes::store::list_in(&mut tx, m).await?;
    let after = before.patched(patch, &scenes)?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM indicators WHERE municipality_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(m)
    .bind(after.name.as_str())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Err(AppError::Conflict(DUPLICATE.into()));
    }
    if after.frequency != before.frequency {
        let periods: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT period FROM indicator_values WHERE indicator_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let misfit = periods
            .iter()
            .filter_map(|p| Span::parse(p).ok())
            .any(|s| !after.frequency.fits(s));
        if misfit {
            return Err(AppError::Conflict(format!(
                "{}の値が記録されているため、測定頻度を「{}」に変えられません",
                before.frequency.as_str(),
                after.frequency.as_str()
            )));
        }
    }
    sqlx::query(
        "UPDATE indicators SET name = $1, level = $2, unit = $3, definition = $4, data_source = $5, \
         direction = $6, baseline_value = $7, baseline_period = $8, target_value = $9, target_period = $10, \
         frequency = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(after.name.as_str())
    .bind(after.level.as_str())
    .bind(after.unit.as_str())
    .bind(after.definition.as_str())
    .bind(after.data_source.as_str())
    .bind(after.direction.as_str())
    .bind(after.baseline.as_ref().map(|p| p.value.clone()))
    .bind(after.baseline.as_ref().map(|p| p.period.clone()))
    .bind(after.target.as_ref().map(|p| p.value.clone()))
    .bind(after.target.as_ref().map(|p| p.period.clone()))
    .bind(after.frequency.as_str())
    .bind(timestamp(now))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(unique_violation(DUPLICATE))?;
    write_scenes(&mut tx, id, &after.scenes).await?;
    let (b, a) = (audit_view(&before), audit_view(&after));
    let mut changes = serde_json::Map::new();
    if let (Some(bo), Some(ao)) = (b.as_object(), a.as_object()) {
        for (k, av) in ao {
            let bv = bo.get(k).cloned().unwrap_or(serde_json::Value::Null);
            if &bv != av {
                changes.insert(k.clone(), json!({"before": bv, "after": av}));
            }
        }
    }
    let entry = audit::Entry {
        ward_id: None,
        municipality_id: Some(m),
        entity: "indicator",
        entity_id: id,
        action: "update",
        actor: None,
        changes: serde_json::Value::Object(changes),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(after)
}

const VALUES: &str = "SELECT v.id, v.indicator_id, v.ward_id, w.name AS ward_name, v.period, v.value, \
     v.recorded_by, v.recorded_at, COALESCE(w.sort_order, 0) AS ward_order \
     FROM indicator_values v LEFT JOIN wards w ON w.id = v.ward_id";

fn value_row(row: &AnyRow) -> Result<MeasuredValue, sqlx::Error> {
    let period: String = row.try_get("period")?;
    let ward_name: Option<String> = row.try_get("ward_name")?;
    Ok(MeasuredValue {
        id: row.try_get("id")?,
        indicator_id: row.try_get("indicator_id")?,
        ward_id: row.try_get("ward_id")?,
        ward_name: ward_name.unwrap_or_else(|| CITY_WIDE.to_string()),
        period_label: Span::parse(&period).map_or_else(|_| period.clone(), Span::label),
        period,
        value: row.try_get("value")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// Values in the export's order: 市全体 first, then wards by their order,
/// each by period start (a fiscal year before its half-years).
fn sorted(mut list: Vec<(i64, MeasuredValue)>) -> Vec<MeasuredValue> {
    list.sort_by(|(ao, a), (bo, b)| {
        (
            a.indicator_id,
            a.ward_id.is_some(),
            *ao,
            a.ward_id,
            period_order(&a.period),
        )
            .cmp(&(
                b.indicator_id,
                b.ward_id.is_some(),
                *bo,
                b.ward_id,
                period_order(&b.period),
            ))
    });
    list.into_iter().map(|(_, v)| v).collect()
}

async fn fetch_values(
    db: &Db,
    filter: &'static str,
    id: i64,
    visible: Visible,
) -> AppResult<Vec<MeasuredValue>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{VALUES} WHERE {filter} = $1 AND (v.ward_id IS NULL OR $2 < 0 OR v.ward_id = $2)"
    )))
    .bind(id)
    .bind(visible.ward_id().unwrap_or(-1))
    .fetch_all(&db.pool)
    .await?;
    let list = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>("ward_order")?, value_row(r)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(sorted(list))
}

/// The indicator's values that `visible` shows: every ward's for the city
/// and `admin`, a ward's accounts their own ward's and the municipality's
/// as a whole. Order: 市全体, then wards by their order, then period.
pub async fn values(
    db: &Db,
    read: &IndicatorRead,
    visible: Visible,
) -> AppResult<Vec<MeasuredValue>> {
    fetch_values(db, "v.indicator_id", read.id(), visible).await
}

/// Every value of the municipality's indicators `visible` shows (the CSV
/// export), ordered as [`values`] per indicator.
pub async fn municipality_values(
    db: &Db,
    plan: PlanRead,
    visible: Visible,
) -> AppResult<Vec<MeasuredValue>> {
    fetch_values(db, "v.municipality_id", plan.municipality_id(), visible).await
}

/// The municipality's wards (id, name), in their order: for reading a
/// CSV's 区 column and the value form's choices.
pub async fn wards(db: &Db, plan: PlanRead) -> AppResult<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, name FROM wards WHERE municipality_id = $1 ORDER BY sort_order, id",
    )
    .bind(plan.municipality_id())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Records `entries` in one transaction: a new (indicator, ward, period)
/// is added, an existing one replaced (its value, who and when), each
/// audited (`indicator_value`, `create` or `update` with the value before
/// and after); an unchanged value is left as it is. Returns the rows' ids
/// in `entries`' order. Errors: 422 when two entries name the same
/// indicator, ward and period (nothing is written).
pub async fn put_values(
    db: &Db,
    entries: &[ValueEntry],
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    for (i, e) in entries.iter().enumerate() {
        if let Some(first) = entries[..i].iter().find(|f| {
            f.indicator_id() == e.indicator_id()
                && f.ward_id() == e.ward_id()
                && f.span() == e.span()
        }) {
            return Err(AppError::Invalid(vec![FieldError::new(
                e.place(),
                format!("{}と同じ区・期間の値です。1つにしてください", first.place()),
            )]));
        }
    }
    let actor = audit::current_actor();
    let mut tx = db.begin_write().await?;
    let mut ids = Vec::with_capacity(entries.len());
    for e in entries {
        let period = e.span().code();
        let existing = sqlx::query(
            "SELECT id, value FROM indicator_values WHERE indicator_id = $1 AND period = $2 \
             AND ((ward_id IS NULL AND $3 < 0) OR ward_id = $3)",
        )
        .bind(e.indicator_id())
        .bind(period.as_str())
        .bind(e.ward_id().unwrap_or(-1))
        .fetch_optional(&mut *tx)
        .await?;
        let (id, action, changes) = match existing {
            Some(row) => {
                let id: i64 = row.try_get(0)?;
                let before: String = row.try_get(1)?;
                if before == e.value() {
                    ids.push(id);
                    continue;
                }
                sqlx::query(
                    "UPDATE indicator_values SET value = $1, recorded_by = $2, recorded_at = $3 WHERE id = $4",
                )
                .bind(e.value())
                .bind(actor.clone())
                .bind(timestamp(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                (
                    id,
                    "update",
                    json!({
                        "indicator_id": e.indicator_id(),
                        "period": period,
                        "value": {"before": before, "after": e.value()},
                    }),
                )
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO indicator_values (indicator_id, municipality_id, ward_id, period, value, \
                     recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(e.indicator_id())
                .bind(e.municipality_id())
                .bind(e.ward_id())
                .bind(period.as_str())
                .bind(e.value())
                .bind(actor.clone())
                .bind(timestamp(now))
                .fetch_one(&mut *tx)
                .await?;
                (
                    id,
                    "create",
                    json!({"indicator_id": e.indicator_id(), "period": period, "value": e.value()}),
                )
            }
        };
        let entry = audit::Entry {
            ward_id: e.ward_id(),
            municipality_id: Some(e.municipality_id()),
            entity: "indicator_value",
            entity_id: id,
            action,
            actor: None,
            changes,
        };
        audit::store::record(&mut tx, entry, now).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The municipality's name, for the pages' titles (empty if it is gone).
pub async fn municipality_name(db: &Db, plan: PlanRead) -> AppResult<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM municipalities WHERE id = $1")
        .bind(plan.municipality_id())
        .fetch_optional(&db.pool)
        .await?;
    Ok(name.unwrap_or_default())
}
