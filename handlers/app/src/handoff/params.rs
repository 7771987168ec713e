//! `params.json`: the app's training parameters and holdout protocol, written
//! beside the exported ratings so the external job trains what the app would
//! (tools/spark/train_models.py reads it). One struct, the file's shape.

use movierec_core::als::AlsParams;
use serde::{Deserialize, Serialize};

use crate::models::metrics::{K, RELEVANT};
use crate::settings::Settings;

/// Format of `params.json`.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingParams {
    pub format: u32,
    /// The ranking model (implicit ALS): MOVIEREC_RANKING_*.
    pub ranking: AlsParams,
    /// The rating model (explicit ALS): MOVIEREC_RANK and the like.
    pub rating: AlsParams,
    /// Choose the ranking model's regularisation on a validation split.
    pub ranking_tune: bool,
    pub holdout_fraction: f64,
    pub holdout_seed: u64,
    /// List length the holdout metrics cut at.
    pub k: usize,
    /// A held-out rating at or above this is a liked movie.
    pub relevant: f32,
}

impl TrainingParams {
    pub fn from_settings(settings: &Settings) -> Self {
        TrainingParams {
            format: FORMAT,
            ranking: settings.ranking_params.clone(),
            rating: settings.rating_params.clone(),
            ranking_tune: settings.ranking_tune,
            holdout_fraction: settings.holdout_fraction,
            holdout_seed: settings.holdout_seed,
            k: K,
            relevant: RELEVANT,
        }
    }
}
