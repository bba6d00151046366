-- One payment record per order: only the card's brand and last four digits are stored.
CREATE TABLE payments (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    method TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    amount_cents BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'declined', 'due_on_delivery')),
    card_brand TEXT,
    card_last4 TEXT,
    provider_reference TEXT,
    updated_at BIGINT NOT NULL
);

-- Durable payment retries: a row per card order whose charge has not settled yet. A worker
-- picks up rows whose next_attempt_at has passed. Every card checkout writes one as a safety
-- net, so an order interrupted by a crash is still settled. `owner` is the server instance that
-- holds the card details in memory (they are never written to the database).
CREATE TABLE payment_jobs (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX payment_jobs_due ON payment_jobs (next_attempt_at);

-- A replayed checkout (same Idempotency-Key from the same customer) gets the first answer.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status_code BIGINT NOT NULL DEFAULT 0,
    response TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
