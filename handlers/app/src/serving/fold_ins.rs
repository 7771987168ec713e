//! What a GET that does not answer from the published list works out for its
//! user (their ratings, the vector that ranks them, their rating-model
//! vector), kept per instance while it stays true: for the version served and
//! the user's rating mark it was worked out under. A user who rated reads
//! several pages and filters before rating again; each of those GETs would
//! otherwise read their ratings and solve two fold-ins again (about 0.2 ms of
//! a core each at rank 128). A new rating gives a new mark, which no entry
//! matches, so nothing stale is ever served; the store stays the one truth,
//! shared by every instance.
//!
//! Bounded: at most [`FOLD_INS_KEPT`] users; past it, an arbitrary entry goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use movierec_core::topn::Scored;
use movierec_store::RatingRecord;

use super::Source;
use crate::models::RatingVector;

/// Users whose fold-ins one instance keeps.
pub const FOLD_INS_KEPT: usize = 4_096;

/// How much of a user's ranking an entry keeps: the deepest page a GET may
/// ask for (`offset` at most 900, `n` at most 100).
pub const RANKED_KEPT: usize = 1_000;

/// One user's worked-out state under one version and rating mark.
#[derive(Debug)]
pub struct FoldIn {
    pub ratings: Vec<RatingRecord>,
    /// The ranking vector and what it is (`None`: the model knows none of
    /// the movies they rated).
    pub ranking: Option<(Vec<f32>, Source)>,
    /// Their best [`RANKED_KEPT`] movies by that vector, rated ones left
    /// out and no other filter: pages and filters are cut from it, and only
    /// a filter that leaves too few of them scores every movie again.
    pub ranked: Vec<Scored>,
    pub rating: Option<RatingVector>,
}

/// An entry: the version and rating mark it was worked out under, and it.
type Entry = (u64, i64, Arc<FoldIn>);

#[derive(Default)]
pub struct FoldIns {
    held: Mutex<HashMap<i32, Entry>>,
}

impl FoldIns {
    /// `user`'s entry if it was worked out under `version` and `mark`.
    pub fn get(&self, user: i32, version: u64, mark: i64) -> Option<Arc<FoldIn>> {
        let held = self.held.lock().expect("lock");
        match held.get(&user) {
            Some((v, m, fold_in)) if (*v, *m) == (version, mark) => Some(fold_in.clone()),
            _ => None,
        }
    }

    pub fn keep(&self, user: i32, version: u64, mark: i64, fold_in: Arc<FoldIn>) {
        let mut held = self.held.lock().expect("lock");
        if held.len() >= FOLD_INS_KEPT && !held.contains_key(&user) {
            if let Some(&any) = held.keys().next() {
                held.remove(&any);
            }
        }
        held.insert(user, (version, mark, fold_in));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold_in() -> Arc<FoldIn> {
        Arc::new(FoldIn {
            ratings: Vec::new(),
            ranking: None,
            ranked: Vec::new(),
            rating: None,
        })
    }

    #[test]
    fn an_entry_answers_only_its_version_and_mark_and_the_count_is_bounded() {
        let kept = FoldIns::default();
        kept.keep(1, 2, 30, fold_in());
        assert!(kept.get(1, 2, 30).is_some());
        assert!(kept.get(1, 2, 31).is_none(), "rated again");
        assert!(kept.get(1, 3, 30).is_none(), "another version");
        for user in 0..(FOLD_INS_KEPT as i32 + 10) {
            kept.keep(user, 2, 30, fold_in());
        }
        assert_eq!(kept.held.lock().unwrap().len(), FOLD_INS_KEPT);
    }
}
