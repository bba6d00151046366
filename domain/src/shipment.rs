//! A parcel's carrier and tracking number, as an admin ships an order or a customer ships a
//! return: both required, trimmed, at most 120 characters each.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    pub carrier: String,
    pub tracking: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("enter the {field} (at most 120 characters)")]
pub struct ShipmentError {
    pub field: &'static str,
}

impl Shipment {
    pub fn parse(carrier: &str, tracking: &str) -> Result<Self, ShipmentError> {
        Ok(Self { carrier: field("carrier", carrier)?, tracking: field("tracking number", tracking)? })
    }
}

fn field(name: &'static str, value: &str) -> Result<String, ShipmentError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 120 {
        return Err(ShipmentError { field: name });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_and_tracking_are_required_and_bounded() {
        assert_eq!(
            Shipment::parse(" DHL ", "JD0142"),
            Ok(Shipment { carrier: "DHL".into(), tracking: "JD0142".into() })
        );
        assert_eq!(Shipment::parse("", "JD0142"), Err(ShipmentError { field: "carrier" }));
        let long = "x".repeat(121);
        let refused = Shipment::parse("DHL", &long).expect_err("too long");
        assert_eq!(refused.to_string(), "enter the tracking number (at most 120 characters)");
    }
}
