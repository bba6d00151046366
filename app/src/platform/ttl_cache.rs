//! A small map whose entries expire after a fixed time, for hot lookups that may be a few
//! seconds stale (the session behind a cookie, the running flash sales).
//!
//! Bounded in time (every entry lives at most `ttl`) and in size (at most `max_entries`).
//! With one TTL for all entries, insertion order is expiry order, so a queue of keys is
//! enough: expired entries are dropped from its front on every insert, and when the map is
//! still full the oldest entry (the next to expire anyway) makes room. Amortised O(1).
//!
//! Invalidation (`remove`, `retain`, `clear`) bumps a generation; a value read from the
//! database before an invalidation can be offered with `put_if_unchanged` and is then refused,
//! so a lookup racing a logout cannot put the ended session back for a whole TTL.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Keys in insertion order with the stamp of that insertion. A key inserted again, or
    /// removed, leaves a stale pair behind; it is skipped when it reaches the front.
    order: VecDeque<(K, u64)>,
    next_stamp: u64,
    generation: u64,
}

struct Entry<V> {
    at: Instant,
    stamp: u64,
    value: V,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            inner: Mutex::new(Inner { entries: HashMap::new(), order: VecDeque::new(), next_stamp: 0, generation: 0 }),
        }
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if !self.enabled() {
            return None;
        }
        let inner = self.inner.lock().ok()?;
        inner.entries.get(key).filter(|e| e.at.elapsed() < self.ttl).map(|e| e.value.clone())
    }

    /// The current generation, to pass to `put_if_unchanged` after a slow lookup.
    pub fn generation(&self) -> u64 {
        self.inner.lock().map(|inner| inner.generation).unwrap_or(u64::MAX)
    }

    pub fn put(&self, key: K, value: V) {
        if let Ok(mut inner) = self.inner.lock() {
            self.insert(&mut inner, key, value);
        }
    }

    /// Inserts unless something was invalidated since `generation` was read.
    pub fn put_if_unchanged(&self, key: K, value: V, generation: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.generation == generation {
                self.insert(&mut inner, key, value);
            }
        }
    }

    fn insert(&self, inner: &mut Inner<K, V>, key: K, value: V) {
        if !self.enabled() {
            return;
        }
        let now = Instant::now();
        // Expired entries first, then the oldest live ones while full.
        while let Some((front, stamp)) = inner.order.front() {
            let live = inner.entries.get(front).filter(|e| e.stamp == *stamp);
            let evict = match live {
                None => false, // stale queue pair: just drop it
                Some(e) => {
                    let full = inner.entries.len() >= self.max_entries && !inner.entries.contains_key(&key);
                    now.duration_since(e.at) >= self.ttl || full
                }
            };
            if live.is_some() && !evict {
                break;
            }
            if let Some((front, _)) = inner.order.pop_front() {
                if evict {
                    inner.entries.remove(&front);
                }
            }
        }
        let stamp = inner.next_stamp;
        inner.next_stamp += 1;
        inner.order.push_back((key.clone(), stamp));
        inner.entries.insert(key, Entry { at: now, stamp, value });
        // Keys re-inserted or removed many times within one TTL leave stale pairs; keep the
        // queue within twice the bound.
        if inner.order.len() > 2 * self.max_entries.max(8) {
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(k, stamp)| entries.get(k).is_some_and(|e| e.stamp == *stamp));
        }
    }

    pub fn remove(&self, key: &K) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation += 1;
            inner.entries.remove(key);
        }
    }

    /// Drops every entry for which `keep` answers false (e.g. all sessions of one user).
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation += 1;
            inner.entries.retain(|k, e| keep(k, &e.value));
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|inner| inner.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation += 1;
            inner.entries.clear();
            inner.order.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_removed() {
        let cache = TtlCache::new(Duration::from_millis(30), 10);
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.remove(&"a");
        assert_eq!(cache.get(&"a"), None);
        cache.put("b", 2);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&"b"), None);
    }

    #[test]
    fn a_zero_ttl_disables_caching_and_size_is_bounded() {
        let off = TtlCache::new(Duration::ZERO, 10);
        off.put(1, 1);
        assert_eq!(off.get(&1), None);
        let small = TtlCache::new(Duration::from_secs(60), 2);
        small.put(1, 1);
        small.put(2, 2);
        small.put(3, 3);
        assert_eq!(small.get(&3), Some(3));
        assert!(small.get(&1).is_none() || small.get(&2).is_none());
    }

    #[test]
    fn a_full_cache_evicts_only_its_oldest_entries() {
        let cache = TtlCache::new(Duration::from_secs(60), 3);
        for key in 1..=3 {
            cache.put(key, key * 10);
        }
        cache.put(4, 40);
        assert_eq!(cache.get(&1), None, "the oldest entry made room");
        assert_eq!((cache.get(&2), cache.get(&3), cache.get(&4)), (Some(20), Some(30), Some(40)));
        assert_eq!(cache.len(), 3);
        // Inserting a key again refreshes it: 2 is now the oldest.
        cache.put(3, 31);
        cache.put(5, 50);
        assert_eq!((cache.get(&2), cache.get(&3), cache.get(&5)), (None, Some(31), Some(50)));
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn expired_entries_make_room_before_live_ones() {
        let cache = TtlCache::new(Duration::from_millis(30), 2);
        cache.put(1, 1);
        std::thread::sleep(Duration::from_millis(40));
        cache.put(2, 2);
        cache.put(3, 3);
        assert_eq!((cache.get(&2), cache.get(&3)), (Some(2), Some(3)));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_queue_stays_bounded_when_keys_churn() {
        let cache = TtlCache::new(Duration::from_secs(60), 4);
        for round in 0..1_000 {
            cache.put(round % 3, round);
            cache.remove(&(round % 3));
        }
        let queued = cache.inner.lock().map(|inner| inner.order.len()).unwrap_or(usize::MAX);
        assert!(queued <= 16, "{queued}");
        assert!(cache.is_empty());
    }

    #[test]
    fn retain_drops_matching_entries_and_refuses_lookups_that_started_before() {
        let cache = TtlCache::new(Duration::from_secs(60), 10);
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("c", 1);
        let before = cache.generation();
        cache.retain(|_, user| *user != 1);
        assert_eq!((cache.get(&"a"), cache.get(&"b"), cache.get(&"c")), (None, Some(2), None));
        // A lookup that read the database before the invalidation does not put its answer back.
        cache.put_if_unchanged("a", 1, before);
        assert_eq!(cache.get(&"a"), None);
        let now = cache.generation();
        cache.put_if_unchanged("a", 1, now);
        assert_eq!(cache.get(&"a"), Some(1));
    }
}
