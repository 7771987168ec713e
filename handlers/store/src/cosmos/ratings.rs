//! Ratings and dead letters in Cosmos DB.
//!
//! "Newest timestamp wins" without a lost update: a rating is first created
//! (the usual case, one write); if it exists, it is read, and replaced only
//! when the event is newer and only if the document is still the one read
//! (If-Match on its etag). A 412 means another writer got there first: read
//! again and decide again. A duplicate or a late older event costs a failed
//! create and a point read, and changes nothing. After the ratings, each
//! user of the batch gets a new rating mark (one patch of the user's serving
//! document per user and batch, `user_docs.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use azure_data_cosmos::{FeedScope, Query};

use super::documents::*;
use super::{corrupt, cosmos_error, CosmosStore};
use crate::batch::newest_per_pair;
use crate::traits::{DeadLetterStore, RatingStore, Result, RATING_PAGE};
use crate::types::*;
use crate::StoreError;

/// Attempts at one rating when writers keep racing on it (each lost race
/// means another event for the same rating was stored in between).
const MAX_RACES: usize = 16;

/// Stores one rating; true when it was written (new or newer).
async fn store_rating(container: &ContainerClient, rating: RatingRecord) -> Result<bool> {
    let doc = RatingDoc::from(&rating);
    for _ in 0..MAX_RACES {
        match container
            .create_item(rating.user, &doc.id, &doc, None)
            .await
        {
            Ok(_) => return Ok(true),
            Err(e) if e.status().is_conflict() => {}
            Err(e) => return Err(cosmos_error("store a rating", e)),
        }
        let read = match container.read_item(rating.user, &doc.id, None).await {
            Ok(read) => read,
            Err(e) if e.status().is_not_found() => continue, // deleted meanwhile: create again
            Err(e) => return Err(cosmos_error("read a stored rating", e)),
        };
        let etag = read.headers().etag().cloned();
        let stored: RatingDoc = read
            .into_model()
            .map_err(|e| corrupt("a stored rating", e))?;
        if stored.ts >= rating.timestamp {
            return Ok(false);
        }
        let Some(etag) = etag else {
            return Err(corrupt("a stored rating", "the read returned no etag"));
        };
        let only_if_unchanged =
            ItemWriteOptions::default().with_precondition(Precondition::if_match(etag));
        match container
            .replace_item(rating.user, &doc.id, &doc, Some(only_if_unchanged))
            .await
        {
            Ok(_) => return Ok(true),
            Err(e) if e.status().is_precondition_failed() || e.status().is_not_found() => {}
            Err(e) => return Err(cosmos_error("replace a stored rating", e)),
        }
    }
    Err(StoreError::backend(
        super::BACKEND,
        "store a rating",
        format!(
            "rating {} lost {MAX_RACES} races with concurrent writers in a row; retry the batch",
            doc.id
        ),
    ))
}

/// Records one dead letter; true when it was not recorded before.
async fn store_dead_letter(container: &ContainerClient, letter: DeadLetterDoc) -> Result<bool> {
    match container
        .create_item(letter.id.clone(), &letter.id, &letter, None)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.status().is_conflict() => Ok(false),
        Err(e) => Err(cosmos_error("store a dead letter", e)),
    }
}

impl CosmosStore {
    /// The documents `sql` selects with `@first` and `@last` bound to the
    /// users' range: a range over the partition key, which the index on
    /// `/user` answers without a scan of the other partitions' documents.
    async fn users_in_range<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        container: &ContainerClient,
        sql: &'static str,
        (first, last): (i32, i32),
        operation: &'static str,
    ) -> Result<Vec<T>> {
        let query = Query::from(sql)
            .with_parameter("@first", first)
            .and_then(|q| q.with_parameter("@last", last))
            .map_err(|e| cosmos_error(operation, e))?;
        Self::query_all(container, operation, query, FeedScope::full_container()).await
    }
}

#[async_trait]
impl RatingStore for CosmosStore {
    async fn ingest(
        &self,
        ratings: &[RatingRecord],
        dead_letters: &[DeadLetter],
    ) -> Result<IngestOutcome> {
        let (newest, dropped) = newest_per_pair(ratings);
        let ratings_container = &self.inner.ratings;
        let written = self
            .each_concurrently("store an ingest batch", newest, |r| {
                store_rating(ratings_container, r)
            })
            .await?;
        let letters_container = &self.inner.dead_letters;
        let letters: Vec<DeadLetterDoc> = dead_letters.iter().map(DeadLetterDoc::from).collect();
        let recorded = self
            .each_concurrently("store dead letters", letters, |d| {
                store_dead_letter(letters_container, d)
            })
            .await?;
        // Marks after the ratings (see RatingStore::rating_marks), for every
        // user of the batch and not only those written: a batch retried after
        // a failed mark write finds its ratings stored already, and must still
        // leave their users marked. A spare mark costs only a fold-in.
        let mark = crate::new_rating_mark();
        let mut users: Vec<i32> = ratings.iter().map(|r| r.user).collect();
        users.sort_unstable();
        users.dedup();
        self.each_concurrently("mark the batch's users", users, |user| {
            self.set_rating_mark(user, mark)
        })
        .await?;
        let written_count = written.iter().filter(|w| **w).count();
        Ok(IngestOutcome {
            written: written_count,
            unchanged: written.len() - written_count + dropped,
            dead_lettered: recorded.iter().filter(|r| **r).count(),
        })
    }

