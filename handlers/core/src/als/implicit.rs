//! One implicit-feedback half-step: weighted matrix factorisation of "who rated
//! what" (Hu, Koren and Volinsky 2008), with the two knobs that make it a strong
//! item recommender (Rendle et al., "Revisiting the Performance of iALS on Item
//! Recommendation Benchmarks", 2022).
//!
//! For a row (a user, or an item) with `n` observed entries `j` (other-side
//! vectors `y_j`, ratings `r_j`), the loss is
//! `sum_j c_j (p_j - x.y_j)^2 + a0 sum_{unobserved} (x.y)^2 + lambda |x|^2`, with
//! - confidence `c_j = 1 + alpha |r_j|` for every observed entry, whatever the
//!   rating's sign (`alpha`; Spark's extension for negative ratings);
//! - preference `p_j = 0` when `r_j <= 0`; for `r_j > 0`, `p_j = 1` with
//!   `preference_scale` 0 (Spark's `implicitPrefs`), or the graded
//!   `min(r_j / s, 1)` with `preference_scale` s > 0: at s = 5 a 2-star rating
//!   asks for a score of 0.4 and a 5-star one for 1 (the rating as a preference
//!   weight; +5% validation NDCG@10 over preference 1 on MovieLens 1M, README's
//!   quality section). A row with no positive rating has target 0 everywhere,
//!   so its optimum, and what both solvers return, is the zero vector;
//! - `a0`, the weight of an unobserved pair (`unobserved_weight`; Spark: 1); an
//!   observed entry's weight is its `c_j`, whatever `a0` is;
//! - `lambda = reg * n^e` with `n` counting every observed entry of the row
//!   (Spark has `e = 1` and counts only the positive ones: the same for star
//!   ratings), or, with `reg_with_unobserved`, `lambda = reg * (n + a0 * N)^e`,
//!   N the other side's row count: Rendle's frequency-scaled regularisation.
//!
//! Its normal equations are `(a0 Y'Y + sum_j (c_j - a0) y_j y_j' + lambda I) x = sum_j c_j p_j y_j`.
//! The weights, `lambda` and the formed system are the model's
//! (`crate::model::rowsolve`), shared with fold-in; `a0 Y'Y` is computed once
//! per half-step, in `f32` (one GEMM). Training does not form the rest:
//! conjugate gradient applies it in `O(n k)` per product, warm-started from the
//! current vector, `cg_steps` steps per row (3, as Takacs et al. and
//! benfred/implicit do), all in `f32` with the loops of `crate::linalg::lanes`. With
//! `nonnegative`, training instead forms each row's system in `f64` (from the
//! `f32` Gram matrix) and solves it by NNLS ([`ImplicitStep::solve_all_exact`]);
//! fold-in, which runs once per request and must equal what training converges
//! to, forms it the same way and solves it exactly by Cholesky.
//!
//! Owns training's sweeps over all rows of one side (CG, and the exact
//! variant); it must not change what one row's system is (that is the
//! model's), and it runs the AVX2 loops only where [`have_avx2_fma`] says so.

use ndarray::Array2;
use rayon::prelude::*;

use crate::data::Csr;
use crate::linalg::lanes::{axpy, dot, have_avx2_fma, madd, matvec};
use crate::linalg::SolveError;
use crate::model::rowsolve::ImplicitRows;
use crate::params::AlsParams;
use crate::progress::Progress;

/// What every row solve of one half-step shares.
pub(super) struct ImplicitStep<'a> {
    rows: ImplicitRows<'a>,
    cg_steps: usize,
}

/// Per-thread vectors, reused across rows.
#[derive(Default)]
pub(super) struct Scratch {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
    /// The row's other-side vectors, gathered contiguous once and read by every CG step.
    ys: Vec<f32>,
    /// Each observed entry's `c - a0`.
    extra: Vec<f32>,
}

impl<'a> ImplicitStep<'a> {
    /// `other' other` is computed here, once for the half-step.
    pub(super) fn new(params: &AlsParams, other: &'a Array2<f32>) -> Self {
        ImplicitStep {
            rows: ImplicitRows::new(params, other, None),
            cg_steps: params.cg_steps,
        }
    }

    /// Solves every row of `this` (one per row of `ratings`) in parallel by CG.
    pub(super) fn solve_all(&self, ratings: &Csr, this: &mut Array2<f32>, progress: &dyn Progress) {
        let avx2 = have_avx2_fma();
        this.as_slice_mut()
            .expect("factor matrices are contiguous")
            .par_chunks_mut(self.rows.k())
            .enumerate()
            .for_each_init(Scratch::default, |scratch, (r, row)| {
                if progress.cancelled() {
                    return;
                }
                let (cols, vals) = ratings.row(r);
                self.solve_row_on(cols, vals, row, scratch, avx2);
            });
    }

