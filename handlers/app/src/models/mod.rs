//! # models: a version's two models, and how they live in the registry
//!
//! A registry version holds a ranking model (implicit ALS: the order of the
//! lists) and a rating model (explicit ALS: the predicted ratings), each as
//! Spark's `ALSModel` files. This folder owns [`VersionModels`], moving them
//! in and out of the store's registry as named byte buffers, and
//! [`RatingVector`] (a user's vector in the rating model), the reasons of a
//! list ([`Reasons`]), the figures a version was promoted on
//! ([`ModelMetrics`]) and which version an A/B arm with parameters of its
//! own serves ([`arms`]). Serving, the dashboard and the
//! jobs use it; it must not know about HTTP, jobs or leases.

pub mod arms;
pub mod files;
pub mod metrics;
mod rating_vector;
pub mod reasons;

pub use files::{load_model_version, version_to_files, LoadError, VersionModels};
pub use metrics::ModelMetrics;
pub use rating_vector::RatingVector;
pub use reasons::Reasons;
