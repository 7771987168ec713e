//! Evaluation: rating error and ranking quality on held-out ratings.
//!
//! Rating metrics follow Spark's `coldStartStrategy=drop`: a test pair whose
//! user or item the model has never seen is counted and left out of RMSE/MAE.
//! Ranking metrics recommend the top k unseen items for each test user who has
//! at least one relevant held-out item (rating >= threshold) and compare them
//! with those relevant items; each metric is the mean over such users.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::data::{Csr, Ratings};
use crate::model::AlsModel;
use crate::progress::NoProgress;
use crate::topn::recommend_users;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingMetrics {
    /// `None` when no test pair could be scored.
    pub rmse: Option<f64>,
    pub mae: Option<f64>,
    pub n_test: usize,
    pub n_scored: usize,
    pub n_cold_start: usize,
}

/// RMSE and MAE of `model` on `test`, cold-start pairs dropped.
pub fn rating_metrics(model: &AlsModel, test: &Ratings) -> RatingMetrics {
    let (mut se, mut ae, mut scored) = (0.0f64, 0.0f64, 0usize);
    for r in &test.rows {
        if let Some(p) = model.predict(r.user, r.item) {
            let e = (r.rating - p) as f64;
            se += e * e;
            ae += e.abs();
            scored += 1;
        }
    }
    let mean = |s: f64| (scored > 0).then(|| s / scored as f64);
    RatingMetrics {
        rmse: mean(se).map(f64::sqrt),
        mae: mean(ae),
        n_test: test.len(),
        n_scored: scored,
        n_cold_start: test.len() - scored,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankingMetrics {
    pub k: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub ndcg: Option<f64>,
    pub map: Option<f64>,
    /// Users the means are taken over.
    pub n_users: usize,
}

/// Ranking metrics of one recommended list against one user's relevant items.
/// Returns (precision@k, recall@k, NDCG@k with binary gains, AP@k normalised by min(|relevant|, k)).
pub fn list_metrics(
    recommended: &[u32],
    relevant: &HashSet<u32>,
    k: usize,
) -> (f64, f64, f64, f64) {
    let list = &recommended[..recommended.len().min(k)];
    let mut hits = 0usize;
    let mut dcg = 0.0;
    let mut ap = 0.0;
    for (pos, item) in list.iter().enumerate() {
        if relevant.contains(item) {
            hits += 1;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            ap += hits as f64 / (pos + 1) as f64;
        }
    }
    let ideal: f64 = (0..relevant.len().min(k))
        .map(|pos| 1.0 / ((pos + 2) as f64).log2())
        .sum();
    let precision = hits as f64 / k as f64;
    let recall = if relevant.is_empty() {
        0.0
    } else {
        hits as f64 / relevant.len() as f64
    };
    let ndcg = if ideal > 0.0 { dcg / ideal } else { 0.0 };
    let ap = if relevant.is_empty() {
        0.0
    } else {
        ap / relevant.len().min(k) as f64
    };
    (precision, recall, ndcg, ap)
}

/// Ranking metrics at `k` with items rated >= `threshold` in `test` as relevant.
/// `train_seen` (one row per model user) lists items to leave out of the lists.
pub fn ranking_metrics(
    model: &AlsModel,
    train_seen: &Csr,
    test: &Ratings,
    k: usize,
    threshold: f32,
) -> RankingMetrics {
    let mut relevant: HashMap<u32, HashSet<u32>> = HashMap::new();
    for r in &test.rows {
        if r.rating >= threshold {
            if let (Some(u), Some(i)) = (model.users.get(r.user), model.items.get(r.item)) {
                relevant.entry(u).or_default().insert(i);
            }
        }
    }
    let mut users: Vec<u32> = relevant.keys().copied().collect();
    users.sort_unstable();
    let mut sums = [0.0f64; 4];
    recommend_users(model, &users, train_seen, k, &NoProgress, |batch| {
        for list in batch {
            let items: Vec<u32> = list.items.iter().map(|s| s.item).collect();
            let (p, r, n, a) = list_metrics(&items, &relevant[&list.user], k);
            for (s, v) in sums.iter_mut().zip([p, r, n, a]) {
                *s += v;
            }
        }
    });
    let mean = |s: f64| (!users.is_empty()).then(|| s / users.len() as f64);
    RankingMetrics {
        k,
        precision: mean(sums[0]),
        recall: mean(sums[1]),
        ndcg: mean(sums[2]),
        map: mean(sums[3]),
        n_users: users.len(),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::data::IdMap;
    use crate::model::FactorLayout;

    #[test]
    fn list_metrics_match_hand_computed_values() {
        // recommended [1,2,3,4], relevant {1,3,9}, k=4
        // hits at positions 1 and 3: precision 2/4, recall 2/3
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309298
        // AP = (1/1 + 2/3) / min(3,4) = 0.5555556
        let relevant: HashSet<u32> = [1, 3, 9].into();
        let (p, r, n, a) = list_metrics(&[1, 2, 3, 4], &relevant, 4);
        assert!((p - 0.5).abs() < 1e-12);
        assert!((r - 2.0 / 3.0).abs() < 1e-12);
        assert!(
            (n - 1.5 / (1.0 + 1.0 / 3f64.log2() + 0.5)).abs() < 1e-12,
            "{n}"
        );
        assert!((a - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12, "{a}");
        // a list shorter than k still divides precision by k
        let (p, ..) = list_metrics(&[1], &relevant, 4);
        assert!((p - 0.25).abs() < 1e-12);
    }

    fn tiny_model() -> AlsModel {
        AlsModel::new(
            IdMap::from_ids([1, 2]),
            IdMap::from_ids([10, 20, 30]),
            array![[1.0f32], [2.0]],
            array![[1.0f32], [2.0], [3.0]],
            FactorLayout::Plain,
            None,
        )
    }

    #[test]
    fn rating_metrics_drop_and_count_cold_start_pairs() {
        // predictions: (1,10)=1, (2,30)=6; errors 1 and -1.5
        let test = Ratings::from_triples(&[(1, 10, 2.0), (2, 30, 4.5), (3, 10, 5.0), (1, 99, 1.0)]);
        let m = rating_metrics(&tiny_model(), &test);
        assert_eq!((m.n_test, m.n_scored, m.n_cold_start), (4, 2, 2));
        assert!((m.rmse.unwrap() - ((1.0 + 2.25) / 2.0f64).sqrt()).abs() < 1e-9);
        assert!((m.mae.unwrap() - 1.25).abs() < 1e-9);
        let none = rating_metrics(&tiny_model(), &Ratings::from_triples(&[(9, 9, 1.0)]));
        assert_eq!(none.rmse, None);
    }

    #[test]
    fn ranking_metrics_leave_out_training_items() {
        // user 1 scores items 30 > 20 > 10; 30 was rated in training, so the top-1 is 20.
        let seen = Csr::from_triples(2, &[(0, 2, 5.0)]);
        let test = Ratings::from_triples(&[(1, 20, 5.0), (2, 10, 2.0)]);
        let m = ranking_metrics(&tiny_model(), &seen, &test, 1, 4.0);
        assert_eq!(m.n_users, 1); // user 2 has no relevant test item
        assert_eq!(m.precision, Some(1.0));
        assert_eq!(m.ndcg, Some(1.0));
    }
}
