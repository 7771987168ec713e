//! Recording a plain Spark `ALSModel` (a directory Spark's
//! `model.write().save(DIR)` wrote, [`crate::handoff::spark_model`]) at the
//! operator's word: given to `movierec model import DIR`, or placed under
//! `MOVIEREC_EXTERNAL_MODELS` for RetrainModel's external mode
//! ([`super::import_model`]), which records it the same way.
//!
//! Spark's metadata does not record implicitPrefs: unless stated
//! (`--explicit` / `--implicit`), it is inferred from the stored ratings the
//! model knows ([`spark_model::infer_kind`]), the decision says so and with
//! which figures, and a model the figures do not settle is refused before
//! anything is recorded.
//!
//! Such a model was trained outside movierec on data the app never saw,
//! most likely on every rating it stores, so no holdout can be cut for it:
//! anything measured on the stored ratings is a seen-data figure. It is
//! recorded honestly: promoted because the operator asked for it, not by the
//! gate; its list figures are left empty (so it never stands as the bar the
//! next version must clear: that one is gated against the most-popular list
//! only); what can be measured on the stored ratings ([`SeenFigures`]: how
//! many stored users and movies it knows, its fit error if explicit) is kept
//! beside the figures under `seen_data` and said in the decision. The
//! catalogue coverage of its lists is measured as for any version.
//!
//! The model serves the lists; an explicit one also the predicted ratings.
//! Owns these figures, the decision's words and the record; the gate and the
//! holdout protocol are [`super::evaluation`]'s.

use movierec_core::data::{Rating, RatingMatrix, Ratings};
use movierec_core::metrics::{catalogue_coverage, rating_metrics, RatingMetrics};
use movierec_core::model_files::{ModelExtras, ModelFileError};
use movierec_store::{ModelRecord, ModelStatus, RatingRecord};

use super::import_error::ImportError;
use super::retrain_report::RetrainReport;
use crate::handoff::spark_model::{self, PlainModel, Stated};
use crate::models::metrics::{metrics_map, SeenFigures, K};
use crate::models::{version_to_files, ModelMetrics, VersionModels};
use crate::state::AppState;

/// How the operator asked for a plain model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// `movierec model import DIR`.
    Command,
    /// Placed under MOVIEREC_EXTERNAL_MODELS, taken by RetrainModel's external mode.
    ExternalMode,
}

/// Reads the plain model in `dir` (implicit or explicit as stated, else
/// inferred from the stored ratings), measures it on the stored ratings and
/// records it as promoted (under the caller's lease). Nothing is recorded
/// when it is refused.
pub(super) async fn import(
    state: &AppState,
    dir: &std::path::Path,
    stated: Stated,
    via: Via,
) -> Result<RetrainReport, ImportError> {
    let records = state.store.all_ratings().await.map_err(ImportError::store(
        "reading the stored ratings to measure the imported model",
    ))?;
    let source = dir.to_path_buf();
    let (plain, records) = tokio::task::spawn_blocking(move || {
        spark_model::read(&source, &stated, &records).map(|plain| (plain, records))
    })
    .await??;
    let models = plain.models();
    let (models, seen) = tokio::task::spawn_blocking(move || {
        let seen = measure(&models, &records);
        (models, seen)
    })
    .await?;
    check_ids(&plain, &seen)?;
    let metrics = model_metrics(&seen);
    let files = version_files(&models, &plain, &metrics)?;
    let version = state
        .store
        .next_model_version()
        .await
        .map_err(ImportError::store("numbering the imported model version"))?;
    let decision = decision(&plain, &seen, via);
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status: ModelStatus::Promoted,
        decision: decision.clone(),
        params: plain.params_record(),
        metrics: metrics.clone(),
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .map_err(ImportError::store("recording the imported model version"))?;
    tracing::info!(version, %decision, "imported a plain Spark ALSModel");
    Ok(RetrainReport {
        version,
        status: ModelStatus::Promoted,
        decision,
        metrics,
        arms: Vec::new(),
    })
}

/// The stored ratings as the core's metrics read them.
fn to_ratings(records: &[RatingRecord]) -> Ratings {
    Ratings::new(
        records
            .iter()
            .map(|r| Rating {
                user: r.user,
                item: r.movie,
                rating: r.rating,
                timestamp: Some(r.timestamp),
            })
            .collect(),
    )
}

/// What can be measured of `models` on the stored ratings (see [`SeenFigures`]).
pub fn measure(models: &VersionModels, records: &[RatingRecord]) -> SeenFigures {
    let ranking = &models.ranking;
    let mut users: Vec<i32> = records.iter().map(|r| r.user).collect();
    let mut movies: Vec<i32> = records.iter().map(|r| r.movie).collect();
    users.sort_unstable();
    users.dedup();
    movies.sort_unstable();
    movies.dedup();
    let fit: Option<RatingMetrics> = models
        .rating
        .as_ref()
        .filter(|_| !records.is_empty())
        .map(|rating| rating_metrics(rating, &to_ratings(records)));
    let seen = RatingMatrix::seen_under(
        records.iter().map(|r| (r.user, r.movie)),
        &ranking.users,
        &ranking.items,
    );
    SeenFigures {
        n_ratings: records.len(),
        users_stored: users.len(),
        users_known: users
            .iter()
            .filter(|&&u| ranking.users.get(u).is_some())
            .count(),
        movies_stored: movies.len(),
        movies_known: movies
            .iter()
            .filter(|&&m| ranking.items.get(m).is_some())
            .count(),
        fit_rmse: fit.as_ref().and_then(|f| f.rmse),
        fit_mae: fit.as_ref().and_then(|f| f.mae),
        fit_scored: fit.as_ref().map_or(0, |f| f.n_scored),
        coverage_at_k: Some(catalogue_coverage(ranking, &seen, K)),
    }
}

