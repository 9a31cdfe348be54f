//! Scopes: the only keys to a ward's or a municipality's data.
//!
//! Every store function that reads or changes data of one ward or one
//! municipality takes one of the scope values below instead of a bare id.
//! Their fields are private and this module is the only place that makes
//! them, after deciding on the *typed, decoded* id the handler got (a
//! `Path<i64>` of the API, the page route's parameter): a handler that
//! skipped the check has no value to pass and does not compile.
//!
//! The decision ([`Actor`]'s rules, in [`actor`]) answers:
//! - the id does not exist, or its data is outside the actor's scope:
//!   [`AppError::NotFound`] with the same message either way (existence
//!   does not leak);
//! - readable but not to be changed by this role: [`AppError::Forbidden`].

use crate::db::Db;
use crate::error::{AppError, AppResult};

pub mod actor;
pub mod store;

pub use actor::{Actor, Role, WardScope};

/// The one answer for "missing" and "not yours".
fn not_found(kind: &'static str) -> AppError {
    AppError::NotFound(kind)
}

/// Reading one ward's data (its dashboard, members, meetings, countermeasures,
/// survey, report). Made by [`ward_read`] or from a stronger scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WardRead(WardScope);

/// Changing one ward's data: its `secretariat`, the `city` of its
/// municipality, `admin`. Made by [`ward_write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WardWrite(WardScope);

macro_rules! ward_accessors {
    ($t:ty) => {
        impl $t {
            /// The ward's id.
            pub fn ward_id(&self) -> i64 {
                self.0.ward_id
            }
            /// The id of the ward's municipality.
            pub fn municipality_id(&self) -> i64 {
                self.0.municipality_id
            }
        }
    };
}
ward_accessors!(WardRead);
ward_accessors!(WardWrite);

impl WardRead {
    /// This ward alone, as a list filter.
    pub fn wards(&self) -> Visible {
        Visible {
            municipality_id: Some(self.0.municipality_id),
            ward_id: Some(self.0.ward_id),
        }
    }
    /// The wards of this ward's municipality, as a list filter: only for
    /// figures that set the ward beside its city, pooled or per ward (the
    /// dashboard's comparisons), never for the other wards' records.
    pub fn city_wards(&self) -> Visible {
        Visible {
            municipality_id: Some(self.0.municipality_id),
            ward_id: None,
        }
    }
}

impl WardWrite {
    /// Who may change may read.
    pub fn read(&self) -> WardRead {
        WardRead(self.0)
    }
}

/// One record of a ward (a member, a meeting, a countermeasure), read or
/// changed at the level `L` ([`Read`], [`Write`], [`Step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<K, L> {
    id: i64,
    ward: WardScope,
    level: L,
    kind: std::marker::PhantomData<K>,
}

/// Level: reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read;
/// Level: changing, as the ward's secretariat or the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write;
/// Level: a countermeasure's PDCA step, as its owner (a `member`) or as the
/// ward's secretariat or the city; `manages` tells which (the owner may only
/// record the step to 評価改善 and notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    manages: bool,
}

/// Kind: a committee member (委員).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberKind;
/// Kind: a meeting (会議).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingKind;
/// Kind: a countermeasure (対応策).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountermeasureKind;
/// Kind: a reminder message of the outbox (通知メール), of the ward
/// `outbox.ward_id` names (a message without a ward is no one's record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxKind;

/// Reading a member.
pub type MemberRead = Record<MemberKind, Read>;
/// Changing a member.
pub type MemberWrite = Record<MemberKind, Write>;
/// Reading a meeting.
pub type MeetingRead = Record<MeetingKind, Read>;
/// Changing or deleting a meeting.
pub type MeetingWrite = Record<MeetingKind, Write>;
/// Reading a countermeasure and its history.
pub type CountermeasureRead = Record<CountermeasureKind, Read>;
/// Editing, archiving or re-planning a countermeasure.
pub type CountermeasureWrite = Record<CountermeasureKind, Write>;
/// Recording a PDCA step on a countermeasure (see [`Step`]).
pub type CountermeasureStep = Record<CountermeasureKind, Step>;
/// Reading a reminder message.
pub type OutboxRead = Record<OutboxKind, Read>;
/// Resending a reminder message that failed or was refused.
pub type OutboxWrite = Record<OutboxKind, Write>;

