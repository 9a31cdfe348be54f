//! The half-year survey (事業項目 ア〜キ) a ward secretariat answers for the
//! city: typed catalogues with the exact wording of 資料1, the answers'
//! shape, and the rules a draft and a submission must meet. (イ)'s
//! 会議の内容 and 対応策の具体化 are not answered here: they are derived
//! from the meetings and countermeasures of the period ([`derived_from`],
//! read by `store::derived`).

pub mod api;
pub mod pages;
pub mod sample;
pub mod store;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::access::{CityOf, WardWrite};
use crate::calendar::{self, Period};
use crate::countermeasures::Stage;
use crate::error::{AppError, AppResult, FieldError};
use crate::labels::label_enum;
use crate::text::MultiLine;
use crate::topics::TOPICS;

label_enum! {
    /// The four-level 実施状況 of (イ)(ウ)(エ). The two plans are stored
    /// relative to the period's fiscal year and printed with real years
    /// ([`Progress::report_label`]).
    Progress {
        Done => "既に実施",
        ThisYear => "今年度中に実施予定",
        NextYear => "次年度に実施予定",
        NotYet => "未実施",
    }
}

impl Progress {
    /// As 資料1 prints it for `period`: 「H29年度中に実施予定」.
    pub fn report_label(self, period: Period) -> String {
        match self {
            Progress::ThisYear => calendar::this_year_label(period),
            Progress::NextYear => calendar::next_year_label(period),
            other => other.as_str().to_string(),
        }
    }
}

label_enum! {
    /// (ア) the state of a resource map. The source's answer codes 1・2, 3・4
    /// and 5 are reported as these three groups.
    MapStatus {
        Made => "作成済",
        Planned => "今後作成予定",
        None => "作成しない",
    }
}

impl MapStatus {
    /// 「平成29年以前作成済」: made before the end of the period's calendar
    /// year, named by the one era rule of [`calendar::year_label`] (the era
    /// the year ends in: 2019 is 令和元年, as its fiscal year is 令和元年度).
    pub fn report_label(self, period: Period) -> String {
        match self {
            MapStatus::Made => format!("{}以前作成済", calendar::year_label(period.fiscal_year)),
            other => other.as_str().to_string(),
        }
    }
}

label_enum! {
    /// (キ) the three-level status of an awareness item.
    Awareness {
        Done => "既に実施している",
        Preparing => "現時点では未実施だが、実施に向けて準備している",
        NoPlan => "今年度の実施の予定はない",
    }
}

label_enum! {
    /// (カ) who organised the training (複数回答).
    Organizer {
        WardOffice => "区役所",
        Doctors => "医師会",
        Dentists => "歯科医師会",
        Pharmacists => "薬剤師会",
        ConsultationOffice => "相談支援室",
        CareManagers => "CM連絡会",
    }
}

label_enum! {
    /// The survey's sections, for 【課題】 and the city's summaries.
    Section {
        A => "ア",
        I => "イ",
        U => "ウ",
        E => "エ",
        O => "オ",
        Ka => "カ",
        Ki => "キ",
    }
}

impl Section {
    /// The heading of 資料1.
    pub fn title(self) -> &'static str {
        match self {
            Section::A => "（ア）地域の医療・介護の資源の把握",
            Section::I => "（イ）在宅医療・介護連携の課題の抽出と対応策の検討",
            Section::U => "（ウ）切れ目のない在宅医療と在宅介護の提供体制の構築推進",
            Section::E => "（エ）医療・介護関係者の情報共有の支援",
            Section::O => "（オ）在宅医療・介護連携に関する相談支援",
            Section::Ka => "（カ）医療・介護関係者の研修",
            Section::Ki => "（キ）地域住民への普及啓発",
        }
    }
}

label_enum! {
    /// Whether the ward has handed its answers to the city.
    SurveyStatus {
        Draft => "下書き",
        Submitted => "提出済",
    }
}

/// (ア) the two maps.
pub const MAPS: [&str; 2] = ["関係者向けマップ", "市民向けマップ"];

