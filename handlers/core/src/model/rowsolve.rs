//! One row's normal equations against fixed other-side factors, solved in
//! closed form: the arithmetic that a fitted model's fold-in and every ALS
//! half-step share.
//!
//! A row is a user (or an item) with ratings `r_j` of other-side rows `y_j`.
//! - Explicit ([`ExplicitRows`]): `(X'X + reg * n^e * I) x = X'(r - mean - offset)`,
//!   where `X` gathers the `y_j` at this side's free entries (see
//!   [`RowLayout`]), `n` is the row's rating count and `e` the regularisation
//!   exponent (1 is Spark's ALS-WR), the bias entries get `bias_reg` instead of
//!   `reg`, and `offset` is the other side's bias in the biased layout. `X'X`
//!   is one matrix product (ndarray's GEMM) in `f32`; the system is solved in
//!   `f64` by Cholesky, or by NNLS when latent factors must be non-negative.
//! - Implicit ([`ImplicitRows`]): the weighted loss and its system are written
//!   out in `crate::als::implicit`'s module doc; here the system is formed in
//!   `f64` and solved exactly ([`ImplicitRows::solve_row_exact`]), which is
//!   what fold-in uses and what training's conjugate gradient approaches.
//!   Training's CG reads the same weights through the `pub(crate)` accessors.
//!
//! Owns the per-row arithmetic only: it must not loop over all rows, run in
//! parallel or know about training iterations (that is [`crate::als`]), and it
//! must not depend on [`crate::als`] (training depends on it).

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};

use super::layout::RowLayout;
use crate::linalg::{cholesky_solve, gramian, nnls, SolveError};
use crate::params::AlsParams;

/// Everything an explicit row solve of one side needs, borrowed for one
/// half-step (or one fold-in).
pub(crate) struct ExplicitRows<'a> {
    layout: &'a RowLayout,
    other: &'a [f32],
    other_width: usize,
    mean: f32,
    reg: f64,
    bias_reg: f64,
    reg_exponent: f64,
    nonnegative: bool,
}

/// Per-thread buffers of [`ExplicitRows::solve_row`], reused across rows.
#[derive(Default)]
pub(crate) struct ExplicitScratch {
    x: Vec<f32>,
    y: Vec<f64>,
    gram: Array2<f32>,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl<'a> ExplicitRows<'a> {
    pub(crate) fn new(
        params: &AlsParams,
        layout: &'a RowLayout,
        other: &'a Array2<f32>,
        mean: f32,
    ) -> Self {
        ExplicitRows {
            layout,
            other: other.as_slice().expect("factor matrices are contiguous"),
            other_width: other.ncols(),
            mean,
            reg: params.reg as f64,
            bias_reg: params.bias_reg as f64,
            reg_exponent: params.reg_exponent as f64,
            nonnegative: params.nonnegative,
        }
    }

    /// Solves one row in place. `out` holds the current vector (the NNLS warm start).
    pub(crate) fn solve_row(
        &self,
        cols: &[u32],
        vals: &[f32],
        out: &mut [f32],
        s: &mut ExplicitScratch,
    ) -> Result<(), SolveError> {
        let layout = self.layout;
        let f = layout.free.len();
        let n = cols.len();
        if let Some(c) = layout.fixed {
            out[c] = 1.0;
        }
        if n == 0 {
            layout.free.iter().for_each(|&i| out[i] = 0.0);
            return Ok(());
        }
        s.x.clear();
        s.x.resize(n * f, 0.0);
        s.y.clear();
        for (j, (&c, &r)) in cols.iter().zip(vals).enumerate() {
            let o = &self.other[c as usize * self.other_width..][..self.other_width];
            let xj = &mut s.x[j * f..(j + 1) * f];
            for (x, &idx) in xj.iter_mut().zip(&layout.free) {
                *x = o[idx];
            }
            let offset = layout.fixed.map_or(0.0, |k| o[k]);
            s.y.push((r - self.mean - offset) as f64);
        }
        let xv = ArrayView2::from_shape((n, f), &s.x[..]).expect("shape matches buffer");
        if s.gram.dim() != (f, f) {
            s.gram = Array2::zeros((f, f));
        }
        general_mat_mul(1.0, &xv.t(), &xv, 0.0, &mut s.gram);

        s.a.clear();
        s.a.extend(s.gram.iter().map(|&v| v as f64));
        s.b.clear();
        s.b.resize(f, 0.0);
        for (j, &y) in s.y.iter().enumerate() {
            for (b, &x) in s.b.iter_mut().zip(&s.x[j * f..(j + 1) * f]) {
                *b += x as f64 * y;
            }
        }
        let scale = (n as f64).powf(self.reg_exponent);
        for a in 0..f {
            let lambda = if a < layout.latent {
                self.reg
            } else {
                self.bias_reg
            };
            s.a[a * f + a] += lambda * scale;
        }
        if self.nonnegative {
            let constrained: Vec<bool> = (0..f).map(|a| a < layout.latent).collect();
            let mut x: Vec<f64> = layout.free.iter().map(|&i| out[i] as f64).collect();
            nnls(&s.a, f, &s.b, &constrained, &mut x);
            s.b.copy_from_slice(&x);
        } else {
            cholesky_solve(&mut s.a, f, &mut s.b)?;
        }
        for (&i, &v) in layout.free.iter().zip(&s.b) {
            out[i] = v as f32;
        }
        Ok(())
    }
}

/// What every implicit row system of one side shares, borrowed for one
/// half-step (or one fold-in).
pub(crate) struct ImplicitRows<'a> {
    other: &'a [f32],
    k: usize,
    /// `a0 * other' other`, in `f32`.
    weighted_gram: Vec<f32>,
    alpha: f32,
    unobserved_weight: f32,
    reg: f32,
    reg_exponent: f32,
    /// `a0 * N` when the regularisation counts unobserved pairs, else 0.
    reg_offset: f32,
    preference_scale: f32,
}

