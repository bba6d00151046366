-- Orders and their lines, priced at checkout and never recomputed.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('payment_pending', 'paid', 'payment_failed', 'declined', 'cash_on_delivery')),
    status_message TEXT NOT NULL DEFAULT '',
    payment_method TEXT NOT NULL CHECK (payment_method IN ('card', 'cash')),
    subtotal_cents BIGINT NOT NULL,
    discount_cents BIGINT NOT NULL,
    shipping_cents BIGINT NOT NULL,
    duty_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, id);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    product_name TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL,
    discounted_unit_cents BIGINT NOT NULL,
    discount_percent BIGINT NOT NULL,
    subtotal_cents BIGINT NOT NULL,
    shipping_cents BIGINT NOT NULL,
    duty_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    flash_sale_id BIGINT
);
CREATE INDEX order_lines_order ON order_lines (order_id);
