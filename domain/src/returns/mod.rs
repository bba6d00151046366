//! Returns and refunds: the lifecycle, the policy, the refund arithmetic, and the checks on
//! evidence photos. The server decides with these rules; the wizard in the browser runs the
//! same ones as the customer goes.

pub mod credit;
pub mod inspection;
pub mod photo;
pub mod policy;
pub mod refund;
pub mod status;

pub use inspection::{Condition, Disposition};
pub use policy::{Reason, ReturnPolicy};
pub use refund::{RefundEstimate, RefundMethod};
pub use status::{Action, Actor, ReturnStatus};

/// The RMA number of return `id` authorized at `authorized_at_ms`: `RMA-YYYYMMDD-NNNNN`
/// (UTC date, the id zero-padded to five digits; longer ids keep all their digits).
pub fn rma_number(authorized_at_ms: i64, id: i64) -> String {
    let c = crate::time::civil(authorized_at_ms);
    format!("RMA-{:04}{:02}{:02}-{:05}", c.year, c.month, c.day, id)
}

#[cfg(test)]
mod tests {
    use super::rma_number;

    #[test]
    fn rma_numbers_carry_the_date_and_the_padded_id() {
        assert_eq!(rma_number(1_795_305_600_000, 1), "RMA-20261122-00001");
        assert_eq!(rma_number(1_795_305_600_000, 123_456), "RMA-20261122-123456");
    }
}
