//! Item-to-item similarity from a model's item vectors: the cosine of their
//! latent factors (bias entries of the biased layout left out), so two
//! movies are close when the same users are predicted to like them,
//! whatever their popularity.
//!
//! [`ItemVectors`] normalises every item's latent factors once (a model's
//! worth of floats); "more like this" is then one matrix-vector product and
//! a selection, and "closest of these" (a recommendation's reason) a few dot
//! products.

use ndarray::{Array2, ArrayView1, Axis};

use super::{select_top, Scored};
use crate::linalg::lanes::dot;
#[cfg(target_arch = "x86_64")]
use crate::linalg::lanes::have_avx2_fma;
use crate::model::AlsModel;

/// A model's item vectors, each scaled to length 1 (a zero vector stays zero
/// and is similar to nothing).
#[derive(Debug, Clone)]
pub struct ItemVectors {
    unit: Array2<f32>,
}

impl ItemVectors {
    pub fn new(model: &AlsModel) -> Self {
        let latent = model.latent_rank();
        let mut unit = model
            .item_factors
            .slice(ndarray::s![.., ..latent])
            .to_owned();
        for mut row in unit.axis_iter_mut(Axis(0)) {
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 && norm.is_finite() {
                row.mapv_inplace(|x| x / norm);
            } else {
                row.fill(0.0);
            }
        }
        ItemVectors { unit }
    }

    /// Cosine similarity of items `a` and `b` (dense indices).
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        let (x, y) = (self.unit.row(a as usize), self.unit.row(b as usize));
        match (x.as_slice(), y.as_slice()) {
            // A GET's reasons call this for every shown movie and liked one.
            #[cfg(target_arch = "x86_64")]
            (Some(x), Some(y)) if have_avx2_fma() => dot::<true>(x, y),
            (Some(x), Some(y)) => dot::<false>(x, y),
            _ => x.dot(&y),
        }
    }

    /// The `n` items most similar to `item`, leaving out `item` itself and
    /// every index for which `skip` is true; best first, ties by index.
    pub fn most_similar(&self, item: u32, n: usize, skip: impl Fn(u32) -> bool) -> Vec<Scored> {
        let v: ArrayView1<f32> = self.unit.row(item as usize);
        if v.iter().all(|&x| x == 0.0) {
            return Vec::new();
        }
        let mut scores = self.unit.dot(&v);
        for (i, s) in scores.iter_mut().enumerate() {
            if i as u32 == item || skip(i as u32) {
                *s = f32::NEG_INFINITY;
            }
        }
        select_top(scores.view(), n)
    }

    /// Of `candidates`, the one most similar to `item` (the first on a tie),
    /// with its similarity; `None` when there are none.
    pub fn closest(&self, item: u32, candidates: &[u32]) -> Option<Scored> {
        candidates
            .iter()
            .map(|&c| Scored {
                item: c,
                score: self.similarity(item, c),
            })
            .fold(None, |best: Option<Scored>, s| match best {
                Some(b) if b.score >= s.score => Some(b),
                _ => Some(s),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;
    use crate::model::FactorLayout;
    use ndarray::array;

    fn model(items: Array2<f32>, layout: FactorLayout) -> AlsModel {
        let n = items.nrows();
        let width = items.ncols();
        AlsModel::new(
            IdMap::from_ids(vec![1]),
            IdMap::from_ids(1..=n as i32),
            Array2::zeros((1, width)),
            items,
            layout,
            None,
        )
    }

    #[test]
    fn nearest_items_are_those_pointing_the_same_way_whatever_their_length() {
        let m = model(
            array![[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]],
            FactorLayout::Plain,
        );
        let v = ItemVectors::new(&m);
        let near: Vec<u32> = v
            .most_similar(0, 3, |_| false)
            .iter()
            .map(|s| s.item)
            .collect();
        assert_eq!(
            near,
            vec![1, 2, 4],
            "the long vector first, itself and the opposite last"
        );
        assert!((v.similarity(0, 3) + 1.0).abs() < 1e-6);
        let skipping: Vec<u32> = v
            .most_similar(0, 2, |i| i == 1)
            .iter()
            .map(|s| s.item)
            .collect();
        assert_eq!(skipping, vec![2, 4]);
        assert!(
            v.most_similar(4, 3, |_| false).is_empty(),
            "a zero vector is like nothing"
        );
        assert_eq!(v.closest(0, &[2, 3, 1]).unwrap().item, 1);
        assert_eq!(v.closest(0, &[]), None);
    }

    #[test]
    fn the_biased_layouts_bias_entries_do_not_count() {
        // [q, 1, b]: the same q, very different biases.
        let m = model(
            array![
                [1.0, 0.0, 1.0, 5.0],
                [1.0, 0.0, 1.0, -5.0],
                [0.0, 1.0, 1.0, 5.0]
            ],
            FactorLayout::Biased,
        );
        let v = ItemVectors::new(&m);
        assert!((v.similarity(0, 1) - 1.0).abs() < 1e-6);
        assert!(v.similarity(0, 2).abs() < 1e-6);
    }
}