/// (イ) the five steps towards the council.
pub const MEETING_STEPS: [&str; 5] = [
    "既存情報やデータ、在宅医療・介護連携に関連する既存の取組の集約・整理",
    "1で集約・整理した情報に基づく,区役所内部での課題分析や推進方針の検討",
    "個別医療・介護関係団体へのヒアリング等の各専門職の課題抽出・共有,対応策の検討",
    "異職種・団体が会する場の専門職の課題抽出・共有,対応策の検討",
    "地域の医療・介護関係団体等が参画する会議の地域全体の現状・課題,目指すべき理想像の検討",
];

/// (ウ) answered by the 相談支援室.
pub const SEAMLESS_ITEMS: [&str; 4] = [
    "区民が必要とする切れ目のない在宅医療・介護のサービス提供体制のニーズ、あり方の検討",
    "主治医・副主治医制の導入・推進に向けた取組",
    "在宅療養中の利用者の急変時診療医療機関や後方病床の確保に向けた取組",
    "訪問診療・往診を提供する医療機関と訪問看護St.との連携体制構築への取組",
];

/// (エ) answered by the 相談支援室.
pub const SHARING_ITEMS: [&str; 5] = [
    "医療・介護関係者間で共有すべき情報や情報共有のニーズ、共有方法の検討",
    "現在使用されている情報共有ツールやその活用状況の確認",
    "地域で充実又は作成するべき情報共有ツールの検討",
    "情報共有ツールの導入や利用促進",
    "４で導入した情報共有ツールの活用状況や効果についての評価や改善",
];

/// (オ) who asked (相談者別内訳).
pub const REQUESTERS: [&str; 13] = [
    "①医科",
    "②歯科",
    "③薬局・薬剤師",
    "④病院（地域連携相談室）",
    "⑤訪問看護",
    "⑥介護支援専門員",
    "⑦地域包括支援センター",
    "⑧⑥⑦以外の介護関係事業所",
    "⑨認知症初期集中支援チーム",
    "⑩他区在宅医療・介護連携支援ｺｰﾃﾞｨﾈｰﾀｰ",
    "⑪区役所・保健福祉センター",
    "⑫区民",
    "⑬その他",
];

/// The report's grouping of requesters: ①〜⑤ are 医療関係, ⑥〜⑨ 介護関係.
pub fn requester_group(index: usize) -> Option<&'static str> {
    match index {
        0..=4 => Some("医療関係"),
        5..=8 => Some("介護関係"),
        _ => None,
    }
}

/// (オ) what it was about (相談内容別内訳).
pub const CONTENTS: [&str; 5] = [
    "医療に関すること",
    "介護に関すること",
    "退院支援に関すること",
    "看取りに関すること",
    "その他",
];

/// (キ) the three awareness items.
pub const AWARENESS_ITEMS: [&str; 3] = [
    "区役所や医療・介護関係団体が既存で実施している地域住民に向けた普及啓発の取組の整理やニーズの確認",
    "在宅医療や介護で受けられるサービス内容や利用方法についての周知啓発",
    "終末期ケアや在宅での看取り等終末期に関連した情報についての周知・啓発",
];

/// (ア) map status per map; absent while the draft is unfinished.
#[derive(Debug, Clone, Default, PartialEq, Serialize, poem_openapi::Object)]
pub struct ResourceMaps {
    /// 関係者向けマップ
    pub professional: Option<MapStatus>,
    /// 市民向けマップ
    pub public: Option<MapStatus>,
}

/// (オ) one month of a 相談支援室's individual-case consultations.
#[derive(Debug, Clone, PartialEq, Serialize, poem_openapi::Object)]
pub struct ConsultationMonth {
    /// Calendar month, 1–12, inside the period.
    pub month: u32,
    /// Counts in the order of `REQUESTERS` (13 numbers).
    pub by_requester: Vec<i64>,
    /// Counts in the order of `CONTENTS` (5 numbers).
    pub by_content: Vec<i64>,
}

