//! Dead-letter ids and the per-batch bound.
//!
//! An id must be the same whenever the same bad event comes again, however
//! the batch around it is cut (at-least-once delivery): an event with an
//! Event Hub origin is `eh-{partition}-{sequence number}`; anything else is
//! named by its content, `content-{XXH64 of the raw text, seed 0, 16 hex
//! digits}`. XXH64 is a fixed, published algorithm (unlike `std`'s
//! `DefaultHasher`, which may change between Rust releases), so ids survive
//! upgrades. Two identical bad events without an origin are one letter.
//!
//! A batch keeps at most `max_per_batch` letters one by one; the bad events
//! past that are folded into one `overflow-...` letter holding them all
//! (raw text and reason each), so a flood of garbage costs one row, not one
//! per event, and loses nothing. The Functions host's batches
//! (`maxEventBatchSize`, 100 by default) fit under the default bound.

use movierec_store::{DeadLetter, EventOrigin};
use serde::Serialize;
use twox_hash::XxHash64;

/// The content-based id of an event (or body) without an Event Hub origin.
pub fn content_id(raw: &[u8]) -> String {
    format!("content-{:016x}", XxHash64::oneshot(0, raw))
}

/// A bad event's letter, with the id its origin or content gives it.
pub fn letter(received_at: i64, reason: String, raw: String, origin: EventOrigin) -> DeadLetter {
    let id = match (&origin.partition, origin.sequence_number) {
        (Some(p), Some(seq)) => format!("eh-{p}-{seq}"),
        _ => content_id(raw.as_bytes()),
    };
    DeadLetter {
        id,
        received_at,
        reason,
        raw,
        origin,
    }
}

/// One folded event inside an overflow letter's `raw`.
#[derive(Serialize)]
struct Folded<'a> {
    id: &'a str,
    reason: &'a str,
    raw: &'a str,
}

/// Keeps the first `max_per_batch` letters and folds the rest into one.
/// Returns the letters to store and how many events were folded.
pub fn bound(mut letters: Vec<DeadLetter>, max_per_batch: usize) -> (Vec<DeadLetter>, usize) {
    let keep = max_per_batch.max(1) - 1;
    if letters.len() <= max_per_batch.max(1) {
        return (letters, 0);
    }
    let rest = letters.split_off(keep);
    let folded: Vec<Folded> = rest
        .iter()
        .map(|d| Folded {
            id: &d.id,
            reason: &d.reason,
            raw: &d.raw,
        })
        .collect();
    let ids: String = rest
        .iter()
        .map(|d| d.id.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let first = &rest[0];
    letters.push(DeadLetter {
        id: format!("overflow-{:016x}", XxHash64::oneshot(0, ids.as_bytes())),
        received_at: first.received_at,
        reason: format!(
            "{} more bad events than the {} kept one by one per batch, kept here together; the first: {}",
            rest.len(),
            keep,
            first.reason
        ),
        raw: serde_json::to_string(&folded).expect("strings serialise"),
        origin: first.origin.clone(),
    });
    (letters, rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_by_content_or_origin() {
        // XXH64("", seed 0) is the published test vector ef46db3751d8e999.
        assert_eq!(content_id(b""), "content-ef46db3751d8e999");
        assert_ne!(content_id(b"abc"), content_id(b"abd"));
        let origin = EventOrigin {
            partition: Some("3".into()),
            sequence_number: Some(42),
            ..Default::default()
        };
        assert_eq!(letter(0, "r".into(), "x".into(), origin).id, "eh-3-42");
    }

    #[test]
    fn a_flood_is_folded_into_one_letter_that_keeps_every_event() {
        let letters: Vec<_> = (0..1000)
            .map(|i| {
                letter(
                    5,
                    format!("bad {i}"),
                    format!("raw {i}"),
                    EventOrigin::default(),
                )
            })
            .collect();
        let (kept, folded) = bound(letters, 100);
        assert_eq!((kept.len(), folded), (100, 901));
        let overflow = kept.last().unwrap();
        assert!(overflow.id.starts_with("overflow-"));
        assert!(
            overflow.reason.starts_with("901 more bad events"),
            "{}",
            overflow.reason
        );
        let inner: Vec<serde_json::Value> = serde_json::from_str(&overflow.raw).unwrap();
        assert_eq!(inner.len(), 901);
        assert_eq!(inner[900]["raw"], "raw 999");
        let small: Vec<_> = (0..100)
            .map(|i| letter(5, "bad".into(), format!("raw {i}"), EventOrigin::default()))
            .collect();
        assert_eq!(bound(small, 100).1, 0);
    }
}
