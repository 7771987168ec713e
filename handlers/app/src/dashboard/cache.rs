//! Store-wide figures kept between dashboard requests.
//!
//! Counting ratings, users and dead letters is a full scan on Cosmos DB
//! (about 1 RU per 100 documents), so the figures (and the registry, which
//! changes only when a model is trained) are read at most once per
//! `MOVIEREC_DASHBOARD_CACHE_SECONDS` and shared by every request; the
//! published lists change only when a new version is published, so they are
//! counted and ranked once per serving version. The online figures (every
//! kept impression, and the ratings of each user in them) are read with the
//! store-wide figures, as often. One request at a time refreshes,
//! the others wait for its result instead of scanning too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use movierec_store::{ModelRecord, Movie, RatingSummary, Store, StoreError, UserRecommendations};
use tokio::sync::Mutex;

use super::sample_users::{sample_users, SampleUser};
use crate::impressions::{online, OnlineFigures};
use crate::serving::Serving;
use crate::snapshot::Snapshots;

/// Ratings, catalogue, dead-letter and registry figures, read together.
#[derive(Debug)]
pub struct StoreFigures {
    pub summary: RatingSummary,
    pub movies: u64,
    pub dead_letters: u64,
    /// Every model version, newest first.
    pub models: Vec<ModelRecord>,
    /// The users the picker offers, chosen from `summary` once per read.
    pub sample_users: Vec<SampleUser>,
    /// "Served, then liked" of every kept impression, by version, source and arm.
    pub online: OnlineFigures,
    /// When they were read (RFC 3339).
    pub computed_at: String,
    read_at: Instant,
}

/// What the published lists of one version recommend, ranked once per version.
#[derive(Debug, Default, PartialEq)]
pub struct ListTallies {
    pub version: Option<u64>,
    /// Users with a list.
    pub users: usize,
    /// Movie id and the number of lists holding it, most lists first (ties by id).
    pub top_movies: Vec<(i32, u64)>,
    /// Genre and the number of recommended items of it, most first (ties by name).
    pub top_genres: Vec<(String, u64)>,
}

impl ListTallies {
    /// Counts `lists`; `movies` is the catalogue entry of each movie in them.
    pub fn count(
        version: Option<u64>,
        lists: &[UserRecommendations],
        movies: &HashMap<i32, Movie>,
    ) -> Self {
        let mut in_lists: HashMap<i32, u64> = HashMap::new();
        for item in lists.iter().flat_map(|l| &l.items) {
            *in_lists.entry(item.movie).or_default() += 1;
        }
        let mut genres: HashMap<&str, u64> = HashMap::new();
        for (movie, count) in &in_lists {
            for genre in movies.get(movie).map_or(&[][..], |m| &m.genres) {
                *genres.entry(genre.as_str()).or_default() += count;
            }
        }
        let mut top_genres: Vec<(String, u64)> = genres
            .into_iter()
            .map(|(genre, items)| (genre.to_string(), items))
            .collect();
        top_genres.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut top_movies: Vec<(i32, u64)> = in_lists.into_iter().collect();
        top_movies.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ListTallies {
            version,
            users: lists.len(),
            top_movies,
            top_genres,
        }
    }
}

pub struct DashboardCache {
    ttl: Duration,
    /// MOVIEREC_LIKED_WITHIN_MINUTES, for the online figures.
    liked_within: Duration,
    figures: Mutex<Option<Arc<StoreFigures>>>,
    /// Keyed by the serving version they were asked for.
    tallies: Snapshots<Option<u64>, ListTallies>,
}

impl DashboardCache {
    pub fn new(ttl: Duration, liked_within: Duration) -> Self {
        DashboardCache {
            ttl,
            liked_within,
            figures: Mutex::new(None),
            tallies: Snapshots::new(1),
        }
    }

    /// MOVIEREC_LIKED_WITHIN_MINUTES, which the online figures are read with.
    pub fn liked_within(&self) -> Duration {
        self.liked_within
    }

    /// The store's figures, read again when older than the time to live.
    pub async fn figures(&self, store: &dyn Store) -> Result<Arc<StoreFigures>, StoreError> {
        let mut held = self.figures.lock().await;
        if let Some(figures) = held.as_ref().filter(|f| f.read_at.elapsed() < self.ttl) {
            return Ok(figures.clone());
        }
        let started = Instant::now();
        let (summary, movies, dead_letters, models, online) = tokio::try_join!(
            store.rating_summary(),
            store.movie_count(),
            store.dead_letter_count(),
            store.models(),
            online::read_figures(store, self.liked_within)
        )?;
        tracing::info!(
            ratings = summary.ratings,
            ms = started.elapsed().as_millis() as u64,
            "read the dashboard's figures"
        );
        let figures = Arc::new(StoreFigures {
            sample_users: sample_users(&summary),
            summary,
            movies,
            dead_letters,
            models,
            online,
            computed_at: chrono::Utc::now().to_rfc3339(),
            read_at: Instant::now(),
        });
        *held = Some(figures.clone());
        Ok(figures)
    }

    /// The tallies of the lists published under `serving`, read once per version.
    pub async fn tallies(
        &self,
        store: &dyn Store,
        lookup: &Serving,
        serving: Option<u64>,
    ) -> Result<Arc<ListTallies>, StoreError> {
        self.tallies
            .get_or_load(serving, || async move {
                let lists = store.published_recommendations().await?;
                let version = lists.first().map(|l| l.version).or(serving);
                let mut ids: Vec<i32> = lists
                    .iter()
                    .flat_map(|l| l.items.iter().map(|i| i.movie))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let movies = lookup.movies(&ids).await?;
                Ok(ListTallies::count(version, &lists, &movies))
            })
            .await
    }

    /// Reads both ahead of the first request (a first scan on Cosmos DB takes seconds).
    pub async fn warm(&self, store: &dyn Store, lookup: &Serving) {
        let serving = match store.serving_version().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "could not prepare the dashboard");
                return;
            }
        };
        if let Err(e) = tokio::try_join!(self.figures(store), self.tallies(store, lookup, serving))
        {
            tracing::warn!(error = %e, "could not prepare the dashboard");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use movierec_store::RecommendedItem;

    fn list(user: i32, movies: &[i32]) -> UserRecommendations {
        UserRecommendations {
            user,
            version: 3,
            generated_at: 0,
            items: movies
                .iter()
                .map(|&movie| RecommendedItem {
                    movie,
                    score: 1.0,
                    predicted_rating: None,
                    because: None,
                })
                .collect(),
            rating_mark: None,
        }
    }

    fn movie(id: i32, genres: &[&str]) -> (i32, Movie) {
        let genres = genres.iter().map(|g| g.to_string()).collect();
        (
            id,
            Movie {
                id,
                title: format!("m{id}"),
                genres,
                hidden: false,
            },
        )
    }

    #[test]
    fn tallies_rank_movies_by_lists_and_genres_by_items() {
        let lists = [list(1, &[10, 20]), list(2, &[20, 30]), list(3, &[20, 10])];
        let movies: HashMap<i32, Movie> = [
            movie(10, &["Drama"]),
            movie(20, &["Comedy", "Drama"]),
            // 30 is not in the catalogue: counted as a movie, no genre
        ]
        .into_iter()
        .collect();
        let tallies = ListTallies::count(Some(3), &lists, &movies);
        assert_eq!(tallies.users, 3);
        assert_eq!(tallies.top_movies, vec![(20, 3), (10, 2), (30, 1)]);
        assert_eq!(
            tallies.top_genres,
            vec![("Drama".to_string(), 5), ("Comedy".to_string(), 3)]
        );
    }
}