/// Refuses a model whose movie ids match none of the stored ratings' movies:
/// it was trained on other ids, and its lists would name no movie the app has.
fn check_ids(plain: &PlainModel, seen: &SeenFigures) -> Result<(), ImportError> {
    if seen.n_ratings > 0 && seen.movies_known == 0 {
        return Err(ImportError::OtherIds {
            dir: plain.source.clone(),
            movies_stored: seen.movies_stored,
            item_col: plain
                .metadata
                .param_str("itemCol")
                .unwrap_or("unknown")
                .to_string(),
        });
    }
    Ok(())
}

/// The registry's figures: no list or rating figure (none is a holdout's),
/// the coverage and the rating count.
pub fn model_metrics(seen: &SeenFigures) -> ModelMetrics {
    ModelMetrics {
        k: K,
        coverage_at_k: seen.coverage_at_k,
        n_ratings: seen.n_ratings,
        seen_data: Some(seen.clone()),
        ..ModelMetrics::default()
    }
}

/// The version's files: the model (twice when explicit, as ranking/ and
/// rating/) with the recorded figures in movierec/model.json.
fn version_files(
    models: &VersionModels,
    plain: &PlainModel,
    metrics: &ModelMetrics,
) -> Result<Vec<movierec_store::ModelFile>, ModelFileError> {
    let extras = ModelExtras {
        metrics: metrics_map(metrics),
        ..plain.extras.clone()
    };
    version_to_files(models, &extras)
}

/// The decision, in words: what was imported, what was measured and what it means.
pub(super) fn decision(plain: &PlainModel, seen: &SeenFigures, via: Via) -> String {
    let serves = if plain.implicit() {
        "serves the lists only (implicit: no predicted ratings)"
    } else {
        "serves the lists and the predicted ratings"
    };
    let word = match via {
        Via::Command => "imported at the operator's word",
        Via::ExternalMode => {
            "imported at the operator's word (placed under MOVIEREC_EXTERNAL_MODELS, taken by the external mode)"
        }
    };
    let mut text = format!(
        "{word}, not by the gate: a {} trained outside movierec on ratings \
         the app cannot see (likely every stored one); {}; it {serves}; no list figures are recorded \
         (none would be a holdout's), so the next version is gated against the most-popular list only",
        plain.describe(),
        measured(seen)
    );
    if let Some(inference) = plain.inference() {
        text.push_str(&format!("; {inference}"));
    }
    let assumed = plain.assumptions();
    if !assumed.is_empty() {
        text.push_str(&format!(
            "; assumed (not in Spark's metadata): {}",
            assumed.join(", ")
        ));
    }
    text.push_str(&format!(" (from {})", plain.source.display()));
    text
}

/// What the stored ratings showed, in words.
fn measured(seen: &SeenFigures) -> String {
    if seen.n_ratings == 0 {
        return "no ratings are stored, so nothing was measured".into();
    }
    let mut text = format!(
        "on the stored ratings, which it likely saw (not a holdout), it knows {} of the {} users \
         and {} of the {} movies",
        seen.users_known, seen.users_stored, seen.movies_known, seen.movies_stored
    );
    if let (Some(rmse), Some(mae)) = (seen.fit_rmse, seen.fit_mae) {
        text.push_str(&format!(
            " and fits the {} it can score with RMSE {rmse:.4} (MAE {mae:.4}): a training error",
            seen.fit_scored
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_data_figures_stay_out_of_the_holdout_fields() {
        let seen = SeenFigures {
            n_ratings: 100,
            users_stored: 5,
            users_known: 4,
            movies_stored: 20,
            movies_known: 18,
            fit_rmse: Some(0.5),
            fit_mae: Some(0.4),
            fit_scored: 90,
            coverage_at_k: Some(0.3),
        };
        let metrics = model_metrics(&seen);
        assert_eq!(metrics.lists.ndcg_at_k, None);
        assert_eq!(metrics.rmse, None);
        assert_eq!(metrics.coverage_at_k, Some(0.3));
        assert_eq!(metrics.seen_data.as_ref().unwrap().fit_rmse, Some(0.5));
        let words = measured(&seen);
        assert!(
            words.contains("4 of the 5 users") && words.contains("RMSE 0.5000"),
            "{words}"
        );
        assert!(measured(&SeenFigures::default()).contains("nothing was measured"));
    }
}
