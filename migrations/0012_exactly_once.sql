-- Exactly-once checkout. An idempotency key is bound to the request that first used it (its
-- fingerprint) and to the order that request made, and it expires.
ALTER TABLE idempotency_keys ADD COLUMN request_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN order_id BIGINT;
ALTER TABLE idempotency_keys ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- The key the payment provider knows a charge by: unique per order and per installation, so
-- a restored or second database can never match another one's charges.
ALTER TABLE payments ADD COLUMN provider_key TEXT;

-- Server processes sharing the database. An instance whose heartbeat stopped is gone, and the
-- payment jobs it owned may be taken over by another.
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

-- Card orders left pending without a job by earlier versions get one, owned by nobody, so the
-- worker resolves them from the provider like any other.
INSERT INTO payment_jobs (order_id, owner, attempts, next_attempt_at, last_error, created_at)
SELECT o.id, '', 0, 0, 'recovered on upgrade', o.updated_at FROM orders o
WHERE o.status = 'payment_pending' AND o.payment_method = 'card'
  AND NOT EXISTS (SELECT 1 FROM payment_jobs j WHERE j.order_id = o.id);
