//! The life of a return (RMA), as one transition table.
//!
//! ```text
//! requested ──authorize──▶ authorized ──ship──▶ in_transit ──receive──▶ received ──inspect──▶ inspected
//!     │  ▲ (auto when the      │  │                  │                                        │   │
//!     │  │  abuse limits pass) │  └─keep it─┐        └─refund early─┐                  approve│   │reject
//!     │reject               reject          ▼                       ▼                         ▼   ▼
//!     ▼                        ▼         approved ◀─────────────────┘◀──────────────────── approved rejected
//!  rejected                 rejected        │ start refund                                      │
//!                                           ▼                                                   close
//!                                    refund_pending ──(retry)──▶ refund_pending ──paid──▶ refunded ──close──▶ closed
//! ```
//!
//! - The customer may cancel until the parcel is received (requested, authorized, in_transit).
//! - A requested exchange whose price difference was never charged (the provider has no charge
//!   for it) is cancelled by the shop: `payment_failed`.
//! - "Keep it" returns are approved straight from authorized: nothing is shipped back.
//! - With early refunds (customers under the abuse limits, when the shop's timing setting says
//!   so) a return in transit is approved for its requested units; the parcel is still received
//!   and inspected afterwards, from `refunded`, to decide what happens to the stock.
//! - Everything else is refused with a message; the server applies a transition only if the
//!   status is still the one it was computed from, so two admins cannot both apply one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Requested,
    Authorized,
    Rejected,
    InTransit,
    Received,
    Inspected,
    Approved,
    RefundPending,
    Refunded,
    Closed,
    Cancelled,
}

/// Who asks for a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Admin,
    /// The shop itself: automatic authorization, refunds, their retries.
    System,
}

/// What is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Authorize,
    Reject,
    Cancel,
    /// The customer entered carrier and tracking.
    Ship,
    Receive,
    Inspect,
    Approve,
    /// Approve a "keep it" return without shipping.
    KeepIt,
    /// Approve a return in transit early (refund timing rule).
    RefundEarly,
    StartRefund,
    RefundFailed,
    RefundPaid,
    Close,
    /// The shop cancels a requested exchange whose price difference was never charged.
    PaymentFailed,
}

/// Facts about a return that some transitions depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The return was refunded before its parcel was received.
    pub refunded_early: bool,
    /// The parcel was received (and inspected) — needed to close an early-refunded return.
    pub inspected: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this return is {} and cannot be {}", .from.label().to_lowercase(), .action.past_tense())]
    NotAllowed { from: ReturnStatus, action: Action },
    #[error("only {} can {} a return", .allowed.as_str(), .action.verb())]
    WrongActor { action: Action, allowed: Actor },
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 11] = [
        Self::Requested,
        Self::Authorized,
        Self::Rejected,
        Self::InTransit,
        Self::Received,
        Self::Inspected,
        Self::Approved,
        Self::RefundPending,
        Self::Refunded,
        Self::Closed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Authorized => "authorized",
            Self::Rejected => "rejected",
            Self::InTransit => "in_transit",
            Self::Received => "received",
            Self::Inspected => "inspected",
            Self::Approved => "approved",
            Self::RefundPending => "refund_pending",
            Self::Refunded => "refunded",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Authorized => "Authorized",
            Self::Rejected => "Rejected",
            Self::InTransit => "In transit",
            Self::Received => "Received",
            Self::Inspected => "Inspected",
            Self::Approved => "Approved",
            Self::RefundPending => "Refund pending",
            Self::Refunded => "Refunded",
            Self::Closed => "Closed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Units in a return with this status still count against what may be returned.
    pub fn claims_units(self) -> bool {
        !matches!(self, Self::Rejected | Self::Cancelled)
    }

    /// Nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Closed | Self::Cancelled)
    }
}

impl Action {
    /// Who may ask for it.
    pub fn actor(self) -> Actor {
        match self {
            Self::Cancel | Self::Ship => Actor::Customer,
            Self::Authorize | Self::Reject | Self::Receive | Self::Inspect | Self::Approve | Self::Close => {
                Actor::Admin
            }
            Self::KeepIt
            | Self::RefundEarly
            | Self::StartRefund
            | Self::RefundFailed
            | Self::RefundPaid
            | Self::PaymentFailed => Actor::System,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Reject => "reject",
            Self::Cancel | Self::PaymentFailed => "cancel",
            Self::Ship => "enter the shipment of",
            Self::Receive => "receive",
            Self::Inspect => "inspect",
            Self::Approve | Self::KeepIt | Self::RefundEarly => "approve",
            Self::StartRefund | Self::RefundFailed | Self::RefundPaid => "refund",
            Self::Close => "close",
        }
    }

