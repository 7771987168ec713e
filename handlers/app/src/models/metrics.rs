//! A version's holdout figures as the registry keeps them: what a retrain
//! measured (the retrain's holdout evaluation fills it) and what the dashboard
//! shows. The store keeps them as JSON; they are read here, once, into
//! [`ModelMetrics`].

use movierec_core::metrics::RankingMetrics;
use movierec_core::tuning::RegCandidate;
use serde::{Deserialize, Serialize};

/// Cut-off of the list metrics: the length of the default list.
pub const K: usize = 10;
/// A held-out rating at or above this is a movie the user liked.
pub const RELEVANT: f32 = 4.0;

/// Precision, recall, NDCG and MAP at [`K`] of one kind of list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
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

/// A version's holdout figures, as kept in the registry. Older records lack
/// some fields; they read as `None`/0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
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
}

impl ModelMetrics {
    /// Reads a registry record's figures (any shape it was written in).
    pub fn from_value(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_written_before_list_gating_still_read() {
        let old =
            serde_json::json!({"rmse": 0.85, "precision_at_k": 0.04, "ndcg_at_k": 0.06, "k": 10});
        let m = ModelMetrics::from_value(&old);
        assert_eq!(m.rmse, Some(0.85));
        assert_eq!(m.lists.ndcg_at_k, Some(0.06));
        assert_eq!(m.popular.ndcg_at_k, None);
    }
}
