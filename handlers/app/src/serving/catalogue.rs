//! The catalogue every answer is filtered and titled with: the whole of the
//! store's movies, held as one immutable snapshot and swapped when the
//! store's catalogue revision changes.
//!
//! Each GET reads the revision (in the same store read as the user's list:
//! `RecommendationStore::user_view`), so an import or a `POST /movies` on any
//! instance, a movie hidden
//! above all, shows in the very next answer of every instance, with no
//! retrain and no republish. Reloads are single-flight: requests that arrive
//! during one wait for it rather than reading the catalogue again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use movierec_store::{Movie, Store, StoreError};

use super::response::JsonText;
use crate::snapshot::{SnapshotCount, Snapshots};

/// The catalogue at one revision (the revision is its key in [`CatalogueCache`]).
#[derive(Debug)]
pub struct Catalogue {
    movies: HashMap<i32, Movie>,
    /// The hidden movies' ids (usually none: a GET checks it for every
    /// movie the model scores, so an empty set must cost nothing).
    hidden: HashSet<i32>,
    /// Each genre by its lower-case name, spelled as the catalogue spells it.
    genres: BTreeMap<String, String>,
    /// Each genre's movies (as spelled), sorted: a genre filter is a binary
    /// search in a small array, not a lookup of every scored movie's entry.
    members: HashMap<String, Vec<i32>>,
    /// Each movie's title and genres as answers write them.
    json: HashMap<i32, (JsonText, JsonText)>,
    /// The genres of a movie the catalogue lacks: `[]`.
    no_genres: JsonText,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new(Vec::new())
    }
}

impl Catalogue {
    pub fn new(movies: Vec<Movie>) -> Self {
        let mut genres = BTreeMap::new();
        let mut members: HashMap<String, Vec<i32>> = HashMap::new();
        for movie in &movies {
            for genre in &movie.genres {
                let spelled = genres
                    .entry(genre.to_lowercase())
                    .or_insert_with(|| genre.clone());
                members.entry(spelled.clone()).or_default().push(movie.id);
            }
        }
        for ids in members.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        let json = movies
            .iter()
            .map(|m| (m.id, (JsonText::of(&m.title), JsonText::of(&m.genres))))
            .collect();
        Catalogue {
            json,
            no_genres: JsonText::of(&[] as &[String]),
            hidden: movies.iter().filter(|m| m.hidden).map(|m| m.id).collect(),
            movies: movies.into_iter().map(|m| (m.id, m)).collect(),
            genres,
            members,
        }
    }

    pub fn movie(&self, id: i32) -> Option<&Movie> {
        self.movies.get(&id)
    }

    /// Whether `id` must never be recommended.
    pub fn is_hidden(&self, id: i32) -> bool {
        !self.hidden.is_empty() && self.hidden.contains(&id)
    }

    /// The hidden movies' ids.
    pub fn hidden(&self) -> impl Iterator<Item = i32> + '_ {
        self.hidden.iter().copied()
    }

    /// The catalogue's spelling of genre `asked` (any case), if it has it.
    pub fn genre(&self, asked: &str) -> Option<&str> {
        self.genres.get(&asked.to_lowercase()).map(String::as_str)
    }

    /// The movies of `genre` (as the catalogue spells it), sorted.
    pub fn members(&self, genre: &str) -> &[i32] {
        self.members
            .get(genre)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Every genre, in order.
    pub fn genre_names(&self) -> impl Iterator<Item = &str> {
        self.genres.values().map(String::as_str)
    }

    /// A movie's title and genres (`None` and none when it is not there).
    pub fn title_and_genres(&self, id: i32) -> (Option<String>, Vec<String>) {
        title_and_genres(&self.movies, id)
    }

    /// A movie's title and genres as answers write them (`None` and `[]` when
    /// it is not there).
    pub fn json_of(&self, id: i32) -> (Option<JsonText>, JsonText) {
        match self.json.get(&id) {
            Some((title, genres)) => (Some(title.clone()), genres.clone()),
            None => (None, self.no_genres.clone()),
        }
    }

    /// The entries of `ids` the catalogue has.
    pub fn entries(&self, ids: &[i32]) -> HashMap<i32, Movie> {
        ids.iter()
            .filter_map(|id| self.movies.get(id).map(|m| (*id, m.clone())))
            .collect()
    }
}

/// The snapshot this instance holds, keyed by its revision.
pub struct CatalogueCache(Snapshots<Option<String>, Catalogue>);

impl Default for CatalogueCache {
    fn default() -> Self {
        CatalogueCache(Snapshots::new(1))
    }
}

impl CatalogueCache {
    /// How often the catalogue asked for was held, and loaded.
    pub fn count(&self) -> SnapshotCount {
        self.0.count("catalogue")
    }

    /// The catalogue at the store's current revision.
    pub async fn current(&self, store: &dyn Store) -> Result<Arc<Catalogue>, StoreError> {
        let revision = store.catalogue_revision().await?;
        self.at(revision, store).await
    }

    /// The catalogue at `revision`, just read from `store` (a GET reads it
    /// with the user's list): the snapshot held, or a reload when it moved.
    pub async fn at(
        &self,
        revision: Option<String>,
        store: &dyn Store,
    ) -> Result<Arc<Catalogue>, StoreError> {
        // The revision is read before the movies: a change between the two
        // reads leaves a snapshot newer than its revision, reloaded next time.
        self.0
            .get_or_load(revision.clone(), || async move {
                let catalogue = Catalogue::new(store.all_movies().await?);
                tracing::debug!(movies = catalogue.movies.len(), "loaded the catalogue");
                Ok(catalogue)
            })
            .await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn movie(id: i32, genres: &[&str], hidden: bool) -> Movie {
        Movie {
            id,
            title: format!("Movie {id}"),
            genres: genres.iter().map(|g| g.to_string()).collect(),
            hidden,
        }
    }

    #[test]
    fn genres_match_in_any_case_and_hidden_movies_are_known() {
        let c = Catalogue::new(vec![
            movie(1, &["Sci-Fi", "Drama"], false),
            movie(2, &["Comedy"], true),
        ]);
        assert_eq!(c.genre("sci-fi"), Some("Sci-Fi"));
        assert_eq!(c.genre("Western"), None);
        assert_eq!(
            c.genre_names().collect::<Vec<_>>(),
            ["Comedy", "Drama", "Sci-Fi"]
        );
        assert!(c.is_hidden(2) && !c.is_hidden(1) && !c.is_hidden(3));
        assert_eq!(c.hidden().collect::<Vec<_>>(), [2]);
        assert_eq!(c.title_and_genres(3), (None, vec![]));
    }
}
