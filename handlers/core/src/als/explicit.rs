//! One explicit half-step: every row of one side solved from the other side.
//!
//! For a row with ratings `r_j` of other-side rows `y_j`, the normal equations
//! are `(X'X + reg * n^e * I) x = X'(r - mean - offset)`, where `X` gathers the
//! `y_j` at this side's free entries, `n` is the row's rating count and `e` the
//! regularisation exponent (1 is Spark's ALS-WR), and `offset` is the other side's bias in the biased layout. `X'X` is
//! one matrix product (ndarray's GEMM); the solve is Cholesky, or NNLS when
//! factors must be non-negative.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::layout::RowLayout;
use super::params::AlsParams;
use super::solve::{cholesky_solve, nnls, SolveError};
use crate::data::Csr;

/// Everything a row solve of one side needs, borrowed for one half-step.
pub struct ExplicitStep<'a> {
    layout: &'a RowLayout,
    other: &'a [f32],
    other_width: usize,
    mean: f32,
    reg: f64,
    bias_reg: f64,
    reg_exponent: f64,
    nonnegative: bool,
}

/// Per-thread buffers, reused across rows.
#[derive(Default)]
pub struct Scratch {
    x: Vec<f32>,
    y: Vec<f64>,
    gram: Array2<f32>,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl<'a> ExplicitStep<'a> {
    pub fn new(
        params: &AlsParams,
        layout: &'a RowLayout,
        other: &'a Array2<f32>,
        mean: f32,
    ) -> Self {
        ExplicitStep {
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

    /// Solves every row of `this` (one row per row of `ratings`) in parallel.
    pub fn solve_all(&self, ratings: &Csr, this: &mut Array2<f32>) -> Result<(), SolveError> {
        let width = this.ncols();
        let data = this.as_slice_mut().expect("factor matrices are contiguous");
        data.par_chunks_mut(width).enumerate().try_for_each_init(
            Scratch::default,
            |scratch, (r, row)| {
                let (cols, vals) = ratings.row(r);
                self.solve_row(cols, vals, row, scratch)
            },
        )
    }

    /// Solves one row in place. `out` holds the current vector (the NNLS warm start).
    pub fn solve_row(
        &self,
        cols: &[u32],
        vals: &[f32],
        out: &mut [f32],
        s: &mut Scratch,
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
