//! A trained ALS model: id maps, factor matrices, and how to read them.
//!
//! Prediction is always `user_factors[u] . item_factors[i]`, also for biased
//! models (their biases live inside the vectors, see [`FactorLayout`]), which
//! is what lets Spark load and use a movierec model unchanged.

use std::sync::OnceLock;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::als::{AlsParams, SolveError};
use crate::data::IdMap;

/// How factor vectors are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FactorLayout {
    /// All entries are latent factors (Spark's models).
    #[default]
    Plain,
    /// `latent` factors then two more: a user is `[p, b_u, 1]`, an item
    /// `[q, 1, mean + b_i]`, so the dot product adds both biases and the mean.
    Biased,
}

impl FactorLayout {
    /// Number of latent factors for vectors of `width` entries.
    pub fn latent_rank(self, width: usize) -> usize {
        match self {
            FactorLayout::Plain => width,
            FactorLayout::Biased => width.saturating_sub(2),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AlsModel {
    pub users: IdMap,
    pub items: IdMap,
    /// One row per user, in `users` index order.
    pub user_factors: Array2<f32>,
    /// One row per item, in `items` index order.
    pub item_factors: Array2<f32>,
    pub layout: FactorLayout,
    /// The parameters it was trained with; `None` for a model trained elsewhere.
    pub params: Option<AlsParams>,
    /// `item_factors' item_factors`, computed on first use by implicit fold-in.
    item_gramian: OnceLock<Vec<f32>>,
}

impl AlsModel {
    pub fn new(
        users: IdMap,
        items: IdMap,
        user_factors: Array2<f32>,
        item_factors: Array2<f32>,
        layout: FactorLayout,
        params: Option<AlsParams>,
    ) -> Self {
        AlsModel {
            users,
            items,
            user_factors,
            item_factors,
            layout,
            params,
            item_gramian: OnceLock::new(),
        }
    }

    /// Length of a factor vector (the `rank` in Spark's metadata).
    pub fn width(&self) -> usize {
        self.item_factors.ncols()
    }

    pub fn latent_rank(&self) -> usize {
        self.layout.latent_rank(self.width())
    }

    /// Predicted rating of `user` for `item`, or `None` when either is unknown
    /// (Spark's `coldStartStrategy=drop`).
    pub fn predict(&self, user: i32, item: i32) -> Option<f32> {
        let u = self.users.get(user)?;
        let i = self.items.get(item)?;
        Some(self.predict_index(u, i))
    }

    pub fn predict_index(&self, user: u32, item: u32) -> f32 {
        self.user_factors
            .row(user as usize)
            .dot(&self.item_factors.row(item as usize))
    }

    /// A factor vector for a user not in the model, from their ratings
    /// (see [`crate::als::foldin`]).
    pub fn fold_in(&self, ratings: &[(i32, f32)]) -> Result<Option<Vec<f32>>, SolveError> {
        crate::als::foldin::fold_in_user(self, ratings)
    }

    /// `item_factors' item_factors`, computed once per model (implicit fold-in).
    pub fn item_gramian(&self) -> &[f32] {
        self.item_gramian
            .get_or_init(|| crate::als::implicit::gramian(&self.item_factors))
    }
}
