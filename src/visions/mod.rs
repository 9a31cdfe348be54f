//! 地域の目指すべき姿 (the national guide's first link of the PDCA chain):
//! for a plan period of the 介護保険事業計画 (`calendar::PlanPeriod`), the
//! municipality's vision, how far it is shared, the intended improvement
//! cycle and a 目標 per scene; a ward may set its own under it. Here the
//! types and the check of what a client sends; `store.rs` reads and
//! replaces them (one transaction with the audit row).

pub mod api;
pub mod pages;
pub mod store;

use serde::Serialize;

use crate::calendar::PlanPeriod;
use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::scenes::Scenes;
use crate::text::{MultiLine, SingleLine};

label_enum! {
    /// How far the vision is shared: the national survey's five levels.
    Sharing {
        InPlan => "事業計画に記載し関係者と共有",
        WithPartners => "関係者と共有",
        WithinGovernment => "行政内のみ",
        NotPerScene => "場面ごとには未設定",
        NotSet => "未設定",
    }
}

/// The longest vision text, in characters.
pub const TEXT_MAX: usize = 4000;
/// The longest goal of one scene, in characters.
pub const GOAL_MAX: usize = 2000;
/// The longest improvement cycle, in years (two plan periods).
pub const CYCLE_MAX: i64 = 6;

/// The improvement cycle as shown: `1年`.
pub fn cycle_label(years: i64) -> String {
    format!("{years}年")
}

/// The 目標 of one scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct Goal {
    /// The scene's name (a national scene or one of the municipality's own).
    pub scene: String,
    pub goal: String,
}

/// A 目指すべき姿 as stored: the municipality's (`ward_id` null) or a ward's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct Vision {
    pub municipality_id: i64,
    /// The ward whose vision this is; null for the municipality's own.
    pub ward_id: Option<i64>,
    /// The plan period's code: `2024-2026`.
    pub plan_period: String,
    /// `第9期（令和6〜8年度）`
    pub plan_period_label: String,
    /// The vision itself; empty only when `sharing` is 未設定.
    pub text: String,
    pub sharing: Sharing,
    /// The intended improvement cycle in years (1–6).
    pub cycle_years: i64,
    /// `1年`
    pub cycle_label: String,
    /// One goal per scene that has one, in the municipality's scene order.
    pub goals: Vec<Goal>,
    /// When it was last saved (RFC 3339, UTC).
    pub updated_at: String,
}

impl Vision {
    /// The goal of `scene`, if it has one.
    pub fn goal_of(&self, scene: &str) -> Option<&str> {
        self.goals
            .iter()
            .find(|g| g.scene == scene)
            .map(|g| g.goal.as_str())
    }
}

/// A ward's vision with the municipality's for the same period above it.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct WardVision {
    /// The ward's own.
    #[oai(flatten)]
    #[serde(flatten)]
    pub vision: Vision,
    /// The municipality's vision of the same period; null when not set.
    pub municipality: Option<Vision>,
}

/// One goal as sent.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct GoalInput {
    /// The scene's name, as the municipality's scene list spells it.
    pub scene: SingleLine,
    /// Blank drops the scene's goal.
    #[oai(default)]
    pub goal: MultiLine,
}

/// A whole vision as sent: saving replaces the stored one.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct VisionInput {
    /// The vision; may be blank only with `sharing` 未設定.
    #[oai(default)]
    pub text: MultiLine,
    pub sharing: Sharing,
    /// The improvement cycle in years, 1–6 (default 1).
    #[oai(default = "default_cycle")]
    pub cycle_years: i64,
    /// Goals per scene; a scene at most once.
    #[oai(default)]
    pub goals: Vec<GoalInput>,
}

fn default_cycle() -> i64 {
    1
}

/// A vision input that passed [`check`]: trimmed, goals in scene order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Trimmed; empty only with [`Sharing::NotSet`].
    pub text: String,
    pub sharing: Sharing,
    /// 1–[`CYCLE_MAX`].
    pub cycle_years: i64,
    /// Non-blank goals of known scenes, in the scene list's order.
    pub goals: Vec<Goal>,
}

/// The field of goal `i`'s scene or text in error messages (`goals.0.goal`);
/// the pages name their inputs the same way.
pub fn goal_field(i: usize, part: &str) -> String {
    format!("goals.{i}.{part}")
}

