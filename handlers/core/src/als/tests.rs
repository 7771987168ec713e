use super::*;
use crate::data::{random_split, Ratings};
use crate::metrics::rating_metrics;
use crate::{NoProgress, Progress, ProgressEvent};

/// A full rank-2 matrix: r(u, i) = a_u . b_i with well-separated factors.
fn rank2_ratings(users: usize, items: usize) -> Ratings {
    let a = |u: usize| [1.0 + (u % 5) as f32 * 0.3, 0.5 + (u % 3) as f32 * 0.4];
    let b = |i: usize| [0.8 + (i % 4) as f32 * 0.25, 1.2 - (i % 7) as f32 * 0.1];
    let mut triples = Vec::new();
    for u in 0..users {
        for i in 0..items {
            let (x, y) = (a(u), b(i));
            triples.push((u as i32, i as i32, x[0] * y[0] + x[1] * y[1]));
        }
    }
    Ratings::from_triples(&triples)
}

#[test]
fn recovers_a_rank_two_matrix() {
    let ratings = rank2_ratings(40, 30);
    let matrix = RatingMatrix::build(&ratings);
    let params = AlsParams {
        rank: 2,
        iterations: 30,
        reg: 1e-5,
        ..AlsParams::default()
    };
    let model = train(&matrix, &params, &NoProgress).unwrap();
    let m = rating_metrics(&model, &ratings);
    assert!(m.rmse.unwrap() < 1e-3, "rmse {:?}", m.rmse);
}

#[test]
fn predicts_held_out_entries_of_a_low_rank_matrix() {
    let ratings = rank2_ratings(60, 50);
    let (train_set, test) = random_split(&ratings, 0.2, 1);
    let model = train(
        &RatingMatrix::build(&train_set),
        &AlsParams {
            rank: 2,
            iterations: 20,
            reg: 1e-3,
            ..AlsParams::default()
        },
        &NoProgress,
    )
    .unwrap();
    let m = rating_metrics(&model, &test);
    assert!(m.rmse.unwrap() < 0.02, "held-out rmse {:?}", m.rmse);
}

