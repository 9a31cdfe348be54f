//! Reads PDCAの進み具合: one query, whatever the number of wards, reads the
//! counts and day histograms of every ward in view ([`tallies`]) from the
//! evaluation rounds (migration 0017) and the countermeasures, each part
//! from an index alone; the rules of [`super`] make the figures.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use super::{
    CityProgress, Compact, Figures, PeriodInfo, Sort, Tally, WardLine, WardProgress, stuck_since,
};
use crate::access::{CityRead, CityView, Visible, WardRead};
use crate::calendar::{Period, Span};
use crate::countermeasures::Stage;
use crate::db::{Db, parse_date};
use crate::error::AppResult;
use crate::paging::{Page, Paging};

/// The wards a query covers.
#[derive(Debug, Clone, Copy)]
enum Wards {
    One(i64),
    City(i64),
    All,
}

impl Wards {
    fn of(visible: Visible) -> Wards {
        match (visible.ward_id(), visible.municipality_id()) {
            (Some(w), _) => Wards::One(w),
            (None, Some(m)) => Wards::City(m),
            (None, None) => Wards::All,
        }
    }

    /// The condition on `ward_id`; `$5` is the id when there is one.
    fn sql(self) -> &'static str {
        match self {
            Wards::One(_) => "ward_id = $5",
            Wards::City(_) => "ward_id IN (SELECT id FROM wards WHERE municipality_id = $5)",
            Wards::All => "ward_id IS NOT NULL",
        }
    }

    fn id(self) -> Option<i64> {
        match self {
            Wards::One(id) | Wards::City(id) => Some(id),
            Wards::All => None,
        }
    }
}

/// The query of [`tallies`]: `$1`..`$2` the span, `$3` today, `$4` the
/// 停滞 cutoff, `$5` the ward or municipality. Columns: part, ward_id, a–e,
/// day. Parts: 0 the rounds first due in the span (a due, b on time, c
/// late, d pending, e postponed); 1 and 2 the day histograms of the steps
/// to 具体化 and to 評価改善 dated in the span (a days, b how many); 3 the
/// overdue countermeasures by due date (a how many, day the due date); 4
/// 停滞 (a how many); 5 the topics with a countermeasure (a topic).
fn tallies_sql(wards: Wards) -> String {
    let w = wards.sql();
    format!(
        "SELECT 0 AS part, ward_id, COUNT(*) AS a, \
           SUM(CASE WHEN evaluated_on <= first_due_on THEN 1 ELSE 0 END) AS b, \
           SUM(CASE WHEN evaluated_on > first_due_on THEN 1 ELSE 0 END) AS c, \
           SUM(CASE WHEN evaluated_on IS NULL AND ended_on IS NULL AND first_due_on >= $3 THEN 1 ELSE 0 END) AS d, \
           SUM(postponed) AS e, CAST(NULL AS TEXT) AS day \
         FROM evaluation_rounds WHERE {w} AND first_due_on >= $1 AND first_due_on <= $2 GROUP BY ward_id \
         UNION ALL \
         SELECT 1, ward_id, planning_days, COUNT(*), 0, 0, 0, NULL FROM evaluation_rounds \
         WHERE {w} AND started_on >= $1 AND started_on <= $2 AND planning_days IS NOT NULL \
         GROUP BY ward_id, planning_days \
         UNION ALL \
         SELECT 2, ward_id, evaluation_days, COUNT(*), 0, 0, 0, NULL FROM evaluation_rounds \
         WHERE {w} AND evaluated_on >= $1 AND evaluated_on <= $2 AND evaluation_days IS NOT NULL \
         GROUP BY ward_id, evaluation_days \
         UNION ALL \
         SELECT 3, ward_id, COUNT(*), 0, 0, 0, 0, evaluation_due_on FROM countermeasures \
         WHERE {w} AND {awaiting} AND evaluation_due_on < $3 GROUP BY ward_id, evaluation_due_on \
         UNION ALL \
         SELECT 4, ward_id, COUNT(*), 0, 0, 0, 0, NULL FROM countermeasures \
         WHERE {w} AND archived = 0 AND stage <> '{evaluated}' AND last_stage_on <= $4 GROUP BY ward_id \
         UNION ALL \
         SELECT 5, ward_id, topic, 0, 0, 0, 0, NULL FROM countermeasures WHERE {w} GROUP BY ward_id, topic",
        awaiting = crate::countermeasures::AWAITING_EVALUATION_SQL,
        evaluated = Stage::Evaluated.as_str(),
    )
}

