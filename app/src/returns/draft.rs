//! The wizard's draft: what the customer chose so far and the rules each step must pass (the
//! domain's, the same the server applies again on submit). The draft is kept by the server (one
//! per customer, `drafts`), so a reload, a later visit or another device resumes it, and the
//! wizard works before the WebAssembly has loaded: each step is a plain form whose fields and
//! button (`StepForm`) move the draft on the server (`advance`); the hydrated wizard changes it
//! in the browser and saves it as it goes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::returns::model::{
    CardNumber, ItemRequest, NewReturn, Photo, Reason, RefundMethod, ReturnPolicy, ReturnableOrder, ReturnsConfig,
};
use domain::returns::policy::{LineFacts, OrderFacts};
use domain::returns::refund::{estimate, RefundEstimate, RefundLine};

pub const STEPS: [&str; 6] = ["Order", "Items", "Reason", "Photos", "Refund", "Review"];

/// What the wizard loads before its first step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WizardData {
    pub config: ReturnsConfig,
    pub orders: Vec<ReturnableOrder>,
    /// The server's clock when the page was made: the wizard checks each order's return window
    /// against it with the domain's rule (the server checks again, with its clock, on submit).
    pub now_ms: i64,
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
    /// Uploaded (draft) photos, attached on submit. The server fills them in from the
    /// customer's photos not yet attached to a return; a saved list is never trusted.
    pub photos: Vec<Photo>,
    pub method: Option<RefundMethod>,
    pub exchange_product_id: Option<i64>,
    /// Why the last step posted as a plain form could not be left (shown at that step).
    #[serde(default)]
    pub problem: Option<String>,
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
            problem: None,
        }
    }
}

impl Draft {
    /// A fresh draft for `order_id`, at the items step.
    pub fn for_order(order_id: i64) -> Self {
        Self { step: 2, order_id: Some(order_id), ..Self::default() }
    }

    /// The customer picked `order_id` at step 1: the items chosen for another order go, the
    /// photos (evidence the customer may still want) stay.
    pub fn choose_order(&mut self, order_id: i64) {
        if self.order_id != Some(order_id) {
            let photos = std::mem::take(&mut self.photos);
            *self = Self { step: self.step, photos, ..Self::for_order(order_id) };
        }
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
            card_number: None,
            card_expiry: None,
        })
    }
}

impl WizardData {
    pub fn order(&self, id: Option<i64>) -> Option<&ReturnableOrder> {
        id.and_then(|id| self.orders.iter().find(|o| o.order_id == id))
    }

    /// Why `order` cannot be returned, by the policy's rule (paid, in its window, units left).
    pub fn ineligible(&self, order: &ReturnableOrder) -> Option<String> {
        self.config.policy.eligibility(&facts(order), self.now_ms).err().map(|e| e.to_string())
    }
}

/// The refund `method` gives for the draft's items as they stand, by the domain's rule (the
/// server's, which decides again when the return is refunded); `None` before an order and a
/// reason are chosen.
pub fn refund_for(draft: &Draft, data: &WizardData, method: RefundMethod) -> Option<RefundEstimate> {
    let order = data.order(draft.order_id)?;
    let reason = draft.reason?;
    let lines: Vec<RefundLine> = order
        .lines
        .iter()
        .filter_map(|l| {
            let units = draft.units(l.order_line_id);
            (units > 0).then_some(RefundLine {
                unit_paid_cents: l.unit_paid_cents,
                line_quantity: l.quantity,
                line_shipping_cents: l.shipping_cents,
                line_duty_cents: l.duty_cents,
                units,
            })
        })
        .collect();
    let policy = &data.config.policy;
    Some(estimate(policy, reason, method, &lines, order.total_cents, order.refunded_before_cents))
}

/// The order as the policy sees it.
pub fn facts(order: &ReturnableOrder) -> OrderFacts {
    OrderFacts {
        paid: order.paid,
        ordered_at_ms: order.created_at_ms,
        delivered_at_ms: order.delivered_at_ms,
        lines: order.lines.iter().map(line_facts).collect(),
    }
}

fn line_facts(line: &crate::returns::model::ReturnableLine) -> LineFacts {
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
            Some(o) => data.ineligible(o),
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

/// `text` with its first letter in upper case (the domain's messages start in lower case).
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A resumed draft, as the wizard page loads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDraft {
    pub draft: Draft,
    /// The customer had started this return before (the page says so, with "Start over").
    pub resumed: bool,
}

/// Everything the wizard page needs, in one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WizardPage {
    pub data: WizardData,
    pub saved: SavedDraft,
}

/// The button of a step's plain form that was pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Go {
    Back,
    Next,
    /// A completed step of the progress indicator.
    To(usize),
    Submit,
}

