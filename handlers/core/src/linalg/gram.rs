//! Gram matrices in `f32`.
//!
//! [`upper_gram`] forms one explicit row's normal equations. The caller
//! gathers the row's `n` other-side vectors as the rows of `X` (`n x stride`,
//! row-major), each followed by its target and zero padding ([`augmented_stride`]),
//! so that one symmetric rank-`n` update yields both `X'X` and, in the
//! target's column, `X'y`. Only the upper triangle is formed (the solve reads
//! no other entry), in tiles of 6 rows by 16 columns (fewer at the edges)
//! held in 12 AVX2 accumulators while the tile runs down the rows of `X`.
//! Measured on ml-1m at rank 64 with biases (15 iterations, 2 threads, the
//! Cholesky of `cholesky.rs`): 4 x 16 took 2.15 s and 6 x 16 1.68 s, its 12
//! independent sums covering the FMA latency; 4 x 24 made LLVM spill an
//! accumulator to the stack and ran the Gram at about half speed. The rows
//! are taken 128 at a time so that the block of `X` a tile reads stays in
//! L1/L2 whatever `n` is (an item of a 25M-rating set has tens of thousands
//! of rows). Sums run in the same order for the same input, so the result
//! does not depend on the thread.

use ndarray::linalg::general_mat_mul;
use ndarray::Array2;

/// Rows of `X` one pass of every tile reads before the next block.
const ROWS_PER_BLOCK: usize = 128;

/// Width of a gathered row for a system of `f` unknowns: the `f` entries, the
/// target, zero padding up to a multiple of 8 (one AVX2 vector).
pub(crate) fn augmented_stride(f: usize) -> usize {
    (f + 1).div_ceil(8) * 8
}

