//! The lists themselves: a set of the ranking model's users' top-N (rated
//! movies left out) with the rating model's predicted rating and the reason
//! per item, and
//! the popular list for users with no ratings. Pure computation on loaded
//! models; the callers read and write the store.

use std::collections::HashMap;

use movierec_core::data::RatingMatrix;
use movierec_core::topn::recommend_users;
use movierec_core::topn::similar::ItemVectors;
use movierec_core::NoProgress;
use movierec_store::{RatingRecord, RecommendedItem, UserRecommendations};

use crate::jobs::evaluation::RELEVANT;
use crate::models::{RatingVector, Reasons, VersionModels};

/// Length of the popular list kept for users with no ratings.
pub const POPULAR_LEN: usize = 100;

/// The lists of `users` (ids, all in the ranking model), leaving out what
/// `rated` says they rated, each item with its reason (see
/// [`crate::models::reasons`]). Their `rating_mark` is the caller's to set
/// (the marks read before `rated`).
pub fn user_lists(
    models: &VersionModels,
    users: &[i32],
    rated: &[RatingRecord],
    top_n: usize,
    version: u64,
    generated_at: i64,
) -> Vec<UserRecommendations> {
    let model = &models.ranking;
    let seen = RatingMatrix::seen_under(
        rated.iter().map(|r| (r.user, r.movie)),
        &model.users,
        &model.items,
    );
    let mut by_user: HashMap<i32, Vec<&RatingRecord>> = HashMap::new();
    for r in rated {
        by_user.entry(r.user).or_default().push(r);
    }
    let vectors = ItemVectors::new(model);
    let indices: Vec<u32> = users.iter().filter_map(|&u| model.users.get(u)).collect();
    let mut lists = Vec::with_capacity(indices.len());
    recommend_users(model, &indices, &seen, top_n, &NoProgress, |batch| {
        lists.extend(batch.into_iter().map(|l| {
            let user = model.users.id(l.user);
            let rating_vector = models
                .rating
                .as_ref()
                .and_then(|r| Some((r, RatingVector::for_trained(r, user)?)));
            let mine = by_user.get(&user).map(Vec::as_slice).unwrap_or_default();
            let reasons = Reasons::new(model, &vectors, mine.iter().copied(), |_| false);
            UserRecommendations {
                user,
                version,
                generated_at,
                items: l
                    .items
                    .iter()
                    .map(|s| {
                        let movie = model.items.id(s.item);
                        RecommendedItem {
                            movie,
                            score: s.score,
                            predicted_rating: rating_vector
                                .as_ref()
                                .and_then(|(r, v)| v.predict(r, movie)),
                            because: reasons.because(movie),
                        }
                    })
                    .collect(),
                rating_mark: None,
            }
        }))
    });
    lists
}

/// Counts of ratings of 4 or more per movie, fed a page of ratings at a time.
#[derive(Debug, Default)]
pub struct LikedCounts(HashMap<i32, u32>);

impl LikedCounts {
    pub fn add(&mut self, ratings: &[RatingRecord]) {
        for r in ratings.iter().filter(|r| r.rating >= RELEVANT) {
            *self.0.entry(r.movie).or_default() += 1;
        }
    }

    /// The `n` movies most often rated 4 or more, most first (ties: lower id
    /// first), the score being that count; predicted ratings from the rating
    /// model's "anyone" vector where it has one.
    pub fn popular(self, models: &VersionModels, n: usize) -> Vec<RecommendedItem> {
        let mut ranked: Vec<(i32, u32)> = self.0.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let anyone = models
            .rating
            .as_ref()
            .and_then(|r| Some((r, RatingVector::for_nobody(r)?)));
        ranked
            .into_iter()
            .take(n)
            .map(|(movie, count)| RecommendedItem {
                movie,
                score: count as f32,
                predicted_rating: anyone.as_ref().and_then(|(r, v)| v.predict(r, movie)),
                because: None,
            })
            .collect()
    }
}
