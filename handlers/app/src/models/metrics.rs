//! A version's holdout figures: the registry's record of them
//! ([`ModelMetrics`], owned by the store, which reads them back typed), the
//! list cut-off and the "liked" threshold they are measured with, and the
//! conversions from the numeric core's figures into the record's plain types.

use movierec_core::metrics::RankingMetrics;
use movierec_core::tuning::RegCandidate;
pub use movierec_store::{
    ChampionFigures, FoldedIn, HashHoldout, ListQuality, ModelMetrics, RegTrial, SeenFigures,
};

/// Cut-off of the list metrics: the length of the default list.
pub const K: usize = 10;
/// A held-out rating at or above this is a movie the user liked.
pub const RELEVANT: f32 = 4.0;

/// One kind of list's figures, as the record keeps them.
pub fn list_quality(m: RankingMetrics) -> ListQuality {
    ListQuality {
        ndcg_at_k: m.ndcg,
        precision_at_k: m.precision,
        recall_at_k: m.recall,
        map_at_k: m.map,
    }
}

/// The figures as a model folder's `movierec/model.json` keeps them (a
/// free-form map there: the file format is the numeric core's, which knows
/// no registry).
pub fn metrics_map(metrics: &ModelMetrics) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(metrics).expect("figures are numbers") {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a struct serialises to an object"),
    }
}

/// The regularisations tuning tried, as the record keeps them.
pub fn reg_trials(candidates: &[RegCandidate]) -> Vec<RegTrial> {
    candidates
        .iter()
        .map(|c| RegTrial {
            reg: c.reg,
            validation_ndcg: c.validation_ndcg,
        })
        .collect()
}
