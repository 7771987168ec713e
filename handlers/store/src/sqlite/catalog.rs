//! The movie catalogue. Genres are stored `|`-separated, as MovieLens writes
//! them; the revision is a counter in `meta`, raised in the same transaction
//! as the movies it announces.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::SqliteStore;
use crate::traits::{CatalogStore, Result};
use crate::types::Movie;

/// The `meta` key of the catalogue's revision.
pub(super) const CATALOGUE_REVISION: &str = "catalogue_revision";

fn movie_of(row: &Row<'_>) -> rusqlite::Result<Movie> {
    let genres: String = row.get(2)?;
    Ok(Movie {
        id: row.get(0)?,
        title: row.get(1)?,
        genres: genres
            .split('|')
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
        hidden: row.get(3)?,
    })
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn upsert_movies(&self, movies: &[Movie]) -> Result<()> {
        let movies = movies.to_vec();
        self.write("store movies", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO movies (movie_id, title, genres, hidden) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (movie_id) DO UPDATE SET title = excluded.title,
                        genres = excluded.genres, hidden = excluded.hidden",
                )?;
                for m in &movies {
                    stmt.execute(params![m.id, m.title, m.genres.join("|"), m.hidden])?;
                }
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, '1')
                     ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                    [CATALOGUE_REVISION],
                )?;
            }
            tx.commit()
        })
        .await
    }

    async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Movie>> {
        self.run_inline("read movies", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT movie_id, title, genres, hidden FROM movies WHERE movie_id = ?1",
            )?;
            let mut found = HashMap::with_capacity(ids.len());
            for &id in ids {
                if let Some(m) = stmt.query_row([id], movie_of).optional()? {
                    found.insert(m.id, m);
                }
            }
            Ok(found)
        })
    }

    async fn all_movies(&self) -> Result<Vec<Movie>> {
        self.scan("read the catalogue", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT movie_id, title, genres, hidden FROM movies ORDER BY movie_id",
            )?;
            let rows = stmt.query_map([], movie_of)?;
            rows.collect()
        })
        .await
    }

    async fn movie_count(&self) -> Result<u64> {
        self.run("count movies", |conn| {
            conn.query_row("SELECT COUNT(*) FROM movies", [], |r| r.get(0))
        })
        .await
    }

    async fn catalogue_revision(&self) -> Result<Option<String>> {
        self.run_inline("read the catalogue revision", |conn| {
            conn.query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [CATALOGUE_REVISION],
                |r| r.get(0),
            )
            .optional()
        })
    }
}
