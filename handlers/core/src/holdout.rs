//! Several models' lists on one holdout, each scored as it would be served:
//! a user the model knows is ranked by their trained row, a user it does not
//! know is folded in from their training-part ratings, and a user it cannot
//! fold in (none of their movies known) gets the most-popular list. Each
//! user's training-part movies are left out of their list. So a model trained
//! long ago on fewer users (the serving champion) and one trained today (the
//! challenger) answer the same users' same questions.
//!
//! The users are those with a liked holdout movie (rated at or above the
//! threshold) and at least one training-part rating; the liked movies count
//! only when some training-part rating names them (a movie nobody rated in
//! training is no model's to rank). Ids stay raw, so models with different id
//! maps compare.
//!
//! Two models on the same users are compared pair by pair ([`Paired`]): the
//! mean of the per-user NDCG differences and its standard error, so that a
//! gate can tell a difference from the holdout's sampling noise.
//!
//! Owns [`HoldoutUsers`]; it must not know where ratings or models come from.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::data::Ratings;
use crate::metrics::{list_metrics, Means, RankingMetrics};
use crate::model::AlsModel;
use crate::topn::top_n_for_vector;

/// Two models' lists on the same holdout users.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    pub challenger: RankingMetrics,
    pub champion: RankingMetrics,
    /// Mean over users of (challenger's NDCG − champion's NDCG).
    pub mean_difference: f64,
    /// Its standard error (sample standard deviation of the differences / √users).
    pub standard_error: f64,
}

/// One holdout user: what they rated in the training part and what they liked in the holdout.
struct HoldoutUser {
    id: i32,
    train: Vec<(i32, f32)>,
    liked: HashSet<u32>,
}

/// The users of one holdout, ready to score any number of models on.
pub struct HoldoutUsers {
    users: Vec<HoldoutUser>,
    /// Movies by the number of training-part ratings at or above the
    /// threshold, most first, ties by lower id: the most-popular list.
    popular: Vec<i32>,
}

impl HoldoutUsers {
    pub fn new(train: &Ratings, holdout: &Ratings, threshold: f32) -> Self {
        let mut train_of: HashMap<i32, Vec<(i32, f32)>> = HashMap::new();
        let mut liked_count: HashMap<i32, usize> = HashMap::new();
        for r in &train.rows {
            train_of.entry(r.user).or_default().push((r.item, r.rating));
            let count = liked_count.entry(r.item).or_default();
            if r.rating >= threshold {
                *count += 1;
            }
        }
        let mut liked_of: HashMap<i32, HashSet<u32>> = HashMap::new();
        for r in &holdout.rows {
            if r.rating >= threshold && liked_count.contains_key(&r.item) {
                liked_of.entry(r.user).or_default().insert(r.item as u32);
            }
        }
        let mut users: Vec<HoldoutUser> = liked_of
            .into_iter()
            .filter_map(|(id, liked)| {
                let train = train_of.remove(&id)?;
                Some(HoldoutUser { id, train, liked })
            })
            .collect();
        users.sort_unstable_by_key(|u| u.id);
        let mut popular: Vec<(i32, usize)> = liked_count.into_iter().collect();
        popular.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        HoldoutUsers {
            users,
            popular: popular.into_iter().map(|(id, _)| id).collect(),
        }
    }

    /// Users scored (those with a liked holdout movie and a training rating).
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// `model`'s lists of `k` as served (see the module doc).
    pub fn served_metrics(&self, model: &AlsModel, k: usize) -> RankingMetrics {
        self.means(&self.served_lists(model, k), k)
    }

    /// `challenger` and `champion` on the same users, paired (see [`Paired`]).
    pub fn paired(&self, challenger: &AlsModel, champion: &AlsModel, k: usize) -> Paired {
        let (a, b) = (
            self.served_lists(challenger, k),
            self.served_lists(champion, k),
        );
        let ndcg = |lists: &[Vec<u32>]| -> Vec<f64> {
            self.users
                .iter()
                .zip(lists)
                .map(|(user, list)| list_metrics(list, &user.liked, k).2)
                .collect()
        };
        let differences: Vec<f64> = ndcg(&a).iter().zip(ndcg(&b)).map(|(x, y)| x - y).collect();
        let n = differences.len() as f64;
        let mean = differences.iter().sum::<f64>() / n.max(1.0);
        let variance =
            differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        Paired {
            challenger: self.means(&a, k),
            champion: self.means(&b, k),
            mean_difference: mean,
            standard_error: (variance / n.max(1.0)).sqrt(),
        }
    }

    /// The most-popular list of `k`, each user's training-part movies left out.
    pub fn popular_metrics(&self, k: usize) -> RankingMetrics {
        let lists: Vec<Vec<u32>> = self
            .users
            .iter()
            .map(|user| self.popular_list(user, k))
            .collect();
        self.means(&lists, k)
    }

