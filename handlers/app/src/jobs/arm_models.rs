//! The retrain's A/B arms with parameters of their own (MOVIEREC_AB_TEST's
//! `rank16(rank=16,reg=0.05):1`): each is trained beside the candidate, on the
//! same ratings and the same split, measured on the same holdout as served
//! (its offline figures are what the dashboard sets beside its online ones),
//! refitted on all ratings, recorded as a `challenger` version with its files,
//! and named by the arm's marker (`crate::models::arms`), which GETs in the arm
//! read. An arm is trained as written: no regularisation tuning, and never
//! promoted: calling the test, then setting MOVIEREC_RANKING_* to the winner's
//! parameters, is a person's decision. Housekeeping keeps the files of each
//! arm's marked and newest few versions and deletes older ones.

use std::sync::Arc;
use std::time::Instant;

use movierec_core::als::{train, AlsParams};
use movierec_core::data::{RatingMatrix, Ratings};
use movierec_core::model::AlsModel;
use movierec_store::{ModelRecord, ModelStatus};
use serde::{Deserialize, Serialize};

use super::evaluation::{evaluate, Champion, ModelMetrics};
use super::retrain_error::RetrainError;
use super::retrain_report::ArmVersion;
use super::training::full_model_files;
use super::JobCancel;
use crate::models::arms::set_arm_version;
use crate::settings::{AbTest, ArmParams};
use crate::state::AppState;

/// An arm's fit on the training part, measured.
pub(super) struct ArmFit {
    name: String,
    params: ArmParams,
    metrics: ModelMetrics,
}

/// The arms of `test` that a retrain trains, with their parameters.
pub(super) fn arms_to_train(test: Option<&AbTest>) -> Vec<(String, ArmParams)> {
    test.map_or_else(Vec::new, |test| {
        test.params_arms()
            .map(|(name, params)| (name.to_string(), params.clone()))
            .collect()
    })
}

/// The holdout split the candidate was measured on.
pub(super) struct Split<'a> {
    pub train: &'a Ratings,
    pub matrix: &'a RatingMatrix,
    pub holdout: &'a Ratings,
}

/// Fits each arm's ranking model on the training part and measures it as the
/// candidate was. The rating model is the candidate's (`rating`): an arm sets
/// ranking parameters only, so its own would be the same fit. `candidate`
/// gives the figures that describe the data rather than the model.
pub(super) fn evaluate_arms(
    arms: Vec<(String, ArmParams)>,
    split: &Split,
    rating: &AlsModel,
    candidate: &ModelMetrics,
    cancel: &JobCancel,
) -> Result<Vec<ArmFit>, RetrainError> {
    arms.into_iter()
        .map(|(name, params)| {
            let started = Instant::now();
            let ranking = train(split.matrix, &params.ranking, cancel).map_err(|source| {
                RetrainError::Training {
                    model: "A/B arm's ranking",
                    source,
                }
            })?;
            let metrics = ModelMetrics {
                n_ratings: candidate.n_ratings,
                ranking_train_seconds: started.elapsed().as_secs_f64(),
                rating_train_seconds: candidate.rating_train_seconds,
                holdout: candidate.holdout,
                ..evaluate(
                    split.train,
                    split.matrix,
                    split.holdout,
                    &ranking,
                    rating,
                    Champion::None,
                )
            };
            Ok(ArmFit {
                name,
                params,
                metrics,
            })
        })
        .collect()
}

/// The arm a challenger version was trained for, from its recorded
/// parameters.
pub(super) fn arm_of(record: &ModelRecord) -> Option<String> {
    #[derive(Deserialize)]
    struct Arm {
        arm: String,
    }
    (record.status == ModelStatus::Challenger)
        .then(|| serde_json::from_value::<Arm>(record.params.clone()).ok())
        .flatten()
        .map(|recorded| recorded.arm)
}

/// How an arm's version was trained, as recorded with it.
#[derive(Serialize)]
struct ArmModelParams<'a> {
    arm: &'a str,
    written: &'a str,
    ranking: &'a AlsParams,
    rating: &'a AlsParams,
}

/// Refits each arm on all ratings, records it as a challenger version and
/// points the arm's marker at it.
pub(super) async fn record_arms(
    state: &AppState,
    fits: Vec<ArmFit>,
    ratings: &Arc<Ratings>,
    cancel: &JobCancel,
) -> Result<Vec<ArmVersion>, RetrainError> {
    let mut recorded = Vec::with_capacity(fits.len());
    for fit in fits {
        let files = {
            let (ratings, cancel) = (ratings.clone(), cancel.clone());
            let ranking = fit.params.ranking.clone();
            let rating = state.settings.rating_params.clone();
            let metrics = fit.metrics.clone();
            tokio::task::spawn_blocking(move || {
                full_model_files(&ratings, &ranking, &rating, metrics, &cancel)
            })
            .await
            .map_err(RetrainError::panicked("refitting an A/B arm"))??
        };
        let version = state
            .store
            .next_model_version()
            .await
            .map_err(RetrainError::store("numbering an A/B arm's version"))?;
        let record = ModelRecord {
            version,
            created_at: chrono::Utc::now().timestamp(),
            status: ModelStatus::Challenger,
            decision: format!(
                "A/B arm {}: trained with its own ranking parameters ({}); served to that arm only, never promoted",
                fit.name, fit.params.written
            ),
            params: serde_json::to_value(ArmModelParams {
                arm: &fit.name,
                written: &fit.params.written,
                ranking: &fit.params.ranking,
                rating: &state.settings.rating_params,
            })
            .expect("parameters are numbers and names"),
            metrics: fit.metrics.clone(),
        };
        let store = state.store.as_ref();
        store
            .record_model(&record, &files)
            .await
            .map_err(RetrainError::store("recording an A/B arm's version"))?;
        set_arm_version(store, &fit.name, version)
            .await
            .map_err(RetrainError::store("pointing an A/B arm at its version"))?;
        tracing::info!(version, arm = %fit.name, "trained an A/B arm");
        recorded.push(ArmVersion {
            arm: fit.name,
            version,
            ndcg_at_k: fit.metrics.lists.ndcg_at_k,
        });
    }
    Ok(recorded)
}
