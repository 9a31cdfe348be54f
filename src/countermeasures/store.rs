//! SQL for countermeasures and their history. `store.rs` is SQL, row
//! mapping and the transaction of one use case; a store may call another
//! concept's `*_in(tx, …)` store functions so a use case writes in one
//! transaction; rules (what a value must be, what a change implies) are
//! pure functions in `mod.rs` that stores call.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::cache::{Key, ListCache};
use super::{
    Countermeasure, CountermeasurePatch, EventKind, NewCountermeasure, NextCycleRequest, Stage,
    Step, TransitionRequest, Verdict, VerdictRule, changes_reminder_plan, is_overdue, named_actor,
    plan_next_cycle, plan_transition_with,
};
use crate::access::{
    CountermeasureRead, CountermeasureStep, CountermeasureWrite, MeetingRead, PlanRead, WardRead,
    WardWrite,
};
use crate::audit;
use crate::calendar;
use crate::db::{Bind, Db, Dialect, Filter, Tx, bind_all, parse_date, placeholders, timestamp};
use crate::error::{AppError, AppResult};
use crate::paging::{Page, Paging};

const COLUMNS: &str = "id, ward_id, topic, title, issue, plan, owner_member_id, evaluation_due_on, \
    meeting_id, stage, evaluation, improvement, verdict, verdict_reason, cycle, archived";

fn stage_of(column: &str, value: &str) -> Result<Stage, sqlx::Error> {
    Stage::parse(value).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown stage {value:?}").into(),
    })
}

/// A countermeasure row as stored: the columns of [`COLUMNS`] and, when
/// read with the list's one-statement page, its links and owner name. Read
/// from an `AnyRow` ([`Stored::from_row`]) or from the page's JSON
/// ([`page_sql`]); [`Stored::into_countermeasure`] is the one mapping.
#[derive(Debug, serde::Deserialize)]
struct Stored {
    id: i64,
    ward_id: i64,
    topic: i64,
    title: String,
    issue: String,
    plan: String,
    owner_member_id: Option<i64>,
    evaluation_due_on: Option<String>,
    meeting_id: Option<i64>,
    stage: String,
    evaluation: Option<String>,
    improvement: Option<String>,
    verdict: Option<String>,
    verdict_reason: Option<String>,
    cycle: i64,
    /// 0 or 1.
    archived: i64,
    /// `[sort_order, scene id, name]` per linked scene (0s for a name
    /// outside the municipality's list); see [`scene_order`].
    #[serde(default)]
    scenes: Vec<(i64, i64, String)>,
    #[serde(default)]
    indicator_ids: Vec<i64>,
    #[serde(default)]
    owner_name: Option<String>,
}

impl Stored {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Stored {
            id: row.try_get("id")?,
            ward_id: row.try_get("ward_id")?,
            topic: row.try_get("topic")?,
            title: row.try_get("title")?,
            issue: row.try_get("issue")?,
            plan: row.try_get("plan")?,
            owner_member_id: row.try_get("owner_member_id")?,
            evaluation_due_on: row.try_get("evaluation_due_on")?,
            meeting_id: row.try_get("meeting_id")?,
            stage: row.try_get("stage")?,
            evaluation: row.try_get("evaluation")?,
            improvement: row.try_get("improvement")?,
            verdict: row.try_get("verdict")?,
            verdict_reason: row.try_get("verdict_reason")?,
            cycle: row.try_get("cycle")?,
            archived: row.try_get("archived")?,
            scenes: Vec::new(),
            indicator_ids: Vec::new(),
            owner_name: None,
        })
    }

    fn into_countermeasure(self, today: NaiveDate) -> Result<Countermeasure, sqlx::Error> {
        let stage = stage_of("stage", &self.stage)?;
        let due = self
            .evaluation_due_on
            .map(|d| parse_date("evaluation_due_on", &d))
            .transpose()?;
        let archived = self.archived != 0;
        let mut indicator_ids = self.indicator_ids;
        indicator_ids.sort_unstable();
        Ok(Countermeasure {
            id: self.id,
            ward_id: self.ward_id,
            topic: self.topic,
            scenes: scene_order(self.scenes),
            indicator_ids,
            title: self.title,
            issue: self.issue,
            plan: self.plan,
            owner_member_id: self.owner_member_id,
            evaluation_due_on: due,
            meeting_id: self.meeting_id,
            stage,
            evaluation: self.evaluation,
            improvement: self.improvement,
            verdict: self.verdict.as_deref().and_then(Verdict::parse),
            verdict_reason: self.verdict_reason,
            cycle: self.cycle,
            archived,
            overdue: is_overdue(stage, archived, due, today),
        })
    }
}

/// A row without its links (filled by `attach_links`).
fn from_row(row: &AnyRow, today: NaiveDate) -> Result<Countermeasure, sqlx::Error> {
    Stored::from_row(row)?.into_countermeasure(today)
}

/// Scene names in their municipality's order: the national four first, then
/// its own by `sort_order`, then by id. Takes `(sort_order, scene id, name)`.
fn scene_order(scenes: Vec<(i64, i64, String)>) -> Vec<String> {
    let mut keyed: Vec<(usize, i64, i64, String)> = scenes
        .into_iter()
        .map(|(sort_order, id, name)| {
            let national = crate::scenes::NATIONAL
                .iter()
                .position(|n| *n == name)
                .unwrap_or(crate::scenes::NATIONAL.len());
            (national, sort_order, id, name)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, _, name)| name).collect()
}

fn audit_view(c: &Countermeasure) -> serde_json::Value {
    json!({
        "topic": c.topic,
        "scenes": c.scenes,
        "indicator_ids": c.indicator_ids,
        "title": c.title,
        "issue": c.issue,
        "plan": c.plan,
        "owner_member_id": c.owner_member_id,
        "evaluation_due_on": c.evaluation_due_on.map(|d| d.to_string()),
        "meeting_id": c.meeting_id,
        "stage": c.stage.as_str(),
        "evaluation": c.evaluation,
        "improvement": c.improvement,
        "verdict": c.verdict.map(Verdict::as_str),
        "verdict_reason": c.verdict_reason,
        "cycle": c.cycle,
        "archived": c.archived,
    })
}

