//! Filling an empty store: the bundled MovieLens set (ratings and the movie
//! catalogue) is imported, then the retrain and recommend-for-all jobs run
//! once, so a fresh `movierec serve` has real lists to serve.
//!
//! The import is resumable: the store's [`BOOTSTRAP_MARKER`] records how many
//! chunks are in, and is removed when the last one is. A start that finds the
//! marker (the import was interrupted) finishes the import before anything
//! trains; re-ingesting a chunk is harmless (newest wins, equal is unchanged).

use std::path::{Path, PathBuf};

use movierec_core::data::{load_ratings, LoadError, LoadOptions};
use movierec_core::NoProgress;
use movierec_store::{RatingRecord, StoreError};
use serde::{Deserialize, Serialize};

use crate::catalogue::files::CatalogueFileError;
use crate::catalogue::{import_file, read_catalogue};

use crate::jobs::{runtime, JobError, JobOutcome, Skip};
use crate::state::AppState;

const IMPORT_BATCH: usize = 20_000;
/// The marker an unfinished bootstrap import leaves in the store.
pub const BOOTSTRAP_MARKER: &str = "bootstrap-import";

/// Why the store could not be brought to a serving state.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the store is empty and {} has no ratings.csv to import (set MOVIEREC_BOOTSTRAP_DATA)", .0.display())]
    NoData(PathBuf),
    #[error(transparent)]
    Catalogue(#[from] CatalogueFileError),
    #[error("{}:{line}: {reason} ({bad} bad rows in all)", path.display())]
    BadMovie {
        path: PathBuf,
        line: u64,
        reason: String,
        bad: usize,
    },
    #[error(transparent)]
    Ratings(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Job(#[from] JobError),
}

/// How far an import got, as kept in the marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ImportProgress {
    /// The data set directory being imported.
    source: String,
    chunks_done: usize,
    chunks: usize,
}

/// Imports `dir`'s ratings.csv and movies.csv into the store, resuming after
/// the chunks an earlier, interrupted import recorded.
pub async fn import_movielens(
    state: &AppState,
    dir: &Path,
) -> Result<(usize, usize), BootstrapError> {
    let progress = read_progress(state).await?;
    import_resuming(state, dir, progress).await
}

/// Imports `dir`, resuming after the chunks `progress` (the marker) records.
async fn import_resuming(
    state: &AppState,
    dir: &Path,
    progress: Option<ImportProgress>,
) -> Result<(usize, usize), BootstrapError> {
    let movies = read_catalogue(&dir.join("movies.csv"))?;
    if let Some(bad) = movies.bad.first() {
        return Err(BootstrapError::BadMovie {
            path: dir.join("movies.csv"),
            line: bad.line,
            reason: bad.reason.clone(),
            bad: movies.bad.len(),
        });
    }
    import_file(state.store.as_ref(), &movies).await?;
    let path = dir.join("ratings.csv");
    let report = load_ratings(&path, LoadOptions::default(), &NoProgress)?;
    let records: Vec<RatingRecord> = report
        .ratings
        .rows
        .iter()
        .map(|r| RatingRecord {
            user: r.user,
            movie: r.item,
            rating: r.rating,
            timestamp: r.timestamp.unwrap_or(0),
        })
        .collect();
    let source = dir.display().to_string();
    let chunks = records.len().div_ceil(IMPORT_BATCH);
    let resume_at = match progress {
        Some(p) if p.source == source && p.chunks == chunks => p.chunks_done,
        _ => 0,
    };
    if resume_at > 0 {
        tracing::info!(chunks_done = resume_at, chunks, from = %source, "resuming an interrupted bootstrap import");
    }
    for (index, chunk) in records.chunks(IMPORT_BATCH).enumerate().skip(resume_at) {
        let progress = ImportProgress {
            source: source.clone(),
            chunks_done: index,
            chunks,
        };
        state
            .store
            .set_marker(
                BOOTSTRAP_MARKER,
                Some(&serde_json::to_string(&progress).expect("plain numbers and text")),
            )
            .await?;
        state.store.ingest(chunk, &[]).await?;
    }
    state.store.set_marker(BOOTSTRAP_MARKER, None).await?;
    Ok((records.len(), movies.movies.len()))
}

async fn read_progress(state: &AppState) -> Result<Option<ImportProgress>, StoreError> {
    let Some(text) = state.store.marker(BOOTSTRAP_MARKER).await? else {
        return Ok(None);
    };
    // An unreadable marker still says an import was interrupted: start over.
    Ok(Some(serde_json::from_str(&text).unwrap_or(
        ImportProgress {
            source: String::new(),
            chunks_done: 0,
            chunks: 0,
        },
    )))
}

/// Brings the store to a serving state: imports the bundled data if there are
/// no ratings, trains if nothing is promoted, publishes if nothing is published.
pub async fn ensure_ready(state: &AppState) -> Result<(), BootstrapError> {
    let progress = read_progress(state).await?;
    if progress.is_some() || state.store.rating_count().await? == 0 {
        let dir = state.settings.bootstrap_data.clone();
        if !dir.join("ratings.csv").is_file() {
            return Err(BootstrapError::NoData(dir));
        }
        let (ratings, movies) = import_resuming(state, &dir, progress).await?;
        tracing::info!(
            "imported {ratings} ratings and {movies} movies from {}",
            dir.display()
        );
    }
    if state.store.promoted_model().await?.is_none() {
        match when_lease_free(state, || runtime::retrain(state)).await? {
            done @ JobOutcome::Done(_) => tracing::info!("trained {done}"),
            skipped => tracing::info!("{skipped}"),
        }
    }
    let outcome = when_lease_free(state, || runtime::publish_here(state)).await?;
    tracing::info!("{outcome}");
    Ok(())
}

/// Runs a job, and while it is skipped because another job holds the lease
/// (after a crash, the dead process's until it lapses), tries again every
/// third of the lease's time to live, for at most twice that time: a store
/// whose first retrain was interrupted serves once the lease lapses.
async fn when_lease_free<T, Fut>(
    state: &AppState,
    run: impl Fn() -> Fut,
) -> Result<JobOutcome<T>, JobError>
where
    Fut: std::future::Future<Output = Result<JobOutcome<T>, JobError>>,
{
    let ttl = state.settings.limits.job_lease;
    let deadline = std::time::Instant::now() + 2 * ttl;
    loop {
        match run().await? {
            JobOutcome::Skipped {
                reason: Skip::LeaseHeld,
            } if std::time::Instant::now() < deadline => {
                tracing::info!(
                    ?ttl,
                    "waiting for the job lease (an interrupted job's lapses by itself)"
                );
                tokio::time::sleep(ttl / 3).await;
            }
            outcome => return Ok(outcome),
        }
    }
}
