//! Reads what [`super::build`] needs: the history rows of the ward's
//! countermeasures (stage, due date, close/reopen), the municipality's
//! stages per (ward, topic) at each half-year's end (aggregated in SQL), and
//! the ward's meetings, over the half-years asked for.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sqlx::Row;

use super::{
    CityStageTopics, Compact, HistoryRow, Input, WardTrends, as_of, build, periods_ending,
};
use crate::access::WardRead;
use crate::calendar::Period;
use crate::countermeasures::{
    EventKind, ROUND_COMPLETED_BY_SQL_C, ROUND_COMPLETED_SQL_C, STAGE_RANK_SQL_C, Stage,
};
use crate::db::{Db, parse_date};
use crate::error::AppResult;
use crate::wards::Ward;

fn stage_of(value: Option<String>) -> Option<Stage> {
    value.as_deref().and_then(Stage::parse)
}

/// The ward's countermeasures with the history rows that set a stage, a
/// due date, or closed or reopened them, up to `until`, by countermeasure.
async fn ward_history(
    db: &Db,
    ward_id: i64,
    until: NaiveDate,
) -> AppResult<Vec<(i64, Vec<HistoryRow>)>> {
    let rows = sqlx::query(
        "SELECT e.countermeasure_id, e.id, e.occurred_on, e.to_stage, e.due_to, e.kind \
         FROM countermeasures c JOIN countermeasure_events e ON e.countermeasure_id = c.id \
         WHERE c.ward_id = $1 AND e.occurred_on <= $2 \
         AND (e.to_stage IS NOT NULL OR e.due_to IS NOT NULL OR e.kind IN ($3, $4))",
    )
    .bind(ward_id)
    .bind(until.to_string())
    .bind(EventKind::Archived.as_str())
    .bind(EventKind::Restored.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut by_cm: BTreeMap<i64, Vec<HistoryRow>> = BTreeMap::new();
    for r in &rows {
        let on: String = r.try_get("occurred_on")?;
        let due: Option<String> = r.try_get("due_to")?;
        let kind: String = r.try_get("kind")?;
        by_cm
            .entry(r.try_get("countermeasure_id")?)
            .or_default()
            .push(HistoryRow {
                id: r.try_get("id")?,
                on: parse_date("occurred_on", &on)?,
                stage: stage_of(r.try_get("to_stage")?),
                due: due.map(|d| parse_date("due_to", &d)).transpose()?,
                archived: match EventKind::parse(&kind) {
                    Some(EventKind::Archived) => Some(true),
                    Some(EventKind::Restored) => Some(false),
                    _ => None,
                },
            });
    }
    Ok(by_cm.into_iter().collect())
}

/// Which wards' topic stages are read: every ward (資料1 across the
/// municipalities), a municipality's (the city's distribution) or one
/// ward's.
#[derive(Debug, Clone, Copy)]
enum Reach {
    All,
    Municipality(i64),
    Ward(i64),
}

impl Reach {
    /// The condition on `c.ward_id`, with the id as `$n`.
    fn sql(self, n: u8) -> String {
        match self {
            Reach::All => "1 = 1".into(),
            Reach::Municipality(_) => {
                format!("c.ward_id IN (SELECT id FROM wards WHERE municipality_id = ${n})")
            }
            Reach::Ward(_) => format!("c.ward_id = ${n}"),
        }
    }

    fn id(self) -> Option<i64> {
        match self {
            Reach::All => None,
            Reach::Municipality(id) | Reach::Ward(id) => Some(id),
        }
    }

    fn of_ward(ward_id: Option<i64>) -> Self {
        ward_id.map_or(Reach::All, Reach::Ward)
    }
}

/// A ladder rung from a `rank` column (0, 1, 2).
fn rank_stage(rank: i64) -> Stage {
    match rank {
        2 => Stage::Evaluated,
        1 => Stage::Planned,
        _ => Stage::Identified,
    }
}

/// The most advanced stage per (ward, topic) in reach now, by the rule of
/// `countermeasures::STAGE_RANK_SQL_C` (a completed round counts as
/// 評価改善); `$1` the reach's id; columns ward_id, topic, rank.
fn stages_now_sql(reach: Reach) -> String {
    format!(
        "SELECT ward_id, topic, MAX(rank) AS rank FROM ( \
           SELECT c.ward_id, c.topic, MAX({STAGE_RANK_SQL_C}) AS rank FROM countermeasures c \
           WHERE {reach} GROUP BY c.ward_id, c.topic \
         UNION ALL \
           SELECT c.ward_id, c.topic, 2 AS rank FROM countermeasures c \
           WHERE {ROUND_COMPLETED_SQL_C} AND {reach} \
         ) s GROUP BY ward_id, topic",
        reach = reach.sql(1),
    )
}

/// The most advanced stage per (ward, topic) in reach at the end of `$1`;
/// `$2` the reach's id; columns ward_id, topic, rank. A countermeasure
/// whose last stage-setting day (`last_stage_on`, migration 0008) is on or
/// before the day counts with its current stage, read from the index; only
/// those changed later replay their history (the last stage-setting row up
/// to the day, by id; none there, recorded later, counts for nothing); and
/// one whose round was completed by then (`ROUND_COMPLETED_BY_SQL_C`)
/// counts as 評価改善. Over the national data, two months after a
/// half-year closed, that is 46,000 index lookups instead of a pass over
/// 1.4 million rows (BENCHMARKS.md), plus the completed-round test.
fn stages_at_sql(reach: Reach) -> String {
    let rank = |column: &str| {
        format!("CASE {column} WHEN '評価改善' THEN 2 WHEN '具体化' THEN 1 ELSE 0 END")
    };
    format!(
        "SELECT ward_id, topic, MAX(rank) AS rank FROM ( \
           SELECT c.ward_id, c.topic, MAX({STAGE_RANK_SQL_C}) AS rank FROM countermeasures c \
           WHERE c.last_stage_on <= $1 AND {reach} GROUP BY c.ward_id, c.topic \
         UNION ALL \
           SELECT c.ward_id, c.topic, (SELECT {past} FROM countermeasure_events e \
             WHERE e.countermeasure_id = c.id AND e.to_stage IS NOT NULL AND e.occurred_on <= $1 \
             ORDER BY e.id DESC LIMIT 1) AS rank \
           FROM countermeasures c WHERE c.last_stage_on > $1 AND {reach} \
         UNION ALL \
           SELECT c.ward_id, c.topic, 2 AS rank FROM countermeasures c \
           WHERE {ROUND_COMPLETED_BY_SQL_C} AND {reach} \
         ) s GROUP BY ward_id, topic HAVING MAX(rank) IS NOT NULL",
        past = rank("e.to_stage"),
        reach = reach.sql(2),
    )
}

/// Rows of ward_id, topic, rank as (ward, topic, stage).
fn ward_topic_stages(rows: &[sqlx::any::AnyRow]) -> Result<Vec<(i64, i64, Stage)>, sqlx::Error> {
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("ward_id")?,
                r.try_get("topic")?,
                rank_stage(r.try_get("rank")?),
            ))
        })
        .collect()
}

