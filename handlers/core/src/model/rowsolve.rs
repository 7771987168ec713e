//! One row's normal equations against fixed other-side factors, solved in
//! closed form: the arithmetic that a fitted model's fold-in and every ALS
//! half-step share.
//!
//! A row is a user (or an item) with ratings `r_j` of other-side rows `y_j`.
//! - Explicit ([`ExplicitRows`]): `(X'X + reg * n^e * I) x = X'(r - mean - offset)`,
//!   where `X` gathers the `y_j` at this side's free entries (see
//!   [`RowLayout`]), `n` is the row's rating count and `e` the regularisation
//!   exponent (1 is Spark's ALS-WR), the bias entries get `bias_reg` instead of
//!   `reg`, and `offset` is the other side's bias in the biased layout. The
//!   rows of `X` are gathered with their targets beside them, so one `f32`
//!   symmetric update (`crate::linalg::upper_gram`) forms `X'X` and `X'y`
//!   together, and the system is solved in `f32` by Cholesky
//!   (`crate::linalg::solve_augmented`), or in `f64` by NNLS when latent
//!   factors must be non-negative; AVX2/FMA kernels where the CPU has them.
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
use ndarray::Array2;

use super::layout::RowLayout;
#[cfg(target_arch = "x86_64")]
use crate::linalg::lanes::have_avx2_fma;
use crate::linalg::lanes::{copy, dot};
use crate::linalg::{
    augmented_stride, cholesky_solve, gramian, nnls, solve_augmented, upper_gram, SolveError,
};
use crate::params::AlsParams;

/// Everything an explicit row solve of one side needs, borrowed for one
/// half-step (or one fold-in).
pub(crate) struct ExplicitRows<'a> {
    layout: &'a RowLayout,
    other: &'a [f32],
    other_width: usize,
    mean: f32,
    reg: f32,
    bias_reg: f32,
    reg_exponent: f32,
    nonnegative: bool,
}

/// How many ratings ahead the gather asks for the other side's vector: the
/// vectors are read in rating order, which no hardware prefetcher can guess,
/// and at 25M ratings most of them are not in cache (measured there: 4.58 s
/// per iteration without, 4.13 s with; on ml-1m, whose 1.5 MB of factors
/// stay in cache, no difference beyond the run-to-run spread).
const PREFETCH_AHEAD: usize = 8;

