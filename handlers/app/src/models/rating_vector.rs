//! A user's vector in the rating model: what turns a recommended movie into
//! the `predicted_rating` served beside its ranking `score`.
//!
//! Owns only the arithmetic of choosing that vector (the trained row, a fold-in
//! from the user's ratings, or "anyone" for a user with none); it must not read
//! the store or know about HTTP.

use movierec_core::als::{RowLayout, Side};
use movierec_core::model::{AlsModel, FactorLayout};

#[derive(Debug, Clone)]
pub struct RatingVector(Vec<f32>);

impl RatingVector {
    /// The trained row of `user`, if the model has one.
    pub fn for_trained(model: &AlsModel, user: i32) -> Option<Self> {
        let u = model.users.get(user)?;
        Some(RatingVector(model.user_factors.row(u as usize).to_vec()))
    }

    /// The trained row of `user`, else one folded in from `rated` (movie, rating).
    pub fn for_user(model: &AlsModel, user: i32, rated: &[(i32, f32)]) -> Option<Self> {
        Self::for_trained(model, user).or_else(|| Self::folded_in(model, rated))
    }

    /// A vector folded in from `rated` (movie, rating), whether or not the
    /// model knows the user: for one who rated since it was trained.
    pub fn folded_in(model: &AlsModel, rated: &[(i32, f32)]) -> Option<Self> {
        // A failed fold-in only costs the predicted rating, never the list.
        model.fold_in(rated).ok().flatten().map(RatingVector)
    }

    /// A user with no ratings: the global mean plus the movie's bias, in a
    /// biased model; a plain model has nothing to say for such a user.
    pub fn for_nobody(model: &AlsModel) -> Option<Self> {
        let layout = RowLayout::new(model.layout, model.latent_rank(), Side::User);
        let fixed = layout
            .fixed
            .filter(|_| model.layout == FactorLayout::Biased)?;
        let mut v = vec![0.0; layout.width];
        v[fixed] = 1.0;
        Some(RatingVector(v))
    }

    /// The predicted rating of `movie`, when the model knows it.
    pub fn predict(&self, model: &AlsModel, movie: i32) -> Option<f32> {
        let i = model.items.get(movie)?;
        let item = model.item_factors.row(i as usize);
        Some(self.0.iter().zip(item.iter()).map(|(a, b)| a * b).sum())
    }
}
