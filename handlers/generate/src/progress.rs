//! Progress of a run on stderr: every second on a terminal, every 10 s
//! otherwise. Owns the printing only; the figures are the run's [`Summary`].

use std::io::IsTerminal;
use std::time::Duration;

use tokio::time::Instant;

use crate::summary::Summary;

pub struct Progress {
    every: Duration,
    next: Instant,
}

impl Progress {
    pub fn new() -> Self {
        let every = if std::io::stderr().is_terminal() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(10)
        };
        Progress {
            every,
            next: Instant::now() + every,
        }
    }

    pub fn tick(&mut self, summary: &Summary, started: Instant) {
        if Instant::now() < self.next {
            return;
        }
        self.next += self.every;
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "sent {} events ({:.0}/s), {} poison, {} retries",
            summary.sent,
            summary.sent as f64 / secs,
            summary.poison,
            summary.retries
        );
    }
}
