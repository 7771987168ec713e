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
        // The model's item biases already include the global mean, so no mean here.
        self.fold_in_side(Side::User, ratings, 0.0)
    }

    /// A factor vector for an item not in the model, from its ratings (user
    /// id, rating), with the user factors held fixed: the item's row of one
    /// more ALS item half-step, as [`AlsModel::fold_in`] is for users. In the
    /// biased layout an item's bias holds the global mean, which a trained
    /// model no longer knows apart: the mean of the known items' bias entries
    /// stands in for it (biases are regularised towards 0, so their mean is
    /// close to the global mean). Users the model does not know are ignored;
    /// `Ok(None)` when none is known.
    pub fn fold_in_item(&self, ratings: &[(i32, f32)]) -> Result<Option<Vec<f32>>, SolveError> {
        let item_layout = RowLayout::new(self.layout, self.latent_rank(), Side::Item);
        let mean = item_layout
            .bias_index()
            .map(|b| self.item_factors.column(b).mean().unwrap_or(0.0))
            .unwrap_or(0.0);
        let vector = self.fold_in_side(Side::Item, ratings, mean)?;
        Ok(vector.map(|mut v| {
            if let Some(b) = item_layout.bias_index() {
                v[b] += mean;
            }
            v
        }))
    }

    /// One row of a half-step of `side` against the other side's factors.
    fn fold_in_side(
        &self,
        side: Side,
        ratings: &[(i32, f32)],
        mean: f32,
    ) -> Result<Option<Vec<f32>>, SolveError> {
        let (other_ids, other_factors) = match side {
            Side::User => (&self.items, &self.item_factors),
            Side::Item => (&self.users, &self.user_factors),
        };
        let mut cols = Vec::with_capacity(ratings.len());
        let mut vals = Vec::with_capacity(ratings.len());
        for &(id, rating) in ratings {
            if let Some(i) = other_ids.get(id) {
                cols.push(i);
                vals.push(rating);
            }
        }
        if cols.is_empty() {
            return Ok(None);
        }
        let params = self.params.clone().unwrap_or_default();
        let layout = RowLayout::new(self.layout, self.latent_rank(), side);
        if params.implicit {
            let gram = match side {
                Side::User => Some(self.item_gramian()),
                Side::Item => None,
            };
            let rows = ImplicitRows::new(&params, other_factors, gram);
            return rows
                .solve_row_exact(&cols, &vals, params.nonnegative)
                .map(Some);
        }
        let mut out = vec![0.0f32; layout.width];
        let rows = ExplicitRows::new(&params, &layout, other_factors, mean);
        rows.solve_row::<false>(&cols, &vals, &mut out, &mut ExplicitScratch::default())?;
        Ok(Some(out))
    }

    /// This model with `items` (id, factor vector) added after its own, in
    /// that order: movies folded in since it was trained. An id it already
    /// has is left as it is.
    pub fn with_items(&self, items: &[(i32, Vec<f32>)]) -> AlsModel {
        let mut ids = self.items.clone();
        let mut rows: Vec<f32> = self
            .item_factors
            .as_slice()
            .expect("factor matrices are contiguous")
            .to_vec();
        for (id, vector) in items {
            assert_eq!(
                vector.len(),
                self.width(),
                "an item vector of the model's width"
            );
            if ids.get(*id).is_none() {
                ids.intern(*id);
                rows.extend_from_slice(vector);
            }
        }
        let factors = Array2::from_shape_vec((ids.len(), self.width()), rows)
            .expect("one row of the model's width per item");
        AlsModel::new(
            self.users.clone(),
            ids,
            self.user_factors.clone(),
            factors,
            self.layout,
            self.params.clone(),
        )
    }

    /// `item_factors' item_factors`, computed once per model (implicit fold-in).
    fn item_gramian(&self) -> &[f32] {
        self.item_gramian
            .get_or_init(|| gramian(&self.item_factors))
    }
}
