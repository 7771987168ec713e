//! RetrainModel's job: train both models on every stored rating (the ranking
//! model that orders the lists, the rating model that predicts ratings),
//! evaluate them on a seeded holdout as they are served ([`super::evaluation`]),
//! record the version, and promote it only if its lists pass the gate there.
//!
//! Before that, the ranking model's regularisation is chosen on a validation
//! split cut from the training part (`MOVIEREC_RANKING_TUNE`, see
//! `movierec_core::tuning`); the holdout plays no part in the choice.
//!
//! The candidate is evaluated as trained on the training part; a promoted
//! candidate is then refitted on all ratings (same parameters), so the models
//! that serve have seen everything, while their recorded figures stay honest.
//!
//! With `MOVIEREC_TRAINER=external` it trains nothing: it imports the newest
//! model folder an external job wrote ([`super::import_model`]).

use std::time::Instant;

use anyhow::Context;
use movierec_core::als::{train, AlsParams};
use movierec_core::data::{random_split, Rating, RatingMatrix, Ratings};
use movierec_core::model_files::ModelExtras;
use movierec_core::tuning::tune_reg;
use movierec_core::NoProgress;
use movierec_store::{ModelRecord, ModelStatus, RatingRecord};
use serde::Serialize;

use super::evaluation::{decide, evaluate, ModelMetrics, K, RELEVANT};
use super::{with_lease, JobOutcome, Skip};
use crate::models::{version_to_files, VersionModels};
use crate::settings::Trainer;
use crate::state::AppState;

/// Fewer ratings than this is no basis for a model.
pub const MIN_RATINGS: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetrainReport {
    pub version: u64,
    pub status: ModelStatus,
    pub decision: String,
    pub metrics: ModelMetrics,
}

impl std::fmt::Display for RetrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (version, status) = (self.version, self.status.as_str());
        write!(f, "model version {version} {status}: {}", self.decision)
    }
}

impl super::Report for RetrainReport {
    const JOB: &'static str = "retrain";
}

pub async fn run(state: &AppState) -> anyhow::Result<JobOutcome<RetrainReport>> {
    with_lease(state, "retrain", retrain).await
}

fn to_ratings(records: Vec<RatingRecord>) -> Ratings {
    Ratings::new(
        records
            .into_iter()
            .map(|r| Rating {
                user: r.user,
                item: r.movie,
                rating: r.rating,
                timestamp: Some(r.timestamp),
            })
            .collect(),
    )
}

async fn retrain(state: AppState) -> anyhow::Result<JobOutcome<RetrainReport>> {
    if let Trainer::External(source) = &state.settings.trainer {
        return super::import_model::import_newest(&state, source).await;
    }
    let records = state
        .store
        .all_ratings()
        .await
        .context("reading ratings for training")?;
    if records.len() < MIN_RATINGS {
        return Ok(JobOutcome::Skipped {
            reason: Skip::TooFewRatings {
                stored: records.len(),
                needed: MIN_RATINGS,
            },
        });
    }
    let settings = state.settings.clone();
    let current = state.store.promoted_model().await?;

    let (metrics, ratings, ranking_params) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let ratings = to_ratings(records);
            let (train_part, holdout) =
                random_split(&ratings, settings.holdout_fraction, settings.holdout_seed);
            let started = Instant::now();
            let (ranking_params, candidates) = if settings.ranking_tune {
                let tuned = tune_reg(
                    &train_part,
                    &settings.ranking_params,
                    settings.holdout_fraction,
                    settings.holdout_seed.wrapping_add(1),
                    K,
                    RELEVANT,
                )
                .context("tuning the ranking model")?;
                (tuned.params, tuned.candidates)
            } else {
                (settings.ranking_params.clone(), Vec::new())
            };
            let tuning_seconds = started.elapsed().as_secs_f64();
            let matrix = RatingMatrix::build(&train_part);
            let (models, seconds) = train_both(&matrix, &ranking_params, &settings.rating_params)?;
            let rating = models
                .rating
                .as_ref()
                .expect("train_both trains a rating model");
            let metrics = ModelMetrics {
                n_ratings: ratings.len(),
                ranking_train_seconds: seconds.0,
                rating_train_seconds: seconds.1,
                tuning_seconds,
                reg_candidates: candidates,
                ..evaluate(&matrix, &holdout, &models.ranking, rating)
            };
            Ok((metrics, ratings, ranking_params))
        })
        .await??;

    let promoted = current
        .as_ref()
        .map(|c| (c.version, ModelMetrics::from_value(&c.metrics)));
    let (status, decision) = decide(
        &metrics,
        promoted.as_ref().map(|(v, m)| (*v, m)),
        state.settings.promotion_margin,
    );
    let metrics_value = serde_json::to_value(&metrics)?;
    let files = if status == ModelStatus::Promoted {
        let rating_params = state.settings.rating_params.clone();
        let ranking_params = ranking_params.clone();
        let extras_metrics = metrics_value.clone();
        tokio::task::spawn_blocking(move || {
            full_model_files(&ratings, &ranking_params, &rating_params, extras_metrics)
        })
        .await??
    } else {
        Vec::new()
    };
    let version = state.store.next_model_version().await?;
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status,
        decision: decision.clone(),
        params: serde_json::to_value(ModelParams {
            ranking: &ranking_params,
            rating: &state.settings.rating_params,
        })?,
        metrics: metrics_value,
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .context("recording the model version")?;
    tracing::info!(version, status = status.as_str(), %decision, "retrained");
    if let Err(e) = super::housekeeping::run(&state).await {
        tracing::warn!(error = %format!("{e:#}"), "housekeeping failed; the next retrain tries again");
    }
    Ok(JobOutcome::Done(RetrainReport {
        version,
        status,
        decision,
        metrics,
    }))
}

/// The parameters of both models, as recorded with a version.
#[derive(Serialize)]
struct ModelParams<'a> {
    ranking: &'a AlsParams,
    rating: &'a AlsParams,
}

/// Trains the ranking and the rating model on `matrix`; returns them with
/// each one's training seconds.
fn train_both(
    matrix: &RatingMatrix,
    ranking_params: &AlsParams,
    rating_params: &AlsParams,
) -> anyhow::Result<(VersionModels, (f64, f64))> {
    let started = Instant::now();
    let ranking = train(matrix, ranking_params, &NoProgress).context("the ranking model")?;
    let ranking_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rating = train(matrix, rating_params, &NoProgress).context("the rating model")?;
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
fn full_model_files(
    ratings: &Ratings,
    ranking_params: &AlsParams,
    rating_params: &AlsParams,
    metrics: serde_json::Value,
) -> anyhow::Result<Vec<movierec_store::ModelFile>> {
    let matrix = RatingMatrix::build(ratings);
    let (models, _) = train_both(&matrix, ranking_params, rating_params)?;
    let mut extras = ModelExtras::default();
    if let serde_json::Value::Object(map) = metrics {
        extras.metrics = map;
    }
    version_to_files(&models, &extras)
}