/// Fills the scenes and linked indicators of `list` (read by id, in
/// batches): scenes in their municipality's order (the national four, then
/// its own by their order), indicators by id.
async fn attach_links(
    conn: &mut sqlx::AnyConnection,
    list: &mut [Countermeasure],
) -> AppResult<()> {
    for chunk in list.chunks_mut(500) {
        let binds: Vec<Bind> = chunk.iter().map(|c| Bind::Int(c.id)).collect();
        let placeholders = placeholders(1, binds.len());
        let sql = format!(
            "SELECT cs.countermeasure_id, cs.scene, COALESCE(s.sort_order, 0) AS sort_order, \
             COALESCE(s.id, 0) AS scene_id FROM countermeasure_scenes cs \
             JOIN countermeasures c ON c.id = cs.countermeasure_id JOIN wards w ON w.id = c.ward_id \
             LEFT JOIN scenes s ON s.municipality_id = w.municipality_id AND s.name = cs.scene \
             WHERE cs.countermeasure_id IN ({placeholders})"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_all(&mut *conn)
            .await?;
        let mut scenes: HashMap<i64, Vec<(i64, i64, String)>> = HashMap::new();
        for r in &rows {
            scenes
                .entry(r.try_get("countermeasure_id")?)
                .or_default()
                .push((
                    r.try_get("sort_order")?,
                    r.try_get("scene_id")?,
                    r.try_get("scene")?,
                ));
        }
        let sql = format!(
            "SELECT countermeasure_id, indicator_id FROM countermeasure_indicators \
             WHERE countermeasure_id IN ({placeholders}) ORDER BY indicator_id"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_all(&mut *conn)
            .await?;
        let mut indicators: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in &rows {
            indicators
                .entry(r.try_get("countermeasure_id")?)
                .or_default()
                .push(r.try_get("indicator_id")?);
        }
        for c in chunk.iter_mut() {
            c.scenes = scene_order(scenes.remove(&c.id).unwrap_or_default());
            c.indicator_ids = indicators.remove(&c.id).unwrap_or_default();
        }
    }
    Ok(())
}

/// The municipality of ward `ward_id`.
async fn municipality_of(tx: &mut Tx, ward_id: i64) -> AppResult<i64> {
    sqlx::query_scalar("SELECT municipality_id FROM wards WHERE id = $1")
        .bind(ward_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound("区"))
}

/// Checks the scenes and indicators `cm` names against its municipality's
/// (422 naming the unknown scene or the foreign indicator id) and keeps the
/// scene names as the municipality's list orders them.
async fn resolve_links(tx: &mut Tx, cm: &mut Countermeasure) -> AppResult<()> {
    let municipality = municipality_of(tx, cm.ward_id).await?;
    let scenes = crate::scenes::store::list_in(tx, municipality).await?;
    cm.scenes = scenes
        .resolve("scenes", &cm.scenes)
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if !cm.indicator_ids.is_empty() {
        let found =
            crate::indicators::store::of_municipality_in(tx, municipality, &cm.indicator_ids)
                .await?;
        if let Some(bad) = cm.indicator_ids.iter().find(|id| !found.contains(id)) {
            return Err(AppError::invalid(
                "indicator_ids",
                format!("評価指標(ID {bad})はこの自治体の評価指標ではありません"),
            ));
        }
    }
    Ok(())
}

/// Replaces the stored scenes and indicator links of `cm` with its own.
async fn write_links(tx: &mut Tx, cm: &Countermeasure) -> AppResult<()> {
    sqlx::query("DELETE FROM countermeasure_scenes WHERE countermeasure_id = $1")
        .bind(cm.id)
        .execute(&mut **tx)
        .await?;
    for scene in &cm.scenes {
        sqlx::query("INSERT INTO countermeasure_scenes (countermeasure_id, scene) VALUES ($1, $2)")
            .bind(cm.id)
            .bind(scene.as_str())
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM countermeasure_indicators WHERE countermeasure_id = $1")
        .bind(cm.id)
        .execute(&mut **tx)
        .await?;
    for id in &cm.indicator_ids {
        sqlx::query(
            "INSERT INTO countermeasure_indicators (countermeasure_id, indicator_id) VALUES ($1, $2)",
        )
        .bind(cm.id)
        .bind(*id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The latest values of the indicators `cm` links for its ward, as JSON
/// for the history row of an evaluation (`[]` when it links none).
async fn indicator_snapshot(tx: &mut Tx, cm: &Countermeasure) -> AppResult<String> {
    let values = crate::indicators::store::latest_in(tx, cm.ward_id, &cm.indicator_ids).await?;
    Ok(serde_json::to_string(&values).map_err(anyhow::Error::from)?)
}

use super::{DUE_BY_SQL, NOT_OVERDUE_SQL, OVERDUE_SQL};

pub use super::{CountermeasureQuery, Listed};

/// A ward's countermeasures by topic, filtered and paged.
pub async fn list(
    db: &Db,
    ward: &WardRead,
    query: CountermeasureQuery,
    today: NaiveDate,
    paging: Paging,
) -> AppResult<Page<Countermeasure>> {
    let page = list_rows(db, ward, query, today, paging, false).await?;
    Ok(Page {
        items: page.items.into_iter().map(|l| l.cm).collect(),
        total: page.total,
        paging: page.paging,
    })
}

/// One page of a ward's list as the list faces print it: each row with
/// its owner's name (joined to the page's rows only, never the ward's
/// roster), served from `cache` while the ward's data version has not
/// moved since the page was read ([`ListCache`]). Errors: `NotFound` for
/// no such ward.
pub async fn list_page(
    db: &Db,
    cache: &ListCache,
    ward: &WardRead,
    query: CountermeasureQuery,
    today: NaiveDate,
    paging: Paging,
) -> AppResult<Arc<Page<Listed>>> {
    // The version first, then the rows: rows read after it are at least as
    // new as it, so what is remembered under it is never older.
    let data_version: i64 = sqlx::query_scalar("SELECT data_version FROM wards WHERE id = $1")
        .bind(ward.ward_id())
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("区"))?;
    let key = Key::new(ward.ward_id(), data_version, today, query, paging);
    if let Some(page) = cache.get(&key) {
        return Ok(page);
    }
    let page = Arc::new(list_rows(db, ward, query, today, paging, true).await?);
    cache.insert(key, page.clone());
    Ok(page)
}

async fn list_rows(
    db: &Db,
    ward: &WardRead,
    query: CountermeasureQuery,
    today: NaiveDate,
    paging: Paging,
    owners: bool,
) -> AppResult<Page<Listed>> {
    let ward_id = ward.ward_id();
    let mut filter = Filter::default();
    // `$1`: the count below reuses it.
    filter.and("ward_id = ?", [Bind::Int(ward_id)]);
    if !query.include_archived {
        filter.and(
            "archived = ?",
            [Bind::Int(i64::from(query.archived.unwrap_or(false)))],
        );
    }
    if let Some(stage) = query.stage {
        filter.and("stage = ?", [Bind::Text(stage.as_str().into())]);
    }
    if let Some(topic) = query.topic {
        filter.and("topic = ?", [Bind::Int(topic)]);
    }
    match query.overdue {
        Some(true) => {
            filter.and(OVERDUE_SQL, [Bind::Text(today.to_string())]);
        }
        Some(false) => {
            filter.and(NOT_OVERDUE_SQL, [Bind::Text(today.to_string())]);
        }
        None => {}
    }
    // The filter's binds, then limit and offset.
    let mut binds = filter.binds().to_vec();
    binds.push(Bind::Int(paging.limit));
    binds.push(Bind::Int(paging.offset));
    match db.dialect {
        Dialect::Sqlite => page_as_one_row(db, &filter, &binds, today, paging, owners).await,
        Dialect::Postgres => page_by_rows(db, &filter, &binds, today, paging, owners).await,
    }
}

/// [`list_rows`] on SQLite: one statement, one row ([`page_sql`]).
async fn page_as_one_row(
    db: &Db,
    filter: &Filter,
    binds: &[Bind],
    today: NaiveDate,
    paging: Paging,
    owners: bool,
) -> AppResult<Page<Listed>> {
    let sql = page_sql(&filter.where_sql(), filter.next_placeholder(), owners);
    // One row, or none when there is no such ward.
    let row = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("区"))?;
    let total: i64 = row.try_get("total")?;
    let page: String = row.try_get("page")?;
    let mut stored: Vec<Stored> =
        serde_json::from_str(&page).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    // An aggregate keeps no promised order: the page's order is set here.
    stored.sort_by_key(|s| (s.topic, s.id));
    let items = stored
        .into_iter()
        .map(|mut s| {
            let owner_name = s.owner_name.take();
            Ok(Listed {
                cm: s.into_countermeasure(today)?,
                owner_name,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// [`list_rows`] on PostgreSQL: the page's rows with the total (an
/// uncorrelated subquery, evaluated once) and the owners joined to the
/// page's rows only, then their links ([`attach_links`]). The one-row form
/// was measured slower here (BENCHMARKS.md, "List pages: every target met"):
/// PostgreSQL's driver has no per-row hand-off to save, and building the
/// JSON costs the server more than the two link statements.
async fn page_by_rows(
    db: &Db,
    filter: &Filter,
    binds: &[Bind],
    today: NaiveDate,
    paging: Paging,
    owners: bool,
) -> AppResult<Page<Listed>> {
    let n = filter.next_placeholder();
    let where_sql = filter.where_sql();
    let page_sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM countermeasures{where_sql}) AS total \
         FROM countermeasures{where_sql} ORDER BY topic, id LIMIT ${n} OFFSET ${}",
        n + 1,
    );
    let sql = if owners {
        format!(
            "SELECT p.*, m.name AS owner_name FROM ({page_sql}) p \
             LEFT JOIN members m ON m.id = p.owner_member_id ORDER BY p.topic, p.id"
        )
    } else {
        page_sql
    };
    let mut conn = db.pool.acquire().await?;
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(&mut *conn)
        .await?;
    let mut cms = rows
        .iter()
        .map(|r| from_row(r, today))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    attach_links(&mut conn, &mut cms).await?;
    let items = cms
        .into_iter()
        .zip(&rows)
        .map(|(cm, r)| {
            Ok(Listed {
                cm,
                owner_name: if owners {
                    r.try_get("owner_name")?
                } else {
                    None
                },
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let total: i64 = match rows.first() {
        Some(r) => r.try_get("total")?,
        // An empty page: past the end, nothing matches, or no such ward; the
        // count tells the last (no row) from the others.
        None => bind_all(
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT (SELECT COUNT(*) FROM countermeasures{where_sql}) AS n \
                 FROM wards WHERE id = $1",
            ))),
            filter.binds(),
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound("区"))?
        .try_get("n")?,
    };
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// The statement of one list page on SQLite: a single row of the ward
/// (none: no such ward) with `total`, the count of rows `where_sql` keeps,
/// and `page`, a JSON array of [`Stored`] rows (in no set order), the
/// `$n`-th and `$n+1`-th binds being limit and offset, each row with its
/// scenes and indicator ids and, when `owners`, its owner's name.
///
/// Why JSON: sqlx's SQLite driver hands each row from its connection
/// thread to the runtime, and the `Any` driver converts each value; the
/// page was 50 rows of 16 columns, then two more statements for the links.
/// One row of one text is one hand-off (BENCHMARKS.md, "List pages: every
/// target met"). The JSON is only the transport: it is read into typed rows,
/// and the response is written from those.
fn page_sql(where_sql: &str, n: usize, owners: bool) -> String {
    let fields = COLUMNS
        .split(", ")
        .map(|c| format!("'{c}', c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (owner_field, owner_join) = if owners {
        (
            ", 'owner_name', m.name",
            " LEFT JOIN members m ON m.id = c.owner_member_id",
        )
    } else {
        ("", "")
    };
    // `json()` embeds a nested array as JSON, not as a string.
    format!(
        "SELECT (SELECT COUNT(*) FROM countermeasures{where_sql}) AS total, \
         (SELECT json_group_array(json_object({fields}, \
         'scenes', json((SELECT json_group_array(json_array(COALESCE(s.sort_order, 0), \
         COALESCE(s.id, 0), cs.scene)) FROM countermeasure_scenes cs LEFT JOIN scenes s \
         ON s.municipality_id = w.municipality_id AND s.name = cs.scene \
         WHERE cs.countermeasure_id = c.id)), \
         'indicator_ids', json((SELECT json_group_array(ci.indicator_id) \
         FROM countermeasure_indicators ci WHERE ci.countermeasure_id = c.id)){owner_field})) \
         FROM (SELECT {COLUMNS} FROM countermeasures{where_sql} \
         ORDER BY topic, id LIMIT ${n} OFFSET ${next}) c{owner_join}) AS page \
         FROM wards w WHERE w.id = $1",
        next = n + 1,
    )
}

async fn load(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    today: NaiveDate,
) -> AppResult<Countermeasure> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM countermeasures WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("対応策"))?;
    let mut cm = [from_row(&row, today)?];
    attach_links(conn, &mut cm).await?;
    let [cm] = cm;
    Ok(cm)
}

/// The countermeasure `scope` names.
pub async fn get(
    db: &Db,
    scope: &CountermeasureRead,
    today: NaiveDate,
) -> AppResult<Countermeasure> {
    let mut conn = db.pool.acquire().await?;
    load(&mut conn, scope.id(), today).await
}

/// Owner and meeting, when given, must belong to the countermeasure's ward.
async fn check_references(tx: &mut Tx, cm: &Countermeasure) -> AppResult<()> {
    if let Some(owner) = cm.owner_member_id {
        crate::members::store::ensure_in_ward(tx, cm.ward_id, &[owner], "owner_member_id").await?;
    }
    if let Some(meeting) = cm.meeting_id {
        let ward: Option<i64> = sqlx::query_scalar("SELECT ward_id FROM meetings WHERE id = $1")
            .bind(meeting)
            .fetch_optional(&mut **tx)
            .await?;
        // Another ward's meeting answers like a missing one.
        if ward != Some(cm.ward_id) {
            return Err(AppError::invalid(
                "meeting_id",
                format!("会議(ID {meeting})はこの区の会議ではありません"),
            ));
        }
    }
    Ok(())
}

struct Event<'a> {
    kind: EventKind,
    from: Option<Stage>,
    to: Option<Stage>,
    on: NaiveDate,
    actor: Option<&'a str>,
    note: &'a str,
    evaluation: Option<&'a str>,
    improvement: Option<&'a str>,
    verdict: Option<Verdict>,
    verdict_reason: Option<&'a str>,
    /// JSON of the linked indicators' latest values (an evaluation).
    indicator_values: Option<String>,
    changes: serde_json::Value,
}

/// Writes one history row and its audit row, in the caller's transaction.
async fn record(
    tx: &mut Tx,
    cm: &Countermeasure,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    record_at_meeting(tx, cm, event, None, now).await
}

/// [`record`], naming the meeting that decided the step (if any).
async fn record_at_meeting(
    tx: &mut Tx,
    cm: &Countermeasure,
    event: Event<'_>,
    meeting_id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // The due date this row sets and the one it replaces (migration 0011):
    // a date cleared at 未具体化 and set again replaces the last one it had.
    let (due_from, due_to) = match due_set(&event.changes) {
        Some((Some(before), after)) => (Some(before), Some(after)),
        Some((None, after)) => (last_due(tx, cm.id).await?, Some(after)),
        None => (None, None),
    };
    // What reminders follow changed (migration 0013): a new reminder schedule.
    let plan_changed = changes_reminder_plan(event.to.is_some(), due_to.is_some(), &event.changes);
    let event_id: i64 = sqlx::query_scalar(
        "INSERT INTO countermeasure_events (countermeasure_id, kind, from_stage, to_stage, occurred_on, actor, note, \
         evaluation, improvement, changes, recorded_at, recorded_by_account_id, meeting_id, due_from, due_to, \
         plan_changed, verdict, verdict_reason, indicator_values) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(cm.id)
    .bind(event.kind.as_str())
    .bind(event.from.map(Stage::as_str))
    .bind(event.to.map(Stage::as_str))
    .bind(event.on.to_string())
    .bind(event.actor.map(str::to_string))
    .bind(event.note)
    .bind(event.evaluation.map(str::to_string))
    .bind(event.improvement.map(str::to_string))
    .bind(event.changes.to_string())
    .bind(timestamp(now))
    .bind(
        crate::audit::current_actor()
            .and_then(|a| a.strip_prefix("account:").and_then(|id| id.parse::<i64>().ok())),
    )
    .bind(meeting_id)
    .bind(due_from.clone())
    .bind(due_to.clone())
    .bind(i64::from(plan_changed))
    .bind(event.verdict.map(Verdict::as_str))
    .bind(event.verdict_reason.map(str::to_string))
    .bind(event.indicator_values.clone())
    .fetch_one(&mut **tx)
    .await?;
    record_round(
        tx,
        cm,
        &event,
        event_id,
        due_from.as_deref(),
        due_to.as_deref(),
    )
    .await?;
    if event.to.is_some() {
        // The latest day of a stage-setting row (a step may be back-dated).
        sqlx::query(
            "UPDATE countermeasures SET last_stage_on = $1 \
             WHERE id = $2 AND (last_stage_on IS NULL OR last_stage_on < $1)",
        )
        .bind(event.on.to_string())
        .bind(cm.id)
        .execute(&mut **tx)
        .await?;
    }
    let entry = audit::Entry {
        ward_id: Some(cm.ward_id),
        municipality_id: None,
        entity: "countermeasure",
        entity_id: cm.id,
        action: event.kind.audit_action(),
        actor: event.actor,
        changes: event.changes,
    };
    audit::store::record(tx, entry, now).await
}

/// Keeps the evaluation rounds (migration 0017, read by `crate::progress`)
/// in step with the history row `event_id` just written, in its
/// transaction: a step into 具体化 (from 未具体化, or a re-plan from
/// 評価改善) starts a round first due on the date then in force; the step
/// out of 具体化 ends the open round (evaluated when it is to 評価改善); a
/// change that moves the due date later than the one it replaced marks the
/// open round 延期あり. Archiving and anything else leave rounds alone. The
/// migration's backfill applies the same rules to older history.
async fn record_round(
    tx: &mut Tx,
    cm: &Countermeasure,
    event: &Event<'_>,
    event_id: i64,
    due_from: Option<&str>,
    due_to: Option<&str>,
) -> AppResult<()> {
    match (event.from, event.to) {
        (Some(from), Some(Stage::Planned)) if from != Stage::Planned => {
            // Planning needs a due date (the ladder's rule): none means no round to judge.
            let Some(first_due) = cm.evaluation_due_on else {
                return Ok(());
            };
            let identified_on: Option<NaiveDate> = if from == Stage::Identified {
                let day: Option<String> = sqlx::query_scalar(
                    "SELECT occurred_on FROM countermeasure_events \
                     WHERE countermeasure_id = $1 AND id < $2 AND to_stage = $3 ORDER BY id DESC LIMIT 1",
                )
                .bind(cm.id)
                .bind(event_id)
                .bind(Stage::Identified.as_str())
                .fetch_optional(&mut **tx)
                .await?;
                day.map(|d| parse_date("occurred_on", &d)).transpose()?
            } else {
                None
            };
            let planning_days = identified_on.map(|d| (event.on - d).num_days().max(0));
            sqlx::query(
                "INSERT INTO evaluation_rounds (countermeasure_id, ward_id, started_event_id, identified_on, \
                 started_on, first_due_on, postponed, planning_days) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            )
            .bind(cm.id)
            .bind(cm.ward_id)
            .bind(event_id)
            .bind(identified_on.map(|d| d.to_string()))
            .bind(event.on.to_string())
            .bind(first_due.to_string())
            .bind(planning_days)
            .execute(&mut **tx)
            .await?;
        }
        (Some(Stage::Planned), Some(to)) if to != Stage::Planned => {
            let open: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, started_on FROM evaluation_rounds WHERE countermeasure_id = $1 AND ended_on IS NULL",
            )
            .bind(cm.id)
            .fetch_optional(&mut **tx)
            .await?;
            let Some((round, started_on)) = open else {
                return Ok(());
            };
            let evaluated = to == Stage::Evaluated;
            let started_on = parse_date("started_on", &started_on)?;
            let evaluation_days = evaluated.then(|| (event.on - started_on).num_days().max(0));
            sqlx::query(
                "UPDATE evaluation_rounds SET ended_on = $1, evaluated_on = $2, evaluation_days = $3 WHERE id = $4",
            )
            .bind(event.on.to_string())
            .bind(evaluated.then(|| event.on.to_string()))
            .bind(evaluation_days)
            .bind(round)
            .execute(&mut **tx)
            .await?;
        }
        (_, None) => {
            if let (Some(from), Some(to)) = (due_from, due_to)
                && to > from
            {
                sqlx::query(
                    "UPDATE evaluation_rounds SET postponed = 1 WHERE countermeasure_id = $1 AND ended_on IS NULL",
                )
                .bind(cm.id)
                .execute(&mut **tx)
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rebuilds every evaluation round from the history with the backfill of
/// migration 0017 (the same statement, read from the migration file of the
/// database's dialect), in one write transaction: for data loaded without
/// the live writes (`renkei seed` writes history rows directly), and for
/// the test that the backfill and the live writes agree. Returns the rounds
/// written.
pub async fn rebuild_evaluation_rounds(db: &Db) -> AppResult<u64> {
    let migration = match db.dialect {
        crate::db::Dialect::Sqlite => {
            include_str!("../../migrations/sqlite/0017_evaluation_rounds.sql")
        }
        crate::db::Dialect::Postgres => {
            include_str!("../../migrations/postgres/0017_evaluation_rounds.sql")
        }
    };
    let insert = migration
        .find("INSERT INTO evaluation_rounds")
        .and_then(|start| {
            let len = migration[start..].find(';')?;
            Some(&migration[start..start + len])
        })
        .ok_or_else(|| anyhow::anyhow!("migration 0017 has no backfill statement"))?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM evaluation_rounds")
        .execute(&mut *tx)
        .await?;
    let written = sqlx::query(sqlx::AssertSqlSafe(insert))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(written)
}

/// The evaluation due date a history row's `changes` set, with the one in
/// force before it (none: the date was unset).
pub(crate) fn due_set(changes: &serde_json::Value) -> Option<(Option<String>, String)> {
    let due = changes.get("evaluation_due_on")?;
    let after = due.get("after")?.as_str()?.to_string();
    let before = due
        .get("before")
        .and_then(|b| b.as_str())
        .map(str::to_string);
    Some((before, after))
}

/// The last evaluation due date a countermeasure's history set.
async fn last_due(tx: &mut Tx, id: i64) -> AppResult<Option<String>> {
    let due: Option<Option<String>> = sqlx::query_scalar(
        "SELECT due_to FROM countermeasure_events WHERE countermeasure_id = $1 AND due_to IS NOT NULL \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(due.flatten())
}

async fn write_row(tx: &mut Tx, c: &Countermeasure, now: DateTime<Utc>) -> AppResult<()> {
    sqlx::query(
        "UPDATE countermeasures SET topic = $1, verdict = $2, title = $3, issue = $4, plan = $5, owner_member_id = $6, \
         evaluation_due_on = $7, meeting_id = $8, stage = $9, evaluation = $10, improvement = $11, archived = $12, \
         updated_at = $13, verdict_reason = $15, cycle = $16 WHERE id = $14",
    )
    .bind(c.topic)
    .bind(c.verdict.map(Verdict::as_str))
    .bind(c.title.as_str())
    .bind(c.issue.as_str())
    .bind(c.plan.as_str())
    .bind(c.owner_member_id)
    .bind(c.evaluation_due_on.map(|d| d.to_string()))
    .bind(c.meeting_id)
    .bind(c.stage.as_str())
    .bind(c.evaluation.clone())
    .bind(c.improvement.clone())
    .bind(i64::from(c.archived))
    .bind(timestamp(now))
    .bind(c.id)
    .bind(c.verdict_reason.clone())
    .bind(c.cycle)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a validated countermeasure (its owner and meeting checked to be
/// the ward's), sets its id and records its 作成 history and audit rows, in
/// the caller's transaction: both [`create`] and [`create_in`] start here.
async fn insert_new(
    tx: &mut Tx,
    cm: &mut Countermeasure,
    actor: Option<&str>,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    check_references(tx, cm).await?;
    resolve_links(tx, cm).await?;
    cm.id = sqlx::query_scalar(
        "INSERT INTO countermeasures (ward_id, topic, title, issue, plan, owner_member_id, evaluation_due_on, \
         meeting_id, stage, archived, created_at, updated_at, cycle) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10, $11) RETURNING id",
    )
    .bind(cm.ward_id)
    .bind(cm.topic)
    .bind(cm.title.as_str())
    .bind(cm.issue.as_str())
    .bind(cm.plan.as_str())
    .bind(cm.owner_member_id)
    .bind(cm.evaluation_due_on.map(|d| d.to_string()))
    .bind(cm.meeting_id)
    .bind(cm.stage.as_str())
    .bind(timestamp(now))
    .bind(cm.cycle)
    .fetch_one(&mut **tx)
    .await?;
    write_links(tx, cm).await?;
    let event = Event {
        kind: EventKind::Created,
        from: None,
        to: Some(cm.stage),
        on: calendar::today(now),
        actor,
        note,
        evaluation: None,
        improvement: None,
        verdict: None,
        verdict_reason: None,
        indicator_values: None,
        // Same shape as every other entry: each field set, from nothing.
        changes: audit::diff(&json!({}), &audit_view(cm)),
    };
    record(tx, cm, event, now).await
}

/// Records a countermeasure in the ward. Errors: 422, 409.
pub async fn create(
    db: &Db,
    ward: &WardWrite,
    new: &NewCountermeasure,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let mut cm = new.to_countermeasure(ward.ward_id())?;
    let mut tx = db.begin_write().await?;
    insert_new(&mut tx, &mut cm, named_actor(&new.actor), "", now).await?;
    tx.commit().await?;
    Ok(cm)
}

/// Closes (archives) a countermeasure in the caller's transaction, with its
/// history and audit rows: the CSV import's last step for a row marked 終了.
pub async fn archive_in(
    tx: &mut Tx,
    mut cm: Countermeasure,
    actor: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    if cm.archived {
        return Ok(cm);
    }
    cm.archived = true;
    write_row(tx, &cm, now).await?;
    let event = Event {
        kind: EventKind::Archived,
        from: None,
        to: None,
        on: calendar::today(now),
        actor,
        note: "CSV取込",
        evaluation: None,
        improvement: None,
        verdict: None,
        verdict_reason: None,
        indicator_values: None,
        changes: json!({ "archived": { "before": false, "after": true } }),
    };
    record(tx, &cm, event, now).await?;
    cm.overdue = false;
    Ok(cm)
}

/// Edits fields and/or archives or reopens; each is its own history entry.
pub async fn update(
    db: &Db,
    scope: &CountermeasureWrite,
    patch: &CountermeasurePatch,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let id = scope.id();
    let today = calendar::today(now);
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id, today).await?;
    let mut after = before.patched(patch)?;
    check_references(&mut tx, &after).await?;
    let relinks = patch.scenes.is_some() || patch.indicator_ids.is_some();
    if relinks {
        resolve_links(&mut tx, &mut after).await?;
    }
    let actor = named_actor(&patch.actor);
    let note = patch.note.as_deref().unwrap_or("").trim();
    let changes = audit::diff(&audit_view(&before), &audit_view(&after));
    if changes.as_object().is_some_and(|c| !c.is_empty()) {
        write_row(&mut tx, &after, now).await?;
        if relinks {
            write_links(&mut tx, &after).await?;
        }
        let event = Event {
            kind: EventKind::Edited,
            from: None,
            to: None,
            on: today,
            actor,
            note,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            indicator_values: None,
            changes,
        };
        record(&mut tx, &after, event, now).await?;
    }
    if let Some(archived) = patch.archive_change(&before) {
        after.archived = archived;
        write_row(&mut tx, &after, now).await?;
        let event = Event {
            kind: if archived {
                EventKind::Archived
            } else {
                EventKind::Restored
            },
            from: None,
            to: None,
            on: today,
            actor,
            note,
            evaluation: None,
            improvement: None,
            verdict: None,
            verdict_reason: None,
            indicator_values: None,
            changes: json!({ "archived": { "before": before.archived, "after": archived } }),
        };
        record(&mut tx, &after, event, now).await?;
    }
    tx.commit().await?;
    after.overdue = is_overdue(after.stage, after.archived, after.evaluation_due_on, today);
    Ok(after)
}

/// Moves a countermeasure one step on the ladder, with its history row.
/// The owner (a `member`) may only record the step to 評価改善
/// ([`super::check_owner_step`]). Errors: 403, 409, 422.
pub async fn transition(
    db: &Db,
    scope: &CountermeasureStep,
    req: &TransitionRequest,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let id = scope.id();
    let mut tx = db.begin_write().await?;
    if !scope.manages() {
        let current = load(&mut tx, id, calendar::today(now)).await?;
        super::check_owner_step(&current, req)?;
    }
    let after = transition_in(&mut tx, id, req, None, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Starts the next PDCA round of a countermeasure at 評価改善
/// ([`plan_next_cycle`]): back to 具体化 with the new due date (and plan or
/// owner when given), `cycle` one up, the row's evaluation and verdict
/// cleared; one transaction writes the row, a 次のサイクルへ history row
/// (from 評価改善 to 具体化, the finished round's evaluation kept in the
/// rows before it), its audit row and a new evaluation round, so the
/// reminders follow the new due date. Errors: 404, 409, 422.
pub async fn next_cycle(
    db: &Db,
    scope: &CountermeasureWrite,
    req: &NextCycleRequest,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let today = calendar::today(now);
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, scope.id(), today).await?;
    let step = plan_next_cycle(&before, req, today)?;
    let mut after = before.next_cycle(&step, req.plan.as_deref());
    super::validate(&after)?;
    check_references(&mut tx, &after).await?;
    write_row(&mut tx, &after, now).await?;
    let event = Event {
        kind: step.kind,
        from: Some(step.from),
        to: Some(step.to),
        on: step.on,
        actor: named_actor(&req.actor),
        note: &step.note,
        evaluation: None,
        improvement: None,
        verdict: None,
        verdict_reason: None,
        indicator_values: None,
        changes: audit::diff(&audit_view(&before), &audit_view(&after)),
    };
    record(&mut tx, &after, event, now).await?;
    tx.commit().await?;
    after.overdue = is_overdue(after.stage, after.archived, after.evaluation_due_on, today);
    Ok(after)
}

/// One entry of a countermeasure's timeline.
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct HistoryEntry {
    pub id: i64,
    pub kind: EventKind,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    /// The date the step happened (as given by the user).
    pub on: NaiveDate,
    pub actor: Option<String>,
    pub note: String,
    pub evaluation: Option<String>,
    pub improvement: Option<String>,
    /// The verdict an evaluation (the step to 評価改善) recorded.
    pub verdict: Option<Verdict>,
    pub verdict_reason: Option<String>,
    /// The linked indicators' latest values when the evaluation was
    /// recorded (absent on other entries and on evaluations before 0020).
    pub indicator_values: Option<Vec<crate::indicators::LatestValue>>,
    /// Changed fields: `{"field": {"before": …, "after": …}}`.
    pub changes: serde_json::Value,
    /// When it was recorded (UTC, RFC 3339).
    pub recorded_at: String,
    /// The signed-in account that recorded it (its display name, or its
    /// address when it has none); absent for rows from before accounts.
    pub recorded_by: Option<String>,
    /// The meeting that decided the step (recorded from the meeting form).
    pub meeting_id: Option<i64>,
    /// That meeting's title, for the timeline.
    pub meeting_title: Option<String>,
}

/// The timeline, oldest first.
pub async fn history(db: &Db, scope: &CountermeasureRead) -> AppResult<Vec<HistoryEntry>> {
    history_of(db, scope.ward_id(), scope.id()).await
}

/// The day each countermeasure of the ward reached its current stage: the
/// `occurred_on` of its last 段階を進めた, 段階を戻した or 次のサイクルへ row (by id), by
/// countermeasure id; one query for the whole ward (the CSV export).
pub async fn stage_days_in_ward(db: &Db, ward: &WardRead) -> AppResult<HashMap<i64, NaiveDate>> {
    let rows = sqlx::query(
        "SELECT e.countermeasure_id, e.occurred_on FROM countermeasure_events e \
         JOIN countermeasures c ON c.id = e.countermeasure_id \
         WHERE c.ward_id = $1 AND e.kind IN ($2, $3, $4) ORDER BY e.id",
    )
    .bind(ward.ward_id())
    .bind(EventKind::Advanced.as_str())
    .bind(EventKind::SteppedBack.as_str())
    .bind(EventKind::NextCycle.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut days = HashMap::new();
    for r in &rows {
        let on: String = r.try_get("occurred_on")?;
        // Later rows overwrite earlier ones: the last step wins.
        days.insert(
            r.try_get::<i64, _>("countermeasure_id")?,
            parse_date("occurred_on", &on)?,
        );
    }
    Ok(days)
}

async fn history_of(db: &Db, ward_id: i64, id: i64) -> AppResult<Vec<HistoryEntry>> {
    let rows = sqlx::query(
        "SELECT e.id, e.kind, e.from_stage, e.to_stage, e.occurred_on, e.actor, e.note, e.evaluation, e.improvement, \
         e.verdict, e.verdict_reason, e.indicator_values, e.changes, e.recorded_at, COALESCE(NULLIF(a.display_name, ''), a.email) AS recorded_by, \
         e.meeting_id, m.title AS meeting_title \
         FROM countermeasure_events e LEFT JOIN accounts a ON a.id = e.recorded_by_account_id \
         LEFT JOIN meetings m ON m.id = e.meeting_id \
         WHERE e.countermeasure_id = $1 \
         AND EXISTS (SELECT 1 FROM countermeasures c WHERE c.id = $1 AND c.ward_id = $2) ORDER BY e.id",
    )
    .bind(id)
    .bind(ward_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let from: Option<String> = r.try_get("from_stage")?;
            let to: Option<String> = r.try_get("to_stage")?;
            let on: String = r.try_get("occurred_on")?;
            let changes: String = r.try_get("changes")?;
            let verdict: Option<String> = r.try_get("verdict")?;
            let values: Option<String> = r.try_get("indicator_values")?;
            Ok(HistoryEntry {
                id: r.try_get("id")?,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Edited),
                from_stage: from
                    .as_deref()
                    .map(|s| stage_of("from_stage", s))
                    .transpose()?,
                to_stage: to.as_deref().map(|s| stage_of("to_stage", s)).transpose()?,
                on: parse_date("occurred_on", &on)?,
                actor: r.try_get("actor")?,
                note: r.try_get("note")?,
                evaluation: r.try_get("evaluation")?,
                improvement: r.try_get("improvement")?,
                verdict: verdict.as_deref().and_then(Verdict::parse),
                verdict_reason: r.try_get("verdict_reason")?,
                indicator_values: values.and_then(|v| serde_json::from_str(&v).ok()),
                changes: serde_json::from_str(&changes).unwrap_or(serde_json::Value::Null),
                recorded_at: r.try_get("recorded_at")?,
                recorded_by: r.try_get("recorded_by")?,
                meeting_id: r.try_get("meeting_id")?,
                meeting_title: r.try_get("meeting_title")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Open 具体化 countermeasures due before `until` (inclusive), by due date:
/// the overdue ones and those coming due, each with its owner's name (the
/// dashboard lists them by name). `ward_id` None means every ward.
pub async fn due_before(
    db: &Db,
    ward_id: Option<i64>,
    until: NaiveDate,
    today: NaiveDate,
) -> AppResult<Vec<(Countermeasure, Option<String>)>> {
    let mut filter = Filter::default();
    filter.and(DUE_BY_SQL, [Bind::Text(until.to_string())]);
    if let Some(w) = ward_id {
        filter.and("ward_id = ?", [Bind::Int(w)]);
    }
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT m.name FROM members m WHERE m.id = owner_member_id) AS owner_name \
         FROM countermeasures{} ORDER BY evaluation_due_on, id",
        filter.where_sql()
    );
    let mut conn = db.pool.acquire().await?;
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), filter.binds())
        .fetch_all(&mut *conn)
        .await?;
    let mut cms = rows
        .iter()
        .map(|r| from_row(r, today))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    attach_links(&mut conn, &mut cms).await?;
    let names = rows
        .iter()
        .map(|r| r.try_get("owner_name"))
        .collect::<Result<Vec<Option<String>>, sqlx::Error>>()?;
    Ok(cms.into_iter().zip(names).collect())
}

/// Records an already validated countermeasure (from
/// [`NewCountermeasure::to_countermeasure`], stage 未具体化) and then
/// climbs it to the stages of `steps`, each checked by [`super::plan_transition`]
/// and written with its history and audit rows, all in the caller's
/// transaction: the CSV import writes a whole file this way and commits once.
pub async fn create_in(
    tx: &mut Tx,
    mut cm: Countermeasure,
    actor: Option<&str>,
    steps: &[TransitionRequest],
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let today = calendar::today(now);
    insert_new(tx, &mut cm, actor, "CSV取込", now).await?;
    for req in steps {
        let step: Step = plan_transition_with(&cm, req, today, VerdictRule::Optional)?;
        let before = cm;
        cm = before.stepped(&step);
        check_references(tx, &cm).await?;
        write_row(tx, &cm, now).await?;
        let indicator_values = if step.to == Stage::Evaluated {
            Some(indicator_snapshot(tx, &cm).await?)
        } else {
            None
        };
        let event = Event {
            kind: step.kind,
            from: Some(step.from),
            to: Some(step.to),
            on: step.on,
            actor,
            note: &step.note,
            evaluation: step.evaluation.as_deref(),
            improvement: step.improvement.as_deref(),
            verdict: step.verdict,
            verdict_reason: step.verdict_reason.as_deref(),
            indicator_values,
            changes: audit::diff(&audit_view(&before), &audit_view(&cm)),
        };
        record(tx, &cm, event, now).await?;
    }
    cm.overdue = is_overdue(cm.stage, cm.archived, cm.evaluation_due_on, today);
    Ok(cm)
}

// ---------------------------------------------------------------------------
// Steps in a caller's transaction: the meeting form records the steps its
// meeting decided together with the meeting itself, and commits once.

/// Checks a step as [`transition_in`] would, writing nothing. The
/// countermeasure must belong to `ward_id`; an unknown one and another
/// ward's are refused alike (field `countermeasure_id`), so the answer does
/// not tell whether another ward's id exists.
pub async fn check_transition_in(
    tx: &mut Tx,
    ward_id: i64,
    id: i64,
    req: &TransitionRequest,
    today: NaiveDate,
) -> AppResult<Step> {
    let before = match load(tx, id, today).await {
        Ok(c) if c.ward_id == ward_id => c,
        Ok(_) | Err(AppError::NotFound(_)) => {
            return Err(AppError::invalid(
                "countermeasure_id",
                format!("対応策(ID {id})はこの区の対応策ではありません"),
            ));
        }
        Err(e) => return Err(e),
    };
    let rule = verdict_rule_in(tx, before.ward_id).await?;
    let (after, step) = planned(&before, req, today, rule)?;
    check_references(tx, &after).await?;
    Ok(step)
}

/// The countermeasure after a step, and the step, as the ladder decides it.
fn planned(
    before: &Countermeasure,
    req: &TransitionRequest,
    today: NaiveDate,
    verdict: VerdictRule,
) -> AppResult<(Countermeasure, Step)> {
    let step: Step = plan_transition_with(before, req, today, verdict)?;
    Ok((before.stepped(&step), step))
}

/// Whether the step to 評価改善 of a countermeasure of ward `ward_id` must
/// carry a verdict (達成度): once its municipality has set 評価指標 — the
/// verdict judges the work against them. Before that, a step without one
/// is recorded as 未記録, so that the API clients written before verdicts
/// existed keep recording evaluations (and closing their reminders).
async fn verdict_rule_in(tx: &mut Tx, ward_id: i64) -> AppResult<VerdictRule> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM indicators i JOIN wards w ON w.municipality_id = i.municipality_id \
         WHERE w.id = $1",
    )
    .bind(ward_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(if n > 0 {
        VerdictRule::Required
    } else {
        VerdictRule::Optional
    })
}

/// [`transition`] in the caller's transaction; `meeting_id` names the
/// meeting that decided the step in its history row.
pub async fn transition_in(
    tx: &mut Tx,
    id: i64,
    req: &TransitionRequest,
    meeting_id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Countermeasure> {
    let today = calendar::today(now);
    let before = load(tx, id, today).await?;
    let rule = verdict_rule_in(tx, before.ward_id).await?;
    let (mut after, step) = planned(&before, req, today, rule)?;
    check_references(tx, &after).await?;
    write_row(tx, &after, now).await?;
    let indicator_values = if step.to == Stage::Evaluated {
        Some(indicator_snapshot(tx, &after).await?)
    } else {
        None
    };
    let event = Event {
        kind: step.kind,
        from: Some(step.from),
        to: Some(step.to),
        on: step.on,
        actor: named_actor(&req.actor),
        note: &step.note,
        evaluation: step.evaluation.as_deref(),
        improvement: step.improvement.as_deref(),
        verdict: step.verdict,
        verdict_reason: step.verdict_reason.as_deref(),
        indicator_values,
        changes: audit::diff(&audit_view(&before), &audit_view(&after)),
    };
    record_at_meeting(tx, &after, event, meeting_id, now).await?;
    after.overdue = is_overdue(after.stage, after.archived, after.evaluation_due_on, today);
    Ok(after)
}

/// A step decided at a meeting, for the meeting's page.
#[derive(Debug, Clone)]
pub struct MeetingStep {
    pub countermeasure_id: i64,
    pub title: String,
    pub from: Option<Stage>,
    pub to: Option<Stage>,
}

/// The countermeasures a meeting decided (`meeting_id`), archived ones
/// included, in the list's order (topic, id): what the meeting page prints,
/// read by the meeting's index rather than from the ward's whole list.
pub async fn decided_at(
    db: &Db,
    meeting: &MeetingRead,
    today: NaiveDate,
) -> AppResult<Vec<Countermeasure>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM countermeasures WHERE meeting_id = $1 ORDER BY topic, id"
    )))
    .bind(meeting.id())
    .fetch_all(&db.pool)
    .await?;
    let mut cms = rows
        .iter()
        .map(|r| from_row(r, today))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut conn = db.pool.acquire().await?;
    attach_links(&mut conn, &mut cms).await?;
    Ok(cms)
}

/// The steps a meeting decided, in the order they were recorded.
pub async fn steps_at_meeting(db: &Db, meeting: &MeetingRead) -> AppResult<Vec<MeetingStep>> {
    let meeting_id = meeting.id();
    let rows = sqlx::query(
        "SELECT e.countermeasure_id, c.title, e.from_stage, e.to_stage FROM countermeasure_events e \
         JOIN countermeasures c ON c.id = e.countermeasure_id WHERE e.meeting_id = $1 ORDER BY e.id",
    )
    .bind(meeting_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let from: Option<String> = r.try_get("from_stage")?;
            let to: Option<String> = r.try_get("to_stage")?;
            Ok(MeetingStep {
                countermeasure_id: r.try_get("countermeasure_id")?,
                title: r.try_get("title")?,
                from: from
                    .as_deref()
                    .map(|s| stage_of("from_stage", s))
                    .transpose()?,
                to: to.as_deref().map(|s| stage_of("to_stage", s)).transpose()?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The municipality's indicators as (id, name), by id: the choices a
/// countermeasure's form offers and the names its page prints.
pub async fn indicator_names(db: &Db, plan: &PlanRead) -> AppResult<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, name FROM indicators WHERE municipality_id = $1 ORDER BY id")
            .bind(plan.municipality_id())
            .fetch_all(&db.pool)
            .await?,
    )
}
