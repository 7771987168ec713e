//! RecommendAllUsers' job: when a promoted version has not been published yet,
//! write every user's top-N (rated movies left out) under that version, plus
//! the popular list for users with no ratings, then publish: readers switch to
//! the new lists at once, and only when all of them are written. The ranking
//! model orders the lists; the rating model adds each item's predicted rating.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use movierec_core::data::RatingMatrix;
use movierec_core::topn::recommend_all;
use movierec_core::NoProgress;
use movierec_store::{RatingRecord, RecommendedItem, UserRecommendations};
use serde::Serialize;

use super::evaluation::RELEVANT;
use super::{with_lease, JobOutcome, Skip};
use crate::models::{load_model_version, RatingVector};
use crate::serving::ServingModel;
use crate::state::AppState;

/// Users written to the store per call.
const WRITE_BATCH: usize = 2_000;
/// Length of the popular list kept for users with no ratings.
pub const POPULAR_LEN: usize = 100;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecommendReport {
    pub version: u64,
    pub users: usize,
    pub top_n: usize,
    pub seconds: f64,
}

impl std::fmt::Display for RecommendReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "published top-{} for {} users under model version {} in {:.2} s",
            self.top_n, self.users, self.version, self.seconds
        )
    }
}

impl super::Report for RecommendReport {
    const JOB: &'static str = "recommend-for-all";
}

pub async fn run(state: &AppState) -> anyhow::Result<JobOutcome<RecommendReport>> {
    with_lease(state, "recommend-all", recommend).await
}

async fn recommend(state: AppState) -> anyhow::Result<JobOutcome<RecommendReport>> {
    let started = std::time::Instant::now();
    let Some(promoted) = state.store.promoted_model().await? else {
        return Ok(JobOutcome::Skipped {
            reason: Skip::NothingPromoted,
        });
    };
    let version = promoted.version;
    if state.store.serving_version().await? == Some(version) {
        return Ok(JobOutcome::Skipped {
            reason: Skip::AlreadyPublished(version),
        });
    }
    let models = load_model_version(state.store.as_ref(), version).await?;
    let ratings = state.store.all_ratings().await.context("reading ratings")?;
    let top_n = state.settings.top_n;
    let generated_at = chrono::Utc::now().timestamp();

    let (models, lists, popular) = tokio::task::spawn_blocking(move || {
        let model = &models.ranking;
        let seen = RatingMatrix::seen_under(
            ratings.iter().map(|r| (r.user, r.movie)),
            &model.users,
            &model.items,
        );
        let mut popular = popular_movies(&ratings, POPULAR_LEN);
        if let Some(rating) = &models.rating {
            if let Some(anyone) = RatingVector::for_nobody(rating) {
                for item in &mut popular {
                    item.predicted_rating = anyone.predict(rating, item.movie);
                }
            }
        }
        let mut lists = Vec::with_capacity(model.users.len());
        recommend_all(model, &seen, top_n, &NoProgress, |batch| {
            lists.extend(batch.into_iter().map(|l| {
                let user = model.users.id(l.user);
                let rating_vector = models
                    .rating
                    .as_ref()
                    .and_then(|r| Some((r, RatingVector::for_trained(r, user)?)));
                UserRecommendations {
                    user,
                    version,
                    generated_at,
                    items: l
                        .items
                        .iter()
                        .map(|s| {
                            let movie = model.items.id(s.item);
                            RecommendedItem {
                                movie,
                                score: s.score,
                                predicted_rating: rating_vector
                                    .as_ref()
                                    .and_then(|(r, v)| v.predict(r, movie)),
                            }
                        })
                        .collect(),
                }
            }))
        });
        (models, lists, popular)
    })
    .await?;

    for chunk in lists.chunks(WRITE_BATCH) {
        state
            .store
            .write_recommendations(version, chunk)
            .await
            .context("writing recommendations")?;
    }
    state.store.write_popular(version, &popular).await?;
    state
        .store
        .publish_recommendations(version)
        .await
        .context("publishing recommendations")?;
    state
        .serving
        .install(Arc::new(ServingModel { version, models }));
    let report = RecommendReport {
        version,
        users: lists.len(),
        top_n,
        seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(?report, "published recommendations");
    Ok(JobOutcome::Done(report))
}

/// The movies most often rated 4 or more, most first (ties: lower id first);
/// the score is that count. What a user with no ratings is shown.
pub fn popular_movies(ratings: &[RatingRecord], n: usize) -> Vec<RecommendedItem> {
    let mut liked: HashMap<i32, u32> = HashMap::new();
    for r in ratings.iter().filter(|r| r.rating >= RELEVANT) {
        *liked.entry(r.movie).or_default() += 1;
    }
    let mut ranked: Vec<(i32, u32)> = liked.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(movie, count)| RecommendedItem {
            movie,
            score: count as f32,
            predicted_rating: None,
        })
        .collect()
}
