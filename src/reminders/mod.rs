//! E-mail reminders for evaluations due and overdue.
//!
//! The rules live here, without I/O. Each countermeasure at 具体化 has its
//! own reminder schedule, computed from its *current* due date and the run
//! date of its own last reminder: the notice `days_before_due` before the
//! due date (once), the first overdue reminder the day after it, then one
//! every `repeat_interval_days` ([`owner_owed`]); the secretariat's
//! escalation from `escalation_after_days` on the same rhythm
//! ([`escalation_owed`]). A change of the due date, the owner or the stage
//! starts the schedule afresh ([`ScheduleKey`]). An item waiting in a
//! message still to send is not owed again; a message whose retries ran out
//! does not count, so its items are owed again at the next run. A run
//! groups the items owed today into one digest per recipient ([`plan`]).
//!
//! Reminders are computed from state, never from "due tomorrow" events, so
//! a service that was down catches up on its next run. The flow is a
//! transactional outbox: [`jobs::run_job_once`] renders and queues digests
//! in one transaction ([`store`]; each carried item is an `outbox_items`
//! row, what the next run reads), and [`sender::send_pending_once`]
//! delivers what is queued over SMTP, re-checking every item right before
//! each attempt ([`recheck`]).

pub mod api;
pub mod crontab;
pub mod jobs;
pub mod mail;
pub mod pages;
pub mod sender;
pub mod store;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::error::{AppError, AppResult, FieldError};

/// The job's parameters (from the job file, overridden per municipality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A notice is sent this many days before the due date (0: no notice).
    pub days_before_due: i64,
    /// While an item stays overdue, it is reminded again every this many days.
    pub repeat_interval_days: i64,
    /// Once an item is this many days overdue, the ward secretariat is told too.
    pub escalation_after_days: i64,
    /// Delivery attempts before a message is marked failed.
    pub max_attempts: i64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            days_before_due: 7,
            repeat_interval_days: 7,
            escalation_after_days: 14,
            max_attempts: 8,
        }
    }
}

/// The bounds of each parameter (days; attempts), inclusive: what
/// [`Params::validate`] checks and the API's spec states.
pub const DAYS_BEFORE_DUE: (i64, i64) = (0, 90);
/// See [`DAYS_BEFORE_DUE`].
pub const REPEAT_INTERVAL_DAYS: (i64, i64) = (1, 90);
/// See [`DAYS_BEFORE_DUE`].
pub const ESCALATION_AFTER_DAYS: (i64, i64) = (1, 365);
/// See [`DAYS_BEFORE_DUE`].
pub const MAX_ATTEMPTS: (i64, i64) = (1, 50);

impl Params {
    /// Bounds that keep the rules meaningful (a 0-day repeat would divide by zero).
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        let mut check = |field: &str, label: &str, v: i64, (min, max): (i64, i64)| {
            if v < min || v > max {
                errors.push(FieldError::new(
                    field,
                    format!("{label}は{min}〜{max}の整数で入力してください"),
                ));
            }
        };
        check(
            "days_before_due",
            "期限前の通知日数",
            self.days_before_due,
            DAYS_BEFORE_DUE,
        );
        check(
            "repeat_interval_days",
            "再通知の間隔",
            self.repeat_interval_days,
            REPEAT_INTERVAL_DAYS,
        );
        check(
            "escalation_after_days",
            "事務局への通知までの日数",
            self.escalation_after_days,
            ESCALATION_AFTER_DAYS,
        );
        check(
            "max_attempts",
            "送信の試行回数",
            self.max_attempts,
            MAX_ATTEMPTS,
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

/// The bounds (meetings, inclusive) of a municipality's
/// [`Overrides::absence_window`]: a window of one meeting flags a kind for a
/// single absence, twenty covers years of a ward's meetings.
pub const ABSENCE_WINDOW: (i64, i64) = (1, 20);
/// The participation flag's window when the municipality set none: 3.
pub const ABSENCE_WINDOW_DEFAULT: i64 = 3;

/// A municipality's overrides; `None` keeps the job file's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
pub struct Overrides {
    pub days_before_due: Option<i64>,
    pub repeat_interval_days: Option<i64>,
    pub escalation_after_days: Option<i64>,
    /// 多職種の参画状況: an organisation kind that attended none of a ward's
    /// last this-many meetings is flagged (1–20; `None`: 3). Not a job
    /// parameter; kept with the reminder settings, which the city edits.
    pub absence_window: Option<i64>,
}

impl Overrides {
    /// The participation window that applies: the override, or 3.
    pub fn absence_window(&self) -> i64 {
        self.absence_window.unwrap_or(ABSENCE_WINDOW_DEFAULT)
    }

    /// Checks the overrides that are not job parameters (the participation
    /// window, [`ABSENCE_WINDOW`]): the field errors, empty when fine.
    pub fn check_own(&self) -> Vec<FieldError> {
        let (min, max) = ABSENCE_WINDOW;
        match self.absence_window {
            Some(n) if n < min || n > max => vec![FieldError::new(
                "absence_window",
                format!("参画なしとする直近の会議数は{min}〜{max}の整数で入力してください"),
            )],
            _ => Vec::new(),
        }
    }

    pub fn apply(&self, base: Params) -> Params {
        Params {
            days_before_due: self.days_before_due.unwrap_or(base.days_before_due),
            repeat_interval_days: self
                .repeat_interval_days
                .unwrap_or(base.repeat_interval_days),
            escalation_after_days: self
                .escalation_after_days
                .unwrap_or(base.escalation_after_days),
            max_attempts: base.max_attempts,
        }
    }
}

/// A 具体化 countermeasure with a due date, not archived: what the rules look at.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    pub topic: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub owner_member_id: Option<i64>,
    pub owner_name: Option<String>,
    /// `None` when the owner is inactive or has no address.
    pub owner_email: Option<String>,
    pub secretariat_email: Option<String>,
    /// The last history row that set the stage or the due date (0: none):
    /// with the due date and the owner, it names the item's current schedule.
    pub plan_event_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecipientKind {
    Owner,
    Secretariat,
}

impl RecipientKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Secretariat => "secretariat",
        }
    }

    /// The kind an outbox row names (`recipient_kind`).
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "owner" => Some(Self::Owner),
            "secretariat" => Some(Self::Secretariat),
            _ => None,
        }
    }
}

