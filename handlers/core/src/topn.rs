//! Top-N recommendation: the highest-scoring items a user has not rated.
//!
//! For many users at once, scores are computed a block of users at a time as
//! one matrix product (`block x width` times `width x items`, ndarray's GEMM)
//! into a buffer reused per thread, the user's rated items are masked out, and
//! the best N are kept by a bounded insertion scan: no full sort, and memory is
//! `threads x block x items` floats whatever the number of users.
//! Ties are broken by the lower item index, so results are deterministic.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, Axis};
use rayon::prelude::*;

use crate::data::Csr;
use crate::model::AlsModel;
use crate::progress::{Progress, ProgressEvent};

/// Users scored per matrix product.
const BLOCK_USERS: usize = 256;
/// Users handed to the sink at a time (bounds the results held in memory).
const BATCH_USERS: usize = BLOCK_USERS * 32;

/// An item (dense index) and its predicted score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub item: u32,
    pub score: f32,
}

/// One user's list, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct UserTopN {
    pub user: u32,
    pub items: Vec<Scored>,
}

/// Keeps the best `n` of `scores` (skipping -inf and NaN), best first.
pub fn select_top(scores: ArrayView1<f32>, n: usize) -> Vec<Scored> {
    let mut best: Vec<Scored> = Vec::with_capacity(n + 1);
    if n == 0 {
        return best;
    }
    let mut floor = f32::NEG_INFINITY;
    for (i, &s) in scores.iter().enumerate() {
        // Strictly greater than the floor: on a tie the earlier item stays; NaN never enters.
        if s.is_nan() || s <= floor {
            continue;
        }
        let pos = best.partition_point(|b| b.score >= s);
        best.insert(
            pos,
            Scored {
                item: i as u32,
                score: s,
            },
        );
        if best.len() > n {
            best.pop();
        }
        if best.len() == n {
            floor = best[n - 1].score;
        }
    }
    best
}

/// The top `n` items for an arbitrary user vector (a folded-in user), leaving out `exclude`.
pub fn top_n_for_vector(
    model: &AlsModel,
    user_vector: &[f32],
    exclude: &[u32],
    n: usize,
) -> Vec<Scored> {
    let v = ArrayView1::from(user_vector);
    let mut scores = model.item_factors.dot(&v);
    for &i in exclude {
        if let Some(s) = scores.get_mut(i as usize) {
            *s = f32::NEG_INFINITY;
        }
    }
    select_top(scores.view(), n)
}

/// Top `n` for the given users (dense indices). `seen` has one row per model
/// user holding the items to leave out. Results reach `sink` in the order of
/// `users`, a batch at a time.
pub fn recommend_users(
    model: &AlsModel,
    users: &[u32],
    seen: &Csr,
    n: usize,
    progress: &dyn Progress,
    mut sink: impl FnMut(Vec<UserTopN>),
) {
    let item_t = model.item_factors.t();
    let n_items = model.item_factors.nrows();
    let mut done = 0;
    for batch in users.chunks(BATCH_USERS) {
        let lists: Vec<UserTopN> = batch
            .par_chunks(BLOCK_USERS)
            .map_init(
                || Array2::<f32>::zeros((BLOCK_USERS, n_items)),
                |scores, block| {
                    let factors = model.user_factors.select(
                        Axis(0),
                        &block.iter().map(|&u| u as usize).collect::<Vec<_>>(),
                    );
                    let mut out = scores.slice_mut(ndarray::s![..block.len(), ..]);
                    general_mat_mul(1.0, &factors, &item_t, 0.0, &mut out);
                    block
                        .iter()
                        .enumerate()
                        .map(|(row, &user)| {
                            let mut user_scores = out.row_mut(row);
                            if (user as usize) < seen.n_rows() {
                                for &i in seen.row(user as usize).0 {
                                    user_scores[i as usize] = f32::NEG_INFINITY;
                                }
                            }
                            UserTopN {
                                user,
                                items: select_top(user_scores.view(), n),
                            }
                        })
                        .collect::<Vec<_>>()
                },
            )
            .flatten()
            .collect();
        done += lists.len();
        sink(lists);
        progress.report(ProgressEvent::Recommended {
            done,
            total: users.len(),
        });
    }
}

/// Top `n` for every user of the model.
pub fn recommend_all(
    model: &AlsModel,
    seen: &Csr,
    n: usize,
    progress: &dyn Progress,
    sink: impl FnMut(Vec<UserTopN>),
) {
    let users: Vec<u32> = (0..model.users.len() as u32).collect();
    recommend_users(model, &users, seen, n, progress, sink);
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::data::IdMap;
    use crate::model::FactorLayout;
    use crate::NoProgress;

    #[test]
    fn select_top_keeps_best_in_order_and_breaks_ties_by_index() {
        let scores = array![0.5, 2.0, f32::NAN, 2.0, -1.0, 3.0, f32::NEG_INFINITY];
        let top = select_top(scores.view(), 3);
        let items: Vec<u32> = top.iter().map(|s| s.item).collect();
        assert_eq!(items, vec![5, 1, 3]);
        assert_eq!(select_top(scores.view(), 10).len(), 5);
    }

    #[test]
    fn recommend_all_excludes_seen_items_and_matches_brute_force() {
        let n_users = 600; // more than two blocks
        let n_items = 50;
        let uf = Array2::from_shape_fn((n_users, 4), |(u, k)| ((u * 7 + k * 3) % 11) as f32 - 5.0);
        let itf = Array2::from_shape_fn((n_items, 4), |(i, k)| ((i * 5 + k) % 13) as f32 / 13.0);
        let model = AlsModel::new(
            IdMap::from_ids(0..n_users as i32),
            IdMap::from_ids(0..n_items as i32),
            uf,
            itf,
            FactorLayout::Plain,
            None,
        );
        let triples: Vec<(u32, u32, f32)> = (0..n_users as u32)
            .map(|u| (u, u % n_items as u32, 1.0))
            .collect();
        let seen = Csr::from_triples(n_users, &triples);
        let mut all = Vec::new();
        recommend_all(&model, &seen, 5, &NoProgress, |batch| all.extend(batch));
        assert_eq!(all.len(), n_users);
        for list in &all {
            assert_eq!(list.items.len(), 5);
            let seen_item = list.user % n_items as u32;
            assert!(list.items.iter().all(|s| s.item != seen_item));
            let mut brute: Vec<(u32, f32)> = (0..n_items as u32)
                .filter(|&i| i != seen_item)
                .map(|i| (i, model.predict_index(list.user, i)))
                .collect();
            brute.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let want: Vec<u32> = brute.iter().take(5).map(|p| p.0).collect();
            let got: Vec<u32> = list.items.iter().map(|s| s.item).collect();
            assert_eq!(got, want, "user {}", list.user);
        }
    }
}
