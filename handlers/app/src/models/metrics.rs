//! A version's holdout figures as the registry keeps them: what a retrain
//! measured (the challenger, the serving champion and the most-popular list on
//! one holdout), and what the dashboard shows. The store keeps them as JSON;
//! they are read here, once, into [`ModelMetrics`], and a record that does not
//! read is an error naming its version ([`UnreadableMetrics`]), never a zero.

use movierec_core::metrics::RankingMetrics;
use movierec_core::tuning::RegCandidate;
use serde::{Deserialize, Serialize};

/// Cut-off of the list metrics: the length of the default list.
pub const K: usize = 10;
/// A held-out rating at or above this is a movie the user liked.
pub const RELEVANT: f32 = 4.0;

/// Precision, recall, NDCG and MAP at [`K`] of one kind of list (`None`
/// where no holdout user had a liked movie).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuality {
    pub ndcg_at_k: Option<f64>,
    pub precision_at_k: Option<f64>,
    pub recall_at_k: Option<f64>,
    pub map_at_k: Option<f64>,
}

impl From<RankingMetrics> for ListQuality {
    fn from(m: RankingMetrics) -> Self {
        ListQuality {
            ndcg_at_k: m.ndcg,
            precision_at_k: m.precision,
            recall_at_k: m.recall,
            map_at_k: m.map,
        }
    }
}

/// The fixed holdout a retrain scores on: the (user, movie) pairs whose hash
/// under `salt` falls in `fraction` (`movierec_core::data::in_hash_holdout`).
/// Two figures compare only when measured on the same holdout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HashHoldout {
    pub fraction: f64,
    pub salt: u64,
}

/// The serving version's lists, scored on the challenger's holdout at the
/// same retrain, by its evaluation fit (which never saw that holdout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChampionFigures {
    pub version: u64,
    pub lists: ListQuality,
    /// Standard error of the mean per-user NDCG@K difference (challenger −
    /// champion) on the same users: the holdout's sampling noise.
    pub ndcg_difference_se: f64,
}

/// A version made from another by folding in movies rated since it was
/// trained (no retrain): which, and from what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldedIn {
    pub from_version: u64,
    pub movies: Vec<i32>,
}

/// A version's holdout figures, as kept in the registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    pub k: usize,
    /// The served lists (ranking model, rated movies left out).
    #[serde(flatten)]
    pub lists: ListQuality,
    /// Share of the catalogue in at least one training user's top K.
    pub coverage_at_k: Option<f64>,
    /// The most-popular list on the same holdout.
    pub popular: ListQuality,
    /// The rating model's error on the holdout ratings it can score.
    pub rmse: Option<f64>,
    pub mae: Option<f64>,
    pub n_ratings: usize,
    pub n_train: usize,
    pub n_holdout: usize,
    pub n_holdout_scored: usize,
    /// Holdout users with at least one liked movie: the lists' sample size.
    pub n_list_users: usize,
    pub ranking_train_seconds: f64,
    pub rating_train_seconds: f64,
    /// Choosing the ranking model's regularisation (0 when not tuned).
    pub tuning_seconds: f64,
    /// The regularisations tried and their validation NDCG@K (empty when not tuned).
    pub reg_candidates: Vec<RegCandidate>,
    /// The fixed holdout these figures are on; `None` for figures measured
    /// elsewhere (an external job's own split, an imported model).
    #[serde(default)]
    pub holdout: Option<HashHoldout>,
    /// The serving version on the same holdout, when it could be scored there.
    #[serde(default)]
    pub champion: Option<ChampionFigures>,
    /// Set on a version made by folding movies into another.
    #[serde(default)]
    pub folded_in: Option<FoldedIn>,
}

/// A registry record whose figures do not read as [`ModelMetrics`].
#[derive(Debug, thiserror::Error)]
#[error("model version {version}'s recorded figures do not read ({source}); record the version again, or retire it")]
pub struct UnreadableMetrics {
    pub version: u64,
    #[source]
    pub source: serde_json::Error,
}

impl ModelMetrics {
    /// Reads version `version`'s recorded figures.
    pub fn from_record(version: u64, value: &serde_json::Value) -> Result<Self, UnreadableMetrics> {
        ModelMetrics::deserialize(value).map_err(|source| UnreadableMetrics { version, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_broken_one_is_an_error_naming_its_version() {
        let m = ModelMetrics {
            k: 10,
            lists: ListQuality {
                ndcg_at_k: Some(0.3),
                ..Default::default()
            },
            holdout: Some(HashHoldout {
                fraction: 0.1,
                salt: 42,
            }),
            champion: Some(ChampionFigures {
                version: 3,
                lists: ListQuality::default(),
                ndcg_difference_se: 0.01,
            }),
            ..Default::default()
        };
        let value = serde_json::to_value(&m).unwrap();
        assert_eq!(ModelMetrics::from_record(4, &value).unwrap(), m);
        // a figure of the wrong type is not read as a zero baseline
        let mut broken = value.clone();
        broken["ndcg_at_k"] = serde_json::json!("0.3");
        let err = ModelMetrics::from_record(4, &broken)
            .unwrap_err()
            .to_string();
        assert!(err.contains("model version 4"), "{err}");
        // nor is a record missing its counts
        let err = ModelMetrics::from_record(5, &serde_json::json!({"ndcg_at_k": 0.06}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model version 5") && err.contains("missing field"),
            "{err}"
        );
    }
}
