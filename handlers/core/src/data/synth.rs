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
    /// How many movies, each drawn by popularity, a user weighs before rating
    /// the one their taste prefers. 1 is popularity alone (the benchmarks'
    /// world: which movies a user rates says nothing of their taste, so the
    /// most-popular list is hard to beat); more makes what users rate follow
    /// their taste, as people watch what they expect to like.
    pub choice_candidates: usize,
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
            choice_candidates: 1,
        }
    }
}

/// The hidden world ratings are drawn from: item tastes and biases, and item
/// popularity. Users' tastes are derived from the seed and the user id, so a
/// user rates alike whether the ratings come as a file or as a stream.
pub struct TasteModel {
    items: usize,
    taste_rank: usize,
    seed: u64,
    item_taste: Vec<f32>,
    item_bias: Vec<f32>,
    /// Popularity rank -> item, shuffled so popular items spread over the ids.
    by_popularity: Vec<u32>,
    /// Cumulative Zipf weights by popularity rank.
    cumulative: Vec<f64>,
    choice_candidates: usize,
}

/// One user's hidden taste, and the random stream their ratings use.
pub struct UserTaste {
    taste: Vec<f32>,
    bias: f32,
    rng: ChaCha8Rng,
}

fn taste_normal() -> Normal<f32> {
    Normal::new(0.0f32, 0.45).expect("valid normal")
}

impl TasteModel {
    /// Draws the items' side of the world from `rng`.
    pub fn new(spec: &SynthSpec, rng: &mut ChaCha8Rng) -> Self {
        let taste = taste_normal();
        let item_taste: Vec<f32> = (0..spec.items * spec.taste_rank)
            .map(|_| taste.sample(rng))
            .collect();
        let item_bias: Vec<f32> = (0..spec.items)
            .map(|_| Normal::new(0.0f32, 0.4).expect("valid").sample(rng))
            .collect();
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
        TasteModel {
            items: spec.items,
            taste_rank: spec.taste_rank,
            seed: spec.seed,
            item_taste,
            item_bias,
            by_popularity,
            cumulative,
            choice_candidates: spec.choice_candidates.max(1),
        }
    }

    /// User `u`'s (0-based) taste, the same every time for the same seed.
    pub fn user(&self, u: usize) -> UserTaste {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(u as u64 + 1)),
        );
        let taste = taste_normal();
        let user_taste: Vec<f32> = (0..self.taste_rank)
            .map(|_| taste.sample(&mut rng))
            .collect();
        let bias = Normal::new(0.0f32, 0.3).expect("valid").sample(&mut rng);
        UserTaste {
            taste: user_taste,
            bias,
            rng,
        }
    }

    /// The item (0-based) the user rates next: of `choice_candidates` items
    /// drawn by popularity with the user's random stream, the one their taste
    /// prefers.
    pub fn pick_item(&self, user: &mut UserTaste) -> usize {
        let mut best = self.popular_item(user);
        for _ in 1..self.choice_candidates {
            let other = self.popular_item(user);
            if self.affinity(user, other) > self.affinity(user, best) {
                best = other;
            }
        }
        best
    }

    /// An item drawn by popularity alone.
    fn popular_item(&self, user: &mut UserTaste) -> usize {
        let total = *self.cumulative.last().expect("at least one item");
        let x = user.rng.random::<f64>() * total;
        let rank = self
            .cumulative
            .partition_point(|&c| c < x)
            .min(self.items - 1);
        self.by_popularity[rank] as usize
    }

    /// How much the user's taste agrees with the item's (no biases, no noise).
    fn affinity(&self, user: &UserTaste, item: usize) -> f32 {
        let it = &self.item_taste[item * self.taste_rank..][..self.taste_rank];
        user.taste.iter().zip(it).map(|(a, b)| a * b).sum()
    }

    /// Whether the user, shown `item`, watches it (and so rates it): when
    /// what they expect of it, their taste's agreement with it blurred by
    /// noise, is above what they expect of the average movie. People rate what
    /// they chose to watch; a list's movies the user expects to dislike stay
    /// unrated.
    pub fn would_watch(&self, user: &mut UserTaste, item: usize) -> bool {
        let noise = Normal::new(0.0f32, 0.5).expect("valid");
        2.0 * self.affinity(user, item) + noise.sample(&mut user.rng) > 0.0
    }

    /// The user's rating of `item`, in half stars from 0.5 to 5.
    pub fn rate(&self, user: &mut UserTaste, item: usize) -> f32 {
        let dot = self.affinity(user, item);
        let noise = Normal::new(0.0f32, 0.5).expect("valid");
        let raw = 3.5 + user.bias + self.item_bias[item] + 2.0 * dot + noise.sample(&mut user.rng);
        ((raw * 2.0).round() / 2.0).clamp(0.5, 5.0)
    }
}

/// Generates the ratings and hands them to `sink` in user order, a few
/// thousand users at a time. User ids are `1..=users`, item ids `1..=items`.
pub fn generate(spec: &SynthSpec, mut sink: impl FnMut(&[Rating])) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let counts = user_counts(spec, &mut rng);
    let model = TasteModel::new(spec, &mut rng);
    let chunk = 4096;
    for start in (0..spec.users).step_by(chunk) {
        let end = (start + chunk).min(spec.users);
        let rows: Vec<Rating> = (start..end)
            .into_par_iter()
            .flat_map_iter(|u| {
                let mut user = model.user(u);
                let mut chosen = std::collections::HashSet::with_capacity(counts[u]);
                let mut out = Vec::with_capacity(counts[u]);
                while out.len() < counts[u] {
                    let item = model.pick_item(&mut user);
                    if !chosen.insert(item) {
                        continue;
                    }
                    let rating = model.rate(&mut user, item);
                    out.push(Rating {
                        user: u as i32 + 1,
                        item: item as i32 + 1,
                        rating,
                        timestamp: Some(1_500_000_000 + user.rng.random_range(0..100_000_000)),
                    });
                }
                out
            })
            .collect();
        sink(&rows);
    }
}