    fn means(&self, lists: &[Vec<u32>], k: usize) -> RankingMetrics {
        let mut means = Means::default();
        for (user, list) in self.users.iter().zip(lists) {
            means.add(list, &user.liked, k);
        }
        means.finish(k)
    }

    /// Every user's list from `model`, in user order.
    fn served_lists(&self, model: &AlsModel, k: usize) -> Vec<Vec<u32>> {
        self.users
            .par_iter()
            .map(|user| self.served_list(model, user, k))
            .collect()
    }

    fn served_list(&self, model: &AlsModel, user: &HoldoutUser, k: usize) -> Vec<u32> {
        let row;
        let vector: &[f32] = match model.users.get(user.id) {
            Some(u) => {
                row = model.user_factors.row(u as usize);
                row.as_slice().expect("factor matrices are contiguous")
            }
            None => match model.fold_in(&user.train) {
                Ok(Some(folded)) => return self.list_for(model, user, &folded, k),
                // A user the model cannot fold in is served the popular list.
                _ => return self.popular_list(user, k),
            },
        };
        self.list_for(model, user, vector, k)
    }

    fn list_for(&self, model: &AlsModel, user: &HoldoutUser, vector: &[f32], k: usize) -> Vec<u32> {
        let exclude: Vec<u32> = user
            .train
            .iter()
            .filter_map(|&(item, _)| model.items.get(item))
            .collect();
        top_n_for_vector(model, vector, &exclude, k)
            .into_iter()
            .map(|s| model.items.id(s.item) as u32)
            .collect()
    }

    fn popular_list(&self, user: &HoldoutUser, k: usize) -> Vec<u32> {
        let rated: HashSet<i32> = user.train.iter().map(|&(item, _)| item).collect();
        self.popular
            .iter()
            .filter(|id| !rated.contains(id))
            .take(k)
            .map(|&id| id as u32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::als::{train, AlsParams};
    use crate::data::{hash_split, RatingMatrix};
    use crate::metrics::{popular_ranking_metrics, popularity_order, ranking_metrics};
    use crate::NoProgress;

    /// Two taste groups: users 0..60 like movies 0..20, users 60..120 movies 20..40.
    fn two_tastes() -> Ratings {
        let mut triples = Vec::new();
        for u in 0..120 {
            for i in 0..40 {
                let mine = (u < 60) == (i < 20);
                if (u * 7 + i * 3) % 5 < 3 {
                    triples.push((u, i, if mine { 5.0 } else { 1.0 }));
                }
            }
        }
        Ratings::from_triples(&triples)
    }

    fn params() -> AlsParams {
        AlsParams {
            rank: 4,
            iterations: 10,
            ..AlsParams::ranking()
        }
    }

    #[test]
    fn a_model_that_knows_every_user_scores_as_the_batch_metrics_do() {
        let (train_part, holdout) = hash_split(&two_tastes(), 0.2, 1);
        let matrix = RatingMatrix::build(&train_part);
        let model = train(&matrix, &params(), &NoProgress).unwrap();
        let users = HoldoutUsers::new(&train_part, &holdout, 4.0);
        let served = users.served_metrics(&model, 10);
        let batch = ranking_metrics(&model, &matrix.by_user, &holdout, 10, 4.0);
        assert_eq!(served.n_users, batch.n_users);
        assert!((served.ndcg.unwrap() - batch.ndcg.unwrap()).abs() < 1e-9);
        let popular = popular_ranking_metrics(
            &matrix.users,
            &matrix.items,
            &popularity_order(&matrix.by_item, 4.0),
            &matrix.by_user,
            &holdout,
            10,
            4.0,
        );
        let ours = users.popular_metrics(10);
        assert_eq!(ours.n_users, popular.n_users);
        assert!(served.ndcg.unwrap() > ours.ndcg.unwrap());
    }

    #[test]
    fn users_a_model_never_saw_are_folded_in_not_dropped() {
        let ratings = two_tastes();
        let (train_part, holdout) = hash_split(&ratings, 0.2, 1);
        // an older model: trained on users 0..40 and 60..100 only
        let older: Vec<_> = train_part
            .rows
            .iter()
            .filter(|r| r.user % 60 < 40)
            .copied()
            .collect();
        let champion = train(
            &RatingMatrix::build(&Ratings::new(older)),
            &params(),
            &NoProgress,
        )
        .unwrap();
        let users = HoldoutUsers::new(&train_part, &holdout, 4.0);
        let m = users.served_metrics(&champion, 10);
        assert_eq!(m.n_users, users.len());
        // folded-in users get their own taste: far above the popular list
        assert!(
            m.ndcg.unwrap() > users.popular_metrics(10).ndcg.unwrap() + 0.2,
            "{m:?}"
        );
    }
}
