//! What a served movie is ([`first_served`]: a (user, movie) pair, counted
//! once per group from the first time the group served it), what "liked"
//! means for one ([`Liked`]: rated 4 or more within a window after it was
//! served) and a share of liked movies with its 95% interval ([`LikedShare`],
//! [`wilson`]), shared by the figure per group (`online`) and over time
//! (`timeline`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use movierec_store::{RatingRecord, ServedList};
use serde::Serialize;

use crate::models::metrics::RELEVANT;

/// Of the pairs served, how many were liked, the share and its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LikedShare {
    /// Distinct (user, movie) pairs served.
    pub served: u64,
    /// Of them, rated 4 or more within the window.
    pub liked: u64,
    /// `liked / served`.
    pub rate: f64,
    /// The 95% Wilson score interval of `rate`.
    pub low: f64,
    pub high: f64,
}

impl LikedShare {
    pub fn of(liked: u64, served: u64) -> Self {
        let (rate, low, high) = wilson(liked, served);
        LikedShare {
            served,
            liked,
            rate,
            low,
            high,
        }
    }
}

/// (user, movie) -> when a group first served it (Unix seconds), and the
/// model version it served then.
pub type FirstServed = HashMap<(i32, i32), (i64, u64)>;

/// The pairs each group of `lists` served (the group of a list is
/// `group_of`'s), each from the first time its group served it, however
/// often the user reloaded the list.
pub fn first_served<'a, K: Ord>(
    lists: &'a [ServedList],
    group_of: impl Fn(&'a ServedList) -> K,
) -> BTreeMap<K, FirstServed> {
    let mut groups: BTreeMap<K, FirstServed> = BTreeMap::new();
    for list in lists {
        let pairs = groups.entry(group_of(list)).or_default();
        let at = list.served_at_ms.div_euclid(1000);
        for &movie in &list.movies {
            let first = pairs
                .entry((list.user, movie))
                .or_insert((at, list.version));
            if at < first.0 {
                *first = (at, list.version);
            }
        }
    }
    groups
}

/// When each (user, movie) pair was rated 4 or more, and the window after a
/// serve in which that counts.
pub struct Liked {
    at: HashMap<(i32, i32), i64>,
    window: i64,
}

impl Liked {
    pub fn new(ratings: &HashMap<i32, Vec<RatingRecord>>, within: Duration) -> Self {
        Liked {
            at: ratings
                .values()
                .flatten()
                .filter(|r| r.rating >= RELEVANT)
                .map(|r| ((r.user, r.movie), r.timestamp))
                .collect(),
            window: within.as_secs() as i64,
        }
    }

    /// Whether `pair`, first served at `served` (Unix seconds), was liked in its window.
    pub fn after(&self, pair: (i32, i32), served: i64) -> bool {
        self.at
            .get(&pair)
            .is_some_and(|&t| t >= served && t <= served + self.window)
    }
}

/// The share `k / n` and its 95% Wilson score interval (sound near 0 and
/// with few trials, where the normal approximation is not).
pub fn wilson(k: u64, n: u64) -> (f64, f64, f64) {
    if n == 0 {
        return (0.0, 0.0, 1.0);
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    (p, (centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_interval_matches_the_textbook_values() {
        // 10 of 100: 0.0552 to 0.1744 (Newcombe 1998, method 3).
        let (p, low, high) = wilson(10, 100);
        assert_eq!(p, 0.1);
        assert!(
            (low - 0.0552).abs() < 1e-4 && (high - 0.1744).abs() < 1e-4,
            "{low} {high}"
        );
        // none of 20: from 0, not below it
        let (_, low, high) = wilson(0, 20);
        assert_eq!(low, 0.0);
        assert!((high - 0.1611).abs() < 1e-4, "{high}");
        assert_eq!(wilson(0, 0), (0.0, 0.0, 1.0));
    }
}