impl<K, L: Copy> Record<K, L> {
    /// The record's id.
    pub fn id(&self) -> i64 {
        self.id
    }
    /// The id of the record's ward.
    pub fn ward_id(&self) -> i64 {
        self.ward.ward_id
    }
    /// The id of the record's municipality.
    pub fn municipality_id(&self) -> i64 {
        self.ward.municipality_id
    }
    /// Whoever reaches a record reads its ward.
    pub fn ward_read(&self) -> WardRead {
        WardRead(self.ward)
    }
    /// The same record, read.
    pub fn read(&self) -> Record<K, Read> {
        Record {
            id: self.id,
            ward: self.ward,
            level: Read,
            kind: std::marker::PhantomData,
        }
    }
}

impl<K> Record<K, Write> {
    /// Who changes a ward's record changes the ward's data.
    pub fn ward_write(&self) -> WardWrite {
        WardWrite(self.ward)
    }
}

impl CountermeasureStep {
    /// Whether the actor manages the ward (secretariat, city, admin) rather
    /// than only owning the countermeasure (a member): owners record the
    /// step to 評価改善 and notes, nothing else.
    pub fn manages(&self) -> bool {
        self.level.manages
    }
}

/// Reading what spans one municipality (its wards side by side, the
/// report, survey statuses, reminder settings): city-level accounts of it
/// (`city`, city-level `viewer`) and `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityRead(i64);

/// Changing what belongs to one municipality (its wards' names, reminder
/// settings, summaries, reopening surveys): its `city` and `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityOf(i64);

impl CityRead {
    /// The municipality's id.
    pub fn municipality_id(&self) -> i64 {
        self.0
    }
    /// Its wards.
    pub fn wards(&self) -> Visible {
        Visible {
            municipality_id: Some(self.0),
            ward_id: None,
        }
    }
}

impl CityOf {
    /// The municipality's id.
    pub fn municipality_id(&self) -> i64 {
        self.0
    }
    /// Who may change may read.
    pub fn read(&self) -> CityRead {
        CityRead(self.0)
    }
}

/// Reading what a municipality sets for all its wards — its scenes, its
/// 目指すべき姿, its 評価指標: every account of the municipality (ward-level
/// ones included, who link their countermeasures to them) and `admin`.
/// Changing it is [`CityOf`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRead(i64);

impl PlanRead {
    /// The municipality's id.
    pub fn municipality_id(&self) -> i64 {
        self.0
    }
}

impl CityOf {
    /// Who changes the municipality's plan reads it.
    pub fn plan(&self) -> PlanRead {
        PlanRead(self.0)
    }
}

impl CityRead {
    /// The city reads its plan.
    pub fn plan(&self) -> PlanRead {
        PlanRead(self.0)
    }
}

impl WardRead {
    /// A ward's accounts read their municipality's plan.
    pub fn plan(&self) -> PlanRead {
        PlanRead(self.0.municipality_id)
    }
}

impl WardWrite {
    /// A ward's writers read their municipality's plan.
    pub fn plan(&self) -> PlanRead {
        PlanRead(self.0.municipality_id)
    }
}

/// Reading one 評価指標 (indicator) and its values: as [`PlanRead`] of its
/// municipality. Values of wards are narrowed further by [`Visible`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorRead {
    id: i64,
    municipality_id: i64,
}

/// Changing one indicator: the `city` of its municipality and `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorWrite {
    id: i64,
    municipality_id: i64,
}

macro_rules! indicator_accessors {
    ($t:ty) => {
        impl $t {
            /// The indicator's id.
            pub fn id(&self) -> i64 {
                self.id
            }
            /// Its municipality's id.
            pub fn municipality_id(&self) -> i64 {
                self.municipality_id
            }
            /// Its municipality's plan.
            pub fn plan(&self) -> PlanRead {
                PlanRead(self.municipality_id)
            }
        }
    };
}
indicator_accessors!(IndicatorRead);
indicator_accessors!(IndicatorWrite);

impl IndicatorWrite {
    /// Who may change may read.
    pub fn read(&self) -> IndicatorRead {
        IndicatorRead {
            id: self.id,
            municipality_id: self.municipality_id,
        }
    }
    /// Changing it changes its municipality's plan.
    pub fn city(&self) -> CityOf {
        CityOf(self.municipality_id)
    }
}

