//! Dates as the users count them: the Asia/Tokyo calendar day, fiscal
//! half-years (上半期 April–September, 下半期 October–March), the spans
//! figures are counted over ([`Span`]: a half-year or a fiscal year) and
//! era years.
//! Nothing here reads the clock; callers pass "now" in.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;

use crate::error::FieldError;

/// The Asia/Tokyo calendar date at `now`, whatever the server's time zone.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Tokyo).date_naive()
}

/// The instant a calendar day begins in Asia/Tokyo.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    // Tokyo keeps one offset (no summer time since 1951): its midnight exists once.
    Tokyo
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The Asia/Tokyo wall-clock time at `instant`: `14:05`.
pub fn clock_time(instant: DateTime<Utc>) -> String {
    instant.with_timezone(&Tokyo).format("%H:%M").to_string()
}

/// The years a date field accepts. Committee work happens now, so a date
/// outside them is a typo (0026 for 2026, a sixth digit) and would sort as
/// long overdue or never due; one rule for the API, the forms and the CSV import.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Refuses a date outside [`YEARS`], naming the field by its Japanese
/// `label` (評価予定日, 開催日 …) and by `field` (the API property or
/// form key the error is reported under).
pub fn check_year(field: &str, label: &str, date: NaiveDate) -> Result<(), FieldError> {
    if YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(FieldError::new(field, year_message(label)))
    }
}

/// The message of [`check_year`]: 「開催日は2000年から2100年までの日付で指定してください」.
pub fn year_message(label: &str) -> String {
    format!(
        "{label}は{}年から{}年までの日付で指定してください",
        YEARS.start(),
        YEARS.end()
    )
}

/// The one-character Japanese weekday: 月, 火 … 日.
pub fn weekday_ja(day: chrono::Weekday) -> &'static str {
    ["月", "火", "水", "木", "金", "土", "日"][day.num_days_from_monday() as usize]
}

/// Which half of a fiscal year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Half {
    /// 上半期: April–September.
    First,
    /// 下半期: October–March.
    Second,
}

/// A fiscal half-year, e.g. 2017H1 = 平成29年度上半期 = 2017-04-01..=2017-09-30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub fiscal_year: i32,
    pub half: Half,
}

impl Period {
    /// The half-year a date falls in.
    pub fn containing(date: NaiveDate) -> Self {
        let (fiscal_year, half) = match date.month() {
            4..=9 => (date.year(), Half::First),
            10..=12 => (date.year(), Half::Second),
            _ => (date.year() - 1, Half::Second),
        };
        Self { fiscal_year, half }
    }

    pub fn start(self) -> NaiveDate {
        match self.half {
            Half::First => ymd(self.fiscal_year, 4, 1),
            Half::Second => ymd(self.fiscal_year, 10, 1),
        }
    }