/// An endless stream of ratings from the same kind of world: each event picks
/// a user by activity (Pareto, as in [`generate`]), an item by popularity, and
/// the user's rating of it. A user may rate a movie again (a later rating
/// replaces the earlier one downstream). Seeded: the same seed gives the same stream.
pub struct RatingStream {
    model: TasteModel,
    /// Cumulative activity weights of the users.
    activity: Vec<f64>,
    users: std::collections::HashMap<usize, UserTaste>,
    rng: ChaCha8Rng,
}

impl RatingStream {
    pub fn new(spec: &SynthSpec) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let model = TasteModel::new(spec, &mut rng);
        let mut activity = Vec::with_capacity(spec.users);
        let mut total = 0.0;
        for _ in 0..spec.users {
            total += rng.random::<f64>().max(1e-12).powf(-1.0 / 1.3);
            activity.push(total);
        }
        RatingStream {
            model,
            activity,
            users: std::collections::HashMap::new(),
            rng,
        }
    }

    /// The next (user, item, rating), ids from 1.
    pub fn next_rating(&mut self) -> (i32, i32, f32) {
        let total = *self.activity.last().expect("at least one user");
        let x = self.rng.random::<f64>() * total;
        let u = self
            .activity
            .partition_point(|&c| c < x)
            .min(self.activity.len() - 1);
        let model = &self.model;
        let user = self.users.entry(u).or_insert_with(|| model.user(u));
        let item = model.pick_item(user);
        let rating = model.rate(user, item);
        (u as i32 + 1, item as i32 + 1, rating)
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

    #[test]
    fn with_taste_driven_choice_users_rate_what_they_like() {
        let mean_rating = |choice_candidates| {
            let spec = SynthSpec {
                choice_candidates,
                ..SynthSpec::small(9)
            };
            let mut sum = 0.0f64;
            generate(&spec, |batch| {
                sum += batch.iter().map(|r| f64::from(r.rating)).sum::<f64>()
            });
            sum / spec.ratings as f64
        };
        let (by_popularity, by_taste) = (mean_rating(1), mean_rating(4));
        assert!(
            by_taste > by_popularity + 0.5,
            "choosing among 4 by taste: mean rating {by_taste:.2}, by popularity alone {by_popularity:.2}"
        );
    }

    #[test]
    fn users_watch_what_they_would_rate_well() {
        let spec = SynthSpec::small(11);
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let world = TasteModel::new(&spec, &mut rng);
        let (mut watched, mut skipped) = (Vec::new(), Vec::new());
        for u in 0..200 {
            let mut user = world.user(u);
            for item in 0..spec.items {
                let watches = world.would_watch(&mut user, item);
                let rating = world.rate(&mut user, item);
                if watches { &mut watched } else { &mut skipped }.push(rating);
            }
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let share = watched.len() as f64 / (watched.len() + skipped.len()) as f64;
        assert!(
            (0.4..0.6).contains(&share),
            "watched {share:.2} of the movies"
        );
        assert!(
            mean(&watched) > mean(&skipped) + 1.0,
            "watched {:.2}, skipped {:.2}",
            mean(&watched),
            mean(&skipped)
        );
    }

    #[test]
    fn a_stream_is_seeded_and_has_learnable_taste() {
        let spec = SynthSpec::small(5);
        let draw = |n| {
            let mut stream = RatingStream::new(&spec);
            (0..n).map(|_| stream.next_rating()).collect::<Vec<_>>()
        };
        let events = draw(20_000);
        assert_eq!(events, draw(20_000), "same seed, same stream");
        assert!(events.iter().all(|&(u, i, r)| {
            (1..=spec.users as i32).contains(&u)
                && (1..=spec.items as i32).contains(&i)
                && (0.5..=5.0).contains(&r)
        }));
        // taste, not noise: a user's ratings of a movie agree with each other more
        // than ratings of that movie by different users do
        let mut by_pair: std::collections::HashMap<(i32, i32), Vec<f32>> = Default::default();
        let mut by_item: std::collections::HashMap<i32, Vec<f32>> = Default::default();
        for &(u, i, r) in &events {
            by_pair.entry((u, i)).or_default().push(r);
            by_item.entry(i).or_default().push(r);
        }
        let spread = |groups: Vec<&Vec<f32>>| {
            let (mut sum, mut n) = (0.0f64, 0usize);
            for g in groups.into_iter().filter(|g| g.len() >= 2) {
                let mean = g.iter().sum::<f32>() / g.len() as f32;
                sum += g.iter().map(|r| ((r - mean) as f64).powi(2)).sum::<f64>();
                n += g.len();
            }
            sum / n as f64
        };
        let within_user = spread(by_pair.values().collect());
        let within_item = spread(by_item.values().collect());
        assert!(
            within_user < 0.6 * within_item,
            "{within_user} vs {within_item}"
        );
    }
}
