//! Cart operations, for the signed-in customer whose cart it is (`Customer`). Every answer is
//! the whole priced cart, so the panel can redraw in place. Products come from the catalogue;
//! flash-sale counts from `flash_sales`.

use super::model::{build_cart, build_line, Cart, LineFacts};
use super::pricing::PricingInput;
use super::quantity::{check_quantity, QuantityError};
use super::store;
use crate::accounts::guard::Customer;
use crate::catalog;
use crate::flash_sales;
use crate::platform::{now_ms, AppError, AppState};

/// The cart of `user_id` priced at `now_ms` with current stock, discounts and running flash
/// sales (checkout prices the cart it orders with this).
pub async fn priced(state: &AppState, user_id: i64, now_ms: i64) -> Result<Cart, AppError> {
    let rows = store::lines(&state.db, user_id).await?;
    if rows.is_empty() {
        return Ok(Cart::default());
    }
    // Which sales run comes from a cache; their unit counts are read live.
    let mut sales = flash_sales::service::running(state, now_ms).await?;
    sales.retain(|product_id, _| rows.iter().any(|r| r.product.id == *product_id));
    let sale_ids: Vec<i64> = sales.values().map(|s| s.id).collect();
    let counts = flash_sales::store::live_counts(&state.db, user_id, &sale_ids).await?;
    let mut bought = std::collections::HashMap::new();
    for sale in sales.values_mut() {
        if let Some((sold, mine)) = counts.get(&sale.id) {
            sale.units_sold = *sold;
            bought.insert(sale.id, *mine);
        }
    }
    let lines = rows
        .iter()
        .map(|row| {
            let p = &row.product;
            build_line(LineFacts {
                product_id: p.id,
                name: p.name.clone(),
                quantity: row.quantity,
                stock: p.stock,
                active: p.active,
                pricing: PricingInput {
                    price_cents: p.price_cents,
                    discount_percent: p.discount_percent,
                    shipping_weight_grams: p.shipping_weight_grams,
                    requires_shipping: p.requires_shipping,
                    country_of_origin: &p.country_of_origin,
                },
                sale: sales.get(&p.id).map(|s| (s, bought.get(&s.id).copied().unwrap_or(0))),
            })
        })
        .collect();
    Ok(build_cart(lines))
}

/// The customer's cart as it is priced now.
pub async fn current(state: &AppState, customer: &Customer) -> Result<Cart, AppError> {
    priced(state, customer.id(), now_ms()).await
}

fn quantity_error(err: QuantityError, product: &catalog::Product) -> AppError {
    match err {
        QuantityError::ShortStock { available } => AppError::ShortStock {
            message: format!("only {available} of '{}' in stock", product.name),
            product_id: product.id,
            available,
        },
        other => AppError::Invalid(other.to_string()),
    }
}

/// The product (if on sale) and how many of it are already in the customer's cart.
async fn active_product(state: &AppState, user_id: i64, product_id: i64) -> Result<(catalog::Product, i64), AppError> {
    match store::product_with_cart_quantity(&state.db, user_id, product_id).await? {
        Some((p, in_cart)) if p.active => Ok((p, in_cart)),
        _ => Err(catalog::service::not_found(product_id)),
    }
}

/// Adds `quantity` to the line; the line's new total must stay within stock.
pub async fn add(state: &AppState, customer: &Customer, product_id: i64, quantity: i64) -> Result<Cart, AppError> {
    let user_id = customer.id();
    if quantity < 1 {
        return Err(AppError::Invalid(QuantityError::TooSmall.to_string()));
    }
    let (product, in_cart) = active_product(state, user_id, product_id).await?;
    // Checked: a huge request must be a clear "too large", never an overflow.
    let requested = in_cart.checked_add(quantity).unwrap_or(i64::MAX);
    let wanted = check_quantity(requested, product.stock).map_err(|e| match e {
        // Say how many more can be added, not the raw stock.
        QuantityError::ShortStock { available } if in_cart > 0 => AppError::ShortStock {
            message: format!("only {available} of '{}' in stock and {in_cart} already in your cart", product.name),
            product_id,
            available,
        },
        other => quantity_error(other, &product),
    })?;
    store::upsert(&state.db, user_id, product_id, wanted, now_ms()).await?;
    current(state, customer).await
}

/// Sets the line to exactly `quantity` (1..=stock).
pub async fn set_quantity(
    state: &AppState,
    customer: &Customer,
    product_id: i64,
    quantity: i64,
) -> Result<Cart, AppError> {
    let user_id = customer.id();
    let (product, in_cart) = active_product(state, user_id, product_id).await?;
    if in_cart == 0 {
        return Err(AppError::NotFound(format!("'{}' is not in your cart", product.name)));
    }
    let quantity = check_quantity(quantity, product.stock).map_err(|e| quantity_error(e, &product))?;
    store::upsert(&state.db, user_id, product_id, quantity, now_ms()).await?;
    current(state, customer).await
}

/// Removes the line (nothing happens if it is not in the cart).
pub async fn remove(state: &AppState, customer: &Customer, product_id: i64) -> Result<Cart, AppError> {
    store::remove(&state.db, customer.id(), product_id).await?;
    current(state, customer).await
}
