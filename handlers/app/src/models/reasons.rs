//! Why a movie is in a user's list: the movie they liked that it is closest
//! to in the ranking model's item space ("because you rated ...").
//!
//! RecommendAllUsers stores each published item's reason with the list, so a
//! GET of the published list reads nothing more; a list computed at GET time
//! (model, fold-in) finds its reasons from the ratings it has just read. A
//! reason costs one dot product per liked movie and item, and at most
//! [`MAX_LIKED`] liked movies (the best rated, then the newest) are
//! considered: a list of 100 at rank 128 is at most 6.4M multiply-adds.

use movierec_core::model::AlsModel;
use movierec_core::topn::similar::ItemVectors;
use movierec_store::RatingRecord;

use super::metrics::RELEVANT;

/// The most liked movies a reason is chosen from.
pub const MAX_LIKED: usize = 500;

/// One user's liked movies, as the ranking model's item indices.
pub struct Reasons<'a> {
    model: &'a AlsModel,
    vectors: &'a ItemVectors,
    liked: Vec<u32>,
}

impl<'a> Reasons<'a> {
    /// From the movies of `ratings` (one user's) rated [`RELEVANT`] or more
    /// that the model knows, less those `skip` refuses (hidden ones).
    pub fn new<'r>(
        model: &'a AlsModel,
        vectors: &'a ItemVectors,
        ratings: impl IntoIterator<Item = &'r RatingRecord>,
        skip: impl Fn(i32) -> bool,
    ) -> Self {
        let mut liked: Vec<&RatingRecord> = ratings
            .into_iter()
            .filter(|r| r.rating >= RELEVANT && !skip(r.movie))
            .collect();
        liked.sort_by(|a, b| {
            b.rating
                .total_cmp(&a.rating)
                .then(b.timestamp.cmp(&a.timestamp))
        });
        let liked = liked
            .into_iter()
            .filter_map(|r| model.items.get(r.movie))
            .take(MAX_LIKED)
            .collect();
        Reasons {
            model,
            vectors,
            liked,
        }
    }

    /// The liked movie closest to `movie`; `None` when the model does not
    /// know `movie` or nothing liked is closer than orthogonal.
    pub fn because(&self, movie: i32) -> Option<i32> {
        let index = self.model.items.get(movie)?;
        let closest = self.vectors.closest(index, &self.liked)?;
        (closest.score > 0.0).then(|| self.model.items.id(closest.item))
    }
}
