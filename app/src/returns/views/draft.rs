//! The wizard's state: what the customer chose so far, the rules each step must pass (the
//! domain's, the same the server applies again), and its copy in `localStorage` so a reload or
//! a later visit resumes where the customer stopped.

use serde::{Deserialize, Serialize};

use crate::returns::model::{
    ItemRequest, NewReturn, Photo, Reason, RefundMethod, ReturnPolicy, ReturnableOrder, ReturnsConfig,
};
use domain::returns::policy::{LineFacts, OrderFacts};

pub const STEPS: [&str; 6] = ["Order", "Items", "Reason", "Photos", "Refund", "Review"];

/// What the wizard loads before its first step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WizardData {
    pub config: ReturnsConfig,
    pub orders: Vec<ReturnableOrder>,
}

/// A half-finished return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// 1 to 6.
    pub step: usize,
    pub order_id: Option<i64>,
    /// Units chosen per order line (0 = not returned).
    pub items: Vec<ItemRequest>,
    pub reason: Option<Reason>,
    pub details: String,
    /// Uploaded (draft) photos, attached on submit.
    pub photos: Vec<Photo>,
    pub method: Option<RefundMethod>,
    pub exchange_product_id: Option<i64>,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            step: 1,
            order_id: None,
            items: Vec::new(),
            reason: None,
            details: String::new(),
            photos: Vec::new(),
            method: None,
            exchange_product_id: None,
        }
    }
}

impl Draft {
    /// A fresh draft for `order_id`, at the items step.
    pub fn for_order(order_id: i64) -> Self {
        Self { step: 2, order_id: Some(order_id), ..Self::default() }
    }

    pub fn units(&self, order_line_id: i64) -> i64 {
        self.items.iter().find(|i| i.order_line_id == order_line_id).map(|i| i.quantity).unwrap_or(0)
    }

    pub fn set_units(&mut self, order_line_id: i64, quantity: i64) {
        self.items.retain(|i| i.order_line_id != order_line_id);
        if quantity != 0 {
            self.items.push(ItemRequest { order_line_id, quantity });
        }
    }

    /// The request as the server receives it (estimate and submit), once it has what it needs.
    pub fn request(&self) -> Option<NewReturn> {
        Some(NewReturn {
            order_id: self.order_id?,
            items: self.items.clone(),
            reason: self.reason?,
            details: self.details.clone(),
            method: self.method.unwrap_or(RefundMethod::OriginalPayment),
            photo_ids: self.photos.iter().map(|p| p.id.clone()).collect(),
            exchange_product_id: self.exchange_product_id.filter(|_| self.method == Some(RefundMethod::Exchange)),
        })
    }
}

impl WizardData {
    pub fn order(&self, id: Option<i64>) -> Option<&ReturnableOrder> {
        id.and_then(|id| self.orders.iter().find(|o| o.order_id == id))
    }
}

/// The order as the policy sees it (eligibility itself was decided by the server).
pub fn facts(order: &ReturnableOrder) -> OrderFacts {
    OrderFacts {
        paid: order.ineligible.is_none(),
        ordered_at_ms: order.created_at_ms,
        delivered_at_ms: order.delivered_at_ms,
        lines: order.lines.iter().map(line_facts).collect(),
    }
}

pub fn line_facts(line: &crate::returns::model::ReturnableLine) -> LineFacts {
    LineFacts {
        order_line_id: line.order_line_id,
        product_id: line.product_id,
        name: line.name.clone(),
        quantity: line.quantity,
        claimed: line.claimed,
    }
}