/// A cross-ward view (the report, survey statuses, job runs, deliveries):
/// one municipality, or every one (`admin` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityView(Option<i64>);

impl CityView {
    /// The municipality shown; `None` = every one (admin).
    pub fn municipality_id(&self) -> Option<i64> {
        self.0
    }
    /// The wards shown.
    pub fn wards(&self) -> Visible {
        Visible {
            municipality_id: self.0,
            ward_id: None,
        }
    }
    /// The one municipality shown, to read its own data (summaries).
    pub fn city(&self) -> Option<CityRead> {
        self.0.map(CityRead)
    }
}

/// The installation's operator (`admin`): creates municipalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installation(());

/// Account administration and the audit log, for the municipality given
/// (`None`: every municipality, for `admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountsAdmin(Option<i64>);

impl AccountsAdmin {
    /// The municipality whose accounts this covers; `None` = all (admin).
    pub fn municipality_id(&self) -> Option<i64> {
        self.0
    }
}

/// Which wards a list spanning wards may show the actor: `admin` every
/// ward, city-level accounts their municipality's, others their own ward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible {
    municipality_id: Option<i64>,
    ward_id: Option<i64>,
}

impl Visible {
    /// `None` = every municipality (admin).
    pub fn municipality_id(&self) -> Option<i64> {
        self.municipality_id
    }
    /// `Some` = only this ward.
    pub fn ward_id(&self) -> Option<i64> {
        self.ward_id
    }

    /// Whether a ward is in this view.
    pub fn contains(&self, ward: WardScope) -> bool {
        self.municipality_id
            .is_none_or(|m| m == ward.municipality_id)
            && self.ward_id.is_none_or(|w| w == ward.ward_id)
    }
}

/// The installation's operator at the command line, the demo loader, the
/// seed and the scheduled jobs: trusted with every scope without an
/// account. Faces (`api.rs`, `pages.rs`, `http`) never use it; a test
/// checks that they don't.
#[derive(Debug, Clone, Copy)]
pub struct Operator(());

/// The operator's scopes (see [`Operator`]).
pub fn operator() -> Operator {
    Operator(())
}

impl Operator {
    /// Every ward of every municipality.
    pub fn all_wards(self) -> Visible {
        Visible {
            municipality_id: None,
            ward_id: None,
        }
    }
    /// Reading ward `ward_id` (whose municipality is `municipality_id`).
    pub fn ward_read(self, ward_id: i64, municipality_id: i64) -> WardRead {
        WardRead(WardScope {
            ward_id,
            municipality_id,
        })
    }
    /// Changing ward `ward_id` (whose municipality is `municipality_id`).
    pub fn ward_write(self, ward_id: i64, municipality_id: i64) -> WardWrite {
        WardWrite(WardScope {
            ward_id,
            municipality_id,
        })
    }
    /// Creating municipalities.
    pub fn installation(self) -> Installation {
        Installation(())
    }
    /// Reading municipality `municipality_id`.
    pub fn city_read(self, municipality_id: i64) -> CityRead {
        CityRead(municipality_id)
    }
    /// Recording any step on countermeasure `id` of the ward `ward`.
    pub fn countermeasure_step(self, id: i64, ward: &WardWrite) -> CountermeasureStep {
        record(id, ward.0, Step { manages: true })
    }
    /// Editing countermeasure `id` of the ward `ward` (the demo's postponements).
    pub fn countermeasure_write(self, id: i64, ward: &WardWrite) -> CountermeasureWrite {
        record(id, ward.0, Write)
    }
    /// Reading municipality `municipality_id`'s plan.
    pub fn plan_read(self, municipality_id: i64) -> PlanRead {
        PlanRead(municipality_id)
    }
    /// Changing indicator `id` of municipality `municipality_id` (the
    /// demo's values).
    pub fn indicator_write(self, id: i64, municipality_id: i64) -> IndicatorWrite {
        IndicatorWrite {
            id,
            municipality_id,
        }
    }
    /// Changing municipality `municipality_id`.
    pub fn city_of(self, municipality_id: i64) -> CityOf {
        CityOf(municipality_id)
    }
    /// The cross-ward view of one municipality, or all.
    pub fn city_view(self, municipality_id: Option<i64>) -> CityView {
        CityView(municipality_id)
    }
}

