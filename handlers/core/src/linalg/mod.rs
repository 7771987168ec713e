//! Dense linear algebra on factor-sized matrices: the Gram matrix and the
//! Cholesky solve of every explicit ALS row, the vector loops of the implicit
//! solver, and the exact `f64` solvers (Cholesky, NNLS) of the rarer paths.
//!
//! Owns arithmetic only: it knows nothing of ratings, models or training, and
//! must not call into [`crate::als`] or [`crate::model`] (both call into it).
//!
//! - `gram.rs`: `X'X` of a row's gathered other-side vectors, upper triangle
//!   only, in `f32` register tiles (the explicit row solve's main cost), and
//!   `Y'Y` of a whole factor matrix (the implicit half-step's shared part).
//! - `cholesky.rs`: the `f32` Cholesky factorisation and both triangular
//!   solves of the system `gram.rs` formed, right-hand side carried along.
//! - `lanes.rs`: `dot`, `axpy`, `matvec` on one factor vector, AVX2/FMA or
//!   portable, chosen at run time; [`lanes::have_avx2_fma`] decides.
//! - `exact.rs`: `f64` Cholesky and NNLS on a formed system (implicit fold-in,
//!   the `nonnegative` variants).
//!
//! Why hand-written loops and not `faer`: measured on this project's 2-core
//! AMD EPYC with faer 0.24 (`matmul` with a lower-triangular destination,
//! `llt::cholesky_in_place`, one thread), the Gram matrix of 150 rows at
//! width 65 (an average ml-1m user at rank 64 with biases) ran at 17 GFMA/s
//! and the 65 x 65 factorisation took about 8 us, while the register tiles
//! here run the same Gram at the figures in `benches/kernels.rs` and the
//! whole row solve under 10 us; faer also added 2 minutes of release build
//! on 2 cores. The kernels are three short loops each, tested against plain
//! formulas below; the AVX2 bodies follow `lanes.rs`'s pattern.

mod cholesky;
mod exact;
mod gram;
pub(crate) mod lanes;

pub(crate) use cholesky::solve_augmented;
pub(crate) use exact::{cholesky_solve, nnls};
pub(crate) use gram::{augmented_stride, gramian, upper_gram};

/// Why a dense solve failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveError {
    #[error(
        "matrix is not positive definite (pivot {pivot} is {value}); raise the regularisation"
    )]
    NotPositiveDefinite { pivot: usize, value: f64 },
    #[error("matrix is {rows}x{cols} but the right-hand side has {len} entries")]
    Shape {
        rows: usize,
        cols: usize,
        len: usize,
    },
}
