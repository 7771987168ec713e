//! Markers: rows of the `meta` table under a `marker:` prefix.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::traits::{MarkerStore, Result};

#[async_trait]
impl MarkerStore for SqliteStore {
    async fn marker(&self, name: &str) -> Result<Option<String>> {
        let key = format!("marker:{name}");
        self.run("read a marker", move |conn| {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn set_marker(&self, name: &str, value: Option<&str>) -> Result<()> {
        let key = format!("marker:{name}");
        let value = value.map(str::to_string);
        self.write("write a marker", move |conn| {
            match value {
                Some(v) => conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, v],
                ),
                None => conn.execute("DELETE FROM meta WHERE key = ?1", [key]),
            }
            .map(|_| ())
        })
        .await
    }

    async fn markers_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        // A range rather than LIKE: names may hold `%` or `_`.
        let (from, to) = (
            format!("marker:{prefix}"),
            format!("marker:{prefix}\u{10FFFF}"),
        );
        self.run("read markers", move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT key, value FROM meta WHERE key >= ?1 AND key < ?2 ORDER BY key",
            )?;
            let rows = statement.query_map([from, to], |r| {
                let key: String = r.get(0)?;
                Ok((key["marker:".len()..].to_string(), r.get(1)?))
            })?;
            rows.collect()
        })
        .await
    }
}
