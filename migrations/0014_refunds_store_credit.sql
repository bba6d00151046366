-- One refund per return, and the durable refund queue: a row whose next_attempt_at is set is
-- due then. `provider_key` is the Idempotency-Key the provider knows the refund by, so however
-- often it is sent the refund is paid once. `owner` is the instance running it while claimed.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    return_id BIGINT NOT NULL UNIQUE REFERENCES returns (id),
    order_id BIGINT NOT NULL REFERENCES orders (id),
    payout TEXT NOT NULL CHECK (payout IN ('card', 'store_credit', 'manual', 'exchange')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    credit_cents BIGINT NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
    bonus_cents BIGINT NOT NULL DEFAULT 0 CHECK (bonus_cents >= 0),
    charge_reference TEXT,
    provider_key TEXT UNIQUE,
    reference TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    owner TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX refunds_due ON refunds (next_attempt_at);
CREATE INDEX refunds_order ON refunds (order_id);

-- Store credit: the balance (never below zero, changed with a conditional update) and the
-- ledger of signed entries, each with its reason and what it belongs to. A return's credit and
-- an order's debit are written at most once.
CREATE TABLE store_credit_accounts (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    balance_cents BIGINT NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
    updated_at BIGINT NOT NULL
);

CREATE TABLE store_credit_entries (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents <> 0),
    reason TEXT NOT NULL CHECK (reason IN ('refund', 'bonus', 'exchange_difference', 'checkout', 'checkout_reversed')),
    return_id BIGINT REFERENCES returns (id),
    order_id BIGINT REFERENCES orders (id),
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX store_credit_entries_user ON store_credit_entries (user_id, id);
CREATE UNIQUE INDEX store_credit_once_per_return ON store_credit_entries (return_id, reason) WHERE return_id IS NOT NULL;
CREATE UNIQUE INDEX store_credit_once_per_order ON store_credit_entries (order_id, reason) WHERE order_id IS NOT NULL;
