//! External id <-> dense index maps.

use std::collections::HashMap;

/// Maps external ids (any `i32`) to dense indices `0..len()` in first-seen order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdMap {
    ids: Vec<i32>,
    index: HashMap<i32, u32>,
}

impl IdMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a map from ids in the order given. Repeated ids keep their first index.
    pub fn from_ids(ids: impl IntoIterator<Item = i32>) -> Self {
        let mut map = Self::new();
        for id in ids {
            map.intern(id);
        }
        map
    }

    /// Returns the index of `id`, adding it if new.
    pub fn intern(&mut self, id: i32) -> u32 {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(id);
        self.index.insert(id, i);
        i
    }

    pub fn get(&self, id: i32) -> Option<u32> {
        self.index.get(&id).copied()
    }

    /// The external id at dense index `index`. Panics when out of range.
    pub fn id(&self, index: u32) -> i32 {
        self.ids[index as usize]
    }

    pub fn ids(&self) -> &[i32] {
        &self.ids
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}
