//! The look-ups the access check decides on: which ward (and municipality)
//! a record belongs to. Read only; the first ward look-up is remembered.

use sqlx::Row;

use super::WardScope;
use crate::db::Db;
use crate::error::AppResult;

async fn scope_of(db: &Db, sql: &'static str, id: i64) -> AppResult<Option<WardScope>> {
    let row = sqlx::query(sql).bind(id).fetch_optional(&db.pool).await?;
    row.map(|r| -> AppResult<WardScope> {
        Ok(WardScope {
            ward_id: r.try_get(0)?,
            municipality_id: r.try_get(1)?,
        })
    })
    .transpose()
}

pub async fn ward_scope(db: &Db, ward_id: i64) -> AppResult<Option<WardScope>> {
    if let Some(municipality_id) = db.fixed.ward_municipality(ward_id) {
        return Ok(Some(WardScope {
            ward_id,
            municipality_id,
        }));
    }
    let scope = scope_of(
        db,
        "SELECT id, municipality_id FROM wards WHERE id = $1",
        ward_id,
    )
    .await?;
    if let Some(s) = scope {
        db.fixed
            .remember_ward_municipality(s.ward_id, s.municipality_id);
    }
    Ok(scope)
}

pub async fn member_scope(db: &Db, member_id: i64) -> AppResult<Option<WardScope>> {
    scope_of(
        db,
        "SELECT w.id, w.municipality_id FROM members m JOIN wards w ON w.id = m.ward_id WHERE m.id = $1",
        member_id,
    )
    .await
}

pub async fn meeting_scope(db: &Db, meeting_id: i64) -> AppResult<Option<WardScope>> {
    scope_of(
        db,
        "SELECT w.id, w.municipality_id FROM meetings m JOIN wards w ON w.id = m.ward_id WHERE m.id = $1",
        meeting_id,
    )
    .await
}

/// The ward of a reminder message (none when the message has no ward).
pub async fn outbox_scope(db: &Db, outbox_id: i64) -> AppResult<Option<WardScope>> {
    scope_of(
        db,
        "SELECT w.id, w.municipality_id FROM outbox o JOIN wards w ON w.id = o.ward_id WHERE o.id = $1",
        outbox_id,
    )
    .await
}

/// The ward of a countermeasure and its owner.
pub async fn countermeasure_scope(db: &Db, id: i64) -> AppResult<Option<(WardScope, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT w.id, w.municipality_id, c.owner_member_id FROM countermeasures c JOIN wards w ON w.id = c.ward_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| -> AppResult<_> {
        Ok((
            WardScope {
                ward_id: r.try_get(0)?,
                municipality_id: r.try_get(1)?,
            },
            r.try_get(2)?,
        ))
    })
    .transpose()
}

/// Whether municipality `id` exists (for checks on ids in bodies).
pub async fn municipality_exists(db: &Db, id: i64) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM municipalities WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// The municipality of indicator `id` (none when it does not exist).
pub async fn indicator_municipality(db: &Db, id: i64) -> AppResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT municipality_id FROM indicators WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}