/// Asks the CPU to bring `row` (one factor vector) towards L1; a hint only.
#[inline(always)]
fn prefetch_row(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(16) {
        // SAFETY: a prefetch never faults and reads nothing; SSE is baseline on x86-64.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Per-thread buffers of [`ExplicitRows::solve_row`], reused across rows.
#[derive(Default)]
pub(crate) struct ExplicitScratch {
    /// The gathered rows `[y_j at the free entries, target, 0...]`. Only
    /// entries `0..=f` of a row are ever written, so the padding stays zero
    /// for as long as the rows keep their `f`.
    x: Vec<f32>,
    /// The `f` that `x` was laid out for.
    f: usize,
    /// The system, `stride x stride` (upper triangle, target column).
    a: Vec<f32>,
    solution: Vec<f32>,
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
            reg: params.reg,
            bias_reg: params.bias_reg,
            reg_exponent: params.reg_exponent,
            nonnegative: params.nonnegative,
        }
    }

    /// Solves one row in place. `out` holds the current vector (the NNLS warm
    /// start). With `ERRORS`, also returns the row's sum of squared errors at
    /// the new vector, `sum_j (r_j - mean - x.y_j)^2`, taken from the gathered
    /// rows while they are in cache (training's RMSE, from the user
    /// half-step); without, `None` and no extra pass.
    pub(crate) fn solve_row<const ERRORS: bool>(
        &self,
        cols: &[u32],
        vals: &[f32],
        out: &mut [f32],
        s: &mut ExplicitScratch,
    ) -> Result<Option<f64>, SolveError> {
        #[cfg(target_arch = "x86_64")]
        if have_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA.
            return unsafe { self.solve_row_avx2::<ERRORS>(cols, vals, out, s) };
        }
        self.solve_row_on::<false, ERRORS>(cols, vals, out, s)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn solve_row_avx2<const ERRORS: bool>(
        &self,
        cols: &[u32],
        vals: &[f32],
        out: &mut [f32],
        s: &mut ExplicitScratch,
    ) -> Result<Option<f64>, SolveError> {
        self.solve_row_on::<true, ERRORS>(cols, vals, out, s)
    }

    /// The row solve with the AVX2 kernels or the portable ones; `AVX2 = true`
    /// only from [`Self::solve_row_avx2`].
    #[inline(always)]
    fn solve_row_on<const AVX2: bool, const ERRORS: bool>(
        &self,
        cols: &[u32],
        vals: &[f32],
        out: &mut [f32],
        s: &mut ExplicitScratch,
    ) -> Result<Option<f64>, SolveError> {
        let layout = self.layout;
        let f = layout.free.len();
        let n = cols.len();
        if let Some(c) = layout.fixed {
            out[c] = 1.0;
        }
        if n == 0 {
            layout.free.iter().for_each(|&i| out[i] = 0.0);
            return Ok(ERRORS.then_some(0.0));
        }
        let stride = augmented_stride(f);
        if s.f != f {
            s.x.clear();
            s.f = f;
        }
        if s.x.len() < n * stride {
            s.x.resize(n * stride, 0.0);
        }
        let x = &mut s.x[..n * stride];
        let latent = layout.latent;
        for (j, ((&c, &r), xj)) in cols
            .iter()
            .zip(vals)
            .zip(x.chunks_exact_mut(stride))
            .enumerate()
        {
            if let Some(&ahead) = cols.get(j + PREFETCH_AHEAD) {
                prefetch_row(&self.other[ahead as usize * self.other_width..][..self.other_width]);
            }
            let o = &self.other[c as usize * self.other_width..][..self.other_width];
            // The free entries are the latent ones, then this side's bias, if any.
            copy::<AVX2>(&o[..latent], &mut xj[..latent]);
            for (x, &idx) in xj[latent..f].iter_mut().zip(&layout.free[latent..]) {
                *x = o[idx];
            }
            let offset = layout.fixed.map_or(0.0, |k| o[k]);
            xj[f] = r - self.mean - offset;
        }
        s.a.resize(stride * stride, 0.0);
        let x = &s.x[..n * stride];
        upper_gram::<AVX2>(x, stride, f, &mut s.a);
        let scale = (n as f32).powf(self.reg_exponent);
        for i in 0..f {
            let lambda = if i < latent { self.reg } else { self.bias_reg };
            s.a[i * stride + i] += lambda * scale;
        }
        s.solution.clear();
        s.solution.resize(f, 0.0);
        if self.nonnegative {
            self.solve_nonnegative(&s.a, stride, out, &mut s.solution);
        } else {
            solve_augmented::<AVX2>(&mut s.a, f, stride, &mut s.solution)?;
        }
        for (&i, &v) in layout.free.iter().zip(&s.solution) {
            out[i] = v;
        }
        if !ERRORS {
            return Ok(None);
        }
        let sse = x
            .chunks_exact(stride)
            .map(|xj| {
                let e = (xj[f] - dot::<AVX2>(&xj[..f], &s.solution)) as f64;
                e * e
            })
            .sum();
        Ok(Some(sse))
    }

    /// NNLS on the formed system, in `f64` from its upper triangle, warm
    /// started from the current vector in `out`.
    fn solve_nonnegative(&self, a: &[f32], stride: usize, out: &[f32], solution: &mut [f32]) {
        let layout = self.layout;
        let f = layout.free.len();
        let mut g = vec![0.0f64; f * f];
        let mut b = vec![0.0f64; f];
        for i in 0..f {
            for c in i..f {
                let v = a[i * stride + c] as f64;
                g[i * f + c] = v;
                g[c * f + i] = v;
            }
            b[i] = a[i * stride + f] as f64;
        }
        let constrained: Vec<bool> = (0..f).map(|i| i < layout.latent).collect();
        let mut x: Vec<f64> = layout.free.iter().map(|&i| out[i] as f64).collect();
        nnls(&g, f, &b, &constrained, &mut x);
        for (s, v) in solution.iter_mut().zip(x) {
            *s = v as f32;
        }
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
    rating_offset: f32,
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
            rating_offset: params.rating_offset,
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
    /// target weight `c p` (0 unless the rating, less `rating_offset`, is positive).
    #[inline]
    pub(crate) fn weights(&self, rating: f32) -> (f32, f32) {
        let rating = rating - self.rating_offset;
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
    /// `A = a0 Y'Y + Yu' diag(c - a0) Yu + lambda I`, the middle term one
    /// matrix product of the row's gathered `y_j` (`matrixmultiply`'s SIMD
    /// kernels: this is a fold-in's cost, paid per GET of a user who rated).
    fn system(&self, cols: &[u32], vals: &[f32]) -> (Vec<f64>, Vec<f64>) {
        let k = self.k;
        let mut gathered = Array2::<f64>::zeros((cols.len(), k));
        let mut weighted = Array2::<f64>::zeros((cols.len(), k));
        let mut b = vec![0.0f64; k];
        for (r, (&j, &rating)) in cols.iter().zip(vals).enumerate() {
            let (extra, target) = self.weights(rating);
            let (extra, target) = (extra as f64, target as f64);
            let mut row = gathered.row_mut(r);
            let mut scaled = weighted.row_mut(r);
            for (c, &y) in self.y(j).iter().enumerate() {
                let y = y as f64;
                row[c] = y;
                scaled[c] = extra * y;
                b[c] += target * y;
            }
        }
        let mut a = Array2::from_shape_vec(
            (k, k),
            self.weighted_gram.iter().map(|&v| v as f64).collect(),
        )
        .expect("a k x k gramian");
        general_mat_mul(1.0, &gathered.t(), &weighted, 1.0, &mut a);
        let lambda = self.lambda(cols.len()) as f64;
        for i in 0..k {
            a[[i, i]] += lambda;
        }
        (a.into_iter().collect(), b)
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
