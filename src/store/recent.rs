//! Reads that may be up to `recent_ms` old: the sign-in check of every request (session and
//! account), a programme's scope for the access check, and a month's published rankings. They
//! are what every read request does before its own work, so serving them from memory is what
//! lets a hot route run at the HTTP stack's speed instead of the storage's.
//!
//! Why a bounded lag is safe here: this instance forgets an entry in the same call that changes
//! it (logout, disabling an account, a programme's update, publishing a ranking), so one instance
//! never serves its own stale copy; another instance sharing the database sees the change within
//! `recent_ms` (1 s by default). Misses are never remembered, so a new login, programme or
//! ranking is visible everywhere at once. `recent_ms = 0` turns the whole thing off.
//!
//! When an entry has expired, the first request refreshes it and the others keep the old copy
//! meanwhile, so a hot key costs one database read per interval, not one per waiting client.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::StoreError;

struct Slot<V> {
    value: V,
    fetched: Instant,
    /// When a request set out to refresh it; a refresh abandoned (its request cancelled) stops
    /// counting after one more interval.
    refreshing: Option<Instant>,
}

struct Slots<K, V> {
    slots: HashMap<K, Slot<V>>,
    /// Counts `forget`s: a read that overlapped one may have seen the row before the change,
    /// so it is returned but not remembered.
    generation: u64,
}

impl<K, V> Default for Slots<K, V> {
    fn default() -> Self {
        Self { slots: HashMap::new(), generation: 0 }
    }
}

/// A small read-through map with a freshness bound; cheap to clone (shared).
pub(super) struct Recent<K, V> {
    ttl: Duration,
    map: Arc<Mutex<Slots<K, V>>>,
}

impl<K, V> Clone for Recent<K, V> {
    fn clone(&self) -> Self {
        Self { ttl: self.ttl, map: self.map.clone() }
    }
}

enum Plan<V> {
    Serve(V),
    Fetch { generation: u64, expired: Option<V> },
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    pub(super) fn new(ttl: Duration) -> Self {
        Self { ttl, map: Default::default() }
    }

    /// The value for `key`: from memory while fresh (or while another request refreshes it),
    /// else from `fetch`, remembered when it is `Some`.
    pub(super) async fn get<F, Fut>(&self, key: &K, fetch: F) -> Result<Option<V>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<V>, StoreError>>,
    {
        self.revalidate(key, |_| fetch()).await
    }

    /// As [`Recent::get`], but an expired value is handed to `fetch`, which may give it back
    /// after a cheap check that it is still current (the version of a frozen row, say) instead
    /// of reading it whole again.
    pub(super) async fn revalidate<F, Fut>(&self, key: &K, fetch: F) -> Result<Option<V>, StoreError>
    where
        F: FnOnce(Option<V>) -> Fut,
        Fut: Future<Output = Result<Option<V>, StoreError>>,
    {
        if self.ttl.is_zero() {
            return fetch(None).await;
        }
        let plan = {
            let mut map = self.map.lock().expect("cache lock");
            let generation = map.generation;
            match map.slots.get_mut(key) {
                Some(slot)
                    if slot.fetched.elapsed() < self.ttl || slot.refreshing.is_some_and(|t| t.elapsed() < self.ttl) =>
                {
                    Plan::Serve(slot.value.clone())
                }
                Some(slot) => {
                    slot.refreshing = Some(Instant::now());
                    Plan::Fetch { generation, expired: Some(slot.value.clone()) }
                }
                None => Plan::Fetch { generation, expired: None },
            }
        };
        let (generation, expired) = match plan {
            Plan::Serve(v) => return Ok(Some(v)),
            Plan::Fetch { generation, expired } => (generation, expired),
        };
        let started = Instant::now();
        let fetched = fetch(expired).await;
        let mut map = self.map.lock().expect("cache lock");
        match &fetched {
            Ok(Some(v)) if map.generation == generation => {
                map.slots.insert(key.clone(), Slot { value: v.clone(), fetched: started, refreshing: None });
            }
            // Gone, failed, or overlapped a change here: the next request reads again.
            _ => {
                map.slots.remove(key);
            }
        }
        fetched
    }