/// The part answered by the ward's 相談支援室 (ウ)(エ)(オ); absent for a
/// ward without an office.
#[derive(Debug, Clone, PartialEq, Serialize, poem_openapi::Object)]
pub struct OfficeAnswers {
    /// When the office opened: its cohort in (オ).
    pub opened_on: NaiveDate,
    /// (ウ) one status per `SEAMLESS_ITEMS` (empty while drafting).
    #[oai(default)]
    pub seamless: Vec<Progress>,
    /// (エ) one status per `SHARING_ITEMS` (empty while drafting).
    #[oai(default)]
    pub sharing: Vec<Progress>,
    /// (オ) monthly counts.
    #[oai(default)]
    pub consultations: Vec<ConsultationMonth>,
}

/// (カ) training for the professionals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, poem_openapi::Object)]
pub struct Training {
    /// Sessions held in the period.
    pub sessions: Option<i64>,
    /// None held yet, but planned within the fiscal year (counts as 実施).
    #[oai(default)]
    pub planned_this_year: bool,
    #[oai(default)]
    pub organizers: Vec<Organizer>,
    /// Why none was held: one reason per line.
    #[oai(default)]
    pub reasons: MultiLine,
}

/// A text per survey section.
#[derive(Debug, Clone, PartialEq, Serialize, poem_openapi::Object)]
pub struct SectionText {
    pub section: Section,
    pub text: MultiLine,
}

/// Everything a ward types in. Lists are either empty (not answered yet)
/// or complete; a submission must be complete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, poem_openapi::Object)]
pub struct SurveyAnswers {
    /// (ア)
    #[oai(default)]
    pub maps: ResourceMaps,
    /// (イ) one status per `MEETING_STEPS`.
    #[oai(default)]
    pub meeting_steps: Vec<Progress>,
    /// (ウ)(エ)(オ), when the ward has a 相談支援室.
    pub office: Option<OfficeAnswers>,
    /// (カ)
    #[oai(default)]
    pub training: Training,
    /// (キ) one status per `AWARENESS_ITEMS`.
    #[oai(default)]
    pub awareness: Vec<Awareness>,
    /// (キ) why neither item 2 nor 3 is planned, one reason per line.
    #[oai(default)]
    pub awareness_reasons: MultiLine,
    /// 【課題】 per section.
    #[oai(default)]
    pub issues: Vec<SectionText>,
}

/// The longest free text of an answer (理由, 【課題】), in characters (trimmed).
pub const MAX_TEXT: usize = 2000;

fn list_len<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    what: &str,
    list: &[T],
    n: usize,
    complete: bool,
) {
    if list.len() != n && (complete || !list.is_empty()) {
        errors.push(FieldError::new(
            field,
            format!("{what}は{n}項目すべてに回答してください"),
        ));
    }
}