impl Go {
    pub fn value(self) -> String {
        match self {
            Self::Back => "back".to_owned(),
            Self::Next => "next".to_owned(),
            Self::To(step) => step.to_string(),
            Self::Submit => "submit".to_owned(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "back" => Some(Self::Back),
            "next" => Some(Self::Next),
            "submit" => Some(Self::Submit),
            other => other.parse().ok().filter(|n| (1..=STEPS.len()).contains(n)).map(Self::To),
        }
    }
}

/// A step posted as a plain form (JavaScript off, or the WASM not loaded yet): the step shown,
/// the button pressed and that step's fields, as the browser sends them (text, so a value that
/// is not a number gets the step's message rather than an unreadable request).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepForm {
    pub step: usize,
    pub go: String,
    pub order: Option<String>,
    /// Units per order line (`units[<line id>]`).
    #[serde(default)]
    pub units: BTreeMap<String, String>,
    pub reason: Option<String>,
    pub details: Option<String>,
    pub method: Option<String>,
    pub exchange_product: Option<String>,
    /// Step 6: the card for an exchange's price difference, sent with the request on submit and
    /// never kept in the draft.
    pub card_number: Option<CardNumber>,
    pub card_expiry: Option<String>,
}

/// Where a posted step leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Advance {
    /// Show the wizard again (at the draft's step, with its problem if there is one).
    Stay,
    /// Every step passes: submit the draft's request.
    Submit(NewReturn),
}

/// Applies a posted step to `draft`: the fields of the step the customer saw (only those), then
/// the button. A step that does not pass keeps the customer's entries and says why in
/// `draft.problem`, as the browser's wizard does; nothing but the draft changes here.
pub fn advance(draft: &mut Draft, form: &StepForm, data: &WizardData) -> Advance {
    draft.problem = None;
    if form.step != draft.step {
        // A form from an older copy of the page: show the draft as it is now.
        return Advance::Stay;
    }
    if let Err(problem) = apply_fields(draft, form, data) {
        draft.problem = Some(problem);
        return Advance::Stay;
    }
    let last = STEPS.len();
    match Go::parse(&form.go) {
        Some(Go::Back) => draft.step = draft.step.saturating_sub(1).max(1),
        Some(Go::To(step)) if step < draft.step => draft.step = step,
        Some(Go::Next) if draft.step < last => match step_problem(draft.step, draft, data) {
            None => draft.step += 1,
            Some(problem) => draft.problem = Some(problem),
        },
        Some(Go::Submit) if draft.step == last => {
            match (1..last).find_map(|s| step_problem(s, draft, data).map(|p| (s, p))) {
                Some((step, problem)) => {
                    draft.step = step;
                    draft.problem = Some(problem);
                }
                None => {
                    let Some(mut request) = draft.request() else { return Advance::Stay };
                    request.card_number = form.card_number.clone();
                    request.card_expiry = form.card_expiry.clone();
                    return Advance::Submit(request);
                }
            }
        }
        _ => {}
    }
    Advance::Stay
}

