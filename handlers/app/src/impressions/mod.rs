//! What the app served, and what users then did with it.
//!
//! - [`recorder`]: each `GET /recommendations` answer, sampled
//!   (MOVIEREC_IMPRESSIONS_SAMPLE), becomes a `ServedList` (user, movies in
//!   order, model version, source, arm, time) that a background task writes
//!   to the store in batches; the GET never waits on the store for it.
//! - [`online`]: "served, then liked": per model version, list source and
//!   arm, the share of served movies that their user rated 4 or more within
//!   MOVIEREC_LIKED_WITHIN_MINUTES after they were served, with a 95%
//!   interval; for an A/B test, each arm's total and the winner by a stated
//!   rule ([`online::WINNER_RULE`]);
//! - [`liked`]: what counts as liked, and a share's interval;
//! - [`timeline`]: the same figure by when the pairs were served, per arm
//!   (or source), for the dashboard's chart.
//!
//! Owns the impression's shape as the app fills it, the sampling, the writer
//! and the online figure. Must not decide what a list holds
//! (`crate::serving`), answer HTTP (`crate::http`) or prune
//! (`crate::jobs::housekeeping` deletes impressions past their retention).

pub mod liked;
pub mod online;
pub mod recorder;
pub mod timeline;

pub use online::{served_then_liked, verdict, AbVerdict, OnlineFigure, OnlineFigures};
pub use recorder::Recorder;
pub use timeline::Timeline;
