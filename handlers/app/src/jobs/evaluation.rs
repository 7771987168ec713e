//! What a retrain measures, and the promotion gate that reads it.
//!
//! **One holdout for champion and challenger.** The holdout is the stored
//! ratings whose (user, movie) hash falls in `MOVIEREC_HOLDOUT_FRACTION` under
//! `MOVIEREC_HOLDOUT_SEED` (`movierec_core::data::hash_split`): the same pairs
//! at every retrain, whatever else arrived. Each retrain fits the candidate
//! (the challenger) on the rest, and a promoted version keeps that fit beside
//! the models refitted on every rating that serve (`evaluation/ranking/` in its
//! files). So at the next retrain the serving version (the champion) is scored
//! by its evaluation fit, which never saw any pair of the holdout, on today's
//! holdout, beside the challenger and the most-popular list. Why a hash and
//! not "ratings newer than the champion": newer ratings are mostly new users'
//! (the population shift the gate must not read as a regression would then be
//! all of the holdout), and a hash holdout is the same whichever version is
//! champion, so no fit ever needs retraining to be compared.
//!
//! **As served.** Each model ranks the holdout users as serving would
//! (`movierec_core::holdout`): a user it knows by their row, a user it does
//! not know folded in from their training-part ratings, a user it cannot fold
//! in gets the most-popular list; movies they rated in the training part are
//! left out; the top 10 is scored against the holdout movies they rated 4 or
//! more. Sparse new users therefore weigh on both models alike.
//!
//! **The gate** ([`decide`]) promotes a challenger whose lists beat the
//! most-popular list and are not worse than the champion's by more than the
//! margin, on that holdout, beyond its sampling noise: the two are compared
//! user by user, and the challenger is rejected only when even the 95% upper
//! bound of the mean per-user difference (mean + 1.96 standard errors) falls
//! below −margin × the champion's NDCG. A holdout of a few hundred users
//! moves NDCG@10 by a few percent between equally good models (ml-latest-small
//! with 8,000 sparse users copied in: challenger 0.1030, champion 0.1065, a
//! difference of 1.4 standard errors). A champion without an evaluation fit (imported,
//! trained outside movierec, recorded before the fixed holdout, or measured on
//! another holdout after the settings changed) cannot be scored fairly: the
//! challenger then only has to beat the most-popular list, and the decision
//! says why. The rating model is measured by RMSE/MAE and does not gate: RMSE
//! does not measure what users see.

use movierec_core::data::{RatingMatrix, Ratings};
use movierec_core::holdout::HoldoutUsers;
use movierec_core::metrics::{catalogue_coverage, rating_metrics};
use movierec_core::model::AlsModel;
use movierec_store::ModelStatus;

use crate::models::metrics::list_quality;
pub use crate::models::metrics::{
    ChampionFigures, HashHoldout, ListQuality, ModelMetrics, K, RELEVANT,
};