/// Which of an item's two reminder rhythms a reminder belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// The owner's: the notice before the due date, then the overdue
    /// reminders. Goes to the owner, or to the ward secretariat (宛先のない
    /// 対応策) when the owner has no usable address.
    Owner,
    /// The secretariat's, once the item is `escalation_after_days` overdue
    /// (only for items whose owner is mailed).
    Escalation,
}

impl Track {
    /// The code `outbox_items.track` holds.
    pub fn code(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Escalation => "escalation",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "owner" => Some(Self::Owner),
            "escalation" => Some(Self::Escalation),
            _ => None,
        }
    }
}

/// One schedule of one item: a change of the due date, the owner, the
/// stage or of where the reminders go starts another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduleKey {
    pub countermeasure_id: i64,
    pub track: Track,
    pub recipient_kind: RecipientKind,
    pub due_on: NaiveDate,
    pub owner_member_id: Option<i64>,
    pub plan_event_id: i64,
}

/// What an item's schedule has had so far (messages that carried it and
/// did not drop it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Messages that carried it, in any state: a new one after a failure
    /// gets a new idempotency key.
    pub reminders: i64,
    /// The pre-due notice was sent.
    pub noticed: bool,
    /// The run date of the last overdue reminder that was sent.
    pub last_overdue: Option<NaiveDate>,
}

/// What the outbox says about the items a run looks at.
#[derive(Debug, Default)]
pub struct Ledger {
    pub schedules: std::collections::HashMap<ScheduleKey, History>,
    /// Items waiting in a message still to send (queued, retrying, sending):
    /// not owed again until it is sent, cancelled or finally failed.
    pub waiting: std::collections::HashSet<(i64, Track)>,
    /// Addresses the server refused for good (trimmed, lower case).
    pub refused: std::collections::HashSet<String>,
}

/// An address the sender can use (the one address rule) and the server has
/// not refused: what the planner and the re-check both ask of an address.
pub fn deliverable(address: &str, refused: bool) -> bool {
    !refused && crate::email::mailbox(address).is_some()
}

impl Ledger {
    /// [`deliverable`], with the refusals this ledger read.
    pub fn usable(&self, address: &str) -> bool {
        deliverable(
            address,
            self.refused.contains(&address.trim().to_lowercase()),
        )
    }
}

/// Whether the owner's track owes a reminder `today`: the notice once,
/// `days_before_due` days before the due date at the earliest (0: never);
/// from the day after the due date, the first overdue reminder, then one
/// every `repeat_interval_days` after the run date of the last one sent.
pub fn owner_owed(today: NaiveDate, due_on: NaiveDate, p: Params, h: History) -> bool {
    let days_overdue = (today - due_on).num_days();
    if days_overdue <= 0 {
        return p.days_before_due > 0 && -days_overdue <= p.days_before_due && !h.noticed;
    }
    repeat_owed(today, p, h)
}

/// Whether the escalation track owes a reminder `today`: from
/// `escalation_after_days` past the due date, then every
/// `repeat_interval_days` after the last one sent.
pub fn escalation_owed(today: NaiveDate, due_on: NaiveDate, p: Params, h: History) -> bool {
    (today - due_on).num_days() >= p.escalation_after_days.max(1) && repeat_owed(today, p, h)
}

fn repeat_owed(today: NaiveDate, p: Params, h: History) -> bool {
    h.last_overdue
        .is_none_or(|last| (today - last).num_days() >= p.repeat_interval_days.max(1))
}

/// One countermeasure in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub ward_id: i64,
    pub ward_name: String,
    pub topic: i64,
    pub title: String,
    pub due_on: NaiveDate,
    /// Days past the due date; 0 or negative for a pre-due notice (−3: due in 3 days).
    pub days_overdue: i64,
    pub owner_name: Option<String>,
    pub track: Track,
    /// The owner and the plan the reminder was computed for (its schedule).
    pub owner_member_id: Option<i64>,
    pub plan_event_id: i64,
    /// Earlier messages of its schedule (part of the idempotency key).
    pub reminders: i64,
}

