//! Train/test splits: a seeded random split (Spark's `randomSplit`), and a
//! fixed holdout chosen by a hash of (user, movie), the same pairs whatever
//! else the ratings hold: models trained at different times on different
//! ratings never see the same holdout pairs, so they can be compared on it.

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

/// Whether the pair (`user`, `item`) is in the holdout of share `fraction`
/// under `salt`: splitmix64 of the pair, as a share of `u64::MAX`.
pub fn in_hash_holdout(user: i32, item: i32, fraction: f64, salt: u64) -> bool {
    let mut z = ((user as u32 as u64) << 32 | item as u32 as u64) ^ salt;
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64) < fraction * u64::MAX as f64
}

/// Splits ratings by [`in_hash_holdout`]: a pair is always on the same side,
/// in any set of ratings that holds it.
pub fn hash_split(ratings: &Ratings, fraction: f64, salt: u64) -> (Ratings, Ratings) {
    let (test, train): (Vec<_>, Vec<_>) = ratings
        .rows
        .iter()
        .partition(|r| in_hash_holdout(r.user, r.item, fraction, salt));
    (Ratings::new(train), Ratings::new(test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_holdout_keeps_each_pair_on_its_side_in_any_set_of_ratings() {
        let triples: Vec<(i32, i32, f32)> = (0..20_000).map(|i| (i % 200, i / 200, 3.0)).collect();
        let all = Ratings::from_triples(&triples);
        let (train, test) = hash_split(&all, 0.1, 42);
        assert_eq!(train.len() + test.len(), 20_000);
        assert!((1_800..2_200).contains(&test.len()), "{}", test.len());
        // half of the ratings (a smaller, older store) splits the same way
        let older = Ratings::from_triples(&triples[..10_000]);
        let (_, older_test) = hash_split(&older, 0.1, 42);
        assert!(older_test.rows.iter().all(|r| test.rows.contains(r)));
        assert!(!older_test.is_empty());
        // another salt, another holdout
        let (_, other) = hash_split(&all, 0.1, 43);
        assert_ne!(test, other);
    }

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
