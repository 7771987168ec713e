//! Where ratings come from: a ratings file replayed in file order (once or
//! looping), or a synthetic world whose users have taste, so that ALS trained
//! on the stream learns something ([`movierec_core::data::synth::RatingStream`]).
//!
//! Owns the order ratings come out in; reading the file is the caller's
//! (`movierec_core::data::load_ratings`), and it makes no events.

use movierec_core::data::synth::{RatingStream, SynthSpec};
use movierec_core::data::Ratings;

pub enum Source {
    Replay {
        rows: Vec<(i32, i32, f32)>,
        next: usize,
        looping: bool,
    },
    Synthetic(Box<RatingStream>),
}

impl Source {
    pub fn replay(ratings: Ratings, looping: bool) -> Self {
        Source::Replay {
            rows: ratings
                .rows
                .into_iter()
                .map(|r| (r.user, r.item, r.rating))
                .collect(),
            next: 0,
            looping,
        }
    }

    pub fn synthetic(spec: &SynthSpec) -> Self {
        Source::Synthetic(Box::new(RatingStream::new(spec)))
    }

    /// The next (user, movie, rating); `None` when a replay without looping ends.
    pub fn next_rating(&mut self) -> Option<(i32, i32, f32)> {
        match self {
            Source::Replay {
                rows,
                next,
                looping,
            } => {
                if *next == rows.len() {
                    if !*looping || rows.is_empty() {
                        return None;
                    }
                    *next = 0;
                }
                *next += 1;
                Some(rows[*next - 1])
            }
            Source::Synthetic(stream) => Some(stream.next_rating()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use movierec_core::data::Rating;

    fn file() -> Ratings {
        Ratings::new(
            [(1, 10, 4.0), (2, 20, 3.5)]
                .into_iter()
                .map(|(user, item, rating)| Rating {
                    user,
                    item,
                    rating,
                    timestamp: None,
                })
                .collect(),
        )
    }

    #[test]
    fn a_replay_ends_or_loops() {
        let mut once = Source::replay(file(), false);
        assert_eq!(once.next_rating(), Some((1, 10, 4.0)));
        assert_eq!(once.next_rating(), Some((2, 20, 3.5)));
        assert_eq!(once.next_rating(), None);
        let mut looping = Source::replay(file(), true);
        let five: Vec<_> = (0..5).map(|_| looping.next_rating().unwrap().0).collect();
        assert_eq!(five, vec![1, 2, 1, 2, 1]);
    }
}
