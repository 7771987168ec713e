//! # movierec-generate: the ratings generator
//!
//! What fed the original demo's Event Hub, as a library the
//! `movierec-generate` binary drives: rating events replayed from a ratings
//! file or drawn from a synthetic world, sent at a set rate to stdout, the
//! app's `POST /events` (standalone mode) or an Event Hub.
//!
//! It is its own crate and binary so that the app's binary links no AMQP
//! client and no OpenSSL (`azure_messaging_eventhubs` brings both). It must
//! not depend on the app or reach into the store: what it sends arrives the
//! way production events do, and the only thing it shares with the app is
//! the wire format ([`movierec_wire`]).
//!
//! ## Layout
//! - [`event`]: the events' bytes (valid, and deliberately broken).
//! - [`source`]: where ratings come from (a replayed file, a synthetic world).
//! - [`pace`]: the rate.
//! - [`sink`]: where events go, choosing between stdout, [`http`] (the app's
//!   `POST /events`) and [`eventhub`].
//! - `run`: the loop tying them, with retries, progress and a clean stop; its
//!   figures are a [`Summary`].
//! - [`closed_loop`]: synthetic users who fetch their lists from the app and
//!   rate what they look at (`--closed-loop`).
//! - [`error`]: every error, each keeping its cause.

pub mod closed_loop;
pub mod error;
pub mod event;
pub mod eventhub;
pub mod http;
pub mod pace;
mod progress;
mod run;
pub mod sink;
pub mod source;
mod summary;

pub use error::{report, ConnectError, RunError, SendError};
pub use run::{run, RunOptions};
pub use summary::{Stored, Summary};
