//! Loads dashboards for one ward or many, with a fixed number of queries
//! whatever the number of wards.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};

use super::{UPCOMING_DAYS, WardDashboard, topic_statuses};
use crate::calendar::Period;
use crate::countermeasures::{self, Stage};
use crate::db::Db;
use crate::error::AppResult;
use crate::meetings;
use crate::wards::{self, Ward};

/// Dashboards for the given wards, in the same order.
pub async fn for_wards(
    db: &Db,
    wards: Vec<Ward>,
    today: NaiveDate,
    with_lists: bool,
) -> AppResult<Vec<WardDashboard>> {
    let period = Period::containing(today);
    // One ward (its dashboard) reads only its own rows; a list reads them all at once.
    let single = if wards.len() == 1 {
        Some(wards[0].id)
    } else {
        None
    };
    let mut covered: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (ward, topic) in
        meetings::store::covered_topics(db, single, period.start(), period.end()).await?
    {
        covered.entry(ward).or_default().insert(topic);
    }
    let mut stages: HashMap<i64, HashMap<i64, Stage>> = HashMap::new();
    for (ward, topic, stage) in countermeasures::store::stages_by_topic(db, single).await? {
        stages.entry(ward).or_default().insert(topic, stage);
    }
    let until = today
        .checked_add_days(Days::new(UPCOMING_DAYS))
        .unwrap_or(today);
    let single = if wards.len() == 1 {
        Some(wards[0].id)
    } else {
        None
    };
    let mut due: HashMap<i64, Vec<countermeasures::Countermeasure>> = HashMap::new();
    let mut owner_names: HashMap<i64, HashMap<i64, String>> = HashMap::new();
    for (cm, owner_name) in countermeasures::store::due_before(db, single, until, today).await? {
        if let (Some(id), Some(name)) = (cm.owner_member_id, owner_name) {
            owner_names.entry(cm.ward_id).or_default().insert(id, name);
        }
        due.entry(cm.ward_id).or_default().push(cm);
    }
    let empty_set = HashSet::new();
    let empty_map = HashMap::new();
    Ok(wards
        .into_iter()
        .map(|ward| {
            let (overdue, upcoming): (Vec<_>, Vec<_>) = due
                .remove(&ward.id)
                .unwrap_or_default()
                .into_iter()
                .partition(|c| c.overdue);
            let topics = topic_statuses(
                covered.get(&ward.id).unwrap_or(&empty_set),
                stages.get(&ward.id).unwrap_or(&empty_map),
            );
            WardDashboard {
                period: period.code(),
                period_label: period.label(),
                period_start: period.start(),
                period_end: period.end(),
                today,
                topics,
                overdue_count: overdue.len() as i64,
                upcoming_count: upcoming.len() as i64,
                overdue: if with_lists { overdue } else { Vec::new() },
                upcoming: if with_lists { upcoming } else { Vec::new() },
                owner_names: if with_lists {
                    owner_names.remove(&ward.id).unwrap_or_default()
                } else {
                    HashMap::new()
                },
                ward,
            }
        })
        .collect())
}

pub async fn for_ward(db: &Db, ward_id: i64, today: NaiveDate) -> AppResult<WardDashboard> {
    let ward = wards::store::get(db, ward_id).await?;
    let mut all = for_wards(db, vec![ward], today, true).await?;
    Ok(all.remove(0))
}
