//! The `f64` solvers of the exact paths: Cholesky of a formed system and
//! non-negative least squares. Fold-in of an implicit model and the
//! non-negative variants of training use them. Cholesky runs once per GET of
//! a user who rated since their list (a fold-in), so its inner products keep
//! four partial sums, which the compiler turns into SIMD lanes; NNLS runs only
//! with `nonnegative` and is written for clarity, not speed.

use super::SolveError;

/// Solves `a x = b` for symmetric positive definite `a` (n x n, row-major) by
/// Cholesky factorisation, as Spark's `CholeskySolver` does with LAPACK.
/// `a` is overwritten with its factor; `b` becomes the solution.
pub(crate) fn cholesky_solve(a: &mut [f64], n: usize, b: &mut [f64]) -> Result<(), SolveError> {
    if a.len() != n * n || b.len() != n {
        return Err(SolveError::Shape {
            rows: n,
            cols: a.len() / n.max(1),
            len: b.len(),
        });
    }
    // Factor a = L L^T, L stored in the lower triangle.
    for j in 0..n {
        let row_j = j * n;
        let done = &a[row_j..row_j + j];
        let d = a[row_j + j] - dot(done, done);
        if d <= 0.0 || !d.is_finite() {
            return Err(SolveError::NotPositiveDefinite { pivot: j, value: d });
        }
        let d = d.sqrt();
        a[row_j + j] = d;
        for i in (j + 1)..n {
            let row_i = i * n;
            let s = a[row_i + j] - dot(&a[row_i..row_i + j], &a[row_j..row_j + j]);
            a[row_i + j] = s / d;
        }
    }
    // Forward: L y = b
    for i in 0..n {
        let s = b[i] - dot(&a[i * n..i * n + i], &b[..i]);
        b[i] = s / a[i * n + i];
    }
    // Backward: L^T x = y
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Ok(())
}

/// `x . y` with four partial sums (lanes the compiler can vectorise).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut sums = [0.0f64; 4];
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xs.zip(ys) {
        for l in 0..4 {
            sums[l] += a[l] * b[l];
        }
    }
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

/// Non-negative least squares on normal equations: minimises
/// `0.5 x'Gx - b'x` subject to `x[i] >= 0` for every `i` with `constrained[i]`,
/// by cyclic coordinate descent (exact minimisation along each coordinate,
/// then projection). `x` is the warm start and receives the answer.
/// Converges to the same optimum as Spark's `NNLS` solver for positive definite `G`.
pub(crate) fn nnls(g: &[f64], n: usize, b: &[f64], constrained: &[bool], x: &mut [f64]) {
    const MAX_SWEEPS: usize = 500;
    const TOL: f64 = 1e-10;
    for xi in x.iter_mut().zip(constrained) {
        if *xi.1 && *xi.0 < 0.0 {
            *xi.0 = 0.0;
        }
    }
    // gradient = G x - b, kept up to date incrementally
    let mut grad: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|k| g[i * n + k] * x[k]).sum::<f64>() - b[i])
        .collect();
    for _ in 0..MAX_SWEEPS {
        let mut max_step = 0.0f64;
        for i in 0..n {
            let gii = g[i * n + i];
            let mut new = x[i] - grad[i] / gii;
            if constrained[i] && new < 0.0 {
                new = 0.0;
            }
            let step = new - x[i];
            if step != 0.0 {
                for k in 0..n {
                    grad[k] += g[k * n + i] * step;
                }
                x[i] = new;
                max_step = max_step.max(step.abs() * gii.sqrt());
            }
        }
        if max_step < TOL {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matvec(a: &[f64], n: usize, x: &[f64]) -> Vec<f64> {
        (0..n)
            .map(|i| (0..n).map(|k| a[i * n + k] * x[k]).sum())
            .collect()
    }

    #[test]
    fn cholesky_solves_a_known_system() {
        // A = [[4,12,-16],[12,37,-43],[-16,-43,98]] (the textbook example, L = [[2,0,0],[6,1,0],[-8,5,3]])
        let a0 = vec![4.0, 12.0, -16.0, 12.0, 37.0, -43.0, -16.0, -43.0, 98.0];
        let x_true = [1.0, -2.0, 0.5];
        let mut b = matvec(&a0, 3, &x_true);
        let mut a = a0.clone();
        cholesky_solve(&mut a, 3, &mut b).unwrap();
        for (got, want) in b.iter().zip(x_true) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
        assert!(
            (a[0] - 2.0).abs() < 1e-12 && (a[3] - 6.0).abs() < 1e-12 && (a[8] - 3.0).abs() < 1e-12
        );
    }

    #[test]
    fn cholesky_rejects_indefinite_matrix() {
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        let mut b = vec![1.0, 1.0];
        assert!(matches!(
            cholesky_solve(&mut a, 2, &mut b),
            Err(SolveError::NotPositiveDefinite { pivot: 1, .. })
        ));
    }

    #[test]
    fn nnls_matches_unconstrained_when_answer_is_positive_and_clamps_otherwise() {
        let g = vec![2.0, 0.5, 0.5, 1.0];
        // unconstrained answer of G x = b with b = G [1, 2]
        let b = matvec(&g, 2, &[1.0, 2.0]);
        let mut x = vec![0.0; 2];
        nnls(&g, 2, &b, &[true, true], &mut x);
        assert!(
            (x[0] - 1.0).abs() < 1e-8 && (x[1] - 2.0).abs() < 1e-8,
            "{x:?}"
        );
        // b = G [-1, 2]: the constrained optimum has x0 = 0 and x1 = b1 / G11
        let b = matvec(&g, 2, &[-1.0, 2.0]);
        let mut x = vec![0.0; 2];
        nnls(&g, 2, &b, &[true, true], &mut x);
        assert_eq!(x[0], 0.0);
        assert!((x[1] - b[1] / 1.0).abs() < 1e-8, "{x:?}");
        // unconstrained coordinate may go negative
        let mut x = vec![0.0; 2];
        nnls(&g, 2, &b, &[false, true], &mut x);
        assert!((x[0] + 1.0).abs() < 1e-8, "{x:?}");
    }
}
