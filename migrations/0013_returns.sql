-- Returns (RMA): a request per return, its items, evidence photos and its timeline. The
-- customer's parcel (carrier, tracking, sent and received times) is part of the return.
CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'authorized', 'rejected', 'in_transit', 'received',
        'inspected', 'approved', 'refund_pending', 'refunded', 'closed', 'cancelled')),
    reason TEXT NOT NULL CHECK (reason IN ('damaged', 'wrong_item', 'not_as_described', 'no_longer_wanted', 'other')),
    details TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL CHECK (method IN ('original_payment', 'store_credit', 'exchange')),
    rma_number TEXT UNIQUE,
    -- Why the abuse limits sent it to a person (shown to admins only).
    review_reason TEXT,
    rejection_reason TEXT,
    keep_it BIGINT NOT NULL DEFAULT 0 CHECK (keep_it IN (0, 1)),
    refunded_early BIGINT NOT NULL DEFAULT 0 CHECK (refunded_early IN (0, 1)),
    inspected BIGINT NOT NULL DEFAULT 0 CHECK (inspected IN (0, 1)),
    carrier TEXT,
    tracking TEXT,
    shipped_at BIGINT,
    received_at BIGINT,
    exchange_product_id BIGINT REFERENCES products (id),
    exchange_reserved BIGINT NOT NULL DEFAULT 0 CHECK (exchange_reserved IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX returns_user ON returns (user_id, id);
CREATE INDEX returns_order ON returns (order_id);
CREATE INDEX returns_status ON returns (status, created_at);

CREATE TABLE return_items (
    id INTEGER PRIMARY KEY,
    return_id BIGINT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    approved_quantity BIGINT CHECK (approved_quantity >= 0 AND approved_quantity <= quantity),
    item_condition TEXT CHECK (item_condition IN ('new', 'like_new', 'used', 'damaged')),
    disposition TEXT CHECK (disposition IN ('restock', 'refurbish', 'scrap', 'return_to_vendor')),
    -- Units put back into stock (only for "restock").
    restocked BIGINT NOT NULL DEFAULT 0 CHECK (restocked >= 0)
);
CREATE INDEX return_items_return ON return_items (return_id);
CREATE INDEX return_items_line ON return_items (order_line_id);

-- Photos live outside the public site (RETURNS_UPLOAD_DIR), in a file named by `id` (random).
-- `return_id` is NULL while the photo is a draft of a return not submitted yet.
CREATE TABLE return_photos (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    return_id BIGINT REFERENCES returns (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp')),
    bytes BIGINT NOT NULL CHECK (bytes > 0),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX return_photos_return ON return_photos (return_id);
CREATE INDEX return_photos_user ON return_photos (user_id, return_id);

CREATE TABLE return_events (
    id INTEGER PRIMARY KEY,
    return_id BIGINT NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT NOT NULL CHECK (actor_role IN ('customer', 'admin', 'system')),
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX return_events_return ON return_events (return_id, id);
