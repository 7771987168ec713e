//! # serving: the one path a GET of recommendations takes
//!
//! `GET /recommendations/{user}?n=` arrives here from `crate::http` as a user
//! id and a length, already parsed by [`query`], and [`Serving::recommend`]
//! decides where the list comes from (the answer's `source` says which):
//! - `batch`: the user's list published by RecommendAllUsers (one store read);
//! - `model`: the user is in the published ranking model but asked for more
//!   items than the stored list holds, so the list is computed from the model;
//! - `fold-in`: the user has ratings but no list (rated after the last
//!   batch): their factors are solved against the ranking model's item
//!   factors now, in closed form ([`personal`]);
//! - `popular`: the user has no ratings: the most liked movies.
//!
//! Each item carries the ranking `score` and, from the version's rating
//! model, the user's `predicted_rating` (also folded in for a new user).
//! Titles and genres come from the catalogue ([`catalogue`], cached per
//! published version); the published version's models are held in
//! [`model_slot`] and swapped whole, loaded once however many requests ask.
//!
//! Owns: the model swap, the catalogue cache, the row-or-fold-in-or-popular
//! decision, and [`ServeError`]. Must not touch: HTTP (statuses, headers are
//! `crate::http`'s), and it never writes to the store.

pub mod catalogue;
mod error;
pub mod model_slot;
pub mod personal;
pub mod query;
mod response;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use movierec_store::{Movie, RecommendedItem, Store, StoreError};

pub use catalogue::title_and_genres;
pub use error::ServeError;
pub use model_slot::ServingModel;
pub use personal::{personal_list, PersonalList};
pub use query::QueryError;
pub use response::{Item, Recommendations, Source};

use crate::models::RatingVector;
use catalogue::CatalogueCache;
use model_slot::ModelSlot;

/// The handle every GET shares: the store (read only here), the serving
/// model and the catalogue cache. Cloning it is cheap.
#[derive(Clone)]
pub struct Serving {
    store: Arc<dyn Store>,
    model: Arc<ModelSlot>,
    catalogue: Arc<CatalogueCache>,
}

impl Serving {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Serving {
            store,
            model: Default::default(),
            catalogue: Default::default(),
        }
    }

    /// The model of the published version (see [`model_slot`]).
    pub async fn model(&self) -> Result<Option<Arc<ServingModel>>, ServeError> {
        self.model.current(self.store.as_ref()).await
    }

    /// Installs a model this instance just published, sparing a reload.
    pub fn install(&self, model: Arc<ServingModel>) {
        self.model.install(model)
    }

    /// How many times this instance has loaded a model version from the store.
    pub fn model_loads(&self) -> u64 {
        self.model.loads()
    }

    /// The catalogue entries of `ids`, cached for published `version`.
    pub async fn movies(
        &self,
        version: u64,
        ids: &[i32],
    ) -> Result<HashMap<i32, Movie>, StoreError> {
        self.catalogue
            .movies(self.store.as_ref(), version, ids)
            .await
    }

    /// `user`'s top `n` (see the module doc for where it comes from).
    pub async fn recommend(&self, user: i32, n: usize) -> Result<Recommendations, ServeError> {
        if let Some(list) = self.store.recommendations(user).await? {
            if list.items.len() >= n {
                let items = &list.items[..n];
                return self
                    .answer(user, Source::Batch, list.version, list.generated_at, items)
                    .await;
            }
        }
        let ratings = self.store.user_ratings(user).await?;
        if ratings.is_empty() {
            return self.popular(user, n, &HashSet::new()).await;
        }
        let serving = self.model().await?.ok_or(ServeError::NoModel)?;
        let ranking = &serving.models.ranking;
        let rated: Vec<(i32, f32)> = ratings.iter().map(|r| (r.movie, r.rating)).collect();
        let Some(list) =
            personal_list(ranking, user, &rated, n).map_err(|e| ServeError::Model(e.into()))?
        else {
            // Rated only movies the model has never seen: the popular list, minus those.
            let seen = rated.iter().map(|r| r.0).collect();
            return self.popular(user, n, &seen).await;
        };
        let rating = serving
            .models
            .rating
            .as_ref()
            .and_then(|r| Some((r, RatingVector::for_user(r, user, &rated)?)));
        let items: Vec<RecommendedItem> = list
            .items
            .into_iter()
            .map(|s| {
                let movie = ranking.items.id(s.item);
                RecommendedItem {
                    movie,
                    score: s.score,
                    predicted_rating: rating.as_ref().and_then(|(r, v)| v.predict(r, movie)),
                }
            })
            .collect();
        let now = Utc::now().timestamp();
        self.answer(user, list.source, serving.version, now, &items)
            .await
    }

    /// The most liked movies of the published version, leaving out `seen`.
    async fn popular(
        &self,
        user: i32,
        n: usize,
        seen: &HashSet<i32>,
    ) -> Result<Recommendations, ServeError> {
        let Some((version, popular)) = self.store.popular().await? else {
            return Err(ServeError::NoModel);
        };
        let items: Vec<RecommendedItem> = popular
            .into_iter()
            .filter(|i| !seen.contains(&i.movie))
            .take(n)
            .collect();
        let now = Utc::now().timestamp();
        self.answer(user, Source::Popular, version, now, &items)
            .await
    }

    /// The answer for `items`, with titles and genres.
    async fn answer(
        &self,
        user: i32,
        source: Source,
        model_version: u64,
        generated_at: i64,
        items: &[RecommendedItem],
    ) -> Result<Recommendations, ServeError> {
        let ids: Vec<i32> = items.iter().map(|i| i.movie).collect();
        let movies = self.movies(model_version, &ids).await?;
        let items = items
            .iter()
            .map(|i| {
                let (title, genres) = title_and_genres(&movies, i.movie);
                Item {
                    movie_id: i.movie,
                    title,
                    genres,
                    score: i.score,
                    predicted_rating: i.predicted_rating,
                }
            })
            .collect();
        let generated_at = Utc
            .timestamp_opt(generated_at, 0)
            .single()
            .unwrap_or_else(Utc::now)
            .to_rfc3339();
        Ok(Recommendations {
            user,
            source,
            model_version,
            generated_at,
            items,
        })
    }
}