    fn past_tense(self) -> &'static str {
        match self {
            Self::Authorize => "authorized",
            Self::Reject => "rejected",
            Self::Cancel | Self::PaymentFailed => "cancelled",
            Self::Ship => "shipped",
            Self::Receive => "received",
            Self::Inspect => "inspected",
            Self::Approve | Self::KeepIt | Self::RefundEarly => "approved",
            Self::StartRefund | Self::RefundFailed | Self::RefundPaid => "refunded",
            Self::Close => "closed",
        }
    }
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "the customer",
            Self::Admin => "an administrator",
            Self::System => "the shop",
        }
    }
}

/// The table: where `action` leads from `from`, or `None` when it is not allowed there.
pub fn next(from: ReturnStatus, action: Action, ctx: Context) -> Option<ReturnStatus> {
    use Action as A;
    use ReturnStatus as S;
    match (from, action) {
        (S::Requested, A::Authorize) => Some(S::Authorized),
        (S::Requested | S::Authorized, A::Reject) => Some(S::Rejected),
        (S::Requested | S::Authorized | S::InTransit, A::Cancel) => Some(S::Cancelled),
        (S::Requested, A::PaymentFailed) => Some(S::Cancelled),
        (S::Authorized, A::Ship) => Some(S::InTransit),
        (S::Authorized, A::KeepIt) => Some(S::Approved),
        (S::InTransit, A::RefundEarly) => Some(S::Approved),
        (S::InTransit, A::Receive) => Some(S::Received),
        (S::Refunded, A::Receive) if ctx.refunded_early && !ctx.inspected => Some(S::Received),
        (S::Received, A::Inspect) => Some(S::Inspected),
        (S::Inspected, A::Approve) => Some(S::Approved),
        (S::Inspected, A::Reject) => Some(S::Rejected),
        (S::Inspected, A::Close) if ctx.refunded_early => Some(S::Closed),
        (S::Approved, A::StartRefund) => Some(S::RefundPending),
        (S::RefundPending, A::RefundFailed) => Some(S::RefundPending),
        (S::RefundPending, A::RefundPaid) => Some(S::Refunded),
        (S::Refunded, A::Close) if !ctx.refunded_early || ctx.inspected => Some(S::Closed),
        _ => None,
    }
}

/// Checks who asks and where the action leads.
pub fn transition(
    from: ReturnStatus,
    action: Action,
    by: Actor,
    ctx: Context,
) -> Result<ReturnStatus, TransitionError> {
    let allowed = action.actor();
    // The shop may authorize automatically (no abuse limit hit) and close after an automatic
    // refund, as an administrator would.
    let automatic = matches!(action, Action::Authorize | Action::Close);
    let actor_ok = by == allowed || (by == Actor::System && allowed == Actor::Admin && automatic);
    if !actor_ok {
        return Err(TransitionError::WrongActor { action, allowed });
    }
    next(from, action, ctx).ok_or(TransitionError::NotAllowed { from, action })
}

