//! Rating events as sent: valid ones in the original generator's JSON shape
//! ([`movierec_wire::RatingEvent`]), and the deliberately bad events that
//! exercise the receiving side's dead-letter path.
//!
//! Owns the bytes of each event only; where they go is [`crate::sink`]'s
//! business, and whether they are acceptable is the app's.

use movierec_wire::RatingEvent;

/// One event as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    /// The user it concerns, when it has one: Event Hubs keeps a user's events
    /// in one partition by it.
    pub user: Option<i32>,
    /// The JSON text sent.
    pub body: String,
}

/// Now in Unix seconds: each event's `Timestamp`, as the original generator did.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A valid event. `timestamp` is the send time in Unix seconds, as the original generator did.
pub fn rating_event(user: i32, movie: i32, rating: f32, timestamp: i64) -> OutgoingEvent {
    let body = serde_json::to_string(&RatingEvent {
        user_id: user,
        movie_id: movie,
        rating: same_decimal(rating),
        timestamp,
    })
    .expect("an event serialises");
    OutgoingEvent {
        user: Some(user),
        body,
    }
}

/// The `f64` written with the same shortest decimal as `rating`, so a rating
/// read from a file as `3.3` goes out as `3.3`, not as `f64::from(3.3f32)`
/// (3.299999952316284). Half steps are exact either way.
fn same_decimal(rating: f32) -> f64 {
    rating
        .to_string()
        .parse()
        .unwrap_or_else(|_| f64::from(rating))
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

    /// Whether the app itself (its parser, a dev-dependency) takes `body` as a rating.
    fn acceptable(body: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(body)
            .is_ok_and(|v| movierec::events::parse_event(&v, 1_800_000_000).is_ok())
    }

    #[test]
    fn valid_events_have_the_original_shape_and_poison_never_passes() {
        let ok = rating_event(1, 31, 2.5, 1_523_000_000);
        assert_eq!(
            ok.body,
            r#"{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}"#
        );
        assert!(acceptable(&ok.body));
        for n in 0..8 {
            let bad = poison_event(n, 7, 9, 1_700_000_000);
            assert!(!acceptable(&bad.body), "poison {n} passes: {}", bad.body);
        }
    }

    #[test]
    fn a_rating_keeps_its_decimal() {
        assert!(rating_event(1, 2, 3.3, 0).body.contains(r#""Rating":3.3,"#));
        assert!(rating_event(1, 2, 4.0, 0).body.contains(r#""Rating":4.0,"#));
    }
}
