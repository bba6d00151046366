//! One snapshot per tick for every open dashboard: a task computes it (only while someone
//! watches), serializes it once and publishes it on a watch channel; each SSE stream sends the
//! latest. No stream holds a database connection; 50 dashboards cost one computation a tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use crate::platform::AppState;

/// The latest snapshot as JSON (`None`: nobody watched, so nothing fresh was computed).
pub type Frame = Option<Arc<str>>;

pub struct Hub {
    sender: watch::Sender<Frame>,
    closed: AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        Self { sender: watch::channel(None).0, closed: AtomicBool::new(false) }
    }
}

impl Hub {
    pub fn subscribe(&self) -> watch::Receiver<Frame> {
        self.sender.subscribe()
    }

    /// The server is stopping: every stream ends (so graceful shutdown does not wait for them).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.sender.send_replace(None);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub fn watchers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Starts the task that feeds the hub every `push_interval` while streams are open.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.dashboard.settings.push_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let hub = &state.dashboard.live;
            if hub.is_closed() {
                return;
            }
            if hub.watchers() == 0 {
                if hub.sender.borrow().is_some() {
                    hub.sender.send_replace(None);
                }
                continue;
            }
            match super::service::compute(&state).await.map(|c| serde_json::to_string(&c.snapshot)) {
                Ok(Ok(json)) => {
                    hub.sender.send_replace(Some(Arc::from(json)));
                }
                Ok(Err(err)) => tracing::error!(error = %err, "dashboard snapshot not serializable"),
                Err(err) => tracing::warn!(error = %err, "dashboard snapshot failed"),
            }
        }
    });
}

/// The next frame for a stream: the current one first (when fresh), then each new one; `None`
/// when the server is stopping.
pub async fn next_frame(hub: &Hub, receiver: &mut watch::Receiver<Frame>, first: bool) -> Option<Arc<str>> {
    let mut wait = !first;
    loop {
        if wait && receiver.changed().await.is_err() {
            return None;
        }
        wait = true;
        if hub.is_closed() {
            return None;
        }
        let frame = receiver.borrow_and_update().clone();
        if let Some(json) = frame {
            return Some(json);
        }
    }
}