/// A ward's stage per topic now — the most advanced stage among its
/// countermeasures for the topic, one that has completed a round counting
/// as 評価改善 (`countermeasures::ROUND_COMPLETED_SQL_C`) — for every ward (None)
/// or one: (ward, topic, stage), only pairs with a countermeasure.
pub async fn topic_stages_now(db: &Db, ward_id: Option<i64>) -> AppResult<Vec<(i64, i64, Stage)>> {
    let reach = Reach::of_ward(ward_id);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(stages_now_sql(reach)));
    if let Some(id) = reach.id() {
        query = query.bind(id);
    }
    Ok(ward_topic_stages(&query.fetch_all(&db.pool).await?)?)
}

/// [`topic_stages_now`] as it stood at the end of `day`, read from the
/// history ([`stages_at_sql`]): the stages 資料1 reports for a half-year.
pub async fn topic_stages_at(
    db: &Db,
    ward_id: Option<i64>,
    day: NaiveDate,
) -> AppResult<Vec<(i64, i64, Stage)>> {
    let reach = Reach::of_ward(ward_id);
    let sql = format!("{} ORDER BY ward_id, topic", stages_at_sql(reach));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(day.to_string());
    if let Some(id) = reach.id() {
        query = query.bind(id);
    }
    Ok(ward_topic_stages(&query.fetch_all(&db.pool).await?)?)
}

