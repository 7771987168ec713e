//! The movie catalogue in Cosmos DB: one document per movie, partitioned by
//! its id, so a lookup is a point read (1 RU) and an import spreads evenly.

use std::collections::HashMap;

use async_trait::async_trait;

use super::documents::{movie_id, MovieDoc};
use super::{corrupt, cosmos_error, CosmosStore};
use crate::traits::{CatalogStore, Result};
use crate::types::*;

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
                        Ok(Some(Movie {
                            id: doc.movie,
                            title: doc.title,
                            genres: doc.genres,
                        }))
                    }
                    Err(e) if e.status().is_not_found() => Ok(None),
                    Err(e) => Err(cosmos_error("look up a movie", e)),
                }
            })
            .await?;
        Ok(found.into_iter().flatten().map(|m| (m.id, m)).collect())
    }

    async fn movie_count(&self) -> Result<u64> {
        Self::count(&self.inner.movies, "count movies").await
    }
}
