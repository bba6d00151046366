//! Card details as the checkout accepts them. Only the brand and last four digits are kept;
//! the full number goes to the payment provider and nowhere else.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card number is required")]
    MissingNumber,
    #[error("card number must be 12 to 19 digits")]
    BadLength,
    #[error("card number is not valid (check the digits)")]
    BadChecksum,
    #[error("expiry must be MM/YYYY")]
    BadExpiryFormat,
    #[error("card has expired")]
    Expired,
}

/// A card number that passed the Luhn check, with its expiry month.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    digits: String,
    pub expiry_month: u32,
    pub expiry_year: i32,
}

/// What is stored and shown: never the full number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Card(**** {})", self.last4())
    }
}

impl Card {
    /// Parses number and expiry; `today` is (year, month) in UTC.
    pub fn parse(number: &str, expiry: &str, today: (i32, u32)) -> Result<Card, CardError> {
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() {
            return Err(CardError::MissingNumber);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(12..=19).contains(&digits.len()) {
            return Err(CardError::BadLength);
        }
        if !luhn_valid(&digits) {
            return Err(CardError::BadChecksum);
        }
        let (month, year) = parse_expiry(expiry)?;
        if (year, month) < today {
            return Err(CardError::Expired);
        }
        Ok(Card { digits, expiry_month: month, expiry_year: year })
    }

    pub fn number(&self) -> &str {
        &self.digits
    }

    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    pub fn summary(&self) -> CardSummary {
        CardSummary { brand: brand_of(&self.digits).to_owned(), last4: self.last4().to_owned() }
    }
}

pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn parse_expiry(text: &str) -> Result<(u32, i32), CardError> {
    let (month, year) = text.trim().split_once('/').ok_or(CardError::BadExpiryFormat)?;
    if month.len() != 2 || year.len() != 4 {
        return Err(CardError::BadExpiryFormat);
    }
    let month: u32 = month.parse().map_err(|_| CardError::BadExpiryFormat)?;
    let year: i32 = year.parse().map_err(|_| CardError::BadExpiryFormat)?;
    if !(1..=12).contains(&month) {
        return Err(CardError::BadExpiryFormat);
    }
    Ok((month, year))
}

pub fn brand_of(digits: &str) -> &'static str {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "Visa",
        _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => "Mastercard",
        _ if matches!(prefix(2), 34 | 37) => "American Express",
        _ if prefix(4) == 6011 || prefix(2) == 65 => "Discover",
        _ => "Card",
    }
}

/// (year, month) of a Unix-milliseconds instant, UTC.
pub fn year_month_of(epoch_ms: i64) -> (i32, u32) {
    let c = crate::time::civil(epoch_ms);
    (c.year as i32, c.month)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_2026: (i32, u32) = (2026, 11);

    #[test]
    fn accepts_valid_numbers_with_spaces_or_dashes() {
        let card = Card::parse("4242 4242-4242 4242", "12/2030", NOV_2026).expect("valid");
        assert_eq!(card.summary(), CardSummary { brand: "Visa".into(), last4: "4242".into() });
        assert_eq!(format!("{card:?}"), "Card(**** 4242)");
    }

    #[test]
    fn refuses_bad_numbers() {
        assert_eq!(Card::parse("", "12/2030", NOV_2026), Err(CardError::MissingNumber));
        assert_eq!(Card::parse("4242", "12/2030", NOV_2026), Err(CardError::BadLength));
        assert_eq!(Card::parse("4242x24242424242", "12/2030", NOV_2026), Err(CardError::BadLength));
        assert_eq!(Card::parse("4242424242424241", "12/2030", NOV_2026), Err(CardError::BadChecksum));
    }

    #[test]
    fn expiry_is_mm_yyyy_and_not_in_the_past() {
        let number = "5555555555554444";
        assert!(Card::parse(number, "11/2026", NOV_2026).is_ok(), "the current month is still valid");
        assert_eq!(Card::parse(number, "10/2026", NOV_2026), Err(CardError::Expired));
        assert_eq!(Card::parse(number, "13/2030", NOV_2026), Err(CardError::BadExpiryFormat));
        assert_eq!(Card::parse(number, "1/2030", NOV_2026), Err(CardError::BadExpiryFormat));
        assert_eq!(Card::parse(number, "12/30", NOV_2026), Err(CardError::BadExpiryFormat));
    }

    #[test]
    fn brands_by_prefix() {
        assert_eq!(brand_of("5555555555554444"), "Mastercard");
        assert_eq!(brand_of("2223003122003222"), "Mastercard");
        assert_eq!(brand_of("378282246310005"), "American Express");
        assert_eq!(brand_of("6011111111111117"), "Discover");
        assert_eq!(brand_of("3056930009020004"), "Card");
    }

    #[test]
    fn year_month_from_epoch() {
        assert_eq!(year_month_of(0), (1970, 1));
        assert_eq!(year_month_of(1_795_305_600_000), (2026, 11)); // 2026-11-22
        assert_eq!(year_month_of(1_798_761_600_000), (2027, 1)); // 2027-01-01
    }
}
