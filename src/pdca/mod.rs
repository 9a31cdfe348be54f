//! A ward's PDCA sheet (PDCAシート): the logic model the national guide asks
//! for and municipal Excel sheets draw by hand, generated from the records
//! of one plan period — 目指すべき姿 (the municipality's, and the ward's own
//! if set) → 目標 per scene → 評価指標 by level (ストラクチャー → プロセス →
//! アウトプット → 中間アウトカム → 最終アウトカム) with baseline, target and
//! the ward's latest value → 対応策 by scene with the indicators each links.
//! [`assemble`] is pure; [`store`] reads the rows, one query per table.

pub mod api;
pub mod pages;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::calendar::PlanPeriod;
use crate::error::AppError;

/// The levels of the logic model, in the sheet's order.
pub const LEVELS: [&str; 5] = [
    "ストラクチャー",
    "プロセス",
    "アウトプット",
    "中間アウトカム",
    "最終アウトカム",
];

/// Where a countermeasure without a scene is listed.
pub const NO_SCENE: &str = "場面未設定";

/// What a countermeasure without a recorded verdict shows.
pub const NO_VERDICT: &str = "未記録";

/// The plan period of `?plan_period=` (`2024-2026`), or the one containing
/// `today` when absent or blank. A malformed code is a Japanese field error.
pub fn plan_period_param(value: Option<&str>, today: NaiveDate) -> Result<PlanPeriod, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(PlanPeriod::containing(today)),
        Some(code) => PlanPeriod::parse(code).ok_or_else(|| {
            AppError::invalid(
                "plan_period",
                "計画期間は 2024-2026（第9期）のように、介護保険事業計画の3年度を半角で指定してください",
            )
        }),
    }
}

/// A verdict as the sheet prints it: `A 達成`, `B 一部達成`, `C 未達成`;
/// none (or an unknown word): [`NO_VERDICT`].
pub fn verdict_label(verdict: Option<&str>) -> String {
    match verdict {
        Some("達成") => "A 達成".into(),
        Some("一部達成") => "B 一部達成".into(),
        Some("未達成") => "C 未達成".into(),
        _ => NO_VERDICT.into(),
    }
}

/// A vision row as read.
#[derive(Debug, Clone)]
pub struct VisionRow {
    pub id: i64,
    /// None: the municipality's.
    pub ward_id: Option<i64>,
    pub body: String,
    pub sharing: String,
    pub cycle_years: i64,
}

/// An indicator row as read.
#[derive(Debug, Clone)]
pub struct IndicatorRow {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub unit: String,
    pub direction: String,
    pub baseline_value: Option<String>,
    pub baseline_period: Option<String>,
    pub target_value: Option<String>,
    pub target_period: Option<String>,
}

/// An indicator's latest value for the ward (one per indicator): the
/// ward's own (`ward_id` Some) or the municipality's as a whole.
#[derive(Debug, Clone)]
pub struct ValueRow {
    pub indicator_id: i64,
    pub ward_id: Option<i64>,
    pub period: String,
    pub value: String,
}

/// A countermeasure row as read (not archived).
#[derive(Debug, Clone)]
pub struct CountermeasureRow {
    pub id: i64,
    pub title: String,
    pub topic: i64,
    pub stage: String,
    pub owner_name: Option<String>,
    pub evaluation_due_on: Option<String>,
    pub verdict: Option<String>,
    pub cycle: i64,
}

/// Everything [`assemble`] reads, for one ward and plan period.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The municipality's scene names, in order (national four, then its own).
    pub scenes: Vec<String>,
    pub visions: Vec<VisionRow>,
    /// (vision id, scene, goal).
    pub goals: Vec<(i64, String, String)>,
    pub indicators: Vec<IndicatorRow>,
    /// (indicator id, scene).
    pub indicator_scenes: Vec<(i64, String)>,
    pub values: Vec<ValueRow>,
    pub countermeasures: Vec<CountermeasureRow>,
    /// (countermeasure id, scene).
    pub countermeasure_scenes: Vec<(i64, String)>,
    /// (countermeasure id, indicator id).
    pub countermeasure_indicators: Vec<(i64, i64)>,
}

/// A 目指すべき姿 on the sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaVision")]
pub struct Vision {
    pub body: String,
    /// The national survey's sharing level (事業計画に記載し関係者と共有 …).
    pub sharing: String,
    /// The intended improvement cycle in years (1 = 1年).
    pub cycle_years: i64,
}

/// The goals of one scene: the municipality's and the ward's (none: not set).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaSceneGoal")]
pub struct SceneGoal {
    pub scene: String,
    pub municipality_goal: Option<String>,
    pub ward_goal: Option<String>,
}