impl Item {
    pub fn overdue(&self) -> bool {
        self.days_overdue > 0
    }
}

/// One message owed to one address.
#[derive(Debug, Clone)]
pub struct Digest {
    pub kind: RecipientKind,
    pub recipient: String,
    pub member_id: Option<i64>,
    pub ward_id: i64,
    /// Sorted by due date, then id.
    pub items: Vec<Item>,
}

impl Digest {
    /// Recipient, run date and each item with its schedule's due date and
    /// how many messages that schedule had: two instances planning the
    /// same run get the same key, a later run (or one after a failure) a
    /// new one.
    pub fn idempotency_key(&self, job: &str, reminder_date: NaiveDate) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| {
                let t = match i.track {
                    Track::Owner => 'o',
                    Track::Escalation => 'e',
                };
                format!("{}{t}@{}#{}", i.id, i.due_on, i.reminders)
            })
            .collect();
        format!(
            "{job}|{}|{}|{reminder_date}|{}",
            self.kind.code(),
            self.recipient.trim().to_lowercase(),
            items.join(",")
        )
    }

    pub fn overdue_count(&self) -> usize {
        self.items.iter().filter(|i| i.overdue()).count()
    }

    /// Whether `item` is listed here for want of an owner address: an
    /// owner's reminder in a secretariat digest (宛先のない対応策).
    pub fn lists_unaddressed(&self, item: &Item) -> bool {
        self.kind == RecipientKind::Secretariat && item.track == Track::Owner
    }

    /// How many items [`Self::lists_unaddressed`].
    pub fn unaddressed(&self) -> usize {
        self.items
            .iter()
            .filter(|i| self.lists_unaddressed(i))
            .count()
    }
}

/// One item of a queued message (an `outbox_items` row): what the reminder
/// assumed when it was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedItem {
    pub id: i64,
    pub track: Track,
    pub title: String,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
    pub owner_member_id: Option<i64>,
}

/// A countermeasure as it is right before an attempt to send a message
/// that lists it (the owner's fields are as stored, active or not).
#[derive(Debug, Clone)]
pub struct Current {
    pub id: i64,
    pub ward_id: i64,
    pub ward_name: String,
    pub topic: i64,
    pub title: String,
    pub stage: String,
    pub archived: bool,
    pub due_on: Option<NaiveDate>,
    pub owner_member_id: Option<i64>,
    pub owner_name: Option<String>,
    pub owner_active: bool,
    pub owner_email: Option<String>,
    /// The owner's address is in `refused_addresses`.
    pub owner_refused: bool,
    pub secretariat_email: Option<String>,
}

impl Current {
    /// The owner is active and has an address the sender can use and the
    /// server has not refused.
    pub fn owner_reachable(&self) -> bool {
        self.owner_active
            && self
                .owner_email
                .as_deref()
                .is_some_and(|a| deliverable(a, self.owner_refused))
    }
}

/// What the re-check before an attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recheck {
    /// The items still owed, in the queued order, rebuilt from their
    /// current rows (title, ward) with the due date and days overdue the
    /// reminder was queued with: the digest speaks of its reminder date.
    pub keep: Vec<Item>,
    /// Each dropped item with the reason, in words for the delivery log.
    pub dropped: Vec<(QueuedItem, String)>,
}

impl Recheck {
    /// The reasons as one line for the delivery log: 「研修A（#3）: 評価済み」.
    pub fn reasons(&self) -> String {
        self.dropped
            .iter()
            .map(|(q, why)| format!("{}（#{}）: {why}", q.title, q.id))
            .collect::<Vec<_>>()
            .join("、")
    }
}

fn same_address(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim().eq_ignore_ascii_case(b.trim()))
}