/// Writes the upper triangle of `X'X` for `x` (`n` rows of `stride` entries,
/// `stride` a multiple of 8) into `a` (`stride x stride`, row-major): entry
/// `(i, c)` for every `i < rows` and `c >= i`, with `c < stride`. Entries
/// left of the diagonal in the same block of 8 are written too and mean
/// nothing; no other entry of `a` is touched. `AVX2 = true` only under
/// [`super::lanes::have_avx2_fma`].
#[inline(always)]
pub(crate) fn upper_gram<const AVX2: bool>(x: &[f32], stride: usize, rows: usize, a: &mut [f32]) {
    assert!(stride % 8 == 0 && rows <= stride && x.len() % stride == 0);
    assert!(a.len() >= stride * stride);
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 = true is instantiated only under `have_avx2_fma()`;
        // the asserts above bound every read of `x` and write of `a`.
        unsafe { avx2::upper_gram(x, stride, x.len() / stride, rows, a) };
        return;
    }
    for i in 0..rows {
        a[i * stride + i / 8 * 8..(i + 1) * stride].fill(0.0);
    }
    for xj in x.chunks_exact(stride) {
        for i in 0..rows {
            let start = i / 8 * 8;
            let xi = xj[i];
            for (aic, &xc) in a[i * stride + start..(i + 1) * stride]
                .iter_mut()
                .zip(&xj[start..])
            {
                *aic += xi * xc;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::ROWS_PER_BLOCK;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn upper_gram(
        x: &[f32],
        stride: usize,
        n: usize,
        rows: usize,
        a: &mut [f32],
    ) {
        let (x, a) = (x.as_ptr(), a.as_mut_ptr());
        let mut j0 = 0;
        while j0 < n {
            let block = ROWS_PER_BLOCK.min(n - j0);
            let xb = x.add(j0 * stride);
            let add = j0 > 0;
            let mut i0 = 0;
            while i0 < rows {
                let mr = match rows - i0 {
                    6.. => 6,
                    4 | 5 => 4,
                    left => left.min(2),
                };
                let mut c = i0 / 8 * 8;
                while c < stride {
                    let nv = ((stride - c) / 8).min(2);
                    match (mr, nv) {
                        (6, 2) => tile::<6, 2>(xb, stride, block, i0, c, a, add),
                        (6, _) => tile::<6, 1>(xb, stride, block, i0, c, a, add),
                        (4, 2) => tile::<4, 2>(xb, stride, block, i0, c, a, add),
                        (4, _) => tile::<4, 1>(xb, stride, block, i0, c, a, add),
                        (2, 2) => tile::<2, 2>(xb, stride, block, i0, c, a, add),
                        (2, _) => tile::<2, 1>(xb, stride, block, i0, c, a, add),
                        (_, 2) => tile::<1, 2>(xb, stride, block, i0, c, a, add),
                        _ => tile::<1, 1>(xb, stride, block, i0, c, a, add),
                    }
                    c += 8 * nv;
                }
                i0 += mr;
            }
            j0 += block;
        }
    }

    /// Rows `i0..i0 + MR`, columns `c0..c0 + 8 NV` of `X'X` over `n` rows of
    /// `x`, stored into `a` (or added to it with `add`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const MR: usize, const NV: usize>(
        x: *const f32,
        stride: usize,
        n: usize,
        i0: usize,
        c0: usize,
        a: *mut f32,
        add: bool,
    ) {
        let mut acc = [[_mm256_setzero_ps(); NV]; MR];
        for j in 0..n {
            let row = x.add(j * stride);
            let mut cols = [_mm256_setzero_ps(); NV];
            for (v, col) in cols.iter_mut().enumerate() {
                *col = _mm256_loadu_ps(row.add(c0 + 8 * v));
            }
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let xi = _mm256_broadcast_ss(&*row.add(i0 + r));
                for (acc_rv, &col) in acc_r.iter_mut().zip(&cols) {
                    *acc_rv = _mm256_fmadd_ps(xi, col, *acc_rv);
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            for (v, &sum) in acc_r.iter().enumerate() {
                let p = a.add((i0 + r) * stride + c0 + 8 * v);
                let sum = if add {
                    _mm256_add_ps(sum, _mm256_loadu_ps(p))
                } else {
                    sum
                };
                _mm256_storeu_ps(p, sum);
            }
        }
    }
}

/// `other' other`, row-major `k x k`, in `f32` (one GEMM): the part of every
/// implicit row's system that all rows share.
pub(crate) fn gramian(other: &Array2<f32>) -> Vec<f32> {
    let k = other.ncols();
    let mut g = Array2::<f32>::zeros((k, k));
    general_mat_mul(1.0, &other.t(), other, 0.0, &mut g);
    g.into_raw_vec_and_offset().0
}

#[cfg(test)]
mod tests {
    use super::super::lanes::have_avx2_fma;
    use super::*;

    #[test]
    fn the_upper_triangle_and_the_target_column_match_plain_sums() {
        // Widths around the tile sizes, and row counts across a block boundary.
        for (f, n) in [
            (1usize, 3usize),
            (7, 5),
            (8, 130),
            (33, 300),
            (65, 129),
            (130, 17),
        ] {
            let stride = augmented_stride(f);
            let mut x = vec![0.0f32; n * stride];
            for (j, row) in x.chunks_exact_mut(stride).enumerate() {
                for (c, v) in row[..=f].iter_mut().enumerate() {
                    *v = ((j * 31 + c * 7) as f32 * 0.013).sin();
                }
            }
            for avx2 in [false, have_avx2_fma()] {
                let mut a = vec![f32::NAN; stride * stride];
                if avx2 {
                    upper_gram::<true>(&x, stride, f, &mut a);
                } else {
                    upper_gram::<false>(&x, stride, f, &mut a);
                }
                for i in 0..f {
                    for c in i..=f {
                        let want: f64 = (0..n)
                            .map(|j| x[j * stride + i] as f64 * x[j * stride + c] as f64)
                            .sum();
                        let got = a[i * stride + c] as f64;
                        assert!(
                            (got - want).abs() < 1e-4 * (1.0 + want.abs()),
                            "f={f} n={n} avx2={avx2} ({i},{c}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