/// An indicator's latest value for the ward: its own, else the
/// municipality's as a whole (`city_wide`); latest by period start, a
/// half-year after the fiscal year it starts (as `indicators::store::latest_in`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaLatest")]
pub struct Latest {
    pub value: String,
    /// A `calendar::Span` code (`2026`, `2026H1`).
    pub period: String,
    pub city_wide: bool,
}

/// One 評価指標 on the sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaIndicatorLine")]
pub struct IndicatorLine {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub unit: String,
    /// ↑ / ↓ / →
    pub direction: String,
    pub scenes: Vec<String>,
    pub baseline_value: Option<String>,
    pub baseline_period: Option<String>,
    pub target_value: Option<String>,
    pub target_period: Option<String>,
    pub latest: Option<Latest>,
}

/// One countermeasure on the sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaCountermeasureLine")]
pub struct CountermeasureLine {
    pub id: i64,
    pub title: String,
    pub topic: i64,
    pub scenes: Vec<String>,
    /// Its own stage on the ladder (未具体化 / 具体化 / 評価改善).
    pub stage: String,
    pub owner_name: Option<String>,
    /// ISO date.
    pub evaluation_due_on: Option<String>,
    /// The last verdict — the row's while at 評価改善, else the latest in
    /// its history (a next cycle clears the row's): `B 一部達成`, or 未記録
    /// ([`verdict_label`]).
    pub verdict: String,
    /// The round it is in, from 1.
    pub cycle: i64,
    /// The names of the indicators it links, in the sheet's indicator order.
    pub indicators: Vec<String>,
}

/// The countermeasures of one scene (or [`NO_SCENE`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaSceneGroup")]
pub struct SceneGroup {
    pub scene: String,
    pub countermeasures: Vec<CountermeasureLine>,
}

/// A ward's PDCA sheet for a plan period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, poem_openapi::Object)]
#[oai(rename = "PdcaSheet")]
pub struct Sheet {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    pub municipality_name: String,
    /// `2024-2026`
    pub plan_period: String,
    /// 第9期（令和6〜8年度）
    pub plan_period_label: String,
    pub municipality_vision: Option<Vision>,
    pub ward_vision: Option<Vision>,
    /// Every scene of the municipality, in order, then any other scene a
    /// goal names.
    pub goals: Vec<SceneGoal>,
    /// By level ([`LEVELS`]; an unknown level last), then by name.
    pub indicators: Vec<IndicatorLine>,
    /// The scenes in the goals' order, each with its countermeasures (a
    /// countermeasure with several scenes under each), then [`NO_SCENE`];
    /// scenes without a countermeasure are left out.
    pub groups: Vec<SceneGroup>,
}

/// The ward whose sheet it is.
#[derive(Debug, Clone)]
pub struct Heading {
    pub ward_id: i64,
    pub ward_name: String,
    pub municipality_id: i64,
    pub municipality_name: String,
    pub plan_period: PlanPeriod,
}

/// Each indicator's value as the sheet prints it. `values` holds one per
/// indicator, already the latest for the ward by the indicators' one rule
/// (`indicators::latest_per_indicator`, read by `pdca::store`).
fn latest_values(values: &[ValueRow]) -> HashMap<i64, Latest> {
    values
        .iter()
        .map(|v| {
            (
                v.indicator_id,
                Latest {
                    value: v.value.clone(),
                    period: v.period.clone(),
                    city_wide: v.ward_id.is_none(),
                },
            )
        })
        .collect()
}

