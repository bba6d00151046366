//! Formatting integer cents for people. Arithmetic on money stays in `i64` cents.

/// `123456` -> `"$1,234.56"`, `-50` -> `"-$0.50"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", grouped(abs / 100), abs % 100)
}

/// `1234567` -> `"1,234,567"`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Parses a price typed by a person (`"12"`, `"12.5"`, `"$1,234.56"`) into cents.
pub fn parse_cents(text: &str) -> Result<i64, String> {
    let cleaned: String = text.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let bad = || format!("'{}' is not an amount like 12.34", text.trim());
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || whole.len() > 12 {
        return Err(bad());
    }
    if fraction.len() > 2 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    Ok(whole * 100 + cents)
}

#[cfg(test)]
mod tests {
    use super::{format_cents, parse_cents};

    #[test]
    fn parses_typed_amounts() {
        assert_eq!(parse_cents("12"), Ok(1_200));
        assert_eq!(parse_cents("12.5"), Ok(1_250));
        assert_eq!(parse_cents(" $1,234.56 "), Ok(123_456));
        assert_eq!(parse_cents("0.07"), Ok(7));
        for bad in ["", "-3", "1.234", "abc", "1.2.3", ".5"] {
            assert!(parse_cents(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_with_grouping_and_two_decimals() {
        assert_eq!(format_cents(0), "$0.00");
        assert_eq!(format_cents(5), "$0.05");
        assert_eq!(format_cents(2500), "$25.00");
        assert_eq!(format_cents(120_000), "$1,200.00");
        assert_eq!(format_cents(123_456_789), "$1,234,567.89");
        assert_eq!(format_cents(-50), "-$0.50");
    }
}
