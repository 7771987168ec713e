//! A user's best `n` items, kept while the scores stream in.

use super::Scored;

/// The best `n` (item, score) pairs offered so far, best first, leaving out
/// the items in `exclude` (sorted ascending, as every `Csr` row here is).
/// Ties keep the earlier item, and NaN and -inf never enter, as in
/// [`super::select_top`]; items must be offered in increasing order.
pub(super) struct Best<'a> {
    n: usize,
    list: Vec<Scored>,
    /// The score to beat: the n-th best once there are n, else -inf.
    floor: f32,
    exclude: &'a [u32],
}

impl<'a> Best<'a> {
    pub(super) fn new(n: usize, exclude: &'a [u32]) -> Self {
        debug_assert!(exclude.windows(2).all(|w| w[0] <= w[1]));
        Best {
            n,
            list: Vec::with_capacity(n + 1),
            floor: f32::NEG_INFINITY,
            exclude,
        }
    }

    /// Offers `scores[j]` for item `first + j`.
    #[inline]
    pub(super) fn offer_row(&mut self, first: usize, scores: &[f32]) {
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        // `f32::max` passes over NaN, so a row of NaNs has max -inf and is skipped.
        if max <= self.floor {
            return;
        }
        for (j, &s) in scores.iter().enumerate() {
            self.offer(first as u32 + j as u32, s);
        }
    }

    /// Offers one item's score; kept only if it beats the floor (never NaN).
    #[inline]
    pub(super) fn offer(&mut self, item: u32, score: f32) {
        if self.n == 0 || score <= self.floor || score.is_nan() {
            return;
        }
        if self.exclude.binary_search(&item).is_ok() {
            return;
        }
        let pos = self.list.partition_point(|b| b.score >= score);
        self.list.insert(pos, Scored { item, score });
        if self.list.len() > self.n {
            self.list.pop();
        }
        if self.list.len() == self.n {
            self.floor = self.list[self.n - 1].score;
        }
    }

    /// Offers one item's score if `keep` accepts the item. `keep` is asked
    /// only when the score would enter the list: a filtered GET pays for its
    /// filter on the few items that beat the floor, not on every item.
    #[inline]
    pub(super) fn offer_where(&mut self, item: u32, score: f32, keep: impl Fn(u32) -> bool) {
        if score > self.floor && keep(item) {
            self.offer(item, score);
        }
    }

    pub(super) fn into_list(self) -> Vec<Scored> {
        self.list
    }
}
