//! Rating events as the original generator sends them,
//! `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`, and the
//! shapes a batch can arrive in.
//!
//! The Functions host delivers an Event Hub batch (cardinality many, dataType
//! string) as one JSON string holding an array of JSON strings, one per event
//! body; other senders use a JSON array of objects, an array of strings each
//! holding an event (JSON or base64), or base64 of any of these; `POST
//! /events` takes one event or an array. [`parse_batch`] accepts all of them,
//! splits valid ratings ([`event::parse_event`]) from invalid events, and
//! gives each invalid one a dead letter with the raw event, the reason and its
//! Event Hub origin ([`metadata::BatchMetadata`]), under an id that is the same
//! whenever the event comes again ([`dead_letter`]).
//!
//! Owns: reading events and batches, and the reasons ([`EventError`],
//! [`BatchError`]). Must not touch: the store (callers store what it parses)
//! or HTTP.

pub mod dead_letter;
mod error;
pub mod event;
pub mod metadata;

use std::borrow::Cow;

use base64::Engine;
use movierec_store::{DeadLetter, EventOrigin, RatingRecord};
use serde_json::Value;

pub use error::{BatchError, EventError};
pub use event::parse_event;
pub use metadata::BatchMetadata;

/// Valid ratings and dead letters of one batch, in arrival order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedBatch {
    pub ratings: Vec<RatingRecord>,
    /// At most the batch bound; the last one may fold many events.
    pub dead_letters: Vec<DeadLetter>,
    /// Bad events in the batch (more than `dead_letters` when some were folded).
    pub bad_events: usize,
}

impl ParsedBatch {
    /// A batch that is one unreadable body, kept whole.
    pub fn unreadable(raw: &[u8], reason: String, received_at: i64) -> Self {
        ParsedBatch {
            ratings: Vec::new(),
            dead_letters: vec![DeadLetter {
                id: dead_letter::content_id(raw),
                received_at,
                reason,
                raw: String::from_utf8_lossy(raw).into_owned(),
                origin: EventOrigin::default(),
            }],
            bad_events: 1,
        }
    }

    /// Events in the batch, good and bad.
    pub fn events(&self) -> usize {
        self.ratings.len() + self.bad_events
    }
}

/// Parses a batch in any of the accepted shapes. `received_at` (Unix seconds)
/// stamps dead letters and bounds timestamps; at most `max_dead_letters` are
/// kept one by one (see [`dead_letter::bound`]).
pub fn parse_batch(
    data: &Value,
    metadata: &BatchMetadata,
    received_at: i64,
    max_dead_letters: usize,
) -> ParsedBatch {
    let items = match unwrap_batch(data) {
        Ok(items) => items,
        Err(reason) => {
            return ParsedBatch::unreadable(
                raw_text(data).as_bytes(),
                reason.to_string(),
                received_at,
            );
        }
    };
    let mut ratings = Vec::with_capacity(items.len());
    let mut letters = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match parse_event(item, received_at) {
            Ok(rating) => ratings.push(rating),
            Err(reason) => letters.push(dead_letter::letter(
                received_at,
                reason.to_string(),
                raw_text(item),
                metadata.origin(index),
            )),
        }
    }
    let bad_events = letters.len();
    let (dead_letters, _) = dead_letter::bound(letters, max_dead_letters);
    ParsedBatch {
        ratings,
        dead_letters,
        bad_events,
    }
}

/// The batch's elements: an array's items (borrowed), one object, or what a
/// string decodes to.
fn unwrap_batch(data: &Value) -> Result<Cow<'_, [Value]>, BatchError> {
    match data {
        Value::Array(items) => Ok(Cow::Borrowed(items)),
        Value::Object(_) => Ok(Cow::Borrowed(std::slice::from_ref(data))),
        Value::String(s) => match decode_text(s) {
            Some(inner @ (Value::Array(_) | Value::Object(_))) => {
                unwrap_batch(&inner).map(|c| Cow::Owned(c.into_owned()))
            }
            _ => Err(BatchError::UnreadableString),
        },
        other => Err(BatchError::NotAnArray(kind(other))),
    }
}