/// Checks a vision against the municipality's `scenes`: the text (trimmed,
/// at most [`TEXT_MAX`], blank only with 未設定), the cycle (1–
/// [`CYCLE_MAX`]), each goal's scene (known, once) and text (at most
/// [`GOAL_MAX`]; blank drops it). Errors: 422 with every field's message
/// (`text`, `cycle_years`, `goals.{i}.scene`, `goals.{i}.goal`).
pub fn check(input: &VisionInput, scenes: &Scenes) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let text = input.text.trim().to_string();
    if text.is_empty() && input.sharing != Sharing::NotSet {
        errors.push(FieldError::new(
            "text",
            "目指すべき姿を入力してください（まだ定めていない場合は、共有の状況で「未設定」を選んでください）",
        ));
    } else if text.chars().count() > TEXT_MAX {
        errors.push(FieldError::new(
            "text",
            format!("目指すべき姿は{TEXT_MAX}文字以内で入力してください"),
        ));
    }
    if !(1..=CYCLE_MAX).contains(&input.cycle_years) {
        errors.push(FieldError::new(
            "cycle_years",
            format!("改善のサイクルは1〜{CYCLE_MAX}年の整数で指定してください"),
        ));
    }
    let mut given: Vec<(String, String)> = Vec::new();
    for (i, g) in input.goals.iter().enumerate() {
        let scene = g.scene.trim();
        let field = goal_field(i, "scene");
        if let Err(e) = scenes.resolve(&field, &[scene]) {
            errors.push(e);
            continue;
        }
        if scene.is_empty() {
            errors.push(FieldError::new(&field, "場面を指定してください"));
            continue;
        }
        if given.iter().any(|(s, _)| s == scene) {
            errors.push(FieldError::new(
                &field,
                format!("場面「{scene}」の目標が二つ以上あります（一つにまとめてください）"),
            ));
            continue;
        }
        let goal = g.goal.trim();
        if goal.chars().count() > GOAL_MAX {
            errors.push(FieldError::new(
                &goal_field(i, "goal"),
                format!("「{scene}」の目標は{GOAL_MAX}文字以内で入力してください"),
            ));
        }
        given.push((scene.to_string(), goal.to_string()));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let goals = scenes
        .names()
        .filter_map(|name| {
            given
                .iter()
                .find(|(s, g)| s == name && !g.is_empty())
                .map(|(s, g)| Goal {
                    scene: s.clone(),
                    goal: g.clone(),
                })
        })
        .collect();
    Ok(Checked {
        text,
        sharing: input.sharing,
        cycle_years: input.cycle_years,
        goals,
    })
}

/// A plan period's code as a client sends it (`2024-2026`). Errors: 422
/// on `field`, naming the accepted form.
pub fn parse_period(field: &str, code: &str) -> AppResult<PlanPeriod> {
    PlanPeriod::parse(code).ok_or_else(|| {
        AppError::invalid(
            field,
            "計画期間は「2024-2026」のように、介護保険事業計画の期の最初と最後の年度で指定してください（第9期は 2024-2026、第10期は 2027-2029）",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str, sharing: Sharing, goals: &[(&str, &str)]) -> VisionInput {
        VisionInput {
            text: MultiLine::parse(text).unwrap(),
            sharing,
            cycle_years: 1,
            goals: goals
                .iter()
                .map(|(s, g)| GoalInput {
                    scene: SingleLine::parse(*s).unwrap(),
                    goal: MultiLine::parse(*g).unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn goals_come_back_trimmed_in_scene_order_and_blank_ones_are_dropped() {
        let scenes = Scenes::with_own(["災害・感染症".to_string()]);
        let c = check(
            &input(
                " 住み慣れた地域で ",
                Sharing::InPlan,
                &[
                    ("災害・感染症", "備える"),
                    ("看取り", " 望む場所で "),
                    ("入退院支援", "  "),
                ],
            ),
            &scenes,
        )
        .unwrap();
        assert_eq!(c.text, "住み慣れた地域で");
        let got: Vec<(&str, &str)> = c
            .goals
            .iter()
            .map(|g| (g.scene.as_str(), g.goal.as_str()))
            .collect();
        assert_eq!(got, [("看取り", "望む場所で"), ("災害・感染症", "備える")]);
    }

    #[test]
    fn an_unknown_or_repeated_scene_a_blank_text_and_a_bad_cycle_are_named() {
        let scenes = Scenes::with_own([]);
        let mut bad = input("", Sharing::WithPartners, &[("在宅", "x"), ("看取り", "a")]);
        bad.goals.push(GoalInput {
            scene: SingleLine::parse("看取り").unwrap(),
            goal: MultiLine::parse("b").unwrap(),
        });
        bad.cycle_years = 7;
        let err = check(&bad, &scenes).unwrap_err();
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["text", "cycle_years", "goals.0.scene", "goals.2.scene"]
        );
        assert!(err.field_errors()[2].message.contains("在宅"));
        // 未設定 may leave the text blank.
        assert!(check(&input("", Sharing::NotSet, &[]), &scenes).is_ok());
        let mut zero = input("x", Sharing::NotSet, &[]);
        zero.cycle_years = 0;
        assert!(check(&zero, &scenes).is_err());
    }

    #[test]
    fn the_five_sharing_levels_are_the_national_survey_s() {
        let labels: Vec<&str> = Sharing::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            labels,
            [
                "事業計画に記載し関係者と共有",
                "関係者と共有",
                "行政内のみ",
                "場面ごとには未設定",
                "未設定"
            ]
        );
        assert_eq!(cycle_label(1), "1年");
    }

    #[test]
    fn a_plan_period_off_the_grid_is_refused_with_the_accepted_form() {
        assert_eq!(parse_period("period", "2024-2026").unwrap().term(), 9);
        for bad in ["2025-2027", "abc", "2026H2", ""] {
            let err = parse_period("period", bad).unwrap_err();
            assert!(err.field_errors()[0].message.contains("2024-2026"), "{bad}");
        }
    }
}
