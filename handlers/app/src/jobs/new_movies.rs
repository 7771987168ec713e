//! Movies rated since the serving version was trained, in the served model
//! within one publication cycle, without a retrain.
//!
//! Before RecommendAllUsers plans a publication, [`fold_in`] looks for movies
//! that users the promoted version knows have rated but the version does not
//! know. Each with at least [`MIN_MOVIE_RATINGS`] such ratings gets a vector
//! in both models by item fold-in (`AlsModel::fold_in_item`: the closed-form
//! row solve of one more item half-step against the user factors, the same
//! solve a new user's fold-in makes). The grown models are recorded as a new
//! promoted version (`folded_in` names the version and the movies; its
//! figures and evaluation fit are the source version's), which the same run
//! then publishes: the movies can be in lists, have similar movies and carry
//! reasons, and every cache keyed by version follows on its own.
//!
//! Cost: a look costs one `rating_count`, and a scan of the ratings only when
//! the count changed since the last look (remembered in a store marker as
//! `version:count`). Ratings by users the version does not know are not used
//! (they have no row to solve against). A movie nobody has rated gets no
//! vector: a prior from its genres was not built (see the README).
//!
//! Owns: finding and folding in new movies. Must not touch: planning or
//! publishing (`super::recommend_all`), or training (`super::retrain`).

use std::collections::HashMap;

use movierec_store::{ModelRecord, ModelStatus, Store, StoreError};

use super::retrain_error::RetrainError;
use crate::models::files::{evaluation_files, version_from_files};
use crate::models::metrics::{metrics_map, FoldedIn, ModelMetrics};
use crate::models::{version_to_files, LoadError, VersionModels};
use crate::state::AppState;

/// Ratings (from users the version knows) a movie needs to be folded in:
/// one or two ratings place a movie by one or two users' tastes alone.
pub const MIN_MOVIE_RATINGS: usize = 3;

/// The marker holding `version:rating count` of the last look.
const LOOKED_MARKER: &str = "new-movies:looked";

/// Whether ratings arrived since the last look at the promoted version (cheap:
/// a count and a marker). `false` when nothing is promoted.
pub async fn worth_a_look(store: &dyn Store) -> Result<bool, StoreError> {
    let Some(promoted) = store.promoted_model().await? else {
        return Ok(false);
    };
    let seen = look_key(promoted.version, store.rating_count().await?);
    Ok(store.marker(LOOKED_MARKER).await?.as_deref() != Some(seen.as_str()))
}

fn look_key(version: u64, ratings: u64) -> String {
    format!("{version}:{ratings}")
}

/// Folds movies rated since the promoted version into a new promoted version
/// (see the module doc); returns it, or `None` when there was nothing to fold
/// in. Runs under the job lease.
pub async fn fold_in(state: &AppState) -> Result<Option<u64>, RetrainError> {
    let store = state.store.as_ref();
    let reading = RetrainError::store("reading the promoted version");
    let Some(promoted) = store.promoted_model().await.map_err(reading)? else {
        return Ok(None);
    };
    let counting = RetrainError::store("counting the ratings");
    let count = store.rating_count().await.map_err(counting)?;
    let loading = RetrainError::store("reading the promoted version's files");
    let files = store.model_files(promoted.version).await.map_err(loading)?;
    let kept_evaluation = evaluation_files(&files);
    let models = tokio::task::spawn_blocking(move || version_from_files(files))
        .await
        .map_err(RetrainError::panicked("loading the promoted version"))?
        .map_err(|source| LoadError::Files {
            version: promoted.version,
            source,
        })?;
    let mut unknown: HashMap<i32, Vec<(i32, f32)>> = HashMap::new();
    store
        .each_rating_page(&mut |page| {
            for r in page {
                if models.ranking.items.get(r.movie).is_none()
                    && models.ranking.users.get(r.user).is_some()
                {
                    unknown.entry(r.movie).or_default().push((r.user, r.rating));
                }
            }
        })
        .await
        .map_err(RetrainError::store(
            "looking for movies rated since the version was trained",
        ))?;
    unknown.retain(|_, ratings| ratings.len() >= MIN_MOVIE_RATINGS);
    let grown = if unknown.is_empty() {
        None
    } else {
        tokio::task::spawn_blocking(move || grow(&models, &unknown))
            .await
            .map_err(RetrainError::panicked("folding in new movies"))??
    };
    let Some((grown, movies)) = grown else {
        store
            .set_marker(LOOKED_MARKER, Some(&look_key(promoted.version, count)))
            .await
            .map_err(RetrainError::store("marking the version as looked at"))?;
        return Ok(None);
    };
    let parent = promoted.version;
    let metrics = ModelMetrics {
        folded_in: Some(FoldedIn {
            from_version: parent,
            movies: movies.clone(),
        }),
        ..promoted.metrics.clone()
    };
    let extras = movierec_core::model_files::ModelExtras {
        metrics: metrics_map(&metrics),
        ..Default::default()
    };
    let mut new_files = version_to_files(&grown, &extras).map_err(RetrainError::Files)?;
    new_files.extend(kept_evaluation);
    let numbering = RetrainError::store("numbering the version");
    let version = store.next_model_version().await.map_err(numbering)?;
    let shown: Vec<String> = movies.iter().take(10).map(i32::to_string).collect();
    let more = if movies.len() > 10 { ", ..." } else { "" };
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status: ModelStatus::Promoted,
        decision: format!(
            "version {parent} with {} movies rated since it was trained folded in ({}{more}); its figures are version {parent}'s",
            movies.len(),
            shown.join(", ")
        ),
        params: promoted.params.clone(),
        metrics,
    };
    store
        .record_model(&record, &new_files)
        .await
        .map_err(RetrainError::store("recording the version with new movies"))?;
    store
        .set_marker(LOOKED_MARKER, Some(&look_key(version, count)))
        .await
        .map_err(RetrainError::store("marking the version as looked at"))?;
    tracing::info!(
        version,
        from = parent,
        movies = movies.len(),
        "folded in new movies"
    );
    Ok(Some(version))
}

/// Both models with the movies of `ratings` folded in, and those movies
/// (sorted); `None` when none could be (no rating by a known user).
fn grow(
    models: &VersionModels,
    ratings: &HashMap<i32, Vec<(i32, f32)>>,
) -> Result<Option<(VersionModels, Vec<i32>)>, RetrainError> {
    let mut movies: Vec<i32> = ratings.keys().copied().collect();
    movies.sort_unstable();
    let (mut ranking, mut rating) = (Vec::new(), Vec::new());
    for &movie in &movies {
        let its = &ratings[&movie];
        let folded = |model: &movierec_core::model::AlsModel| {
            model
                .fold_in_item(its)
                .map_err(|source| RetrainError::FoldIn { movie, source })
        };
        let Some(vector) = folded(&models.ranking)? else {
            continue;
        };
        ranking.push((movie, vector));
        if let Some(model) = &models.rating {
            if let Some(vector) = folded(model)? {
                rating.push((movie, vector));
            }
        }
    }
    if ranking.is_empty() {
        return Ok(None);
    }
    let movies = ranking.iter().map(|(m, _)| *m).collect();
    Ok(Some((
        VersionModels {
            ranking: models.ranking.with_items(&ranking),
            rating: models.rating.as_ref().map(|m| m.with_items(&rating)),
        },
        movies,
    )))
}
