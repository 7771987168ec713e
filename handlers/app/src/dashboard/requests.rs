//! The dashboard's two entry points: `Dashboard` (`GET /` and
//! `GET /dashboard`: the page) and `DashboardData` (`GET /dashboard/{view}`:
//! the same figures as JSON, for scripts).
//!
//! Views: `summary` (counts, serving version, sample users), `ratings`
//! (`?days=60`: per day and per value), `recommended` (`?n=10`: top movies and
//! genres of the published lists), `models` (the registry), `user`
//! (`?user=42&n=10&limit=100`: history beside recommendations), `online`
//! ("served, then liked" by version, source and arm). The page is
//! all of them at once, for the user in `?user=` (a typical user by default).

use std::collections::HashMap;

use super::cache::StoreFigures;
use super::page::{self, PageInput};
use super::views::{self, *};
use super::{Dashboard, DashboardError};
use crate::serving::query::{self, parse_n, parse_user, QueryError, DEFAULT_N, MAX_N};

/// The names `GET /dashboard/{view}` answers to.
pub const VIEWS: [&str; 6] = [
    "summary",
    "ratings",
    "recommended",
    "models",
    "user",
    "online",
];
/// Days in the ratings-per-day window unless `?days=` says otherwise.
pub const DEFAULT_DAYS: usize = 60;
/// Rows of a user's history on the page and in `user` unless `?limit=` says otherwise.
pub const DEFAULT_HISTORY: usize = 100;

fn bounded(
    query: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, QueryError> {
    query::count(name, query.get(name).map(String::as_str), default, max)
}

fn summary_of(figures: &StoreFigures, serving: Option<u64>) -> Summary {
    Summary {
        users: figures.summary.by_user.len() as u64,
        movies: figures.movies,
        ratings: figures.summary.ratings,
        dead_letters: figures.dead_letters,
        serving_version: serving,
        sample_users: figures.sample_users.clone(),
        computed_at: figures.computed_at.clone(),
    }
}

fn online_of(dashboard: &Dashboard, figures: &StoreFigures) -> OnlineView {
    views::online_view(
        &figures.online,
        &figures.models,
        dashboard.cache.liked_within(),
    )
}

pub async fn recommended(
    dashboard: &Dashboard,
    serving: Option<u64>,
    n: usize,
) -> Result<RecommendedView, DashboardError> {
    let tallies = dashboard
        .cache
        .tallies(dashboard.store.as_ref(), &dashboard.serving, serving)
        .await?;
    views::recommended_view(dashboard, &tallies, n).await
}

impl Dashboard {
    async fn figures(&self) -> Result<std::sync::Arc<StoreFigures>, DashboardError> {
        Ok(self.cache.figures(self.store.as_ref()).await?)
    }

    async fn serving_version(&self) -> Result<Option<u64>, DashboardError> {
        Ok(self.store.serving_version().await?)
    }
}

/// The JSON text of a view. Written straight from the view (not through a
/// `serde_json::Value`), so scores read exactly as `GET /recommendations` writes them.
fn json<T: serde::Serialize>(view: &T) -> Result<String, DashboardError> {
    Ok(serde_json::to_string(view)?)
}

/// `GET /dashboard/{view}`: the view's JSON text.
pub async fn data(
    dashboard: &Dashboard,
    view: &str,
    query: &HashMap<String, String>,
) -> Result<String, DashboardError> {
    match view {
        "summary" => {
            let figures = dashboard.figures().await?;
            json(&summary_of(&figures, dashboard.serving_version().await?))
        }
        "ratings" => {
            let days = bounded(query, "days", DEFAULT_DAYS, 3660)?;
            let figures = dashboard.figures().await?;
            json(&views::ratings_view(&figures.summary, days))
        }
        "recommended" => {
            let n = bounded(query, "n", DEFAULT_N, MAX_N)?;
            let serving = dashboard.serving_version().await?;
            json(&recommended(dashboard, serving, n).await?)
        }
        "models" => {
            let figures = dashboard.figures().await?;
            let serving = dashboard.serving_version().await?;
            json(&views::models_view(&figures.models, serving))
        }
        "user" => {
            let raw = query.get("user").ok_or_else(|| {
                QueryError::new("user is missing", "use e.g. /dashboard/user?user=42&n=10")
            })?;
            let user = parse_user(raw)?;
            let n = parse_n(query.get("n").map(String::as_str))?;
            let limit = bounded(query, "limit", DEFAULT_HISTORY, MAX_HISTORY)?;
            json(&views::user_view(dashboard, user, n, limit).await?)
        }
        "online" => {
            let figures = dashboard.figures().await?;
            json(&online_of(dashboard, &figures))
        }
        other => Err(DashboardError::UnknownView(other.to_string())),
    }
}

/// `GET /` and `GET /dashboard`: the page, and the query error that kept it
/// from showing the user asked for (`user` or `n` could not be read; the page
/// still shows everything else, HTTP answers it with 400).
pub async fn page(
    dashboard: &Dashboard,
    query: &HashMap<String, String>,
) -> Result<(String, Option<QueryError>), DashboardError> {
    // one read of the (cached) figures and the serving version for the whole page
    let figures = dashboard.figures().await?;
    let serving = dashboard.serving_version().await?;
    let summary = summary_of(&figures, serving);
    let ratings = views::ratings_view(&figures.summary, DEFAULT_DAYS);
    let recommended = recommended(dashboard, serving, DEFAULT_N).await?;
    let models = views::models_view(&figures.models, serving);
    let online = online_of(dashboard, &figures);

    let default_user = summary
        .sample_users
        .iter()
        .find(|s| s.label == "median")
        .or(summary.sample_users.first())
        .map(|s| s.user.to_string())
        .unwrap_or_else(|| "1".into());
    let typed_user = query.get("user").cloned().unwrap_or(default_user);
    let chosen = parse_user(&typed_user).and_then(|user| {
        let n = parse_n(query.get("n").map(String::as_str))?;
        Ok((user, n))
    });
    let (user_view, n, refused) = match chosen {
        Ok((user, n)) => (
            Ok(views::user_view(dashboard, user, n, DEFAULT_HISTORY).await?),
            n,
            None,
        ),
        Err(e) => (
            Err(format!("{}: {}", e.message, e.hint)),
            DEFAULT_N,
            Some(e),
        ),
    };
    let html = page::render(&PageInput {
        summary: &summary,
        ratings: &ratings,
        recommended: &recommended,
        models: &models,
        online: &online,
        user: user_view.as_ref().map_err(String::clone),
        typed_user,
        n,
        code: query.get("code").map(String::as_str),
    });
    Ok((html, refused))
}
