//! One implicit-feedback half-step (Hu, Koren and Volinsky 2008) with Spark's
//! conventions: a rating `r` gives confidence `1 + alpha * |r|` and preference
//! 1 when `r > 0`, else 0; a row's regularisation is `reg` times its number of
//! positive ratings. The system `(Y'Y + Y'(C - I)Y + lambda I) x = Y'C p` is
//! never formed: conjugate gradient applies it as `Y'Y x + sum c1 (y.x) y + lambda x`,
//! warm-started from the current vector (or, with `nonnegative`, it is formed and
//! solved by NNLS).

use ndarray::Array2;
use rayon::prelude::*;

use super::layout::RowLayout;
use super::params::AlsParams;
use super::solve::{conjugate_gradient, nnls};
use crate::data::Csr;

/// `other' other` in `f64`, the part of every row's system shared by all rows.
pub fn gramian(other: &Array2<f32>) -> Vec<f64> {
    let g = other.t().dot(other);
    g.iter().map(|&v| v as f64).collect()
}

/// Solves every row of `this` in parallel.
pub fn solve_all(
    params: &AlsParams,
    layout: &RowLayout,
    ratings: &Csr,
    other: &Array2<f32>,
    this: &mut Array2<f32>,
) {
    let yty = gramian(other);
    let width = layout.width;
    this.as_slice_mut()
        .expect("factor matrices are contiguous")
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(r, row)| {
            let (cols, vals) = ratings.row(r);
            solve_row(params, &yty, other, cols, vals, row);
        });
}

/// Solves one row in place; `out` holds the warm start.
pub fn solve_row(
    params: &AlsParams,
    yty: &[f64],
    other: &Array2<f32>,
    cols: &[u32],
    vals: &[f32],
    out: &mut [f32],
) {
    let k = out.len();
    let alpha = params.alpha as f64;
    let mut b = vec![0.0f64; k];
    let mut positives = 0usize;
    for (&c, &r) in cols.iter().zip(vals) {
        if r > 0.0 {
            positives += 1;
            let weight = 1.0 + alpha * r as f64;
            for (bi, &y) in b.iter_mut().zip(other.row(c as usize)) {
                *bi += weight * y as f64;
            }
        }
    }
    if positives == 0 {
        out.iter_mut().for_each(|v| *v = 0.0);
        return;
    }
    let lambda = params.reg as f64 * (positives as f64).powf(params.reg_exponent as f64);
    let mut x: Vec<f64> = out.iter().map(|&v| v as f64).collect();
    if params.nonnegative {
        let mut a = yty.to_vec();
        for (&c, &r) in cols.iter().zip(vals) {
            let c1 = alpha * (r as f64).abs();
            let y = other.row(c as usize);
            for i in 0..k {
                for j in 0..k {
                    a[i * k + j] += c1 * y[i] as f64 * y[j] as f64;
                }
            }
        }
        for i in 0..k {
            a[i * k + i] += lambda;
        }
        nnls(&a, k, &b, &vec![true; k], &mut x);
    } else {
        let apply = |v: &[f64], out: &mut [f64]| {
            for i in 0..k {
                out[i] = yty[i * k..(i + 1) * k]
                    .iter()
                    .zip(v)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    + lambda * v[i];
            }
            for (&c, &r) in cols.iter().zip(vals) {
                let c1 = alpha * (r as f64).abs();
                let y = other.row(c as usize);
                let dot: f64 = y.iter().zip(v).map(|(&a, b)| a as f64 * b).sum();
                for (o, &yi) in out.iter_mut().zip(y.iter()) {
                    *o += c1 * dot * yi as f64;
                }
            }
        };
        conjugate_gradient(apply, &b, &mut x, params.cg_steps);
    }
    for (o, v) in out.iter_mut().zip(x) {
        *o = v as f32;
    }
}