    /// The last day, inclusive.
    pub fn end(self) -> NaiveDate {
        match self.half {
            Half::First => ymd(self.fiscal_year, 9, 30),
            Half::Second => ymd(self.fiscal_year + 1, 3, 31),
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// The code used in URLs and the API: `2017H1`.
    pub fn code(self) -> String {
        let h = match self.half {
            Half::First => 1,
            Half::Second => 2,
        };
        format!("{}H{h}", self.fiscal_year)
    }

    /// Reads the URL/API code back: `2017H1`, `2026H2` (case-insensitive
    /// `h`). Years outside 1900–9999 are refused, so a typo cannot name a
    /// period no table could hold.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        let (year, half) = code.split_once(['H', 'h'])?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let fiscal_year: i32 = year.parse().ok()?;
        if fiscal_year < 1900 {
            return None;
        }
        let half = match half {
            "1" => Half::First,
            "2" => Half::Second,
            _ => return None,
        };
        Some(Self { fiscal_year, half })
    }

    /// The half-year before this one (the report compares with it).
    pub fn previous(self) -> Self {
        match self.half {
            Half::First => Self {
                fiscal_year: self.fiscal_year - 1,
                half: Half::Second,
            },
            Half::Second => Self {
                fiscal_year: self.fiscal_year,
                half: Half::First,
            },
        }
    }

    /// The half-year after this one.
    pub fn next(self) -> Self {
        match self.half {
            Half::First => Self {
                fiscal_year: self.fiscal_year,
                half: Half::Second,
            },
            Half::Second => Self {
                fiscal_year: self.fiscal_year + 1,
                half: Half::First,
            },
        }
    }

    /// The instants it spans in Tokyo: from its first day's midnight up to
    /// (not including) the next half-year's.
    pub fn instants(self) -> (DateTime<Utc>, DateTime<Utc>) {
        (day_start(self.start()), day_start(self.next().start()))
    }

    /// Whole months in the period (always 6): the denominator of 件/月.
    pub fn months(self) -> i64 {
        6
    }

    /// 平成29年4月～9月: the range the report prints under its title.
    pub fn range_label(self) -> String {
        let (start, end) = (self.start(), self.end());
        let era = |d: NaiveDate| match era_year(d) {
            Some((name, year)) => era_year_text(name, year),
            None => format!("{}年", d.year()),
        };
        // The era year is repeated only when it changes (平成31年4月～令和元年9月).
        if era(start) == era(end) {
            format!("{}{}月～{}月", era(start), start.month(), end.month())
        } else {
            format!(
                "{}{}月～{}{}月",
                era(start),
                start.month(),
                era(end),
                end.month()
            )
        }
    }

    /// 令和8年度下半期
    pub fn label(self) -> String {
        let half = match self.half {
            Half::First => "上半期",
            Half::Second => "下半期",
        };
        format!("{}{half}", fiscal_year_label(self.fiscal_year))
    }
}

/// The period a figure is counted over, named by its code in URLs and the
/// API: a fiscal half-year (`2026H1`, the existing [`Period`]) or a fiscal
/// year (`2026` = 令和8年度, 2026-04-01..=2027-03-31).
///
/// Codes of the kinds never overlap (a half-year's has an `H`, a fiscal
/// year's is four digits alone), so a plan period of the 介護保険事業計画
/// (`2024-2026` = 第9期（令和6〜8年度）) can be added later as a third
/// variant with its own form (a hyphen) without changing what the others
/// mean; every match on `Span` then names the new case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// A fiscal half-year.
    Half(Period),
    /// A fiscal year, April to March: `FiscalYear(2026)` is 令和8年度.
    FiscalYear(i32),
}

/// Why [`Span::parse`] refused a code; [`SpanError::message`] says it in
/// Japanese for whoever typed the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanError {
    /// The code as given.
    pub code: String,
}

impl SpanError {
    /// 「期間「2026H3」は指定できません。…」
    pub fn message(&self) -> String {
        format!(
            "期間「{}」は指定できません。2026H1（上半期）・2026H2（下半期）のような半期か、2026（令和8年度）のような年度を半角で指定してください",
            self.code
        )
    }
}

impl Span {
    /// Reads a code: `2026H1`, `2026H2` (also `2026h1`) or `2026`; a year
    /// has four half-width digits from 1900, as [`Period::parse`] asks.
    /// Anything else is refused, `2026H3`, `26`, `２０２６` (full-width
    /// digits are not read: a code is typed into URLs, not forms) and the
    /// empty code included. Surrounding spaces are ignored.
    pub fn parse(code: &str) -> Result<Span, SpanError> {
        let trimmed = code.trim();
        let refused = || SpanError {
            code: code.to_string(),
        };
        if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let year: i32 = trimmed.parse().map_err(|_| refused())?;
            return if year >= 1900 {
                Ok(Span::FiscalYear(year))
            } else {
                Err(refused())
            };
        }
        Period::parse(trimmed).map(Span::Half).ok_or_else(refused)
    }

    /// The code it is read back from: `2026H1`, `2026`.
    pub fn code(self) -> String {
        match self {
            Span::Half(p) => p.code(),
            Span::FiscalYear(y) => y.to_string(),
        }
    }

    /// 令和8年度上半期 (a half-year, as [`Period::label`]) or 令和8年度.
    pub fn label(self) -> String {
        match self {
            Span::Half(p) => p.label(),
            Span::FiscalYear(y) => fiscal_year_label(y),
        }
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        match self {
            Span::Half(p) => p.start(),
            Span::FiscalYear(y) => ymd(y, 4, 1),
        }
    }

    /// The last day, inclusive.
    pub fn end(self) -> NaiveDate {
        match self {
            Span::Half(p) => p.end(),
            Span::FiscalYear(y) => ymd(y + 1, 3, 31),
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date <= self.end()
    }

    /// The span of the same kind before this one (2026H1 → 2025H2, 2026 → 2025).
    pub fn previous(self) -> Span {
        match self {
            Span::Half(p) => Span::Half(p.previous()),
            Span::FiscalYear(y) => Span::FiscalYear(y - 1),
        }
    }

    /// The span of the same kind after this one.
    pub fn next(self) -> Span {
        match self {
            Span::Half(p) => Span::Half(p.next()),
            Span::FiscalYear(y) => Span::FiscalYear(y + 1),
        }
    }
}

