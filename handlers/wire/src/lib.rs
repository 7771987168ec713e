//! # movierec-wire: what crosses the wire between movierec's programs
//!
//! Owns the JSON shapes two programs must agree on, and nothing else:
//! - [`RatingEvent`]: one rating as the original generator writes it to the
//!   Event Hub (and to the app's `POST /events`),
//!   `{"UserId":1,"MovieId":31,"Rating":2.5,"Timestamp":1523000000}`.
//! - [`EventsAnswer`]: what the app's `POST /events` answers.
//!
//! Serde only: no validation (the app checks events, and keeps bad ones as
//! dead letters), no I/O, no knowledge of the store, HTTP or Azure. A change
//! here changes a contract between the generator, the app and anything else
//! that sends events, so keep field names and types stable.

mod answer;
mod rating_event;

pub use answer::EventsAnswer;
pub use rating_event::RatingEvent;
