//! Alternating least squares matrix factorisation: training.
//!
//! The entry point is [`train`]: it takes a [`RatingMatrix`] and [`AlsParams`]
//! and returns an [`AlsModel`]. Explicit mode follows Spark MLlib's `ALS`:
//! factors start as seeded unit-norm Gaussian vectors, each iteration solves
//! all items from the user factors and then all users from the item factors,
//! and each row's normal equations get `reg x n^reg_exponent` on the diagonal,
//! n the row's rating count (with the default exponent 1, Spark's ALS-WR
//! `regParam x n`), before a Cholesky solve, or an NNLS solve when
//! `nonnegative` is set. Rows are solved in parallel with rayon; a row's result
//! depends only on the other side's factors, so the answer is the same for any
//! number of threads.
//!
//! Beyond Spark: `biases` adds a global mean plus user and item biases, kept
//! inside the factor vectors so that a saved model still predicts with a plain
//! dot product (see [`FactorLayout::Biased`]); `implicit` trains Hu, Koren and
//! Volinsky's implicit-feedback model with a conjugate-gradient solver, with
//! Rendle's unobserved weight and frequency-scaled regularisation: the ranking
//! model of the served lists ([`AlsParams::ranking`]).
//!
//! Owns the training loop and its sweeps over all rows: `explicit.rs` and
//! `implicit.rs` (one half-step each), both private to this module. The
//! vector loops they run (AVX2/FMA chosen at run time) are `crate::linalg`'s.
//! What one row's answer is belongs to the model (`crate::model::rowsolve`,
//! shared with fold-in), the dense solvers to `crate::linalg`, and the knobs to
//! `crate::params`: this module depends on them and on [`crate::model`], and
//! none of them may depend on it. It must not do I/O or print: progress goes
//! to the caller's [`Progress`].
//!
//! [`AlsParams`], [`ParamsError`], [`SolveError`], [`RowLayout`] and [`Side`]
//! are re-exported here, the path the app names them by.

mod explicit;
mod implicit;

use std::time::Instant;

use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub use crate::linalg::SolveError;
pub use crate::model::{RowLayout, Side};
pub use crate::params::{AlsParams, ParamsError};

use crate::data::{Csr, RatingMatrix};
use crate::model::rowsolve::ExplicitRows;
use crate::model::{AlsModel, FactorLayout};
use crate::progress::{Progress, ProgressEvent};

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum AlsError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("no ratings to train on")]
    NoRatings,
    /// The caller's [`Progress::cancelled`] said stop; nothing was trained.
    #[error("training was cancelled")]
    Cancelled,
    #[error("solving the normal equations of a {side:?} row failed: {source}")]
    Solve { side: Side, source: SolveError },
}

/// Trains a model on `matrix` with `params`.
pub fn train(
    matrix: &RatingMatrix,
    params: &AlsParams,
    progress: &dyn Progress,
) -> Result<AlsModel, AlsError> {
    params.validate()?;
    if matrix.nnz() == 0 {
        return Err(AlsError::NoRatings);
    }
    let layout = if params.biases {
        FactorLayout::Biased
    } else {
        FactorLayout::Plain
    };
    let user_layout = RowLayout::new(layout, params.rank, Side::User);
    let item_layout = RowLayout::new(layout, params.rank, Side::Item);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut user_factors = initial_factors(matrix.users.len(), &user_layout, &mut rng);
    let mut item_factors = initial_factors(matrix.items.len(), &item_layout, &mut rng);
    let mean = if params.biases {
        matrix.mean() as f32
    } else {
        0.0
    };

    for iteration in 1..=params.iterations {
        let started = Instant::now();
        half_step(
            params,
            mean,
            &item_layout,
            &matrix.by_item,
            &user_factors,
            &mut item_factors,
            false,
            progress,
        )?;
        let user_sse = half_step(
            params,
            mean,
            &user_layout,
            &matrix.by_user,
            &item_factors,
            &mut user_factors,
            true,
            progress,
        )?;
        // The user half-step's errors are those of both new factor matrices.
        let train_rmse = user_sse.map(|sse| (sse / matrix.nnz() as f64).sqrt());
        tracing::debug!(iteration, ?train_rmse, "ALS iteration done");
        progress.report(ProgressEvent::Iteration {
            iteration,
            of: params.iterations,
            train_rmse,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    if params.biases {
        // Fold the global mean into the item bias so that prediction is a plain dot product.
        let bias_col = item_layout
            .bias_index()
            .expect("biased layout has a bias column");
        item_factors.column_mut(bias_col).mapv_inplace(|b| b + mean);
    }
    Ok(AlsModel::new(
        matrix.users.clone(),
        matrix.items.clone(),
        user_factors,
        item_factors,
        layout,
        Some(params.clone()),
    ))
}

/// Solves every row of `this`; for an explicit model with `errors`, returns
/// the sum of squared training errors at the new vectors. Stops with
/// [`AlsError::Cancelled`] when `progress` is cancelled before or during it:
/// each row's solve asks first (one atomic load beside microseconds of work;
/// a half-step at 25M ratings takes seconds) and is skipped once told, which
/// leaves the factors meaningless, so they are dropped.
#[allow(clippy::too_many_arguments)]
fn half_step(
    params: &AlsParams,
    mean: f32,
    layout: &RowLayout,
    ratings: &Csr,
    other: &Array2<f32>,
    this: &mut Array2<f32>,
    errors: bool,
    progress: &dyn Progress,
) -> Result<Option<f64>, AlsError> {
    if progress.cancelled() {
        return Err(AlsError::Cancelled);
    }
    let result = if params.implicit {
        let step = implicit::ImplicitStep::new(params, other);
        if params.nonnegative {
            step.solve_all_exact(ratings, this, true, progress)
                .map(|()| None)
        } else {
            step.solve_all(ratings, this, progress);
            Ok(None)
        }
    } else {
        let rows = ExplicitRows::new(params, layout, other, mean);
        explicit::solve_all(&rows, ratings, this, errors, progress)
    };
    let sse = result.map_err(|source| AlsError::Solve {
        side: layout.side,
        source,
    })?;
    if progress.cancelled() {
        return Err(AlsError::Cancelled);
    }
    Ok(sse)
}

/// Spark's initialisation: each row's latent part is a Gaussian vector scaled to
/// unit length; bias entries start at 0 and the constant entry at 1.
fn initial_factors(rows: usize, layout: &RowLayout, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let mut factors = Array2::<f32>::zeros((rows, layout.width));
    for mut row in factors.rows_mut() {
        let mut norm = 0.0f32;
        for v in row.iter_mut().take(layout.latent) {
            *v = StandardNormal.sample(rng);
            norm += *v * *v;
        }
        let norm = norm.sqrt().max(f32::MIN_POSITIVE);
        row.iter_mut().take(layout.latent).for_each(|v| *v /= norm);
        if let Some(c) = layout.fixed {
            row[c] = 1.0;
        }
    }
    factors
}

#[cfg(test)]
mod tests;