/// JSON text, or base64 of JSON text.
pub(crate) fn decode_text(s: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(s) {
        return Some(v);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn raw_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_764_000_000;

    fn parse(data: &Value, metadata: &BatchMetadata) -> ParsedBatch {
        parse_batch(data, metadata, NOW, 100)
    }

    #[test]
    fn every_batch_encoding_gives_the_same_ratings() {
        let events = json!([{"UserId":1,"MovieId":2,"Rating":4.0,"Timestamp":10},{"UserId":3,"MovieId":4,"Rating":0.5,"Timestamp":11}]);
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let strings: Vec<String> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect();
        let as_strings = json!(strings);
        let as_b64_strings = Value::Array(strings.iter().map(|e| Value::String(b64(e))).collect());
        let shapes = [
            events.clone(),
            Value::String(events.to_string()),
            Value::String(b64(&events.to_string())),
            // What the Functions host sends: one JSON string of an array of JSON strings.
            Value::String(as_strings.to_string()),
            as_strings,
            as_b64_strings,
        ];
        let want = parse(&events, &BatchMetadata::default()).ratings;
        assert_eq!(want.len(), 2);
        for shape in shapes {
            let got = parse(&shape, &BatchMetadata::default());
            assert_eq!(got.ratings, want, "{shape}");
            assert!(got.dead_letters.is_empty());
        }
    }

    /// The host's encoding: events and metadata arrays as JSON strings.
    fn host_batch(events: &[&str], first_sequence: i64) -> (Value, BatchMetadata) {
        let n = events.len() as i64;
        let sequence: Vec<i64> = (first_sequence..first_sequence + n).collect();
        let offsets: Vec<String> = sequence.iter().map(|s| (s * 100).to_string()).collect();
        let times: Vec<String> = sequence
            .iter()
            .map(|s| format!("2026-11-26T06:00:{:02}.5", s % 60))
            .collect();
        let meta = json!({
            "PartitionContext": {"PartitionId": "2"},
            "SequenceNumberArray": json!(sequence).to_string(),
            "OffsetArray": json!(offsets).to_string(),
            "EnqueuedTimeUtcArray": json!(times).to_string(),
        });
        (
            Value::String(json!(events).to_string()),
            BatchMetadata::from_host(&meta),
        )
    }

    #[test]
    fn poison_events_are_dead_lettered_with_origin_and_the_rest_kept() {
        let good = r#"{"UserId":1,"MovieId":2,"Rating":4.0,"Timestamp":10}"#;
        let (data, meta) = host_batch(&[good, "not json", r#"{"UserId":1}"#], 100);
        let parsed = parse(&data, &meta);
        assert_eq!(parsed.ratings.len(), 1);
        assert_eq!((parsed.dead_letters.len(), parsed.bad_events), (2, 2));
        let d = &parsed.dead_letters[0];
        assert_eq!(d.id, "eh-2-101");
        assert_eq!(d.raw, "not json");
        assert_eq!(d.origin.offset.as_deref(), Some("10100"));
        assert_eq!(
            d.origin.enqueued_time.as_deref(),
            Some("2026-11-26T06:00:41.5Z")
        );
        assert!(parsed.dead_letters[1]
            .reason
            .contains("missing field MovieId"));
    }

    #[test]
    fn a_poison_event_in_a_differently_cut_batch_keeps_its_id() {
        let good = r#"{"UserId":1,"MovieId":2,"Rating":4.0,"Timestamp":10}"#;
        let (first, meta1) = host_batch(&[good, good, "poison"], 100);
        let (second, meta2) = host_batch(&["poison", good], 102);
        let a = parse(&first, &meta1).dead_letters;
        let b = parse(&second, &meta2).dead_letters;
        assert_eq!(a[0].id, "eh-2-102");
        assert_eq!(a[0].id, b[0].id);
        // Without an origin, the content names it: the same event, the same id.
        let c = parse(&json!(["poison", good]), &BatchMetadata::default()).dead_letters;
        let d = parse(&json!([good, good, "poison"]), &BatchMetadata::default()).dead_letters;
        assert_eq!(c[0].id, d[0].id);
        assert!(c[0].id.starts_with("content-"));
    }

    #[test]
    fn an_unreadable_batch_is_kept_whole_as_one_dead_letter() {
        let parsed = parse(&json!("%%% garbage"), &BatchMetadata::default());
        assert!(parsed.ratings.is_empty());
        assert_eq!(parsed.dead_letters.len(), 1);
        assert_eq!(parsed.dead_letters[0].raw, "%%% garbage");
        let again = parse_batch(
            &json!("%%% garbage"),
            &BatchMetadata::default(),
            NOW + 5,
            100,
        );
        assert_eq!(
            again.dead_letters[0].id, parsed.dead_letters[0].id,
            "stable id: a redelivery is not a second letter"
        );
    }

    #[test]
    fn a_flood_of_bad_events_costs_a_bounded_number_of_letters() {
        let flood: Vec<Value> = (0..100_000).map(Value::from).collect();
        let parsed = parse_batch(&Value::Array(flood), &BatchMetadata::default(), NOW, 100);
        assert_eq!(parsed.bad_events, 100_000);
        assert_eq!(parsed.dead_letters.len(), 100);
        assert_eq!(parsed.events(), 100_000);
    }
}