/// One ward's stage per topic now and at the end of `day`, in one query
/// (the ward's dashboard page shows both).
pub async fn ward_topic_stages_now_and_at(
    db: &Db,
    ward_id: i64,
    day: NaiveDate,
) -> AppResult<(HashMap<i64, Stage>, HashMap<i64, Stage>)> {
    let sql = format!(
        "SELECT 0 AS past, topic, MAX(rank) AS rank FROM ( \
           SELECT c.topic, MAX({STAGE_RANK_SQL_C}) AS rank FROM countermeasures c \
           WHERE c.ward_id = $2 GROUP BY c.topic \
         UNION ALL \
           SELECT c.topic, 2 AS rank FROM countermeasures c WHERE c.ward_id = $2 AND {ROUND_COMPLETED_SQL_C} \
         ) n GROUP BY topic \
         UNION ALL SELECT 1 AS past, topic, rank FROM ({at}) p",
        at = stages_at_sql(Reach::Ward(ward_id)),
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(day.to_string())
        .bind(ward_id)
        .fetch_all(&db.pool)
        .await?;
    let (mut now, mut then) = (HashMap::new(), HashMap::new());
    for r in &rows {
        let map = if r.try_get::<i64, _>("past")? == 0 {
            &mut now
        } else {
            &mut then
        };
        map.insert(r.try_get("topic")?, rank_stage(r.try_get("rank")?));
    }
    Ok((now, then))
}

/// The most advanced stage per (ward, topic) in reach at the end of
/// `day`, by the report's rule ([`topic_stages_at`], here narrowed to one
/// municipality or one ward). The database returns one row per (ward,
/// topic), not the history: for 大阪市's 24 wards on the national data,
/// 240 rows.
async fn stages_on(db: &Db, reach: Reach, day: NaiveDate) -> AppResult<HashMap<(i64, i64), Stage>> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(stages_at_sql(reach))).bind(day.to_string());
    if let Some(id) = reach.id() {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    Ok(ward_topic_stages(&rows)?
        .into_iter()
        .map(|(w, t, s)| ((w, t), s))
        .collect())
}

