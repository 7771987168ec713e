//! Why an event, or a whole batch, cannot be stored: each reason is kept on
//! its dead letter as the text these errors display.

/// Why one event is not a rating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("event is a string that is neither a JSON object nor base64 of one")]
    UnreadableString,
    #[error("event is {0}, expected a JSON object")]
    NotAnObject(&'static str),
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("{field} must be an integer, got {value}")]
    NotAnInteger { field: &'static str, value: String },
    #[error("Rating must be a number, got {0}")]
    RatingNotANumber(String),
    #[error("{field} must be a positive 32-bit integer, got {value}")]
    IdOutOfRange { field: &'static str, value: i64 },
    #[error("Rating must be 0.5 to 5 in steps of 0.5, got {0}")]
    RatingOutOfRange(f64),
    #[error("Timestamp must be Unix seconds >= 0, got {0}")]
    NegativeTimestamp(i64),
    #[error(
        "Timestamp {timestamp} is more than a day after the time it was received ({now}){}",
        if *.looks_like_milliseconds { " (it looks like milliseconds: send Unix seconds)" } else { "" }
    )]
    FutureTimestamp {
        timestamp: i64,
        now: i64,
        /// A millisecond stamp of today is about 1000 times now.
        looks_like_milliseconds: bool,
    },
}

/// Why a batch holds no events to read one by one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("batch is a string that is neither JSON nor base64 of JSON")]
    UnreadableString,
    #[error("batch is {0}, expected an array of events")]
    NotAnArray(&'static str),
}
