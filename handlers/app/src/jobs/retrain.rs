//! RetrainModel's job: train on every stored rating, evaluate on a seeded
//! holdout, record the version, and promote it only if its holdout RMSE is no
//! worse than the promoted model's by more than the margin.
//!
//! The candidate is evaluated as trained on the training part; a promoted
//! candidate is then refitted on all ratings (same parameters), so the model
//! that serves has seen everything, while its recorded figures stay honest.

use std::time::Instant;

use anyhow::Context;
use movierec_core::als::{train, AlsParams};
use movierec_core::data::{random_split, Rating, RatingMatrix, Ratings};
use movierec_core::metrics::{ranking_metrics, rating_metrics};
use movierec_core::model_files::ModelExtras;
use movierec_core::NoProgress;
use movierec_store::{ModelRecord, ModelStatus, RatingRecord};
use serde::Serialize;
use serde_json::json;

use super::model_io::model_to_files;
use super::{with_lease, JobOutcome};
use crate::state::AppState;

/// Fewer ratings than this is no basis for a model.
pub const MIN_RATINGS: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetrainReport {
    pub version: u64,
    pub status: ModelStatus,
    pub decision: String,
    pub metrics: serde_json::Value,
}

pub async fn run(state: &AppState) -> anyhow::Result<JobOutcome<RetrainReport>> {
    with_lease(state, "retrain", || retrain(state)).await
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

async fn retrain(state: &AppState) -> anyhow::Result<JobOutcome<RetrainReport>> {
    let records = state
        .store
        .all_ratings()
        .await
        .context("reading ratings for training")?;
    if records.len() < MIN_RATINGS {
        return Ok(JobOutcome::Skipped {
            reason: format!("only {} ratings stored; need {MIN_RATINGS}", records.len()),
        });
    }
    let settings = state.settings.clone();
    let current = state.store.promoted_model().await?;
    let current_rmse = current.as_ref().and_then(|m| m.metrics["rmse"].as_f64());

    let (metrics, candidate) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let ratings = to_ratings(records);
        let (train_part, holdout) =
            random_split(&ratings, settings.holdout_fraction, settings.holdout_seed);
        let started = Instant::now();
        let matrix = RatingMatrix::build(&train_part);
        let model = train(&matrix, &settings.params, &NoProgress)?;
        let train_seconds = started.elapsed().as_secs_f64();
        let rating = rating_metrics(&model, &holdout);
        let ranking = ranking_metrics(&model, &matrix.by_user, &holdout, 10, 4.0);
        let metrics = json!({
            "rmse": rating.rmse, "mae": rating.mae,
            "precision_at_k": ranking.precision, "recall_at_k": ranking.recall,
            "ndcg_at_k": ranking.ndcg, "map_at_k": ranking.map, "k": 10,
            "n_ratings": ratings.len(), "n_train": train_part.len(), "n_holdout": holdout.len(),
            "n_holdout_scored": rating.n_scored, "train_seconds": train_seconds,
        });
        Ok((metrics, (ratings, settings.params.clone())))
    })
    .await??;

    let rmse = metrics["rmse"].as_f64();
    let margin = state.settings.promotion_margin;
    let (status, decision) = match (rmse, current_rmse, &current) {
        (None, _, _) => (
            ModelStatus::Rejected,
            "no holdout rating could be scored".to_string(),
        ),
        (Some(r), Some(c), Some(cur)) if r > c * (1.0 + margin) => (
            ModelStatus::Rejected,
            format!(
                "holdout RMSE {r:.4} is worse than version {}'s {c:.4} by more than {:.1}%",
                cur.version,
                margin * 100.0
            ),
        ),
        (Some(r), Some(c), Some(cur)) => (
            ModelStatus::Promoted,
            format!(
                "holdout RMSE {r:.4} is within {:.1}% of version {}'s {c:.4} or better",
                margin * 100.0,
                cur.version
            ),
        ),
        (Some(r), _, _) => (
            ModelStatus::Promoted,
            format!("first model with a holdout RMSE ({r:.4})"),
        ),
    };

    let files = if status == ModelStatus::Promoted {
        let (ratings, params) = candidate;
        let metrics = metrics.clone();
        tokio::task::spawn_blocking(move || full_model_files(&ratings, &params, metrics)).await??
    } else {
        Vec::new()
    };
    let version = state.store.next_model_version().await?;
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status,
        decision: decision.clone(),
        params: serde_json::to_value(&state.settings.params)?,
        metrics: metrics.clone(),
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .context("recording the model version")?;
    tracing::info!(version, status = status.as_str(), %decision, "retrained");
    Ok(JobOutcome::Done(RetrainReport {
        version,
        status,
        decision,
        metrics,
    }))
}

/// Refits on all ratings and returns the saved model's files.
fn full_model_files(
    ratings: &Ratings,
    params: &AlsParams,
    metrics: serde_json::Value,
) -> anyhow::Result<Vec<movierec_store::ModelFile>> {
    let matrix = RatingMatrix::build(ratings);
    let model = train(&matrix, params, &NoProgress)?;
    let mut extras = ModelExtras::default();
    if let serde_json::Value::Object(map) = metrics {
        extras.metrics = map;
    }
    model_to_files(&model, &extras)
}
