//! The movie catalogue. Genres are stored `|`-separated, as MovieLens writes them.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{params, TransactionBehavior};

use super::SqliteStore;
use crate::traits::{CatalogStore, Result};
use crate::types::Movie;

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn upsert_movies(&self, movies: &[Movie]) -> Result<()> {
        let movies = movies.to_vec();
        self.write("store movies", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO movies (movie_id, title, genres) VALUES (?1, ?2, ?3)
                     ON CONFLICT (movie_id) DO UPDATE SET title = excluded.title, genres = excluded.genres",
                )?;
                for m in &movies {
                    stmt.execute(params![m.id, m.title, m.genres.join("|")])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Movie>> {
        self.run_inline("read movies", |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT movie_id, title, genres FROM movies WHERE movie_id = ?1")?;
            let mut found = HashMap::with_capacity(ids.len());
            for &id in ids {
                let movie = stmt.query_row([id], |row| {
                    let genres: String = row.get(2)?;
                    Ok(Movie {
                        id: row.get(0)?,
                        title: row.get(1)?,
                        genres: genres
                            .split('|')
                            .filter(|g| !g.is_empty())
                            .map(str::to_string)
                            .collect(),
                    })
                });
                match movie {
                    Ok(m) => {
                        found.insert(m.id, m);
                    }
                    Err(rusqlite::Error::QueryReturnedNoRows) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(found)
        })
    }

    async fn movie_count(&self) -> Result<u64> {
        self.run("count movies", |conn| {
            conn.query_row("SELECT COUNT(*) FROM movies", [], |r| r.get(0))
        })
        .await
    }
}
