use serde::{Deserialize, Serialize};

use crate::card::{Card, CardError};
use crate::orders::{OrderStatus, PaymentMethod};

/// What the customer submits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    pub payment_method: String,
    #[serde(default)]
    pub card_number: Option<String>,
    #[serde(default)]
    pub card_expiry: Option<String>,
    /// Store credit pays first; the card (or cash on delivery) pays the rest. An order the
    /// credit covers is paid at once: the card is not charged.
    #[serde(default)]
    pub use_store_credit: bool,
}

/// The answer to an accepted checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutReceipt {
    pub order_id: i64,
    pub status: OrderStatus,
}

/// A validated payment choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payment {
    Card(Card),
    Cash,
}

impl Payment {
    pub fn method(&self) -> PaymentMethod {
        match self {
            Payment::Card(_) => PaymentMethod::Card,
            Payment::Cash => PaymentMethod::Cash,
        }
    }

    /// What binds an idempotency key to its request: the method and, for cards, what may be
    /// stored of the card (brand, last four, expiry; never the number).
    pub fn fingerprint(&self) -> String {
        match self {
            Payment::Card(card) => {
                let summary = card.summary();
                format!("card:{}:{}:{:02}/{}", summary.brand, summary.last4, card.expiry_month, card.expiry_year)
            }
            Payment::Cash => "cash".to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentChoiceError {
    #[error("payment_method must be 'card' or 'cash'")]
    UnknownMethod,
    #[error("{0}")]
    Card(#[from] CardError),
}

/// Parses the payment part of a checkout request; `today` is (year, month) in UTC.
pub fn parse_payment(request: &CheckoutRequest, today: (i32, u32)) -> Result<Payment, PaymentChoiceError> {
    match PaymentMethod::parse(&request.payment_method) {
        Some(PaymentMethod::Cash) => Ok(Payment::Cash),
        Some(PaymentMethod::Card) => {
            let number = request.card_number.as_deref().unwrap_or("");
            let expiry = request.card_expiry.as_deref().unwrap_or("");
            Ok(Payment::Card(Card::parse(number, expiry, today)?))
        }
        None => Err(PaymentChoiceError::UnknownMethod),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, number: Option<&str>, expiry: Option<&str>) -> CheckoutRequest {
        CheckoutRequest {
            use_store_credit: false,
            payment_method: method.into(),
            card_number: number.map(Into::into),
            card_expiry: expiry.map(Into::into),
        }
    }

    #[test]
    fn cash_needs_no_card() {
        assert_eq!(parse_payment(&request("cash", None, None), (2026, 11)), Ok(Payment::Cash));
    }

    #[test]
    fn card_needs_a_valid_card() {
        let ok = parse_payment(&request("card", Some("4242424242424242"), Some("01/2031")), (2026, 11));
        assert!(matches!(ok, Ok(Payment::Card(_))));
        assert_eq!(
            parse_payment(&request("card", None, Some("01/2031")), (2026, 11)),
            Err(PaymentChoiceError::Card(CardError::MissingNumber))
        );
        assert_eq!(
            parse_payment(&request("card", Some("4242424242424242"), Some("01/2020")), (2026, 11)),
            Err(PaymentChoiceError::Card(CardError::Expired))
        );
    }

    #[test]
    fn the_fingerprint_tells_requests_apart_without_the_card_number() {
        let visa = parse_payment(&request("card", Some("4242 4242 4242 4242"), Some("01/2031")), (2026, 11));
        let fingerprint = visa.map(|p| p.fingerprint()).unwrap_or_default();
        assert_eq!(fingerprint, "card:Visa:4242:01/2031");
        let later = parse_payment(&request("card", Some("4242424242424242"), Some("02/2031")), (2026, 11));
        assert_ne!(later.map(|p| p.fingerprint()).unwrap_or_default(), fingerprint);
        assert_eq!(Payment::Cash.fingerprint(), "cash");
    }

    #[test]
    fn unknown_methods_are_refused() {
        assert_eq!(parse_payment(&request("bitcoin", None, None), (2026, 11)), Err(PaymentChoiceError::UnknownMethod));
    }
}
