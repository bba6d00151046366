//! The dashboard's tables: `dashboard_series` and `dashboard_buckets` (per-minute figures, one
//! row per instance, added to by each instance's flusher) and `dashboard_events`.

use crate::platform::sli::{HistogramDelta, PendingEvent, Taken};
use crate::platform::{AppError, Db, Tx};

const EVENT_COLUMNS: &str = "at_ms, kind, message, actor, instance_id";

/// Adds what one instance counted to its rows for `minute_ms`, and stores its events, in one
/// transaction.
pub async fn flush(db: &Db, instance_id: &str, minute_ms: i64, taken: &Taken) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    for (series, value) in &taken.counters {
        add_series(&mut tx, instance_id, minute_ms, series, *value, &HistogramDelta::default()).await?;
    }
    for (series, delta) in &taken.histograms {
        add_series(&mut tx, instance_id, minute_ms, series, delta.count(), delta).await?;
        for (bucket, count) in delta.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            add_bucket(&mut tx, instance_id, minute_ms, series, bucket, *count).await?;
        }
    }
    for event in &taken.events {
        insert_event(&mut tx, instance_id, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn add_series(
    tx: &mut Tx,
    instance_id: &str,
    minute_ms: i64,
    series: &str,
    count: u64,
    histogram: &HistogramDelta,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO dashboard_series (minute_ms, instance_id, series, count, sum_us, max_us) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (minute_ms, instance_id, series) DO UPDATE SET \
         count = dashboard_series.count + excluded.count, \
         sum_us = dashboard_series.sum_us + excluded.sum_us, \
         max_us = CASE WHEN excluded.max_us > dashboard_series.max_us THEN excluded.max_us \
                  ELSE dashboard_series.max_us END",
    )
    .bind(minute_ms)
    .bind(instance_id)
    .bind(series)
    .bind(signed(count))
    .bind(signed(histogram.sum_us))
    .bind(signed(histogram.max_us))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn add_bucket(
    tx: &mut Tx,
    instance_id: &str,
    minute_ms: i64,
    series: &str,
    bucket: usize,
    count: u64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO dashboard_buckets (minute_ms, instance_id, series, bucket, count) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (minute_ms, instance_id, series, bucket) DO UPDATE SET \
         count = dashboard_buckets.count + excluded.count",
    )
    .bind(minute_ms)
    .bind(instance_id)
    .bind(series)
    .bind(i64::try_from(bucket).unwrap_or(i64::MAX))
    .bind(signed(count))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_event(tx: &mut Tx, instance_id: &str, event: &PendingEvent) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO dashboard_events (id, at_ms, instance_id, kind, message, actor, value_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(event.at_ms)
    .bind(instance_id)
    .bind(event.kind)
    .bind(&event.message)
    .bind(&event.actor)
    .bind(event.value_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A time range [from, to) of the per-minute rows, added up in buckets `width_ms` wide
/// (a minute or an hour; buckets aligned on the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from_ms: i64,
    pub to_ms: i64,
    pub width_ms: i64,
}

/// Counter series (not HTTP) summed over all instances: (series, bucket start, count).
pub async fn counter_buckets(db: &Db, span: Span) -> Result<Vec<(String, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT series, (minute_ms / $3) * $3 AS start_ms, CAST(SUM(count) AS BIGINT) AS n FROM dashboard_series \
         WHERE minute_ms >= $1 AND minute_ms < $2 AND series NOT LIKE 'http|%' GROUP BY series, start_ms",
    )
    .bind(span.from_ms)
    .bind(span.to_ms)
    .bind(span.width_ms.max(1))
    .fetch_all(db.read())
    .await?)
}

/// A histogram series' observations at or under bucket `good_index` and in total:
/// (bucket start, good, total).
pub async fn latency_buckets(
    db: &Db,
    series: &str,
    good_index: usize,
    span: Span,
) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT (minute_ms / $3) * $3 AS start_ms, CAST(SUM(CASE WHEN bucket <= $4 THEN count ELSE 0 END) AS BIGINT) AS good, \
         CAST(SUM(count) AS BIGINT) AS total FROM dashboard_buckets \
         WHERE minute_ms >= $1 AND minute_ms < $2 AND series = $5 GROUP BY start_ms",
    )
    .bind(span.from_ms)
    .bind(span.to_ms)
    .bind(span.width_ms.max(1))
    .bind(i64::try_from(good_index).unwrap_or(i64::MAX))
    .bind(series)
    .fetch_all(db.read())
    .await?)
}

/// Histograms summed over all instances for series matching `pattern` (SQL LIKE) in
/// [from, to): (series, count, sum µs, max µs) and (series, bucket, count).
#[derive(Clone, Debug, Default)]
pub struct HistogramRows {
    pub totals: Vec<(String, i64, i64, i64)>,
    pub buckets: Vec<(String, i64, i64)>,
}

pub async fn histograms(db: &Db, pattern: &str, from_ms: i64, to_ms: i64) -> Result<HistogramRows, AppError> {
    let totals = sqlx::query_as(
        "SELECT series, CAST(SUM(count) AS BIGINT) AS n, CAST(SUM(sum_us) AS BIGINT) AS s, \
         CAST(MAX(max_us) AS BIGINT) AS m FROM dashboard_series \
         WHERE series LIKE $1 AND minute_ms >= $2 AND minute_ms < $3 GROUP BY series",
    )
    .bind(pattern)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db.read())
    .await?;
    let buckets = sqlx::query_as(
        "SELECT series, bucket, CAST(SUM(count) AS BIGINT) AS n FROM dashboard_buckets \
         WHERE series LIKE $1 AND minute_ms >= $2 AND minute_ms < $3 GROUP BY series, bucket",
    )
    .bind(pattern)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db.read())
    .await?;
    Ok(HistogramRows { totals, buckets })
}

/// The newest `limit` events: (at, kind, message, actor, instance).
pub async fn recent_events(db: &Db, limit: i64) -> Result<Vec<(i64, String, String, String, String)>, AppError> {
    Ok(sqlx::query_as(&format!("SELECT {EVENT_COLUMNS} FROM dashboard_events ORDER BY at_ms DESC, id DESC LIMIT $1"))
        .bind(limit)
        .fetch_all(db.read())
        .await?)
}

/// The MTTR (ms) of the last `limit` payment outages, newest first.
pub async fn last_outages(db: &Db, limit: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT value_ms FROM dashboard_events WHERE kind = 'breaker_closed' AND value_ms IS NOT NULL \
         ORDER BY at_ms DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.read())
    .await?)
}

/// Time for one round trip to the database.
pub async fn ping(db: &Db) -> Result<std::time::Duration, AppError> {
    let started = std::time::Instant::now();
    let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT) AS one").fetch_one(db.read()).await?;
    Ok(started.elapsed())
}

/// Deletes figures and events older than `before_ms`.
pub async fn purge(db: &Db, before_ms: i64) -> Result<u64, AppError> {
    let mut removed = 0;
    for table in ["dashboard_series", "dashboard_buckets"] {
        let sql = format!("DELETE FROM {table} WHERE minute_ms < $1");
        removed += sqlx::query(&sql).bind(before_ms).execute(db.write()).await?.rows_affected();
    }
    removed += sqlx::query("DELETE FROM dashboard_events WHERE at_ms < $1")
        .bind(before_ms)
        .execute(db.write())
        .await?
        .rows_affected();
    Ok(removed)
}