/// The serving version, as far as the gate can use it.
#[derive(Debug, Clone, Copy)]
pub enum Champion<'a> {
    /// Nothing is promoted yet.
    None,
    /// Its evaluation fit, scored on this holdout.
    Fit { version: u64, model: &'a AlsModel },
    /// It cannot be scored on this holdout, and why.
    Incomparable { version: u64, why: &'a str },
}

/// Measures a challenger trained on `train` (as `matrix`), and the champion,
/// on `holdout`.
pub fn evaluate(
    train: &Ratings,
    matrix: &RatingMatrix,
    holdout: &Ratings,
    ranking: &AlsModel,
    rating: &AlsModel,
    champion: Champion,
) -> ModelMetrics {
    let users = HoldoutUsers::new(train, holdout, RELEVANT);
    let (lists, champion) = match champion {
        Champion::Fit { version, model } => {
            let paired = users.paired(ranking, model, K);
            let champion = ChampionFigures {
                version,
                lists: list_quality(paired.champion),
                ndcg_difference_se: paired.standard_error,
            };
            (paired.challenger, Some(champion))
        }
        _ => (users.served_metrics(ranking, K), None),
    };
    let errors = rating_metrics(rating, holdout);
    ModelMetrics {
        k: K,
        n_list_users: lists.n_users,
        lists: list_quality(lists),
        coverage_at_k: Some(catalogue_coverage(ranking, &matrix.by_user, K)),
        popular: list_quality(users.popular_metrics(K)),
        champion,
        rmse: errors.rmse,
        mae: errors.mae,
        n_train: matrix.nnz(),
        n_holdout: holdout.len(),
        n_holdout_scored: errors.n_scored,
        ..ModelMetrics::default()
    }
}

/// The promotion gate (see the module doc). `champion` says why the serving
/// version has no figures in `candidate`, when it has none.
pub fn decide(candidate: &ModelMetrics, champion: Champion, margin: f64) -> (ModelStatus, String) {
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
    if let Some(figures) = &candidate.champion {
        let (version, current) = (figures.version, figures.lists.ndcg_at_k.unwrap_or(0.0));
        let pct = margin * 100.0;
        let upper = ndcg - current + 1.96 * figures.ndcg_difference_se;
        let noise = format!(
            "difference {:+.4}, 95% upper bound {upper:+.4}",
            ndcg - current
        );
        return if upper < -margin * current {
            (
                ModelStatus::Rejected,
                format!("lists' NDCG@{K} {ndcg:.4} is worse than serving version {version}'s {current:.4} on the same holdout by more than {pct:.1}%, beyond its noise ({noise})"),
            )
        } else {
            (
                ModelStatus::Promoted,
                format!("lists' NDCG@{K} {ndcg:.4} (serving version {version}: {current:.4}, most popular: {popular:.4}, on the same holdout; {noise}) is not worse than the serving version's by more than {pct:.1}%"),
            )
        };
    }
    match champion {
        Champion::Incomparable { version, why } => (
            ModelStatus::Promoted,
            format!("lists' NDCG@{K} {ndcg:.4} beat the most-popular list's {popular:.4}; serving version {version} could not be scored on this holdout ({why})"),
        ),
        _ => (
            ModelStatus::Promoted,
            format!("first model with lists better than the most popular (NDCG@{K} {ndcg:.4} against {popular:.4})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(ndcg: Option<f64>, popular: f64, champion: Option<(u64, f64)>) -> ModelMetrics {
        with_noise(ndcg, popular, champion, 0.0)
    }

    fn with_noise(
        ndcg: Option<f64>,
        popular: f64,
        champion: Option<(u64, f64)>,
        se: f64,
    ) -> ModelMetrics {
        let quality = |n: Option<f64>| ListQuality {
            ndcg_at_k: n,
            ..Default::default()
        };
        ModelMetrics {
            lists: quality(ndcg),
            popular: quality(Some(popular)),
            champion: champion.map(|(version, n)| ChampionFigures {
                version,
                lists: quality(Some(n)),
                ndcg_difference_se: se,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_model_no_better_than_the_most_popular_list_is_rejected() {
        let (status, why) = decide(&metrics(Some(0.10), 0.12, None), Champion::None, 0.02);
        assert_eq!(status, ModelStatus::Rejected);
        assert!(why.contains("most-popular"), "{why}");
        // even when the champion was worse still
        let (status, _) = decide(
            &metrics(Some(0.12), 0.12, Some((1, 0.05))),
            Champion::None,
            0.02,
        );
        assert_eq!(status, ModelStatus::Rejected);
    }

    #[test]
    fn the_margin_decides_against_the_champion_on_the_same_holdout() {
        let (status, why) = decide(
            &metrics(Some(0.29), 0.12, Some((4, 0.30))),
            Champion::None,
            0.02,
        );
        assert_eq!(status, ModelStatus::Rejected, "{why}");
        assert!(
            why.contains("serving version 4") && why.contains("same holdout"),
            "{why}"
        );
        let (status, _) = decide(
            &metrics(Some(0.2950), 0.12, Some((4, 0.30))),
            Champion::None,
            0.02,
        );
        assert_eq!(status, ModelStatus::Promoted);
        let (status, why) = decide(&metrics(Some(0.2), 0.12, None), Champion::None, 0.02);
        assert_eq!(status, ModelStatus::Promoted, "{why}");
        let (status, _) = decide(&metrics(None, 0.12, None), Champion::None, 0.02);
        assert_eq!(status, ModelStatus::Rejected);
    }

    #[test]
    fn a_gap_within_the_holdouts_noise_is_not_a_regression() {
        // 0.1030 against 0.1065: 3.3% worse, but 1.4 standard errors
        let (status, why) = decide(
            &with_noise(Some(0.1030), 0.055, Some((1, 0.1065)), 0.0025),
            Champion::None,
            0.02,
        );
        assert_eq!(status, ModelStatus::Promoted, "{why}");
        assert!(why.contains("95% upper bound"), "{why}");
        // the same gap measured on many more users is a regression
        let (status, why) = decide(
            &with_noise(Some(0.1030), 0.055, Some((1, 0.1065)), 0.0002),
            Champion::None,
            0.02,
        );
        assert_eq!(status, ModelStatus::Rejected, "{why}");
        assert!(why.contains("beyond its noise"), "{why}");
    }

    #[test]
    fn a_champion_that_cannot_be_scored_is_named_and_the_popular_list_still_gates() {
        let champion = Champion::Incomparable {
            version: 7,
            why: "imported from Spark",
        };
        let (status, why) = decide(&metrics(Some(0.2), 0.12, None), champion, 0.02);
        assert_eq!(status, ModelStatus::Promoted);
        assert!(
            why.contains("version 7") && why.contains("imported from Spark"),
            "{why}"
        );
        let (status, _) = decide(&metrics(Some(0.1), 0.12, None), champion, 0.02);
        assert_eq!(status, ModelStatus::Rejected);
    }
}
