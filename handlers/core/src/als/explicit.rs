//! One explicit half-step: every row of one side solved from the other side,
//! in parallel with rayon.
//!
//! The row solve itself (the normal equations with ALS-WR regularisation,
//! Cholesky or NNLS) is the model's, in `crate::model::rowsolve`, shared with
//! fold-in; this module owns only the sweep over all rows and must not change
//! what one row's answer is.

use ndarray::Array2;
use rayon::prelude::*;

use crate::data::Csr;
use crate::linalg::SolveError;
use crate::model::rowsolve::{ExplicitRows, ExplicitScratch};
use crate::progress::Progress;

/// Solves every row of `this` (one row per row of `ratings`) in parallel.
/// With `errors`, returns the sum of squared errors over all ratings at the
/// new vectors, added up in row order, so it too is the same for any number
/// of threads.
pub(super) fn solve_all(
    rows: &ExplicitRows,
    ratings: &Csr,
    this: &mut Array2<f32>,
    errors: bool,
    progress: &dyn Progress,
) -> Result<Option<f64>, SolveError> {
    let width = this.ncols();
    let mut sse = vec![0.0f64; this.nrows()];
    let data = this.as_slice_mut().expect("factor matrices are contiguous");
    data.par_chunks_mut(width)
        .zip(sse.par_iter_mut())
        .enumerate()
        .try_for_each_init(ExplicitScratch::default, |scratch, (r, (row, sse))| {
            if progress.cancelled() {
                return Ok(());
            }
            let (cols, vals) = ratings.row(r);
            if errors {
                *sse = rows
                    .solve_row::<true>(cols, vals, row, scratch)?
                    .unwrap_or(0.0);
            } else {
                rows.solve_row::<false>(cols, vals, row, scratch)?;
            }
            Ok(())
        })?;
    Ok(errors.then(|| sse.iter().sum()))
}
