//! SQL for 多職種の参画状況: grouped counts over meetings, their attendance
//! rows (each with the kind its member had at the meeting) and members,
//! handed to the rules in `mod.rs`. One ward costs five small indexed
//! queries ([`for_ward`], what the dashboard includes); a matrix costs the
//! same five over all its wards ([`for_wards`]), whatever their number.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use super::{CityParticipation, Counts, Participation, WardRef};
use crate::access::{CityRead, CityView, Visible, WardRead};
use crate::calendar::Period;
use crate::db::{Bind, Db, Dialect};
use crate::error::AppResult;
use crate::reminders::ABSENCE_WINDOW_DEFAULT;

/// Which wards a query covers, as SQL on `{alias}.ward_id` and its binds,
/// numbered from `first`.
fn ward_clause(visible: Visible, alias: &str, first: usize) -> (String, Vec<Bind>) {
    match (visible.ward_id(), visible.municipality_id()) {
        (Some(w), _) => (
            format!(" AND {alias}.ward_id = ${first}"),
            vec![Bind::Int(w)],
        ),
        (None, Some(m)) => (
            format!(
                " AND {alias}.ward_id IN (SELECT id FROM wards WHERE municipality_id = ${first})"
            ),
            vec![Bind::Int(m)],
        ),
        (None, None) => (String::new(), Vec::new()),
    }
}

