//! Ratings and dead letters. An ingest batch is stored in one IMMEDIATE
//! transaction, shared with the batches that queued beside it
//! (`ingest_group.rs`): all of a batch is stored or none of it.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{params, Connection, TransactionBehavior};

use super::ingest_group::{writer_stopped, IngestJob};
use super::SqliteStore;
use crate::batch::newest_per_pair;
use crate::traits::{DeadLetterStore, RatingStore, Result, RATING_PAGE};
use crate::types::*;

/// Newest timestamp wins: the update applies only to a strictly newer event,
/// so a duplicate or a late older event changes nothing.
const UPSERT_RATING: &str = "
    INSERT INTO ratings (user_id, movie_id, rating, ts) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, ts = excluded.ts
    WHERE excluded.ts > ratings.ts";

/// A user's new rating mark, written in the transaction that stores their ratings.
const SET_RATING_MARK: &str = "
    INSERT INTO rating_marks (user_id, mark) VALUES (?1, ?2)
    ON CONFLICT (user_id) DO UPDATE SET mark = excluded.mark";

const INSERT_DEAD_LETTER: &str = "
    INSERT OR IGNORE INTO dead_letters
        (id, received_at, reason, raw, partition, sequence, offset_value, enqueued_time)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

fn rating_row(row: &rusqlite::Row) -> rusqlite::Result<RatingRecord> {
    Ok(RatingRecord {
        user: row.get(0)?,
        movie: row.get(1)?,
        rating: row.get::<_, f64>(2)? as f32,
        timestamp: row.get(3)?,
    })
}

impl SqliteStore {
    /// Writes queued ingest batches until none is left (the group's writer,
    /// on the blocking pool; see `ingest_group.rs`).
    pub(super) fn write_ingest_queue(&self) {
        self.ingest_queue.drain(|jobs| {
            if jobs.len() > 1 {
                match self.write_here("store ingest batches", |conn| store_batches(conn, &jobs)) {
                    Ok(outcomes) => {
                        for (job, outcome) in jobs.into_iter().zip(outcomes) {
                            let _ = job.reply.send(Ok(outcome));
                        }
                        return;
                    }
                    Err(e) => tracing::warn!(
                        error = %e,
                        batches = jobs.len(),
                        "a shared ingest transaction failed; storing its batches one by one"
                    ),
                }
            }
            for job in jobs {
                let one = std::slice::from_ref(&job);
                let outcome = self
                    .write_here("store an ingest batch", |conn| store_batches(conn, one))
                    .map(|mut outcomes| outcomes.remove(0));
                let _ = job.reply.send(outcome);
            }
        });
    }
}

/// Stores `jobs` in one IMMEDIATE transaction, in order, and gives each rated
/// user one new mark; one outcome per job.
fn store_batches(
    conn: &mut Connection,
    jobs: &[IngestJob],
) -> rusqlite::Result<Vec<IngestOutcome>> {
    let mark = crate::new_rating_mark();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    {
        let mut upsert = tx.prepare_cached(UPSERT_RATING)?;
        let mut insert = tx.prepare_cached(INSERT_DEAD_LETTER)?;
        let mut rated = std::collections::BTreeSet::new();
        for job in jobs {
            let mut outcome = IngestOutcome {
                unchanged: job.superseded,
                ..Default::default()
            };
            for r in &job.ratings {
                match upsert.execute(params![r.user, r.movie, r.rating as f64, r.timestamp])? {
                    0 => outcome.unchanged += 1,
                    _ => {
                        outcome.written += 1;
                        rated.insert(r.user);
                    }
                }
            }
            for d in &job.dead_letters {
                outcome.dead_lettered += insert.execute(params![
                    d.id,
                    d.received_at,
                    d.reason,
                    d.raw,
                    d.origin.partition,
                    d.origin.sequence_number,
                    d.origin.offset,
                    d.origin.enqueued_time
                ])?;
            }
            outcomes.push(outcome);
        }
        let mut set_mark = tx.prepare_cached(SET_RATING_MARK)?;
        for user in rated {
            set_mark.execute(params![user, mark])?;
        }
    }
    tx.commit()?;
    Ok(outcomes)
}

#[async_trait]
impl RatingStore for SqliteStore {
    async fn ingest(
        &self,
        ratings: &[RatingRecord],
        dead_letters: &[DeadLetter],
    ) -> Result<IngestOutcome> {
        let (mut ratings, superseded) = newest_per_pair(ratings);
        // Key order: neighbouring rows land on the same B-tree pages.
        ratings.sort_unstable_by_key(|r| (r.user, r.movie));
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = IngestJob {
            ratings,
            superseded,
            dead_letters: dead_letters.to_vec(),
            reply,
        };
        if self.ingest_queue.push(job) {
            let store = self.clone();
            tokio::task::spawn_blocking(move || store.write_ingest_queue());
        }
        answer.await.map_err(|_| writer_stopped())?
    }

