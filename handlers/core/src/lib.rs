//! # movierec-core: the numeric core of movierec
//!
//! Owns everything that is arithmetic or file format about ratings and models:
//! reading ratings files, the sparse rating matrix, ALS training (explicit with
//! Spark MLlib's semantics, optional biases, implicit feedback), evaluation metrics,
//! top-N recommendation for one or all users, fold-in of new users, and model
//! files in Spark ML's `ALSModel` layout, in memory or in a directory.
//!
//! It must not touch storage backends, HTTP, timers or terminals: the app crate
//! owns those and drives this crate through plain values and the [`Progress`]
//! callback. Nothing here spawns threads of its own except through rayon.
//!
//! ## Layout
//! Dependencies go one way, down this list (no module depends on one above it):
//! - [`tuning`]: the ranking model's regularisation chosen on a validation split.
//! - [`holdout`]: several models' lists scored on one holdout as they are
//!   served (users a model does not know folded in): the promotion gate's
//!   champion against challenger.
//! - [`als`]: training: the loop, the explicit and implicit sweeps over all
//!   rows. Re-exports the parameter, error
//!   and layout types under `als::`, the path the app names them by.
//! - [`metrics`]: RMSE/MAE with cold-start drop, precision/recall/NDCG/MAP at k,
//!   coverage, the most-popular baseline, fold-in (strong generalisation) metrics.
//! - [`model_files`]: save and load Spark ML's `ALSModel` layout (metadata JSON +
//!   Parquet factors, plus movierec's own extras in a folder Spark ignores), in
//!   memory ([`model_files::ModelFiles`]) or in a directory.
//! - [`topn`]: top-N over all items with already-rated items left out, scored
//!   in cache-sized blocks straight into each user's running list.
//! - [`model`]: [`model::AlsModel`], a fitted model with its id maps;
//!   predictions; fold-in of a new user and the closed-form row solves that
//!   training shares; the factor vector layouts.
//! - `params` (private; [`als::AlsParams`]): the knobs, their defaults and validation.
//! - `linalg` (private): the explicit row's Gram matrix and `f32` Cholesky
//!   (AVX2/FMA register tiles), the vector loops, `f64` Cholesky and NNLS.
//! - [`data`]: ratings as read from files ([`data::Ratings`]), id maps, the CSR
//!   [`data::RatingMatrix`], the seeded random split, the synthetic generator.
//! - [`progress`]: the [`Progress`] callback.

pub mod als;
pub mod data;
pub mod holdout;
mod linalg;
pub mod metrics;
pub mod model;
pub mod model_files;
mod params;
pub mod progress;
pub mod topn;
pub mod tuning;

pub use progress::{NoProgress, Progress, ProgressEvent};