/// The tally of every ward in `wards` that has anything to count (a ward
/// with nothing is absent: its tally is the default).
async fn tallies(
    db: &Db,
    wards: Wards,
    span: Span,
    today: NaiveDate,
) -> AppResult<HashMap<i64, Tally>> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(tallies_sql(wards)))
        .bind(span.start().to_string())
        .bind(span.end().to_string())
        .bind(today.to_string())
        .bind(stuck_since(today).to_string());
    if let Some(id) = wards.id() {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    let mut out: HashMap<i64, Tally> = HashMap::new();
    for r in &rows {
        let part: i64 = r.try_get("part")?;
        let t = out.entry(r.try_get("ward_id")?).or_default();
        let a: i64 = r.try_get("a")?;
        let b: i64 = r.try_get("b")?;
        match part {
            0 => {
                t.due = a;
                t.on_time = b;
                t.late = r.try_get("c")?;
                t.pending = r.try_get("d")?;
                t.postponed = r.try_get("e")?;
            }
            1 => *t.to_planned.entry(a).or_default() += b,
            2 => *t.to_evaluated.entry(a).or_default() += b,
            3 => {
                let due: String = r.try_get("day")?;
                let days = (today - parse_date("evaluation_due_on", &due)?).num_days();
                *t.overdue.entry(days).or_default() += a;
            }
            4 => t.stuck = a,
            _ => {
                t.topics.insert(a);
            }
        }
    }
    Ok(out)
}

/// One ward's figures over `span`, as of `today`. Errors: 404 when the
/// ward no longer exists.
pub async fn ward(
    db: &Db,
    scope: &WardRead,
    span: Span,
    today: NaiveDate,
) -> AppResult<WardProgress> {
    let ward = crate::wards::store::get(db, scope).await?;
    let tally = tallies(db, Wards::One(ward.id), span, today)
        .await?
        .remove(&ward.id)
        .unwrap_or_default();
    Ok(WardProgress {
        ward_id: ward.id,
        ward_name: ward.name,
        municipality_id: ward.municipality_id,
        period: span.into(),
        as_of: today,
        stuck_since: stuck_since(today),
        figures: Figures::of(&tally),
    })
}

/// The wards of `visible` (one municipality's, or every one for `admin`)
/// side by side over `span`, sorted by `sort`, with the total of their
/// pooled counts.
pub async fn wards(
    db: &Db,
    visible: Visible,
    span: Span,
    today: NaiveDate,
    sort: Sort,
) -> AppResult<CityProgress> {
    let listed = crate::wards::store::list(db, visible, None).await?;
    let mut tallies = tallies(db, Wards::of(visible), span, today).await?;
    let mut total = Tally::default();
    let mut lines: Vec<(WardLine, usize)> = listed
        .into_iter()
        .enumerate()
        .map(|(order, w)| {
            let tally = tallies.remove(&w.id).unwrap_or_default();
            total.merge(&tally);
            let line = WardLine {
                ward_id: w.id,
                ward_name: w.name,
                figures: Figures::of(&tally),
            };
            (line, order)
        })
        .collect();
    sort.apply(&mut lines, |(line, order)| (&line.figures, *order));
    Ok(CityProgress {
        municipality_id: visible.municipality_id(),
        period: PeriodInfo::from(span),
        as_of: today,
        stuck_since: stuck_since(today),
        sort: sort.code(),
        wards: lines.into_iter().map(|(line, _)| line).collect(),
        total: Figures::of(&total),
    })
}

/// [`wards`] for one municipality's city view. Errors: 404 when it does
/// not exist.
pub async fn city(
    db: &Db,
    city: &CityRead,
    span: Span,
    today: NaiveDate,
    sort: Sort,
) -> AppResult<(crate::municipalities::Municipality, CityProgress)> {
    let municipality = crate::municipalities::store::get(db, city).await?;
    let progress = wards(db, city.wards(), span, today, sort).await?;
    Ok((municipality, progress))
}

/// [`wards`] for a cross-ward view (one municipality, or every one for
/// `admin`). Errors: 404 when the municipality named does not exist.
pub async fn view(
    db: &Db,
    view: &CityView,
    span: Span,
    today: NaiveDate,
    sort: Sort,
) -> AppResult<CityProgress> {
    if let Some(city) = view.city() {
        crate::municipalities::store::get(db, &city).await?;
    }
    wards(db, view.wards(), span, today, sort).await
}

/// What the ward dashboard shows of this section: the current half-year's
/// figures of the ward and of its city (pooled), in one query over the
/// city's wards (from the indexes alone; a city has tens of wards).
/// This half-year's figures of one ward, as the dashboard's compact view
/// shows them ([`Compact::ward`]).
pub async fn ward_figures(db: &Db, ward_id: i64, today: NaiveDate) -> AppResult<Figures> {
    let span = Span::Half(Period::containing(today));
    let mut ward = tallies(db, Wards::One(ward_id), span, today).await?;
    Ok(Figures::of(&ward.remove(&ward_id).unwrap_or_default()))
}

/// This half-year's figures of a municipality, pooled over its wards, as
/// the dashboard's compact view shows them ([`Compact::city`]); its
/// `topics_without` are the topics no ward has a countermeasure for.
pub async fn city_figures(db: &Db, municipality_id: i64, today: NaiveDate) -> AppResult<Figures> {
    let span = Span::Half(Period::containing(today));
    let tallies = tallies(db, Wards::City(municipality_id), span, today).await?;
    let mut city = Tally::default();
    for t in tallies.values() {
        city.merge(t);
    }
    Ok(Figures::of(&city))
}

