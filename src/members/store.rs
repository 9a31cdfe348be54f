//! SQL for members. `store.rs` is SQL, row mapping and the transaction of
//! one use case; rules (a member's checks, whose member an id is) are pure
//! functions in `mod.rs` that stores call.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Member, MemberPatch, NewMember, OrganizationKind};
use crate::access::{MemberRead, MemberWrite, WardRead, WardWrite};
use crate::audit;
use crate::db::{Db, Tx, timestamp};
use crate::error::{AppError, AppResult};
use crate::paging::{Page, Paging};

const SELECT: &str =
    "SELECT id, ward_id, name, organization, organization_kind, email, active FROM members";

fn from_row(row: &AnyRow) -> Result<Member, sqlx::Error> {
    let kind: String = row.try_get("organization_kind")?;
    let active: i64 = row.try_get("active")?;
    Ok(Member {
        id: row.try_get("id")?,
        ward_id: row.try_get("ward_id")?,
        name: row.try_get("name")?,
        organization: row.try_get("organization")?,
        organization_kind: OrganizationKind::parse(&kind).unwrap_or(OrganizationKind::Other),
        email: row.try_get("email")?,
        active: active != 0,
    })
}

fn audit_view(m: &Member) -> serde_json::Value {
    json!({
        "name": m.name,
        "organization": m.organization,
        "organization_kind": m.organization_kind.as_str(),
        "email": m.email,
        "active": m.active,
    })
}

/// A ward's members, active first, then by id; `active_only` hides former members.
pub async fn list(
    db: &Db,
    ward: &WardRead,
    active_only: bool,
    paging: Paging,
) -> AppResult<Page<Member>> {
    let ward_id = ward.ward_id();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ward_id = $1 AND active >= $2 ORDER BY active DESC, id LIMIT $3 OFFSET $4"
    )))
    .bind(ward_id)
    .bind(i64::from(active_only))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE ward_id = $1 AND active >= $2")
            .bind(ward_id)
            .bind(i64::from(active_only))
            .fetch_one(&db.pool)
            .await?;
    let items = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        paging,
    })
}

/// The member `member` names.
pub async fn get(db: &Db, member: &MemberRead) -> AppResult<Member> {
    let id = member.id();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound("委員"))?;
    Ok(from_row(&row)?)
}

/// Adds a member to the ward. Errors: 422.
pub async fn create(
    db: &Db,
    ward: &WardWrite,
    new: &NewMember,
    now: DateTime<Utc>,
) -> AppResult<Member> {
    let ward_id = ward.ward_id();
    let member = new.to_member(ward_id)?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO members (ward_id, name, organization, organization_kind, email, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(ward_id)
    .bind(member.name.as_str())
    .bind(member.organization.as_str())
    .bind(member.organization_kind.as_str())
    .bind(member.email.clone())
    .bind(i64::from(member.active))
    .bind(timestamp(now))
    .fetch_one(&mut *tx)
    .await?;
    let entry = audit::Entry {
        ward_id: Some(ward_id),
        municipality_id: None,
        entity: "member",
        entity_id: id,
        action: "create",
        actor: None,
        changes: audit_view(&member),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(Member { id, ..member })
}

/// Changes a member. Errors: 422.
pub async fn update(
    db: &Db,
    member: &MemberWrite,
    patch: &MemberPatch,
    now: DateTime<Utc>,
) -> AppResult<Member> {
    let id = member.id();
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("委員"))?;
    let before = from_row(&row)?;
    let after = before.patched(patch)?;
    sqlx::query(
        "UPDATE members SET name = $1, organization = $2, organization_kind = $3, email = $4, active = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(after.name.as_str())
    .bind(after.organization.as_str())
    .bind(after.organization_kind.as_str())
    .bind(after.email.clone())
    .bind(i64::from(after.active))
    .bind(timestamp(now))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let entry = audit::Entry {
        ward_id: Some(after.ward_id),
        municipality_id: None,
        entity: "member",
        entity_id: id,
        action: "update",
        actor: None,
        changes: audit::diff(&audit_view(&before), &audit_view(&after)),
    };
    audit::store::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Checks, inside a transaction, that every id is a member of `ward_id`
/// (the rule: [`super::check_in_ward`]); `field` names the input for the
/// error message. Errors: 422.
pub async fn ensure_in_ward(tx: &mut Tx, ward_id: i64, ids: &[i64], field: &str) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    // One query for the whole list (a meeting's attendees), not one per id.
    let placeholders = crate::db::placeholders(1, ids.len());
    let sql = format!(
        "SELECT id, ward_id FROM members WHERE id IN ({})",
        placeholders
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    let wards: std::collections::HashMap<i64, i64> = query
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("ward_id")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    super::check_in_ward(ward_id, ids, &wards, field)
}