/// Why the customer cannot go past `step` yet, by the policy's rules; `None` when they can.
pub fn step_problem(step: usize, draft: &Draft, data: &WizardData) -> Option<String> {
    let policy: &ReturnPolicy = &data.config.policy;
    let order = data.order(draft.order_id);
    match step {
        1 => match order {
            None => Some("Choose the order to return items from.".to_owned()),
            Some(o) => o.ineligible.clone(),
        },
        2 => {
            let order = order?;
            let requested: Vec<(i64, i64)> = draft.items.iter().map(|i| (i.order_line_id, i.quantity)).collect();
            policy.check_items(&facts(order), &requested).err().map(|e| capitalize(&e.to_string()))
        }
        3 => match draft.reason {
            None => Some("Choose the reason for the return.".to_owned()),
            Some(_) => policy.check_details(&draft.details).err().map(|e| capitalize(&e.to_string())),
        },
        4 => {
            let reason = draft.reason?;
            policy.check_photos(reason, draft.photos.len()).err().map(|e| capitalize(&e.to_string()))
        }
        5 => match draft.method {
            None => Some("Choose how you want to be refunded.".to_owned()),
            Some(RefundMethod::Exchange) if draft.exchange_product_id.is_none() => {
                Some("Choose the product you want instead.".to_owned())
            }
            Some(_) => None,
        },
        _ => None,
    }
}

/// The first step whose rules the draft does not pass yet (so a restored draft never opens
/// past a step it no longer passes).
pub fn first_open_step(draft: &Draft, data: &WizardData) -> usize {
    (1..draft.step.clamp(1, STEPS.len())).find(|s| step_problem(*s, draft, data).is_some()).unwrap_or(draft.step)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The `localStorage` key of `user_id`'s draft.
pub fn storage_key(user_id: i64) -> String {
    format!("retail.return-draft.{user_id}")
}

#[cfg(feature = "hydrate")]
mod storage {
    use super::Draft;

    fn local() -> Option<web_sys::Storage> {
        leptos::prelude::window().local_storage().ok().flatten()
    }

    pub fn load(key: &str) -> Option<Draft> {
        let text = local()?.get_item(key).ok()??;
        serde_json::from_str(&text).ok()
    }

    pub fn save(key: &str, draft: &Draft) {
        if let (Some(store), Ok(text)) = (local(), serde_json::to_string(draft)) {
            if store.set_item(key, &text).is_err() {
                leptos::logging::warn!("the return draft could not be saved in this browser");
            }
        }
    }

    pub fn clear(key: &str) {
        if let Some(store) = local() {
            let _ = store.remove_item(key);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod storage {
    use super::Draft;

    pub fn load(_key: &str) -> Option<Draft> {
        None
    }

    pub fn save(_key: &str, _draft: &Draft) {}

    pub fn clear(_key: &str) {}
}

pub use storage::{clear, load, save};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::returns::model::ReturnableLine;

    fn data() -> WizardData {
        let line = ReturnableLine {
            order_line_id: 7,
            product_id: 1,
            name: "Lamp".to_owned(),
            quantity: 3,
            claimed: 1,
            returnable: 2,
            unit_paid_cents: 2_500,
        };
        let order = ReturnableOrder {
            order_id: 1,
            created_at_ms: 0,
            delivered_at_ms: None,
            total_cents: 7_500,
            ineligible: None,
            window_ends_at_ms: 0,
            lines: vec![line],
        };
        WizardData {
            config: ReturnsConfig { policy: ReturnPolicy::default(), upload_url: "/api/returns/photos".to_owned() },
            orders: vec![order],
        }
    }

    #[test]
    fn each_step_runs_the_policy() {
        let data = data();
        let mut d = Draft::for_order(1);
        assert_eq!(step_problem(1, &d, &data), None);
        assert_eq!(step_problem(2, &d, &data).as_deref(), Some("Choose at least one item to return"));
        d.set_units(7, 3);
        assert_eq!(step_problem(2, &d, &data).as_deref(), Some("Only 2 unit(s) of 'Lamp' can still be returned"));
        d.set_units(7, 2);
        assert_eq!(step_problem(2, &d, &data), None);
        d.reason = Some(Reason::Damaged);
        assert!(step_problem(4, &d, &data).is_some_and(|m| m.contains("photo")));
        d.reason = Some(Reason::NoLongerWanted);
        assert_eq!(step_problem(4, &d, &data), None);
        d.step = 6;
        assert_eq!(first_open_step(&d, &data), 5, "no refund method yet");
    }
}
