//! Quantity rules: a whole number from 1 up to what is in stock.

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity must be a whole number of at least 1")]
    TooSmall,
    #[error("quantity cannot exceed {max} per order line")]
    TooLarge { max: i64 },
    #[error("only {available} in stock")]
    ShortStock { available: i64 },
}

pub const MAX_LINE_QUANTITY: i64 = 1000;

/// Checks a requested line quantity against the current stock.
pub fn check_quantity(requested: i64, stock: i64) -> Result<i64, QuantityError> {
    if requested < 1 {
        return Err(QuantityError::TooSmall);
    }
    if requested > MAX_LINE_QUANTITY {
        return Err(QuantityError::TooLarge { max: MAX_LINE_QUANTITY });
    }
    if requested > stock {
        return Err(QuantityError::ShortStock { available: stock.max(0) });
    }
    Ok(requested)
}

/// A quantity typed by a person: must parse as a whole number.
pub fn parse_quantity(text: &str) -> Result<i64, QuantityError> {
    text.trim().parse::<i64>().map_err(|_| QuantityError::TooSmall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_up_to_stock() {
        assert_eq!(check_quantity(1, 5), Ok(1));
        assert_eq!(check_quantity(5, 5), Ok(5));
    }

    #[test]
    fn refuses_zero_negative_and_more_than_stock() {
        assert_eq!(check_quantity(0, 5), Err(QuantityError::TooSmall));
        assert_eq!(check_quantity(-3, 5), Err(QuantityError::TooSmall));
        assert_eq!(check_quantity(6, 5), Err(QuantityError::ShortStock { available: 5 }));
        assert_eq!(check_quantity(1, 0), Err(QuantityError::ShortStock { available: 0 }));
        assert_eq!(check_quantity(1001, 5000), Err(QuantityError::TooLarge { max: 1000 }));
    }

    #[test]
    fn typed_quantities_must_be_whole_numbers() {
        assert_eq!(parse_quantity(" 3 "), Ok(3));
        assert_eq!(parse_quantity("2.5"), Err(QuantityError::TooSmall));
        assert_eq!(parse_quantity("abc"), Err(QuantityError::TooSmall));
    }
}