/// The ward's meetings held from `from` to `until`, with their topics.
async fn meetings(
    db: &Db,
    ward_id: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<Vec<(NaiveDate, Vec<i64>)>> {
    let rows = sqlx::query(
        "SELECT m.id, m.held_on, t.topic FROM meetings m LEFT JOIN meeting_topics t ON t.meeting_id = m.id \
         WHERE m.ward_id = $1 AND m.held_on >= $2 AND m.held_on <= $3",
    )
    .bind(ward_id)
    .bind(from.to_string())
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    let mut by_id: HashMap<i64, (NaiveDate, Vec<i64>)> = HashMap::new();
    for r in &rows {
        let held: String = r.try_get("held_on")?;
        let held = parse_date("held_on", &held)?;
        let entry = by_id.entry(r.try_get("id")?).or_insert((held, Vec::new()));
        if let Some(t) = r.try_get::<Option<i64>, _>("topic")? {
            entry.1.push(t);
        }
    }
    Ok(by_id.into_values().collect())
}

/// The ids of the municipality's wards.
async fn city_wards(db: &Db, municipality_id: i64) -> AppResult<Vec<i64>> {
    let rows = sqlx::query("SELECT id FROM wards WHERE municipality_id = $1 ORDER BY id")
        .bind(municipality_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Reads and counts [`WardTrends`] for the `halves` half-years ending with
/// `last`, the city's distribution over the municipality's wards: three
/// queries for the ward and one per half-year for the stages.
pub async fn load(
    db: &Db,
    scope: &WardRead,
    last: Period,
    halves: i64,
    today: NaiveDate,
) -> AppResult<WardTrends> {
    let ward = crate::wards::store::get(db, scope).await?;
    read(
        db,
        &ward,
        last,
        halves,
        today,
        Reach::Municipality(ward.municipality_id),
    )
    .await
}

async fn read(
    db: &Db,
    ward: &Ward,
    last: Period,
    halves: i64,
    today: NaiveDate,
    reach: Reach,
) -> AppResult<WardTrends> {
    let periods = periods_ending(last, halves);
    let last_day = as_of(last, today);
    let ward_history = ward_history(db, ward.id, last_day).await?;
    let mut city_stages = Vec::with_capacity(periods.len());
    for p in &periods {
        city_stages.push(stages_on(db, reach, as_of(*p, today)).await?);
    }
    let meetings = meetings(db, ward.id, periods[0].start(), last_day).await?;
    let wards = match reach {
        Reach::Municipality(m) => city_wards(db, m).await?,
        Reach::Ward(w) => vec![w],
        Reach::All => vec![ward.id],
    };
    Ok(build(Input {
        ward,
        today,
        periods: &periods,
        ward_history: &ward_history,
        city_wards: &wards,
        city_stages: &city_stages,
        meetings: &meetings,
    }))
}

/// The compact form for the ward dashboard: the `halves` half-years ending
/// with the running one, for the ward alone (its own rows only; no read of
/// the municipality's countermeasures). Its overdue counts are counted in
/// SQL ([`overdue_on_day`]) instead of carrying the ward's whole history
/// into Rust: the dashboard is asked for far more often than the trends
/// page, and the history's rows were most of its time (BENCHMARKS.md).
pub async fn compact_for_ward(
    db: &Db,
    scope: &WardRead,
    halves: i64,
    today: NaiveDate,
) -> AppResult<Compact> {
    let ward = crate::wards::store::get(db, scope).await?;
    let last = Period::containing(today);
    let periods = periods_ending(last, halves);
    let last_day = as_of(last, today);
    let reach = Reach::Ward(ward.id);
    let mut stages = Vec::with_capacity(periods.len());
    let mut overdue = Vec::with_capacity(periods.len());
    for p in &periods {
        let day = as_of(*p, today);
        stages.push(stages_on(db, reach, day).await?);
        overdue.push(overdue_on_day(db, ward.id, day).await?);
    }
    let meetings = meetings(db, ward.id, periods[0].start(), last_day).await?;
    let mut t = build(Input {
        ward: &ward,
        today,
        periods: &periods,
        ward_history: &[],
        city_wards: &[ward.id],
        city_stages: &stages,
        meetings: &meetings,
    });
    for (figures, n) in t.periods.iter_mut().zip(overdue) {
        figures.overdue = n;
    }
    Ok(Compact::of(&t))
}

/// The city's topics per stage at the end of each of the `halves`
/// half-years ending with the running one (as of today for it), over the
/// wards of `municipality_id`: one query per half-year, one row per
/// (ward, topic) with a countermeasure ([`stages_on`]).
pub async fn city_stage_topics(
    db: &Db,
    municipality_id: i64,
    halves: i64,
    today: NaiveDate,
) -> AppResult<Vec<CityStageTopics>> {
    let wards = city_wards(db, municipality_id).await?.len() as i64;
    let mut out = Vec::new();
    for p in periods_ending(Period::containing(today), halves) {
        let stages = stages_on(db, Reach::Municipality(municipality_id), as_of(p, today)).await?;
        let mut stage_topics = [0i64; 4];
        for stage in stages.values() {
            stage_topics[match stage {
                Stage::Evaluated => 0,
                Stage::Planned => 1,
                Stage::Identified => 2,
            }] += 1;
        }
        stage_topics[3] = wards * 10 - stage_topics[..3].iter().sum::<i64>();
        out.push(CityStageTopics {
            period: p.code(),
            wards,
            stage_topics,
        });
    }
    Ok(out)
}

/// How many of the ward's countermeasures were overdue at the end of `day`:
/// [`super::overdue_on`]'s rule in SQL — the last stage-setting row up to
/// that day (by id) is 具体化, the last 終了/再開 row up to then is not 終了,
/// and the last due date set up to then is before `day`. Each from the
/// history index `(countermeasure_id, id, …)` read backwards, and only for
/// those that can be 具体化 on that day: one whose stage has not changed
/// since stood then where it stands now (the shortcut of
/// [`topic_stages_at`]).
async fn overdue_on_day(db: &Db, ward_id: i64, day: NaiveDate) -> AppResult<i64> {
    let last = |column: &str, filter: &str| {
        format!(
            "(SELECT e.{column} FROM countermeasure_events e \
              WHERE e.countermeasure_id = c.id AND {filter} AND e.occurred_on <= $2 \
              ORDER BY e.id DESC LIMIT 1)"
        )
    };
    let sql = format!(
        "SELECT COUNT(*) FROM countermeasures c WHERE c.ward_id = $1 \
           AND (c.last_stage_on > $2 OR c.stage = $3) \
           AND {stage} = $3 AND {due} < $2 \
           AND COALESCE({closed}, $5) <> $4",
        stage = last("to_stage", "e.to_stage IS NOT NULL"),
        due = last("due_to", "e.due_to IS NOT NULL"),
        closed = last("kind", "e.kind IN ($4, $5)"),
    );
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(ward_id)
        .bind(day.to_string())
        .bind(Stage::Planned.as_str())
        .bind(EventKind::Archived.as_str())
        .bind(EventKind::Restored.as_str())
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}