    /// One row by `cg_steps` steps of conjugate gradient from the vector in `x`.
    #[cfg(test)]
    fn solve_row(&self, cols: &[u32], vals: &[f32], x: &mut [f32], s: &mut Scratch) {
        self.solve_row_on(cols, vals, x, s, have_avx2_fma());
    }

    /// One row by CG on the AVX2 path or the portable one. `avx2` must be
    /// false unless `have_avx2_fma()` is true, which is why this is private.
    fn solve_row_on(&self, cols: &[u32], vals: &[f32], x: &mut [f32], s: &mut Scratch, avx2: bool) {
        if !vals.iter().any(|&r| r > 0.0) {
            // Nothing liked: the optimum is 0 (the target is 0 everywhere).
            x.iter_mut().for_each(|v| *v = 0.0);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: callers pass `avx2 = true` only when `have_avx2_fma()` is.
            unsafe { self.cg_avx2(cols, vals, x, s) };
            return;
        }
        let _ = avx2;
        self.cg::<false>(cols, vals, x, s);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn cg_avx2(&self, cols: &[u32], vals: &[f32], x: &mut [f32], s: &mut Scratch) {
        self.cg::<true>(cols, vals, x, s)
    }

    /// `out = A v` for the row's system, without forming `A`.
    #[inline(always)]
    fn apply<const AVX2: bool>(
        &self,
        ys: &[f32],
        extra: &[f32],
        lambda: f32,
        v: &[f32],
        out: &mut [f32],
    ) {
        matvec::<AVX2>(self.rows.weighted_gram(), v, out);
        axpy::<AVX2>(lambda, v, out);
        for (y, &e) in ys.chunks_exact(self.rows.k()).zip(extra) {
            axpy::<AVX2>(e * dot::<AVX2>(y, v), y, out);
        }
    }

    #[inline(always)]
    fn cg<const AVX2: bool>(&self, cols: &[u32], vals: &[f32], x: &mut [f32], s: &mut Scratch) {
        let rows = &self.rows;
        let k = rows.k();
        let lambda = rows.lambda(cols.len());
        for v in [&mut s.r, &mut s.p, &mut s.ap] {
            v.clear();
            v.resize(k, 0.0);
        }
        // r = b - A x, in one pass over the observed entries, which it gathers.
        matvec::<AVX2>(rows.weighted_gram(), x, &mut s.ap);
        for (ri, (&a, &xi)) in s.r.iter_mut().zip(s.ap.iter().zip(x.iter())) {
            *ri = -a - lambda * xi;
        }
        s.ys.clear();
        s.extra.clear();
        for (&j, &r) in cols.iter().zip(vals) {
            let y = rows.y(j);
            s.ys.extend_from_slice(y);
            let (extra, target) = rows.weights(r);
            s.extra.push(extra);
            axpy::<AVX2>(madd::<AVX2>(-extra, dot::<AVX2>(y, x), target), y, &mut s.r);
        }
        s.p.copy_from_slice(&s.r);
        let mut rs = dot::<AVX2>(&s.r, &s.r);
        for _ in 0..self.cg_steps {
            if rs < 1e-12 {
                break;
            }
            self.apply::<AVX2>(&s.ys, &s.extra, lambda, &s.p, &mut s.ap);
            let pap = dot::<AVX2>(&s.p, &s.ap);
            if pap <= 0.0 || !pap.is_finite() {
                break;
            }
            let step = rs / pap;
            axpy::<AVX2>(step, &s.p, x);
            axpy::<AVX2>(-step, &s.ap, &mut s.r);
            let rs_new = dot::<AVX2>(&s.r, &s.r);
            let beta = rs_new / rs;
            for (p, &r) in s.p.iter_mut().zip(&s.r) {
                *p = madd::<AVX2>(beta, *p, r);
            }
            rs = rs_new;
        }
    }

    /// Solves every row exactly (the non-negative variant of training): each
    /// row's system formed and solved by NNLS, or by Cholesky when not `nonnegative`.
    pub(super) fn solve_all_exact(
        &self,
        ratings: &Csr,
        this: &mut Array2<f32>,
        nonnegative: bool,
        progress: &dyn Progress,
    ) -> Result<(), SolveError> {
        this.as_slice_mut()
            .expect("factor matrices are contiguous")
            .par_chunks_mut(self.rows.k())
            .enumerate()
            .try_for_each(|(r, row)| {
                if progress.cancelled() {
                    return Ok(());
                }
                let (cols, vals) = ratings.row(r);
                row.copy_from_slice(&self.rows.solve_row_exact(cols, vals, nonnegative)?);
                Ok(())
            })
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::linalg::cholesky_solve;

    fn other() -> Array2<f32> {
        Array2::from_shape_fn((40, 6), |(i, j)| ((i * 7 + j * 3) as f32 * 0.31).sin())
    }

    fn params() -> AlsParams {
        AlsParams {
            rank: 6,
            implicit: true,
            alpha: 2.0,
            unobserved_weight: 0.3,
            reg: 0.05,
            reg_exponent: 0.8,
            reg_with_unobserved: true,
            preference_scale: 5.0,
            cg_steps: 6,
            ..AlsParams::default()
        }
    }

    /// The system written out entry by entry, the way the module doc states it.
    fn direct_solution(p: &AlsParams, y: &Array2<f32>, cols: &[u32], vals: &[f32]) -> Vec<f64> {
        let (n, k) = y.dim();
        let a0 = p.unobserved_weight as f64;
        let mut a = vec![0.0f64; k * k];
        let mut b = vec![0.0f64; k];
        for j in 0..n {
            let pos = cols.iter().position(|&c| c as usize == j);
            let (c, pref) = match pos {
                Some(idx) => (
                    1.0 + p.alpha as f64 * vals[idx].abs() as f64,
                    if vals[idx] > 0.0 {
                        (vals[idx] as f64 / p.preference_scale as f64).min(1.0)
                    } else {
                        0.0
                    },
                ),
                None => (a0, 0.0),
            };
            for r in 0..k {
                b[r] += c * pref * y[[j, r]] as f64;
                for s in 0..k {
                    a[r * k + s] += c * y[[j, r]] as f64 * y[[j, s]] as f64;
                }
            }
        }
        let lambda = p.reg as f64 * (cols.len() as f64 + a0 * n as f64).powf(p.reg_exponent as f64);
        for r in 0..k {
            a[r * k + r] += lambda;
        }
        cholesky_solve(&mut a, k, &mut b).unwrap();
        b
    }

    #[test]
    fn exact_and_conjugate_gradient_solves_match_the_directly_formed_system() {
        let p = params();
        let y = other();
        let cols = [1u32, 4, 9, 22, 37];
        let vals = [5.0f32, 3.5, 1.0, 4.0, 2.0];
        let want = direct_solution(&p, &y, &cols, &vals);
        let step = ImplicitStep::new(&p, &y);
        let exact = step.rows.solve_row_exact(&cols, &vals, false).unwrap();
        for avx2 in [false, have_avx2_fma()] {
            // CG on a k x k system converges in k steps from any start.
            let mut x = vec![0.5f32; 6];
            step.solve_row_on(&cols, &vals, &mut x, &mut Scratch::default(), avx2);
            for i in 0..6 {
                assert!(
                    (exact[i] as f64 - want[i]).abs() < 1e-5,
                    "{exact:?} vs {want:?}"
                );
                assert!((x[i] as f64 - want[i]).abs() < 1e-3, "{x:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn a_rating_offset_solves_the_system_of_the_shifted_ratings() {
        // What the Spark job trains (r - 1.5) and fold-in must solve alike:
        // a 1-star rating becomes "not liked" with confidence 1 + alpha/2.
        let p = AlsParams {
            rating_offset: 1.5,
            ..params()
        };
        let y = other();
        let cols = [1u32, 4, 9, 22, 37];
        let vals = [5.0f32, 3.5, 1.0, 4.0, 2.0];
        let shifted: Vec<f32> = vals.iter().map(|v| v - 1.5).collect();
        let want = direct_solution(&params(), &y, &cols, &shifted);
        let got = ImplicitStep::new(&p, &y)
            .rows
            .solve_row_exact(&cols, &vals, false)
            .unwrap();
        for i in 0..6 {
            assert!(
                (got[i] as f64 - want[i]).abs() < 1e-5,
                "{got:?} vs {want:?}"
            );
        }
        let unshifted = direct_solution(&params(), &y, &cols, &vals);
        assert!(
            (unshifted[0] - want[0]).abs() > 1e-4,
            "the offset changed nothing"
        );
    }

    #[test]
    fn a_row_with_nothing_liked_is_zero() {
        let p = params();
        let y = other();
        let step = ImplicitStep::new(&p, &y);
        let mut x = vec![1.0f32; 6];
        step.solve_row(&[3], &[0.0], &mut x, &mut Scratch::default());
        assert_eq!(x, vec![0.0; 6]);
        assert_eq!(
            step.rows.solve_row_exact(&[], &[], false).unwrap(),
            vec![0.0; 6]
        );
    }
}
