//! Changes to stored movies: a catalogue file's rows ([`import_file`]).
//!
//! An import gives title and genres and keeps whether the movie is hidden,
//! so loading a catalogue again never brings back a hidden movie. The
//! store's revision moves with every write.

use movierec_store::{Movie, Store, StoreError};

use super::files::CatalogueFile;

/// Movies written per store call.
const WRITE_CHUNK: usize = 1_000;

/// Stores `movies` by id, each keeping the stored `hidden` flag of its id.
async fn write_keeping_hidden(store: &dyn Store, movies: &[Movie]) -> Result<(), StoreError> {
    for chunk in movies.chunks(WRITE_CHUNK) {
        let ids: Vec<i32> = chunk.iter().map(|m| m.id).collect();
        let stored = store.movies(&ids).await?;
        let merged: Vec<Movie> = chunk
            .iter()
            .map(|m| Movie {
                hidden: stored.get(&m.id).is_some_and(|s| s.hidden),
                ..m.clone()
            })
            .collect();
        store.upsert_movies(&merged).await?;
    }
    Ok(())
}

/// Stores a read catalogue file's movies (see the module doc); returns how
/// many were written.
pub async fn import_file(store: &dyn Store, file: &CatalogueFile) -> Result<usize, StoreError> {
    write_keeping_hidden(store, &file.movies).await?;
    Ok(file.movies.len())
}
