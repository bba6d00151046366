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
        }
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
