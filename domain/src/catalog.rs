use serde::{Deserialize, Serialize};

/// A product as the storefront shows it. Money is integer cents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i64,
    /// Whole percent, 0..=100.
    pub discount_percent: i64,
    pub shipping_weight_grams: i64,
    pub country_of_origin: String,
    pub requires_shipping: bool,
    /// Withdrawn products stay in old orders but leave the storefront.
    pub active: bool,
}

/// The fields an admin sets when creating or editing a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDraft {
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    /// Only used on creation; later changes go through restocking.
    pub stock: i64,
    pub discount_percent: i64,
    pub shipping_weight_grams: i64,
    pub country_of_origin: String,
    pub requires_shipping: bool,
}

pub const MAX_PRICE_CENTS: i64 = 100_000_000;
pub const MAX_STOCK: i64 = 10_000_000;

impl ProductDraft {
    /// Trims the text fields and checks every field, naming the first one that is wrong.
    pub fn validated(mut self) -> Result<Self, String> {
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
        self.country_of_origin = self.country_of_origin.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 120 {
            return Err("name must be 1 to 120 characters".into());
        }
        if self.description.chars().count() > 2000 {
            return Err("description must be at most 2000 characters".into());
        }
        if !(0..=MAX_PRICE_CENTS).contains(&self.price_cents) {
            return Err("price must be from $0.00 to $1,000,000.00".into());
        }
        check_stock(self.stock)?;
        if !(0..=100).contains(&self.discount_percent) {
            return Err("discount must be from 0 to 100 percent".into());
        }
        if !(0..=1_000_000).contains(&self.shipping_weight_grams) {
            return Err("shipping weight must be from 0 to 1,000,000 grams".into());
        }
        if self.country_of_origin.chars().count() > 60 {
            return Err("country of origin must be at most 60 characters".into());
        }
        Ok(self)
    }
}

pub fn check_stock(stock: i64) -> Result<i64, String> {
    if (0..=MAX_STOCK).contains(&stock) {
        Ok(stock)
    } else {
        Err(format!("stock must be a whole number from 0 to {MAX_STOCK}"))
    }
}

/// How the stock badge reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockLevel {
    Plenty,
    Low,
    SoldOut,
}

impl Product {
    pub fn stock_level(&self) -> StockLevel {
        match self.stock {
            s if s > 10 => StockLevel::Plenty,
            s if s > 0 => StockLevel::Low,
            _ => StockLevel::SoldOut,
        }
    }

    /// Case-insensitive match on name or description, for the storefront filter.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim().to_lowercase();
        query.is_empty()
            || self.name.to_lowercase().contains(&query)
            || self.description.to_lowercase().contains(&query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(stock: i64) -> Product {
        Product {
            id: 1,
            name: "Mechanical Keyboard".into(),
            description: "Tactile switches".into(),
            price_cents: 7500,
            stock,
            discount_percent: 15,
            shipping_weight_grams: 800,
            country_of_origin: "China".into(),
            requires_shipping: true,
            active: true,
        }
    }

    fn draft() -> ProductDraft {
        ProductDraft {
            name: "  Desk Lamp ".into(),
            description: "Warm light".into(),
            price_cents: 3_999,
            stock: 12,
            discount_percent: 0,
            shipping_weight_grams: 900,
            country_of_origin: "Germany".into(),
            requires_shipping: true,
        }
    }

    #[test]
    fn drafts_are_trimmed_and_checked_field_by_field() {
        assert_eq!(draft().validated().map(|d| d.name), Ok("Desk Lamp".to_owned()));
        assert_eq!(
            ProductDraft { name: " ".into(), ..draft() }.validated(),
            Err("name must be 1 to 120 characters".into())
        );
        assert!(ProductDraft { price_cents: -1, ..draft() }.validated().is_err_and(|e| e.starts_with("price")));
        assert!(ProductDraft { stock: -5, ..draft() }.validated().is_err_and(|e| e.starts_with("stock")));
        assert!(ProductDraft { discount_percent: 101, ..draft() }
            .validated()
            .is_err_and(|e| e.starts_with("discount")));
        assert!(ProductDraft { shipping_weight_grams: -1, ..draft() }
            .validated()
            .is_err_and(|e| e.starts_with("shipping")));
    }

    #[test]
    fn stock_badge_thresholds() {
        assert_eq!(product(11).stock_level(), StockLevel::Plenty);
        assert_eq!(product(10).stock_level(), StockLevel::Low);
        assert_eq!(product(1).stock_level(), StockLevel::Low);
        assert_eq!(product(0).stock_level(), StockLevel::SoldOut);
    }

    #[test]
    fn filter_matches_name_or_description_ignoring_case() {
        let p = product(5);
        assert!(p.matches("keyboard"));
        assert!(p.matches("TACTILE"));
        assert!(p.matches("  "));
        assert!(!p.matches("mouse"));
    }
}
