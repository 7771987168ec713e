//! The dashboard's views: each is one JSON answer of `GET /dashboard/{view}`
//! and one panel of the page, built from the store and the serving model.

use chrono::{DateTime, TimeZone, Utc};
use movierec_store::{ModelRecord, ModelStatus, RatingSummary};
use serde::Serialize;

use super::cache::ListTallies;
pub use super::sample_users::{sample_users, SampleUser};
use super::{Dashboard, DashboardError};
use crate::impressions::timeline::Series;
use crate::impressions::{verdict, AbVerdict, OnlineFigure, OnlineFigures};
use crate::serving::{title_and_genres, ListRequest, Recommendations, ServeError};

/// How many rows of a user's rating history a view holds at most.
pub const MAX_HISTORY: usize = 500;

/// Store-wide counts and a few users worth looking at.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub users: u64,
    pub movies: u64,
    pub ratings: u64,
    pub dead_letters: u64,
    /// The model version recommendations are served from.
    pub serving_version: Option<u64>,
    pub sample_users: Vec<SampleUser>,
    /// When these figures were read from the store (RFC 3339).
    pub computed_at: String,
}

/// Ratings per day and per value.
#[derive(Debug, Clone, Serialize)]
pub struct RatingsView {
    /// One entry per day of the window (days without ratings count 0), oldest
    /// first; the window ends at the newest rating's day.
    pub per_day: Vec<DayCount>,
    pub per_value: Vec<ValueCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub ratings: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueCount {
    pub rating: f32,
    pub ratings: u64,
}

/// What the published lists recommend most.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendedView {
    pub model_version: Option<u64>,
    /// Users with a published list.
    pub users: usize,
    pub top_movies: Vec<MovieCount>,
    pub top_genres: Vec<GenreCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MovieCount {
    pub movie_id: i32,
    pub title: Option<String>,
    pub genres: Vec<String>,
    /// Users whose list holds the movie.
    pub users: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GenreCount {
    pub genre: String,
    /// Recommended items (over all lists) of this genre.
    pub items: u64,
}

/// The model registry, oldest version first.
#[derive(Debug, Clone, Serialize)]
pub struct ModelsView {
    pub versions: Vec<ModelPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelPoint {
    pub version: u64,
    pub created_at: String,
    /// `promoted`, `rejected` or `challenger` (an A/B arm's own model).
    pub status: ModelStatus,
    pub decision: String,
    /// NDCG@10 of the served lists on the version's holdout.
    pub ndcg_at_k: Option<f64>,
    /// NDCG@10 of the most-popular list on the same holdout (the baseline).
    pub popular_ndcg_at_k: Option<f64>,
    /// NDCG@10 of the version serving at that retrain, on the same holdout.
    pub champion_ndcg_at_k: Option<f64>,
    pub precision_at_k: Option<f64>,
    pub recall_at_k: Option<f64>,
    /// The rating model's holdout RMSE.
    pub rmse: Option<f64>,
    /// Whether recommendations are served from this version now.
    pub serving: bool,
}

/// One user: their ratings beside their recommendations.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub user: i32,
    /// Ratings stored for the user (`history` may hold fewer).
    pub rated: usize,
    /// Newest first.
    pub history: Vec<RatedMovie>,
    /// Exactly what `GET /recommendations/{user}?n=` answers; `None` with
    /// `unavailable` saying why when there is nothing to recommend from yet.
    pub recommendations: Option<Recommendations>,
    pub unavailable: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatedMovie {
    pub movie_id: i32,
    pub title: Option<String>,
    pub genres: Vec<String>,
    pub rating: f32,
    /// `YYYY-MM-DD`, UTC, of the rating's Timestamp.
    pub date: String,
}

pub fn rfc3339(seconds: i64) -> String {
    timestamp(seconds).to_rfc3339()
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn date(seconds: i64) -> String {
    timestamp(seconds).format("%Y-%m-%d").to_string()
}

/// The `days` days up to the newest rating's day, and the value distribution.
pub fn ratings_view(summary: &RatingSummary, days: usize) -> RatingsView {
    let per_day = match summary.by_day.keys().next_back() {
        None => Vec::new(),
        Some(&last) => {
            let first = last - days as i64 + 1;
            (first..=last)
                .map(|day| DayCount {
                    date: date(day * RatingSummary::SECONDS_PER_DAY),
                    ratings: summary.by_day.get(&day).copied().unwrap_or(0),
                })
                .collect()
        }
    };
    let per_value = (1..=10u8)
        .map(|half| ValueCount {
            rating: half as f32 / 2.0,
            ratings: summary.by_half_stars.get(&half).copied().unwrap_or(0),
        })
        .collect();
    RatingsView { per_day, per_value }
}

/// The `n` movies in most lists and the `n` genres most recommended, with
/// titles for those `n` movies.
pub async fn recommended_view(
    dashboard: &Dashboard,
    tallies: &ListTallies,
    n: usize,
) -> Result<RecommendedView, DashboardError> {
    let top = &tallies.top_movies[..n.min(tallies.top_movies.len())];
    let ids: Vec<i32> = top.iter().map(|&(movie, _)| movie).collect();
    let movies = dashboard.serving.movies(&ids).await?;
    Ok(RecommendedView {
        model_version: tallies.version,
        users: tallies.users,
        top_movies: top
            .iter()
            .map(|&(movie_id, users)| {
                let (title, genres) = title_and_genres(&movies, movie_id);
                MovieCount {
                    movie_id,
                    title,
                    genres,
                    users,
                }
            })
            .collect(),
        top_genres: tallies
            .top_genres
            .iter()
            .take(n)
            .map(|(genre, items)| GenreCount {
                genre: genre.clone(),
                items: *items,
            })
            .collect(),
    })
}

/// Every registry version, oldest first, with its holdout figures.
pub fn models_view(records: &[ModelRecord], serving: Option<u64>) -> ModelsView {
    let mut versions: Vec<ModelPoint> = records
        .iter()
        .map(|r| {
            let m = &r.metrics;
            ModelPoint {
                version: r.version,
                created_at: rfc3339(r.created_at),
                status: r.status,
                decision: r.decision.clone(),
                champion_ndcg_at_k: m.champion.as_ref().and_then(|c| c.lists.ndcg_at_k),
                ndcg_at_k: m.lists.ndcg_at_k,
                popular_ndcg_at_k: m.popular.ndcg_at_k,
                precision_at_k: m.lists.precision_at_k,
                recall_at_k: m.lists.recall_at_k,
                rmse: m.rmse,
                serving: Some(r.version) == serving,
            }
        })
        .collect();
    versions.sort_by_key(|v| v.version);
    ModelsView { versions }
}

/// A user's newest `limit` ratings with titles, beside their top `n`.
pub async fn user_view(
    dashboard: &Dashboard,
    user: i32,
    n: usize,
    limit: usize,
) -> Result<UserView, DashboardError> {
    let mut ratings = dashboard.store.user_ratings(user).await?;
    ratings.sort_by(|a, b| b.timestamp.cmp(&a.timestamp).then(a.movie.cmp(&b.movie)));
    let rated = ratings.len();
    ratings.truncate(limit);
    let (recommendations, unavailable) = match dashboard
        .serving
        .recommend(user, &ListRequest::first(n))
        .await
    {
        Ok(list) => (Some(list), None),
        Err(ServeError::NoModel) => (None, Some(ServeError::NoModel.to_string())),
        Err(e) => return Err(e.into()),
    };
    let ids: Vec<i32> = ratings.iter().map(|r| r.movie).collect();
    let movies = dashboard.serving.movies(&ids).await?;
    let history = ratings
        .iter()
        .map(|r| {
            let (title, genres) = title_and_genres(&movies, r.movie);
            RatedMovie {
                movie_id: r.movie,
                title,
                genres,
                rating: r.rating,
                date: date(r.timestamp),
            }
        })
        .collect();
    Ok(UserView {
        user,
        rated,
        history,
        recommendations,
        unavailable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::sample_users::summary;

    #[test]
    fn the_day_window_ends_at_the_newest_rating_and_fills_gaps() {
        let day = RatingSummary::SECONDS_PER_DAY;
        // 2018-09-20 is day 17794
        let s = summary(&[
            (1, 4.0, 17794 * day),
            (1, 3.5, 17794 * day + 5),
            (2, 0.5, 17796 * day + 9),
        ]);
        let view = ratings_view(&s, 4);
        let days: Vec<(&str, u64)> = view
            .per_day
            .iter()
            .map(|d| (d.date.as_str(), d.ratings))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2018-09-19", 0),
                ("2018-09-20", 2),
                ("2018-09-21", 0),
                ("2018-09-22", 1)
            ]
        );
        assert_eq!(view.per_value.len(), 10);
        assert_eq!(
            view.per_value[0],
            ValueCount {
                rating: 0.5,
                ratings: 1
            }
        );
        assert_eq!(
            view.per_value[6],
            ValueCount {
                rating: 3.5,
                ratings: 1
            }
        );
        assert_eq!(
            view.per_value[7],
            ValueCount {
                rating: 4.0,
                ratings: 1
            }
        );
        assert!(ratings_view(&RatingSummary::default(), 30)
            .per_day
            .is_empty());
    }
}

/// "Served, then liked" by model version, list source and arm, each beside
/// its version's offline NDCG@K (`crate::impressions::online`).
#[derive(Debug, Clone, Serialize)]
pub struct OnlineView {
    /// How long after a movie was served a rating of 4 or more counts.
    pub liked_within_minutes: u64,
    pub groups: Vec<OnlineRow>,
    /// The A/B test's standing, when impressions name arms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ab: Option<AbVerdict>,
    pub timeline: TimelineView,
}

/// The figure over time, per arm (or source), beside the offline NDCG@K of
/// the newest version served in each bucket.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineView {
    pub bucket_minutes: i64,
    /// Each bucket's start, RFC 3339 (UTC).
    pub buckets: Vec<String>,
    pub series: Vec<Series>,
    pub offline_ndcg_at_k: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OnlineRow {
    #[serde(flatten)]
    pub figure: OnlineFigure,
    /// The version's NDCG@K on the retrain's holdout (`None`: not measured).
    pub offline_ndcg_at_k: Option<f64>,
}

pub fn online_view(
    figures: &OnlineFigures,
    models: &[ModelRecord],
    liked_within: std::time::Duration,
) -> OnlineView {
    let offline = |version: u64| {
        models
            .iter()
            .find(|m| m.version == version)
            .and_then(|m| m.metrics.lists.ndcg_at_k)
    };
    let timeline = &figures.timeline;
    let newest_served = |bucket: usize| {
        timeline
            .series
            .iter()
            .filter_map(|s| s.points.get(bucket).copied().flatten())
            .map(|p| p.version)
            .max()
    };
    OnlineView {
        liked_within_minutes: liked_within.as_secs() / 60,
        timeline: TimelineView {
            bucket_minutes: timeline.bucket_seconds / 60,
            buckets: timeline
                .buckets
                .iter()
                .map(|&at| {
                    Utc.timestamp_opt(at, 0)
                        .single()
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default()
                })
                .collect(),
            series: timeline.series.clone(),
            offline_ndcg_at_k: (0..timeline.buckets.len())
                .map(|bucket| newest_served(bucket).and_then(offline))
                .collect(),
        },
        groups: figures
            .groups
            .iter()
            .map(|figure| OnlineRow {
                offline_ndcg_at_k: offline(figure.version),
                figure: figure.clone(),
            })
            .collect(),
        ab: verdict(&figures.groups),
    }
}
