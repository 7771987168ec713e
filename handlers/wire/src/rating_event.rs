//! One rating event in the original generator's shape,
//! `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`.
//!
//! Owns the field names and their JSON types only. Whether an event is
//! acceptable (positive ids, ratings in half steps, a timestamp not in the
//! future) is the receiving app's decision, not this type's.

use serde::{Deserialize, Serialize};

/// One rating as sent. The field names are PascalCase on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RatingEvent {
    /// `UserId`.
    pub user_id: i32,
    /// `MovieId`.
    pub movie_id: i32,
    /// `Rating`: a JSON number; MovieLens ratings go 0.5 to 5 in steps of 0.5.
    pub rating: f64,
    /// `Timestamp`: Unix seconds (the original generator sent the send time).
    pub timestamp: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_generators_shape_round_trips() {
        let text = r#"{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}"#;
        let event: RatingEvent = serde_json::from_str(text).unwrap();
        assert_eq!(
            event,
            RatingEvent {
                user_id: 1,
                movie_id: 31,
                rating: 2.5,
                timestamp: 1_523_000_000,
            }
        );
        assert_eq!(serde_json::to_string(&event).unwrap(), text);
    }

    #[test]
    fn a_whole_rating_is_written_as_a_json_number_with_a_point() {
        let event = RatingEvent {
            user_id: 7,
            movie_id: 9,
            rating: 4.0,
            timestamp: 0,
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"UserId":7,"MovieId":9,"Rating":4.0,"Timestamp":0}"#
        );
    }
}
