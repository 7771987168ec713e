//! The answer of the app's `POST /events` (standalone mode): how many events
//! came, what became of them, and why the dead-lettered ones were refused.
//!
//! Owns the field names only; the app fills it, the generator reads it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"events":3,"stored":1,"unchanged":1,"dead_lettered":1,"errors":{"missing field Timestamp":1}}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsAnswer {
    /// Events in the request.
    pub events: u64,
    /// Ratings written: new, or newer than the stored one.
    pub stored: u64,
    /// Valid events that changed nothing: duplicates, late older events.
    pub unchanged: u64,
    /// Events refused and kept as dead letters.
    pub dead_lettered: u64,
    /// The distinct reasons for the dead letters (at most a few), with counts.
    pub errors: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_apps_field_names() {
        let text = r#"{"events":3,"stored":1,"unchanged":1,"dead_lettered":1,"errors":{"missing field Timestamp":1}}"#;
        let answer: EventsAnswer = serde_json::from_str(text).unwrap();
        assert_eq!(answer.events, 3);
        assert_eq!(answer.errors["missing field Timestamp"], 1);
        assert_eq!(serde_json::to_string(&answer).unwrap(), text);
    }
}
