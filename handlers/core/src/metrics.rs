//! Evaluation: rating error and ranking quality on held-out ratings.
//!
//! Rating metrics follow Spark's `coldStartStrategy=drop`: a test pair whose
//! user or item the model has never seen is counted and left out of RMSE/MAE.
//! Ranking metrics recommend the top k unseen items for each test user who has
//! at least one relevant held-out item (rating >= threshold) and compare them
//! with those relevant items; each metric is the mean over such users.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::data::{Csr, IdMap, Ratings};
use crate::model::AlsModel;
use crate::progress::NoProgress;
use crate::topn::{recommend_all, recommend_users, top_n_for_vector};

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

/// Each test user's relevant items (rated >= `threshold`), as dense indices of
/// `users` and `items`; pairs outside them are dropped.
pub fn relevant_items(
    users: &IdMap,
    items: &IdMap,
    test: &Ratings,
    threshold: f32,
) -> HashMap<u32, HashSet<u32>> {
    let mut relevant: HashMap<u32, HashSet<u32>> = HashMap::new();
    for r in &test.rows {
        if r.rating >= threshold {
            if let (Some(u), Some(i)) = (users.get(r.user), items.get(r.item)) {
                relevant.entry(u).or_default().insert(i);
            }
        }
    }
    relevant
}

/// Sums of the four list metrics, turned into means.
#[derive(Default)]
pub(crate) struct Means {
    sums: [f64; 4],
    users: usize,
}

impl Means {
    pub(crate) fn add(&mut self, list: &[u32], relevant: &HashSet<u32>, k: usize) {
        let (p, r, n, a) = list_metrics(list, relevant, k);
        for (s, v) in self.sums.iter_mut().zip([p, r, n, a]) {
            *s += v;
        }
        self.users += 1;
    }

    pub(crate) fn finish(self, k: usize) -> RankingMetrics {
        let mean = |s: f64| (self.users > 0).then(|| s / self.users as f64);
        RankingMetrics {
            k,
            precision: mean(self.sums[0]),
            recall: mean(self.sums[1]),
            ndcg: mean(self.sums[2]),
            map: mean(self.sums[3]),
            n_users: self.users,
        }
    }
}

/// Ranking metrics at `k` with items rated >= `threshold` in `test` as relevant:
/// the lists as served, each user's `train_seen` items (one row per model
/// user) left out.
pub fn ranking_metrics(
    model: &AlsModel,
    train_seen: &Csr,
    test: &Ratings,
    k: usize,
    threshold: f32,
) -> RankingMetrics {
    let relevant = relevant_items(&model.users, &model.items, test, threshold);
    let mut users: Vec<u32> = relevant.keys().copied().collect();
    users.sort_unstable();
    let mut means = Means::default();
    recommend_users(model, &users, train_seen, k, &NoProgress, |batch| {
        for list in batch {
            let items: Vec<u32> = list.items.iter().map(|s| s.item).collect();
            means.add(&items, &relevant[&list.user], k);
        }
    });
    means.finish(k)
}

/// Item indices by the number of ratings >= `threshold` in `by_item` (one row
/// per item), most first, ties by lower index: the most-popular list.
pub fn popularity_order(by_item: &Csr, threshold: f32) -> Vec<u32> {
    let mut counts: Vec<(u32, usize)> = (0..by_item.n_rows())
        .map(|i| {
            let liked = by_item.row(i).1.iter().filter(|&&r| r >= threshold).count();
            (i as u32, liked)
        })
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.into_iter().map(|(i, _)| i).collect()
}

/// The same metrics for the most-popular list (the baseline every model must
/// beat), each user's `train_seen` items left out; indices of `users` and `items`.
pub fn popular_ranking_metrics(
    users: &IdMap,
    items: &IdMap,
    order: &[u32],
    train_seen: &Csr,
    test: &Ratings,
    k: usize,
    threshold: f32,
) -> RankingMetrics {
    let relevant = relevant_items(users, items, test, threshold);
    let mut ids: Vec<u32> = relevant.keys().copied().collect();
    ids.sort_unstable();
    let mut means = Means::default();
    for u in ids {
        let seen: HashSet<u32> = train_seen.row(u as usize).0.iter().copied().collect();
        let list: Vec<u32> = order
            .iter()
            .copied()
            .filter(|i| !seen.contains(i))
            .take(k)
            .collect();
        means.add(&list, &relevant[&u], k);
    }
    means.finish(k)
}