/// Which queued items a message still owes its recipient now. An item
/// drops out when it left 具体化 (evaluated or sent back), was archived or
/// deleted, its due date moved later than the reminder assumed (the
/// schedule of the new date applies), it changed owner, or a newer message
/// carries it already (`carried_later`: a resend after the next run
/// reminded of it). For an owner digest also when the owner is inactive or
/// has another address; for a secretariat digest when the ward's address
/// changed. A due date moved *earlier* keeps the item: it is owed all the
/// more.
pub fn recheck(
    kind: RecipientKind,
    recipient: &str,
    queued: &[QueuedItem],
    current: &std::collections::HashMap<i64, Current>,
    carried_later: &std::collections::HashSet<(i64, Track)>,
) -> Recheck {
    let mut out = Recheck {
        keep: Vec::new(),
        dropped: Vec::new(),
    };
    for q in queued {
        let why = match current.get(&q.id) {
            None => Err("対応策が削除されました".to_string()),
            Some(c) if c.archived => Err("アーカイブされました".into()),
            Some(c) if c.stage == "評価改善" => Err("評価済みです（評価改善）".into()),
            Some(c) if c.stage != "具体化" => Err(format!("段階が{}に変わりました", c.stage)),
            Some(c) if c.due_on.is_none_or(|d| d > q.due_on) => {
                Err("評価期限が延期されました".into())
            }
            // Compared per item, not with the digest's member: one address
            // may belong to several member records (a member sitting in
            // two wards), whose items share one digest.
            Some(c) if c.owner_member_id != q.owner_member_id => Err("担当者が変わりました".into()),
            Some(_) if carried_later.contains(&(q.id, q.track)) => {
                Err("後の通知で送られています".into())
            }
            // Listed to the secretariat for want of an owner address, and
            // the owner can be mailed now: the owner's own reminder follows.
            Some(c)
                if kind == RecipientKind::Secretariat
                    && q.track == Track::Owner
                    && c.owner_reachable() =>
            {
                Err("担当委員にメールを送れるようになりました".into())
            }
            Some(c) if kind == RecipientKind::Owner && !c.owner_active => {
                Err("担当委員が無効になりました".into())
            }
            Some(c)
                if kind == RecipientKind::Owner
                    && !same_address(c.owner_email.as_deref(), recipient) =>
            {
                Err("担当委員のメールアドレスが変わりました".into())
            }
            Some(c)
                if kind == RecipientKind::Secretariat
                    && !same_address(c.secretariat_email.as_deref(), recipient) =>
            {
                Err("事務局のメールアドレスが変わりました".into())
            }
            Some(c) => Ok(c),
        };
        match why {
            Ok(c) => out.keep.push(Item {
                id: c.id,
                ward_id: c.ward_id,
                ward_name: c.ward_name.clone(),
                topic: c.topic,
                title: c.title.clone(),
                due_on: q.due_on,
                days_overdue: q.days_overdue,
                owner_name: c.owner_name.clone(),
                track: q.track,
                owner_member_id: q.owner_member_id,
                plan_event_id: 0,
                reminders: 0,
            }),
            Err(why) => out.dropped.push((q.clone(), why)),
        }
    }
    out
}

/// A message state as the pages show it (送信待ち, 受信拒否 …).
pub fn state_label(state: &str) -> &'static str {
    match state {
        "queued" => "送信待ち",
        "sending" => "送信中",
        "sent" => "送信済み",
        "retrying" => "再送待ち",
        "failed" => "送信失敗（再試行の上限）",
        "refused" => "受信拒否",
        "cancelled" => "取消",
        _ => "不明",
    }
}

/// The states a message may be resent from: its retries on temporary
/// failures ran out (`failed`) or the server refused it (`refused`).
pub const RESENDABLE: [&str; 2] = ["failed", "refused"];

/// Whether a message in `state` may be resent; the conflict says why not.
pub fn resendable(state: &str) -> AppResult<()> {
    if RESENDABLE.contains(&state) {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "この通知メールは「{}」のため再送できません。再送できるのは「{}」か「{}」の通知メールだけです",
            state_label(state),
            state_label("failed"),
            state_label("refused"),
        )))
    }
}

/// The last due date any item can be reminded of today: the earliest notice
/// comes `days_before_due` before the due date, under the base parameters or
/// a municipality's override; everything later can wait, so the scan need not
/// read it (most open countermeasures are due months ahead).
pub fn horizon<'a>(
    today: NaiveDate,
    base: Params,
    overrides: impl IntoIterator<Item = &'a Overrides>,
) -> NaiveDate {
    let days = overrides
        .into_iter()
        .map(|o| o.apply(base).days_before_due)
        .fold(base.days_before_due, i64::max);
    today + chrono::Days::new(days.max(0).unsigned_abs())
}

/// What a run owes today.
#[derive(Debug, Default)]
pub struct Plan {
    pub digests: Vec<Digest>,
    /// Reminders owed that nobody can be sent: neither the owner nor the
    /// ward secretariat has a usable address.
    pub undeliverable: usize,
}

