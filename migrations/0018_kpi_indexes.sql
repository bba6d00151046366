-- The dashboard's business KPIs read a quarter of orders, returns and refunds by creation time
-- (app/src/dashboard/kpis/store.rs): range scans instead of full scans.
CREATE INDEX orders_created_at ON orders (created_at);
CREATE INDEX returns_created_at ON returns (created_at);
CREATE INDEX refunds_created_at ON refunds (created_at);
