-- Flash sales: units_sold can never pass units_total; purchases per customer are counted so
-- the per-customer limit is enforced in the same statement that records them.
CREATE TABLE flash_sales (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    discount_percent BIGINT NOT NULL CHECK (discount_percent BETWEEN 1 AND 99),
    units_total BIGINT NOT NULL CHECK (units_total > 0),
    units_sold BIGINT NOT NULL DEFAULT 0 CHECK (units_sold >= 0 AND units_sold <= units_total),
    per_customer_limit BIGINT NOT NULL CHECK (per_customer_limit > 0),
    created_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX flash_sales_product ON flash_sales (product_id, starts_at);

CREATE TABLE flash_sale_purchases (
    sale_id BIGINT NOT NULL REFERENCES flash_sales (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (sale_id, user_id)
);
