//! The demo's PDCA chain of the national guide (issue 18): the city's own
//! scene, its 目指すべき姿 for the current plan period with a goal in every
//! scene, one ward's own vision, three 評価指標 with baseline and target,
//! and three fiscal years of values for every ward and the city as a whole.

use chrono::{DateTime, Utc};

use super::text;
use crate::access::{WardWrite, operator};
use crate::calendar::{Period, PlanPeriod, Span};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::indicators::{self, DataSource, Direction, Frequency, Level, NewIndicator, PointInput};
use crate::visions::{GoalInput, Sharing, VisionInput};

/// The demo's indicators, by what the countermeasures of the story link.
pub struct DemoIndicators {
    /// 入退院支援: the share of care managers using the discharge rule.
    pub discharge: i64,
    /// 看取り: the share of deaths at home.
    pub end_of_life: i64,
    /// 研修: multi-professional training sessions held.
    pub training: i64,
}

const GOALS: [(&str, &str); 5] = [
    (
        "日常の療養支援",
        "医療と介護の関係者が顔の見える関係で、療養中の区民を日常から支えている",
    ),
    (
        "入退院支援",
        "入院時から退院後の生活を見据え、病院と在宅の支援者が切れ目なく情報を共有している",
    ),
    (
        "急変時の対応",
        "夜間・休日の急変時にも、本人の意思に沿った対応が関係者間で取られている",
    ),
    (
        "看取り",
        "本人と家族が望めば、住み慣れた場所で最期を迎えられる",
    ),
    (
        "災害・感染症",
        "災害や感染症の流行時にも、在宅療養者の支援が途切れない",
    ),
];

/// Loads the chain for municipality `city` and its `wards` (the first
/// gets a vision of its own). Values run over the three fiscal years
/// before today's, each ward from its own level, rising or falling by
/// the indicator's story.
pub async fn load(
    db: &Db,
    city: i64,
    wards: &[WardWrite],
    today: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<DemoIndicators> {
    let op = operator();
    let city_of = op.city_of(city);
    crate::scenes::store::create(db, &city_of, &text("災害・感染症")?, now).await?;
    let plan = PlanPeriod::containing(today);
    let goals = GOALS
        .iter()
        .map(|(scene, goal)| {
            Ok(GoalInput {
                scene: text(*scene)?,
                goal: text(*goal)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    crate::visions::store::save_municipality(
        db,
        &city_of,
        plan,
        &VisionInput {
            text: text("医療と介護が必要になっても、住み慣れた地域で自分らしい暮らしを最期まで続けられるまち")?,
            sharing: Sharing::InPlan,
            cycle_years: 1,
            goals,
        },
        now,
    )
    .await?;
    if let Some(first) = wards.first() {
        crate::visions::store::save_ward(
            db,
            first,
            plan,
            &VisionInput {
                text: text(
                    "病院・診療所・介護事業所が互いの顔を知り、退院から看取りまで区内で支え合える",
                )?,
                sharing: Sharing::WithPartners,
                cycle_years: 1,
                goals: vec![GoalInput {
                    scene: text("入退院支援")?,
                    goal: text("区内の全病院と入退院時の情報共有シートを運用する")?,
                }],
            },
            now,
        )
        .await?;
    }

    let year = Period::containing(today).fiscal_year;
    let point = |value: &str, year: i32| -> AppResult<Option<PointInput>> {
        Ok(Some(PointInput {
            value: text(value)?,
            period: text(year.to_string())?,
        }))
    };
    let specs = [
        (
            "入退院支援ルールを活用したケアマネジャーの割合",
            Level::IntermediateOutcome,
            "%",
            "分子: 入退院支援ルールを活用したケアマネジャー数 / 分母: 調査に回答したケアマネジャー数",
            DataSource::OwnSurvey,
            Direction::Up,
            ("42.0", "70"),
            "入退院支援",
        ),
        (
            "在宅看取り率",
            Level::FinalOutcome,
            "%",
            "分子: 自宅・施設で亡くなった人数 / 分母: 死亡者数",
            DataSource::Mieruka,
            Direction::Up,
            ("18.5", "25"),
            "看取り",
        ),
        (
            "多職種研修の開催回数",
            Level::Output,
            "回",
            "区内で開催した医療・介護関係者の合同研修の回数",
            DataSource::Report,
            Direction::Up,
            ("2", "4"),
            "日常の療養支援",
        ),
    ];
    let mut ids = Vec::new();
    for (name, level, unit, definition, source, direction, (baseline, target), scene) in specs {
        let created = indicators::store::create(
            db,
            &city_of,
            &NewIndicator {
                name: text(name)?,
                level,
                unit: text(unit)?,
                definition: text(definition)?,
                data_source: source,
                direction,
                baseline: point(baseline, year - 3)?,
                target: point(target, plan.last())?,
                frequency: Frequency::FiscalYear,
                scenes: vec![text(scene)?],
            },
            now,
        )
        .await?;
        ids.push(created.id);
    }

    // Values: each ward from its own level, moving a little each year.
    let mut entries = Vec::new();
    for (k, &id) in ids.iter().enumerate() {
        let write = op.indicator_write(id, city);
        for back in (1..=3).rev() {
            let span = Span::FiscalYear(year - back);
            let step = i64::from(3 - back);
            for (i, ward) in wards.iter().enumerate() {
                let i = i as i64;
                // Tenths of a percent, or whole sessions.
                let value = match k {
                    0 => format_tenths(380 + (i * 37) % 120 + step * (30 + i % 4 * 10)),
                    1 => format_tenths(150 + (i * 23) % 70 + step * (5 + i % 3 * 5)),
                    _ => ((i % 4) + step + i64::from(i % 3 == 0)).to_string(),
                };
                let value = indicators::parse_value(&value)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
                entries.push(indicators::writers::operator_entry(
                    &write,
                    Some(ward),
                    (span, value),
                ));
            }
            let whole = match k {
                0 => format_tenths(420 + step * 45),
                1 => format_tenths(185 + step * 8),
                _ => (2 + step).to_string(),
            };
            let whole = indicators::parse_value(&whole)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            entries.push(indicators::writers::operator_entry(
                &write,
                None,
                (span, whole),
            ));
        }
    }
    indicators::store::put_values(db, &entries, now).await?;
    Ok(DemoIndicators {
        discharge: ids[0],
        end_of_life: ids[1],
        training: ids[2],
    })
}

/// 425 → "42.5": an exact decimal from tenths.
fn format_tenths(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}
