//! The admin product form as it is posted: every number arrives as typed text and is parsed
//! here, so each mistake gets its own message.

use serde::{Deserialize, Serialize};

use super::model::{Product, ProductDraft};
use domain::money::parse_cents;

/// A whole number typed into a form field named `field` in messages.
pub fn whole_number(field: &str, text: &str) -> Result<i64, String> {
    text.trim().parse::<i64>().map_err(|_| format!("{field} must be a whole number"))
}

/// The fields of the create/edit form (`form[name]`, … in the posted body). `id` is set when
/// editing; `requires_shipping` is a checkbox, present only when ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    pub id: Option<i64>,
    pub name: String,
    pub description: String,
    pub price: String,
    pub stock: String,
    pub discount_percent: String,
    pub shipping_weight_grams: String,
    pub country_of_origin: String,
    pub requires_shipping: Option<String>,
}

impl ProductForm {
    /// The empty form for a new product (it ships by default).
    pub fn blank() -> Self {
        ProductForm {
            stock: "0".into(),
            discount_percent: "0".into(),
            shipping_weight_grams: "0".into(),
            requires_shipping: Some("on".into()),
            ..ProductForm::default()
        }
    }

    /// The form filled in with `product`, for editing it (the price as `12.50`).
    pub fn editing(product: &Product) -> Self {
        ProductForm {
            id: Some(product.id),
            name: product.name.clone(),
            description: product.description.clone(),
            price: format!("{}.{:02}", product.price_cents / 100, product.price_cents % 100),
            stock: "0".into(),
            discount_percent: product.discount_percent.to_string(),
            shipping_weight_grams: product.shipping_weight_grams.to_string(),
            country_of_origin: product.country_of_origin.clone(),
            requires_shipping: product.requires_shipping.then(|| "on".into()),
        }
    }

    /// The draft the form describes (not yet validated). Stock is only read when creating: an
    /// edit keeps the stock, which changes through restocking.
    pub fn draft(self) -> Result<ProductDraft, String> {
        Ok(ProductDraft {
            price_cents: parse_cents(&self.price).map_err(|e| format!("price: {e}"))?,
            stock: if self.id.is_some() { 0 } else { whole_number("stock", &self.stock)? },
            discount_percent: whole_number("discount", &self.discount_percent)?,
            shipping_weight_grams: whole_number("shipping weight", &self.shipping_weight_grams)?,
            requires_shipping: self.requires_shipping.is_some(),
            name: self.name,
            description: self.description,
            country_of_origin: self.country_of_origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProductForm {
        ProductForm {
            name: "Lamp".into(),
            price: "$12.50".into(),
            stock: "3".into(),
            discount_percent: "0".into(),
            shipping_weight_grams: "900".into(),
            requires_shipping: Some("on".into()),
            ..ProductForm::default()
        }
    }

    #[test]
    fn a_new_product_reads_every_field() {
        let draft = form().draft().map(|d| (d.price_cents, d.stock, d.requires_shipping));
        assert_eq!(draft, Ok((1_250, 3, true)));
    }

    #[test]
    fn an_edit_ignores_the_stock_field() {
        let draft = ProductForm { id: Some(4), stock: "not read".into(), ..form() }.draft();
        assert_eq!(draft.map(|d| d.stock), Ok(0));
    }

    #[test]
    fn an_edit_form_round_trips_the_product() {
        let product = Product {
            id: 4,
            name: "Lamp".into(),
            description: String::new(),
            price_cents: 1_205,
            stock: 9,
            discount_percent: 5,
            shipping_weight_grams: 900,
            country_of_origin: "Germany".into(),
            requires_shipping: false,
            active: true,
        };
        let form = ProductForm::editing(&product);
        assert_eq!(form.price, "12.05");
        let draft = form.draft().map(|d| (d.price_cents, d.discount_percent, d.requires_shipping));
        assert_eq!(draft, Ok((1_205, 5, false)));
    }

    #[test]
    fn each_mistake_names_its_field() {
        assert_eq!(whole_number("discount", " 2.5"), Err("discount must be a whole number".into()));
        assert!(ProductForm { price: "abc".into(), ..form() }.draft().is_err_and(|e| e.starts_with("price: ")));
        assert_eq!(
            ProductForm { shipping_weight_grams: "".into(), ..form() }.draft().map(|d| d.name),
            Err("shipping weight must be a whole number".into())
        );
    }
}
