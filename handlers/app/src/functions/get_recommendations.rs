//! `GetRecommendations`: `GET /recommendations/{user}?n=10`.
//!
//! Where the answer comes from, in order (the response's `source` says which):
//! - `batch`: the user's list published by RecommendAllUsers (one store read);
//! - `model`: the user is in the published ranking model but asked for more
//!   items than the stored list holds, so the list is computed from the model;
//! - `fold-in`: the user has ratings but no list (rated after the last
//!   batch): their factors are solved against the ranking model's item
//!   factors now, in closed form;
//! - `popular`: the user has no ratings: the most liked movies.
//!
//! Each item carries the ranking `score` and, from the version's rating
//! model, the user's `predicted_rating` (also folded in for a new user).
//!
//! Titles and genres come from the catalogue (cached per published version).

use std::collections::{HashMap, HashSet};

use chrono::{TimeZone, Utc};
use movierec_core::topn::top_n_for_vector;
use movierec_store::{Movie, RecommendedItem};
use serde::Serialize;

use crate::http::{params, ApiError};
use crate::rating_vector::RatingVector;
use crate::state::AppState;

pub const MAX_N: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Batch,
    Model,
    FoldIn,
    Popular,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub movie_id: i32,
    pub title: Option<String>,
    pub genres: Vec<String>,
    /// The ranking model's score (the list's order; for `popular`, how many
    /// users rated the movie 4 or more).
    pub score: f32,
    /// The rating model's prediction of this user's rating, when it has one.
    pub predicted_rating: Option<f32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendations {
    pub user: i32,
    pub source: Source,
    pub model_version: u64,
    /// When the list was computed (RFC 3339).
    pub generated_at: String,
    pub items: Vec<Item>,
}

/// Parses the route's user id: a positive 32-bit integer.
pub fn parse_user(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>().ok().filter(|&u| u > 0).ok_or_else(|| {
        ApiError::bad_request(
            format!("user id {raw:?} is not a positive 32-bit integer"),
            "use e.g. /recommendations/42",
        )
    })
}

/// Parses `n` (default 10, 1..=100).
pub fn parse_n(raw: Option<&str>) -> Result<usize, ApiError> {
    params::count("n", raw, 10, MAX_N)
}

pub async fn recommend(state: &AppState, user: i32, n: usize) -> Result<Recommendations, ApiError> {
    if let Some(list) = state.store.recommendations(user).await? {
        if list.items.len() >= n {
            let items = list.items[..n].to_vec();
            return respond(
                state,
                user,
                Source::Batch,
                list.version,
                list.generated_at,
                &items,
            )
            .await;
        }
    }
    let ratings = state.store.user_ratings(user).await?;
    if ratings.is_empty() {
        return popular(state, user, n, &HashSet::new()).await;
    }
    let serving = state
        .serving_model()
        .await?
        .ok_or_else(ApiError::no_model)?;
    let model = &serving.models.ranking;
    let rated: Vec<(i32, f32)> = ratings.iter().map(|r| (r.movie, r.rating)).collect();
    let exclude: Vec<u32> = rated
        .iter()
        .filter_map(|&(m, _)| model.items.get(m))
        .collect();
    let (vector, source) = match model.users.get(user) {
        Some(u) => (model.user_factors.row(u as usize).to_vec(), Source::Model),
        None => match model
            .fold_in(&rated)
            .map_err(|e| ApiError::Internal(e.into()))?
        {
            Some(v) => (v, Source::FoldIn),
            // Rated only movies the model has never seen: the popular list, minus those.
            None => return popular(state, user, n, &rated.iter().map(|r| r.0).collect()).await,
        },
    };
    let rating = serving
        .models
        .rating
        .as_ref()
        .and_then(|r| Some((r, RatingVector::for_user(r, user, &rated)?)));
    let items: Vec<RecommendedItem> = top_n_for_vector(model, &vector, &exclude, n)
        .into_iter()
        .map(|s| {
            let movie = model.items.id(s.item);
            RecommendedItem {
                movie,
                score: s.score,
                predicted_rating: rating.as_ref().and_then(|(r, v)| v.predict(r, movie)),
            }
        })
        .collect();
    respond(
        state,
        user,
        source,
        serving.version,
        Utc::now().timestamp(),
        &items,
    )
    .await
}

/// The most liked movies of the published version, leaving out `seen`.
async fn popular(
    state: &AppState,
    user: i32,
    n: usize,
    seen: &HashSet<i32>,
) -> Result<Recommendations, ApiError> {
    let Some((version, popular)) = state.store.popular().await? else {
        return Err(ApiError::no_model());
    };
    let items: Vec<RecommendedItem> = popular
        .into_iter()
        .filter(|i| !seen.contains(&i.movie))
        .take(n)
        .collect();
    respond(
        state,
        user,
        Source::Popular,
        version,
        Utc::now().timestamp(),
        &items,
    )
    .await
}

/// A movie's title and genres from a catalogue lookup (`None` and none when it is not there).
pub fn title_and_genres(movies: &HashMap<i32, Movie>, id: i32) -> (Option<String>, Vec<String>) {
    match movies.get(&id) {
        Some(m) => (Some(m.title.clone()), m.genres.clone()),
        None => (None, Vec::new()),
    }
}

async fn respond(
    state: &AppState,
    user: i32,
    source: Source,
    model_version: u64,
    generated_at: i64,
    items: &[RecommendedItem],
) -> Result<Recommendations, ApiError> {
    let ids: Vec<i32> = items.iter().map(|i| i.movie).collect();
    let movies = state.movies(model_version, &ids).await?;
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