/// A plan period of the 介護保険事業計画: three fiscal years from
/// `first` (`2024-2026` = 第9期（令和6〜8年度）, `2027-2029` = 第10期).
/// The 期 is counted from 第1期 = 2000–2002, every three years, so only
/// periods on that grid exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlanPeriod {
    /// The first fiscal year.
    pub first: i32,
}

impl PlanPeriod {
    /// The fiscal year 第1期 began (平成12年度).
    const ORIGIN: i32 = 2000;

    /// The period a date falls in (by its fiscal year).
    pub fn containing(date: NaiveDate) -> Self {
        Self::of_fiscal_year(Period::containing(date).fiscal_year)
    }

    /// The period fiscal year `year` belongs to.
    pub fn of_fiscal_year(year: i32) -> Self {
        let offset = (year - Self::ORIGIN).rem_euclid(3);
        Self {
            first: year - offset,
        }
    }

    /// The last fiscal year (first + 2).
    pub fn last(self) -> i32 {
        self.first + 2
    }

    /// The 期 number: 2024–2026 is 9.
    pub fn term(self) -> i32 {
        (self.first - Self::ORIGIN) / 3 + 1
    }

    /// The code of URLs and the API: `2024-2026`.
    pub fn code(self) -> String {
        format!("{}-{}", self.first, self.last())
    }

