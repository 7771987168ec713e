//! Rating events as the original generator sends them,
//! `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`, and the
//! shapes a batch can arrive in.
//!
//! The Functions host may deliver an Event Hub batch as a JSON array of
//! objects, an array of strings each holding an event (JSON or base64), one
//! string holding the whole array, or base64 of any of these; `POST /events`
//! takes one event or an array. [`parse_batch`] accepts all of them, splits
//! valid ratings from invalid events, and gives each invalid one a dead letter
//! with the raw event, the reason and its Event Hub origin. Keys are matched
//! without regard to case or underscores (`UserId`, `userId`, `user_id`).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine;
use movierec_store::{DeadLetter, EventOrigin, RatingRecord};
use serde_json::Value;

/// Valid ratings and dead letters of one batch, in arrival order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedBatch {
    pub ratings: Vec<RatingRecord>,
    pub dead_letters: Vec<DeadLetter>,
}

/// Event Hub metadata arrays parallel to the events (absent for `POST /events`).
#[derive(Debug, Default, Clone)]
pub struct BatchOrigin<'a> {
    pub metadata: Option<&'a Value>,
}

impl BatchOrigin<'_> {
    fn origin(&self, index: usize) -> EventOrigin {
        let Some(meta) = self.metadata else {
            return EventOrigin::default();
        };
        let at = |key: &str| meta.get(key).and_then(|a| a.get(index));
        let text = |v: Option<&Value>| {
            v.map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
        };
        EventOrigin {
            partition: text(meta.pointer("/PartitionContext/PartitionId")),
            sequence_number: at("SequenceNumberArray").and_then(Value::as_i64),
            offset: text(at("OffsetArray")),
            enqueued_time: text(at("EnqueuedTimeUtcArray")),
        }
    }
}

/// Parses a batch in any of the accepted shapes. `received_at` stamps dead letters.
pub fn parse_batch(data: &Value, origin: &BatchOrigin, received_at: i64) -> ParsedBatch {
    let batch_key = BatchKey {
        batch: data,
        key: OnceCell::new(),
    };
    let mut out = ParsedBatch::default();
    let items = match unwrap_batch(data) {
        Ok(items) => items,
        Err(reason) => {
            out.dead_letters.push(dead_letter(
                &batch_key,
                0,
                received_at,
                reason,
                raw_text(data),
                EventOrigin::default(),
            ));
            return out;
        }
    };
    for (index, item) in items.iter().enumerate() {
        match parse_event(item) {
            Ok(rating) => out.ratings.push(rating),
            Err(reason) => out.dead_letters.push(dead_letter(
                &batch_key,
                index,
                received_at,
                reason,
                raw_text(item),
                origin.origin(index),
            )),
        }
    }
    out
}

/// The batch's elements: an array's items (borrowed), one object, or what a
/// string decodes to.
fn unwrap_batch(data: &Value) -> Result<Cow<'_, [Value]>, String> {
    match data {
        Value::Array(items) => Ok(Cow::Borrowed(items)),
        Value::Object(_) => Ok(Cow::Borrowed(std::slice::from_ref(data))),
        Value::String(s) => match decode_text(s) {
            Some(inner @ (Value::Array(_) | Value::Object(_))) => {
                unwrap_batch(&inner).map(|c| Cow::Owned(c.into_owned()))
            }
            _ => Err("batch is a string that is neither JSON nor base64 of JSON".into()),
        },
        other => Err(format!(
            "batch is {}, expected an array of events",
            kind(other)
        )),
    }
}

