use std::time::Duration;

use leptos::prelude::*;

/// A counter that goes up every `period` once the page runs in the browser (it stays 0 during
/// server rendering, so hydration sees the same value). Live views refetch or recount on it.
pub fn use_ticker(period: Duration) -> ReadSignal<u64> {
    let (ticks, set_ticks) = signal(0u64);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || set_ticks.update(|t| *t += 1), period) {
            on_cleanup(move || handle.clear());
        }
    });
    ticks
}