    /// Reads a code back: `2024-2026`; a period off the 期 grid
    /// (`2025-2027`), one not three years long, or before 第1期 is refused.
    pub fn parse(code: &str) -> Option<Self> {
        let (a, b) = code.trim().split_once('-')?;
        let digits = |s: &str| s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return None;
        }
        let (first, last): (i32, i32) = (a.parse().ok()?, b.parse().ok()?);
        let period = Self { first };
        (first >= Self::ORIGIN && last == first + 2 && Self::of_fiscal_year(first) == period)
            .then_some(period)
    }

    /// Whether fiscal year `year` is one of its three.
    pub fn contains_fiscal_year(self, year: i32) -> bool {
        (self.first..=self.last()).contains(&year)
    }

    /// 第9期（令和6〜8年度）
    pub fn label(self) -> String {
        let era = |y: i32| match era_year(ymd(y, 4, 1)) {
            Some((name, n)) => (name, n),
            None => ("", y),
        };
        let (first_era, first) = era(self.first);
        let (last_era, last) = era(self.last());
        let numeral = |n: i32| {
            if n == 1 {
                "元".to_string()
            } else {
                n.to_string()
            }
        };
        let range = if first_era == last_era {
            format!("{first_era}{}〜{}年度", numeral(first), numeral(last))
        } else {
            format!(
                "{first_era}{}〜{last_era}{}年度",
                numeral(first),
                numeral(last)
            )
        };
        format!("第{}期（{range}）", self.term())
    }

    /// The one before (第8期 before 第9期).
    pub fn previous(self) -> Self {
        Self {
            first: self.first - 3,
        }
    }

    /// The one after.
    pub fn next(self) -> Self {
        Self {
            first: self.first + 3,
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with April 1, September 30, October 1 and March 31.
    NaiveDate::from_ymd_opt(y, m, d).expect("fixed month-day exists in every year")
}

/// The eras since 明治, with their first day.
const ERAS: [(&str, i32, u32, u32); 5] = [
    ("令和", 2019, 5, 1),
    ("平成", 1989, 1, 8),
    ("昭和", 1926, 12, 25),
    ("大正", 1912, 7, 30),
    ("明治", 1868, 1, 25),
];

/// The era and era year of a date, e.g. 2019-05-01 → ("令和", 1).
pub fn era_year(date: NaiveDate) -> Option<(&'static str, i32)> {
    ERAS.iter()
        .find(|(_, y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d).is_some_and(|start| date >= start))
        .map(|(name, y, _, _)| (*name, date.year() - y + 1))
}

fn era_year_text(name: &str, year: i32) -> String {
    if year == 1 {
        format!("{name}元年")
    } else {
        format!("{name}{year}年")
    }
}

/// Why [`parse_date`] refused a text; [`DateError::message`] says it in
/// Japanese for the person who typed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not in any accepted form.
    Unreadable,
    /// The form is right but the day does not exist (2月30日).
    NoSuchDay,
    /// An era year outside the era (令和元年4月30日, 昭和65年).
    OutsideEra(&'static str),
}

impl DateError {
    /// The message shown beside the cell or field holding `text`.
    pub fn message(self, text: &str) -> String {
        match self {
            DateError::Unreadable => format!(
                "「{text}」は日付として読めません（2017-04-01、2017/4/1、2017年4月1日、平成29年4月1日、H29.4.1 のように入力してください）"
            ),
            DateError::NoSuchDay => format!("「{text}」という日はありません"),
            DateError::OutsideEra(era) => {
                format!("「{text}」は{era}の期間にない日付です")
            }
        }
    }
}

/// The one-letter initials of [`ERAS`], as in H29.4.1.
const ERA_INITIALS: [(char, &str); 5] = [
    ('R', "令和"),
    ('H', "平成"),
    ('S', "昭和"),
    ('T', "大正"),
    ('M', "明治"),
];

/// Reads a date as Japanese staff type it: `2017-04-01`, `2017/4/1`,
/// `2017.4.1`, `2017年4月1日`, `平成29年4月1日`, `令和元年5月1日`,
/// `H29.4.1`, `R1/5/1`, with full-width digits and letters too and spaces
/// ignored. An era year must fall in its era by [`ERAS`]; the one exception
/// is 平成 after its end (平成31年5月1日 and later), still common on forms,
/// read as the same day in 令和.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    // Full-width ASCII (digits, letters, ／－．) as ASCII; spaces dropped.
    let norm: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let (era, rest) = match ERAS.iter().find(|(name, ..)| norm.starts_with(name)) {
        Some(era) => (Some(*era), &norm[era.0.len()..]),
        None => match ERA_INITIALS
            .iter()
            .find(|(initial, _)| {
                norm.starts_with(*initial) || norm.starts_with(initial.to_ascii_lowercase())
            })
            .and_then(|(_, name)| ERAS.iter().find(|e| e.0 == *name))
        {
            Some(era) => (Some(*era), &norm[1..]),
            None => (None, norm.as_str()),
        },
    };
    let (year, month, day) = split_date(rest, era.is_some()).ok_or(DateError::Unreadable)?;
    let Some((name, start_year, start_month, start_day)) = era else {
        return NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::NoSuchDay);
    };
    if !(1..=99).contains(&year) {
        return Err(DateError::OutsideEra(name));
    }
    let date =
        NaiveDate::from_ymd_opt(start_year + year - 1, month, day).ok_or(DateError::NoSuchDay)?;
    let start = NaiveDate::from_ymd_opt(start_year, start_month, start_day);
    if start.is_some_and(|s| date < s) {
        return Err(DateError::OutsideEra(name));
    }
    match era_year(date) {
        Some((current, _)) if current == name => Ok(date),
        // 平成31年5月1日 = 令和元年5月1日: the old era name stays on forms.
        Some(("令和", _)) if name == "平成" => Ok(date),
        _ => Err(DateError::OutsideEra(name)),
    }
}

/// `29年4月1日` or `29-4-1`, `29/4/1`, `29.4.1` (one separator throughout)
/// as numbers; the year is `元` (1) only in an era, and four digits without
/// one.
fn split_date(text: &str, in_era: bool) -> Option<(i32, u32, u32)> {
    let (year, rest) = match text.strip_prefix('元') {
        Some(rest) if in_era => ("1", rest),
        _ => {
            let end = text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len());
            text.split_at(end)
        }
    };
    if year.is_empty() || (!in_era && year.len() != 4) || (in_era && year.len() > 2) {
        return None;
    }
    let mut chars = rest.chars();
    let separator = chars.next()?;
    let rest = chars.as_str();
    let (month, day) = match separator {
        '年' => {
            let (month, day) = rest.split_once('月')?;
            (month, day.strip_suffix('日').unwrap_or(day))
        }
        '-' | '/' | '.' => rest.split_once(separator)?,
        _ => return None,
    };
    let number = |s: &str| {
        if (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u32>().ok()
        } else {
            None
        }
    };
    Some((year.parse().ok()?, number(month)?, number(day)?))
}

