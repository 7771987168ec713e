//! Fold-in: a factor vector for a user who is not in the model, from a handful
//! of ratings, with the item factors held fixed. It is one row of an ALS user
//! half-step, so a folded-in user is treated exactly as a trained one would be
//! after one more sweep; no retrain is needed.

use super::explicit::{ExplicitStep, Scratch};
use super::implicit::ImplicitStep;
use super::layout::{RowLayout, Side};
use super::solve::SolveError;
use crate::model::AlsModel;

/// The user vector for `ratings` (item id, rating) under `model`. Items the
/// model does not know are ignored; returns `Ok(None)` when none is known.
pub fn fold_in_user(
    model: &AlsModel,
    ratings: &[(i32, f32)],
) -> Result<Option<Vec<f32>>, SolveError> {
    let mut cols = Vec::with_capacity(ratings.len());
    let mut vals = Vec::with_capacity(ratings.len());
    for &(item, rating) in ratings {
        if let Some(i) = model.items.get(item) {
            cols.push(i);
            vals.push(rating);
        }
    }
    if cols.is_empty() {
        return Ok(None);
    }
    let params = model.params.clone().unwrap_or_default();
    let layout = RowLayout::new(model.layout, model.latent_rank(), Side::User);
    let mut out = vec![0.0f32; layout.width];
    if params.implicit {
        // Closed form: the exact optimum that training's CG steps approach.
        let step = ImplicitStep::new(&params, &model.item_factors, Some(model.item_gramian()));
        out = step.solve_row_exact(&cols, &vals, params.nonnegative)?;
    } else {
        // The model's item biases already include the global mean, so no mean here.
        let step = ExplicitStep::new(&params, &layout, &model.item_factors, 0.0);
        step.solve_row(&cols, &vals, &mut out, &mut Scratch::default())?;
    }
    Ok(Some(out))
}
