-- The card payment of an exchange's price difference (a replacement dearer than the refund),
-- at most one per return (app/src/returns/exchange_payments.rs owns it), known by its charge's
-- provider key. The row is written before the provider is called, so a charge whose answer was
-- lost is found again by its key and settled from the provider's record, never on a guess. The
-- card itself is not stored: only its brand and last four digits. `withdrawn`: no charge was
-- made and the return went (deleted, `return_id` NULL, or cancelled); a charge that turns out
-- to exist after all is paid back. `back_*` is the part paid back to the card (the return
-- rejected or cancelled, or the approved swap costing less), sent by the refund queue's rules:
-- its own key, retried while the provider is down, claimed by one server.
CREATE TABLE exchange_payments (
    charge_key TEXT PRIMARY KEY,
    return_id BIGINT UNIQUE REFERENCES returns (id) ON DELETE SET NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    -- The replacement's price when the customer paid: the swap is settled at this price.
    replacement_cents BIGINT NOT NULL CHECK (replacement_cents >= 0),
    card_brand TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('charging', 'charged', 'withdrawn')),
    charge_reference TEXT,
    back_cents BIGINT NOT NULL DEFAULT 0 CHECK (back_cents >= 0),
    back_key TEXT UNIQUE,
    back_status TEXT NOT NULL DEFAULT 'none' CHECK (back_status IN ('none', 'pending', 'paid', 'failed')),
    back_reference TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    owner TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    charged_at BIGINT
);
CREATE INDEX exchange_payments_due ON exchange_payments (next_attempt_at);