/// Puts the sheet together from the rows: pure.
pub fn assemble(heading: Heading, rows: Rows) -> Sheet {
    let ward_id = heading.ward_id;
    let vision = |ward: Option<i64>| {
        rows.visions
            .iter()
            .find(|v| v.ward_id == ward)
            .map(|v| Vision {
                body: v.body.clone(),
                sharing: v.sharing.clone(),
                cycle_years: v.cycle_years,
            })
    };
    let city_vision_id = rows
        .visions
        .iter()
        .find(|v| v.ward_id.is_none())
        .map(|v| v.id);
    let ward_vision_id = rows
        .visions
        .iter()
        .find(|v| v.ward_id == Some(ward_id))
        .map(|v| v.id);

    // Scenes: the municipality's list, then any other a goal names.
    let mut scene_order: Vec<String> = rows.scenes.clone();
    for (_, scene, _) in &rows.goals {
        if !scene_order.contains(scene) {
            scene_order.push(scene.clone());
        }
    }
    let goal_of = |vision: Option<i64>, scene: &str| {
        rows.goals
            .iter()
            .find(|(v, s, _)| Some(*v) == vision && s == scene)
            .map(|(_, _, g)| g.clone())
    };
    let goals: Vec<SceneGoal> = scene_order
        .iter()
        .map(|scene| SceneGoal {
            scene: scene.clone(),
            municipality_goal: goal_of(city_vision_id, scene),
            ward_goal: goal_of(ward_vision_id, scene),
        })
        .collect();

    let latest = latest_values(&rows.values);
    let mut indicator_scenes: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, scene) in &rows.indicator_scenes {
        indicator_scenes.entry(*id).or_default().push(scene.clone());
    }
    let scene_rank = |s: &str| {
        scene_order
            .iter()
            .position(|o| o == s)
            .unwrap_or(usize::MAX)
    };
    let level_rank = |l: &str| LEVELS.iter().position(|x| *x == l).unwrap_or(LEVELS.len());
    let mut indicators: Vec<IndicatorLine> = rows
        .indicators
        .iter()
        .map(|i| {
            let mut scenes = indicator_scenes.remove(&i.id).unwrap_or_default();
            scenes.sort_by_key(|s| (scene_rank(s), s.clone()));
            IndicatorLine {
                id: i.id,
                name: i.name.clone(),
                level: i.level.clone(),
                unit: i.unit.clone(),
                direction: i.direction.clone(),
                scenes,
                baseline_value: i.baseline_value.clone(),
                baseline_period: i.baseline_period.clone(),
                target_value: i.target_value.clone(),
                target_period: i.target_period.clone(),
                latest: latest.get(&i.id).cloned(),
            }
        })
        .collect();
    indicators.sort_by(|a, b| {
        (level_rank(&a.level), &a.name, a.id).cmp(&(level_rank(&b.level), &b.name, b.id))
    });
    let indicator_pos: HashMap<i64, usize> = indicators
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id, i))
        .collect();

    let mut cm_scenes: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, scene) in &rows.countermeasure_scenes {
        cm_scenes.entry(*id).or_default().push(scene.clone());
    }
    let mut cm_indicators: HashMap<i64, Vec<usize>> = HashMap::new();
    for (id, ind) in &rows.countermeasure_indicators {
        if let Some(p) = indicator_pos.get(ind) {
            cm_indicators.entry(*id).or_default().push(*p);
        }
    }
    // scene rank (NO_SCENE last) → countermeasures in topic, id order.
    let mut by_scene: BTreeMap<(usize, String), Vec<CountermeasureLine>> = BTreeMap::new();
    let mut countermeasures = rows.countermeasures.clone();
    countermeasures.sort_by_key(|c| (c.topic, c.id));
    for c in &countermeasures {
        let mut scenes = cm_scenes.remove(&c.id).unwrap_or_default();
        scenes.sort_by_key(|s| (scene_rank(s), s.clone()));
        let mut linked = cm_indicators.remove(&c.id).unwrap_or_default();
        linked.sort_unstable();
        let line = CountermeasureLine {
            id: c.id,
            title: c.title.clone(),
            topic: c.topic,
            scenes: scenes.clone(),
            stage: c.stage.clone(),
            owner_name: c.owner_name.clone(),
            evaluation_due_on: c.evaluation_due_on.clone(),
            verdict: verdict_label(c.verdict.as_deref()),
            cycle: c.cycle,
            indicators: linked.iter().map(|p| indicators[*p].name.clone()).collect(),
        };
        if scenes.is_empty() {
            by_scene
                .entry((usize::MAX, NO_SCENE.into()))
                .or_default()
                .push(line);
        } else {
            for s in scenes {
                // An unknown scene sorts after the known ones, before NO_SCENE.
                let rank = scene_rank(&s).min(usize::MAX - 1);
                by_scene.entry((rank, s)).or_default().push(line.clone());
            }
        }
    }
    let groups = by_scene
        .into_iter()
        .map(|((_, scene), countermeasures)| SceneGroup {
            scene,
            countermeasures,
        })
        .collect();

    Sheet {
        ward_id,
        ward_name: heading.ward_name,
        municipality_id: heading.municipality_id,
        municipality_name: heading.municipality_name,
        plan_period: heading.plan_period.code(),
        plan_period_label: heading.plan_period.label(),
        municipality_vision: vision(None),
        ward_vision: vision(Some(ward_id)),
        goals,
        indicators,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading() -> Heading {
        Heading {
            ward_id: 7,
            ward_name: "北区".into(),
            municipality_id: 1,
            municipality_name: "大阪市".into(),
            plan_period: PlanPeriod { first: 2024 },
        }
    }

    fn cm(id: i64, topic: i64) -> CountermeasureRow {
        CountermeasureRow {
            id,
            title: format!("対応策{id}"),
            topic,
            stage: "具体化".into(),
            owner_name: None,
            evaluation_due_on: None,
            verdict: None,
            cycle: 1,
        }
    }

    fn indicator(id: i64, name: &str, level: &str) -> IndicatorRow {
        IndicatorRow {
            id,
            name: name.into(),
            level: level.into(),
            unit: "件".into(),
            direction: "↑".into(),
            baseline_value: None,
            baseline_period: None,
            target_value: None,
            target_period: None,
        }
    }

    #[test]
    fn a_malformed_plan_period_is_a_japanese_field_error_and_none_is_today_s() {
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        assert_eq!(plan_period_param(None, today).unwrap().code(), "2024-2026");
        assert_eq!(
            plan_period_param(Some("2027-2029"), today).unwrap().code(),
            "2027-2029"
        );
        for bad in ["2025-2027", "abc", "2024"] {
            let e = plan_period_param(Some(bad), today).unwrap_err();
            assert!(e.field_errors()[0].message.contains("計画期間"), "{bad}");
        }
    }

    #[test]
    fn verdicts_print_with_their_letter_or_as_not_recorded() {
        assert_eq!(verdict_label(Some("一部達成")), "B 一部達成");
        assert_eq!(verdict_label(Some("達成")), "A 達成");
        assert_eq!(verdict_label(None), "未記録");
    }

    #[test]
    fn indicators_go_by_level_each_with_its_latest_value_own_or_city_wide() {
        let rows = Rows {
            indicators: vec![
                indicator(1, "看取り率", "最終アウトカム"),
                indicator(2, "研修回数", "アウトプット"),
                indicator(3, "協議の場", "ストラクチャー"),
            ],
            values: vec![
                ValueRow {
                    indicator_id: 2,
                    ward_id: Some(7),
                    period: "2026H1".into(),
                    value: "4".into(),
                },
                ValueRow {
                    indicator_id: 1,
                    ward_id: None,
                    period: "2025".into(),
                    value: "12.5".into(),
                },
            ],
            ..Rows::default()
        };
        let s = assemble(heading(), rows);
        let names: Vec<&str> = s.indicators.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["協議の場", "研修回数", "看取り率"]);
        let l = s.indicators[1].latest.clone().unwrap();
        assert_eq!(
            (l.value.as_str(), l.period.as_str(), l.city_wide),
            ("4", "2026H1", false)
        );
        let l = s.indicators[2].latest.clone().unwrap();
        assert_eq!((l.value.as_str(), l.city_wide), ("12.5", true));
        assert_eq!(s.indicators[0].latest, None);
    }

    #[test]
    fn a_countermeasure_appears_under_each_of_its_scenes_and_one_without_under_no_scene() {
        let rows = Rows {
            scenes: vec![
                "日常の療養支援".into(),
                "入退院支援".into(),
                "看取り".into(),
            ],
            indicators: vec![indicator(1, "研修回数", "アウトプット")],
            countermeasures: vec![cm(10, 2), cm(11, 1)],
            countermeasure_scenes: vec![(10, "看取り".into()), (10, "入退院支援".into())],
            countermeasure_indicators: vec![(10, 1)],
            ..Rows::default()
        };
        let s = assemble(heading(), rows);
        let groups: Vec<(&str, Vec<i64>)> = s
            .groups
            .iter()
            .map(|g| {
                (
                    g.scene.as_str(),
                    g.countermeasures.iter().map(|c| c.id).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("入退院支援", vec![10]),
                ("看取り", vec![10]),
                (NO_SCENE, vec![11])
            ]
        );
        assert_eq!(s.groups[0].countermeasures[0].indicators, ["研修回数"]);
        assert_eq!(s.groups[0].countermeasures[0].verdict, "未記録");
    }

    #[test]
    fn goals_list_every_scene_with_the_city_s_and_the_ward_s() {
        let rows = Rows {
            scenes: vec!["日常の療養支援".into(), "看取り".into()],
            visions: vec![
                VisionRow {
                    id: 1,
                    ward_id: None,
                    body: "市".into(),
                    sharing: "関係者と共有".into(),
                    cycle_years: 1,
                },
                VisionRow {
                    id: 2,
                    ward_id: Some(7),
                    body: "区".into(),
                    sharing: "行政内のみ".into(),
                    cycle_years: 1,
                },
            ],
            goals: vec![
                (1, "看取り".into(), "市の目標".into()),
                (2, "看取り".into(), "区の目標".into()),
                (1, "災害・感染症".into(), "備える".into()),
            ],
            ..Rows::default()
        };
        let s = assemble(heading(), rows);
        assert_eq!(s.municipality_vision.unwrap().body, "市");
        assert_eq!(s.ward_vision.unwrap().body, "区");
        let scenes: Vec<&str> = s.goals.iter().map(|g| g.scene.as_str()).collect();
        assert_eq!(scenes, ["日常の療養支援", "看取り", "災害・感染症"]);
        assert_eq!(s.goals[0].municipality_goal, None);
        assert_eq!(s.goals[1].ward_goal.as_deref(), Some("区の目標"));
        assert_eq!(s.goals[2].municipality_goal.as_deref(), Some("備える"));
        assert_eq!(s.plan_period_label, "第9期（令和6〜8年度）");
    }
}
