//! # dashboard: the page and its JSON views, read only
//!
//! One page (`GET /` and `/dashboard`, the `Dashboard` function) and the JSON
//! views behind it (`GET /dashboard/{view}`, the `DashboardData` function).
//!
//! It owns what is shown and how: the entry points ([`requests`]), the views
//! ([`views`]), the figures cached between requests ([`cache`]), the users the
//! picker offers ([`sample_users`]), the HTML
//! ([`page`]) and the charts, drawn as SVG by the server ([`svg`]), so the
//! page needs no script, no chart library and no network beyond this app.
//! Its state, [`Dashboard`], is its own: the store (read through its traits),
//! the serving path (a user's list comes from
//! [`crate::serving::Serving::recommend`], so the page shows exactly what the
//! API answers) and the cache. It must never write to the store, and knows
//! nothing of HTTP: its failures are [`DashboardError`]s, which `crate::http`
//! answers.
//!
//! Following a request: `GET /dashboard?user=42` reaches [`requests::page`],
//! which gathers every view (the store-wide ones through
//! [`cache::DashboardCache`]) and hands them to [`page::render`].

pub mod cache;
pub mod page;
pub mod requests;
pub mod sample_users;
pub mod svg;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use movierec_store::{Store, StoreError};

use crate::serving::{QueryError, ServeError, Serving};
use cache::DashboardCache;

/// The dashboard's state: what it reads from, and what it keeps.
#[derive(Clone)]
pub struct Dashboard {
    store: Arc<dyn Store>,
    serving: Serving,
    cache: Arc<DashboardCache>,
}

impl Dashboard {
    /// `cache_ttl`: how long store-wide figures are reused (each refresh scans the ratings).
    pub fn new(
        store: Arc<dyn Store>,
        serving: Serving,
        cache_ttl: Duration,
        liked_within: Duration,
    ) -> Self {
        Dashboard {
            store,
            serving,
            cache: Arc::new(DashboardCache::new(cache_ttl, liked_within)),
        }
    }

    /// Reads the figures ahead of the first request (a first scan on Cosmos DB takes seconds).
    pub async fn warm(&self) {
        self.cache.warm(self.store.as_ref(), &self.serving).await
    }
}

/// Why a dashboard request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// A query value is unusable.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// `GET /dashboard/{view}` named no view.
    #[error("no dashboard view named {0:?}")]
    UnknownView(String),
    /// A user's list could not be computed.
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the view as JSON")]
    Json(#[from] serde_json::Error),
}
