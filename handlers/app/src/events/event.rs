//! One rating event, `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`,
//! checked field by field. An event in exactly the generator's shape is read
//! as the shared [`movierec_wire::RatingEvent`]; any other object is read
//! tolerantly: keys are matched without regard to case or underscores
//! (`UserId`, `userId`, `user_id`) and whole numbers written as `1.0` pass.
//! Either way the same checks give the same reasons.

use movierec_store::RatingRecord;
use movierec_wire::RatingEvent;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::EventError;
use super::{decode_text, kind};

/// How far ahead of the receiving clock a `Timestamp` may be: clocks drift,
/// but a rating from tomorrow would win against every real event ("newest
/// wins") and pin the rating forever.
pub const MAX_FUTURE_SECONDS: i64 = 24 * 3600;

/// An event's fields before their ranges are checked.
struct Fields {
    user: i64,
    movie: i64,
    rating: f64,
    timestamp: i64,
}

impl From<RatingEvent> for Fields {
    fn from(e: RatingEvent) -> Self {
        Fields {
            user: e.user_id.into(),
            movie: e.movie_id.into(),
            rating: e.rating,
            timestamp: e.timestamp,
        }
    }
}

/// Checks one event and turns it into a rating; `now` (Unix seconds) bounds
/// the timestamp.
pub fn parse_event(item: &Value, now: i64) -> Result<RatingRecord, EventError> {
    let decoded;
    let object = match item {
        Value::Object(map) => map,
        Value::String(s) => match decode_text(s) {
            Some(Value::Object(map)) => {
                decoded = map;
                &decoded
            }
            _ => return Err(EventError::UnreadableString),
        },
        other => return Err(EventError::NotAnObject(kind(other))),
    };
    let fields = match well_formed(object) {
        Some(exact) => Fields::from(exact),
        None => tolerant_fields(object)?,
    };
    check(fields, now)
}

/// The event when it is exactly the generator's shape: the four keys as
/// written, ids that fit an `i32`, an integer timestamp. Anything else
/// (another key style, an extra key, `1.0` for an id) is left to
/// [`tolerant_fields`].
fn well_formed(object: &Map<String, Value>) -> Option<RatingEvent> {
    if object.len() != 4 {
        return None;
    }
    RatingEvent::deserialize(object).ok()
}

/// The fields of any object, keys matched without regard to case or
/// underscores; the first missing or mistyped field is the reason.
fn tolerant_fields(object: &Map<String, Value>) -> Result<Fields, EventError> {
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.replace('_', "").eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let integer = |name: &str, label: &'static str| -> Result<i64, EventError> {
        let v = field(name).ok_or(EventError::MissingField(label))?;
        v.as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| EventError::NotAnInteger {
                field: label,
                value: v.to_string(),
            })
    };
    let user = integer("userid", "UserId")?;
    let movie = integer("movieid", "MovieId")?;
    let timestamp = integer("timestamp", "Timestamp")?;
    let rating_value = field("rating").ok_or(EventError::MissingField("Rating"))?;
    let rating = rating_value
        .as_f64()
        .ok_or_else(|| EventError::RatingNotANumber(rating_value.to_string()))?;
    Ok(Fields {
        user,
        movie,
        rating,
        timestamp,
    })
}

/// The ranges: positive 32-bit ids, a rating in half steps, a timestamp
/// neither negative nor in the future.
fn check(fields: Fields, now: i64) -> Result<RatingRecord, EventError> {
    let Fields {
        user,
        movie,
        rating,
        timestamp,
    } = fields;
    for (field, value) in [("UserId", user), ("MovieId", movie)] {
        if !(1..=i32::MAX as i64).contains(&value) {
            return Err(EventError::IdOutOfRange { field, value });
        }
    }
    if !(0.5..=5.0).contains(&rating) || (rating * 2.0).fract() != 0.0 {
        return Err(EventError::RatingOutOfRange(rating));
    }
    check_timestamp(timestamp, now)?;
    Ok(RatingRecord {
        user: user as i32,
        movie: movie as i32,
        rating: rating as f32,
        timestamp,
    })
}

fn check_timestamp(timestamp: i64, now: i64) -> Result<(), EventError> {
    if timestamp < 0 {
        return Err(EventError::NegativeTimestamp(timestamp));
    }
    let latest = now.saturating_add(MAX_FUTURE_SECONDS);
    if timestamp > latest {
        return Err(EventError::FutureTimestamp {
            timestamp,
            now,
            looks_like_milliseconds: timestamp / 1000 <= latest,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_764_000_000;

    fn ok(v: Value) -> RatingRecord {
        parse_event(&v, NOW).unwrap()
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
    fn the_exact_shape_and_the_tolerant_reading_agree() {
        let events = [
            json!({"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}),
            json!({"UserId":1,"MovieId":31,"Rating":4,"Timestamp":1523000000}),
            json!({"UserId":-3,"MovieId":31,"Rating":2.5,"Timestamp":1}),
            json!({"UserId":1,"MovieId":0,"Rating":2.5,"Timestamp":1}),
            json!({"UserId":1,"MovieId":31,"Rating":4.50000000001,"Timestamp":1}),
            json!({"UserId":1,"MovieId":31,"Rating":9,"Timestamp":1}),
            json!({"UserId":1,"MovieId":31,"Rating":3,"Timestamp":-1}),
            json!({"UserId":1,"MovieId":31,"Rating":3,"Timestamp":NOW * 1000}),
            json!({"UserId":1.0,"MovieId":31,"Rating":3,"Timestamp":1}),
            json!({"UserId":1,"MovieId":31,"Rating":3,"Timestamp":1.5}),
        ];
        for exact in events {
            let mut extra = exact.clone();
            extra["Poison"] = json!(1);
            assert_eq!(
                parse_event(&exact, NOW),
                parse_event(&extra, NOW),
                "{exact}"
            );
        }
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
            let err = parse_event(&event, NOW).unwrap_err().to_string();
            assert!(err.contains(reason), "{event}: {err}");
        }
    }

    #[test]
    fn future_and_millisecond_timestamps_are_rejected_and_today_is_not() {
        let at = |ts: i64| json!({"UserId":1,"MovieId":1,"Rating":4,"Timestamp":ts});
        assert_eq!(
            ok(at(NOW + MAX_FUTURE_SECONDS)).timestamp,
            NOW + MAX_FUTURE_SECONDS
        );
        let err = parse_event(&at(NOW * 1000), NOW).unwrap_err().to_string();
        assert!(
            err.contains("more than a day") && err.contains("milliseconds"),
            "{err}"
        );
        let err = parse_event(&at(i64::MAX), NOW).unwrap_err().to_string();
        assert!(
            err.contains("more than a day") && !err.contains("milliseconds"),
            "{err}"
        );
    }
}
