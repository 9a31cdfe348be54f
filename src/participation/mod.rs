//! 多職種の参画状況: who takes part in a ward's meetings, per organisation
//! kind (医師会, 歯科医師会 … その他, the members' [`OrganizationKind`]) and
//! fiscal half-year — the source report's 課題 「区内病院の参画が少ない」.
//!
//! For each kind, per ward and half-year:
//! - **meetings attended of meetings held**: the ward's meetings held in the
//!   half-year up to its *as-of day* ([`as_of`]: the period's last day, or
//!   today while it runs, so a meeting recorded ahead is not yet held), and
//!   of those the ones at least one attendee of the kind attended. An
//!   attendee counts under the kind it had *at the meeting* (each attendance
//!   row keeps it: migration 0016), not under a kind it was given later;
//! - **members on the committee**: the ward's *active* members of the kind
//!   as they are now, whatever the period (members carry no history);
//! - **参画なし (absent)**: the kind has members on the committee and
//!   attended none of the ward's last N meetings held up to the as-of day
//!   (fewer when the ward has held fewer; a ward that has held none flags
//!   nothing). N is the municipality's setting, edited with the reminder
//!   settings (`reminders::Overrides::absence_window`, default 3, 1–20);
//! - **委員なし (no members)**: the ward has no active member of the kind and
//!   none attended those meetings. Nobody could have come, so it is not an
//!   absence: the committee lacks the kind ([`KindFlag`]).
//!
//! The city sees the ward × kind matrix, wards without a 病院 member first
//! (the report's 「区内病院の参画が少ない」 at its starkest), then wards whose
//! 病院 is 参画なし, then the others, each group in display order
//! ([`order_city`]). Figures are exact counts; the
//! attendance share is rounded as Excel's ROUND ([`crate::figures::percent`]).
//! The SQL is in [`store`]; here are the types and the rules, without I/O.

pub mod api;
pub mod pages;
pub mod store;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::calendar::Period;
use crate::error::{AppError, AppResult};
use crate::members::OrganizationKind;

crate::labels::label_enum! {
    /// What a kind's row is flagged with (`flag`; `null`: nothing).
    KindFlag {
        Absent => "参画なし",
        NoMembers => "委員なし",
    }
}

/// One organisation kind in one ward over a half-year.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object, serde::Deserialize,
)]
pub struct KindParticipation {
    /// The kind (医師会, 歯科医師会, 薬剤師会, 病院, 訪問看護, 介護支援専門員,
    /// 地域包括支援センター, 相談支援室, 区役所, その他).
    pub kind: OrganizationKind,
    /// Meetings held in the half-year (up to `as_of`) with at least one
    /// attendee of this kind, counted by the kind the attendee had at the
    /// meeting.
    pub meetings_attended: i64,
    /// The ward's meetings held in the half-year up to `as_of` (the same
    /// for every kind: each row reads alone).
    pub meetings_held: i64,
    /// `meetings_attended` of `meetings_held` in whole percent, rounded as
    /// Excel's `ROUND` (`"67"` for 2 of 3); `null` when none was held.
    pub attendance_percent: Option<String>,
    /// The ward's active members of this kind now (members carry no
    /// history, so a past half-year shows today's committee too).
    pub members: i64,
    /// How many meetings back this kind last attended, counting the last
    /// `absence_window` meetings up to `as_of` (1 = the latest); `null`
    /// when it attended none of them.
    pub last_attended: Option<i64>,
    /// 参画なし: the ward held meetings up to `as_of`, this kind has members
    /// on the committee and attended none of the last `absence_window` of
    /// them (the same as `flag` = `参画なし`).
    pub absent: bool,
    /// `参画なし` (see `absent`); `委員なし`: the ward has no active member of
    /// this kind and none attended the last `absence_window` meetings (not
    /// an absence: nobody could have come); `null`: neither.
    pub flag: Option<KindFlag>,
}