    /// Forgets `key` (this instance just changed it).
    pub(super) fn forget(&self, key: &K) {
        let mut map = self.map.lock().expect("cache lock");
        map.generation += 1;
        map.slots.remove(key);
    }

    /// Forgets everything (a change whose keys are not known here, such as an account's
    /// sessions when it is disabled).
    pub(super) fn forget_all(&self) {
        let mut map = self.map.lock().expect("cache lock");
        map.generation += 1;
        map.slots.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn read(cache: &Recent<&'static str, u32>, reads: &AtomicUsize, value: Option<u32>) -> Option<u32> {
        cache
            .get(&"k", || async {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok(value)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_from_memory_until_stale_or_forgotten() {
        let cache = Recent::new(Duration::from_millis(500));
        let reads = AtomicUsize::new(0);
        assert_eq!(read(&cache, &reads, Some(1)).await, Some(1));
        assert_eq!(read(&cache, &reads, Some(2)).await, Some(1), "fresh: memory");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        cache.forget(&"k");
        assert_eq!(read(&cache, &reads, Some(3)).await, Some(3), "forgotten: read again");
        tokio::time::sleep(Duration::from_millis(550)).await;
        assert_eq!(read(&cache, &reads, Some(4)).await, Some(4), "stale: read again");
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn misses_are_not_remembered_and_zero_turns_it_off() {
        let cache = Recent::new(Duration::from_secs(60));
        let reads = AtomicUsize::new(0);
        assert_eq!(read(&cache, &reads, None).await, None);
        assert_eq!(read(&cache, &reads, Some(5)).await, Some(5), "a new row is seen at once");
        let off = Recent::new(Duration::ZERO);
        read(&off, &reads, Some(6)).await;
        assert_eq!(read(&off, &reads, Some(7)).await, Some(7));
        assert_eq!(reads.load(Ordering::SeqCst), 4);
    }

    /// An expired value reaches the refresh, which may keep it; a forgotten one does not.
    #[tokio::test]
    async fn an_expired_value_is_offered_to_the_refresh() {
        let cache = Recent::new(Duration::from_millis(500));
        let offered = |cache: &Recent<&'static str, u32>| {
            let cache = cache.clone();
            async move {
                let mut seen = None;
                let got = cache.revalidate(&"k", |old| {
                    seen = Some(old);
                    async move { Ok(old.or(Some(1))) }
                });
                let got = got.await.unwrap();
                (seen, got)
            }
        };
        assert_eq!(offered(&cache).await, (Some(None), Some(1)), "nothing to offer at first");
        assert_eq!(offered(&cache).await, (None, Some(1)), "fresh: no refresh at all");
        tokio::time::sleep(Duration::from_millis(550)).await;
        assert_eq!(offered(&cache).await, (Some(Some(1)), Some(1)), "expired: offered, and kept");
        assert_eq!(offered(&cache).await, (None, Some(1)), "kept as fresh again");
        cache.forget(&"k");
        assert_eq!(offered(&cache).await, (Some(None), Some(1)), "forgotten: not offered");
    }

    #[tokio::test]
    async fn while_one_request_refreshes_the_others_keep_the_old_copy() {
        let cache = Recent::new(Duration::from_millis(500));
        let reads = AtomicUsize::new(0);
        read(&cache, &reads, Some(1)).await;
        tokio::time::sleep(Duration::from_millis(550)).await;
        let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
        let slow = cache.get(&"k", || async {
            gate_rx.await.ok();
            Ok(Some(2))
        });
        let others = async {
            tokio::task::yield_now().await;
            let seen = read(&cache, &reads, Some(9)).await;
            gate_tx.send(()).ok();
            seen
        };
        let (refreshed, other) = tokio::join!(slow, others);
        assert_eq!((refreshed.unwrap(), other), (Some(2), Some(1)));
        assert_eq!(reads.load(Ordering::SeqCst), 1, "the waiting request did not read");
        assert_eq!(read(&cache, &reads, Some(9)).await, Some(2));
    }
}