/// Who gets which items today: per item and track, whether its schedule
/// owes a reminder ([`owner_owed`], [`escalation_owed`]) given what the
/// `ledger` says was sent; then one digest per recipient. An owner without
/// a usable address (none, inactive, refused) has its reminders sent to the
/// ward secretariat instead, listed as 宛先のない対応策 (and no escalation:
/// the secretariat hears of the item already). `params` gives each
/// municipality's parameters.
pub fn plan(
    today: NaiveDate,
    candidates: &[Candidate],
    params: impl Fn(i64) -> Params,
    ledger: &Ledger,
) -> Plan {
    // Keyed by (kind, lowercased address) so one address gets one digest.
    let mut groups: BTreeMap<(RecipientKind, String), Digest> = BTreeMap::new();
    let mut undeliverable = 0;
    for c in candidates {
        let p = params(c.municipality_id);
        let owner = c.owner_email.as_deref().filter(|a| ledger.usable(a));
        let secretariat = c.secretariat_email.as_deref().filter(|a| ledger.usable(a));
        let schedule = |track: Track, kind: RecipientKind| {
            let key = ScheduleKey {
                countermeasure_id: c.id,
                track,
                recipient_kind: kind,
                due_on: c.due_on,
                owner_member_id: c.owner_member_id,
                plan_event_id: c.plan_event_id,
            };
            ledger.schedules.get(&key).copied().unwrap_or_default()
        };
        let item = |track: Track, h: History| Item {
            id: c.id,
            ward_id: c.ward_id,
            ward_name: c.ward_name.clone(),
            topic: c.topic,
            title: c.title.clone(),
            due_on: c.due_on,
            days_overdue: (today - c.due_on).num_days(),
            owner_name: c.owner_name.clone(),
            track,
            owner_member_id: c.owner_member_id,
            plan_event_id: c.plan_event_id,
            reminders: h.reminders,
        };
        let (kind, to) = match owner {
            Some(a) => (RecipientKind::Owner, Some(a)),
            None => (RecipientKind::Secretariat, secretariat),
        };
        let h = schedule(Track::Owner, kind);
        if !ledger.waiting.contains(&(c.id, Track::Owner)) && owner_owed(today, c.due_on, p, h) {
            match to {
                Some(addr) => {
                    let member = (kind == RecipientKind::Owner)
                        .then_some(c.owner_member_id)
                        .flatten();
                    push(
                        &mut groups,
                        kind,
                        addr,
                        member,
                        c.ward_id,
                        item(Track::Owner, h),
                    );
                }
                None => undeliverable += 1,
            }
        }
        if owner.is_none() {
            continue;
        }
        let h = schedule(Track::Escalation, RecipientKind::Secretariat);
        if !ledger.waiting.contains(&(c.id, Track::Escalation))
            && escalation_owed(today, c.due_on, p, h)
        {
            match secretariat {
                Some(addr) => push(
                    &mut groups,
                    RecipientKind::Secretariat,
                    addr,
                    None,
                    c.ward_id,
                    item(Track::Escalation, h),
                ),
                None => undeliverable += 1,
            }
        }
    }
    let mut digests: Vec<Digest> = groups.into_values().collect();
    for d in &mut digests {
        d.items.sort_by_key(|i| (i.due_on, i.id, i.track));
    }
    Plan {
        digests,
        undeliverable,
    }
}

