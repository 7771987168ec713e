//! Single-flight snapshots: the values an instance holds of something the store
//! changes now and then (a model version, the catalogue at a revision, the
//! dashboard's tallies of a published version), each loaded once however many
//! callers ask for it together.
//!
//! A caller that finds the key it wants takes the value (one read lock and an
//! `Arc` clone); one that does not takes the load lock, looks again (another
//! caller may have loaded it meanwhile) and loads. The newest `capacity` keys
//! are kept: one for the catalogue and the tallies, two for the models (the
//! version being published beside the one served, so neither evicts the other).
//!
//! Owns nothing of what it holds; must not depend on any other module of the
//! crate.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub struct Snapshots<K, V> {
    /// Newest first, at most `capacity`.
    held: RwLock<Vec<(K, Arc<V>)>>,
    /// Held while a value loads.
    loading: tokio::sync::Mutex<()>,
    capacity: usize,
    loads: AtomicU64,
    hits: AtomicU64,
}

/// How often a snapshot cache answered from what it held (`hits`: the key
/// was held when asked for) and loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotCount {
    pub cache: &'static str,
    pub hits: u64,
    pub loads: u64,
}

impl<K: PartialEq + Clone, V> Snapshots<K, V> {
    pub fn new(capacity: usize) -> Self {
        Snapshots {
            held: RwLock::new(Vec::with_capacity(capacity)),
            loading: tokio::sync::Mutex::new(()),
            capacity: capacity.max(1),
            loads: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The value held for `key`, if any.
    pub fn held(&self, key: &K) -> Option<Arc<V>> {
        self.held
            .read()
            .expect("lock")
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The value for `key`: held, or loaded by `load` (once, whoever asks meanwhile).
    pub async fn get_or_load<E, Fut>(&self, key: K, load: impl FnOnce() -> Fut) -> Result<Arc<V>, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(held) = self.held(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(held);
        }
        let _loading = self.loading.lock().await;
        if let Some(held) = self.held(&key) {
            return Ok(held);
        }
        let value = Arc::new(load().await?);
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.install(key, value.clone());
        Ok(value)
    }

    /// Holds `value` as the newest, dropping the oldest beyond the capacity.
    pub fn install(&self, key: K, value: Arc<V>) {
        let mut held = self.held.write().expect("lock");
        held.retain(|(k, _)| k != &key);
        held.insert(0, (key, value));
        held.truncate(self.capacity);
    }

    /// How many times a value was loaded (not installed).
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// How often `cache` (its name in `GET /metrics`) answered from what it
    /// held, and loaded.
    pub fn count(&self, cache: &'static str) -> SnapshotCount {
        SnapshotCount {
            cache,
            hits: self.hits.load(Ordering::Relaxed),
            loads: self.loads(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_asking_together_share_one_load() {
        let snapshots = Arc::new(Snapshots::<u64, u64>::new(2));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = snapshots.clone();
                tokio::spawn(async move {
                    s.get_or_load(7, || async {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>(70)
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(*t.await.unwrap(), 70);
        }
        assert_eq!(snapshots.loads(), 1);
    }

    #[tokio::test]
    async fn the_newest_keys_are_kept_and_a_failed_load_holds_nothing() {
        let s = Snapshots::<u64, &str>::new(2);
        for (k, v) in [(1, "one"), (2, "two"), (3, "three")] {
            s.get_or_load(k, || async move { Ok::<_, ()>(v) })
                .await
                .unwrap();
        }
        assert!(s.held(&1).is_none());
        assert_eq!(s.held(&2).as_deref(), Some(&"two"));
        assert_eq!(s.held(&3).as_deref(), Some(&"three"));
        assert!(s
            .get_or_load(4, || async { Err::<&str, _>("broken") })
            .await
            .is_err());
        assert!(s.held(&4).is_none());
        assert_eq!(s.held(&2).as_deref(), Some(&"two"));
    }
}
