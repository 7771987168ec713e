//! A model version's figures as the registry keeps them ([`ModelMetrics`]):
//! what a retrain measured on its holdout (the challenger, the serving
//! champion and the most-popular list), what an import measured on the stored
//! ratings, and how a folded-in version was made.
//!
//! Owns the record's shape only. The figures are computed by the app (from the
//! numeric core's metrics), which converts into these plain types: the store
//! must not depend on the core, nor know how a figure is measured. Each
//! backend reads a version's figures back into [`ModelMetrics`], and a record
//! that does not read is a [`StoreError::Corrupt`](crate::StoreError) naming
//! its version, never a zero.

use serde::{Deserialize, Serialize};

/// Precision, recall, NDCG and MAP at `k` of one kind of list (`None` where
/// no holdout user had a liked movie).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuality {
    pub ndcg_at_k: Option<f64>,
    pub precision_at_k: Option<f64>,
    pub recall_at_k: Option<f64>,
    pub map_at_k: Option<f64>,
}

/// The fixed holdout a retrain scores on: the (user, movie) pairs whose hash
/// under `salt` falls in `fraction`. Two figures compare only when measured
/// on the same holdout.
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

/// One regularisation tried when tuning the ranking model, with its
/// validation NDCG@K (`None`: no validation user had a liked movie).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegTrial {
    pub reg: f32,
    pub validation_ndcg: Option<f64>,
}

/// What the stored ratings say about an imported plain model, which likely
/// saw them all: a fit, kept apart from the holdout fields so that nothing
/// reads it as one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeenFigures {
    pub n_ratings: usize,
    pub users_stored: usize,
    pub users_known: usize,
    pub movies_stored: usize,
    pub movies_known: usize,
    /// The explicit model's error on the stored ratings it can score: a fit,
    /// not a holdout (`None` for an implicit model or with nothing to score).
    pub fit_rmse: Option<f64>,
    pub fit_mae: Option<f64>,
    pub fit_scored: usize,
    /// Share of the model's movies in at least one of its users' top K,
    /// stored ratings left out.
    pub coverage_at_k: Option<f64>,
}

/// A version's figures, as kept in the registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// The lists' cut-off.
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
    /// The regularisations tried (empty when not tuned).
    pub reg_candidates: Vec<RegTrial>,
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
    /// Set on an imported plain model: its fit on the stored ratings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_data: Option<SeenFigures>,
}

/// A registry record (its figures, most likely) that does not read: kept as
/// the source of the backend's [`StoreError::Corrupt`](crate::StoreError).
#[derive(Debug, thiserror::Error)]
#[error("model version {version}'s record does not read ({source}): something other than movierec wrote or edited it; restore it, or delete that version from the registry")]
pub struct UnreadableModelRecord {
    pub version: u64,
    #[source]
    pub source: serde_json::Error,
}