impl<'a> ImplicitRows<'a> {
    /// `gram` is `other' other` when the caller has it (a model caches its
    /// items'); else it is computed here.
    pub(crate) fn new(params: &AlsParams, other: &'a Array2<f32>, gram: Option<&[f32]>) -> Self {
        let a0 = params.unobserved_weight;
        let weighted_gram = match gram {
            Some(g) => g.iter().map(|v| v * a0).collect(),
            None => gramian(other).into_iter().map(|v| v * a0).collect(),
        };
        ImplicitRows {
            other: other.as_slice().expect("factor matrices are contiguous"),
            k: other.ncols(),
            weighted_gram,
            alpha: params.alpha,
            unobserved_weight: a0,
            reg: params.reg,
            reg_exponent: params.reg_exponent,
            reg_offset: if params.reg_with_unobserved {
                a0 * other.nrows() as f32
            } else {
                0.0
            },
            preference_scale: params.preference_scale,
        }
    }

    /// Length of a factor vector.
    #[inline]
    pub(crate) fn k(&self) -> usize {
        self.k
    }

    /// `a0 * other' other`, row-major `k x k`.
    #[inline]
    pub(crate) fn weighted_gram(&self) -> &[f32] {
        &self.weighted_gram
    }

    /// The other side's vector `j`.
    #[inline]
    pub(crate) fn y(&self, j: u32) -> &[f32] {
        &self.other[j as usize * self.k..][..self.k]
    }

    /// The ridge of a row with `observed` entries: `reg * (observed + a0 N)^e`
    /// (the `a0 N` only with `reg_with_unobserved`).
    #[inline]
    pub(crate) fn lambda(&self, observed: usize) -> f32 {
        self.reg * (observed as f32 + self.reg_offset).powf(self.reg_exponent)
    }

    /// A rating's confidence beyond the unobserved weight, `c - a0`, and its
    /// target weight `c p` (0 unless the rating is positive).
    #[inline]
    pub(crate) fn weights(&self, rating: f32) -> (f32, f32) {
        let c = 1.0 + self.alpha * rating.abs();
        let p = if self.preference_scale > 0.0 {
            (rating / self.preference_scale).min(1.0)
        } else {
            1.0
        };
        let target = if rating > 0.0 { c * p } else { 0.0 };
        (c - self.unobserved_weight, target)
    }

    /// The row's normal equations formed in `f64`: (`A` row-major, `b`).
    fn system(&self, cols: &[u32], vals: &[f32]) -> (Vec<f64>, Vec<f64>) {
        let k = self.k;
        let mut a: Vec<f64> = self.weighted_gram.iter().map(|&v| v as f64).collect();
        let mut b = vec![0.0f64; k];
        for (&j, &r) in cols.iter().zip(vals) {
            let y = self.y(j);
            let (extra, target) = self.weights(r);
            for i in 0..k {
                let yi = y[i] as f64;
                b[i] += target as f64 * yi;
                let row = &mut a[i * k..(i + 1) * k];
                for (aij, &yj) in row.iter_mut().zip(y) {
                    *aij += extra as f64 * yi * yj as f64;
                }
            }
        }
        let lambda = self.lambda(cols.len()) as f64;
        for i in 0..k {
            a[i * k + i] += lambda;
        }
        (a, b)
    }

    /// The row's exact optimum (Cholesky on the formed system): what CG
    /// approaches. With `nonnegative`, the non-negative optimum by NNLS.
    pub(crate) fn solve_row_exact(
        &self,
        cols: &[u32],
        vals: &[f32],
        nonnegative: bool,
    ) -> Result<Vec<f32>, SolveError> {
        let k = self.k;
        if !vals.iter().any(|&r| r > 0.0) {
            return Ok(vec![0.0; k]);
        }
        let (mut a, mut b) = self.system(cols, vals);
        if nonnegative {
            let mut x = vec![0.0f64; k];
            nnls(&a, k, &b, &vec![true; k], &mut x);
            b = x;
        } else {
            cholesky_solve(&mut a, k, &mut b)?;
        }
        Ok(b.into_iter().map(|v| v as f32).collect())
    }
}