    async fn user_ratings(&self, user: i32) -> Result<Vec<RatingRecord>> {
        // The WHERE repeats the scope for servers that ignore it (the local one).
        let query =
            Query::from("SELECT c.user, c.movie, c.rating, c.ts FROM c WHERE c.user = @user")
                .with_parameter("@user", user)
                .map_err(|e| cosmos_error("read a user's ratings", e))?;
        let rows: Vec<RatingRow> = Self::query_all(
            &self.inner.ratings,
            "read a user's ratings",
            query,
            FeedScope::partition(user),
        )
        .await?;
        Ok(rows.into_iter().map(RatingRecord::from).collect())
    }

    async fn all_ratings(&self) -> Result<Vec<RatingRecord>> {
        let mut all = Vec::new();
        Self::query_each::<RatingRow>(
            &self.inner.ratings,
            "read all ratings",
            Query::from("SELECT c.user, c.movie, c.rating, c.ts FROM c"),
            FeedScope::full_container(),
            |row| all.push(RatingRecord::from(row)),
        )
        .await?;
        Ok(all)
    }

    async fn each_rating_page(
        &self,
        page: &mut (dyn FnMut(Vec<RatingRecord>) + Send),
    ) -> Result<()> {
        let mut buffer = Vec::with_capacity(RATING_PAGE);
        Self::query_each::<RatingRow>(
            &self.inner.ratings,
            "read all ratings",
            Query::from("SELECT c.user, c.movie, c.rating, c.ts FROM c"),
            FeedScope::full_container(),
            |row| {
                buffer.push(RatingRecord::from(row));
                if buffer.len() == RATING_PAGE {
                    page(std::mem::replace(
                        &mut buffer,
                        Vec::with_capacity(RATING_PAGE),
                    ));
                }
            },
        )
        .await?;
        if !buffer.is_empty() {
            page(buffer);
        }
        Ok(())
    }

    async fn ratings_of_users(&self, first: i32, last: i32) -> Result<Vec<RatingRecord>> {
        let rows: Vec<RatingRow> = self
            .users_in_range(
                &self.inner.ratings,
                "SELECT c.user, c.movie, c.rating, c.ts FROM c WHERE c.user >= @first AND c.user <= @last",
                (first, last),
                "read a range of users' ratings",
            )
            .await?;
        Ok(rows.into_iter().map(RatingRecord::from).collect())
    }

    async fn rating_marks(&self, first: i32, last: i32) -> Result<HashMap<i32, i64>> {
        #[derive(serde::Deserialize)]
        struct Mark {
            user: i32,
            mark: i64,
        }
        let docs: Vec<Mark> = self
            .users_in_range(
                &self.inner.recommendations,
                "SELECT c.user, c.mark FROM c WHERE c.user >= @first AND c.user <= @last AND IS_DEFINED(c.mark)",
                (first, last),
                "read a range of users' rating marks",
            )
            .await?;
        Ok(docs.into_iter().map(|d| (d.user, d.mark)).collect())
    }

    async fn rating_count(&self) -> Result<u64> {
        Self::count(&self.inner.ratings, "count ratings").await
    }

    async fn rating_summary(&self) -> Result<RatingSummary> {
        let mut summary = RatingSummary::default();
        Self::query_each::<RatingRow>(
            &self.inner.ratings,
            "summarise ratings",
            Query::from("SELECT c.user, c.movie, c.rating, c.ts FROM c"),
            FeedScope::full_container(),
            |row| summary.add(row.user, row.rating, row.ts),
        )
        .await?;
        Ok(summary)
    }
}

#[async_trait]
impl DeadLetterStore for CosmosStore {
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        // Newest first across partitions (no ORDER BY there): keep the newest
        // `limit` while streaming, trimming whenever twice as many are held.
        let newest_first = |a: &DeadLetterDoc, b: &DeadLetterDoc| {
            (b.received_at, &b.id).cmp(&(a.received_at, &a.id))
        };
        let mut kept: Vec<DeadLetterDoc> = Vec::new();
        Self::query_each::<DeadLetterDoc>(
            &self.inner.dead_letters,
            "read dead letters",
            Query::from("SELECT c.id, c.received_at, c.reason, c.raw, c.origin FROM c"),
            FeedScope::full_container(),
            |doc| {
                kept.push(doc);
                if kept.len() >= 2 * limit.max(1) {
                    kept.sort_by(newest_first);
                    kept.truncate(limit);
                }
            },
        )
        .await?;
        kept.sort_by(newest_first);
        kept.truncate(limit);
        Ok(kept.into_iter().map(DeadLetter::from).collect())
    }

    async fn dead_letter_count(&self) -> Result<u64> {
        Self::count(&self.inner.dead_letters, "count dead letters").await
    }

    async fn prune_dead_letters(&self, received_before: i64) -> Result<u64> {
        let container = &self.inner.dead_letters;
        let old: Vec<String> = Self::query_all(
            container,
            "find old dead letters",
            Query::from("SELECT VALUE c.id FROM c WHERE c.received_at < @before")
                .with_parameter("@before", received_before)
                .map_err(|e| cosmos_error("find old dead letters", e))?,
            FeedScope::full_container(),
        )
        .await?;
        let deleted = self
            .each_concurrently("delete old dead letters", old, |id| async move {
                match container.delete_item(id.clone(), &id, None).await {
                    Ok(_) => Ok(true),
                    Err(e) if e.status().is_not_found() => Ok(false),
                    Err(e) => Err(cosmos_error("delete an old dead letter", e)),
                }
            })
            .await?;
        Ok(deleted.into_iter().filter(|d| *d).count() as u64)
    }
}
