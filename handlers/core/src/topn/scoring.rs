//! Scores of a block of users against every item, kept in cache, each user's
//! best `n` taken as the scores are made.
//!
//! The item factors are packed once per call into panels of 16 items, each
//! panel `width x 16` (`k`-major), so the kernel reads one panel row as two
//! AVX2 vectors. A tile is 6 users by 16 items in 12 accumulators; it runs
//! over a chunk of [`ITEMS_PER_CHUNK`] items (its panels fit in L2) for every
//! 6 users of the block before moving to the next chunk, so a panel is read
//! from L2 by all the block's users and the item factors go through memory
//! once per block. The 96 scores of a tile go straight to the users'
//! [`Best`] lists, which skip a row of 16 with one comparison when none beats
//! the list's floor: no `users x items` score matrix is ever written.
//! Each score is the same FMA chain over `k` in the same order whatever the
//! thread, so lists are deterministic.

use super::select::Best;

/// Items scored per pass of a user block (`ITEMS_PER_CHUNK / 16` panels).
const ITEMS_PER_CHUNK: usize = 1024;
/// Items per panel: two AVX2 vectors.
const PANEL: usize = 16;
/// Users per tile.
const TILE_USERS: usize = 6;

/// The item factors in panels (see the module doc), zero-padded to whole panels.
pub(super) struct PackedItems {
    panels: Vec<f32>,
    width: usize,
    items: usize,
}

impl PackedItems {
    /// Packs `items` rows of `width` factors from row-major `factors`.
    pub(super) fn new(factors: &[f32], width: usize) -> Self {
        let items = factors.len().checked_div(width).unwrap_or(0);
        let n_panels = items.div_ceil(PANEL);
        let mut panels = vec![0.0f32; n_panels * width * PANEL];
        for (i, row) in factors.chunks_exact(width.max(1)).enumerate() {
            let panel = &mut panels[(i / PANEL) * width * PANEL..][..width * PANEL];
            for (k, &v) in row.iter().enumerate() {
                panel[k * PANEL + i % PANEL] = v;
            }
        }
        PackedItems {
            panels,
            width,
            items,
        }
    }

    /// Feeds every (item, score) of `users` (row-major, `width` each) to
    /// `best[u]`, item by item in increasing order for each user.
    pub(super) fn score_into(&self, users: &[f32], best: &mut [Best<'_>]) {
        #[cfg(target_arch = "x86_64")]
        if crate::linalg::lanes::have_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA.
            unsafe { self.score_avx2(users, best) };
            return;
        }
        self.score_portable(users, best);
    }

    fn score_portable(&self, users: &[f32], best: &mut [Best<'_>]) {
        let w = self.width;
        let mut scores = [0.0f32; PANEL];
        for (p, panel) in self.panels.chunks_exact(w * PANEL).enumerate() {
            for (user, b) in users.chunks_exact(w).zip(best.iter_mut()) {
                scores.fill(0.0);
                for (k, &x) in user.iter().enumerate() {
                    for (s, &y) in scores.iter_mut().zip(&panel[k * PANEL..][..PANEL]) {
                        *s += x * y;
                    }
                }
                b.offer_row(p * PANEL, &scores[..PANEL.min(self.items - p * PANEL)]);
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn score_avx2(&self, users: &[f32], best: &mut [Best<'_>]) {
        use std::arch::x86_64::*;
        let w = self.width;
        let n_users = best.len();
        assert!(users.len() >= n_users * w);
        let n_panels = self.items.div_ceil(PANEL);
        let panels_per_chunk = ITEMS_PER_CHUNK / PANEL;
        let mut tile = [0.0f32; TILE_USERS * PANEL];
        for chunk0 in (0..n_panels).step_by(panels_per_chunk) {
            let chunk = chunk0..(chunk0 + panels_per_chunk).min(n_panels);
            for u0 in (0..n_users).step_by(TILE_USERS) {
                let rows = TILE_USERS.min(n_users - u0);
                // A short last tile repeats its last user; those scores are dropped.
                let user = |r: usize| users.as_ptr().add((u0 + r.min(rows - 1)) * w);
                let up = [user(0), user(1), user(2), user(3), user(4), user(5)];
                for p in chunk.clone() {
                    let panel = self.panels.as_ptr().add(p * w * PANEL);
                    let mut acc = [[_mm256_setzero_ps(); 2]; TILE_USERS];
                    for k in 0..w {
                        let y0 = _mm256_loadu_ps(panel.add(k * PANEL));
                        let y1 = _mm256_loadu_ps(panel.add(k * PANEL + 8));
                        for (acc_r, &u) in acc.iter_mut().zip(&up) {
                            let x = _mm256_broadcast_ss(&*u.add(k));
                            acc_r[0] = _mm256_fmadd_ps(x, y0, acc_r[0]);
                            acc_r[1] = _mm256_fmadd_ps(x, y1, acc_r[1]);
                        }
                    }
                    for (r, acc_r) in acc.iter().enumerate() {
                        _mm256_storeu_ps(tile.as_mut_ptr().add(r * PANEL), acc_r[0]);
                        _mm256_storeu_ps(tile.as_mut_ptr().add(r * PANEL + 8), acc_r[1]);
                    }
                    let first = p * PANEL;
                    let valid = PANEL.min(self.items - first);
                    for (r, b) in best[u0..u0 + rows].iter_mut().enumerate() {
                        b.offer_row(first, &tile[r * PANEL..r * PANEL + valid]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 kernel and the portable loop keep the same lists.
    #[test]
    fn both_kernels_keep_the_same_lists() {
        let (users, items, width) = (20usize, 1_500usize, 9usize);
        let u: Vec<f32> = (0..users * width)
            .map(|i| ((i % 11) as f32) - 5.0)
            .collect();
        let y: Vec<f32> = (0..items * width)
            .map(|i| ((i % 13) as f32) - 6.0)
            .collect();
        let packed = PackedItems::new(&y, width);
        let exclude = [3u32, 700, 1_499];
        let lists = |avx2: bool| {
            let mut best: Vec<Best> = (0..users).map(|_| Best::new(12, &exclude)).collect();
            if avx2 {
                packed.score_into(&u, &mut best);
            } else {
                packed.score_portable(&u, &mut best);
            }
            best.into_iter().map(Best::into_list).collect::<Vec<_>>()
        };
        let portable = lists(false);
        assert!(portable.iter().all(|l| l.len() == 12));
        assert_eq!(lists(true), portable);
    }
}
