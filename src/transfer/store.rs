//! Reading a ward's records for an export or an import, and writing an
//! import. `store.rs` is SQL, row mapping and the transaction of one use
//! case; a store may call another concept's `*_in(tx, …)` store functions
//! so a use case writes in one transaction: an import writes through the
//! meetings' and countermeasures' stores and commits once.

use chrono::{DateTime, NaiveDate, Utc};

use super::{ImportedCountermeasure, check_same_ward};
use crate::access::{WardRead, WardWrite};
use crate::countermeasures::{self, Countermeasure};
use crate::db::Db;
use crate::error::AppResult;
use crate::meetings::{self, Meeting};
use crate::members::Member;
use crate::paging::Paging;

/// Writes checked meetings into the ward in one transaction; a row of
/// another ward is refused (the parse sets each row's ward from `ward`).
pub async fn import_meetings(
    db: &Db,
    ward: &WardWrite,
    list: Vec<Meeting>,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    check_same_ward(ward.ward_id(), list.iter().map(|m| m.ward_id))?;
    let mut tx = db.begin_write().await?;
    let mut ids = Vec::new();
    for m in list {
        ids.push(meetings::store::create_in(&mut tx, m, now).await?.id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// Writes checked countermeasures into the ward in one transaction (as
/// [`import_meetings`]).
pub async fn import_countermeasures(
    db: &Db,
    ward: &WardWrite,
    list: Vec<ImportedCountermeasure>,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    check_same_ward(ward.ward_id(), list.iter().map(|c| c.cm.ward_id))?;
    let mut tx = db.begin_write().await?;
    let mut ids = Vec::new();
    for c in list {
        let actor = Some("CSV取込");
        let mut cm = countermeasures::store::create_in(&mut tx, c.cm, actor, &c.steps, now).await?;
        if c.archived {
            cm = countermeasures::store::archive_in(&mut tx, cm, actor, now).await?;
        }
        ids.push(cm.id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// A ward's meetings, all of them, oldest first (as a sheet is kept), for
/// exports and look-ups of the deciding meeting.
pub async fn all_meetings(db: &Db, ward: &WardRead) -> AppResult<Vec<Meeting>> {
    meetings(db, ward, meetings::store::MeetingQuery::default()).await
}

/// A ward's meetings that `query` keeps, all of them (no paging), oldest
/// first: a filtered export.
pub async fn meetings(
    db: &Db,
    ward: &WardRead,
    query: meetings::store::MeetingQuery,
) -> AppResult<Vec<Meeting>> {
    let mut items = meetings::store::list(db, ward, query, Paging::all())
        .await?
        .items;
    items.reverse();
    Ok(items)
}

/// A ward's countermeasures, archived ones included, oldest first: what an
/// import must not add again.
pub async fn all_countermeasures(
    db: &Db,
    ward: &WardRead,
    today: NaiveDate,
) -> AppResult<Vec<Countermeasure>> {
    let all = countermeasures::store::CountermeasureQuery {
        include_archived: true,
        ..Default::default()
    };
    countermeasures(db, ward, all, today).await
}

/// A ward's countermeasures that `query` keeps, all of them (no paging),
/// oldest first: a filtered export.
pub async fn countermeasures(
    db: &Db,
    ward: &WardRead,
    query: countermeasures::store::CountermeasureQuery,
    today: NaiveDate,
) -> AppResult<Vec<Countermeasure>> {
    let mut items = countermeasures::store::list(db, ward, query, today, Paging::all())
        .await?
        .items;
    items.sort_by_key(|c| c.id);
    Ok(items)
}

/// The scenes of the ward's municipality, which an import's 場面 names.
pub async fn scenes(db: &Db, ward: &WardWrite) -> AppResult<crate::scenes::Scenes> {
    crate::scenes::store::list(db, ward.plan()).await
}

/// A ward's members, all of them, for exports and owner look-ups.
pub async fn all_members(db: &Db, ward: &WardRead) -> AppResult<Vec<Member>> {
    members(db, ward, false).await
}

/// A ward's members, active first, all of them (no paging);
/// `active_only` leaves out former members: a filtered export.
pub async fn members(db: &Db, ward: &WardRead, active_only: bool) -> AppResult<Vec<Member>> {
    Ok(
        crate::members::store::list(db, ward, active_only, Paging::all())
            .await?
            .items,
    )
}