/// One ward's participation over a half-year: every kind, in the
/// catalogue's order.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object, serde::Deserialize,
)]
pub struct WardParticipation {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    /// Meetings held in the half-year up to `as_of`.
    pub meetings_held: i64,
    /// N: a kind absent from the ward's last N meetings is flagged (the
    /// municipality's setting; 3 unless it set another).
    pub absence_window: i64,
    /// The meetings the flag looked at: the last `absence_window` held up
    /// to `as_of`, fewer when the ward has held fewer (0: nothing flagged).
    pub recent_meetings: i64,
    /// 病院 is flagged 参画なし (the city's 課題; the matrix lists these
    /// wards right after those without a 病院 member).
    pub hospital_absent: bool,
    /// 病院 is flagged 委員なし: no 病院 member on the committee (the matrix
    /// lists these wards first).
    pub hospital_without_members: bool,
    /// The kinds flagged 参画なし, in the catalogue's order.
    pub absent_kinds: Vec<OrganizationKind>,
    /// The kinds flagged 委員なし, in the catalogue's order.
    pub kinds_without_members: Vec<OrganizationKind>,
    pub kinds: Vec<KindParticipation>,
}

/// A ward's participation for a period (`GET /api/wards/{id}/participation`).
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object, serde::Deserialize)]
pub struct Participation {
    /// The half-year, `2026H1`.
    pub period: String,
    /// 令和8年度上半期
    pub period_label: String,
    /// The day the figures are counted up to: the period's last day, or
    /// today while it runs (ISO 8601).
    pub as_of: NaiveDate,
    #[oai(flatten)]
    #[serde(flatten)]
    pub ward: WardParticipation,
}

/// One kind over the wards of a matrix (its bottom row).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object, serde::Deserialize,
)]
pub struct KindTotal {
    pub kind: OrganizationKind,
    /// Wards where this kind attended at least one meeting of the half-year.
    pub wards_attended: i64,
    /// Wards that held at least one meeting in the half-year (the
    /// denominator of `wards_attended`).
    pub wards_held: i64,
    /// Wards where this kind is flagged 参画なし.
    pub wards_absent: i64,
    /// Wards where this kind is flagged 委員なし (no member of the kind).
    pub wards_without_members: i64,
    /// Active members of this kind over the wards, now.
    pub members: i64,
}

/// The ward × kind matrix of a half-year
/// (`GET /api/municipalities/{id}/participation`).
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct CityParticipation {
    /// The municipality, when the matrix is one municipality's.
    pub municipality_id: Option<i64>,
    pub period: String,
    pub period_label: String,
    /// As in [`Participation::as_of`].
    pub as_of: NaiveDate,
    /// Wards without a 病院 member (委員なし) first, then wards whose 病院
    /// is flagged 参画なし, then the others, each group in display order.
    pub wards: Vec<WardParticipation>,
    /// Per kind, over `wards`, in the catalogue's order.
    pub totals: Vec<KindTotal>,
}

/// The day a period's figures are counted up to: its last day, or `today`
/// while it runs (a meeting recorded for a later day is not held yet). For
/// a period that has not begun it is `today`, so nothing falls in it.
pub fn as_of(period: Period, today: NaiveDate) -> NaiveDate {
    period.end().min(today)
}

/// Reads the `period` query parameter (`2026H1`); absent or empty means the
/// half-year containing `today`. Errors: 422 with a Japanese message for
/// anything else.
pub fn period_param(raw: Option<&str>, today: NaiveDate) -> AppResult<Period> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Period::containing(today)),
        Some(code) => Period::parse(code).ok_or_else(|| {
            AppError::invalid(
                "period",
                "期間は 2026H1 のように、年度（4桁）と H1（上半期）または H2（下半期）で指定してください",
            )
        }),
    }
}

