//! The vector loops of the implicit solver, in two builds chosen at run time.
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
//! Soundness: these functions are safe to call, but an `AVX2 = true`
//! instantiation runs AVX2 instructions; that is why they are visible to the
//! `als` module only, whose callers pass `true` only under [`have_avx2_fma`].

#[inline(always)]
pub(super) fn madd<const AVX2: bool>(a: f32, b: f32, c: f32) -> f32 {
    if AVX2 {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `a . b` over the shorter length. `AVX2 = true` only where the CPU has AVX2 and FMA.
#[inline(always)]
pub(super) fn dot<const AVX2: bool>(a: &[f32], b: &[f32]) -> f32 {
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
pub(super) fn axpy<const AVX2: bool>(a: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `dot`.
        return unsafe { avx2::axpy(a, x, y) };
    }
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = m v` for a row-major `k x k` matrix `m`.
#[inline(always)]
pub(super) fn matvec<const AVX2: bool>(m: &[f32], v: &[f32], out: &mut [f32]) {
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
}

/// Whether this CPU has AVX2 and FMA (checked once; std caches the answer).
#[inline]
pub(super) fn have_avx2_fma() -> bool {
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
