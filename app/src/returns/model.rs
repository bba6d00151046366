//! What the returns screens show and send: compiled for the server and the browser alike. The
//! rules themselves are `domain::returns`; these are the shapes that travel.

use serde::{Deserialize, Serialize};

pub use domain::returns::credit::{CreditAccount, CreditEntry, CreditReason, PaymentSplit};
pub use domain::returns::inspection::{Condition, Disposition};
pub use domain::returns::photo::ImageKind;
pub use domain::returns::policy::{Bonus, Ineligible, Reason, RefundTiming, ReturnPolicy, ShippingRefund};
pub use domain::returns::refund::{ExchangeBalance, RefundEstimate, RefundMethod};
pub use domain::returns::status::{Action, Actor, ReturnStatus};

/// Wizard step 1: an order the customer placed, returnable or not (then with the reason).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnableOrder {
    pub order_id: i64,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    pub total_cents: i64,
    /// What earlier returns refunded (the refund never exceeds what was paid minus this).
    #[serde(default)]
    pub refunded_before_cents: i64,
    pub paid: bool,
    /// `None` when the order can be returned; otherwise why not, in the customer's words.
    pub ineligible: Option<String>,
    /// When the return window closes (from delivery, else from the order date).
    pub window_ends_at_ms: i64,
    pub lines: Vec<ReturnableLine>,
}

/// Wizard step 2: a line of the order and how many of its units one new return may take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnableLine {
    pub order_line_id: i64,
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    /// Units in other returns that are not rejected or cancelled.
    pub claimed: i64,
    /// What a new return may take: min(bought − claimed, the policy's maximum).
    pub returnable: i64,
    pub unit_paid_cents: i64,
    /// The line's shipping and duty (refunded in part when the shop is at fault, by policy).
    #[serde(default)]
    pub shipping_cents: i64,
    #[serde(default)]
    pub duty_cents: i64,
}

/// One line of a new return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRequest {
    pub order_line_id: i64,
    pub quantity: i64,
}

/// What the wizard submits (step 6), and what the estimate (step 5) is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReturn {
    pub order_id: i64,
    pub items: Vec<ItemRequest>,
    pub reason: Reason,
    #[serde(default)]
    pub details: String,
    pub method: RefundMethod,
    /// Draft photos uploaded in step 4 (`POST /api/returns/photos`), attached on submit.
    #[serde(default)]
    pub photo_ids: Vec<String>,
    /// For `method: exchange`: the product wanted instead.
    #[serde(default)]
    pub exchange_product_id: Option<i64>,
    /// For an exchange dearer than the refund: the card that pays the difference now (required
    /// when the store credit does not cover it). Sent to the payment provider, never stored.
    #[serde(default)]
    pub card_number: Option<CardNumber>,
    #[serde(default)]
    pub card_expiry: Option<String>,
}

/// A card number as the customer typed it: it goes to the payment provider and nowhere else,
/// so it is never printed (`Debug` shows a placeholder) or stored.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardNumber(pub String);

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardNumber(…)")
    }
}

impl CardNumber {
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

/// Wizard step 5: the refund for each method, explained, and whether the items may be kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnEstimate {
    pub original_payment: RefundEstimate,
    pub store_credit: RefundEstimate,
    /// With the chosen replacement's price, when one was named.
    pub exchange: Option<ExchangeQuote>,
    /// The items may be kept (returnless refund): nothing to ship back.
    pub keep_it: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeQuote {
    pub product_id: i64,
    pub name: String,
    pub price_cents: i64,
    pub in_stock: bool,
    pub balance: ExchangeBalance,
    /// The customer's store credit: a difference it covers needs no card.
    #[serde(default)]
    pub store_credit_cents: i64,
}

/// A product an exchange may be made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeOption {
    pub product_id: i64,
    pub name: String,
    pub price_cents: i64,
    pub stock: i64,
}

/// A return in a list (the customer's own, or the admin queue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnSummary {
    pub id: i64,
    pub rma_number: Option<String>,
    pub order_id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub status: ReturnStatus,
    pub reason: Reason,
    pub method: RefundMethod,
    pub units: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Admin queue only: why it waits for a person (abuse limits).
    pub review_reason: Option<String>,
}

