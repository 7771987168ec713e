//! The movie catalogue in Cosmos DB: one document per movie, partitioned by
//! its id, so a lookup is a point read (1 RU) and an import spreads evenly.
//!
//! The revision is a marker (one point read) set after the movies are
//! written, to a value no other writer can produce (time, process, count):
//! two instances writing at once leave different tokens, never an equal
//! one that would hide a change from readers. It is cached for
//! `serving_version_ttl` like the serving version: a change made on this
//! instance shows at once, one made elsewhere within that time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use azure_data_cosmos::{FeedScope, Query};

use super::documents::{movie_id, MovieDoc};
use super::{corrupt, cosmos_error, CosmosStore};
use crate::traits::{CatalogStore, MarkerStore, Result};
use crate::types::*;

const REVISION_MARKER: &str = "catalogue-revision";

fn movie_of(doc: MovieDoc) -> Movie {
    Movie {
        id: doc.movie,
        title: doc.title,
        genres: doc.genres,
        hidden: doc.hidden,
    }
}

/// A token unique to this write: nanoseconds, process id and a counter.
fn new_revision() -> String {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    format!("{nanos}-{}-{n}", std::process::id())
}

#[async_trait]
impl CatalogStore for CosmosStore {
    async fn upsert_movies(&self, movies: &[Movie]) -> Result<()> {
        let container = &self.inner.movies;
        let docs: Vec<MovieDoc> = movies
            .iter()
            .map(|m| MovieDoc {
                id: movie_id(m.id),
                movie: m.id,
                title: m.title.clone(),
                genres: m.genres.clone(),
                hidden: m.hidden,
            })
            .collect();
        self.each_concurrently("store movies", docs, |doc| async move {
            container
                .upsert_item(doc.id.clone(), &doc.id, &doc, None)
                .await
                .map(|_| ())
                .map_err(|e| cosmos_error("store a movie", e))
        })
        .await?;
        let revision = new_revision();
        self.set_marker(REVISION_MARKER, Some(&revision)).await?;
        self.remember_revision(Some(revision));
        Ok(())
    }

    async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Movie>> {
        let container = &self.inner.movies;
        let found = self
            .each_concurrently("look up movies", ids.to_vec(), |id| async move {
                let key = movie_id(id);
                match container.read_item(key.clone(), &key, None).await {
                    Ok(read) => {
                        let doc: MovieDoc = read.into_model().map_err(|e| corrupt("a movie", e))?;
                        Ok(Some(movie_of(doc)))
                    }
                    Err(e) if e.status().is_not_found() => Ok(None),
                    Err(e) => Err(cosmos_error("look up a movie", e)),
                }
            })
            .await?;
        Ok(found.into_iter().flatten().map(|m| (m.id, m)).collect())
    }

    async fn all_movies(&self) -> Result<Vec<Movie>> {
        let docs: Vec<MovieDoc> = Self::query_all(
            &self.inner.movies,
            "read the catalogue",
            Query::from("SELECT * FROM c"),
            FeedScope::full_container(),
        )
        .await?;
        let mut movies: Vec<Movie> = docs.into_iter().map(movie_of).collect();
        movies.sort_by_key(|m| m.id);
        Ok(movies)
    }

    async fn movie_count(&self) -> Result<u64> {
        Self::count(&self.inner.movies, "count movies").await
    }

    async fn catalogue_revision(&self) -> Result<Option<String>> {
        if let Some((revision, at)) = &*self.inner.revision.read().expect("lock") {
            if at.elapsed() < self.inner.config.serving_version_ttl {
                return Ok(revision.clone());
            }
        }
        let revision = self.marker(REVISION_MARKER).await?;
        self.remember_revision(revision.clone());
        Ok(revision)
    }
}

impl CosmosStore {
    fn remember_revision(&self, revision: Option<String>) {
        *self.inner.revision.write().expect("lock") = Some((revision, Instant::now()));
    }
}