/// 平成29年4月1日
pub fn wareki_date(date: NaiveDate) -> String {
    match era_year(date) {
        Some((name, year)) => format!(
            "{}{}月{}日",
            era_year_text(name, year),
            date.month(),
            date.day()
        ),
        None => date.format("%Y年%-m月%-d日").to_string(),
    }
}

/// 令和元年: a calendar year named by the era it ends in, the rule every
/// label of a year or fiscal year follows ([`fiscal_year_label`]).
pub fn year_label(year: i32) -> String {
    match NaiveDate::from_ymd_opt(year, 12, 31).and_then(era_year) {
        Some((name, y)) => era_year_text(name, y),
        None => format!("{year}年"),
    }
}

/// 令和7年度. A fiscal year takes the era of the calendar year it starts in,
/// as that year ends: FY2019 is 令和元年度 although April 2019 was still 平成.
pub fn fiscal_year_label(fiscal_year: i32) -> String {
    match NaiveDate::from_ymd_opt(fiscal_year, 12, 31).and_then(era_year) {
        Some((name, year)) => format!("{}度", era_year_text(name, year)),
        None => format!("{fiscal_year}年度"),
    }
}

/// The short form the report uses for a fiscal year: H29年度, R元年度, R7年度.
/// As in [`fiscal_year_label`], the fiscal year takes the era it ends the
/// calendar year in.
pub fn short_fiscal_year(fiscal_year: i32) -> String {
    match NaiveDate::from_ymd_opt(fiscal_year, 12, 31).and_then(era_year) {
        Some((name, year)) => {
            let initial = match name {
                "令和" => "R",
                "平成" => "H",
                "昭和" => "S",
                "大正" => "T",
                _ => "M",
            };
            if year == 1 {
                format!("{initial}元年度")
            } else {
                format!("{initial}{year}年度")
            }
        }
        None => format!("{fiscal_year}年度"),
    }
}

/// 「今年度中に実施予定」 as the report prints it for a period: H29年度中に実施予定.
pub fn this_year_label(period: Period) -> String {
    format!("{}中に実施予定", short_fiscal_year(period.fiscal_year))
}

