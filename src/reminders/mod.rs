//! E-mail reminders for overdue evaluations.
//!
//! The rules live here, without I/O: which countermeasures are overdue or
//! due soon today, who gets which items (the owner; the ward secretariat
//! once an item is overdue long enough), how items are grouped into one
//! digest per recipient, and the idempotency key that makes a second run
//! the same day queue nothing.
//!
//! Reminders are computed from state (what is overdue *today*), never from
//! "due tomorrow" events, so a service that was down catches up on its next
//! run. The flow is a transactional outbox: [`jobs::run_job_once`] renders
//! and queues digests in one transaction ([`store`]), and
//! [`sender::send_pending_once`] delivers what is queued over SMTP.

pub mod api;
pub mod crontab;
pub mod ical;
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

impl Params {
    /// Bounds that keep the rules meaningful (a 0-day repeat would divide by zero).
    pub fn validate(&self) -> AppResult<()> {
        let mut errors = Vec::new();
        let mut check = |field: &str, label: &str, v: i64, min: i64, max: i64| {
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
            0,
            90,
        );
        check(
            "repeat_interval_days",
            "再通知の間隔",
            self.repeat_interval_days,
            1,
            90,
        );
        check(
            "escalation_after_days",
            "事務局への通知までの日数",
            self.escalation_after_days,
            1,
            365,
        );
        check("max_attempts", "送信の試行回数", self.max_attempts, 1, 50);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

/// A municipality's overrides; `None` keeps the job file's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
pub struct Overrides {
    pub days_before_due: Option<i64>,
    pub repeat_interval_days: Option<i64>,
    pub escalation_after_days: Option<i64>,
}

impl Overrides {
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

/// The parameters of the overdue job file, before municipality overrides.
/// The file was checked at startup; reading it again here keeps the pages
/// in step with what the scheduler was started with after an edit + restart.
pub fn base_params(config: &crate::config::Config) -> AppResult<Params> {
    let jobs = jobs::load_dir(&config.jobs_dir)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(jobs
        .iter()
        .find(|j| j.name == jobs::OVERDUE_EVALUATIONS)
        .map(|j| j.params)
        .unwrap_or_default())
}

/// Checks a municipality's overrides against the job's other parameters and stores them.
pub async fn save_overrides(
    db: &crate::db::Db,
    config: &crate::config::Config,
    city: &crate::access::CityOf,
    overrides: &Overrides,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    crate::municipalities::store::get(db, &city.read()).await?;
    overrides.apply(base_params(config)?).validate()?;
    store::set_overrides(db, city, overrides, now).await
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// One countermeasure in a digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub id: i64,
    pub ward_id: i64,
    pub ward_name: String,
    pub topic: i64,
    pub title: String,
    pub due_on: NaiveDate,
    /// Days past the due date; 0 or negative for a pre-due notice (−3: due in 3 days).
    pub days_overdue: i64,
    /// Which repeat of the reminder this is (0 for the first); pre-due notices use 0.
    pub period: i64,
    pub owner_name: Option<String>,
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
    /// Recipient + items + each item's reminder period: the same digest on
    /// the same day (or later in the same repeat period) gets the same key.
    pub fn idempotency_key(&self, job: &str) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| {
                if i.overdue() {
                    format!("{}:o{}", i.id, i.period)
                } else {
                    format!("{}:n", i.id)
                }
            })
            .collect();
        format!(
            "{job}|{}|{}|{}",
            self.kind.code(),
            self.recipient.to_lowercase(),
            items.join(",")
        )
    }

    pub fn overdue_count(&self) -> usize {
        self.items.iter().filter(|i| i.overdue()).count()
    }
}

/// One item of a queued message, as the outbox's `items` JSON holds it:
/// what the reminder assumed when it was queued.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct QueuedItem {
    pub id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
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
    pub secretariat_email: Option<String>,
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
/// deleted, or its due date moved later than the reminder assumed (the
/// schedule of the new date applies). For an owner digest also when the
/// item changed owner, or the owner is inactive or has another address;
/// for a secretariat digest when the ward's address changed. A due date
/// moved *earlier* keeps the item: it is owed all the more.
pub fn recheck(
    kind: RecipientKind,
    member_id: Option<i64>,
    recipient: &str,
    queued: &[QueuedItem],
    current: &std::collections::HashMap<i64, Current>,
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
            Some(c) if kind == RecipientKind::Owner && c.owner_member_id != member_id => {
                Err("担当者が変わりました".into())
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
                period: 0,
                owner_name: c.owner_name.clone(),
            }),
            Err(why) => out.dropped.push((q.clone(), why)),
        }
    }
    out
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
    /// Items (per recipient kind) nobody can be mailed about: no owner
    /// address, or no secretariat address for an escalation.
    pub undeliverable: usize,
}