/// What the store read for a set of wards; every map is keyed by ward id
/// (kinds by their label as stored).
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Meetings held in the period up to the as-of day.
    pub held: HashMap<i64, i64>,
    /// Meetings of the period attended, per (ward, kind).
    pub attended: HashMap<(i64, String), i64>,
    /// Active members per (ward, kind).
    pub members: HashMap<(i64, String), i64>,
    /// Per ward, the recent meetings read for the flag (rank 1 = the
    /// latest held up to the as-of day): how many were read …
    pub recent: HashMap<i64, i64>,
    /// … and, per (ward, kind), the rank of the latest it attended.
    pub last_rank: HashMap<(i64, String), i64>,
}

/// A ward as the rules need it.
#[derive(Debug, Clone)]
pub struct WardRef {
    pub id: i64,
    pub name: String,
    pub municipality_id: i64,
}

/// One ward's participation from the counts, with the window `n` of its
/// municipality. `counts.recent` may have been read over a longer window
/// (a view across municipalities reads the longest): only the last `n`
/// meetings count here.
pub fn ward(w: &WardRef, counts: &Counts, n: i64) -> WardParticipation {
    let held = counts.held.get(&w.id).copied().unwrap_or(0);
    let recent = counts.recent.get(&w.id).copied().unwrap_or(0).min(n);
    let kinds: Vec<KindParticipation> = OrganizationKind::ALL
        .iter()
        .map(|&kind| {
            let key = (w.id, kind.as_str().to_string());
            let attended = counts.attended.get(&key).copied().unwrap_or(0);
            let last_attended = counts.last_rank.get(&key).copied().filter(|r| *r <= n);
            let members = counts.members.get(&key).copied().unwrap_or(0);
            let flag = kind_flag(members, recent, last_attended);
            KindParticipation {
                kind,
                meetings_attended: attended,
                meetings_held: held,
                attendance_percent: crate::figures::percent(attended, held),
                members,
                last_attended,
                absent: flag == Some(KindFlag::Absent),
                flag,
            }
        })
        .collect();
    let flagged = |flag: KindFlag| -> Vec<OrganizationKind> {
        kinds
            .iter()
            .filter(|k| k.flag == Some(flag))
            .map(|k| k.kind)
            .collect()
    };
    let absent_kinds = flagged(KindFlag::Absent);
    let kinds_without_members = flagged(KindFlag::NoMembers);
    WardParticipation {
        ward_id: w.id,
        ward_name: w.name.clone(),
        municipality_id: w.municipality_id,
        meetings_held: held,
        absence_window: n,
        recent_meetings: recent,
        hospital_absent: absent_kinds.contains(&OrganizationKind::Hospital),
        hospital_without_members: kinds_without_members.contains(&OrganizationKind::Hospital),
        absent_kinds,
        kinds_without_members,
        kinds,
    }
}

/// A kind's flag from its members now, the meetings the window read
/// (`recent`) and the rank of the latest it attended among them. A kind
/// with no member that attended anyway (a member whose kind changed since)
/// is not flagged: it did take part.
pub fn kind_flag(members: i64, recent: i64, last_attended: Option<i64>) -> Option<KindFlag> {
    match (members, last_attended) {
        (_, Some(_)) => None,
        (0, None) => Some(KindFlag::NoMembers),
        (_, None) if recent > 0 => Some(KindFlag::Absent),
        _ => None,
    }
}

/// The matrix's order: wards without a 病院 member first, then wards whose
/// 病院 is 参画なし, then the others, each group in the order given (the
/// wards' display order).
pub fn order_city(wards: &mut [WardParticipation]) {
    // A stable sort keeps the display order inside each group.
    wards.sort_by_key(|w| (!w.hospital_without_members, !w.hospital_absent));
}

/// Per kind over `wards`: the matrix's bottom row.
pub fn totals(wards: &[WardParticipation]) -> Vec<KindTotal> {
    OrganizationKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let rows = wards.iter().map(|w| &w.kinds[i]);
            KindTotal {
                kind,
                wards_attended: rows.clone().filter(|k| k.meetings_attended > 0).count() as i64,
                wards_held: wards.iter().filter(|w| w.meetings_held > 0).count() as i64,
                wards_absent: rows.clone().filter(|k| k.absent).count() as i64,
                wards_without_members: rows
                    .clone()
                    .filter(|k| k.flag == Some(KindFlag::NoMembers))
                    .count() as i64,
                members: rows.map(|k| k.members).sum(),
            }
        })
        .collect()
}

