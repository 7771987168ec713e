//! Synthetic ratings shaped like MovieLens, for benchmarks and tests at sizes
//! the bundled data cannot reach (the 25M shape: 162,541 users, 59,047 items).
//!
//! Item popularity follows a power law (Zipf, exponent `popularity_exponent`),
//! user activity a Pareto law with a floor of `min_per_user` (MovieLens keeps
//! users with at least 20 ratings), and ratings come from a hidden low-rank
//! taste model plus biases and noise, rounded to half stars, so that ALS has
//! real structure to learn. Generation is seeded and parallel; each user has
//! its own random stream, so output does not depend on the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use super::Rating;

#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub users: usize,
    pub items: usize,
    /// Target number of ratings (reached exactly unless the caps forbid it).
    pub ratings: usize,
    pub seed: u64,
    pub min_per_user: usize,
    pub popularity_exponent: f64,
    /// Rank of the hidden taste model.
    pub taste_rank: usize,
}

impl SynthSpec {
    /// The shape of MovieLens 25M.
    pub fn movielens_25m(seed: u64) -> Self {
        SynthSpec {
            users: 162_541,
            items: 59_047,
            ratings: 25_000_095,
            ..Self::small(seed)
        }
    }

    /// A small set for tests.
    pub fn small(seed: u64) -> Self {
        SynthSpec {
            users: 1_000,
            items: 500,
            ratings: 50_000,
            seed,
            min_per_user: 20,
            popularity_exponent: 0.9,
            taste_rank: 8,
        }
    }
}

/// Generates the ratings and hands them to `sink` in user order, a few
/// thousand users at a time. User ids are `1..=users`, item ids `1..=items`.
pub fn generate(spec: &SynthSpec, mut sink: impl FnMut(&[Rating])) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let counts = user_counts(spec, &mut rng);
    let taste = Normal::new(0.0f32, 0.45).expect("valid normal");
    let item_taste: Vec<f32> = (0..spec.items * spec.taste_rank)
        .map(|_| taste.sample(&mut rng))
        .collect();
    let item_bias: Vec<f32> = (0..spec.items)
        .map(|_| Normal::new(0.0f32, 0.4).expect("valid").sample(&mut rng))
        .collect();
    // Popularity rank -> item: shuffle so that popular items are spread over the id range.
    let mut by_popularity: Vec<u32> = (0..spec.items as u32).collect();
    for i in (1..by_popularity.len()).rev() {
        by_popularity.swap(i, rng.random_range(0..=i));
    }
    let mut cumulative = Vec::with_capacity(spec.items);
    let mut total = 0.0f64;
    for rank in 0..spec.items {
        total += 1.0 / ((rank + 1) as f64).powf(spec.popularity_exponent);
        cumulative.push(total);
    }

    let chunk = 4096;
    for start in (0..spec.users).step_by(chunk) {
        let end = (start + chunk).min(spec.users);
        let rows: Vec<Rating> = (start..end)
            .into_par_iter()
            .flat_map_iter(|u| {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    spec.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(u as u64 + 1)),
                );
                let user_taste: Vec<f32> = (0..spec.taste_rank)
                    .map(|_| taste.sample(&mut rng))
                    .collect();
                let user_bias = Normal::new(0.0f32, 0.3).expect("valid").sample(&mut rng);
                let noise = Normal::new(0.0f32, 0.5).expect("valid");
                let mut chosen = std::collections::HashSet::with_capacity(counts[u]);
                let mut out = Vec::with_capacity(counts[u]);
                while out.len() < counts[u] {
                    let x = rng.random::<f64>() * total;
                    let rank = cumulative.partition_point(|&c| c < x).min(spec.items - 1);
                    let item = by_popularity[rank] as usize;
                    if !chosen.insert(item) {
                        continue;
                    }
                    let it = &item_taste[item * spec.taste_rank..][..spec.taste_rank];
                    let dot: f32 = user_taste.iter().zip(it).map(|(a, b)| a * b).sum();
                    let raw =
                        3.5 + user_bias + item_bias[item] + 2.0 * dot + noise.sample(&mut rng);
                    let rating = ((raw * 2.0).round() / 2.0).clamp(0.5, 5.0);
                    out.push(Rating {
                        user: u as i32 + 1,
                        item: item as i32 + 1,
                        rating,
                        timestamp: Some(1_500_000_000 + rng.random_range(0..100_000_000)),
                    });
                }
                out
            })
            .collect();
        sink(&rows);
    }
}

/// Ratings per user: Pareto-distributed, at least `min_per_user`, at most a
/// quarter of the items, scaled and water-filled to sum to the target.
fn user_counts(spec: &SynthSpec, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let cap = (spec.items / 4).max(spec.min_per_user.min(spec.items));
    let floor = spec.min_per_user.min(cap);
    let weights: Vec<f64> = (0..spec.users)
        .map(|_| rng.random::<f64>().max(1e-12).powf(-1.0 / 1.3))
        .collect();
    let sum: f64 = weights.iter().sum();
    let extra = spec.ratings.saturating_sub(floor * spec.users) as f64;
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (floor + (extra * w / sum) as usize).min(cap))
        .collect();
    let target = spec.ratings.min(cap * spec.users);
    let mut total: usize = counts.iter().sum();
    while total < target {
        let open = counts.iter().filter(|&&c| c < cap).count().max(1);
        let step = (target - total).div_ceil(open);
        for c in counts.iter_mut() {
            if total >= target {
                break;
            }
            let add = step.min(cap - *c).min(target - total);
            *c += add;
            total += add;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_the_target_count_with_distinct_pairs_and_valid_ratings() {
        let spec = SynthSpec::small(3);
        let mut rows = Vec::new();
        generate(&spec, |batch| rows.extend_from_slice(batch));
        assert_eq!(rows.len(), spec.ratings);
        let pairs: std::collections::HashSet<(i32, i32)> =
            rows.iter().map(|r| (r.user, r.item)).collect();
        assert_eq!(pairs.len(), rows.len());
        assert!(rows
            .iter()
            .all(|r| (0.5..=5.0).contains(&r.rating) && (r.rating * 2.0).fract() == 0.0));
        // power law: the most popular item has many more ratings than the median one
        let mut per_item = vec![0usize; spec.items + 1];
        rows.iter().for_each(|r| per_item[r.item as usize] += 1);
        per_item.sort_unstable();
        assert!(per_item[spec.items] > 5 * per_item[spec.items / 2].max(1));
        let mut again = Vec::new();
        generate(&spec, |batch| again.extend_from_slice(batch));
        assert_eq!(rows, again);
    }
}