/// Who gets which items today. `params` gives each municipality's parameters.
pub fn plan(today: NaiveDate, candidates: &[Candidate], params: impl Fn(i64) -> Params) -> Plan {
    // Keyed by (kind, lowercased address) so one address gets one digest.
    let mut groups: BTreeMap<(RecipientKind, String), Digest> = BTreeMap::new();
    let mut undeliverable = 0;
    for c in candidates {
        let p = params(c.municipality_id);
        let days_overdue = (today - c.due_on).num_days();
        let owner_item = if days_overdue > 0 {
            Some((days_overdue - 1) / p.repeat_interval_days.max(1))
        } else if p.days_before_due > 0 && -days_overdue <= p.days_before_due {
            Some(0)
        } else {
            None
        };
        let item = |period: i64| Item {
            id: c.id,
            ward_id: c.ward_id,
            ward_name: c.ward_name.clone(),
            topic: c.topic,
            title: c.title.clone(),
            due_on: c.due_on,
            days_overdue,
            period,
            owner_name: c.owner_name.clone(),
        };
        if let Some(period) = owner_item {
            match &c.owner_email {
                Some(addr) => push(
                    &mut groups,
                    RecipientKind::Owner,
                    addr,
                    c.owner_member_id,
                    c.ward_id,
                    item(period),
                ),
                None => undeliverable += 1,
            }
        }
        if days_overdue >= p.escalation_after_days.max(1) {
            let period = (days_overdue - p.escalation_after_days) / p.repeat_interval_days.max(1);
            match &c.secretariat_email {
                Some(addr) => push(
                    &mut groups,
                    RecipientKind::Secretariat,
                    addr,
                    None,
                    c.ward_id,
                    item(period),
                ),
                None => undeliverable += 1,
            }
        }
    }
    let mut digests: Vec<Digest> = groups.into_values().collect();
    for d in &mut digests {
        d.items.sort_by_key(|i| (i.due_on, i.id));
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
        let plan = plan(today, &cs, |_| params());
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

    #[test]
    fn the_key_changes_only_when_a_repeat_period_starts() {
        let c = [cand(1, "2026-11-20", Some("a@example.jp"))];
        let key = |today: &str| plan(d(today), &c, |_| params()).digests[0].idempotency_key("j");
        // Overdue from the 21st: days 1–7 are period 0, day 8 starts period 1.
        assert_eq!(key("2026-11-21"), key("2026-11-27"));
        assert_ne!(key("2026-11-27"), key("2026-11-28"));
        // A pre-due notice has its own key, sent once.
        assert_ne!(key("2026-11-19"), key("2026-11-21"));
        assert_eq!(key("2026-11-14"), key("2026-11-19"));
    }

    #[test]
    fn items_without_an_address_are_counted_not_mailed() {
        let mut c = cand(1, "2026-10-01", None);
        c.secretariat_email = None;
        let plan = plan(d("2026-11-24"), &[c], |_| params());
        assert!(plan.digests.is_empty());
        assert_eq!(plan.undeliverable, 2);
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
            secretariat_email: Some("jimu@example.jp".into()),
        }
    }

    fn queued(id: i64) -> QueuedItem {
        QueuedItem {
            id,
            title: format!("対応策{id}"),
            due_on: d("2026-11-20"),
            days_overdue: 4,
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
        let r = recheck(RecipientKind::Owner, Some(10), "A@example.jp ", &q, &now);
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
        let owner = recheck(RecipientKind::Owner, Some(10), "a@example.jp", &q, &now);
        assert_eq!(dropped_ids(&owner), [(1, "担当委員が無効になりました")]);
        let jimu = recheck(
            RecipientKind::Secretariat,
            None,
            "jimu@example.jp",
            &q,
            &now,
        );
        assert!(jimu.dropped.is_empty() && jimu.keep.len() == 1);

        c.owner_active = true;
        c.owner_email = Some("new@example.jp".into());
        c.secretariat_email = None;
        let now = std::collections::HashMap::from([(1, c)]);
        let owner = recheck(RecipientKind::Owner, Some(10), "a@example.jp", &q, &now);
        assert_eq!(
            dropped_ids(&owner),
            [(1, "担当委員のメールアドレスが変わりました")]
        );
        let jimu = recheck(
            RecipientKind::Secretariat,
            None,
            "jimu@example.jp",
            &q,
            &now,
        );
        assert_eq!(
            dropped_ids(&jimu),
            [(1, "事務局のメールアドレスが変わりました")]
        );
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
