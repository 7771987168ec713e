//! Rating events in the original generator's JSON shape,
//! `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`, and the
//! deliberately bad events that exercise the dead-letter path.

use serde::Serialize;

/// One event as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    /// The user it concerns, when it has one: Event Hubs keeps a user's events
    /// in one partition by it.
    pub user: Option<i32>,
    /// The JSON text sent.
    pub body: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RatingEvent {
    user_id: i32,
    movie_id: i32,
    rating: f32,
    timestamp: i64,
}

/// A valid event. `timestamp` is the send time in Unix seconds, as the original generator did.
pub fn rating_event(user: i32, movie: i32, rating: f32, timestamp: i64) -> OutgoingEvent {
    let body = serde_json::to_string(&RatingEvent {
        user_id: user,
        movie_id: movie,
        rating,
        timestamp,
    })
    .expect("an event serialises");
    OutgoingEvent {
        user: Some(user),
        body,
    }
}

/// The kinds of bad event, sent in turn; each is one the ingest must keep as a
/// dead letter with a reason.
const POISON_KINDS: usize = 4;

/// The `n`th bad event: cut-off JSON, a rating out of range, a missing
/// Timestamp, a negative user id. Each carries `n`, so no two are alike.
pub fn poison_event(n: u64, user: i32, movie: i32, timestamp: i64) -> OutgoingEvent {
    let body = match n as usize % POISON_KINDS {
        0 => format!("{{\"UserId\": {user}, \"MovieId\": {movie}, \"Rating\": 4.0, \"Timestamp\": {timestamp}, \"Poison\": {n}"),
        1 => format!("{{\"UserId\":{user},\"MovieId\":{movie},\"Rating\":{},\"Timestamp\":{timestamp},\"Poison\":{n}}}", 6 + n % 4),
        2 => format!("{{\"UserId\":{user},\"MovieId\":{movie},\"Rating\":3.5,\"Poison\":{n}}}"),
        _ => format!("{{\"UserId\":-{user},\"MovieId\":{movie},\"Rating\":3.5,\"Timestamp\":{timestamp},\"Poison\":{n}}}"),
    };
    OutgoingEvent {
        user: Some(user),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_event;

    #[test]
    fn valid_events_parse_and_poison_never_does() {
        let ok = rating_event(1, 31, 2.5, 1_523_000_000);
        assert_eq!(
            ok.body,
            r#"{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}"#
        );
        let value: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
        assert!(parse_event(&value, 1_800_000_000).is_ok());
        for n in 0..8 {
            let bad = poison_event(n, 7, 9, 1_700_000_000);
            let rejected = match serde_json::from_str::<serde_json::Value>(&bad.body) {
                Err(_) => true,
                Ok(v) => parse_event(&v, 1_800_000_000).is_err(),
            };
            assert!(rejected, "poison {n} was accepted: {}", bad.body);
        }
    }
}
