//! Published recommendation lists. Lists are written under their model
//! version and become visible when `meta.serving_version` switches to it, in
//! the same transaction that drops older versions. A GET reads the list and
//! the user's rating mark (`rating_marks`, set by ingest in the transaction
//! that stores the ratings) in one statement.

use async_trait::async_trait;
use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::catalog::CATALOGUE_REVISION;
use super::{items, SqliteStore};
use crate::error::Explained;
use crate::traits::{RecommendationStore, Result};
use crate::types::*;
use crate::StoreError;

const SERVING_VERSION: &str = "serving_version";

/// A decoded items column, or the error that names the list.
type Items = std::result::Result<Vec<RecommendedItem>, StoreError>;

/// The items column at `index` of a row, decoded.
fn items_at(row: &rusqlite::Row, index: usize, what: &'static str) -> rusqlite::Result<Items> {
    Ok(items::decode(what, row.get_ref(index)?))
}

#[async_trait]
impl RecommendationStore for SqliteStore {
    async fn write_recommendations(
        &self,
        version: u64,
        lists: &[UserRecommendations],
    ) -> Result<()> {
        let lists = lists.to_vec();
        self.write("write recommendations", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO recommendations (version, user_id, generated_at, items, rating_mark) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for l in &lists {
                    let items = items::encode(&l.items);
                    stmt.execute(params![version, l.user, l.generated_at, items, l.rating_mark])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn write_popular(&self, version: u64, items: &[RecommendedItem]) -> Result<()> {
        let items = items::encode(items);
        self.write("write the popular list", move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO popular (version, items) VALUES (?1, ?2)",
                params![version, items],
            )
            .map(|_| ())
        })
        .await
    }

    async fn publish_recommendations(&self, version: u64) -> Result<()> {
        self.write("publish recommendations", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![SERVING_VERSION, version.to_string()],
            )?;
            tx.execute("DELETE FROM recommendations WHERE version <> ?1", [version])?;
            tx.execute("DELETE FROM popular WHERE version <> ?1", [version])?;
            tx.commit()
        })
        .await
    }

    async fn serving_version(&self) -> Result<Option<u64>> {
        let value: Option<String> = self.run_inline("read the serving version", |conn| {
            conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([SERVING_VERSION], |r| r.get(0))
                .optional()
        })?;
        value
            .map(|v| {
                v.parse()
                    .map_err(|e| StoreError::corrupt("serving version", Explained::new(v, e)))
            })
            .transpose()
    }

    async fn recommendations(&self, user: i32) -> Result<Option<UserRecommendations>> {
        Ok(self.user_view(user).await?.list)
    }

    async fn user_view(&self, user: i32) -> Result<UserView> {
        // One statement: the list under the serving version (if any), the
        // user's mark and the catalogue's revision come from one snapshot.
        type Row = (
            Option<u64>,
            Option<i64>,
            Option<Items>,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let (version, generated_at, items, list_mark, rating_mark, catalogue_revision): Row = self
            .run_inline("read a user's recommendations", |conn| {
                conn.prepare_cached(
                    "SELECT r.version, r.generated_at, r.items, r.rating_mark,
                        (SELECT mark FROM rating_marks WHERE user_id = ?1),
                        (SELECT value FROM meta WHERE key = ?2)
                     FROM (SELECT 1) LEFT JOIN recommendations r ON r.user_id = ?1
                        AND r.version = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?3)",
                )?
                .query_row(
                    params![user, CATALOGUE_REVISION, SERVING_VERSION],
                    |r| {
                        // NULL when the LEFT JOIN found no list
                        let items = match r.get_ref(2)? {
                            ValueRef::Null => None,
                            _ => Some(items_at(r, 2, "recommendations")?),
                        };
                        Ok((r.get(0)?, r.get(1)?, items, r.get(3)?, r.get(4)?, r.get(5)?))
                    },
                )
            })?;
        let list = match (version, generated_at, items) {
            (Some(version), Some(generated_at), Some(items)) => Some(UserRecommendations {
                user,
                version,
                generated_at,
                items: items?,
                rating_mark: list_mark,
            }),
            _ => None,
        };
        Ok(UserView {
            list,
            rating_mark,
            catalogue_revision,
        })
    }

    async fn popular(&self) -> Result<Option<(u64, Vec<RecommendedItem>)>> {
        let row: Option<(u64, Items)> = self
            .run("read the popular list", |conn| {
                conn.query_row(
                    "SELECT p.version, p.items FROM popular p
                     JOIN meta m ON m.key = 'serving_version' AND p.version = CAST(m.value AS INTEGER)",
                    [],
                    |r| Ok((r.get(0)?, items_at(r, 1, "popular list")?)),
                )
                .optional()
            })
            .await?;
        row.map(|(v, items)| Ok((v, items?))).transpose()
    }

    async fn published_recommendations(&self) -> Result<Vec<UserRecommendations>> {
        type Row = (i32, u64, i64, Items, Option<i64>);
        let rows: Vec<Row> = self
            .scan("read every published list", |conn| {
                let mut stmt = conn.prepare(
                    "SELECT r.user_id, r.version, r.generated_at, r.items, r.rating_mark FROM recommendations r
                     JOIN meta m ON m.key = 'serving_version' AND r.version = CAST(m.value AS INTEGER)",
                )?;
                let rows = stmt.query_map([], |r| {
                    let items = items_at(r, 3, "recommendations")?;
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, items, r.get(4)?))
                })?;
                rows.collect()
            })
            .await?;
        rows.into_iter()
            .map(|(user, version, generated_at, items, rating_mark)| {
                Ok(UserRecommendations {
                    user,
                    version,
                    generated_at,
                    items: items?,
                    rating_mark,
                })
            })
            .collect()
    }
}
