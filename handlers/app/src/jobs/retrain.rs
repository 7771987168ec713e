//! RetrainModel's job: train both models on every stored rating (the ranking
//! model that orders the lists, the rating model that predicts ratings),
//! evaluate them and the serving version on the fixed holdout as they are
//! served ([`super::evaluation`]), record the version with both figures, and
//! promote it only if its lists pass the gate there.
//!
//! Before that, the ranking model's regularisation is chosen on a validation
//! split cut from the training part (`MOVIEREC_RANKING_TUNE`, see
//! `movierec_core::tuning`); the holdout plays no part in the choice.
//!
//! The candidate is evaluated as trained on the training part; a promoted
//! candidate is then refitted on all ratings (same parameters), so the models
//! that serve have seen everything, while their recorded figures stay honest.
//! Its evaluation fit is kept with it, to be scored as the champion next time.
//!
//! An A/B test's arms with parameters of their own are trained after it, on
//! the same split ([`super::arm_models`]).
//!
//! With `MOVIEREC_TRAINER=external` it trains nothing: it imports the newest
//! model folder an external job wrote ([`super::import_model`]).

use std::sync::Arc;
use std::time::Instant;

use movierec_core::als::AlsParams;
use movierec_core::data::{hash_split, Rating, RatingMatrix, Ratings};
use movierec_core::model::AlsModel;
use movierec_core::tuning::tune_reg;
use movierec_store::{ModelRecord, ModelStatus, RatingRecord};
use serde::Serialize;

use super::arm_models::{arms_to_train, evaluate_arms, record_arms, Split};
use super::evaluation::{decide, evaluate, Champion, HashHoldout, ModelMetrics, K, RELEVANT};
pub use super::retrain_error::RetrainError;
pub use super::retrain_report::RetrainReport;
use super::training::{full_model_files, train_both};
use super::{JobCancel, JobOutcome, Skip};
use crate::models::files::{evaluation_to_files, load_evaluation_model};
use crate::models::metrics::reg_trials;
use crate::settings::Trainer;
use crate::state::AppState;

/// Fewer ratings than this is no basis for a model.
pub const MIN_RATINGS: usize = 20;

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

