//! The rating matrix in compressed sparse row form, both ways round.
//!
//! ALS alternates between solving every user from the items they rated and
//! every item from the users who rated it, so the matrix is kept as two CSRs:
//! users x items and items x users. Values are `f32` like Spark's.

use super::{IdMap, Ratings};

/// Compressed sparse rows: row `r` holds `cols[ptr[r]..ptr[r+1]]` with `vals` alongside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr {
    pub ptr: Vec<usize>,
    pub cols: Vec<u32>,
    pub vals: Vec<f32>,
}

impl Csr {
    pub fn n_rows(&self) -> usize {
        self.ptr.len().saturating_sub(1)
    }

    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Column indices and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.ptr[r], self.ptr[r + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }

    /// Builds a CSR from (row, col, value) triples; rows with no entries stay empty.
    /// Within a row, columns are sorted; for a repeated (row, col) the last triple wins.
    /// Memory beyond the result is one row's worth: the entries are placed in
    /// the output arrays first and each row is then sorted and deduplicated
    /// in place (at 25M ratings a separate sort buffer was 200 MB of the
    /// peak).
    pub fn from_triples(n_rows: usize, triples: &[(u32, u32, f32)]) -> Self {
        let mut ptr = vec![0usize; n_rows + 1];
        for &(r, _, _) in triples {
            ptr[r as usize + 1] += 1;
        }
        for i in 0..n_rows {
            ptr[i + 1] += ptr[i];
        }
        let mut next = ptr.clone();
        let mut cols = vec![0u32; triples.len()];
        let mut vals = vec![0f32; triples.len()];
        // In triple order within each row, so "later in the row" is "later triple".
        for &(r, c, v) in triples {
            let slot = &mut next[r as usize];
            cols[*slot] = c;
            vals[*slot] = v;
            *slot += 1;
        }
        drop(next);
        let mut row: Vec<(u32, f32)> = Vec::new();
        let mut kept = 0;
        for r in 0..n_rows {
            let (start, end) = (ptr[r], ptr[r + 1]);
            row.clear();
            row.extend(
                cols[start..end]
                    .iter()
                    .copied()
                    .zip(vals[start..end].iter().copied()),
            );
            // Stable: equal columns stay in triple order; keep the last of each run.
            row.sort_by_key(|&(c, _)| c);
            ptr[r] = kept;
            for (i, &(c, v)) in row.iter().enumerate() {
                if i + 1 < row.len() && row[i + 1].0 == c {
                    continue;
                }
                cols[kept] = c;
                vals[kept] = v;
                kept += 1;
            }
        }
        ptr[n_rows] = kept;
        cols.truncate(kept);
        vals.truncate(kept);
        Csr { ptr, cols, vals }
    }

    /// The transpose, with `n_cols` rows.
    pub fn transpose(&self, n_cols: usize) -> Csr {
        let mut counts = vec![0usize; n_cols + 1];
        for &c in &self.cols {
            counts[c as usize + 1] += 1;
        }
        for i in 0..n_cols {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut cols = vec![0u32; self.nnz()];
        let mut vals = vec![0f32; self.nnz()];
        for r in 0..self.n_rows() {
            let (cs, vs) = self.row(r);
            for (&c, &v) in cs.iter().zip(vs) {
                let slot = &mut next[c as usize];
                cols[*slot] = r as u32;
                vals[*slot] = v;
                *slot += 1;
            }
        }
        Csr {
            ptr: counts,
            cols,
            vals,
        }
    }
}

/// Ratings indexed for training: id maps plus the matrix both ways round.
#[derive(Debug, Clone, Default)]
pub struct RatingMatrix {
    pub users: IdMap,
    pub items: IdMap,
    /// users x items
    pub by_user: Csr,
    /// items x users
    pub by_item: Csr,
}

impl RatingMatrix {
    /// Indexes `ratings`. A (user, item) pair that occurs more than once keeps the
    /// rating with the newest timestamp, or the later row when timestamps tie or
    /// are missing: the same rule the ingest applies.
    pub fn build(ratings: &Ratings) -> Self {
        let mut users = IdMap::new();
        let mut items = IdMap::new();
        assert!(
            ratings.len() <= u32::MAX as usize,
            "at most 4 billion ratings"
        );
        let mut triple = |r: &super::Rating| (users.intern(r.user), items.intern(r.item), r.rating);
        let triples: Vec<(u32, u32, f32)> = if ratings.rows.iter().any(|r| r.timestamp.is_some()) {
            let mut order: Vec<u32> = (0..ratings.len() as u32).collect();
            // Stable sort by timestamp so that "last wins" below means "newest wins".
            order.sort_by_key(|&i| ratings.rows[i as usize].timestamp.unwrap_or(i64::MIN));
            order
                .iter()
                .map(|&i| triple(&ratings.rows[i as usize]))
                .collect()
        } else {
            ratings.rows.iter().map(triple).collect()
        };
        let by_user = Csr::from_triples(users.len(), &triples);
        drop(triples);
        let by_item = by_user.transpose(items.len());
        RatingMatrix {
            users,
            items,
            by_user,
            by_item,
        }
    }

    pub fn nnz(&self) -> usize {
        self.by_user.nnz()
    }

    /// Mean of all stored ratings (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.nnz() == 0 {
            return 0.0;
        }
        self.by_user.vals.iter().map(|&v| v as f64).sum::<f64>() / self.nnz() as f64
    }

    /// The dense item indices each user rated, as a CSR over the given id maps,
    /// from (user id, item id) pairs; users or items unknown to the maps are
    /// dropped. Used to leave already-rated items out of recommendations made
    /// by a loaded model.
    pub fn seen_under(
        pairs: impl IntoIterator<Item = (i32, i32)>,
        users: &IdMap,
        items: &IdMap,
    ) -> Csr {
        let triples: Vec<(u32, u32, f32)> = pairs
            .into_iter()
            .filter_map(|(u, i)| Some((users.get(u)?, items.get(i)?, 1.0)))
            .collect();
        Csr::from_triples(users.len(), &triples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Rating;

    #[test]
    fn builds_both_directions_and_dedups_newest_wins() {
        let rows = vec![
            Rating {
                user: 10,
                item: 1,
                rating: 2.0,
                timestamp: Some(5),
            },
            Rating {
                user: 10,
                item: 2,
                rating: 3.0,
                timestamp: Some(1),
            },
            Rating {
                user: 20,
                item: 1,
                rating: 4.0,
                timestamp: Some(2),
            },
            // older duplicate arrives late: must not win
            Rating {
                user: 10,
                item: 1,
                rating: 1.0,
                timestamp: Some(3),
            },
        ];
        let m = RatingMatrix::build(&Ratings::new(rows));
        assert_eq!(m.nnz(), 3);
        let u10 = m.users.get(10).unwrap() as usize;
        let i1 = m.items.get(1).unwrap();
        let (cols, vals) = m.by_user.row(u10);
        let pos = cols.iter().position(|&c| c == i1).unwrap();
        assert_eq!(vals[pos], 2.0);
        let (users_of_1, _) = m.by_item.row(i1 as usize);
        assert_eq!(users_of_1.len(), 2);
        assert!((m.mean() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn transpose_round_trips() {
        let csr = Csr::from_triples(3, &[(0, 2, 1.0), (2, 0, 2.0), (2, 1, 3.0), (0, 0, 4.0)]);
        let back = csr.transpose(3).transpose(3);
        assert_eq!(csr, back);
        assert_eq!(csr.row(1).0.len(), 0);
    }
}
