//! Choosing the ranking model's regularisation on a validation split.
//!
//! Of the ranking model's knobs, the regularisation is the one whose best value
//! moves with the data set: at movierec's scaling (`reg * (n + a0 N)`) it is
//! 0.01 on MovieLens 1M and 0.02 on MovieLens 100K (README, Quality). So the
//! app does what the peers' benchmarks do for them: it cuts a validation split
//! out of the training part, trains once per candidate in [`REG_FACTORS`]
//! around the configured value, and keeps the one whose lists (rated items
//! left out) have the best NDCG@k there. The held-out part that the app reports
//! is never seen by this choice.

use serde::{Deserialize, Serialize};

use crate::als::{train, AlsError, AlsParams};
use crate::data::{random_split, RatingMatrix, Ratings};
use crate::metrics::ranking_metrics;
use crate::progress::Progress;

/// The candidates, as multiples of the configured regularisation.
pub const REG_FACTORS: [f32; 3] = [0.5, 1.0, 2.0];

/// One candidate and how its lists did on the validation split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegCandidate {
    pub reg: f32,
    pub validation_ndcg: Option<f64>,
}

/// The chosen parameters and every candidate tried.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuned {
    pub params: AlsParams,
    pub candidates: Vec<RegCandidate>,
}

/// Picks the regularisation of `params` from [`REG_FACTORS`] by NDCG@`k` on a
/// `validation_fraction` split of `ratings` (seeded), with held-out ratings of
/// at least `threshold` as relevant. Ties keep the earlier (smaller)
/// candidate; a split with nothing to rank keeps `params` as they are. Each
/// candidate's fit reports to `progress` and stops when it is cancelled.
pub fn tune_reg(
    ratings: &Ratings,
    params: &AlsParams,
    validation_fraction: f64,
    seed: u64,
    k: usize,
    threshold: f32,
    progress: &dyn Progress,
) -> Result<Tuned, AlsError> {
    let (fit, validation) = random_split(ratings, validation_fraction, seed);
    let matrix = RatingMatrix::build(&fit);
    let mut candidates = Vec::with_capacity(REG_FACTORS.len());
    let mut best: Option<(f64, f32)> = None;
    for factor in REG_FACTORS {
        let candidate = AlsParams {
            reg: params.reg * factor,
            ..params.clone()
        };
        let model = train(&matrix, &candidate, progress)?;
        let ndcg = ranking_metrics(&model, &matrix.by_user, &validation, k, threshold).ndcg;
        if let Some(n) = ndcg {
            if best.is_none_or(|(b, _)| n > b) {
                best = Some((n, candidate.reg));
            }
        }
        candidates.push(RegCandidate {
            reg: candidate.reg,
            validation_ndcg: ndcg,
        });
    }
    let reg = best.map_or(params.reg, |(_, reg)| reg);
    Ok(Tuned {
        params: AlsParams {
            reg,
            ..params.clone()
        },
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_candidate_with_the_best_validation_lists_is_kept() {
        // Two taste groups; a regularisation 100x too strong flattens them.
        let mut triples = Vec::new();
        for u in 0..80 {
            for i in 0..40 {
                if (u < 40) == (i < 20) && (u * 3 + i) % 5 != 0 {
                    triples.push((u, i, 4.0 + (i % 2) as f32));
                }
            }
        }
        let ratings = Ratings::from_triples(&triples);
        let params = AlsParams {
            rank: 4,
            iterations: 4,
            reg: 2.0,
            ..AlsParams::ranking()
        };
        let tuned = tune_reg(&ratings, &params, 0.2, 1, 5, 4.0, &crate::NoProgress).unwrap();
        assert_eq!(tuned.candidates.len(), REG_FACTORS.len());
        let best = tuned
            .candidates
            .iter()
            .filter_map(|c| c.validation_ndcg.map(|n| (n, c.reg)))
            .fold((f64::MIN, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert_eq!(tuned.params.reg, best.1, "{:?}", tuned.candidates);
        assert_eq!(tuned.params.rank, 4);
    }
}
