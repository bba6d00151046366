//! The returns settings (`RETURN_WINDOW_DAYS`, `MAX_RETURN_ITEM_QUANTITY`, `RETURNS_*`): the
//! return policy with the original shop's defaults, and where photos are kept.

use std::path::PathBuf;
use std::time::Duration;

use app::returns::model::{Bonus, Reason, RefundTiming, ReturnPolicy, ShippingRefund};
use app::returns::service::ReturnsSettings;

use super::{err, parse, positive, rate, ConfigError};

pub const DEFAULT_UPLOAD_DIR: &str = "data/uploads/returns";

type Var<'a> = &'a dyn Fn(&'static str) -> Option<String>;

/// `poll_ms`, `backoff_base_ms` and `liveness_ms` are the payment worker's
/// (`PAYMENT_WORKER_POLL_MS`, `PAYMENT_JOB_BACKOFF_MS`, `INSTANCE_LIVENESS_MS`): the refund
/// queue runs at the same pace and takes over a dead server's refunds as soon as its jobs.
pub(super) fn from_lookup(
    var: &impl Fn(&'static str) -> Option<String>,
    poll_ms: u64,
    backoff_base_ms: u64,
    liveness_ms: i64,
) -> Result<ReturnsSettings, ConfigError> {
    let var: Var<'_> = var;
    let policy = ReturnPolicy {
        window_days: bounded(var, "RETURN_WINDOW_DAYS", "30", 1, 3650)?,
        max_item_quantity: bounded(var, "MAX_RETURN_ITEM_QUANTITY", "5", 1, 1000)?,
        max_photos: positive(&var, "RETURNS_MAX_PHOTOS", "20")?,
        max_photo_bytes: positive(&var, "RETURNS_MAX_PHOTO_BYTES", "10485760")?,
        photo_required_for: reasons(var, "RETURNS_PHOTO_REQUIRED_FOR", "damaged,wrong_item")?,
        restocking_fee_percent: bounded(var, "RETURNS_RESTOCKING_FEE_PERCENT", "10", 0, 100)?,
        shipping_refund: match var("RETURNS_SHIPPING_REFUND").as_deref() {
            None | Some("when_shops_fault") => ShippingRefund::WhenShopsFault,
            Some("never") => ShippingRefund::Never,
            Some(other) => {
                return Err(err("RETURNS_SHIPPING_REFUND", format!("'{other}' is not one of: never, when_shops_fault")))
            }
        },
        store_credit_bonus: Bonus {
            percent: bounded(var, "RETURNS_CREDIT_BONUS_PERCENT", "10", 0, 100)?,
            fixed_cents: bounded(var, "RETURNS_CREDIT_BONUS_FIXED_CENTS", "0", 0, i64::MAX)?,
            cap_cents: bounded(var, "RETURNS_CREDIT_BONUS_CAP_CENTS", "5000", 0, i64::MAX)?,
        },
        keep_it_max_unit_cents: bounded(var, "RETURNS_KEEP_IT_MAX_CENTS", "1000", 0, i64::MAX)?,
        review_after_returns: bounded(var, "RETURNS_REVIEW_AFTER_RETURNS", "5", 1, i64::MAX)?,
        review_above_returned_share: rate(&var, "RETURNS_REVIEW_RETURNED_SHARE", "0.5")?,
        refund_timing: match var("RETURNS_REFUND_TIMING").as_deref() {
            None | Some("on_receipt") => RefundTiming::OnReceipt,
            Some("in_transit") => RefundTiming::InTransit,
            Some(other) => {
                return Err(err("RETURNS_REFUND_TIMING", format!("'{other}' is not one of: on_receipt, in_transit")))
            }
        },
    };
    let upload_dir = PathBuf::from(var("RETURNS_UPLOAD_DIR").unwrap_or_else(|| DEFAULT_UPLOAD_DIR.to_owned()));
    Ok(ReturnsSettings {
        policy,
        upload_dir,
        refund_poll: Duration::from_millis(poll_ms),
        refund_backoff_base_ms: backoff_base_ms,
        instance_liveness_ms: liveness_ms,
        draft_photo_ttl_ms: bounded(var, "RETURNS_DRAFT_PHOTO_TTL_HOURS", "24", 1, 24 * 365)?.saturating_mul(3_600_000),
    })
}

fn bounded(var: Var<'_>, name: &'static str, default: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let value: i64 = parse(&var, name, default, "a whole number")?;
    if value < min || value > max {
        return Err(err(name, format!("must be from {min} to {max}")));
    }
    Ok(value)
}

/// A comma-separated list of reasons, or `none`.
fn reasons(var: Var<'_>, name: &'static str, default: &str) -> Result<Vec<Reason>, ConfigError> {
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    if raw.trim() == "none" {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            Reason::parse(r).ok_or_else(|| {
                let known: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
                err(name, format!("'{r}' is not one of: {}, or none", known.join(", ")))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&'static str, &str)]) -> Result<ReturnsSettings, ConfigError> {
        let map: HashMap<&str, String> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        from_lookup(&|name| map.get(name).cloned(), 250, 1000, 15_000)
    }

    #[test]
    fn defaults_are_the_original_shops() {
        let settings = read(&[]).expect("defaults");
        assert_eq!(settings.policy, ReturnPolicy::default());
        assert_eq!(settings.upload_dir, PathBuf::from("data/uploads/returns"));
        assert_eq!(settings.draft_photo_ttl_ms, 24 * 3_600_000, "drafts live a day");
        assert_eq!(read(&[("RETURNS_DRAFT_PHOTO_TTL_HOURS", "2")]).expect("valid").draft_photo_ttl_ms, 7_200_000);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let bad = read(&[("RETURNS_PHOTO_REQUIRED_FOR", "damaged,broken")]).expect_err("unknown reason");
        assert_eq!(bad.variable, "RETURNS_PHOTO_REQUIRED_FOR");
        assert_eq!(
            read(&[("RETURNS_RESTOCKING_FEE_PERCENT", "101")]).expect_err("over 100").variable,
            "RETURNS_RESTOCKING_FEE_PERCENT"
        );
        assert_eq!(read(&[("RETURNS_REFUND_TIMING", "soon")]).expect_err("unknown").variable, "RETURNS_REFUND_TIMING");
        let ttl = read(&[("RETURNS_DRAFT_PHOTO_TTL_HOURS", "0")]).expect_err("at least an hour");
        assert_eq!(ttl.variable, "RETURNS_DRAFT_PHOTO_TTL_HOURS");
        let none =
            read(&[("RETURNS_PHOTO_REQUIRED_FOR", "none"), ("RETURNS_REFUND_TIMING", "in_transit")]).expect("valid");
        assert!(none.policy.photo_required_for.is_empty());
        assert_eq!(none.policy.refund_timing, RefundTiming::InTransit);
    }
}