/// The return's page (customer) and detail view (admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnDetail {
    pub summary: ReturnSummary,
    pub details: String,
    /// How to send the parcel, once authorized.
    pub instructions: Option<String>,
    /// Shown to the customer when rejected.
    pub rejection_reason: Option<String>,
    pub keep_it: bool,
    pub items: Vec<ReturnItem>,
    pub photos: Vec<Photo>,
    pub shipment: Option<Shipment>,
    pub refund: Option<Refund>,
    pub exchange: Option<Exchange>,
    /// The refund as it stands (approved units once approved, requested units before).
    pub estimate: RefundEstimate,
    pub timeline: Vec<ReturnEvent>,
    /// Exactly the actions the viewer may take now.
    pub actions: Vec<Action>,
    pub order: OrderBrief,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderBrief {
    pub id: i64,
    pub payment_method: String,
    pub total_cents: i64,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnItem {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub unit_paid_cents: i64,
    pub condition: Option<Condition>,
    pub disposition: Option<Disposition>,
    pub approved_quantity: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub id: String,
    /// Served only to the owner and admins: `/api/returns/photos/{id}`.
    pub url: String,
    pub kind: ImageKind,
    pub bytes: i64,
    pub uploaded_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking: String,
    pub shipped_at_ms: i64,
    pub received_at_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Queued or being retried (the provider is down, or a manual payout awaits its reference).
    Pending,
    Paid,
    /// The provider refused it for good; an admin may retry.
    Failed,
}

impl RefundState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Paid, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// How a refund is paid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payout {
    /// Through the payment provider, referencing the original charge.
    Card,
    /// Store credit (ledger entries).
    StoreCredit,
    /// Paid by the shop outside the system (cash, bank transfer), with a reference.
    Manual,
    /// The replacement of an exchange.
    Exchange,
}

impl Payout {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::StoreCredit => "store_credit",
            Self::Manual => "manual",
            Self::Exchange => "exchange",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Card, Self::StoreCredit, Self::Manual, Self::Exchange].into_iter().find(|p| p.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: i64,
    pub payout: Payout,
    pub state: RefundState,
    /// Paid to the card or manually.
    pub amount_cents: i64,
    /// Paid as store credit (including the bonus).
    pub credit_cents: i64,
    pub bonus_cents: i64,
    /// Why it is still pending or failed (e.g. "payment provider answered 503").
    pub last_error: String,
    pub attempts: i64,
    pub reference: Option<String>,
    pub created_at_ms: i64,
    pub paid_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub product_id: i64,
    pub name: String,
    pub price_cents: i64,
    /// The replacement's stock is held for this return.
    pub reserved: bool,
    /// The replacement sold out before it could be reserved: the customer chooses another.
    pub alternatives: Vec<ExchangeOption>,
    /// The price difference the customer paid by card, and what of it went back.
    #[serde(default)]
    pub card_payment: Option<DifferencePayment>,
}

/// A card payment of an exchange's price difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifferencePayment {
    pub amount_cents: i64,
    /// Brand and last four digits, e.g. "Visa •••• 4242".
    pub card: String,
    /// False while the shop is still confirming the charge with the provider.
    pub charged: bool,
    pub charge_reference: Option<String>,
    /// Paid back to the card (the return rejected or cancelled, or the swap costing less).
    pub back_cents: i64,
    pub back_state: Option<RefundState>,
    pub back_reference: Option<String>,
    /// Why the payment back is still pending or failed.
    pub last_error: String,
}

/// One step of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnEvent {
    pub from: Option<ReturnStatus>,
    pub to: ReturnStatus,
    pub actor: Actor,
    pub actor_id: Option<i64>,
    /// Who it was, for admins (the customer sees the role only).
    #[serde(default)]
    pub actor_name: Option<String>,
    pub note: String,
    pub at_ms: i64,
}

/// The admin queue's filters (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    pub status: Option<ReturnStatus>,
    pub reason: Option<Reason>,
    /// Only returns created at least this many days ago.
    pub min_age_days: Option<i64>,
    /// Only returns waiting for manual review.
    #[serde(default)]
    pub review_only: bool,
}

/// Inspection result of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectedItem {
    pub item_id: i64,
    pub condition: Condition,
    pub disposition: Disposition,
}

/// Units of one item approved for refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedItem {
    pub item_id: i64,
    pub quantity: i64,
}

/// What an admin does to a return; each asks for what it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AdminCommand {
    Authorize {
        #[serde(default)]
        note: String,
    },
    Reject {
        reason: String,
    },
    Receive {
        #[serde(default)]
        note: String,
    },
    Inspect {
        items: Vec<InspectedItem>,
        #[serde(default)]
        note: String,
    },
    Approve {
        items: Vec<ApprovedItem>,
        #[serde(default)]
        note: String,
    },
    /// Starts the refund of an approved return; `reference` is required for manual payouts
    /// (cash orders refunded to the original payment).
    Refund {
        #[serde(default)]
        reference: Option<String>,
    },
    /// A pending or failed refund is tried again now.
    RetryRefund,
    /// A card refund the payment provider refused for good, paid by the shop another way (a bank
    /// transfer, cash) with the payout's reference.
    PaidByHand {
        #[serde(default)]
        reference: String,
    },
    Close {
        #[serde(default)]
        note: String,
    },
}

/// An admin action as a plain HTML form posts it (URL-encoded, `form[…]` fields): which
/// action, and the fields that action needs. Items are `form[items][i][item_id]` with the
/// item's `condition` and `disposition` (inspect) or `quantity` (approve).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminActionForm {
    pub action: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub items: Vec<AdminFormItem>,
}