async fn fetch(db: &Db, sql: String, binds: Vec<Bind>) -> AppResult<Vec<sqlx::any::AnyRow>> {
    Ok(
        crate::db::bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Meetings held in `[from, to]` per ward (kind `''`) and, per ward and
/// kind, those with an attendee of the kind: one round trip.
async fn held_and_attended(
    db: &Db,
    visible: Visible,
    from: NaiveDate,
    to: NaiveDate,
    counts: &mut Counts,
) -> AppResult<()> {
    let (wards, mut binds) = ward_clause(visible, "m", 3);
    let sql = format!(
        "SELECT m.ward_id, '' AS kind, COUNT(*) AS n FROM meetings m \
         WHERE m.held_on >= $1 AND m.held_on <= $2{wards} GROUP BY m.ward_id \
         UNION ALL \
         SELECT m.ward_id, a.organization_kind AS kind, COUNT(DISTINCT m.id) AS n \
         FROM meetings m JOIN meeting_attendees a ON a.meeting_id = m.id \
         WHERE m.held_on >= $1 AND m.held_on <= $2{wards} GROUP BY m.ward_id, a.organization_kind"
    );
    let mut all = vec![Bind::Text(from.to_string()), Bind::Text(to.to_string())];
    all.append(&mut binds);
    for r in fetch(db, sql, all).await? {
        let ward: i64 = r.try_get("ward_id")?;
        let kind: String = r.try_get("kind")?;
        let n: i64 = r.try_get("n")?;
        if kind.is_empty() {
            counts.held.insert(ward, n);
        } else {
            counts.attended.insert((ward, kind), n);
        }
    }
    Ok(())
}

/// Active members per ward and kind.
async fn members(db: &Db, visible: Visible, counts: &mut Counts) -> AppResult<()> {
    let (wards, binds) = ward_clause(visible, "m", 1);
    let sql = format!(
        "SELECT m.ward_id, m.organization_kind AS kind, COUNT(*) AS n FROM members m \
         WHERE m.active = 1{wards} GROUP BY m.ward_id, m.organization_kind"
    );
    for r in fetch(db, sql, binds).await? {
        counts
            .members
            .insert((r.try_get("ward_id")?, r.try_get("kind")?), r.try_get("n")?);
    }
    Ok(())
}

/// Which wards a query over `wards w` covers, as SQL and its binds,
/// numbered from `first`.
fn wards_clause(visible: Visible, first: usize) -> (String, Vec<Bind>) {
    match (visible.ward_id(), visible.municipality_id()) {
        (Some(w), _) => (format!(" WHERE w.id = ${first}"), vec![Bind::Int(w)]),
        (None, Some(m)) => (
            format!(" WHERE w.municipality_id = ${first}"),
            vec![Bind::Int(m)],
        ),
        (None, None) => (String::new(), Vec::new()),
    }
}

/// The last `n` meetings of each ward held up to `through` (ties on the
/// day broken by id, the later first), with the kinds that attended each;
/// ranked here (1 = the latest): per ward how many were read, and per ward
/// and kind the rank of the latest it attended. Each ward's meetings come
/// straight from the `(ward_id, held_on)` index, `n` of them, however long
/// its history: a correlated `LIMIT` on SQLite, `LATERAL` on PostgreSQL
/// (whose planner would run the correlated form once per meeting).
async fn recent(
    db: &Db,
    visible: Visible,
    through: NaiveDate,
    n: i64,
    counts: &mut Counts,
) -> AppResult<()> {
    let (wards, mut binds) = wards_clause(visible, 3);
    let sql = match db.dialect {
        Dialect::Sqlite => format!(
            "SELECT x.ward_id, x.id, x.held_on, a.organization_kind AS kind FROM wards w \
             JOIN meetings x ON x.id IN (SELECT y.id FROM meetings y WHERE y.ward_id = w.id \
                 AND y.held_on <= $1 ORDER BY y.held_on DESC, y.id DESC LIMIT $2) \
             LEFT JOIN meeting_attendees a ON a.meeting_id = x.id{wards} \
             GROUP BY x.ward_id, x.id, x.held_on, a.organization_kind"
        ),
        Dialect::Postgres => format!(
            "SELECT w.id AS ward_id, x.id, x.held_on, a.organization_kind AS kind FROM wards w \
             CROSS JOIN LATERAL (SELECT y.id, y.held_on FROM meetings y WHERE y.ward_id = w.id \
                 AND y.held_on <= $1 ORDER BY y.held_on DESC, y.id DESC LIMIT $2) x \
             LEFT JOIN meeting_attendees a ON a.meeting_id = x.id{wards} \
             GROUP BY w.id, x.id, x.held_on, a.organization_kind"
        ),
    };
    let mut all = vec![Bind::Text(through.to_string()), Bind::Int(n)];
    all.append(&mut binds);
    // Per ward: its meetings (day, id) and the (meeting, kind) pairs.
    let mut meetings: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    let mut kinds: Vec<(i64, i64, String)> = Vec::new();
    for r in fetch(db, sql, all).await? {
        let ward: i64 = r.try_get("ward_id")?;
        let id: i64 = r.try_get("id")?;
        meetings
            .entry(ward)
            .or_default()
            .push((r.try_get("held_on")?, id));
        if let Some(kind) = r.try_get::<Option<String>, _>("kind")? {
            kinds.push((ward, id, kind));
        }
    }
    let mut rank: HashMap<i64, i64> = HashMap::new();
    for (ward, mut list) in meetings {
        // Newest first; a meeting comes once per kind that attended it.
        list.sort_unstable_by(|a, b| b.cmp(a));
        list.dedup();
        counts.recent.insert(ward, list.len() as i64);
        for (i, (_, id)) in list.iter().enumerate() {
            rank.insert(*id, i as i64 + 1);
        }
    }
    for (ward, id, kind) in kinds {
        let k = rank.get(&id).copied().unwrap_or(i64::MAX);
        let slot = counts.last_rank.entry((ward, kind)).or_insert(k);
        *slot = (*slot).min(k);
    }
    Ok(())
}

/// The window N of each municipality in view (the default where none is set).
async fn windows(db: &Db, visible: Visible) -> AppResult<HashMap<i64, i64>> {
    crate::reminders::store::absence_windows(db, visible).await
}

/// One ward's participation in `period`, counted up to [`super::as_of`]
/// (`today` from the clock): five small queries on indexes, cheap enough
/// for the dashboard. Errors: 404 when the ward does not exist.
pub async fn for_ward(
    db: &Db,
    scope: &WardRead,
    period: Period,
    today: NaiveDate,
) -> AppResult<Participation> {
    let ward = crate::wards::store::get(db, scope).await?;
    let through = super::as_of(period, today);
    let visible = scope.wards();
    let n = windows(db, visible)
        .await?
        .get(&ward.municipality_id)
        .copied()
        .unwrap_or(ABSENCE_WINDOW_DEFAULT);
    let mut counts = Counts::default();
    held_and_attended(db, visible, period.start(), through, &mut counts).await?;
    members(db, visible, &mut counts).await?;
    recent(db, visible, through, n, &mut counts).await?;
    let w = WardRef {
        id: ward.id,
        name: ward.name,
        municipality_id: ward.municipality_id,
    };
    Ok(Participation {
        period: period.code(),
        period_label: period.label(),
        as_of: through,
        ward: super::ward(&w, &counts, n),
    })
}

/// Per kind, over the wards of `scope`'s municipality: the bottom row of
/// its matrix (wards where the kind attended of wards that held a
/// meeting), for the dashboard's city column.
pub async fn city_totals(
    db: &Db,
    scope: &WardRead,
    period: Period,
    today: NaiveDate,
) -> AppResult<Vec<super::KindTotal>> {
    Ok(for_wards(db, scope.city_wards(), period, today)
        .await?
        .totals)
}

/// The ward × kind matrix of one municipality (`city`). Errors: 404 when
/// the municipality does not exist.
pub async fn for_city(
    db: &Db,
    city: &CityRead,
    period: Period,
    today: NaiveDate,
) -> AppResult<CityParticipation> {
    crate::municipalities::store::get(db, city).await?;
    let mut matrix = for_wards(db, city.wards(), period, today).await?;
    matrix.municipality_id = Some(city.municipality_id());
    Ok(matrix)
}

/// The matrix over a cross-ward view: one municipality, or every ward for
/// `admin`. Errors: 404 when the municipality named does not exist.
pub async fn for_view(
    db: &Db,
    view: &CityView,
    period: Period,
    today: NaiveDate,
) -> AppResult<CityParticipation> {
    match view.city() {
        Some(city) => for_city(db, &city, period, today).await,
        None => for_wards(db, view.wards(), period, today).await,
    }
}

/// The matrix over the wards `visible` shows, each with its municipality's
/// window, wards missing 病院 first ([`super::order_city`]).
async fn for_wards(
    db: &Db,
    visible: Visible,
    period: Period,
    today: NaiveDate,
) -> AppResult<CityParticipation> {
    let through = super::as_of(period, today);
    let wards = crate::wards::store::list(db, visible, None).await?;
    let windows = windows(db, visible).await?;
    // One read over the longest window; each ward keeps its own N.
    let longest = windows
        .values()
        .copied()
        .chain([ABSENCE_WINDOW_DEFAULT])
        .max()
        .unwrap_or(ABSENCE_WINDOW_DEFAULT);
    let mut counts = Counts::default();
    held_and_attended(db, visible, period.start(), through, &mut counts).await?;
    members(db, visible, &mut counts).await?;
    recent(db, visible, through, longest, &mut counts).await?;
    let mut rows: Vec<_> = wards
        .into_iter()
        .map(|w| {
            let n = windows
                .get(&w.municipality_id)
                .copied()
                .unwrap_or(ABSENCE_WINDOW_DEFAULT);
            let w = WardRef {
                id: w.id,
                name: w.name,
                municipality_id: w.municipality_id,
            };
            super::ward(&w, &counts, n)
        })
        .collect();
    super::order_city(&mut rows);
    Ok(CityParticipation {
        municipality_id: visible.municipality_id(),
        period: period.code(),
        period_label: period.label(),
        as_of: through,
        totals: super::totals(&rows),
        wards: rows,
    })
}
