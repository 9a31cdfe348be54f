//! Cron expressions as operators write them, translated for the `cron` crate.
//!
//! Job files keep the crate's six fields (seconds first, an optional year
//! seventh), but the weekday field means what it means in crontab: 0 and 7
//! are Sunday, 1 Monday … 6 Saturday, with ranges (`1-5`), lists, steps
//! (`*/2`) and the names SUN–SAT. The crate counts 1 = Sunday, so `1-5`
//! taken as is would run Sunday to Thursday; the field is rewritten into
//! weekday names, which both agree on.

/// Crate-side names, indexed by crontab number (0 = Sunday).
const NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Rewrites `expression` (six or seven fields, crontab weekdays) into what
/// the `cron` crate reads with the same meaning.
pub fn translate(expression: &str) -> Result<String, String> {
    let mut fields: Vec<&str> = expression.split_whitespace().collect();
    if !(6..=7).contains(&fields.len()) {
        return Err(format!(
            "{} field(s); six are needed, seconds first (\"0 0 9 * * 1-5\": 09:00 Monday to Friday)",
            fields.len()
        ));
    }
    let day_of_month = fields[3];
    let weekday = weekdays(fields[5])?;
    // crontab runs on either day field when both are set, the crate only
    // when both match: refusing the mix keeps either reading from surprising.
    if weekday != "*" && weekday != "?" && day_of_month != "*" && day_of_month != "?" {
        return Err(
            "set the day of the month or the weekday, not both (crontab and this service would read them differently)"
                .into(),
        );
    }
    fields[5] = &weekday;
    Ok(fields.join(" "))
}

/// The crate's form of a crontab weekday field: `*`, `?` or a list of names.
fn weekdays(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_string());
    }
    let mut days = [false; 7];
    for item in field.split(',') {
        for day in item_days(item).map_err(|e| format!("weekday {field:?}: {e}"))? {
            days[day % 7] = true;
        }
    }
    if days.iter().all(|d| *d) {
        return Ok("*".into());
    }
    let names: Vec<&str> = (0..7).filter(|d| days[*d]).map(|d| NAMES[d]).collect();
    Ok(names.join(","))
}

/// The crontab numbers (0–7) one list item covers.
fn item_days(item: &str) -> Result<Vec<usize>, String> {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => {
            let step: usize = s
                .parse()
                .ok()
                .filter(|s| (1..=7).contains(s))
                .ok_or_else(|| format!("step {s:?} is not a number from 1 to 7"))?;
            (r, Some(step))
        }
        None => (item, None),
    };
    let (first, last) = if range == "*" {
        (0, 6)
    } else if let Some((a, b)) = range.split_once('-') {
        let (a, b) = (day(a, false)?, day(b, true)?);
        if a > b {
            return Err(format!(
                "range {range:?} runs backwards; write it as two parts, e.g. \"5-6,0\""
            ));
        }
        (a, b)
    } else {
        let a = day(range, false)?;
        // A single day with a step runs from that day to Saturday, as in the crate.
        (a, if step.is_some() { 6.max(a) } else { a })
    };
    Ok((first..=last).step_by(step.unwrap_or(1)).collect())
}

/// One weekday, 0–7 or a name; SUN at the end of a range counts as 7 so
/// that `FRI-SUN` reads as crontab's `5-7`.
fn day(text: &str, range_end: bool) -> Result<usize, String> {
    if let Ok(n) = text.parse::<usize>() {
        return if n <= 7 {
            Ok(n)
        } else {
            Err(format!(
                "{n} is not a weekday (0 or 7 = Sunday, 1 = Monday … 6 = Saturday)"
            ))
        };
    }
    let lower = text.to_ascii_lowercase();
    let found = [
        ["sun", "sunday"],
        ["mon", "monday"],
        ["tue", "tuesday"],
        ["wed", "wednesday"],
        ["thu", "thursday"],
        ["fri", "friday"],
        ["sat", "saturday"],
    ]
    .iter()
    .position(|names| names.contains(&lower.as_str()))
    .ok_or_else(|| format!("{text:?} is not a weekday (SUN, MON … SAT or 0–7)"))?;
    Ok(if found == 0 && range_end { 7 } else { found })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(field: &str) -> String {
        translate(&format!("0 0 9 * * {field}"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn numbers_mean_what_they_mean_in_crontab() {
        assert_eq!(days("0"), "SUN");
        assert_eq!(days("7"), "SUN");
        assert_eq!(days("1"), "MON");
        assert_eq!(days("5"), "FRI");
        assert_eq!(days("6"), "SAT");
        assert_eq!(days("0,7"), "SUN");
    }

    #[test]
    fn ranges_lists_and_steps() {
        assert_eq!(days("1-5"), "MON,TUE,WED,THU,FRI");
        assert_eq!(days("5-7"), "SUN,FRI,SAT");
        assert_eq!(days("0-6"), "*");
        assert_eq!(days("*/2"), "SUN,TUE,THU,SAT");
        assert_eq!(days("1-5/2"), "MON,WED,FRI");
        assert_eq!(days("1/2"), "MON,WED,FRI");
        assert_eq!(days("1,3,5"), "MON,WED,FRI");
        assert_eq!(days("6,0"), "SUN,SAT");
        assert_eq!(days("*"), "*");
        assert_eq!(days("?"), "?");
    }

    #[test]
    fn names_in_any_case() {
        assert_eq!(days("MON-FRI"), "MON,TUE,WED,THU,FRI");
        assert_eq!(days("Mon-Fri"), "MON,TUE,WED,THU,FRI");
        assert_eq!(days("SUN"), "SUN");
        assert_eq!(days("sat,sun"), "SUN,SAT");
        assert_eq!(days("FRI-SUN"), "SUN,FRI,SAT");
        assert_eq!(days("Monday"), "MON");
    }

    #[test]
    fn the_other_fields_are_kept() {
        assert_eq!(
            translate("0 30 9,12 * 1-3 1-5 2027").unwrap(),
            "0 30 9,12 * 1-3 MON,TUE,WED,THU,FRI 2027"
        );
    }

    #[test]
    fn mistakes_are_refused_with_a_reason() {
        for (expr, words) in [
            ("0 9 * * 1-5", "six are needed"),
            ("0 0 9 * * 8", "not a weekday"),
            ("0 0 9 * * FRI-MON", "backwards"),
            ("0 0 9 * * 5-1", "backwards"),
            ("0 0 9 * * TURTLE", "not a weekday"),
            ("0 0 9 * * */0", "step"),
            ("0 0 9 1 * MON", "not both"),
        ] {
            let e = translate(expr).unwrap_err();
            assert!(e.contains(words), "{expr}: {e}");
        }
    }
}