/// The actions `actor` may take now: exactly the buttons a screen shows.
pub fn available(from: ReturnStatus, by: Actor, ctx: Context) -> Vec<Action> {
    const ALL: [Action; 14] = [
        Action::Authorize,
        Action::Reject,
        Action::Cancel,
        Action::Ship,
        Action::Receive,
        Action::Inspect,
        Action::Approve,
        Action::KeepIt,
        Action::RefundEarly,
        Action::StartRefund,
        Action::RefundFailed,
        Action::RefundPaid,
        Action::Close,
        Action::PaymentFailed,
    ];
    ALL.into_iter().filter(|a| a.actor() == by && next(from, *a, ctx).is_some()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use ReturnStatus as S;

    const PLAIN: Context = Context { refunded_early: false, inspected: false };

    #[test]
    fn the_whole_table() {
        // Every (status, action) pair: the allowed ones lead where the lifecycle says; the rest
        // are refused.
        let allowed = [
            (S::Requested, A::Authorize, S::Authorized),
            (S::Requested, A::Reject, S::Rejected),
            (S::Requested, A::Cancel, S::Cancelled),
            (S::Requested, A::PaymentFailed, S::Cancelled),
            (S::Authorized, A::Reject, S::Rejected),
            (S::Authorized, A::Cancel, S::Cancelled),
            (S::Authorized, A::Ship, S::InTransit),
            (S::Authorized, A::KeepIt, S::Approved),
            (S::InTransit, A::Cancel, S::Cancelled),
            (S::InTransit, A::RefundEarly, S::Approved),
            (S::InTransit, A::Receive, S::Received),
            (S::Received, A::Inspect, S::Inspected),
            (S::Inspected, A::Approve, S::Approved),
            (S::Inspected, A::Reject, S::Rejected),
            (S::Approved, A::StartRefund, S::RefundPending),
            (S::RefundPending, A::RefundFailed, S::RefundPending),
            (S::RefundPending, A::RefundPaid, S::Refunded),
            (S::Refunded, A::Close, S::Closed),
        ];
        for from in S::ALL {
            for action in [
                A::Authorize,
                A::Reject,
                A::Cancel,
                A::Ship,
                A::Receive,
                A::Inspect,
                A::Approve,
                A::KeepIt,
                A::RefundEarly,
                A::StartRefund,
                A::RefundFailed,
                A::RefundPaid,
                A::Close,
                A::PaymentFailed,
            ] {
                let expected = allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|(_, _, to)| *to);
                assert_eq!(next(from, action, PLAIN), expected, "{from:?} --{action:?}-->");
            }
        }
    }

    #[test]
    fn the_customer_cannot_cancel_once_the_parcel_is_received() {
        for from in [S::Received, S::Inspected, S::Approved, S::RefundPending, S::Refunded, S::Closed] {
            assert_eq!(
                transition(from, A::Cancel, Actor::Customer, PLAIN),
                Err(TransitionError::NotAllowed { from, action: A::Cancel })
            );
        }
        assert_eq!(transition(S::InTransit, A::Cancel, Actor::Customer, PLAIN), Ok(S::Cancelled));
    }

    #[test]
    fn each_action_has_its_actor() {
        assert_eq!(
            transition(S::Requested, A::Authorize, Actor::Customer, PLAIN),
            Err(TransitionError::WrongActor { action: A::Authorize, allowed: Actor::Admin })
        );
        assert_eq!(
            transition(S::Authorized, A::Ship, Actor::Admin, PLAIN),
            Err(TransitionError::WrongActor { action: A::Ship, allowed: Actor::Customer })
        );
        assert_eq!(transition(S::Refunded, A::Close, Actor::System, PLAIN), Ok(S::Closed));
        assert_eq!(transition(S::Requested, A::Authorize, Actor::System, PLAIN), Ok(S::Authorized), "automatic");
        assert_eq!(
            transition(S::Received, A::Inspect, Actor::System, PLAIN),
            Err(TransitionError::WrongActor { action: A::Inspect, allowed: Actor::Admin })
        );
    }

    #[test]
    fn an_early_refund_is_received_and_inspected_before_it_closes() {
        let early = Context { refunded_early: true, inspected: false };
        assert_eq!(next(S::Refunded, A::Close, early), None, "the parcel has not arrived yet");
        assert_eq!(next(S::Refunded, A::Receive, early), Some(S::Received));
        assert_eq!(next(S::Inspected, A::Close, early), Some(S::Closed));
        assert_eq!(
            next(S::Inspected, A::Approve, early),
            Some(S::Approved),
            "the table allows it; the service refunds nothing twice"
        );
        assert_eq!(next(S::Refunded, A::Receive, PLAIN), None);
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let refused = transition(S::Closed, A::Reject, Actor::Admin, PLAIN).expect_err("closed is final");
        assert_eq!(refused.to_string(), "this return is closed and cannot be rejected");
        let wrong = transition(S::Authorized, A::Ship, Actor::Admin, PLAIN).expect_err("customer's step");
        assert_eq!(wrong.to_string(), "only the customer can enter the shipment of a return");
    }

    #[test]
    fn screens_show_exactly_the_valid_actions() {
        assert_eq!(available(S::Requested, Actor::Admin, PLAIN), vec![A::Authorize, A::Reject]);
        assert_eq!(available(S::Authorized, Actor::Customer, PLAIN), vec![A::Cancel, A::Ship]);
        assert_eq!(available(S::Received, Actor::Admin, PLAIN), vec![A::Inspect]);
        assert_eq!(available(S::Received, Actor::Customer, PLAIN), Vec::<Action>::new());
        assert!(S::Cancelled.is_final() && !S::Cancelled.claims_units() && S::Requested.claims_units());
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("pending"), None);
    }
}