impl SurveyAnswers {
    /// Checks the answers for `period`: shapes always, completeness when
    /// `complete` (a submission). Text is trimmed.
    pub fn normalized(mut self, period: Period, complete: bool) -> AppResult<Self> {
        let mut errors = Vec::new();
        if complete {
            if self.maps.professional.is_none() {
                errors.push(FieldError::new(
                    "maps.professional",
                    "（ア）関係者向けマップの作成状況を選んでください",
                ));
            }
            if self.maps.public.is_none() {
                errors.push(FieldError::new(
                    "maps.public",
                    "（ア）市民向けマップの作成状況を選んでください",
                ));
            }
        }
        list_len(
            &mut errors,
            "meeting_steps",
            "（イ）実施状況",
            &self.meeting_steps,
            MEETING_STEPS.len(),
            complete,
        );
        if let Some(office) = &mut self.office {
            list_len(
                &mut errors,
                "office.seamless",
                "（ウ）取組状況",
                &office.seamless,
                SEAMLESS_ITEMS.len(),
                complete,
            );
            list_len(
                &mut errors,
                "office.sharing",
                "（エ）取組状況",
                &office.sharing,
                SHARING_ITEMS.len(),
                complete,
            );
            if let Err(e) = crate::calendar::check_year(
                "office.opened_on",
                "相談支援室の開設日",
                office.opened_on,
            ) {
                errors.push(e);
            } else if office.opened_on > period.end() {
                errors.push(FieldError::new(
                    "office.opened_on",
                    "相談支援室の開設日がこの期間より後です",
                ));
            }
            let mut seen = Vec::new();
            for (i, m) in office.consultations.iter().enumerate() {
                let field = format!("office.consultations[{i}]");
                if !period_months(period).contains(&m.month) {
                    errors.push(FieldError::new(
                        &field,
                        format!("（オ）{}月はこの期間の月ではありません", m.month),
                    ));
                } else if seen.contains(&m.month) {
                    errors.push(FieldError::new(
                        &field,
                        format!("（オ）{}月が重複しています", m.month),
                    ));
                }
                seen.push(m.month);
                if m.by_requester.len() != REQUESTERS.len() {
                    errors.push(FieldError::new(
                        &field,
                        format!(
                            "（オ）相談者別の件数は{}区分すべて入力してください",
                            REQUESTERS.len()
                        ),
                    ));
                }
                if m.by_content.len() != CONTENTS.len() {
                    errors.push(FieldError::new(
                        &field,
                        format!(
                            "（オ）相談内容別の件数は{}区分すべて入力してください",
                            CONTENTS.len()
                        ),
                    ));
                }
                if m.by_requester.iter().chain(&m.by_content).any(|n| *n < 0) {
                    errors.push(FieldError::new(
                        &field,
                        "（オ）件数は0以上の整数で入力してください",
                    ));
                }
            }
            // Sorted only after checking, so error fields name the caller's indexes.
            office
                .consultations
                .sort_by_key(|m| fiscal_month_order(m.month));
        }
        match self.training.sessions {
            Some(n) if !(0..=999).contains(&n) => errors.push(FieldError::new(
                "training.sessions",
                "（カ）研修会の実施回数は0〜999で入力してください",
            )),
            None if complete => errors.push(FieldError::new(
                "training.sessions",
                "（カ）研修会の実施回数を入力してください",
            )),
            _ => {}
        }
        self.training.organizers.sort_unstable();
        self.training.organizers.dedup();
        self.training.reasons = self.training.reasons.trimmed();
        if complete
            && self.training.sessions == Some(0)
            && !self.training.planned_this_year
            && self.training.reasons.is_empty()
        {
            errors.push(FieldError::new(
                "training.reasons",
                "（カ）研修会を実施しない理由を入力してください",
            ));
        }
        list_len(
            &mut errors,
            "awareness",
            "（キ）実施内容",
            &self.awareness,
            AWARENESS_ITEMS.len(),
            complete,
        );
        self.awareness_reasons = self.awareness_reasons.trimmed();
        if complete && !self.awareness_planned() && self.awareness_reasons.is_empty() {
            errors.push(FieldError::new(
                "awareness_reasons",
                "（キ）2・3の両項目とも予定がない理由を入力してください",
            ));
        }
        for t in &mut self.issues {
            t.text = t.text.trimmed();
        }
        self.issues.retain(|t| !t.text.is_empty());
        self.issues.sort_by_key(|t| t.section);
        if self.issues.windows(2).any(|w| w[0].section == w[1].section) {
            errors.push(FieldError::new(
                "issues",
                "【課題】は項目ごとに1つにまとめてください",
            ));
        }
        let long = [&self.training.reasons, &self.awareness_reasons]
            .into_iter()
            .chain(self.issues.iter().map(|t| &t.text))
            .any(|t| t.chars().count() > MAX_TEXT);
        if long {
            errors.push(FieldError::new(
                "issues",
                format!("記述欄は{MAX_TEXT}文字以内で入力してください"),
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(AppError::Invalid(errors))
        }
    }

    /// (カ) 「実施（今年度実施予定も含む）」.
    pub fn training_held(&self) -> bool {
        self.training.sessions.unwrap_or(0) > 0 || self.training.planned_this_year
    }

    /// (キ) item 2 or 3 is done or being prepared (the source's 「実施
    /// （今年度実施予定も含む）」; the other wards are 「2.3の両項目実施予定のない区」).
    pub fn awareness_planned(&self) -> bool {
        self.awareness
            .iter()
            .skip(1)
            .any(|a| *a != Awareness::NoPlan)
    }

    pub fn issue(&self, section: Section) -> Option<&str> {
        self.issues
            .iter()
            .find(|t| t.section == section)
            .map(|t| t.text.as_str())
    }
}

/// The calendar months of a period, in order.
pub fn period_months(period: Period) -> [u32; 6] {
    match period.half {
        calendar::Half::First => [4, 5, 6, 7, 8, 9],
        calendar::Half::Second => [10, 11, 12, 1, 2, 3],
    }
}

fn fiscal_month_order(month: u32) -> u32 {
    (month + 8) % 12
}

/// What (イ) shows without being typed: per topic, whether a meeting of the
/// period covered it, and the most advanced stage of its countermeasures
/// at the period's end.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct DerivedTopic {
    pub number: i64,
    pub label: String,
    pub covered: bool,
    /// 「あてはまる」 or 「あてはまらない」.
    pub coverage_label: String,
    pub stage: Stage,
    /// The report's wording of the stage.
    pub stage_label: String,
}

/// A ward's survey for one period.
#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct Survey {
    pub ward_id: i64,
    pub ward_name: String,
    /// `2017H1`
    pub period: String,
    /// 平成29年度上半期
    pub period_label: String,
    pub status: SurveyStatus,
    pub submitted_at: Option<String>,
    pub answers: SurveyAnswers,
    /// (イ) 会議の内容 and 対応策の具体化, from the ward's records.
    pub derived: Vec<DerivedTopic>,
}

