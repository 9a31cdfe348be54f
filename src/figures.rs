//! Figures people compare with the city's Excel sheet: every percentage,
//! ratio and rate a page, chart or CSV prints is computed here from the
//! exact integers and rounded as Excel's `ROUND` does (half away from zero,
//! 四捨五入), never with a float's round-half-to-even formatting: 3 of 24 is
//! 13 %, not 12 %; 73/20 is 3.7倍, not 3.6倍.

/// `numerator / denominator × scale`, rounded half up to `digits` decimal
/// places, as text with exactly `digits` decimals (`"12.5"`, `"13"`).
/// `None` when `denominator` is 0 (nothing to divide by). Counts are never
/// negative here; a negative quotient rounds half away from zero, as
/// Excel's `ROUND` does.
pub fn rounded(numerator: i64, denominator: i64, scale: i64, digits: u32) -> Option<String> {
    if denominator == 0 {
        return None;
    }
    let negative = (numerator < 0) != (denominator < 0) && numerator != 0;
    let (n, d) = (
        i128::from(numerator).abs() * i128::from(scale),
        i128::from(denominator).abs(),
    );
    let unit = 10i128.pow(digits);
    // floor((n × unit) / d + 1/2) = floor((2 n unit + d) / 2d): exact.
    let q = (2 * n * unit + d) / (2 * d);
    let (whole, frac) = (q / unit, q % unit);
    let sign = if negative && q != 0 { "-" } else { "" };
    Some(if digits == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = digits as usize)
    })
}

/// A share in whole percent: `3` of `24` → `"13"` (Excel:
/// `=ROUND(3/24*100, 0)`). `None` when `total` is 0.
pub fn percent(count: i64, total: i64) -> Option<String> {
    rounded(count, total, 100, 0)
}

/// A share in percent with one decimal: `3` of `24` → `"12.5"`.
pub fn percent_1(count: i64, total: i64) -> Option<String> {
    rounded(count, total, 100, 1)
}

/// A ratio with one decimal and 倍: `73` over `20` → `"3.7倍"`.
pub fn times(a: i64, b: i64) -> Option<String> {
    rounded(a, b, 1, 1).map(|r| format!("{r}倍"))
}

/// A rate in whole cases per month: `63` over `6` months → `"11件/月"`.
pub fn per_month(cases: i64, months: i64) -> Option<String> {
    rounded(cases, months, 1, 0).map(|r| format!("{r}件/月"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_round_half_up_as_excel_does() {
        assert_eq!(percent(3, 24).as_deref(), Some("13"));
        assert_eq!(percent(15, 24).as_deref(), Some("63"));
        assert_eq!(percent(1, 8).as_deref(), Some("13"));
        assert_eq!(percent(1, 3).as_deref(), Some("33"));
        assert_eq!(percent(2, 3).as_deref(), Some("67"));
        assert_eq!(times(73, 20).as_deref(), Some("3.7倍"));
        assert_eq!(times(1167, 285).as_deref(), Some("4.1倍"));
        assert_eq!(times(1100, 305).as_deref(), Some("3.6倍"));
        assert_eq!(per_month(63, 6).as_deref(), Some("11件/月"));
        assert_eq!(per_month(21, 2).as_deref(), Some("11件/月"));
        assert_eq!(percent_1(3, 24).as_deref(), Some("12.5"));
        assert_eq!(percent_1(1, 16).as_deref(), Some("6.3"));
    }

    #[test]
    fn edges() {
        assert_eq!(percent(0, 24).as_deref(), Some("0"));
        assert_eq!(percent(24, 24).as_deref(), Some("100"));
        assert_eq!(percent(1, 0), None);
        assert_eq!(times(5, 0), None);
        assert_eq!(rounded(-3, 24, 100, 0).as_deref(), Some("-13"));
        assert_eq!(rounded(-1, 1000, 1, 0).as_deref(), Some("0"));
        assert_eq!(rounded(1, 20, 1, 2).as_deref(), Some("0.05"));
        assert_eq!(percent(i64::MAX, i64::MAX).as_deref(), Some("100"));
    }

    #[test]
    fn agrees_with_exact_decimal_rounding_over_small_fractions() {
        // Against the decimal expansion by long division (no floats).
        for d in 1..=60i64 {
            for n in 0..=3 * d {
                // Tenths, up by one when the next digit is 5 or more.
                let expected = n * 10 / d + i64::from((n * 100 / d) % 10 >= 5);
                let got = rounded(n, d, 1, 1).unwrap();
                let want = format!("{}.{}", expected / 10, expected % 10);
                assert_eq!(got, want, "{n}/{d}");
            }
        }
    }
}
