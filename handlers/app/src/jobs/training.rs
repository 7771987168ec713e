//! Fitting a version's two models, shared by the retrain's candidate
//! (`super::retrain`) and its A/B arms (`super::arm_models`).

use std::time::Instant;

use movierec_core::als::{train, AlsParams};
use movierec_core::data::{RatingMatrix, Ratings};
use movierec_core::model_files::ModelExtras;

use super::evaluation::ModelMetrics;
use super::retrain_error::RetrainError;
use super::JobCancel;
use crate::models::metrics::metrics_map;
use crate::models::{version_to_files, VersionModels};

/// Trains the ranking and the rating model on `matrix`; returns them with
/// each one's training seconds.
pub(super) fn train_both(
    matrix: &RatingMatrix,
    ranking_params: &AlsParams,
    rating_params: &AlsParams,
    cancel: &JobCancel,
) -> Result<(VersionModels, (f64, f64)), RetrainError> {
    let failed = |model| move |source| RetrainError::Training { model, source };
    let started = Instant::now();
    let ranking = train(matrix, ranking_params, cancel).map_err(failed("ranking"))?;
    let ranking_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rating = train(matrix, rating_params, cancel).map_err(failed("rating"))?;
    let rating_seconds = started.elapsed().as_secs_f64();
    Ok((
        VersionModels {
            ranking,
            rating: Some(rating),
        },
        (ranking_seconds, rating_seconds),
    ))
}

/// Refits both models on all ratings and returns the saved models' files.
pub(super) fn full_model_files(
    ratings: &Ratings,
    ranking_params: &AlsParams,
    rating_params: &AlsParams,
    metrics: ModelMetrics,
    cancel: &JobCancel,
) -> Result<Vec<movierec_store::ModelFile>, RetrainError> {
    let matrix = RatingMatrix::build(ratings);
    let (models, _) = train_both(&matrix, ranking_params, rating_params, cancel)?;
    let extras = ModelExtras {
        metrics: metrics_map(&metrics),
        ..ModelExtras::default()
    };
    version_to_files(&models, &extras).map_err(RetrainError::Files)
}
