//! Seeded random train/test split.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Ratings;

/// Splits ratings at random: each row goes to the test side with probability
/// `test_fraction`, like Spark's `randomSplit`. The same seed gives the same split.
pub fn random_split(ratings: &Ratings, test_fraction: f64, seed: u64) -> (Ratings, Ratings) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut train = Vec::with_capacity(ratings.len());
    let mut test = Vec::with_capacity((ratings.len() as f64 * test_fraction) as usize + 1);
    for row in &ratings.rows {
        if rng.random::<f64>() < test_fraction {
            test.push(*row);
        } else {
            train.push(*row);
        }
    }
    (Ratings::new(train), Ratings::new(test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_and_proportional() {
        let triples: Vec<(i32, i32, f32)> = (0..10_000).map(|i| (i % 100, i / 100, 3.0)).collect();
        let ratings = Ratings::from_triples(&triples);
        let (train, test) = random_split(&ratings, 0.1, 7);
        assert_eq!(train.len() + test.len(), 10_000);
        assert!((900..1100).contains(&test.len()), "{}", test.len());
        let (_, test2) = random_split(&ratings, 0.1, 7);
        assert_eq!(test, test2);
        let (_, test3) = random_split(&ratings, 0.1, 8);
        assert_ne!(test, test3);
    }
}
