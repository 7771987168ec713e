//! What a run did: counts, speed, why it stopped, and what the app said it
//! stored. Printed by the command line (and as one JSON line with `--json`).
//!
//! Owns the figures only; the run loop fills them.

use movierec_wire::EventsAnswer;

/// What a run did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub sent: u64,
    pub valid: u64,
    pub poison: u64,
    pub batches: u64,
    pub retries: u64,
    /// Events of a batch that failed for good (the run stops there).
    pub failed: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    /// Why it stopped: "count", "duration", "end of input", "interrupted", "error".
    pub stopped_by: String,
    /// What the app reported storing (HTTP target only).
    pub app: Option<Stored>,
}

/// What the receiving app said it did with the batches, added up (the HTTP target only).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub stored: u64,
    pub unchanged: u64,
    pub dead_lettered: u64,
}

impl Stored {
    pub fn add(&mut self, answer: &EventsAnswer) {
        self.stored += answer.stored;
        self.unchanged += answer.unchanged;
        self.dead_lettered += answer.dead_lettered;
    }
}
