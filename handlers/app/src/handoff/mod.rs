//! # handoff: training outside the app, and back
//!
//! When the ratings outgrow one instance, an external job trains (the PySpark
//! job in tools/spark/, on Databricks, Synapse, Fabric or `local[*]`). This
//! folder is the app's side of that handoff: [`export`] writes the stored
//! ratings, the catalogue and the app's training parameters ([`params`]) as
//! files the job reads; [`model_folder`] reads a folder the job wrote (two
//! models in Spark's ALSModel layout with movierec's extras) back into a
//! version's models and holdout figures; [`spark_model`] reads one plain
//! ALSModel directory as any Spark writes it (trained anywhere, on data the
//! app never saw), with what its metadata says and what must be assumed;
//! [`blob_models`] finds and downloads a job's folder from a Blob container,
//! where a cloud Spark job writes it.
//!
//! Owns these file layouts. Must not touch the registry's promotion rules or
//! publishing: recording an imported version is `crate::jobs::import_model`'s,
//! through the same gate as an in-process retrain.

#[cfg(feature = "blob")]
pub mod blob_models;
pub mod export;
pub mod model_folder;
mod movies_parquet;
pub mod params;
pub mod ratings_parquet;
pub mod spark_model;