/// 「次年度に実施予定」 as the report prints it for a period: H30年度に実施予定.
pub fn next_year_label(period: Period) -> String {
    format!("{}に実施予定", short_fiscal_year(period.fiscal_year + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_periods_follow_the_three_year_terms() {
        let p = PlanPeriod::parse("2024-2026").unwrap();
        assert_eq!(p.term(), 9);
        assert_eq!(p.label(), "第9期（令和6〜8年度）");
        assert_eq!(p.next().code(), "2027-2029");
        assert_eq!(p.next().label(), "第10期（令和9〜11年度）");
        assert_eq!(p.previous().label(), "第8期（令和3〜5年度）");
        assert_eq!(
            p.previous().previous().label(),
            "第7期（平成30〜令和2年度）"
        );
        assert_eq!(
            PlanPeriod::containing(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()),
            p
        );
        assert_eq!(
            PlanPeriod::containing(NaiveDate::from_ymd_opt(2027, 4, 1).unwrap()).code(),
            "2027-2029"
        );
        for bad in [
            "2025-2027",
            "2024-2025",
            "2024",
            "24-26",
            "1997-1999",
            "２０２４-2026",
            "",
        ] {
            assert_eq!(PlanPeriod::parse(bad), None, "{bad}");
        }
        assert!(p.contains_fiscal_year(2026) && !p.contains_fiscal_year(2027));
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_outside_2000_to_2100_are_refused_naming_the_field() {
        for ok in ["2000-01-01", "2026-11-24", "2100-12-31"] {
            assert!(check_year("held_on", "開催日", d(ok)).is_ok(), "{ok}");
        }
        for bad in ["0000-01-01", "1999-12-31", "2101-01-01", "+10000-01-01"] {
            let e = check_year("held_on", "開催日", d(bad)).unwrap_err();
            assert_eq!(e.field, "held_on");
            assert_eq!(
                e.message,
                "開催日は2000年から2100年までの日付で指定してください"
            );
        }
    }

    #[test]
    fn today_is_the_tokyo_date() {
        let late_utc: DateTime<Utc> = "2026-11-24T14:59:59Z".parse().unwrap();
        assert_eq!(today(late_utc), d("2026-11-24"));
        let midnight_jst: DateTime<Utc> = "2026-11-24T15:00:00Z".parse().unwrap();
        assert_eq!(today(midnight_jst), d("2026-11-25"));
    }

    #[test]
    fn a_half_year_runs_from_tokyo_midnight_to_the_next_ones() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let p = Period::parse("2026H2").unwrap();
        assert_eq!(
            p.instants(),
            (t("2026-09-30T15:00:00Z"), t("2027-03-31T15:00:00Z"))
        );
        assert_eq!(p.next().code(), "2027H1");
        assert_eq!(p.next().previous(), p);
        assert_eq!(Period::parse("2026H1").unwrap().next(), p);
        assert_eq!(clock_time(t("2026-09-30T15:04:00Z")), "00:04");
    }

    #[test]
    fn halves_follow_the_fiscal_year() {
        let p = Period::containing(d("2017-04-01"));
        assert_eq!((p.start(), p.end()), (d("2017-04-01"), d("2017-09-30")));
        assert_eq!(p.code(), "2017H1");
        assert_eq!(p.label(), "平成29年度上半期");
        let q = Period::containing(d("2027-03-31"));
        assert_eq!(q.code(), "2026H2");
        assert_eq!((q.start(), q.end()), (d("2026-10-01"), d("2027-03-31")));
        assert_eq!(q.label(), "令和8年度下半期");
        assert!(q.contains(d("2026-10-01")) && !q.contains(d("2026-09-30")));
    }

    #[test]
    fn era_boundaries() {
        assert_eq!(era_year(d("2019-04-30")), Some(("平成", 31)));
        assert_eq!(era_year(d("2019-05-01")), Some(("令和", 1)));
        assert_eq!(wareki_date(d("2019-05-01")), "令和元年5月1日");
        assert_eq!(wareki_date(d("1989-01-07")), "昭和64年1月7日");
        assert_eq!(fiscal_year_label(2019), "令和元年度");
        assert_eq!(fiscal_year_label(2018), "平成30年度");
        assert_eq!(fiscal_year_label(1988), "昭和63年度");
        assert_eq!(fiscal_year_label(2025), "令和7年度");
    }

    #[test]
    fn period_codes_parse_back() {
        let p = Period::parse("2017H1").unwrap();
        assert_eq!(p.start(), d("2017-04-01"));
        assert_eq!(Period::parse("2026h2").unwrap().code(), "2026H2");
        for bad in [
            "2017H3", "2017", "H1", "17H1", "2017H1x", "abcdH1", "0999H1", "",
        ] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
        for code in ["2017H1", "2018H2", "2019H1"] {
            assert_eq!(Period::parse(code).unwrap().code(), code);
        }
        assert_eq!(Period::parse("2017H1").unwrap().previous().code(), "2016H2");
        assert_eq!(Period::parse("2017H2").unwrap().previous().code(), "2017H1");
    }

    #[test]
    fn spans_are_half_years_or_fiscal_years() {
        let h = Span::parse("2026H1").unwrap();
        assert_eq!(h, Span::Half(Period::parse("2026H1").unwrap()));
        assert_eq!((h.start(), h.end()), (d("2026-04-01"), d("2026-09-30")));
        assert_eq!(
            (h.code(), h.label()),
            ("2026H1".into(), "令和8年度上半期".into())
        );
        let y = Span::parse("2026").unwrap();
        assert_eq!(y, Span::FiscalYear(2026));
        assert_eq!((y.start(), y.end()), (d("2026-04-01"), d("2027-03-31")));
        assert_eq!((y.code(), y.label()), ("2026".into(), "令和8年度".into()));
        assert!(y.contains(d("2027-03-31")) && !y.contains(d("2026-03-31")));
        assert_eq!(Span::parse("2019").unwrap().label(), "令和元年度");
        assert_eq!(Span::parse(" 2026h2 ").unwrap().code(), "2026H2");
        assert_eq!(y.previous().code(), "2025");
        assert_eq!(h.previous().code(), "2025H2");
        assert_eq!(h.next().next().code(), "2027H1");
        for bad in [
            "2026H3",
            "26",
            "２０２６",
            "２０２６H1",
            "",
            "2026H",
            "H1",
            "1899",
            "20261",
            "2024-2026",
            "2026 H1",
            "-202",
        ] {
            let e = Span::parse(bad).unwrap_err();
            assert_eq!(e.code, bad);
            assert!(
                e.message().contains("半期") && e.message().contains(bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn range_labels_follow_the_era() {
        assert_eq!(
            Period::parse("2017H1").unwrap().range_label(),
            "平成29年4月～9月"
        );
        assert_eq!(
            Period::parse("2018H2").unwrap().range_label(),
            "平成30年10月～平成31年3月"
        );
        // April 2019 is still 平成; October 2019 is 令和元年.
        assert_eq!(
            Period::parse("2019H1").unwrap().range_label(),
            "平成31年4月～令和元年9月"
        );
        assert_eq!(
            Period::parse("2019H2").unwrap().range_label(),
            "令和元年10月～令和2年3月"
        );
    }

    #[test]
    fn relative_answers_print_real_years() {
        let p = Period::parse("2017H1").unwrap();
        assert_eq!(this_year_label(p), "H29年度中に実施予定");
        assert_eq!(next_year_label(p), "H30年度に実施予定");
        // FY2018's next year starts 2019-04-01 (still 平成) but is 令和元年度.
        let q = Period::parse("2018H2").unwrap();
        assert_eq!(this_year_label(q), "H30年度中に実施予定");
        assert_eq!(next_year_label(q), "R元年度に実施予定");
        assert_eq!(short_fiscal_year(2025), "R7年度");
        assert_eq!(short_fiscal_year(1989), "H元年度");
    }

    #[test]
    fn dates_are_read_as_staff_type_them() {
        for (typed, iso) in [
            ("2017-04-01", "2017-04-01"),
            ("2017/4/1", "2017-04-01"),
            ("2017.4.1", "2017-04-01"),
            ("2017年4月1日", "2017-04-01"),
            ("２０１７年４月１日", "2017-04-01"),
            ("２０１７／０４／０１", "2017-04-01"),
            ("平成29年4月1日", "2017-04-01"),
            ("平成２９年４月１日", "2017-04-01"),
            (" 平成 29年 4月 1日 ", "2017-04-01"),
            ("H29.4.1", "2017-04-01"),
            ("h29/4/1", "2017-04-01"),
            ("Ｈ２９．４．１", "2017-04-01"),
            ("令和元年5月1日", "2019-05-01"),
            ("令和1年5月1日", "2019-05-01"),
            ("R1.5.1", "2019-05-01"),
            ("R8.11.2", "2026-11-02"),
            // Era boundaries.
            ("平成31年4月30日", "2019-04-30"),
            ("平成31年5月1日", "2019-05-01"),
            ("平成32年1月1日", "2020-01-01"),
            ("平成元年1月8日", "1989-01-08"),
            ("昭和64年1月7日", "1989-01-07"),
            ("S64.1.7", "1989-01-07"),
        ] {
            assert_eq!(parse_date(typed), Ok(d(iso)), "{typed}");
        }
    }

    #[test]
    fn wrong_dates_are_refused_in_japanese() {
        for (typed, err) in [
            ("2017-02-30", DateError::NoSuchDay),
            ("平成29年2月29日", DateError::NoSuchDay),
            ("令和元年4月30日", DateError::OutsideEra("令和")),
            ("R1.4.30", DateError::OutsideEra("令和")),
            ("平成元年1月7日", DateError::OutsideEra("平成")),
            ("昭和64年1月8日", DateError::OutsideEra("昭和")),
            ("昭和0年1月1日", DateError::OutsideEra("昭和")),
            ("来週", DateError::Unreadable),
            ("17-4-1", DateError::Unreadable),
            ("2017-4", DateError::Unreadable),
            ("2017-4/1", DateError::Unreadable),
            ("2017年4月1日です", DateError::Unreadable),
            ("元年4月1日", DateError::Unreadable),
            ("X29.4.1", DateError::Unreadable),
            ("", DateError::Unreadable),
        ] {
            assert_eq!(parse_date(typed), Err(err), "{typed}");
            let message = err.message(typed);
            assert!(message.contains(typed), "{message}");
            assert!(
                !message.contains("input") && !message.contains("premature"),
                "{message}"
            );
        }
    }
}
