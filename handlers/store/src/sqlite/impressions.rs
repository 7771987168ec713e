//! Served lists: rows of `served_lists`, keyed by (user, millisecond), the
//! movies as a comma-separated list; read and pruned by time (its index).

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::error::BoxError;
use crate::traits::{ImpressionStore, Result};
use crate::types::ServedList;
use crate::StoreError;

fn movies_text(movies: &[i32]) -> String {
    movies
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn movies_of(text: &str) -> std::result::Result<Vec<i32>, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',').map(str::parse).collect()
}

#[async_trait]
impl ImpressionStore for SqliteStore {
    async fn record_served(&self, lists: &[ServedList]) -> Result<()> {
        let rows: Vec<_> = lists
            .iter()
            .map(|l| {
                (
                    l.user,
                    l.served_at_ms,
                    l.version as i64,
                    l.source.clone(),
                    l.arm.clone(),
                    movies_text(&l.movies),
                )
            })
            .collect();
        self.write("record served lists", move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO served_lists
                     (user_id, served_at_ms, version, source, arm, movies)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for (user, at, version, source, arm, movies) in &rows {
                    insert.execute(params![user, at, version, source, arm, movies])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn served_since(&self, since_ms: i64) -> Result<Vec<ServedList>> {
        type Row = (i32, i64, i64, String, String, String);
        let rows: Vec<Row> = self
            .scan("read served lists", move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT user_id, served_at_ms, version, source, arm, movies
                     FROM served_lists WHERE served_at_ms >= ?1 ORDER BY served_at_ms",
                )?;
                let rows = stmt.query_map([since_ms], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?;
                rows.collect()
            })
            .await?;
        rows.into_iter()
            .map(|(user, served_at_ms, version, source, arm, movies)| {
                let movies = movies_of(&movies)
                    .map_err(|e| StoreError::corrupt("a served list", Box::new(e) as BoxError))?;
                Ok(ServedList {
                    user,
                    served_at_ms,
                    version: version as u64,
                    source,
                    arm,
                    movies,
                })
            })
            .collect()
    }

    async fn prune_served(&self, before_ms: i64) -> Result<u64> {
        self.write("delete old served lists", move |conn| {
            conn.execute(
                "DELETE FROM served_lists WHERE served_at_ms < ?1",
                [before_ms],
            )
            .map(|n| n as u64)
        })
        .await
    }
}