fn push(
    groups: &mut BTreeMap<(RecipientKind, String), Digest>,
    kind: RecipientKind,
    addr: &str,
    member_id: Option<i64>,
    ward_id: i64,
    item: Item,
) {
    groups
        .entry((kind, addr.trim().to_lowercase()))
        .or_insert_with(|| Digest {
            kind,
            recipient: addr.trim().to_string(),
            member_id,
            ward_id,
            items: Vec::new(),
        })
        .items
        .push(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_horizon_is_the_longest_notice_of_the_base_and_every_override() {
        let base = Params::default(); // 7 days
        let today = d("2026-11-24");
        assert_eq!(horizon(today, base, []), d("2026-12-01"));
        let shorter = Overrides {
            days_before_due: Some(3),
            ..Overrides::default()
        };
        let longer = Overrides {
            days_before_due: Some(30),
            ..Overrides::default()
        };
        let silent = Overrides::default();
        assert_eq!(horizon(today, base, [&shorter, &silent]), d("2026-12-01"));
        assert_eq!(horizon(today, base, [&shorter, &longer]), d("2026-12-24"));
        let no_notice = Params {
            days_before_due: 0,
            ..base
        };
        assert_eq!(horizon(today, no_notice, [&shorter]), d("2026-11-27"));
        assert_eq!(horizon(today, no_notice, []), today, "overdue items only");
    }

    fn cand(id: i64, due: &str, owner: Option<&str>) -> Candidate {
        Candidate {
            id,
            ward_id: 1,
            ward_name: "北区".into(),
            municipality_id: 1,
            topic: 3,
            title: format!("対応策{id}"),
            due_on: d(due),
            owner_member_id: Some(10),
            owner_name: Some("委員".into()),
            owner_email: owner.map(str::to_string),
            secretariat_email: Some("jimukyoku@example.jp".into()),
            plan_event_id: 1,
        }
    }

    fn params() -> Params {
        Params {
            days_before_due: 7,
            repeat_interval_days: 7,
            escalation_after_days: 14,
            max_attempts: 3,
        }
    }

    #[test]
    fn one_digest_per_owner_sorted_by_due_date_with_notices() {
        let today = d("2026-11-24");
        let cs = [
            cand(1, "2026-11-20", Some("a@example.jp")),
            cand(2, "2026-11-01", Some("A@example.jp")),
            cand(3, "2026-11-30", Some("a@example.jp")), // notice: 6 days ahead
            cand(4, "2026-12-10", Some("a@example.jp")), // too far ahead
            cand(5, "2026-11-24", Some("b@example.jp")), // due today: notice
        ];
        let plan = plan(today, &cs, |_| params(), &Ledger::default());
        let owners: Vec<_> = plan
            .digests
            .iter()
            .filter(|d| d.kind == RecipientKind::Owner)
            .collect();
        assert_eq!(owners.len(), 2);
        let ids: Vec<i64> = owners[0].items.iter().map(|i| i.id).collect();
        assert_eq!(ids, vec![2, 1, 3]);
        assert_eq!(owners[0].overdue_count(), 2);
        assert_eq!(owners[1].items[0].days_overdue, 0);
        // Item 2 is 23 days overdue: escalated to the secretariat.
        let sec: Vec<_> = plan
            .digests
            .iter()
            .filter(|d| d.kind == RecipientKind::Secretariat)
            .collect();
        assert_eq!(sec.len(), 1);
        assert_eq!(sec[0].items.iter().map(|i| i.id).collect::<Vec<_>>(), [2]);
    }

    /// Runs the job every day from `from` for `days` days, as if every
    /// message were sent on its run date; `change` may alter the items
    /// before each day's run. Returns (date, recipient, item ids) per message.
    fn simulate(
        from: &str,
        days: u64,
        mut cands: Vec<Candidate>,
        mut change: impl FnMut(NaiveDate, &mut Vec<Candidate>),
    ) -> Vec<(String, String, Vec<i64>)> {
        let mut ledger = Ledger::default();
        let mut out = Vec::new();
        for n in 0..days {
            let today = d(from) + chrono::Days::new(n);
            change(today, &mut cands);
            let by_id: std::collections::HashMap<i64, &Candidate> =
                cands.iter().map(|c| (c.id, c)).collect();
            for digest in plan(today, &cands, |_| params(), &ledger).digests {
                for i in &digest.items {
                    let c = by_id[&i.id];
                    let key = ScheduleKey {
                        countermeasure_id: i.id,
                        track: i.track,
                        recipient_kind: digest.kind,
                        due_on: c.due_on,
                        owner_member_id: c.owner_member_id,
                        plan_event_id: c.plan_event_id,
                    };
                    let h = ledger.schedules.entry(key).or_default();
                    h.reminders += 1;
                    if i.overdue() {
                        h.last_overdue = Some(today);
                    } else {
                        h.noticed = true;
                    }
                }
                out.push((
                    today.format("%m-%d").to_string(),
                    digest.recipient.clone(),
                    digest.items.iter().map(|i| i.id).collect(),
                ));
            }
        }
        out
    }

    fn dates_to(log: &[(String, String, Vec<i64>)], who: &str) -> Vec<String> {
        log.iter()
            .filter(|(_, r, _)| r == who)
            .map(|(day, _, ids)| format!("{day}:{ids:?}"))
            .collect()
    }

    #[test]
    fn each_item_keeps_its_own_rhythm_when_the_owner_evaluates_one_a_day() {
        // A, B, C overdue since 11-20, 11-21, 11-22; the owner evaluates A
        // on 11-24 and B on 11-26: C is reminded on 11-23, then weekly.
        let cs = vec![
            cand(1, "2026-11-20", Some("a@example.jp")),
            cand(2, "2026-11-21", Some("a@example.jp")),
            cand(3, "2026-11-22", Some("a@example.jp")),
        ];
        let log = simulate("2026-11-23", 21, cs, |today, cs| {
            if today == d("2026-11-24") {
                cs.retain(|c| c.id != 1);
            }
            if today == d("2026-11-26") {
                cs.retain(|c| c.id != 2);
            }
        });
        assert_eq!(
            dates_to(&log, "a@example.jp"),
            ["11-23:[1, 2, 3]", "11-30:[3]", "12-07:[3]"]
        );
    }

    #[test]
    fn a_postponed_item_gets_the_notice_and_reminders_of_its_new_date() {
        let cs = vec![cand(1, "2026-12-10", Some("a@example.jp"))];
        let log = simulate("2026-12-01", 70, cs, |today, cs| {
            if today == d("2026-12-08") {
                cs[0].due_on = d("2027-01-20"); // postponed (PATCH)
            }
            if today == d("2027-01-22") {
                // Sent back and planned again with a new date.
                cs[0].due_on = d("2027-01-25");
                cs[0].plan_event_id = 9;
            }
        });
        assert_eq!(
            dates_to(&log, "a@example.jp"),
            [
                "12-03:[1]", // notice 7 days before 12-10
                "01-13:[1]", // notice 7 days before the new 01-20
                "01-21:[1]", // first overdue reminder
                "01-22:[1]", // planned again for 01-25: a fresh notice
                "01-26:[1]", // its first overdue reminder
                "02-02:[1]", // and weekly from there
            ]
        );
    }

    #[test]
    fn items_entering_the_notice_window_one_by_one_each_get_one_notice() {
        let cs = vec![
            cand(1, "2026-12-08", Some("a@example.jp")),
            cand(2, "2026-12-09", Some("a@example.jp")),
            cand(3, "2026-12-10", Some("a@example.jp")),
        ];
        let log = simulate("2026-11-30", 5, cs, |_, _| {});
        assert_eq!(
            dates_to(&log, "a@example.jp"),
            ["12-01:[1]", "12-02:[2]", "12-03:[3]"]
        );
    }

    #[test]
    fn the_secretariat_hears_of_each_escalated_item_on_its_own_rhythm() {
        let cs = vec![
            cand(1, "2026-11-01", Some("a@example.jp")),
            cand(2, "2026-11-04", Some("a@example.jp")),
        ];
        let log = simulate("2026-11-10", 20, cs, |_, _| {});
        // Escalation from 14 days overdue: 11-15 for item 1, 11-18 for 2.
        assert_eq!(
            dates_to(&log, "jimukyoku@example.jp"),
            [
                "11-15:[1]",
                "11-18:[2]",
                "11-22:[1]",
                "11-25:[2]",
                "11-29:[1]"
            ]
        );
    }

    #[test]
    fn a_waiting_item_is_not_owed_again_and_a_refused_address_goes_to_the_secretariat() {
        let cs = [cand(1, "2026-11-20", Some("a@example.jp"))];
        let mut ledger = Ledger::default();
        ledger.waiting.insert((1, Track::Owner));
        assert!(
            plan(d("2026-11-24"), &cs, |_| params(), &ledger)
                .digests
                .is_empty()
        );
        let mut ledger = Ledger::default();
        ledger.refused.insert("a@example.jp".into());
        let p = plan(d("2026-11-24"), &cs, |_| params(), &ledger);
        assert_eq!(p.digests.len(), 1);
        assert_eq!(p.digests[0].kind, RecipientKind::Secretariat);
        assert_eq!(p.digests[0].unaddressed(), 1);
    }

    #[test]
    fn the_key_is_new_for_each_message_of_a_schedule() {
        let c = [cand(1, "2026-11-20", Some("a@example.jp"))];
        let key = |ledger: &Ledger| {
            plan(d("2026-11-24"), &c, |_| params(), ledger).digests[0]
                .idempotency_key("j", d("2026-11-24"))
        };
        let fresh = key(&Ledger::default());
        assert_eq!(fresh, key(&Ledger::default()), "two instances agree");
        let mut failed_once = Ledger::default();
        failed_once.schedules.insert(
            ScheduleKey {
                countermeasure_id: 1,
                track: Track::Owner,
                recipient_kind: RecipientKind::Owner,
                due_on: d("2026-11-20"),
                owner_member_id: Some(10),
                plan_event_id: 1,
            },
            History {
                reminders: 1,
                ..History::default()
            },
        );
        assert_ne!(
            fresh,
            key(&failed_once),
            "a failed message does not block the next"
        );
    }

    #[test]
    fn items_without_an_owner_address_go_to_the_secretariat_or_are_counted() {
        let c = cand(1, "2026-11-22", None);
        let p = plan(
            d("2026-11-24"),
            std::slice::from_ref(&c),
            |_| params(),
            &Ledger::default(),
        );
        assert_eq!(p.digests.len(), 1);
        assert_eq!(p.digests[0].recipient, "jimukyoku@example.jp");
        assert_eq!(p.digests[0].items[0].track, Track::Owner);
        let mut c = c;
        c.secretariat_email = None;
        let p = plan(d("2026-11-24"), &[c], |_| params(), &Ledger::default());
        assert!(p.digests.is_empty());
        assert_eq!(p.undeliverable, 1);
    }

    fn current(id: i64, owner: i64) -> Current {
        Current {
            id,
            ward_id: 1,
            ward_name: "北区".into(),
            topic: 3,
            title: format!("対応策{id}"),
            stage: "具体化".into(),
            archived: false,
            due_on: Some(d("2026-11-20")),
            owner_member_id: Some(owner),
            owner_name: Some("委員".into()),
            owner_active: true,
            owner_email: Some("a@example.jp".into()),
            owner_refused: false,
            secretariat_email: Some("jimu@example.jp".into()),
        }
    }

    fn queued(id: i64) -> QueuedItem {
        QueuedItem {
            id,
            track: Track::Owner,
            title: format!("対応策{id}"),
            due_on: d("2026-11-20"),
            days_overdue: 4,
            owner_member_id: Some(10),
        }
    }

    fn dropped_ids(r: &Recheck) -> Vec<(i64, &str)> {
        r.dropped.iter().map(|(q, w)| (q.id, w.as_str())).collect()
    }

    #[test]
    fn the_recheck_drops_each_kind_of_item_no_longer_owed() {
        let mut now: std::collections::HashMap<i64, Current> =
            (1..=7).map(|id| (id, current(id, 10))).collect();
        if let Some(c) = now.get_mut(&1) {
            c.stage = "評価改善".into();
        }
        if let Some(c) = now.get_mut(&2) {
            c.archived = true;
        }
        if let Some(c) = now.get_mut(&3) {
            c.owner_member_id = Some(11);
        }
        if let Some(c) = now.get_mut(&4) {
            c.due_on = Some(d("2027-01-20"));
        }
        if let Some(c) = now.get_mut(&5) {
            c.due_on = Some(d("2026-11-10")); // earlier: owed all the more
        }
        now.remove(&6);
        let q: Vec<QueuedItem> = (1..=7).map(queued).collect();
        let r = recheck(
            RecipientKind::Owner,
            "A@example.jp ",
            &q,
            &now,
            &Default::default(),
        );
        assert_eq!(
            dropped_ids(&r),
            [
                (1, "評価済みです（評価改善）"),
                (2, "アーカイブされました"),
                (3, "担当者が変わりました"),
                (4, "評価期限が延期されました"),
                (6, "対応策が削除されました"),
            ]
        );
        let kept: Vec<(i64, NaiveDate, i64)> = r
            .keep
            .iter()
            .map(|i| (i.id, i.due_on, i.days_overdue))
            .collect();
        assert_eq!(
            kept,
            [(5, d("2026-11-20"), 4), (7, d("2026-11-20"), 4)],
            "as queued"
        );
        assert!(
            r.reasons().starts_with("対応策1（#1）: 評価済み"),
            "{}",
            r.reasons()
        );
    }

    #[test]
    fn an_owner_made_inactive_or_readdressed_loses_the_digest_but_the_secretariat_keeps_it() {
        let mut c = current(1, 10);
        c.owner_active = false;
        let now = std::collections::HashMap::from([(1, c.clone())]);
        let q = [queued(1)];
        // The secretariat's copy of the item is its escalation.
        let escalated = [QueuedItem {
            track: Track::Escalation,
            ..queued(1)
        }];
        let owner = recheck(
            RecipientKind::Owner,
            "a@example.jp",
            &q,
            &now,
            &Default::default(),
        );
        assert_eq!(dropped_ids(&owner), [(1, "担当委員が無効になりました")]);
        let jimu = recheck(
            RecipientKind::Secretariat,
            "jimu@example.jp",
            &escalated,
            &now,
            &Default::default(),
        );
        assert!(jimu.dropped.is_empty() && jimu.keep.len() == 1);

        c.owner_active = true;
        c.owner_email = Some("new@example.jp".into());
        c.secretariat_email = None;
        let now = std::collections::HashMap::from([(1, c)]);
        let owner = recheck(
            RecipientKind::Owner,
            "a@example.jp",
            &q,
            &now,
            &Default::default(),
        );
        assert_eq!(
            dropped_ids(&owner),
            [(1, "担当委員のメールアドレスが変わりました")]
        );
        let jimu = recheck(
            RecipientKind::Secretariat,
            "jimu@example.jp",
            &escalated,
            &now,
            &Default::default(),
        );
        assert_eq!(
            dropped_ids(&jimu),
            [(1, "事務局のメールアドレスが変わりました")]
        );
    }

    #[test]
    fn one_address_of_two_member_records_keeps_the_items_of_both() {
        // A member sitting in two wards: records 10 and 11, one address.
        let now = std::collections::HashMap::from([(1, current(1, 10)), (2, current(2, 11))]);
        let q = [
            queued(1),
            QueuedItem {
                owner_member_id: Some(11),
                ..queued(2)
            },
        ];
        let r = recheck(
            RecipientKind::Owner,
            "a@example.jp",
            &q,
            &now,
            &Default::default(),
        );
        assert!(r.dropped.is_empty(), "{:?}", r.dropped);
        assert_eq!(r.keep.len(), 2);
    }

    #[test]
    fn a_secretariat_told_of_an_unaddressed_item_is_not_once_the_owner_can_be_mailed() {
        let mut c = current(1, 10);
        c.owner_email = None;
        let q = [queued(1)]; // the owner's track, sent to the secretariat
        let check = |c: &Current| {
            let now = std::collections::HashMap::from([(1, c.clone())]);
            recheck(
                RecipientKind::Secretariat,
                "jimu@example.jp",
                &q,
                &now,
                &Default::default(),
            )
        };
        assert!(check(&c).dropped.is_empty(), "still no address");
        c.owner_email = Some("a@example.jp".into());
        c.owner_refused = true;
        assert!(check(&c).dropped.is_empty(), "a refused address");
        c.owner_refused = false;
        assert_eq!(
            dropped_ids(&check(&c)),
            [(1, "担当委員にメールを送れるようになりました")]
        );
    }

    #[test]
    fn only_failed_and_refused_messages_may_be_resent_and_the_conflict_names_the_state() {
        assert!(resendable("failed").is_ok() && resendable("refused").is_ok());
        for state in ["queued", "sending", "retrying", "sent", "cancelled"] {
            let e = resendable(state).unwrap_err();
            assert_eq!(e.status(), poem::http::StatusCode::CONFLICT);
            let message = e.to_string();
            assert!(
                message.starts_with(&format!("この通知メールは「{}」", state_label(state))),
                "{message}"
            );
        }
    }

    #[test]
    fn the_absence_window_defaults_to_three_and_stays_within_one_to_twenty() {
        assert_eq!(Overrides::default().absence_window(), 3);
        let o = |n| Overrides {
            absence_window: Some(n),
            ..Default::default()
        };
        assert_eq!(o(5).absence_window(), 5);
        assert!(o(1).check_own().is_empty() && o(20).check_own().is_empty());
        for bad in [0, 21, -3] {
            let e = o(bad).check_own();
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].field, "absence_window");
            assert_eq!(
                e[0].message,
                "参画なしとする直近の会議数は1〜20の整数で入力してください"
            );
        }
        assert!(Overrides::default().check_own().is_empty());
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let o = Overrides {
            repeat_interval_days: Some(3),
            ..Default::default()
        };
        let p = o.apply(params());
        assert_eq!((p.repeat_interval_days, p.days_before_due), (3, 7));
        assert!(
            Params {
                repeat_interval_days: 0,
                ..p
            }
            .validate()
            .is_err()
        );
    }
}
