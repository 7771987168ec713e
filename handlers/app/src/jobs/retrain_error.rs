//! [`RetrainError`]: how a retrain (or folding new movies into a version)
//! failed. Its own file so that the retrain and `new_movies.rs` share it
//! without importing each other. Owns the error only.

use movierec_core::als::{AlsError, SolveError};
use movierec_core::model_files::ModelFileError;
use movierec_store::StoreError;

use super::import_error::ImportError;
use crate::models::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    #[error("{step}")]
    Store {
        /// What it was doing, e.g. "reading ratings for training".
        step: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("tuning the ranking model")]
    Tuning(#[source] AlsError),
    #[error("training the {model} model")]
    Training {
        model: &'static str,
        #[source]
        source: AlsError,
    },
    #[error("folding in movie {movie}")]
    FoldIn {
        movie: i32,
        #[source]
        source: SolveError,
    },
    /// A version's models (the champion's evaluation fit, or the parent's) do not load.
    #[error(transparent)]
    Model(#[from] LoadError),
    #[error("saving the models as files")]
    Files(#[source] ModelFileError),
    #[error("the {what} panicked")]
    Panicked {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    /// External mode: importing the newest model folder failed.
    #[error(transparent)]
    Import(ImportError),
}

impl RetrainError {
    /// A store failure while `step`.
    pub fn store(step: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |source| RetrainError::Store { step, source }
    }

    /// A blocking task that panicked while `what`.
    pub fn panicked(what: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| RetrainError::Panicked { what, source }
    }
}

impl RetrainError {
    /// Whether the store failed under it (trying again later can succeed).
    pub fn is_store(&self) -> bool {
        match self {
            RetrainError::Store { .. } | RetrainError::Model(LoadError::Store(_)) => true,
            RetrainError::Import(e) => e.is_store(),
            _ => false,
        }
    }
}