/// JSON text, or base64 of JSON text.
fn decode_text(s: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(s) {
        return Some(v);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn kind(v: &Value) -> &'static str {
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

/// Checks one event and turns it into a rating.
pub fn parse_event(item: &Value) -> Result<RatingRecord, String> {
    let decoded;
    let object = match item {
        Value::Object(map) => map,
        Value::String(s) => match decode_text(s) {
            Some(Value::Object(map)) => {
                decoded = map;
                &decoded
            }
            _ => {
                return Err(
                    "event is a string that is neither a JSON object nor base64 of one".into(),
                )
            }
        },
        other => return Err(format!("event is {}, expected a JSON object", kind(other))),
    };
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.replace('_', "").eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let integer = |name: &str, label: &str| -> Result<i64, String> {
        let v = field(name).ok_or_else(|| format!("missing field {label}"))?;
        v.as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| format!("{label} must be an integer, got {v}"))
    };
    let user = integer("userid", "UserId")?;
    let movie = integer("movieid", "MovieId")?;
    let timestamp = integer("timestamp", "Timestamp")?;
    let rating_value = field("rating").ok_or("missing field Rating")?;
    let rating = rating_value
        .as_f64()
        .ok_or_else(|| format!("Rating must be a number, got {rating_value}"))?;
    if !(1..=i32::MAX as i64).contains(&user) {
        return Err(format!(
            "UserId must be a positive 32-bit integer, got {user}"
        ));
    }
    if !(1..=i32::MAX as i64).contains(&movie) {
        return Err(format!(
            "MovieId must be a positive 32-bit integer, got {movie}"
        ));
    }
    if !(0.5..=5.0).contains(&rating) || (rating * 2.0).fract() != 0.0 {
        return Err(format!(
            "Rating must be 0.5 to 5 in steps of 0.5, got {rating}"
        ));
    }
    if timestamp < 0 {
        return Err(format!(
            "Timestamp must be Unix seconds >= 0, got {timestamp}"
        ));
    }
    Ok(RatingRecord {
        user: user as i32,
        movie: movie as i32,
        rating: rating as f32,
        timestamp,
    })
}

/// The batch's fingerprint, computed only when a dead letter needs it: a
/// clean batch is never serialised again.
struct BatchKey<'a> {
    batch: &'a Value,
    key: OnceCell<String>,
}

impl BatchKey<'_> {
    fn get(&self) -> &str {
        self.key.get_or_init(|| {
            let mut h = DefaultHasher::new();
            self.batch.to_string().hash(&mut h);
            format!("{:016x}", h.finish())
        })
    }
}