/// Reads a period code from a URL, as a 404 when it is not one (the
/// resource does not exist) with a hint on the format.
pub fn parse_period(code: &str) -> AppResult<Period> {
    Period::parse(code).ok_or(AppError::NotFound(
        "期間（2017H1 のように 年度＋H1/H2 で指定）",
    ))
}

/// Whether saved answers may be edited: a submitted survey is closed to
/// edits until the city reopens it, so the report does not change under the
/// city's feet. `stored`: the status saved, none when nothing is.
pub fn check_editable(stored: Option<SurveyStatus>) -> AppResult<()> {
    if stored == Some(SurveyStatus::Submitted) {
        return Err(AppError::Conflict(
            "提出済みの回答は編集できません。修正するには市の担当課に差し戻しを依頼してください"
                .into(),
        ));
    }
    Ok(())
}

/// A survey's move to `to` from the status saved (`None`: nothing saved):
/// the audit action, or why it may not. Only saved draft answers are
/// submitted; only submitted ones are sent back (差し戻し) as a draft.
pub fn status_change(stored: Option<SurveyStatus>, to: SurveyStatus) -> AppResult<&'static str> {
    match stored {
        Some(from) => from.change_to(to),
        None => Err(never_saved(to)),
    }
}

/// Why a survey never saved may not move to `to` (409): there is nothing
/// to submit, and nothing submitted to send back.
pub fn never_saved(to: SurveyStatus) -> AppError {
    match to {
        SurveyStatus::Submitted => {
            AppError::Conflict("回答が保存されていません。先に下書きを保存してください".into())
        }
        SurveyStatus::Draft => AppError::Conflict("提出されていない回答は差し戻せません".into()),
    }
}

impl SurveyStatus {
    /// A saved survey's move from this status to `to`: the audit action
    /// (`submit`, `reopen`), or why it may not (409: already submitted, or
    /// not submitted so not to be sent back). [`status_change`] for a
    /// survey that is saved.
    pub fn change_to(self, to: SurveyStatus) -> AppResult<&'static str> {
        match (self, to) {
            (SurveyStatus::Draft, SurveyStatus::Submitted) => Ok("submit"),
            (SurveyStatus::Submitted, SurveyStatus::Draft) => Ok("reopen"),
            (SurveyStatus::Submitted, SurveyStatus::Submitted) => {
                Err(AppError::Conflict("この期間の回答は提出済みです".into()))
            }
            (SurveyStatus::Draft, SurveyStatus::Draft) => Err(never_saved(SurveyStatus::Draft)),
        }
    }
}

/// Only the city of the ward's own municipality sends a ward's survey back
/// (`city`: the city scope the caller holds; `ward`: the survey's ward).
/// Errors: 403 for another municipality's city.
pub fn check_reopener(city: &CityOf, ward: &WardWrite) -> AppResult<()> {
    if city.municipality_id() != ward.municipality_id() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// (イ)'s 会議の内容 wording: 「あてはまる」 when a meeting of the period
/// covered the topic, 「あてはまらない」 otherwise.
pub fn coverage_label(covered: bool) -> &'static str {
    if covered {
        "あてはまる"
    } else {
        "あてはまらない"
    }
}

