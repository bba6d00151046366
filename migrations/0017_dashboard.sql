-- The live dashboard's figures, shared by every server instance. Each instance adds what it
-- counted to its own row for the minute (instance_id), every few seconds; readers sum the
-- rows of all instances. `series` names a counter ('checkout.accepted') or a latency
-- histogram ('checkout.latency', 'http|GET|200|/api/cart'); histograms keep their count, sum
-- and maximum here (microseconds) and their bucket counts in dashboard_buckets.
CREATE TABLE dashboard_series (
    minute_ms BIGINT NOT NULL,
    instance_id TEXT NOT NULL,
    series TEXT NOT NULL,
    count BIGINT NOT NULL,
    sum_us BIGINT NOT NULL DEFAULT 0,
    max_us BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (minute_ms, instance_id, series)
);
CREATE INDEX dashboard_series_by_name ON dashboard_series (series, minute_ms);

-- One row per histogram bucket (index into the bounds of domain::slo::DEFAULT_LATENCY_BOUNDS_MS;
-- the last index is the overflow bucket).
CREATE TABLE dashboard_buckets (
    minute_ms BIGINT NOT NULL,
    instance_id TEXT NOT NULL,
    series TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (minute_ms, instance_id, series, bucket)
);
CREATE INDEX dashboard_buckets_by_name ON dashboard_buckets (series, minute_ms);

-- What happened, for the dashboard's event list: breaker changes (with MTTR), orders queued
-- and settled, refunds, throttle and fault changes, admin actions (actor = who did it).
CREATE TABLE dashboard_events (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    -- MTTR of a breaker_closed event (ms)
    value_ms BIGINT
);
CREATE INDEX dashboard_events_at ON dashboard_events (at_ms);