/// Share of the model's items that appear in at least one user's top `k`
/// (rated items left out): how much of the catalogue the lists reach.
pub fn catalogue_coverage(model: &AlsModel, seen: &Csr, k: usize) -> f64 {
    let mut shown = vec![false; model.items.len()];
    recommend_all(model, seen, k, &NoProgress, |batch| {
        for list in batch {
            for s in list.items {
                shown[s.item as usize] = true;
            }
        }
    });
    shown.iter().filter(|&&s| s).count() as f64 / model.items.len().max(1) as f64
}

/// Strong generalisation (Liang et al. 2018): users the model never saw, folded
/// in from part of their ratings and ranked on the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldInMetrics {
    /// hits in the top 20 / min(20, relevant), as Liang et al. normalise it.
    pub recall_at_20: Option<f64>,
    /// binary-gain NDCG of the top 100.
    pub ndcg_at_100: Option<f64>,
    pub n_users: usize,
}

/// Folds each user of `fold_in` into `model` from those ratings, ranks every
/// item they did not rate there, and scores the lists against their items in
/// `target` rated >= `threshold`. Users with no relevant target item, or none
/// of whose fold-in items the model knows, are left out.
pub fn fold_in_metrics(
    model: &AlsModel,
    fold_in: &Ratings,
    target: &Ratings,
    threshold: f32,
) -> FoldInMetrics {
    let mut history: HashMap<i32, Vec<(i32, f32)>> = HashMap::new();
    for r in &fold_in.rows {
        history.entry(r.user).or_default().push((r.item, r.rating));
    }
    let mut relevant: HashMap<i32, HashSet<u32>> = HashMap::new();
    for r in target.rows.iter().filter(|r| r.rating >= threshold) {
        if let Some(i) = model.items.get(r.item) {
            relevant.entry(r.user).or_default().insert(i);
        }
    }
    let mut users: Vec<i32> = relevant.keys().copied().collect();
    users.sort_unstable();
    let scored: Vec<(f64, f64)> = users
        .par_iter()
        .filter_map(|u| {
            let rated = history.get(u)?;
            let vector = model.fold_in(rated).ok()??;
            let exclude: Vec<u32> = rated.iter().filter_map(|r| model.items.get(r.0)).collect();
            let list: Vec<u32> = top_n_for_vector(model, &vector, &exclude, 100)
                .into_iter()
                .map(|s| s.item)
                .collect();
            let rel = &relevant[u];
            let hits20 = list.iter().take(20).filter(|i| rel.contains(i)).count();
            let recall = hits20 as f64 / rel.len().min(20) as f64;
            let (_, _, ndcg, _) = list_metrics(&list, rel, 100);
            Some((recall, ndcg))
        })
        .collect();
    let n = scored.len();
    let mean =
        |f: fn(&(f64, f64)) -> f64| (n > 0).then(|| scored.iter().map(f).sum::<f64>() / n as f64);
    FoldInMetrics {
        recall_at_20: mean(|s| s.0),
        ndcg_at_100: mean(|s| s.1),
        n_users: n,
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

    #[test]
    fn popular_baseline_leaves_out_seen_items_and_coverage_counts_distinct_items() {
        // by item: item 2 liked twice, item 0 once, item 1 never
        let by_item = Csr::from_triples(3, &[(0, 0, 4.0), (1, 0, 2.0), (2, 0, 5.0), (2, 1, 4.5)]);
        let order = popularity_order(&by_item, 4.0);
        assert_eq!(order, vec![2, 0, 1]);
        // user 1 (index 0) rated item 30 (index 2) in training: their list is [10, 20]
        let seen = Csr::from_triples(2, &[(0, 2, 5.0)]);
        let model = tiny_model();
        let test = Ratings::from_triples(&[(1, 10, 5.0)]);
        let m = popular_ranking_metrics(&model.users, &model.items, &order, &seen, &test, 1, 4.0);
        assert_eq!((m.n_users, m.precision), (1, Some(1.0)));
        // every user's top 1 is item 30 unless seen: items 30 and 20 are shown, 10 never
        let c = catalogue_coverage(&model, &seen, 1);
        assert!((c - 2.0 / 3.0).abs() < 1e-12, "{c}");
    }
}