/// One ward's (イ), a row per topic of [`TOPICS`] in its order: `covered`
/// holds the topic numbers its meetings of the period covered, `stages` its
/// most advanced stage per topic number at the period's end; a topic with
/// no countermeasure stands at [`Stage::Identified`].
pub fn derived_from(covered: &BTreeSet<i64>, stages: &HashMap<i64, Stage>) -> Vec<DerivedTopic> {
    TOPICS
        .iter()
        .map(|t| {
            let number = i64::from(t.number);
            let is_covered = covered.contains(&number);
            let stage = stages.get(&number).copied().unwrap_or(Stage::Identified);
            DerivedTopic {
                number,
                label: t.label.to_string(),
                covered: is_covered,
                coverage_label: coverage_label(is_covered).into(),
                stage,
                stage_label: stage.report_label().into(),
            }
        })
        .collect()
}

/// The (イ) of a ward with no meetings or countermeasures: no topic
/// covered, every one at [`Stage::Identified`].
pub fn empty_derived() -> Vec<DerivedTopic> {
    derived_from(&BTreeSet::new(), &HashMap::new())
}

/// The city's summaries fit their field (each at most [`MAX_TEXT`] characters).
pub fn check_summaries(texts: &[SectionText]) -> AppResult<()> {
    if texts.iter().any(|t| t.text.chars().count() > MAX_TEXT) {
        return Err(AppError::invalid(
            "text",
            format!("まとめは{MAX_TEXT}文字以内で入力してください"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_is_submitted_from_a_saved_draft_and_sent_back_once_submitted() {
        use SurveyStatus::{Draft, Submitted};
        assert!(check_editable(None).is_ok());
        assert!(check_editable(Some(Draft)).is_ok());
        assert_eq!(check_editable(Some(Submitted)).unwrap_err().status(), 409);
        assert_eq!(status_change(Some(Draft), Submitted).unwrap(), "submit");
        assert_eq!(status_change(Some(Submitted), Draft).unwrap(), "reopen");
        for (stored, to) in [
            (None, Submitted),
            (Some(Submitted), Submitted),
            (None, Draft),
            (Some(Draft), Draft),
        ] {
            assert_eq!(status_change(stored, to).unwrap_err().status(), 409);
        }
    }

    fn p() -> Period {
        Period::parse("2017H1").unwrap()
    }

    fn complete() -> SurveyAnswers {
        SurveyAnswers {
            maps: ResourceMaps {
                professional: Some(MapStatus::Made),
                public: Some(MapStatus::None),
            },
            meeting_steps: vec![Progress::Done; 5],
            office: None,
            training: Training {
                sessions: Some(2),
                planned_this_year: false,
                organizers: vec![
                    Organizer::Doctors,
                    Organizer::WardOffice,
                    Organizer::Doctors,
                ],
                reasons: Default::default(),
            },
            awareness: vec![Awareness::Done; 3],
            awareness_reasons: Default::default(),
            issues: vec![],
        }
    }

    #[test]
    fn a_draft_may_be_partial_but_a_submission_may_not() {
        assert!(SurveyAnswers::default().normalized(p(), false).is_ok());
        let err = SurveyAnswers::default().normalized(p(), true).unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert!(fields.contains(&"meeting_steps") && fields.contains(&"training.sessions"));
        let ok = complete().normalized(p(), true).unwrap();
        assert_eq!(
            ok.training.organizers,
            vec![Organizer::WardOffice, Organizer::Doctors]
        );
    }

    #[test]
    fn half_lists_and_foreign_months_are_refused() {
        let mut a = complete();
        a.meeting_steps.pop();
        assert!(a.normalized(p(), false).is_err());
        let mut b = complete();
        b.office = Some(OfficeAnswers {
            opened_on: "2016-08-01".parse().unwrap(),
            seamless: vec![],
            sharing: vec![],
            consultations: vec![ConsultationMonth {
                month: 10,
                by_requester: vec![0; 13],
                by_content: vec![0; 5],
            }],
        });
        let err = b.normalized(p(), false).unwrap_err();
        assert!(err.field_errors()[0].message.contains("10月"));
    }

    #[test]
    fn relative_plans_print_with_years() {
        assert_eq!(Progress::ThisYear.report_label(p()), "H29年度中に実施予定");
        assert_eq!(Progress::NextYear.report_label(p()), "H30年度に実施予定");
        assert_eq!(MapStatus::Made.report_label(p()), "平成29年以前作成済");
        let reiwa = Period::parse("2019H2").unwrap();
        assert_eq!(Progress::NextYear.report_label(reiwa), "R2年度に実施予定");
        assert_eq!(MapStatus::Made.report_label(reiwa), "令和元年以前作成済");
        // The first half of 2019 began in 平成 but its report is 令和元年度's:
        // one era rule for every label of the period.
        let first_half = Period::parse("2019H1").unwrap();
        assert_eq!(
            MapStatus::Made.report_label(first_half),
            "令和元年以前作成済"
        );
        assert!(first_half.label().starts_with("令和元年度"));
    }

    #[test]
    fn no_reason_needed_when_training_is_planned() {
        let mut a = complete();
        a.training.sessions = Some(0);
        assert!(a.clone().normalized(p(), true).is_err());
        a.training.planned_this_year = true;
        assert!(a.normalized(p(), true).is_ok());
    }

    #[test]
    fn a_saved_survey_moves_as_status_change_says_and_one_never_saved_never_moves() {
        use SurveyStatus::{Draft, Submitted};
        for from in [Draft, Submitted] {
            for to in [Draft, Submitted] {
                let direct = from.change_to(to).map_err(|e| e.to_string());
                let whole = status_change(Some(from), to).map_err(|e| e.to_string());
                assert_eq!(direct, whole, "{from:?} → {to:?}");
            }
        }
        for to in [Draft, Submitted] {
            let whole = status_change(None, to).unwrap_err();
            assert_eq!(never_saved(to).to_string(), whole.to_string());
            assert_eq!(never_saved(to).status(), 409);
        }
        assert!(
            never_saved(Submitted)
                .to_string()
                .contains("先に下書きを保存")
        );
        assert!(never_saved(Draft).to_string().contains("差し戻せません"));
    }

    #[test]
    fn only_the_city_of_the_wards_own_municipality_sends_a_survey_back() {
        let op = crate::access::operator();
        let ward = op.ward_write(1, 10);
        assert!(check_reopener(&op.city_of(10), &ward).is_ok());
        let other = check_reopener(&op.city_of(20), &ward).unwrap_err();
        assert_eq!(other.status(), 403);
    }

    #[test]
    fn i_has_a_row_per_topic_with_its_coverage_and_stage() {
        let covered = BTreeSet::from([2, 5]);
        let stages = HashMap::from([(2, Stage::Evaluated), (3, Stage::Planned)]);
        let rows = derived_from(&covered, &stages);
        assert_eq!(rows.len(), TOPICS.len());
        let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
        let expected: Vec<i64> = TOPICS.iter().map(|t| i64::from(t.number)).collect();
        assert_eq!(numbers, expected);
        let row = |n: i64| rows.iter().find(|r| r.number == n).unwrap();
        assert!(row(2).covered && row(5).covered && !row(3).covered);
        assert_eq!(row(2).coverage_label, "あてはまる");
        assert_eq!(row(3).coverage_label, "あてはまらない");
        assert_eq!(row(2).stage, Stage::Evaluated);
        assert_eq!(row(3).stage, Stage::Planned);
        assert_eq!(row(5).stage, Stage::Identified);
        assert_eq!(row(3).stage_label, Stage::Planned.report_label());
        assert_eq!(row(1).label, TOPICS[0].label);
    }

    #[test]
    fn a_ward_without_records_covers_nothing_and_stands_at_the_first_stage() {
        let rows = empty_derived();
        assert_eq!(rows.len(), TOPICS.len());
        assert!(rows.iter().all(|r| !r.covered
            && r.coverage_label == "あてはまらない"
            && r.stage == Stage::Identified
            && r.stage_label == Stage::Identified.report_label()));
    }
}