/// One item row of the inspect or approve form; fields arrive as the browser typed them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFormItem {
    pub item_id: i64,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub disposition: Option<String>,
    #[serde(default)]
    pub quantity: Option<String>,
}

impl AdminFormItem {
    fn inspected(&self) -> Result<InspectedItem, String> {
        let field = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
        let condition = Condition::parse(&field(&self.condition))
            .ok_or_else(|| format!("choose the condition of item {}", self.item_id))?;
        let disposition = Disposition::parse(&field(&self.disposition))
            .ok_or_else(|| format!("choose what happens to item {}", self.item_id))?;
        Ok(InspectedItem { item_id: self.item_id, condition, disposition })
    }

    fn approved(&self) -> Result<ApprovedItem, String> {
        let text = self.quantity.as_deref().unwrap_or("").trim();
        let quantity = text
            .parse::<i64>()
            .map_err(|_| format!("the approved units of item {} must be a whole number, not '{text}'", self.item_id))?;
        Ok(ApprovedItem { item_id: self.item_id, quantity })
    }
}

impl AdminActionForm {
    /// The command the form asks for; a clear message when a field cannot be read.
    pub fn command(self) -> Result<AdminCommand, String> {
        let note = self.note;
        Ok(match self.action.as_str() {
            "authorize" => AdminCommand::Authorize { note },
            "reject" => AdminCommand::Reject { reason: self.reason },
            "receive" => AdminCommand::Receive { note },
            "inspect" => AdminCommand::Inspect {
                items: self.items.iter().map(AdminFormItem::inspected).collect::<Result<_, _>>()?,
                note,
            },
            "approve" => AdminCommand::Approve {
                items: self.items.iter().map(AdminFormItem::approved).collect::<Result<_, _>>()?,
                note,
            },
            "refund" => {
                let reference = Some(self.reference.trim().to_owned()).filter(|r| !r.is_empty());
                AdminCommand::Refund { reference }
            }
            "retry_refund" => AdminCommand::RetryRefund,
            "paid_by_hand" => AdminCommand::PaidByHand { reference: self.reference },
            "close" => AdminCommand::Close { note },
            other => return Err(format!("'{other}' is not an action on a return")),
        })
    }
}

/// Upload limits the photo step shows and checks before sending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnsConfig {
    pub policy: ReturnPolicy,
    /// `POST` a multipart form with one file field `photo` here (draft, before submitting).
    pub upload_url: String,
}

/// Where the wizard's photo step posts as a plain form (no JavaScript): multipart, like uploads.
pub const PHOTO_FORM_URL: &str = "/returns/new/photos";

/// The URL a photo is served at.
pub fn photo_url(id: &str) -> String {
    format!("/api/returns/photos/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, condition: &str, disposition: &str, quantity: &str) -> AdminFormItem {
        let some = |v: &str| Some(v.to_owned());
        AdminFormItem {
            item_id: id,
            condition: some(condition),
            disposition: some(disposition),
            quantity: some(quantity),
        }
    }

    #[test]
    fn a_posted_form_becomes_the_command_it_names() {
        let form =
            |action: &str| AdminActionForm { action: action.to_owned(), note: "n".to_owned(), ..Default::default() };
        assert_eq!(form("authorize").command(), Ok(AdminCommand::Authorize { note: "n".to_owned() }));
        assert_eq!(form("retry_refund").command(), Ok(AdminCommand::RetryRefund));
        assert_eq!(form("refund").command(), Ok(AdminCommand::Refund { reference: None }));
        let by_hand = AdminActionForm { reference: "TRF-9".to_owned(), ..form("paid_by_hand") };
        assert_eq!(by_hand.command(), Ok(AdminCommand::PaidByHand { reference: "TRF-9".to_owned() }));
        let inspect = AdminActionForm { items: vec![item(3, "damaged", "scrap", "")], ..form("inspect") };
        let expected = InspectedItem { item_id: 3, condition: Condition::Damaged, disposition: Disposition::Scrap };
        assert_eq!(inspect.command(), Ok(AdminCommand::Inspect { items: vec![expected], note: "n".to_owned() }));
        let approve = AdminActionForm { items: vec![item(3, "", "", " 2 ")], ..form("approve") };
        let expected = ApprovedItem { item_id: 3, quantity: 2 };
        assert_eq!(approve.command(), Ok(AdminCommand::Approve { items: vec![expected], note: "n".to_owned() }));
    }

    #[test]
    fn an_unreadable_form_is_refused_with_the_reason() {
        let form = |action: &str, items| AdminActionForm { action: action.to_owned(), items, ..Default::default() };
        assert!(form("explode", vec![]).command().unwrap_err().contains("not an action"));
        assert!(form("approve", vec![item(4, "", "", "two")]).command().unwrap_err().contains("whole number"));
        assert!(form("inspect", vec![item(4, "shiny", "restock", "")]).command().unwrap_err().contains("condition"));
    }
}