// ---------------------------------------------------------------------------
// The checks

fn decide_ward(actor: &Actor, ward: WardScope, write: bool) -> AppResult<()> {
    if !actor.can_read_ward(ward) {
        return Err(not_found("区"));
    }
    if write && !actor.can_write_ward(ward) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Reading ward `ward_id`. Errors: 404 when it does not exist or is
/// outside the actor's scope.
pub async fn ward_read(db: &Db, actor: &Actor, ward_id: i64) -> AppResult<WardRead> {
    let ward = store::ward_scope(db, ward_id)
        .await?
        .ok_or(not_found("区"))?;
    decide_ward(actor, ward, false)?;
    Ok(WardRead(ward))
}

/// Changing ward `ward_id`'s data. Errors: 404 as [`ward_read`]; 403 for a
/// role that only reads it.
pub async fn ward_write(db: &Db, actor: &Actor, ward_id: i64) -> AppResult<WardWrite> {
    let ward = store::ward_scope(db, ward_id)
        .await?
        .ok_or(not_found("区"))?;
    decide_ward(actor, ward, true)?;
    Ok(WardWrite(ward))
}

/// Changing ward `ward_id` as the city of its municipality (or `admin`):
/// reopening a submitted survey. Errors: 404 as [`ward_read`]; 403 for the
/// ward's own accounts.
pub async fn ward_by_city(db: &Db, actor: &Actor, ward_id: i64) -> AppResult<(WardWrite, CityOf)> {
    let ward = ward_write(db, actor, ward_id).await?;
    if !actor.can_write_municipality(ward.municipality_id()) {
        return Err(AppError::Forbidden);
    }
    Ok((ward, CityOf(ward.municipality_id())))
}

fn record<K, L>(id: i64, ward: WardScope, level: L) -> Record<K, L> {
    Record {
        id,
        ward,
        level,
        kind: std::marker::PhantomData,
    }
}

fn in_scope(actor: &Actor, ward: WardScope, kind: &'static str) -> AppResult<()> {
    if actor.can_read_ward(ward) {
        Ok(())
    } else {
        Err(not_found(kind))
    }
}

fn writer(actor: &Actor, ward: WardScope) -> AppResult<()> {
    if actor.can_write_ward(ward) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Reading member `id`. Errors: 404 (missing or out of scope).
pub async fn member_read(db: &Db, actor: &Actor, id: i64) -> AppResult<MemberRead> {
    let ward = store::member_scope(db, id)
        .await?
        .ok_or(not_found("委員"))?;
    in_scope(actor, ward, "委員")?;
    Ok(record(id, ward, Read))
}

/// Changing member `id`. Errors: 404 (missing or out of scope), 403.
pub async fn member_write(db: &Db, actor: &Actor, id: i64) -> AppResult<MemberWrite> {
    let read = member_read(db, actor, id).await?;
    writer(actor, read.ward)?;
    Ok(record(id, read.ward, Write))
}

/// Reading meeting `id`. Errors: 404 (missing or out of scope).
pub async fn meeting_read(db: &Db, actor: &Actor, id: i64) -> AppResult<MeetingRead> {
    let ward = store::meeting_scope(db, id)
        .await?
        .ok_or(not_found("会議"))?;
    in_scope(actor, ward, "会議")?;
    Ok(record(id, ward, Read))
}

/// Changing meeting `id`. Errors: 404 (missing or out of scope), 403.
pub async fn meeting_write(db: &Db, actor: &Actor, id: i64) -> AppResult<MeetingWrite> {
    let read = meeting_read(db, actor, id).await?;
    writer(actor, read.ward)?;
    Ok(record(id, read.ward, Write))
}

async fn countermeasure(db: &Db, actor: &Actor, id: i64) -> AppResult<(WardScope, Option<i64>)> {
    let (ward, owner) = store::countermeasure_scope(db, id)
        .await?
        .ok_or(not_found("対応策"))?;
    in_scope(actor, ward, "対応策")?;
    Ok((ward, owner))
}

/// Reading countermeasure `id`. Errors: 404 (missing or out of scope).
pub async fn countermeasure_read(db: &Db, actor: &Actor, id: i64) -> AppResult<CountermeasureRead> {
    let (ward, _) = countermeasure(db, actor, id).await?;
    Ok(record(id, ward, Read))
}

/// Editing countermeasure `id` (fields, owner, due date, archive, re-plan,
/// next cycle). Errors: 404 (missing or out of scope), 403.
pub async fn countermeasure_write(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> AppResult<CountermeasureWrite> {
    let (ward, _) = countermeasure(db, actor, id).await?;
    writer(actor, ward)?;
    Ok(record(id, ward, Write))
}

/// Recording a PDCA step on countermeasure `id`: the ward's writers, or a
/// `member` linked to the committee member who owns it. Errors: 404
/// (missing or out of scope), 403.
pub async fn countermeasure_step(db: &Db, actor: &Actor, id: i64) -> AppResult<CountermeasureStep> {
    let (ward, owner) = countermeasure(db, actor, id).await?;
    if actor.can_write_ward(ward) {
        return Ok(record(id, ward, Step { manages: true }));
    }
    let owns = actor.role == Role::Member && actor.member_id.is_some() && actor.member_id == owner;
    if owns {
        Ok(record(id, ward, Step { manages: false }))
    } else {
        Err(AppError::Forbidden)
    }
}

/// Reading reminder message `id` (an outbox row). Errors: 404 (missing,
/// without a ward, or out of scope).
pub async fn outbox_read(db: &Db, actor: &Actor, id: i64) -> AppResult<OutboxRead> {
    let ward = store::outbox_scope(db, id)
        .await?
        .ok_or(not_found("通知メール"))?;
    in_scope(actor, ward, "通知メール")?;
    Ok(record(id, ward, Read))
}

/// Resending reminder message `id`: the ward's secretariat, the city of its
/// municipality, `admin`. Errors: 404 (missing or out of scope), 403.
pub async fn outbox_write(db: &Db, actor: &Actor, id: i64) -> AppResult<OutboxWrite> {
    let read = outbox_read(db, actor, id).await?;
    writer(actor, read.ward)?;
    Ok(record(id, read.ward, Write))
}

/// Reading what spans municipality `id`. Errors: 403 for the ward-level
/// accounts of that municipality; 404 for anyone outside it, as if it did
/// not exist (whether it exists is the store's answer).
pub fn city_read(actor: &Actor, municipality_id: i64) -> AppResult<CityRead> {
    if actor.can_read_municipality(municipality_id) {
        Ok(CityRead(municipality_id))
    } else if actor.municipality_id == Some(municipality_id) {
        Err(AppError::Forbidden)
    } else {
        Err(not_found("自治体"))
    }
}

/// Changing what belongs to municipality `id`. Errors: 404 outside the
/// actor's municipality, 403 for a city-level viewer of it.
pub fn city_of(actor: &Actor, municipality_id: i64) -> AppResult<CityOf> {
    city_read(actor, municipality_id)?;
    if actor.can_write_municipality(municipality_id) {
        Ok(CityOf(municipality_id))
    } else {
        Err(AppError::Forbidden)
    }
}

/// Reading municipality `id`'s plan (scenes, visions, indicators).
/// Errors: 404 for anyone outside it, as if it did not exist.
pub fn plan_read(actor: &Actor, municipality_id: i64) -> AppResult<PlanRead> {
    if actor.role == Role::Admin || actor.municipality_id == Some(municipality_id) {
        Ok(PlanRead(municipality_id))
    } else {
        Err(not_found("自治体"))
    }
}

/// Reading indicator `id`. Errors: 404 (missing or outside the actor's
/// municipality).
pub async fn indicator_read(db: &Db, actor: &Actor, id: i64) -> AppResult<IndicatorRead> {
    let municipality_id = store::indicator_municipality(db, id)
        .await?
        .ok_or(not_found("評価指標"))?;
    plan_read(actor, municipality_id).map_err(|_| not_found("評価指標"))?;
    Ok(IndicatorRead {
        id,
        municipality_id,
    })
}

/// Changing indicator `id` (its fields, its values). Errors: 404 as
/// [`indicator_read`]; 403 for everyone but its `city` and `admin`.
pub async fn indicator_write(db: &Db, actor: &Actor, id: i64) -> AppResult<IndicatorWrite> {
    let read = indicator_read(db, actor, id).await?;
    if actor.can_write_municipality(read.municipality_id) {
        Ok(IndicatorWrite {
            id,
            municipality_id: read.municipality_id,
        })
    } else {
        Err(AppError::Forbidden)
    }
}

/// The cross-ward views of a municipality named in a query
/// (`?municipality_id=`): city-level accounts see their own (naming
/// another is 404); `admin` sees the one it names, or all. Errors: 404,
/// 403 for ward-level accounts.
pub fn city_view(actor: &Actor, asked: Option<i64>) -> AppResult<CityView> {
    if !actor.is_city_level() {
        return Err(AppError::Forbidden);
    }
    match (actor.role, asked) {
        (Role::Admin, asked) => Ok(CityView(asked)),
        (_, Some(m)) => city_read(actor, m).map(|c| CityView(Some(c.0))),
        (_, None) => actor
            .municipality_id
            .map(|m| CityView(Some(m)))
            .ok_or(AppError::Forbidden),
    }
}

/// The wards a list spanning wards shows (the delivery log): city-level
/// accounts as [`city_view`]; a ward's accounts their own ward. Errors: as
/// [`city_view`] for city-level accounts.
pub fn wards_view(actor: &Actor, asked: Option<i64>) -> AppResult<Visible> {
    if actor.is_city_level() {
        city_view(actor, asked).map(|v| v.wards())
    } else {
        Ok(visible(actor))
    }
}

/// Creating municipalities. Errors: 403 for everyone but `admin`.
pub fn installation(actor: &Actor) -> AppResult<Installation> {
    if actor.role == Role::Admin {
        Ok(Installation(()))
    } else {
        Err(AppError::Forbidden)
    }
}

/// Account administration and the audit log. Errors: 403 for everyone but
/// `city` and `admin`.
pub fn accounts_admin(actor: &Actor) -> AppResult<AccountsAdmin> {
    match actor.role {
        Role::Admin => Ok(AccountsAdmin(None)),
        Role::City => Ok(AccountsAdmin(actor.municipality_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// The wards a list spanning wards shows this actor.
pub fn visible(actor: &Actor) -> Visible {
    match actor.role {
        Role::Admin => Visible {
            municipality_id: None,
            ward_id: None,
        },
        // A non-admin account always has a municipality; -1 matches none.
        _ => Visible {
            municipality_id: Some(actor.municipality_id.unwrap_or(-1)),
            ward_id: actor.ward_id,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, municipality: Option<i64>, ward: Option<i64>) -> Actor {
        Actor {
            account_id: 1,
            role,
            municipality_id: municipality,
            ward_id: ward,
            member_id: Some(7),
            label: "account:1".into(),
        }
    }

    const A1: WardScope = WardScope {
        ward_id: 1,
        municipality_id: 10,
    };

    #[test]
    fn out_of_scope_and_missing_answer_alike() {
        let other_city = actor(Role::City, Some(20), None);
        let err = decide_ward(&other_city, A1, false).unwrap_err();
        assert_eq!(err.to_string(), not_found("区").to_string());
        let viewer = actor(Role::Viewer, Some(10), Some(1));
        assert!(matches!(
            decide_ward(&viewer, A1, true),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn city_views_pin_the_actors_municipality() {
        let city = actor(Role::City, Some(10), None);
        assert_eq!(city_view(&city, None).unwrap().municipality_id(), Some(10));
        assert!(matches!(
            city_view(&city, Some(20)),
            Err(AppError::NotFound(_))
        ));
        let secretariat = actor(Role::Secretariat, Some(10), Some(1));
        assert!(matches!(
            city_view(&secretariat, None),
            Err(AppError::Forbidden)
        ));
        let admin = actor(Role::Admin, None, None);
        assert_eq!(
            city_view(&admin, Some(20)).unwrap().municipality_id(),
            Some(20)
        );
        assert_eq!(city_view(&admin, None).unwrap().municipality_id(), None);
        let city_viewer = actor(Role::Viewer, Some(10), None);
        assert!(city_of(&city_viewer, 10).is_err() && city_read(&city_viewer, 10).is_ok());
    }

    #[test]
    fn visible_wards_follow_the_role() {
        let ward_level = visible(&actor(Role::Member, Some(10), Some(1)));
        assert!(ward_level.contains(A1));
        assert!(!ward_level.contains(WardScope {
            ward_id: 2,
            municipality_id: 10
        }));
        assert!(visible(&actor(Role::Admin, None, None)).contains(A1));
    }
}
