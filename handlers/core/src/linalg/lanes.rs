//! The vector loops of the implicit solver and the explicit solve, in two
//! builds chosen at run time.
//!
//! Every loop here is over one factor vector (a few dozen to a few hundred
//! `f32`s) and runs billions of times per training run. A binary built for the
//! baseline x86-64 may only use SSE2, so each loop has two bodies selected by
//! the `AVX2` const parameter: with `AVX2 = true`, AVX2 + FMA intrinsics from
//! `std::arch` (8 lanes, two accumulators, one fused multiply-add per lane);
//! otherwise portable Rust that LLVM vectorises for the baseline. The caller
//! decides once per row ([`have_avx2_fma`]) and enters a
//! `#[target_feature(enable = "avx2,fma")]` function that instantiates the
//! `AVX2 = true` bodies, so nothing here checks the CPU per call. Written with
//! intrinsics rather than left to auto-vectorisation because LLVM split the
//! 16-accumulator dot product into 4-lane halves with shuffles (measured: the
//! intrinsics took ml-1m training at rank 64 from 1.33 s to the figure in the
//! README). No SIMD crate is needed for two loops.
//!
//! Sums are always taken in the same order for the same length, so a row's
//! result does not depend on the thread that computes it.
//!
//! Soundness: these functions (and `upper_gram`, `solve_augmented` beside
//! them) are safe to call, but an `AVX2 = true` instantiation runs AVX2
//! instructions; that is why they are visible inside the crate only, and
//! their callers (`als::implicit`'s CG, `model::rowsolve`'s explicit row and
//! `topn`'s scoring of one user vector) pass `true` only under
//! [`have_avx2_fma`], from a `#[target_feature(enable = "avx2,fma")]` function.

#[inline(always)]
pub(crate) fn madd<const AVX2: bool>(a: f32, b: f32, c: f32) -> f32 {
    if AVX2 {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `a . b` over the shorter length. `AVX2 = true` only where the CPU has AVX2 and FMA.
#[inline(always)]
pub(crate) fn dot<const AVX2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 = true is instantiated only under `have_avx2_fma()` (see the module doc).
        return unsafe { avx2::dot(a, b) };
    }
    const LANES: usize = 8;
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for l in 0..LANES {
            acc[l] += xa[l] * xb[l];
        }
    }
    let mut tail = 0.0f32;
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y += a * x`.
#[inline(always)]
pub(crate) fn axpy<const AVX2: bool>(a: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { avx2::axpy(a, x, y) };
    }
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `y += a[0] x[0] + a[1] x[1] + a[2] x[2] + a[3] x[3]` over `y`'s length
/// (every `x[t]` at least as long): four `axpy`s with one load and one
/// store of `y`.
#[inline(always)]
pub(crate) fn axpy4<const AVX2: bool>(a: [f32; 4], x: [&[f32]; 4], y: &mut [f32]) {
    let n = y.len();
    assert!(x.iter().all(|x| x.len() >= n));
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`; the assert bounds the reads.
        return unsafe { avx2::axpy4(a, x, y) };
    }
    for (i, yi) in y.iter_mut().enumerate() {
        *yi += a[0] * x[0][i] + a[1] * x[1][i] + a[2] * x[2][i] + a[3] * x[3][i];
    }
}

/// `dst = src` (equal lengths). Inline vector moves: a `copy_from_slice` of
/// one factor vector per rating was a `memmove` call each, 10% of an
/// explicit half-step.
#[inline(always)]
pub(crate) fn copy<const AVX2: bool>(src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`; the assert bounds both sides.
        return unsafe { avx2::copy(src, dst) };
    }
    dst.copy_from_slice(src);
}

/// `out = m v` for a row-major `k x k` matrix `m`.
#[inline(always)]
pub(crate) fn matvec<const AVX2: bool>(m: &[f32], v: &[f32], out: &mut [f32]) {
    let k = v.len();
    for (o, row) in out.iter_mut().zip(m.chunks_exact(k)) {
        *o = dot::<AVX2>(row, v);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            i += 16;
        }
        if i + 8 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            i += 8;
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        let mut sum = _mm_cvtss_f32(s);
        while i < n {
            sum = a[i].mul_add(b[i], sum);
            i += 1;
        }
        sum
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
        let n = x.len().min(y.len());
        let (px, py) = (x.as_ptr(), y.as_mut_ptr());
        let va = _mm256_set1_ps(alpha);
        let mut i = 0;
        while i + 8 <= n {
            let v = _mm256_fmadd_ps(va, _mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(py.add(i)));
            _mm256_storeu_ps(py.add(i), v);
            i += 8;
        }
        while i < n {
            y[i] = alpha.mul_add(x[i], y[i]);
            i += 1;
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn copy(src: &[f32], dst: &mut [f32]) {
        let n = src.len();
        let (ps, pd) = (src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        while i + 8 <= n {
            _mm256_storeu_ps(pd.add(i), _mm256_loadu_ps(ps.add(i)));
            i += 8;
        }
        while i < n {
            *pd.add(i) = *ps.add(i);
            i += 1;
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn axpy4(a: [f32; 4], x: [&[f32]; 4], y: &mut [f32]) {
        let n = y.len();
        let py = y.as_mut_ptr();
        let (p0, p1, p2, p3) = (x[0].as_ptr(), x[1].as_ptr(), x[2].as_ptr(), x[3].as_ptr());
        let (a0, a1) = (_mm256_set1_ps(a[0]), _mm256_set1_ps(a[1]));
        let (a2, a3) = (_mm256_set1_ps(a[2]), _mm256_set1_ps(a[3]));
        let mut i = 0;
        while i + 8 <= n {
            let mut v = _mm256_loadu_ps(py.add(i));
            v = _mm256_fmadd_ps(a0, _mm256_loadu_ps(p0.add(i)), v);
            v = _mm256_fmadd_ps(a1, _mm256_loadu_ps(p1.add(i)), v);
            v = _mm256_fmadd_ps(a2, _mm256_loadu_ps(p2.add(i)), v);
            v = _mm256_fmadd_ps(a3, _mm256_loadu_ps(p3.add(i)), v);
            _mm256_storeu_ps(py.add(i), v);
            i += 8;
        }
        while i < n {
            let mut v = y[i];
            for t in 0..4 {
                v = a[t].mul_add(x[t][i], v);
            }
            y[i] = v;
            i += 1;
        }
    }
}

/// Whether this CPU has AVX2 and FMA (checked once; std caches the answer).
#[inline]
pub(crate) fn have_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_plain_loops_at_every_length() {
        for n in [0usize, 1, 7, 16, 17, 64, 100] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            let mut got = vec![dot::<false>(&a, &b)];
            if have_avx2_fma() {
                got.push(dot::<true>(&a, &b));
            }
            for got in got {
                assert!((got as f64 - want).abs() < 1e-4, "n={n}: {got} vs {want}");
            }
            for avx2 in [false, have_avx2_fma()] {
                let mut y = b.clone();
                if avx2 {
                    axpy::<true>(2.0, &a, &mut y);
                } else {
                    axpy::<false>(2.0, &a, &mut y);
                }
                for i in 0..n {
                    assert!((y[i] - (b[i] + 2.0 * a[i])).abs() < 1e-6);
                }
            }
        }
    }
}
