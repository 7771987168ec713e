//! How factor vectors are laid out: [`FactorLayout`] for a whole model, and
//! [`RowLayout`] for which entries of one side's vectors a row solve may change.
//!
//! In the plain layout every entry is a latent factor. In the biased layout a
//! user vector is `[p_u, b_u, 1]` and an item vector `[q_i, 1, b_i]`, so that
//! `user . item = p_u . q_i + b_u + b_i`: a user solve frees `p_u` and `b_u`
//! and treats the item's last entry (`b_i`) as a known offset; an item solve
//! frees `q_i` and `b_i` and treats the user's `b_u` as the offset.
//!
//! Owns index arithmetic only; it must not depend on training or on the model
//! type (both read it).

use serde::{Deserialize, Serialize};

/// How factor vectors are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FactorLayout {
    /// All entries are latent factors (Spark's models).
    #[default]
    Plain,
    /// `latent` factors then two more: a user is `[p, b_u, 1]`, an item
    /// `[q, 1, mean + b_i]`, so the dot product adds both biases and the mean.
    Biased,
}

impl FactorLayout {
    /// Number of latent factors for vectors of `width` entries.
    pub fn latent_rank(self, width: usize) -> usize {
        match self {
            FactorLayout::Plain => width,
            FactorLayout::Biased => width.saturating_sub(2),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    User,
    Item,
}

/// The entries of one side's vectors: which are solved for and which is fixed at 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLayout {
    pub side: Side,
    /// Length of a factor vector.
    pub width: usize,
    /// Number of latent entries (they come first, at `0..latent`).
    pub latent: usize,
    /// Entries a solve of this side changes: the latent ones, then the bias if any.
    pub free: Vec<usize>,
    /// The entry held at 1.0, whose partner on the other side is that side's bias.
    pub fixed: Option<usize>,
}

impl RowLayout {
    pub fn new(layout: FactorLayout, latent: usize, side: Side) -> Self {
        match layout {
            FactorLayout::Plain => RowLayout {
                side,
                width: latent,
                latent,
                free: (0..latent).collect(),
                fixed: None,
            },
            FactorLayout::Biased => {
                let (bias, fixed) = match side {
                    Side::User => (latent, latent + 1),
                    Side::Item => (latent + 1, latent),
                };
                let mut free: Vec<usize> = (0..latent).collect();
                free.push(bias);
                RowLayout {
                    side,
                    width: latent + 2,
                    latent,
                    free,
                    fixed: Some(fixed),
                }
            }
        }
    }

    /// Index of this side's own bias entry, in the biased layout.
    pub fn bias_index(&self) -> Option<usize> {
        self.fixed.map(|_| self.free[self.latent])
    }
}
