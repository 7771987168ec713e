//! [`Recorder`]: takes what an answer served, keeps a sample of it (at most
//! so many a second), and hands it to one background task that writes
//! batches to the store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use movierec_store::{ServedList, Store};
use tokio::sync::mpsc;

use crate::settings::Online;

/// Lists waiting for the writer; past this a list is dropped (and counted)
/// rather than held: a store that stalls must not grow the heap. About 200
/// bytes each: 4 MiB at most.
const QUEUE: usize = 20_000;
/// How often the writer takes what has queued. A GET's send wakes no one;
/// the writer's one store call per tick is one transaction on SQLite. With
/// a store call per list (at a tenth of 50,000 GETs/s) the GETs lost a fifth
/// of their throughput.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

pub struct Recorder {
    store: Arc<dyn Store>,
    /// Share of answers recorded (0 to 1).
    sample: f64,
    /// At most this many lists a second.
    per_second: u32,
    /// The second being counted (high 32 bits) and how many lists it has
    /// recorded (low 32): one word, so that taking a slot is one atomic
    /// exchange and two GETs can never both take the last one.
    this_second: AtomicU64,
    /// The writer's queue, started by the first list recorded (on the
    /// runtime that serves it).
    queue: OnceLock<mpsc::Sender<ServedList>>,
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    pub fn new(store: Arc<dyn Store>, online: &Online) -> Self {
        Recorder {
            store,
            sample: online.impressions_sample,
            per_second: online.impressions_per_second,
            this_second: AtomicU64::new(0),
            queue: OnceLock::new(),
            dropped: Arc::default(),
        }
    }

    /// Records that `user` was served `movies()` (first ranked first) by
    /// model `version` from `source` in `arm`, if the sample takes it and
    /// this second has a slot left (`movies` is called only then). Never
    /// waits: with the queue full, the list is dropped and counted.
    pub fn record(
        &self,
        user: i32,
        version: u64,
        source: &str,
        arm: &str,
        movies: impl FnOnce() -> Vec<i32>,
    ) {
        if self.sample <= 0.0 {
            return;
        }
        let served_at_ms = chrono::Utc::now().timestamp_millis();
        if !sampled(user, served_at_ms, self.sample) || !self.take_slot(served_at_ms / 1000) {
            return;
        }
        let list = ServedList {
            user,
            served_at_ms,
            version,
            source: source.to_string(),
            arm: arm.to_string(),
            movies: movies(),
        };
        let queue = self.queue.get_or_init(|| self.start_writer());
        if queue.try_send(list).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether second `second` (of the Unix epoch) may record one more list.
    /// A GET whose clock read came just before another's, across a second's
    /// turn, counts in the newer second rather than starting the older again.
    fn take_slot(&self, second: i64) -> bool {
        let second = (second as u64) & 0xffff_ffff;
        let mut seen = self.this_second.load(Ordering::Relaxed);
        loop {
            let (at, used) = (seen >> 32, seen & 0xffff_ffff);
            let next = if second > at {
                (second << 32) | 1
            } else if used < u64::from(self.per_second) {
                seen + 1
            } else {
                return false;
            };
            match self.this_second.compare_exchange_weak(
                seen,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => seen = now,
            }
        }
    }

    /// Lists dropped so far: the queue was full, or the store refused a batch.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn start_writer(&self) -> mpsc::Sender<ServedList> {
        let (queue, lists) = mpsc::channel(QUEUE);
        tokio::spawn(write(self.store.clone(), lists, self.dropped.clone()));
        queue
    }
}

/// Whether the answer to `user` at `served_at_ms` is in the sample: a hash of
/// the two against the share, so the choice is the same wherever it is made.
pub fn sampled(user: i32, served_at_ms: i64, sample: f64) -> bool {
    if sample >= 1.0 {
        return true;
    }
    let mut key = [0u8; 12];
    key[..4].copy_from_slice(&user.to_le_bytes());
    key[4..].copy_from_slice(&served_at_ms.to_le_bytes());
    let hash = twox_hash::XxHash64::oneshot(0, &key);
    (hash as f64) < sample * u64::MAX as f64
}

/// The writer: every [`FLUSH_EVERY`], whatever has queued goes to the store
/// in one call. It ends when the recorder is dropped and the queue is empty.
/// A batch the store refuses is dropped with a warning: impressions are a
/// sample, not a record of account.
async fn write(
    store: Arc<dyn Store>,
    mut lists: mpsc::Receiver<ServedList>,
    dropped: Arc<AtomicU64>,
) {
    let mut batch = Vec::new();
    loop {
        tokio::time::sleep(FLUSH_EVERY).await;
        let closed = loop {
            match lists.try_recv() {
                Ok(list) => batch.push(list),
                Err(mpsc::error::TryRecvError::Empty) => break false,
                Err(mpsc::error::TryRecvError::Disconnected) => break true,
            }
        };
        if batch.is_empty() {
            if closed {
                return;
            }
            continue;
        }
        if let Err(e) = store.record_served(&batch).await {
            dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::warn!(
                lists = batch.len(),
                error = &e as &dyn std::error::Error,
                "could not record served lists; they are dropped"
            );
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_takes_about_its_share_and_the_same_answers_everywhere() {
        let taken = (0..100_000)
            .filter(|&i| sampled(i % 611, 1_700_000_000_000 + i as i64, 0.1))
            .count();
        assert!(
            (9_000..11_000).contains(&taken),
            "{taken} of 100,000 at 0.1"
        );
        assert_eq!(sampled(42, 7, 0.5), sampled(42, 7, 0.5));
        assert!((0..1000).all(|i| sampled(i, i as i64, 1.0)));
        assert!((0..1000).all(|i| !sampled(i, i as i64, 0.0)));
    }

    #[test]
    fn each_second_records_at_most_its_share_from_any_number_of_threads() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(movierec_store::SqliteStore::open(dir.path()).unwrap());
        let online = Online {
            impressions_per_second: 50,
            ..Online::default()
        };
        let recorder = Recorder::new(store, &online);
        let taken = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|threads| {
            for _ in 0..4 {
                threads.spawn(|| {
                    for _ in 0..100 {
                        if recorder.take_slot(1_000) {
                            taken.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(taken.into_inner(), 50, "400 tries in one second");
        assert!(recorder.take_slot(1_001), "the next second starts afresh");
        for _ in 1..50 {
            assert!(recorder.take_slot(1_001));
        }
        assert!(
            !recorder.take_slot(1_000),
            "a late clock read counts in the newer, full second"
        );
    }
}
