-- Fulfilment: an order is shipped (carrier, tracking) and delivered by an admin. The return
-- window counts from delivery.
CREATE TABLE shipments (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    tracking TEXT NOT NULL,
    shipped_at BIGINT NOT NULL,
    shipped_by BIGINT,
    delivered_at BIGINT,
    delivered_by BIGINT
);
CREATE INDEX shipments_delivered ON shipments (delivered_at);
