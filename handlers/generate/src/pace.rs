//! Sending at a set rate: before each batch, wait until the events sent so far
//! plus this batch are due. Without a rate, never wait. The schedule is kept
//! from the start, so a slow send is caught up rather than lost.
//!
//! Owns the schedule only: it never sends, counts or stops anything.

use std::time::Duration;

use tokio::time::Instant;

pub struct Pacer {
    events_per_second: Option<f64>,
    started: Instant,
    scheduled: u64,
}

impl Pacer {
    pub fn new(events_per_second: Option<f64>) -> Self {
        Pacer {
            events_per_second,
            started: Instant::now(),
            scheduled: 0,
        }
    }

    /// When `n` more events may go.
    pub fn due(&mut self, n: u64) -> Option<Instant> {
        let rate = self.events_per_second?;
        let due = self.started + Duration::from_secs_f64(self.scheduled as f64 / rate);
        self.scheduled += n;
        Some(due)
    }

    /// Waits until `n` more events may go.
    pub async fn wait(&mut self, n: u64) {
        if let Some(due) = self.due(n) {
            tokio::time::sleep_until(due).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_are_spaced_by_the_rate() {
        let mut pacer = Pacer::new(Some(1000.0));
        let start = pacer.started;
        assert_eq!(pacer.due(100), Some(start));
        assert_eq!(pacer.due(100), Some(start + Duration::from_millis(100)));
        assert_eq!(pacer.due(50), Some(start + Duration::from_millis(200)));
        assert_eq!(Pacer::new(None).due(100), None);
    }
}
