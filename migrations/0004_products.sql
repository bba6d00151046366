-- The catalogue. Money in integer cents; stock can never go below zero.
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    discount_percent BIGINT NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    shipping_weight_grams BIGINT NOT NULL DEFAULT 0 CHECK (shipping_weight_grams >= 0),
    country_of_origin TEXT NOT NULL DEFAULT '',
    requires_shipping BIGINT NOT NULL DEFAULT 1 CHECK (requires_shipping IN (0, 1)),
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
