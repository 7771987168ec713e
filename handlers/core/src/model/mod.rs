//! A fitted ALS model: id maps, factor matrices, and how to read them.
//!
//! Prediction is always `user_factors[u] . item_factors[i]`, also for biased
//! models (their biases live inside the vectors, see [`FactorLayout`]), which
//! is what lets Spark load and use a movierec model unchanged.
//!
//! Owns [`AlsModel`], the vector layouts ([`FactorLayout`], [`RowLayout`],
//! [`Side`]; in `layout.rs`), predictions, and fold-in: a factor vector for a
//! user who is not in the model, from a handful of ratings, with the item
//! factors held fixed. Fold-in is one row of an ALS user half-step, solved in
//! closed form by `rowsolve.rs`, which training reuses for its own rows; so a
//! folded-in user is treated exactly as a trained one would be after one more
//! sweep, and no retrain is needed.
//!
//! It must not depend on training ([`crate::als`] depends on this module, not
//! the other way round), on files ([`crate::model_files`]) or on anything
//! outside the crate.

mod layout;
pub(crate) mod rowsolve;

use std::sync::OnceLock;

use ndarray::Array2;

pub use layout::{FactorLayout, RowLayout, Side};
use rowsolve::{ExplicitRows, ExplicitScratch, ImplicitRows};

use crate::data::IdMap;
use crate::linalg::{gramian, SolveError};
use crate::params::AlsParams;

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

    /// A factor vector for a user not in the model, from their ratings (item
    /// id, rating), with the item factors held fixed: the user's row of one
    /// more ALS user half-step under the model's parameters (Spark's defaults
    /// for a model trained elsewhere). Explicit models solve it as training
    /// does; implicit ones exactly, which is the optimum that training's CG
    /// steps approach. Items the model does not know are ignored; returns
    /// `Ok(None)` when none is known.
    pub fn fold_in(&self, ratings: &[(i32, f32)]) -> Result<Option<Vec<f32>>, SolveError> {
        let mut cols = Vec::with_capacity(ratings.len());
        let mut vals = Vec::with_capacity(ratings.len());
        for &(item, rating) in ratings {
            if let Some(i) = self.items.get(item) {
                cols.push(i);
                vals.push(rating);
            }
        }
        if cols.is_empty() {
            return Ok(None);
        }
        let params = self.params.clone().unwrap_or_default();
        let layout = RowLayout::new(self.layout, self.latent_rank(), Side::User);
        if params.implicit {
            let rows = ImplicitRows::new(&params, &self.item_factors, Some(self.item_gramian()));
            return rows
                .solve_row_exact(&cols, &vals, params.nonnegative)
                .map(Some);
        }
        // The model's item biases already include the global mean, so no mean here.
        let mut out = vec![0.0f32; layout.width];
        let rows = ExplicitRows::new(&params, &layout, &self.item_factors, 0.0);
        rows.solve_row::<false>(&cols, &vals, &mut out, &mut ExplicitScratch::default())?;
        Ok(Some(out))
    }

    /// `item_factors' item_factors`, computed once per model (implicit fold-in).
    fn item_gramian(&self) -> &[f32] {
        self.item_gramian
            .get_or_init(|| gramian(&self.item_factors))
    }
}