fn apply_fields(draft: &mut Draft, form: &StepForm, data: &WizardData) -> Result<(), String> {
    match form.step {
        1 => {
            if let Some(order) = form.order.as_deref() {
                let id =
                    order.trim().parse::<i64>().map_err(|_| "Choose the order to return items from.".to_owned())?;
                draft.choose_order(id);
            }
        }
        2 => {
            let lines = data.order(draft.order_id).map(|o| o.lines.clone()).unwrap_or_default();
            for line in lines {
                let Some(text) = form.units.get(&line.order_line_id.to_string()) else { continue };
                let units = match text.trim() {
                    "" => 0,
                    text => text
                        .parse::<i64>()
                        .map_err(|_| format!("Enter a whole number of units for '{}'.", line.name))?,
                };
                draft.set_units(line.order_line_id, units);
            }
        }
        3 => {
            if let Some(reason) = form.reason.as_deref() {
                draft.reason =
                    Some(Reason::parse(reason).ok_or_else(|| "Choose the reason for the return.".to_owned())?);
            }
            if let Some(details) = &form.details {
                draft.details = details.clone();
            }
        }
        5 => {
            if let Some(method) = form.method.as_deref() {
                draft.method =
                    Some(RefundMethod::parse(method).ok_or_else(|| "Choose how you want to be refunded.".to_owned())?);
            }
            if let Some(product) = form.exchange_product.as_deref() {
                draft.exchange_product_id = product.trim().parse::<i64>().ok();
            }
        }
        _ => {}
    }
    Ok(())
}

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
            shipping_cents: 0,
            duty_cents: 0,
        };
        let order = ReturnableOrder {
            order_id: 1,
            created_at_ms: 0,
            delivered_at_ms: None,
            total_cents: 7_500,
            refunded_before_cents: 0,
            paid: true,
            ineligible: None,
            window_ends_at_ms: 0,
            lines: vec![line],
        };
        WizardData {
            config: ReturnsConfig { policy: ReturnPolicy::default(), upload_url: "/api/returns/photos".to_owned() },
            orders: vec![order],
            now_ms: 1_000,
        }
    }

    #[test]
    fn the_refund_is_worked_out_in_the_wizard_by_the_domains_rule() {
        let mut data = data();
        let mut d = Draft::for_order(1);
        assert_eq!(refund_for(&d, &data, RefundMethod::StoreCredit), None, "no reason yet");
        d.reason = Some(Reason::NoLongerWanted);
        d.set_units(7, 2);
        // Two lamps at $25.00, less the 10 % restocking fee; store credit adds a 10 % bonus.
        let back = refund_for(&d, &data, RefundMethod::OriginalPayment).map(|e| e.total_cents);
        assert_eq!(back, Some(4_500));
        assert_eq!(refund_for(&d, &data, RefundMethod::StoreCredit).map(|e| e.total_cents), Some(4_950));
        // Never more than what was paid minus earlier refunds.
        data.orders[0].refunded_before_cents = 7_000;
        assert_eq!(refund_for(&d, &data, RefundMethod::OriginalPayment).map(|e| e.refund_cents), Some(500));
    }

    #[test]
    fn the_order_step_runs_the_window_and_payment_rules_with_the_pages_clock() {
        let mut data = data();
        let d = Draft::for_order(1);
        assert_eq!(step_problem(1, &d, &data), None);
        data.now_ms = 31 * domain::returns::policy::DAY_MS;
        assert_eq!(step_problem(1, &d, &data).as_deref(), Some("the 30-day return window for this order has passed"));
        data.now_ms = 1_000;
        data.orders[0].paid = false;
        assert_eq!(step_problem(1, &d, &data).as_deref(), Some("this order is not paid yet, so it cannot be returned"));
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

    fn posted(step: usize, go: &str) -> StepForm {
        StepForm { step, go: go.to_owned(), ..StepForm::default() }
    }

    #[test]
    fn a_posted_step_applies_only_its_fields_and_moves_only_when_it_passes() {
        let data = data();
        let mut d = Draft::default();
        let order = StepForm { order: Some("1".to_owned()), reason: Some("damaged".to_owned()), ..posted(1, "next") };
        assert_eq!(advance(&mut d, &order, &data), Advance::Stay);
        assert_eq!((d.step, d.order_id, d.reason), (2, Some(1), None), "step 1's field only");

        let mut too_many = posted(2, "next");
        too_many.units.insert("7".to_owned(), "3".to_owned());
        advance(&mut d, &too_many, &data);
        assert_eq!(d.step, 2);
        assert_eq!(d.problem.as_deref(), Some("Only 2 unit(s) of 'Lamp' can still be returned"));
        assert_eq!(d.units(7), 3, "what the customer typed is kept");

        let mut unreadable = posted(2, "next");
        unreadable.units.insert("7".to_owned(), "two".to_owned());
        advance(&mut d, &unreadable, &data);
        assert_eq!(d.problem.as_deref(), Some("Enter a whole number of units for 'Lamp'."));

        let mut fine = posted(2, "next");
        fine.units.insert("7".to_owned(), "2".to_owned());
        advance(&mut d, &fine, &data);
        assert_eq!((d.step, d.problem.clone()), (3, None));

        assert_eq!(advance(&mut d, &posted(2, "next"), &data), Advance::Stay, "a stale page's form");
        assert_eq!(d.step, 3);
        advance(&mut d, &posted(3, "1"), &data);
        assert_eq!(d.step, 1, "back to a completed step");
        advance(&mut d, &posted(1, "5"), &data);
        assert_eq!(d.step, 1, "never forward past the steps in between");
    }

    #[test]
    fn submit_returns_the_request_or_goes_to_the_first_step_that_fails() {
        let data = data();
        let mut d = Draft { step: 6, reason: Some(Reason::NoLongerWanted), ..Draft::for_order(1) };
        d.set_units(7, 1);
        assert_eq!(advance(&mut d, &posted(6, "submit"), &data), Advance::Stay);
        assert_eq!((d.step, d.problem.as_deref()), (5, Some("Choose how you want to be refunded.")));
        d.step = 6;
        d.method = Some(RefundMethod::StoreCredit);
        match advance(&mut d, &posted(6, "submit"), &data) {
            Advance::Submit(request) => assert_eq!((request.order_id, request.items.len()), (1, 1)),
            Advance::Stay => panic!("every step passes: {:?}", d.problem),
        }
        assert_eq!(Go::parse("7"), None);
        assert_eq!(Go::parse(" next "), Some(Go::Next));
    }
}