/// The CSV of one ward (UTF-8 or Shift_JIS through
/// [`crate::spreadsheet::Table::to_bytes`]): one row per kind.
pub fn ward_table(p: &Participation) -> crate::spreadsheet::Table {
    let mut table = crate::spreadsheet::Table::new(&HEADER);
    push_ward(&mut table, &p.period_label, p.as_of, &p.ward);
    table
}

/// The CSV of a matrix: one row per ward and kind, in the matrix's order.
pub fn city_table(c: &CityParticipation) -> crate::spreadsheet::Table {
    let mut table = crate::spreadsheet::Table::new(&HEADER);
    for w in &c.wards {
        push_ward(&mut table, &c.period_label, c.as_of, w);
    }
    table
}

/// The columns of both CSVs.
const HEADER: [&str; 11] = [
    "期間",
    "集計日",
    "区",
    "職種",
    "出席した会議数",
    "開催した会議数",
    "出席率（%）",
    "委員数（現在）",
    "直近の会議数",
    "最後の出席（何回前）",
    "参画なし・委員なし",
];

fn push_ward(
    table: &mut crate::spreadsheet::Table,
    period_label: &str,
    as_of: NaiveDate,
    w: &WardParticipation,
) {
    use crate::spreadsheet::Cell;
    for k in &w.kinds {
        table.push(vec![
            Cell::value(period_label),
            Cell::value(as_of),
            Cell::text(w.ward_name.as_str()),
            Cell::value(k.kind),
            Cell::value(k.meetings_attended),
            Cell::value(k.meetings_held),
            Cell::value(k.attendance_percent.as_deref().unwrap_or("")),
            Cell::value(k.members),
            Cell::value(w.recent_meetings),
            Cell::value(k.last_attended.map(|r| r.to_string()).unwrap_or_default()),
            Cell::value(k.flag.map(KindFlag::as_str).unwrap_or("")),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kita() -> WardRef {
        WardRef {
            id: 1,
            name: "北区".into(),
            municipality_id: 9,
        }
    }

    fn counts() -> Counts {
        let k = |kind: OrganizationKind| (1, kind.as_str().to_string());
        Counts {
            held: HashMap::from([(1, 3)]),
            attended: HashMap::from([
                (k(OrganizationKind::MedicalAssociation), 3),
                (k(OrganizationKind::Hospital), 1),
            ]),
            members: HashMap::from([(k(OrganizationKind::Hospital), 2)]),
            recent: HashMap::from([(1, 5)]),
            last_rank: HashMap::from([
                (k(OrganizationKind::MedicalAssociation), 1),
                (k(OrganizationKind::Hospital), 4),
            ]),
        }
    }

    #[test]
    fn a_kind_is_flagged_when_it_missed_the_last_n_meetings() {
        let w = ward(&kita(), &counts(), 3);
        let hospital = &w.kinds[3];
        assert_eq!(hospital.kind, OrganizationKind::Hospital);
        assert_eq!((hospital.meetings_attended, hospital.meetings_held), (1, 3));
        assert_eq!(hospital.attendance_percent.as_deref(), Some("33"));
        assert_eq!(hospital.members, 2);
        // Last seen four meetings back: outside a window of three.
        assert_eq!(hospital.last_attended, None);
        assert!(hospital.absent && w.hospital_absent);
        assert_eq!(w.recent_meetings, 3);
        assert!(!w.kinds[0].absent);
        assert_eq!(w.kinds[0].attendance_percent.as_deref(), Some("100"));
        // A kind with no members and no attendance is 委員なし, not absent.
        assert_eq!(w.kinds[1].members, 0);
        assert!(!w.kinds[1].absent);
        assert_eq!(w.kinds[1].flag, Some(KindFlag::NoMembers));
        assert_eq!(hospital.flag, Some(KindFlag::Absent));
        assert!(
            !w.absent_kinds
                .contains(&OrganizationKind::DentalAssociation)
        );
        assert!(
            w.kinds_without_members
                .contains(&OrganizationKind::DentalAssociation)
        );
        assert!(!w.hospital_without_members);
        // A window of four reaches it.
        let w4 = ward(&kita(), &counts(), 4);
        assert_eq!(w4.kinds[3].last_attended, Some(4));
        assert!(!w4.hospital_absent);
        assert_eq!(w4.recent_meetings, 4);
    }

    #[test]
    fn a_ward_without_meetings_flags_no_absence_and_has_no_share() {
        let w = ward(&kita(), &Counts::default(), 3);
        assert_eq!(w.meetings_held, 0);
        assert_eq!(w.recent_meetings, 0);
        assert!(
            w.kinds
                .iter()
                .all(|k| !k.absent && k.attendance_percent.is_none())
        );
        assert!(w.absent_kinds.is_empty());
        // Its committee is empty: every kind is 委員なし, 病院 included.
        assert_eq!(w.kinds_without_members.len(), OrganizationKind::ALL.len());
        assert!(w.hospital_without_members && !w.hospital_absent);
    }

    #[test]
    fn the_flag_tells_an_absence_from_an_empty_seat() {
        // Members who missed the window: absent, when meetings were held.
        assert_eq!(kind_flag(2, 3, None), Some(KindFlag::Absent));
        assert_eq!(kind_flag(2, 0, None), None);
        // No member: 委員なし, meetings or not.
        assert_eq!(kind_flag(0, 3, None), Some(KindFlag::NoMembers));
        assert_eq!(kind_flag(0, 0, None), Some(KindFlag::NoMembers));
        // Attended in the window: nothing, members or not.
        assert_eq!(kind_flag(0, 3, Some(2)), None);
        assert_eq!(kind_flag(1, 3, Some(1)), None);
    }

    #[test]
    fn wards_without_a_hospital_member_come_first_then_those_missing_it() {
        let mk =
            |id: i64, hospital_absent: bool, hospital_without_members: bool| WardParticipation {
                ward_id: id,
                ward_name: format!("{id}区"),
                municipality_id: 1,
                meetings_held: 1,
                absence_window: 3,
                recent_meetings: 1,
                hospital_absent,
                hospital_without_members,
                absent_kinds: Vec::new(),
                kinds_without_members: Vec::new(),
                kinds: Vec::new(),
            };
        let mut wards = vec![
            mk(1, false, false),
            mk(2, true, false),
            mk(3, false, true),
            mk(4, true, false),
            mk(5, false, true),
        ];
        order_city(&mut wards);
        let ids: Vec<i64> = wards.iter().map(|w| w.ward_id).collect();
        assert_eq!(ids, vec![3, 5, 2, 4, 1]);
    }

    #[test]
    fn periods_default_to_the_running_half_year_and_bad_codes_are_422() {
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        assert_eq!(period_param(None, today).unwrap().code(), "2026H2");
        assert_eq!(period_param(Some(""), today).unwrap().code(), "2026H2");
        assert_eq!(
            period_param(Some("2026H1"), today).unwrap().code(),
            "2026H1"
        );
        for bad in ["2026", "2026H3", "H1", "令和8年"] {
            let e = period_param(Some(bad), today).unwrap_err();
            assert_eq!(e.status(), 422, "{bad}");
            assert!(e.field_errors()[0].message.contains("2026H1"));
        }
        let h1 = Period::parse("2026H1").unwrap();
        assert_eq!(as_of(h1, today).to_string(), "2026-09-30");
        let h2 = Period::parse("2026H2").unwrap();
        assert_eq!(as_of(h2, today), today);
    }
}
