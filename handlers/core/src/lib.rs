//! # movierec-core: the numeric core of movierec
//!
//! Owns everything that is arithmetic or file format about ratings and models:
//! reading ratings files, the sparse rating matrix, ALS training (explicit with
//! Spark MLlib's semantics, optional biases, implicit feedback), evaluation metrics,
//! top-N recommendation for one or all users, fold-in of new users, and model
//! files in Spark ML's `ALSModel` directory layout.
//!
//! It must not touch storage backends, HTTP, timers or terminals: the app crate
//! owns those and drives this crate through plain values and the [`Progress`]
//! callback. Nothing here spawns threads of its own except through rayon.
//!
//! ## Layout
//! - [`data`]: ratings as read from files ([`data::Ratings`]), id maps, the CSR
//!   [`data::RatingMatrix`], the seeded random split, the synthetic generator.
//! - [`als`]: training parameters, the explicit and implicit solvers, the small
//!   dense solvers (Cholesky, non-negative least squares), fold-in.
//! - [`model`]: [`model::AlsModel`], a trained model with its id maps; predictions.
//! - [`topn`]: blocked top-N over all items with already-rated items left out.
//! - [`metrics`]: RMSE/MAE with cold-start drop, precision/recall/NDCG/MAP at k,
//!   coverage, the most-popular baseline, fold-in (strong generalisation) metrics.
//! - [`tuning`]: the ranking model's regularisation chosen on a validation split.
//! - [`model_files`]: save and load Spark ML's `ALSModel` layout (metadata JSON +
//!   Parquet factors), plus movierec's own extras in a folder Spark ignores.

pub mod als;
pub mod data;
pub mod metrics;
pub mod model;
pub mod model_files;
pub mod progress;
pub mod topn;
pub mod tuning;

pub use progress::{NoProgress, Progress, ProgressEvent};
