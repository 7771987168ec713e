//! What a retrain measures on its holdout, and the promotion gate that reads it.
//!
//! The lists are measured as they are served: the ranking model's top 10 for
//! each holdout user, the movies they rated in the training part left out,
//! against the holdout movies they rated 4 or more. The most-popular list is
//! measured the same way on the same holdout, so every version carries its own
//! baseline. The rating model is measured by RMSE/MAE of its predictions.
//! Promotion reads list quality only: RMSE does not measure what users see.

use movierec_core::data::{RatingMatrix, Ratings};
use movierec_core::metrics::{
    catalogue_coverage, popular_ranking_metrics, popularity_order, ranking_metrics, rating_metrics,
};
use movierec_core::model::AlsModel;
use movierec_store::ModelStatus;

pub use crate::models::metrics::{ListQuality, ModelMetrics, K, RELEVANT};

/// Measures both models of a candidate, trained on `train`, on `holdout`.
pub fn evaluate(
    train: &RatingMatrix,
    holdout: &Ratings,
    ranking: &AlsModel,
    rating: &AlsModel,
) -> ModelMetrics {
    let lists = ranking_metrics(ranking, &train.by_user, holdout, K, RELEVANT);
    let popular = popular_ranking_metrics(
        &train.users,
        &train.items,
        &popularity_order(&train.by_item, RELEVANT),
        &train.by_user,
        holdout,
        K,
        RELEVANT,
    );
    let errors = rating_metrics(rating, holdout);
    ModelMetrics {
        k: K,
        n_list_users: lists.n_users,
        lists: lists.into(),
        coverage_at_k: Some(catalogue_coverage(ranking, &train.by_user, K)),
        popular: popular.into(),
        rmse: errors.rmse,
        mae: errors.mae,
        n_train: train.nnz(),
        n_holdout: holdout.len(),
        n_holdout_scored: errors.n_scored,
        ..ModelMetrics::default()
    }
}

/// The promotion gate. A candidate is rejected when its lists' NDCG@K is
/// missing, not above the most-popular list's on the same holdout, or below
/// the promoted version's by more than `margin` (a share); else promoted.
pub fn decide(
    candidate: &ModelMetrics,
    promoted: Option<(u64, &ModelMetrics)>,
    margin: f64,
) -> (ModelStatus, String) {
    let Some(ndcg) = candidate.lists.ndcg_at_k else {
        return (
            ModelStatus::Rejected,
            "no holdout user has a liked movie to rank".into(),
        );
    };
    let popular = candidate.popular.ndcg_at_k.unwrap_or(0.0);
    if ndcg <= popular {
        return (
            ModelStatus::Rejected,
            format!(
                "lists' NDCG@{K} {ndcg:.4} is not above the most-popular list's {popular:.4} on the same holdout"
            ),
        );
    }
    match promoted.and_then(|(v, m)| Some((v, m.lists.ndcg_at_k?))) {
        Some((version, current)) if ndcg < current * (1.0 - margin) => (
            ModelStatus::Rejected,
            format!(
                "lists' NDCG@{K} {ndcg:.4} is worse than version {version}'s {current:.4} by more than {:.1}%",
                margin * 100.0
            ),
        ),
        Some((version, current)) => (
            ModelStatus::Promoted,
            format!(
                "lists' NDCG@{K} {ndcg:.4} (most popular: {popular:.4}) is within {:.1}% of version {version}'s {current:.4} or better",
                margin * 100.0
            ),
        ),
        None => (
            ModelStatus::Promoted,
            format!("first model with lists better than the most popular (NDCG@{K} {ndcg:.4} against {popular:.4})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(ndcg: Option<f64>, popular: f64) -> ModelMetrics {
        ModelMetrics {
            lists: ListQuality {
                ndcg_at_k: ndcg,
                ..Default::default()
            },
            popular: ListQuality {
                ndcg_at_k: Some(popular),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_model_no_better_than_the_most_popular_list_is_rejected() {
        let (status, why) = decide(&metrics(Some(0.10), 0.12), None, 0.02);
        assert_eq!(status, ModelStatus::Rejected);
        assert!(why.contains("most-popular"), "{why}");
        // even when the promoted version was worse still
        let old = metrics(Some(0.05), 0.12);
        let (status, _) = decide(&metrics(Some(0.12), 0.12), Some((1, &old)), 0.02);
        assert_eq!(status, ModelStatus::Rejected);
    }

    #[test]
    fn the_margin_decides_against_the_promoted_version() {
        let current = metrics(Some(0.30), 0.12);
        let (status, why) = decide(&metrics(Some(0.29), 0.12), Some((4, &current)), 0.02);
        assert_eq!(status, ModelStatus::Rejected, "{why}");
        assert!(why.contains("worse than version 4"), "{why}");
        let (status, _) = decide(&metrics(Some(0.2950), 0.12), Some((4, &current)), 0.02);
        assert_eq!(status, ModelStatus::Promoted);
        let (status, why) = decide(&metrics(Some(0.2), 0.12), None, 0.02);
        assert_eq!(status, ModelStatus::Promoted, "{why}");
        let (status, _) = decide(&metrics(None, 0.12), None, 0.02);
        assert_eq!(status, ModelStatus::Rejected);
    }
}
