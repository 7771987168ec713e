//! The flat list of ratings as read from a file or a store.

/// One rating with external ids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub user: i32,
    pub item: i32,
    pub rating: f32,
    /// Unix seconds, when the source had one.
    pub timestamp: Option<i64>,
}

/// Ratings in source order. Duplicated (user, item) pairs are allowed here; the
/// matrix builder keeps the last one (see [`crate::data::RatingMatrix::build`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    pub rows: Vec<Rating>,
}

impl Ratings {
    pub fn new(rows: Vec<Rating>) -> Self {
        Self { rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Builds ratings from `(user, item, rating)` triples without timestamps.
    pub fn from_triples(triples: &[(i32, i32, f32)]) -> Self {
        Self {
            rows: triples
                .iter()
                .map(|&(user, item, rating)| Rating {
                    user,
                    item,
                    rating,
                    timestamp: None,
                })
                .collect(),
        }
    }
}
