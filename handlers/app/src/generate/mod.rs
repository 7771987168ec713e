//! The ratings generator: what fed the original demo's Event Hub, as a library
//! the `movierec generate` command drives.
//!
//! Owns making rating events ([`event`]), where they come from ([`source`]: a
//! ratings file replayed, or a synthetic world with taste), their pace
//! ([`pace`]), where they go ([`sink`]: stdout, the app's `POST /events`,
//! and [`eventhub`]), and the loop that ties them with retries, progress and
//! a clean stop ([`run`]). It must not reach into the store: what it sends
//! arrives the way production events do.

pub mod event;
#[cfg(feature = "eventhubs")]
pub mod eventhub;
pub mod pace;
mod run;
pub mod sink;
pub mod source;

pub use run::{run, RunOptions, Summary};
