//! What every backend does to an ingest batch before storing it, so that all
//! of them count the same way.

use std::collections::HashMap;

use crate::types::RatingRecord;

/// Keeps, for each (user, movie), the newest event of the batch (the first of
/// equal timestamps, as a sequential store would); the rest are unchanged.
pub(crate) fn newest_per_pair(ratings: &[RatingRecord]) -> (Vec<RatingRecord>, usize) {
    let mut newest: HashMap<(i32, i32), RatingRecord> = HashMap::with_capacity(ratings.len());
    for r in ratings {
        newest
            .entry((r.user, r.movie))
            .and_modify(|kept| {
                if r.timestamp > kept.timestamp {
                    *kept = *r;
                }
            })
            .or_insert(*r);
    }
    let dropped = ratings.len() - newest.len();
    (newest.into_values().collect(), dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(user: i32, movie: i32, rating: f32, timestamp: i64) -> RatingRecord {
        RatingRecord {
            user,
            movie,
            rating,
            timestamp,
        }
    }

    #[test]
    fn a_batch_keeps_the_newest_event_per_rating_and_the_first_of_a_tie() {
        let (mut kept, dropped) = newest_per_pair(&[
            r(1, 1, 2.0, 300),
            r(1, 1, 5.0, 100),
            r(1, 1, 3.5, 300),
            r(2, 1, 4.0, 10),
        ]);
        kept.sort_by_key(|r| r.user);
        assert_eq!(kept, vec![r(1, 1, 2.0, 300), r(2, 1, 4.0, 10)]);
        assert_eq!(dropped, 2);
    }
}
