//! The ALS kernels, timed one at a time: `cargo bench -p movierec-core --bench kernels`.
//!
//! - `row_solve`: one explicit row (an ml-1m-sized user, 150 ratings) at ranks
//!   16 to 256 with biases: gather, Gram matrix, Cholesky, back substitution.
//!   Measured through `AlsModel::fold_in`, which is that row solve.
//! - `iteration_ml1m`: one explicit ALS iteration on all of MovieLens 1M (an
//!   item half-step then a user half-step, biases, rank 32 and 64), on the
//!   rayon pool (`RAYON_NUM_THREADS`, default every core). Needs
//!   `../shared/data/movielens` (or `MOVIEREC_SHARED_DATA`); without it the
//!   benchmark says so and times nothing.
//! - `top_n_per_1000_users`: the top 10 of 1,000 users over 59,047 items at
//!   rank 64 (the 25M shape's catalogue), rated items left out.
//! - `top_n_for_one_vector`: a GET computed from the model: the top 10 of
//!   one user vector over the bundled catalogue's 9,742 movies at rank 128,
//!   every item offered to a filter (`top_n_for_vector_where`), beside
//!   `ndarray_mat_vec`, the same scores by ndarray's mat-vec (what it used).

use std::path::PathBuf;
use std::sync::OnceLock;

use movierec_core::als::{train, AlsParams};
use movierec_core::data::{load_ratings, Csr, IdMap, LoadOptions, RatingMatrix};
use movierec_core::model::{AlsModel, FactorLayout};
use movierec_core::topn::{recommend_users, select_top, top_n_for_vector_where};
use movierec_core::NoProgress;
use ndarray::Array2;

fn main() {
    divan::main();
}

/// Deterministic values in about [-0.5, 0.5], so no benchmark needs an RNG.
fn wave(i: usize, j: usize) -> f32 {
    ((i * 31 + j * 17) as f32 * 0.0137).sin() * 0.5
}

fn model(users: usize, items: usize, latent: usize, layout: FactorLayout) -> AlsModel {
    let width = match layout {
        FactorLayout::Plain => latent,
        FactorLayout::Biased => latent + 2,
    };
    let params = AlsParams {
        rank: latent,
        ..AlsParams::tuned()
    };
    AlsModel::new(
        IdMap::from_ids(0..users as i32),
        IdMap::from_ids(0..items as i32),
        Array2::from_shape_fn((users, width), |(u, k)| wave(u, k)),
        Array2::from_shape_fn((items, width), |(i, k)| wave(i + 7, k)),
        layout,
        Some(params),
    )
}

#[divan::bench(args = [16, 32, 64, 128, 256])]
fn row_solve(bencher: divan::Bencher, rank: usize) {
    let model = model(1, 3_706, rank, FactorLayout::Biased);
    let ratings: Vec<(i32, f32)> = (0..150)
        .map(|j: i32| (j * 23 % 3_706, 1.0 + (j % 9) as f32 * 0.5))
        .collect();
    bencher.bench(|| model.fold_in(divan::black_box(&ratings)).unwrap());
}

fn ml1m() -> Option<&'static RatingMatrix> {
    static MATRIX: OnceLock<Option<RatingMatrix>> = OnceLock::new();
    MATRIX
        .get_or_init(|| {
            let shared = std::env::var_os("MOVIEREC_SHARED_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/movielens")
                });
            let path = shared.join("ml-1m/derived/ratings_user_movie_rating.csv");
            if !path.exists() {
                eprintln!(
                    "iteration_ml1m: skipped, {} is absent (set MOVIEREC_SHARED_DATA)",
                    path.display()
                );
                return None;
            }
            let report = load_ratings(&path, LoadOptions::default(), &NoProgress).ok()?;
            Some(RatingMatrix::build(&report.ratings))
        })
        .as_ref()
}

#[divan::bench(args = [32, 64], sample_count = 10)]
fn iteration_ml1m(bencher: divan::Bencher, rank: usize) {
    let Some(matrix) = ml1m() else { return };
    let params = AlsParams {
        rank,
        iterations: 1,
        ..AlsParams::tuned()
    };
    bencher.bench(|| train(matrix, &params, &NoProgress).unwrap());
}

#[divan::bench(sample_count = 10)]
fn top_n_per_1000_users(bencher: divan::Bencher) {
    let (users, items) = (1_000usize, 59_047usize);
    let model = model(users, items, 64, FactorLayout::Plain);
    // 150 rated items per user, left out of the lists.
    let triples: Vec<(u32, u32, f32)> = (0..users as u32)
        .flat_map(|u| (0..150u32).map(move |j| (u, (u * 131 + j * 397) % items as u32, 1.0)))
        .collect();
    let seen = Csr::from_triples(users, &triples);
    let all: Vec<u32> = (0..users as u32).collect();
    bencher.bench(|| {
        let mut lists = 0;
        recommend_users(&model, &all, &seen, 10, &NoProgress, |batch| {
            lists += batch.len()
        });
        lists
    });
}

#[divan::bench]
fn top_n_for_one_vector(bencher: divan::Bencher) {
    let model = model(1, 9_742, 128, FactorLayout::Plain);
    let v: Vec<f32> = (0..128).map(|k| wave(3, k)).collect();
    bencher.bench(|| top_n_for_vector_where(&model, divan::black_box(&v), |i| i % 3 != 0, 10));
}

#[divan::bench]
fn ndarray_mat_vec(bencher: divan::Bencher) {
    let model = model(1, 9_742, 128, FactorLayout::Plain);
    let v = ndarray::Array1::from_iter((0..128).map(|k| wave(3, k)));
    bencher.bench(|| select_top(model.item_factors.dot(divan::black_box(&v)).view(), 10));
}