/// The job itself; the runtime (`super::runtime`) runs it under the lease.
pub(super) async fn retrain(
    state: AppState,
    cancel: JobCancel,
) -> Result<JobOutcome<RetrainReport>, RetrainError> {
    if let Trainer::External(source) = &state.settings.trainer {
        return super::import_model::import_newest(&state, source)
            .await
            .map_err(RetrainError::Import);
    }
    let records = state
        .store
        .all_ratings()
        .await
        .map_err(RetrainError::store("reading ratings for training"))?;
    if records.len() < MIN_RATINGS {
        return Ok(JobOutcome::Skipped {
            reason: Skip::TooFewRatings {
                stored: records.len(),
                needed: MIN_RATINGS,
            },
        });
    }
    let settings = state.settings.clone();
    let holdout_spec = HashHoldout {
        fraction: settings.holdout_fraction,
        salt: settings.holdout_seed,
    };
    let champion = Arc::new(champion(&state, holdout_spec).await?);
    let champion_here = champion.clone();

    let training_cancel = cancel.clone();
    let arms = arms_to_train(state.settings.ab_test.as_ref());
    let (metrics, ratings, ranking_params, evaluation_fit, arm_fits) =
        tokio::task::spawn_blocking(move || -> Result<_, RetrainError> {
            let ratings = Arc::new(to_ratings(records));
            let (train_part, holdout) =
                hash_split(&ratings, holdout_spec.fraction, holdout_spec.salt);
            let started = Instant::now();
            let (ranking_params, candidates) = if settings.ranking_tune {
                let tuned = tune_reg(
                    &train_part,
                    &settings.ranking_params,
                    settings.holdout_fraction,
                    settings.holdout_seed.wrapping_add(1),
                    K,
                    RELEVANT,
                    &training_cancel,
                )
                .map_err(RetrainError::Tuning)?;
                (tuned.params, tuned.candidates)
            } else {
                (settings.ranking_params.clone(), Vec::new())
            };
            let tuning_seconds = started.elapsed().as_secs_f64();
            let matrix = RatingMatrix::build(&train_part);
            let (models, seconds) = train_both(
                &matrix,
                &ranking_params,
                &settings.rating_params,
                &training_cancel,
            )?;
            let rating = models
                .rating
                .as_ref()
                .expect("train_both trains a rating model");
            let metrics = ModelMetrics {
                n_ratings: ratings.len(),
                ranking_train_seconds: seconds.0,
                rating_train_seconds: seconds.1,
                tuning_seconds,
                reg_candidates: reg_trials(&candidates),
                holdout: Some(holdout_spec),
                ..evaluate(
                    &train_part,
                    &matrix,
                    &holdout,
                    &models.ranking,
                    rating,
                    champion_here.as_gate(),
                )
            };
            let split = Split {
                train: &train_part,
                matrix: &matrix,
                holdout: &holdout,
            };
            let arm_fits = evaluate_arms(arms, &split, rating, &metrics, &training_cancel)?;
            Ok((metrics, ratings, ranking_params, models.ranking, arm_fits))
        })
        .await
        .map_err(RetrainError::panicked("training"))??;

    let (status, decision) = decide(
        &metrics,
        champion.as_gate(),
        state.settings.promotion_margin,
    );
    let files = if status == ModelStatus::Promoted {
        let rating_params = state.settings.rating_params.clone();
        let ranking_params = ranking_params.clone();
        let extras_metrics = metrics.clone();
        let (ratings, cancel) = (ratings.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || -> Result<_, RetrainError> {
            let mut files = full_model_files(
                &ratings,
                &ranking_params,
                &rating_params,
                extras_metrics,
                &cancel,
            )?;
            files.extend(evaluation_to_files(&evaluation_fit).map_err(RetrainError::Files)?);
            Ok(files)
        })
        .await
        .map_err(RetrainError::panicked("refit on all ratings"))??
    } else {
        Vec::new()
    };
    let version = state
        .store
        .next_model_version()
        .await
        .map_err(RetrainError::store("numbering the version"))?;
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status,
        decision: decision.clone(),
        params: serde_json::to_value(ModelParams {
            ranking: &ranking_params,
            rating: &state.settings.rating_params,
        })
        .expect("parameters are numbers"),
        metrics: metrics.clone(),
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .map_err(RetrainError::store("recording the model version"))?;
    tracing::info!(version, status = status.as_str(), %decision, "retrained");
    let arms = record_arms(&state, arm_fits, &ratings, &cancel).await?;
    if let Err(e) = super::housekeeping::run(&state).await {
        tracing::warn!(error = %format!("{e:#}"), "housekeeping failed; the next retrain tries again");
    }
    Ok(JobOutcome::Done(RetrainReport {
        version,
        status,
        decision,
        metrics,
        arms,
    }))
}

/// The serving version as the gate sees it (owned; [`Champion`] borrows it).
enum ChampionFit {
    None,
    Fit(u64, Box<AlsModel>),
    Incomparable(u64, String),
}

impl ChampionFit {
    fn as_gate(&self) -> Champion<'_> {
        match self {
            ChampionFit::None => Champion::None,
            ChampionFit::Fit(version, model) => Champion::Fit {
                version: *version,
                model,
            },
            ChampionFit::Incomparable(version, why) => Champion::Incomparable {
                version: *version,
                why,
            },
        }
    }
}

/// The promoted version's evaluation fit, if it was fitted on the training
/// part of `holdout` (so it never saw any of its pairs). An unreadable record
/// is an error naming the version, not a champion without figures.
async fn champion(state: &AppState, holdout: HashHoldout) -> Result<ChampionFit, RetrainError> {
    let promoted = state.store.promoted_model().await;
    let Some(current) = promoted.map_err(RetrainError::store("reading the promoted version"))?
    else {
        return Ok(ChampionFit::None);
    };
    let version = current.version;
    let why = match current.metrics.holdout {
        None => "it was not fitted by a retrain on the fixed holdout (imported, or trained elsewhere)",
        Some(h) if h != holdout => "its fit is on another holdout (MOVIEREC_HOLDOUT_FRACTION or MOVIEREC_HOLDOUT_SEED changed since)",
        Some(_) => match load_evaluation_model(state.store.as_ref(), version).await? {
            Some(model) => return Ok(ChampionFit::Fit(version, Box::new(model))),
            None => "it has no evaluation fit in the registry",
        },
    };
    Ok(ChampionFit::Incomparable(version, why.to_string()))
}

/// The parameters of both models, as recorded with a version.
#[derive(Serialize)]
struct ModelParams<'a> {
    ranking: &'a AlsParams,
    rating: &'a AlsParams,
}
