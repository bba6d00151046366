//! A small map whose entries expire after a fixed time, for hot lookups that may be a few
//! seconds stale (the session behind a cookie, the running flash sales).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self { ttl, max_entries, entries: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.max_entries {
                // Cheap bound: drop everything expired, and if still full, everything.
                let ttl = self.ttl;
                entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if entries.len() >= self.max_entries {
                    entries.clear();
                }
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    pub fn remove(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
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
}