/// A dead letter whose id is stable for the same event: the Event Hub partition
/// and sequence number when known, else the batch's fingerprint and position,
/// so a redelivered batch records each bad event once.
fn dead_letter(
    batch_key: &BatchKey,
    index: usize,
    received_at: i64,
    reason: String,
    raw: String,
    origin: EventOrigin,
) -> DeadLetter {
    let id = match (&origin.partition, origin.sequence_number) {
        (Some(p), Some(seq)) => format!("eh-{p}-{seq}"),
        _ => format!("batch-{}-{index}", batch_key.get()),
    };
    DeadLetter {
        id,
        received_at,
        reason,
        raw,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ok(v: Value) -> RatingRecord {
        parse_event(&v).unwrap()
    }

    #[test]
    fn accepts_the_generator_shape_and_other_key_styles() {
        let want = RatingRecord {
            user: 1,
            movie: 31,
            rating: 2.5,
            timestamp: 1523000000,
        };
        assert_eq!(
            ok(json!({"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000})),
            want
        );
        assert_eq!(
            ok(json!({"userId":1,"movieId":31,"rating":2.5,"timestamp":1523000000})),
            want
        );
        assert_eq!(
            ok(json!({"user_id":1,"movie_id":31,"rating":2.5,"timestamp":1523000000})),
            want
        );
    }

    #[test]
    fn rejects_invalid_events_with_a_reason() {
        let cases = [
            (
                json!({"UserId":0,"MovieId":1,"Rating":3,"Timestamp":1}),
                "UserId must be a positive",
            ),
            (
                json!({"UserId":1,"MovieId":1,"Rating":3.3,"Timestamp":1}),
                "steps of 0.5",
            ),
            (
                json!({"UserId":1,"MovieId":1,"Rating":5.5,"Timestamp":1}),
                "0.5 to 5",
            ),
            (
                json!({"UserId":1,"MovieId":1,"Rating":"4","Timestamp":1}),
                "Rating must be a number",
            ),
            (
                json!({"UserId":1,"MovieId":1,"Rating":4}),
                "missing field Timestamp",
            ),
            (
                json!({"UserId":1.5,"MovieId":1,"Rating":4,"Timestamp":1}),
                "UserId must be an integer",
            ),
            (
                json!({"UserId":1,"MovieId":3000000000i64,"Rating":4,"Timestamp":1}),
                "MovieId must be a positive 32-bit",
            ),
            (json!([1, 2]), "expected a JSON object"),
        ];
        for (event, reason) in cases {
            let err = parse_event(&event).unwrap_err();
            assert!(err.contains(reason), "{event}: {err}");
        }
    }

    #[test]
    fn every_batch_encoding_gives_the_same_ratings() {
        let events = json!([{"UserId":1,"MovieId":2,"Rating":4.0,"Timestamp":10},{"UserId":3,"MovieId":4,"Rating":0.5,"Timestamp":11}]);
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let as_strings = Value::Array(
            events
                .as_array()
                .unwrap()
                .iter()
                .map(|e| Value::String(e.to_string()))
                .collect(),
        );
        let as_b64_strings = Value::Array(
            events
                .as_array()
                .unwrap()
                .iter()
                .map(|e| Value::String(b64(&e.to_string())))
                .collect(),
        );
        let shapes = [
            events.clone(),
            Value::String(events.to_string()),
            Value::String(b64(&events.to_string())),
            as_strings,
            as_b64_strings,
        ];
        let want = parse_batch(&events, &BatchOrigin::default(), 0).ratings;
        assert_eq!(want.len(), 2);
        for shape in shapes {
            let got = parse_batch(&shape, &BatchOrigin::default(), 0);
            assert_eq!(got.ratings, want, "{shape}");
            assert!(got.dead_letters.is_empty());
        }
    }

    #[test]
    fn poison_events_are_dead_lettered_with_origin_and_the_rest_kept() {
        let data =
            json!([{"UserId":1,"MovieId":2,"Rating":4.0,"Timestamp":10}, "not json", {"UserId":1}]);
        let meta = json!({
            "PartitionContext": {"PartitionId": "2"},
            "SequenceNumberArray": [100, 101, 102],
            "OffsetArray": ["4096", "4200", "4300"],
            "EnqueuedTimeUtcArray": ["2026-11-26T06:00:00Z", "2026-11-26T06:00:01Z", "2026-11-26T06:00:02Z"]
        });
        let parsed = parse_batch(
            &data,
            &BatchOrigin {
                metadata: Some(&meta),
            },
            99,
        );
        assert_eq!(parsed.ratings.len(), 1);
        assert_eq!(parsed.dead_letters.len(), 2);
        let d = &parsed.dead_letters[0];
        assert_eq!(d.id, "eh-2-101");
        assert_eq!(d.raw, "not json");
        assert_eq!(d.origin.offset.as_deref(), Some("4200"));
        assert_eq!(
            d.origin.enqueued_time.as_deref(),
            Some("2026-11-26T06:00:01Z")
        );
        assert!(parsed.dead_letters[1]
            .reason
            .contains("missing field MovieId"));
    }

    #[test]
    fn an_unreadable_batch_is_kept_whole_as_one_dead_letter() {
        let parsed = parse_batch(&json!("%%% garbage"), &BatchOrigin::default(), 5);
        assert!(parsed.ratings.is_empty());
        assert_eq!(parsed.dead_letters.len(), 1);
        assert_eq!(parsed.dead_letters[0].raw, "%%% garbage");
        let again = parse_batch(&json!("%%% garbage"), &BatchOrigin::default(), 6);
        assert_eq!(
            again.dead_letters[0].id, parsed.dead_letters[0].id,
            "stable id: a redelivery is not a second letter"
        );
    }
}