    async fn user_ratings(&self, user: i32) -> Result<Vec<RatingRecord>> {
        // One primary-key range (a user's ratings are adjacent rows): read
        // here, like a point read, as the GET that folds a user in needs it.
        self.run_inline("read a user's ratings", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, movie_id, rating, ts FROM ratings WHERE user_id = ?1",
            )?;
            let rows = stmt.query_map([user], rating_row)?;
            rows.collect()
        })
    }

    async fn all_ratings(&self) -> Result<Vec<RatingRecord>> {
        self.scan("read all ratings", |conn| {
            let mut stmt = conn.prepare("SELECT user_id, movie_id, rating, ts FROM ratings")?;
            let rows = stmt.query_map([], rating_row)?;
            rows.collect()
        })
        .await
    }

    async fn each_rating_page(
        &self,
        page: &mut (dyn FnMut(Vec<RatingRecord>) + Send),
    ) -> Result<()> {
        // Keyset pages in primary-key order: each is one short read, so a
        // long export never holds a reader (or the WAL) for its whole length.
        let mut after = (i32::MIN, i32::MIN);
        loop {
            let rows = self
                .scan("read a page of ratings", move |conn| {
                    let mut stmt = conn.prepare_cached(
                        "SELECT user_id, movie_id, rating, ts FROM ratings
                         WHERE (user_id, movie_id) > (?1, ?2)
                         ORDER BY user_id, movie_id LIMIT ?3",
                    )?;
                    let rows =
                        stmt.query_map(params![after.0, after.1, RATING_PAGE as i64], rating_row)?;
                    rows.collect::<rusqlite::Result<Vec<_>>>()
                })
                .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = (last.user, last.movie);
            let full = rows.len() == RATING_PAGE;
            page(rows);
            if !full {
                return Ok(());
            }
        }
    }

    async fn ratings_of_users(&self, first: i32, last: i32) -> Result<Vec<RatingRecord>> {
        self.scan("read a range of users' ratings", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, movie_id, rating, ts FROM ratings WHERE user_id BETWEEN ?1 AND ?2",
            )?;
            let rows = stmt.query_map([first, last], rating_row)?;
            rows.collect()
        })
        .await
    }

    async fn rating_marks(&self, first: i32, last: i32) -> Result<HashMap<i32, i64>> {
        self.scan("read a range of users' rating marks", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, mark FROM rating_marks WHERE user_id BETWEEN ?1 AND ?2",
            )?;
            let rows = stmt.query_map([first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn rating_count(&self) -> Result<u64> {
        self.run("count ratings", |conn| {
            conn.query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
        })
        .await
    }

    async fn rating_summary(&self) -> Result<RatingSummary> {
        self.scan("summarise ratings", |conn| {
            let mut summary = RatingSummary::default();
            let mut stmt = conn.prepare("SELECT user_id, rating, ts FROM ratings")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                summary.add(row.get(0)?, row.get::<_, f64>(1)? as f32, row.get(2)?);
            }
            Ok(summary)
        })
        .await
    }
}

#[async_trait]
impl DeadLetterStore for SqliteStore {
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        self.scan("read dead letters", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, received_at, reason, raw, partition, sequence, offset_value, enqueued_time
                 FROM dead_letters ORDER BY received_at DESC, rowid DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |row| {
                Ok(DeadLetter {
                    id: row.get(0)?,
                    received_at: row.get(1)?,
                    reason: row.get(2)?,
                    raw: row.get(3)?,
                    origin: EventOrigin {
                        partition: row.get(4)?,
                        sequence_number: row.get(5)?,
                        offset: row.get(6)?,
                        enqueued_time: row.get(7)?,
                    },
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn dead_letter_count(&self) -> Result<u64> {
        self.run("count dead letters", |conn| {
            conn.query_row("SELECT COUNT(*) FROM dead_letters", [], |r| r.get(0))
        })
        .await
    }

    async fn prune_dead_letters(&self, received_before: i64) -> Result<u64> {
        self.write("delete old dead letters", move |conn| {
            conn.execute(
                "DELETE FROM dead_letters WHERE received_at < ?1",
                [received_before],
            )
            .map(|n| n as u64)
        })
        .await
    }
}
