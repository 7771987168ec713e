//! Ratings data: what is read from files and how it is indexed.
//!
//! [`Ratings`] is a plain list of `(user id, item id, rating, timestamp)` rows with
//! external ids (any `i32`, Spark's id type). [`IdMap`] turns external ids into
//! dense indices `0..n`, and [`RatingMatrix`] holds the ratings as compressed
//! sparse rows in both directions, which is what the solvers read.

mod idmap;
mod load;
mod matrix;
mod ratings;
mod split;
pub mod synth;

pub use idmap::IdMap;
pub use load::{
    load_ratings, parse_ratings, LoadError, LoadOptions, LoadReport, OnError, RatingsFormat,
    RowError, UnknownName,
};
pub use matrix::{Csr, RatingMatrix};
pub use ratings::{Rating, Ratings};
pub use split::{hash_split, in_hash_holdout, random_split};
