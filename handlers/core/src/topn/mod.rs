//! Top-N recommendation: the highest-scoring items a user has not rated.
//!
//! For many users at once ([`recommend_users`]) the item factors are packed
//! once, and users are scored a block at a time by `scoring.rs`'s cache-blocked
//! kernel, which hands each score straight to the user's running best list
//! (`select.rs`): no `users x items` matrix is written, and memory is the
//! packed items plus `threads x block` lists whatever the number of users.
//! Rated items are left out as they are met (each user's sorted row of
//! `seen`). Ties are broken by the lower item index, so results are
//! deterministic. One user ([`top_n_for_vector`]) is one matrix-vector
//! product and [`select_top`].
//!
//! Owns the ranking arithmetic only; it must not know about stores or jobs.

mod scoring;
mod select;
pub mod similar;

use ndarray::ArrayView1;
use rayon::prelude::*;

use crate::data::Csr;
use crate::linalg::lanes::{dot, have_avx2_fma};
use crate::model::AlsModel;
use crate::progress::{Progress, ProgressEvent};
use scoring::PackedItems;
use select::Best;

/// Users scored together (a multiple of the kernel's 6-user tile): the item
/// factors go through memory once per block.
const BLOCK_USERS: usize = 240;
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
    let mut best = Best::new(n, &[]);
    for (i, &s) in scores.iter().enumerate() {
        best.offer(i as u32, s);
    }
    best.into_list()
}

/// The top `n` items for an arbitrary user vector (a folded-in user), leaving out `exclude`.
pub fn top_n_for_vector(
    model: &AlsModel,
    user_vector: &[f32],
    exclude: &[u32],
    n: usize,
) -> Vec<Scored> {
    let mut scores = item_scores(model, user_vector);
    for &i in exclude {
        if let Some(s) = scores.get_mut(i as usize) {
            *s = f32::NEG_INFINITY;
        }
    }
    select_top(ArrayView1::from(&scores), n)
}

/// The top `n` items for a user vector among the items `keep` accepts (dense
/// indices): a GET's list with its filters.
pub fn top_n_for_vector_where(
    model: &AlsModel,
    user_vector: &[f32],
    keep: impl Fn(u32) -> bool,
    n: usize,
) -> Vec<Scored> {
    let scores = item_scores(model, user_vector);
    let mut best = Best::new(n, &[]);
    for (i, &s) in scores.iter().enumerate() {
        best.offer_where(i as u32, s, &keep);
    }
    best.into_list()
}

/// Every item's score for one user vector, in item order: one dot product
/// per item row, with AVX2 and FMA where the CPU has them. ndarray's mat-vec
/// (no BLAS) was 18% of a filtered GET's CPU at rank 128 in `perf`.
fn item_scores(model: &AlsModel, user_vector: &[f32]) -> Vec<f32> {
    let width = model.item_factors.ncols();
    assert_eq!(
        user_vector.len(),
        width,
        "a user vector of the model's width"
    );
    let rows = model
        .item_factors
        .as_slice()
        .expect("factor matrices are contiguous");
    #[cfg(target_arch = "x86_64")]
    if have_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { item_scores_avx2(rows, user_vector) };
    }
    rows.chunks_exact(width.max(1))
        .map(|row| dot::<false>(row, user_vector))
        .collect()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn item_scores_avx2(rows: &[f32], user_vector: &[f32]) -> Vec<f32> {
    rows.chunks_exact(user_vector.len().max(1))
        .map(|row| dot::<true>(row, user_vector))
        .collect()
}