/// The dashboard's compact view of one ward beside its city.
pub async fn compact(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<Compact> {
    let ward = ward_figures(db, scope.ward_id(), today).await?;
    let city = city_figures(db, scope.municipality_id(), today).await?;
    Ok(Compact::new(scope.ward_id(), today, ward, city))
}

/// One evaluation round of a ward, for the ward page's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub countermeasure_id: i64,
    pub title: String,
    pub topic: i64,
    pub started_on: NaiveDate,
    pub first_due_on: NaiveDate,
    pub postponed: bool,
    pub ended_on: Option<NaiveDate>,
    pub evaluated_on: Option<NaiveDate>,
}

/// One page of the ward's rounds first due in `span`, by first due date:
/// the rounds behind 期限内評価率, with their number on all pages.
pub async fn rounds(
    db: &Db,
    scope: &WardRead,
    span: Span,
    paging: Paging,
) -> AppResult<Page<Round>> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM evaluation_rounds r \
         WHERE r.ward_id = $1 AND r.first_due_on >= $2 AND r.first_due_on <= $3",
    )
    .bind(scope.ward_id())
    .bind(span.start().to_string())
    .bind(span.end().to_string())
    .fetch_one(&db.pool)
    .await?;
    let rows = sqlx::query(
        "SELECT r.countermeasure_id, c.title, c.topic, r.started_on, r.first_due_on, r.postponed, r.ended_on, \
         r.evaluated_on FROM evaluation_rounds r JOIN countermeasures c ON c.id = r.countermeasure_id \
         WHERE r.ward_id = $1 AND r.first_due_on >= $2 AND r.first_due_on <= $3 \
         ORDER BY r.first_due_on, r.id LIMIT $4 OFFSET $5",
    )
    .bind(scope.ward_id())
    .bind(span.start().to_string())
    .bind(span.end().to_string())
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&db.pool)
    .await?;
    let date = |r: &sqlx::any::AnyRow, column: &str| -> Result<Option<NaiveDate>, sqlx::Error> {
        let v: Option<String> = r.try_get(column)?;
        v.map(|d| parse_date(column, &d)).transpose()
    };
    let items = rows
        .iter()
        .map(|r| {
            let started: String = r.try_get("started_on")?;
            let due: String = r.try_get("first_due_on")?;
            Ok(Round {
                countermeasure_id: r.try_get("countermeasure_id")?,
                title: r.try_get("title")?,
                topic: r.try_get("topic")?,
                started_on: parse_date("started_on", &started)?,
                first_due_on: parse_date("first_due_on", &due)?,
                postponed: r.try_get::<i64, _>("postponed")? != 0,
                ended_on: date(r, "ended_on")?,
                evaluated_on: date(r, "evaluated_on")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// A countermeasure in 停滞 today, for the ward page's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckRow {
    pub id: i64,
    pub title: String,
    pub topic: i64,
    pub stage: String,
    /// The day its stage was last set.
    pub since: Option<NaiveDate>,
}

/// The ward's 停滞 countermeasures today, longest-standing first.
pub async fn stuck(db: &Db, scope: &WardRead, today: NaiveDate) -> AppResult<Vec<StuckRow>> {
    stuck_rows(db, scope, today, Paging::all()).await
}

/// One page of [`stuck`], with their number on all pages.
pub async fn stuck_page(
    db: &Db,
    scope: &WardRead,
    today: NaiveDate,
    paging: Paging,
) -> AppResult<Page<StuckRow>> {
    let sql = format!(
        "SELECT COUNT(*) FROM countermeasures \
         WHERE ward_id = $1 AND archived = 0 AND stage <> '{}' AND last_stage_on <= $2",
        Stage::Evaluated.as_str()
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.ward_id())
        .bind(stuck_since(today).to_string())
        .fetch_one(&db.pool)
        .await?;
    let items = stuck_rows(db, scope, today, paging).await?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

async fn stuck_rows(
    db: &Db,
    scope: &WardRead,
    today: NaiveDate,
    paging: Paging,
) -> AppResult<Vec<StuckRow>> {
    let sql = format!(
        "SELECT id, title, topic, stage, last_stage_on FROM countermeasures \
         WHERE ward_id = $1 AND archived = 0 AND stage <> '{}' AND last_stage_on <= $2 \
         ORDER BY last_stage_on, id LIMIT $3 OFFSET $4",
        Stage::Evaluated.as_str()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.ward_id())
        .bind(stuck_since(today).to_string())
        .bind(paging.limit)
        .bind(paging.offset)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let since: Option<String> = r.try_get("last_stage_on")?;
            Ok(StuckRow {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                topic: r.try_get("topic")?,
                stage: r.try_get("stage")?,
                since: since.map(|d| parse_date("last_stage_on", &d)).transpose()?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}
