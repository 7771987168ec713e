//! Store-wide figures kept between dashboard requests.
//!
//! Counting ratings, users and dead letters is a full scan on Cosmos DB
//! (about 1 RU per 100 documents), so the figures (and the registry, which
//! changes only when a model is trained) are read at most once per
//! `MOVIEREC_DASHBOARD_CACHE_SECONDS` and shared by every request; the
//! published lists change only when a new version is published, so their
//! tallies are kept per serving version. One request at a time refreshes,
//! the others wait for its result instead of scanning too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use movierec_store::{ModelRecord, RatingSummary, StoreError};
use tokio::sync::Mutex;

use crate::state::AppState;

/// Ratings, catalogue, dead-letter and registry figures, read together.
#[derive(Debug)]
pub struct StoreFigures {
    pub summary: RatingSummary,
    pub movies: u64,
    pub dead_letters: u64,
    /// Every model version, newest first.
    pub models: Vec<ModelRecord>,
    /// When they were read (RFC 3339).
    pub computed_at: String,
    read_at: Instant,
}

/// How often each movie appears in the published lists of one version.
#[derive(Debug, Default)]
pub struct ListTallies {
    pub version: Option<u64>,
    /// Users with a list.
    pub users: usize,
    /// Movie id to the number of lists holding it.
    pub in_lists: HashMap<i32, u64>,
}

#[derive(Debug)]
pub struct DashboardCache {
    ttl: Duration,
    figures: Mutex<Option<Arc<StoreFigures>>>,
    tallies: Mutex<Option<Arc<ListTallies>>>,
}

impl DashboardCache {
    pub fn new(ttl: Duration) -> Self {
        DashboardCache {
            ttl,
            figures: Mutex::new(None),
            tallies: Mutex::new(None),
        }
    }

    /// The store's figures, read again when older than the time to live.
    pub async fn figures(&self, state: &AppState) -> Result<Arc<StoreFigures>, StoreError> {
        let mut held = self.figures.lock().await;
        if let Some(figures) = held.as_ref().filter(|f| f.read_at.elapsed() < self.ttl) {
            return Ok(figures.clone());
        }
        let started = Instant::now();
        let store = &state.store;
        let (summary, movies, dead_letters, models) = tokio::try_join!(
            store.rating_summary(),
            store.movie_count(),
            store.dead_letter_count(),
            store.models()
        )?;
        tracing::info!(
            ratings = summary.ratings,
            ms = started.elapsed().as_millis() as u64,
            "read the dashboard's figures"
        );
        let figures = Arc::new(StoreFigures {
            summary,
            movies,
            dead_letters,
            models,
            computed_at: chrono::Utc::now().to_rfc3339(),
            read_at: Instant::now(),
        });
        *held = Some(figures.clone());
        Ok(figures)
    }

    /// The tallies of the lists published under `serving`, read once per version.
    pub async fn tallies(
        &self,
        state: &AppState,
        serving: Option<u64>,
    ) -> Result<Arc<ListTallies>, StoreError> {
        let mut held = self.tallies.lock().await;
        if let Some(tallies) = held.as_ref().filter(|t| t.version == serving) {
            return Ok(tallies.clone());
        }
        let lists = state.store.published_recommendations().await?;
        let mut tallies = ListTallies {
            version: lists.first().map(|l| l.version).or(serving),
            users: lists.len(),
            in_lists: HashMap::new(),
        };
        for item in lists.iter().flat_map(|l| &l.items) {
            *tallies.in_lists.entry(item.movie).or_default() += 1;
        }
        let tallies = Arc::new(tallies);
        *held = Some(tallies.clone());
        Ok(tallies)
    }

    /// Reads both ahead of the first request (a first scan on Cosmos DB takes seconds).
    pub async fn warm(&self, state: &AppState) {
        let serving = match state.store.serving_version().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "could not prepare the dashboard");
                return;
            }
        };
        if let Err(e) = tokio::try_join!(self.figures(state), self.tallies(state, serving)) {
            tracing::warn!(error = %e, "could not prepare the dashboard");
        }
    }
}