#[test]
fn same_seed_same_model_whatever_the_thread_count() {
    let ratings = rank2_ratings(50, 40);
    let (train_set, _) = random_split(&ratings, 0.3, 2);
    let matrix = RatingMatrix::build(&train_set);
    let params = AlsParams {
        rank: 4,
        iterations: 3,
        ..AlsParams::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let a = one.install(|| train(&matrix, &params, &NoProgress).unwrap());
    let b = three.install(|| train(&matrix, &params, &NoProgress).unwrap());
    assert_eq!(a.user_factors, b.user_factors);
    assert_eq!(a.item_factors, b.item_factors);
    let c = train(&matrix, &AlsParams { seed: 7, ..params }, &NoProgress).unwrap();
    assert_ne!(a.user_factors, c.user_factors);
}

#[test]
fn nonnegative_factors_are_nonnegative_and_still_fit() {
    let ratings = rank2_ratings(30, 30);
    let matrix = RatingMatrix::build(&ratings);
    let params = AlsParams {
        rank: 3,
        iterations: 15,
        reg: 1e-3,
        nonnegative: true,
        ..AlsParams::default()
    };
    let model = train(&matrix, &params, &NoProgress).unwrap();
    assert!(model
        .user_factors
        .iter()
        .chain(model.item_factors.iter())
        .all(|&v| v >= 0.0));
    assert!(rating_metrics(&model, &ratings).rmse.unwrap() < 0.05);
}

#[test]
fn biases_capture_user_and_item_offsets() {
    // r = 3 + user offset + item offset, no interaction: a biased rank-1 model fits it.
    let mut triples = Vec::new();
    for u in 0..30 {
        for i in 0..20 {
            if (u + i) % 3 != 0 {
                triples.push((u, i, 3.0 + (u % 4) as f32 * 0.3 - (i % 5) as f32 * 0.2));
            }
        }
    }
    let ratings = Ratings::from_triples(&triples);
    let params = AlsParams {
        rank: 1,
        iterations: 20,
        reg: 1e-4,
        bias_reg: 1e-4,
        biases: true,
        ..AlsParams::default()
    };
    let model = train(&RatingMatrix::build(&ratings), &params, &NoProgress).unwrap();
    assert_eq!(model.width(), 3);
    let truth = |u: i32, i: i32| 3.0 + (u % 4) as f32 * 0.3 - (i % 5) as f32 * 0.2;
    // an unseen pair (u + i divisible by 3) is predicted from the biases alone
    let p = model.predict(3, 0).unwrap();
    assert!((p - truth(3, 0)).abs() < 0.02, "{p} vs {}", truth(3, 0));
}

#[test]
fn implicit_mode_ranks_consumed_items_above_unconsumed_ones() {
    // Two groups of users each consume one half of the items.
    let mut triples = Vec::new();
    for u in 0..40 {
        for i in 0..20 {
            let same_half = (u < 20) == (i < 10);
            if same_half && (u * 7 + i) % 4 != 0 {
                triples.push((u, i, 1.0 + (i % 3) as f32));
            }
        }
    }
    let ratings = Ratings::from_triples(&triples);
    let params = AlsParams {
        rank: 4,
        iterations: 10,
        reg: 0.01,
        implicit: true,
        alpha: 10.0,
        ..AlsParams::default()
    };
    let model = train(&RatingMatrix::build(&ratings), &params, &NoProgress).unwrap();
    // user 0 never consumed item 4 (0*7+4 divisible by 4): it must outrank every other-half item
    let held = model.predict(0, 4).unwrap();
    for other in 10..20 {
        assert!(
            held > model.predict(0, other).unwrap(),
            "item 4 {held} vs item {other}"
        );
    }
}

#[test]
fn fold_in_gives_a_new_user_what_training_would() {
    let ratings = rank2_ratings(40, 30);
    let matrix = RatingMatrix::build(&ratings);
    let params = AlsParams {
        rank: 2,
        iterations: 25,
        reg: 1e-4,
        ..AlsParams::default()
    };
    let model = train(&matrix, &params, &NoProgress).unwrap();
    // user 7's ratings, given as if they were a new user's, reproduce user 7's predictions
    let mine: Vec<(i32, f32)> = ratings
        .rows
        .iter()
        .filter(|r| r.user == 7)
        .map(|r| (r.item, r.rating))
        .take(8)
        .collect();
    let v = model.fold_in(&mine).unwrap().unwrap();
    for item in 0..30 {
        let folded: f32 = v
            .iter()
            .zip(
                model
                    .item_factors
                    .row(model.items.get(item).unwrap() as usize),
            )
            .map(|(a, b)| a * b)
            .sum();
        let trained = model.predict(7, item).unwrap();
        assert!(
            (folded - trained).abs() < 0.01,
            "item {item}: {folded} vs {trained}"
        );
    }
    assert_eq!(model.fold_in(&[(999, 4.0)]).unwrap(), None);
}

#[test]
fn a_movie_left_out_of_training_and_folded_in_is_predicted_as_if_trained() {
    let ratings = rank2_ratings(40, 30);
    let all_but_12: Vec<_> = ratings
        .rows
        .iter()
        .filter(|r| r.item != 12)
        .copied()
        .collect();
    for biases in [false, true] {
        let params = AlsParams {
            rank: 2,
            iterations: 25,
            reg: 1e-4,
            biases,
            ..AlsParams::default()
        };
        let full = train(&RatingMatrix::build(&ratings), &params, &NoProgress).unwrap();
        let without = train(
            &RatingMatrix::build(&Ratings::new(all_but_12.clone())),
            &params,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(without.predict(3, 12), None);
        let its_ratings: Vec<(i32, f32)> = ratings
            .rows
            .iter()
            .filter(|r| r.item == 12)
            .map(|r| (r.user, r.rating))
            .take(10)
            .collect();
        let vector = without.fold_in_item(&its_ratings).unwrap().unwrap();
        let grown = without.with_items(&[(12, vector)]);
        assert_eq!(grown.items.len(), 30);
        for user in 0..40 {
            let (folded, trained) = (
                grown.predict(user, 12).unwrap(),
                full.predict(user, 12).unwrap(),
            );
            assert!(
                (folded - trained).abs() < 0.05,
                "biases {biases}, user {user}: {folded} vs {trained}"
            );
        }
        // the model's own movies are untouched
        assert_eq!(grown.predict(5, 3), without.predict(5, 3));
    }
    let model = train(
        &RatingMatrix::build(&ratings),
        &AlsParams::default(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(model.fold_in_item(&[(999, 4.0)]).unwrap(), None);
}

#[test]
fn invalid_params_are_rejected_with_a_reason() {
    let matrix = RatingMatrix::build(&rank2_ratings(3, 3));
    let err = train(
        &matrix,
        &AlsParams {
            rank: 0,
            ..AlsParams::default()
        },
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("rank 0"), "{err}");
    let err = train(
        &matrix,
        &AlsParams {
            implicit: true,
            biases: true,
            ..AlsParams::default()
        },
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("explicit ratings only"), "{err}");
}

#[test]
fn implicit_fold_in_of_a_trained_user_equals_their_trained_vector() {
    // The last half-step solves users from the final item factors; with as many
    // CG steps as the rank, training reaches each row's exact optimum, which is
    // what fold-in computes in closed form.
    let mut triples = Vec::new();
    for u in 0..60 {
        for i in 0..25 {
            if (u * 3 + i * 5) % 7 < 3 {
                triples.push((u, i, 1.0 + ((u + i) % 5) as f32));
            }
        }
    }
    let ratings = Ratings::from_triples(&triples);
    let params = AlsParams {
        rank: 5,
        iterations: 6,
        cg_steps: 5,
        ..AlsParams::ranking()
    };
    let model = train(&RatingMatrix::build(&ratings), &params, &NoProgress).unwrap();
    for user in [0, 17, 59] {
        let rated: Vec<(i32, f32)> = triples
            .iter()
            .filter(|t| t.0 == user)
            .map(|t| (t.1, t.2))
            .collect();
        let folded = model.fold_in(&rated).unwrap().unwrap();
        let trained = model
            .user_factors
            .row(model.users.get(user).unwrap() as usize);
        for (f, t) in folded.iter().zip(trained.iter()) {
            assert!(
                (f - t).abs() < 1e-3,
                "user {user}: {folded:?} vs {trained:?}"
            );
        }
    }
}

#[test]
fn implicit_training_is_the_same_whatever_the_thread_count() {
    let ratings = rank2_ratings(50, 40);
    let matrix = RatingMatrix::build(&ratings);
    let params = AlsParams {
        rank: 8,
        iterations: 3,
        ..AlsParams::ranking()
    };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| train(&matrix, &params, &NoProgress).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.user_factors, two.user_factors);
    assert_eq!(one.item_factors, two.item_factors);
}

/// The training RMSE each iteration reports (taken inside the user
/// half-step) is the RMSE of the model training returns, biases included.
#[test]
fn the_reported_training_rmse_is_the_returned_models() {
    struct LastRmse(std::sync::Mutex<Option<f64>>);
    impl Progress for LastRmse {
        fn report(&self, event: ProgressEvent) {
            if let ProgressEvent::Iteration { train_rmse, .. } = event {
                *self.0.lock().unwrap() = train_rmse;
            }
        }
    }
    let ratings = rank2_ratings(30, 25);
    // Noise, so that the fit is not exact and the RMSE is well away from 0.
    let noisy: Vec<(i32, i32, f32)> = ratings
        .rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            (
                r.user,
                r.item,
                r.rating + ((k * 7919 % 13) as f32 - 6.0) * 0.05,
            )
        })
        .collect();
    let matrix = RatingMatrix::build(&Ratings::from_triples(&noisy));
    for biases in [false, true] {
        let params = AlsParams {
            rank: 1,
            iterations: 4,
            biases,
            ..AlsParams::default()
        };
        let progress = LastRmse(std::sync::Mutex::new(None));
        let model = train(&matrix, &params, &progress).unwrap();
        let reported = progress
            .0
            .lock()
            .unwrap()
            .expect("explicit training reports RMSE");
        let direct = rating_metrics(&model, &Ratings::from_triples(&noisy))
            .rmse
            .unwrap();
        assert!(reported > 0.05, "{reported}");
        assert!(
            (reported - direct).abs() < 1e-5,
            "biases={biases}: {reported} vs {direct}"
        );
    }
}

#[test]
fn an_implicit_movie_folded_in_scores_like_the_trained_one() {
    // two tastes: users 0..30 like even movies (5), rate odd ones 1.5; users 30..60 the reverse
    let mut triples = Vec::new();
    for u in 0..60 {
        for i in 0..30 {
            if (u * 7 + i * 3) % 4 != 0 {
                let liked = (u < 30) == (i % 2 == 0);
                triples.push((u, i, if liked { 4.5 } else { 1.5 }));
            }
        }
    }
    let params = AlsParams {
        rank: 8,
        iterations: 10,
        ..AlsParams::ranking()
    };
    let model = train(
        &RatingMatrix::build(&Ratings::from_triples(&triples)),
        &params,
        &NoProgress,
    )
    .unwrap();
    // movie 99 liked (5) by users 0..10 only
    let fans: Vec<(i32, f32)> = (0..10).map(|u| (u, 5.0)).collect();
    let v = model.fold_in_item(&fans).unwrap().unwrap();
    let grown = model.with_items(&[(99, v)]);
    let score = |u: i32| grown.predict(u, 99).unwrap();
    let even_fans: f32 = (10..30).map(score).sum::<f32>() / 20.0;
    let odd_fans: f32 = (30..60).map(score).sum::<f32>() / 30.0;
    let trained_even: f32 = (10..30).map(|u| model.predict(u, 0).unwrap()).sum::<f32>() / 20.0;
    assert!(
        even_fans > odd_fans,
        "even {even_fans}, odd {odd_fans}, a trained even movie {trained_even}"
    );
}

/// Cancelled after `rows` row solves: counts the looks at `cancelled`.
struct CancelAfter {
    looks: std::sync::atomic::AtomicUsize,
    rows: usize,
}

impl Progress for CancelAfter {
    fn report(&self, _event: ProgressEvent) {}

    fn cancelled(&self) -> bool {
        self.looks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            >= self.rows
    }
}

/// A cancelled training stops inside a half-step: every kind of half-step
/// looks before each row (and skips the rest once told), no half-step starts
/// after it, and the call says Cancelled.
#[test]
fn a_cancelled_training_stops_within_a_half_step() {
    let matrix = RatingMatrix::build(&rank2_ratings(300, 200));
    for params in [
        AlsParams::default(),
        AlsParams::ranking(),
        AlsParams {
            nonnegative: true,
            ..AlsParams::ranking()
        },
    ] {
        let progress = CancelAfter {
            looks: Default::default(),
            rows: 50,
        };
        let outcome = train(&matrix, &params, &progress);
        assert!(matches!(outcome, Err(AlsError::Cancelled)), "{outcome:?}");
        // The first half-step (200 item rows) looks once before it, once per
        // row and once after it; the users' half-step (300 rows) never starts.
        let looks = progress.looks.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(looks, 1 + 200 + 1, "{params:?}");
    }
}
