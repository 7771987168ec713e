//! Titles and genres for the movies of an answer, read from the store's
//! catalogue and kept per published version.
//!
//! A GET shows ten titles, and the catalogue changes only with an import, so
//! the cache starts afresh whenever a new version is published. Ids the
//! catalogue lacks are remembered too (`None`), so they cost no more reads.

use std::collections::HashMap;
use std::sync::RwLock;

use movierec_store::{Movie, Store, StoreError};

#[derive(Default)]
pub struct CatalogueCache {
    held: RwLock<Held>,
}

#[derive(Default)]
struct Held {
    version: u64,
    movies: HashMap<i32, Option<Movie>>,
}

impl CatalogueCache {
    /// The catalogue entries of `ids` (unknown ids are absent), through the
    /// cache kept for published `version`.
    pub async fn movies(
        &self,
        store: &dyn Store,
        version: u64,
        ids: &[i32],
    ) -> Result<HashMap<i32, Movie>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let held = self.held.read().expect("lock");
            for &id in ids {
                match held.movies.get(&id).filter(|_| held.version == version) {
                    Some(Some(m)) => {
                        found.insert(id, m.clone());
                    }
                    Some(None) => {}
                    None => missing.push(id),
                }
            }
        }
        if !missing.is_empty() {
            let fetched = store.movies(&missing).await?;
            let mut held = self.held.write().expect("lock");
            if held.version != version {
                *held = Held {
                    version,
                    movies: HashMap::new(),
                };
            }
            for id in missing {
                let movie = fetched.get(&id).cloned();
                if let Some(m) = &movie {
                    found.insert(id, m.clone());
                }
                held.movies.insert(id, movie);
            }
        }
        Ok(found)
    }
}

/// A movie's title and genres from a catalogue lookup (`None` and none when
/// it is not there).
pub fn title_and_genres(movies: &HashMap<i32, Movie>, id: i32) -> (Option<String>, Vec<String>) {
    match movies.get(&id) {
        Some(m) => (Some(m.title.clone()), m.genres.clone()),
        None => (None, Vec::new()),
    }
}