/// Top `n` for the given users (dense indices). `seen` has one row per model
/// user holding the items to leave out, sorted (as [`Csr`]'s constructors
/// make them). Results reach `sink` in the order of `users`, a batch at a time;
/// they stop arriving (between batches) once `progress` is cancelled, so a
/// caller that can cancel checks [`Progress::cancelled`] afterwards.
pub fn recommend_users(
    model: &AlsModel,
    users: &[u32],
    seen: &Csr,
    n: usize,
    progress: &dyn Progress,
    mut sink: impl FnMut(Vec<UserTopN>),
) {
    let width = model.width();
    let items = PackedItems::new(
        model
            .item_factors
            .as_slice()
            .expect("factor matrices are contiguous"),
        width,
    );
    let mut done = 0;
    for batch in users.chunks(BATCH_USERS) {
        if progress.cancelled() {
            return;
        }
        let lists: Vec<UserTopN> = batch
            .par_chunks(BLOCK_USERS)
            .map_init(Vec::new, |factors: &mut Vec<f32>, block| {
                factors.clear();
                for &u in block {
                    factors.extend(model.user_factors.row(u as usize).iter());
                }
                let mut best: Vec<Best> = block
                    .iter()
                    .map(|&u| {
                        let exclude = if (u as usize) < seen.n_rows() {
                            seen.row(u as usize).0
                        } else {
                            &[]
                        };
                        Best::new(n, exclude)
                    })
                    .collect();
                items.score_into(factors, &mut best);
                block
                    .iter()
                    .zip(best)
                    .map(|(&user, best)| UserTopN {
                        user,
                        items: best.into_list(),
                    })
                    .collect::<Vec<_>>()
            })
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
    use ndarray::{array, Array2};

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

    /// Cancelled after its first batch, the all-users lists stop there.
    #[test]
    fn cancelled_lists_stop_between_batches() {
        struct AfterOneBatch(std::sync::atomic::AtomicBool);
        impl Progress for AfterOneBatch {
            fn report(&self, _event: ProgressEvent) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            fn cancelled(&self) -> bool {
                self.0.load(std::sync::atomic::Ordering::Relaxed)
            }
        }
        let users = BATCH_USERS * 2 + 1;
        let model = AlsModel::new(
            IdMap::from_ids(0..users as i32),
            IdMap::from_ids(0..4),
            Array2::ones((users, 2)),
            Array2::ones((4, 2)),
            FactorLayout::Plain,
            None,
        );
        let seen = Csr::from_triples(users, &[]);
        let mut lists = 0;
        let progress = AfterOneBatch(Default::default());
        recommend_all(&model, &seen, 2, &progress, |batch| lists += batch.len());
        assert_eq!(lists, BATCH_USERS);
    }

    /// Every user's list against a full sort of all its unseen items.
    fn check_against_brute_force(n_users: usize, n_items: usize, width: usize, n: usize) {
        // Integer factors: every score is exact, so ties are real ties and
        // must go to the lower item index.
        let uf = Array2::from_shape_fn((n_users, width), |(u, k)| {
            ((u * 7 + k * 3) % 11) as f32 - 5.0
        });
        let itf = Array2::from_shape_fn((n_items, width), |(i, k)| ((i * 5 + k) % 13) as f32 - 6.0);
        let model = AlsModel::new(
            IdMap::from_ids(0..n_users as i32),
            IdMap::from_ids(0..n_items as i32),
            uf,
            itf,
            FactorLayout::Plain,
            None,
        );
        // User u has rated items u % n_items and (3u) % n_items.
        let triples: Vec<(u32, u32, f32)> = (0..n_users as u32)
            .flat_map(|u| {
                [
                    (u, u % n_items as u32, 1.0),
                    (u, (3 * u) % n_items as u32, 1.0),
                ]
            })
            .collect();
        let seen = Csr::from_triples(n_users, &triples);
        let mut all = Vec::new();
        recommend_all(&model, &seen, n, &NoProgress, |batch| all.extend(batch));
        assert_eq!(all.len(), n_users);
        for (u, list) in all.iter().enumerate() {
            assert_eq!(list.user as usize, u);
            let rated = seen.row(u).0;
            let mut brute: Vec<(u32, f32)> = (0..n_items as u32)
                .filter(|i| !rated.contains(i))
                .map(|i| (i, model.predict_index(list.user, i)))
                .collect();
            brute.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let want: Vec<(u32, f32)> = brute.into_iter().take(n).collect();
            let got: Vec<(u32, f32)> = list.items.iter().map(|s| (s.item, s.score)).collect();
            assert_eq!(got, want, "user {u}");
        }
    }

    #[test]
    fn top_n_where_equals_filtering_every_item_first() {
        // Integer factors with many tied scores: the filter asked late must
        // still give the ties to the lower index, as filtering first does.
        let itf = Array2::from_shape_fn((500, 3), |(i, k)| ((i * 7 + k * 5) % 9) as f32 - 4.0);
        let model = AlsModel::new(
            IdMap::from_ids([1]),
            IdMap::from_ids(0..500),
            Array2::zeros((1, 3)),
            itf,
            FactorLayout::Plain,
            None,
        );
        let vector = [1.0, -2.0, 0.5];
        for (n, modulus) in [(10, 3), (50, 7), (5, 1000)] {
            let keep = |i: u32| i % modulus == 1;
            let mut scores = model.item_factors.dot(&ArrayView1::from(&vector[..]));
            scores
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| !keep(*i as u32))
                .for_each(|(_, s)| *s = f32::NEG_INFINITY);
            let want = select_top(scores.view(), n);
            let got = top_n_for_vector_where(&model, &vector, keep, n);
            assert_eq!(got, want, "n {n}, every {modulus}th item");
            assert!(got.iter().all(|s| keep(s.item)));
        }
    }

    #[test]
    fn recommend_all_excludes_seen_items_and_matches_brute_force() {
        // More than two blocks of users, a short last tile, a partial panel.
        check_against_brute_force(600, 50, 4, 5);
        // Several item chunks, an odd width, lists longer than a panel.
        check_against_brute_force(250, 2_100, 7, 20);
        // Fewer unseen items than n: the list is every unseen item.
        check_against_brute_force(13, 9, 3, 10);
    }
}
