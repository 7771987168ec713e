//! # serving: the one path a GET of recommendations takes
//!
//! `GET /recommendations/{user}?n=&offset=&genre=&exclude=` arrives here from
//! `crate::http` as a user id and a [`ListRequest`] (parsed by [`filters`] and
//! [`query`]), and [`Serving::recommend`] decides where the page comes from
//! (the answer's `source` says which):
//! - `batch`: the user's list published by RecommendAllUsers is current (they
//!   stored no rating since it was made) and holds the page once the filters
//!   are applied (one store read: list, rating mark and catalogue revision);
//! - `model`: it is current but does not hold the page (a page or a filter
//!   past its length), so the user's ratings are read and the list is
//!   computed from their model row, with the filters as a mask ([`personal`]);
//! - `fold-in`: the user rated since their list was made, or has no list
//!   (new since the last batch): their ratings are read and their factors
//!   solved against the ranking model's item factors now, in closed form
//!   ([`personal`]), so the list leaves out what they just rated and follows
//!   what they just liked;
//! - `popular`: the user has no ratings, or only of movies the model does not
//!   know (those left out): the most liked movies.
//!
//! With an A/B test (MOVIEREC_AB_TEST), the user's arm ([`ab`]: a stable hash
//! of the user) decides first: `model` takes the path above, `popular` the
//! most-popular list (their rated movies left out), `vN` the path above with
//! model version N in place of the published one, from the user's current
//! ratings and never from a published list; an arm with parameters of its own
//! the same with the version its marker names (`crate::models::arms`, one
//! more store read; until a retrain trains it, the published path, in no arm);
//! the answer names its `arm`.
//!
//! ## Freshness: why a rating mark, and what it costs
//! Every ingest that stores a rating of a user gives them a new *rating
//! mark* (`RatingStore::rating_marks`), and RecommendAllUsers stores with
//! each list the mark it read before the ratings the list leaves out. A GET
//! reads the list and the user's current mark together
//! (`RecommendationStore::user_view`); if they differ, the user rated since,
//! on this instance or any other, and the list is not used: they are folded in
//! from their current ratings. Marks are compared for equality only, so no
//! clock is trusted across instances, and the store keeps them, so every
//! instance on one store sees the same. Folded-in lists are not written back
//! (serving never writes): what a fold-in works out is kept per instance under
//! the version and the mark ([`fold_ins`]) until the next publication makes a
//! list with the new mark.
//! - SQLite: a GET is one statement (list, mark, catalogue revision); an
//!   ingest writes one more row per user it stored a rating of, in the
//!   transaction that concurrent batches share (group commit).
//! - Cosmos DB: a GET is one point read of the user's document, which holds
//!   their lists and their mark (about 2 RU for 5 to 8 KB); an ingest patches
//!   `/mark` once per user in the batch, after the ratings' own writes.
//! - A user who rated since: on an instance's first GET after each rating,
//!   one more read (their ratings; a single-partition query on Cosmos DB) and
//!   two fold-ins (ranking and rating models); later GETs reuse them.
//!
//! Every path asks one [`Filter`] whether a movie may be shown, so a hidden
//! movie (the [`catalogue`] snapshot, swapped when the store's catalogue
//! revision moves) is never in any answer. Each item carries the ranking
//! `score`, the user's `predicted_rating` from the version's rating model
//! (also folded in for a new user) and `because` (stored with a published
//! list, found from the ratings otherwise: `crate::models::reasons`).
//! [`Serving::similar`] answers `GET /movies/{id}/similar` from the ranking
//! model's unit item vectors (each movie's neighbours worked out once per
//! version, [`ServingModel::neighbours`]). The published version's models are
//! held in [`model_slot`] and swapped whole, loaded once however many
//! requests ask.
//!
//! Owns: the model swap, the catalogue snapshot, the filters, the
//! row-or-fold-in-or-popular decision, the A/B arms, the kept fold-ins, and [`ServeError`]. Must not touch:
//! HTTP (statuses, headers are `crate::http`'s), and it never writes to the
//! store.

pub mod ab;
pub mod catalogue;
mod error;
pub mod filters;
mod fold_ins;
pub mod model_slot;
pub mod personal;
pub mod query;
mod response;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use movierec_core::topn::Scored;
use movierec_store::{Movie, RecommendedItem, Store, StoreError};
use tracing::Instrument;

pub use catalogue::{title_and_genres, Catalogue};
pub use error::ServeError;
pub use filters::{Filter, ListRequest};
pub use model_slot::ServingModel;
pub use personal::{personal_list, ranked_list, user_vector, PersonalList, UserRow};
pub use query::QueryError;
pub use response::{Because, Item, JsonText, Recommendations, SimilarItem, SimilarMovies, Source};

use crate::models::arms::arm_version;
use crate::models::{LoadError, RatingVector, Reasons};
use crate::settings::{AbTest, ArmKind};
use crate::snapshot::SnapshotCount;
use crate::telemetry::traces::store_call;
use catalogue::CatalogueCache;
use fold_ins::{FoldIn, FoldIns};
use model_slot::ModelSlot;

/// The handle every GET shares: the store (read only here), the serving
/// model and the catalogue cache. Cloning it is cheap.
#[derive(Clone)]
pub struct Serving {
    store: Arc<dyn Store>,
    model: Arc<ModelSlot>,
    catalogue: Arc<CatalogueCache>,
    fold_ins: Arc<FoldIns>,
    /// The A/B test of what GETs serve, if one runs.
    ab: Option<Arc<AbTest>>,
}

impl Serving {
    pub fn new(store: Arc<dyn Store>, ab: Option<AbTest>) -> Self {
        let arm_versions = ab.as_ref().map_or(0, |test| {
            test.arms
                .iter()
                .filter(|arm| matches!(arm.kind, ArmKind::Version(_) | ArmKind::Params(_)))
                .count()
        });
        Serving {
            store,
            model: Arc::new(ModelSlot::holding_more(arm_versions)),
            catalogue: Default::default(),
            fold_ins: Default::default(),
            ab: ab.map(Arc::new),
        }
    }

    /// The model of the published version (see [`model_slot`]).
    pub async fn model(&self) -> Result<Option<Arc<ServingModel>>, ServeError> {
        self.model.current(self.store.as_ref()).await
    }

    /// `version`'s models, held or loaded once for this instance: the shards
    /// publishing it read them here, so the switch finds them held.
    pub async fn model_version(&self, version: u64) -> Result<Arc<ServingModel>, LoadError> {
        self.model.version(self.store.as_ref(), version).await
    }

    /// How many times this instance has loaded a model version from the store.
    pub fn model_loads(&self) -> u64 {
        self.model.loads()
    }

    /// The published version, which this instance serves (`GET /metrics`).
    pub async fn serving_version(&self) -> Result<Option<u64>, StoreError> {
        self.store.serving_version().await
    }

    /// The snapshot caches' hits and loads so far (`GET /metrics`).
    pub fn snapshot_counts(&self) -> Vec<SnapshotCount> {
        vec![self.model.count(), self.catalogue.count()]
    }

    /// The catalogue at the store's current revision (see [`catalogue`]).
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>, StoreError> {
        self.catalogue.current(self.store.as_ref()).await
    }

    /// The catalogue entries of `ids` that it has.
    pub async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Movie>, StoreError> {
        Ok(self.catalogue().await?.entries(ids))
    }

    /// `user`'s page of recommendations (see the module doc for where it
    /// comes from). The stored list, the user's rating mark and the
    /// catalogue's revision are one read; the user's ratings are read only
    /// when the list does not answer.
    pub async fn recommend(
        &self,
        user: i32,
        request: &ListRequest,
    ) -> Result<Recommendations, ServeError> {
        let mut arm = self.ab.as_ref().map(|test| ab::arm_of(test, user));
        let mut answer = match arm.map(|arm| &arm.kind) {
            None | Some(ArmKind::Model) => self.list_for(user, request, None).await?,
            Some(ArmKind::Popular) => self.popular_for(user, request).await?,
            Some(ArmKind::Version(version)) => self.list_for(user, request, Some(*version)).await?,
            Some(ArmKind::Params(_)) => {
                let name = arm.map_or("", |arm| arm.name.as_str());
                let store = self.store.as_ref();
                match arm_version(store, name)
                    .instrument(store_call("arm_version"))
                    .await?
                {
                    Some(version) => self.list_for(user, request, Some(version)).await?,
                    None => {
                        // No retrain has trained the arm yet: the user gets
                        // the published path and is counted in no arm.
                        arm = None;
                        self.list_for(user, request, None).await?
                    }
                }
            }
        };
        answer.arm = arm.map(|arm| arm.name.clone());
        Ok(answer)
    }

    /// The list: the published one while it answers, else worked out from
    /// the published model, or from version `of_version` (an A/B arm's,
    /// never a published list, always from the user's current ratings).
    async fn list_for(
        &self,
        user: i32,
        request: &ListRequest,
        of_version: Option<u64>,
    ) -> Result<Recommendations, ServeError> {
        let store = self.store.as_ref();
        let mut view = store
            .user_view(user)
            .instrument(store_call("user_view"))
            .await?;
        let revision = view.catalogue_revision.take();
        let catalogue = self.catalogue.at(revision, store).await?;
        let filter = Filter::new(request, &catalogue)?;
        let page = request.offset..request.end();
        let row = if view.rated_since_list() || of_version.is_some() {
            UserRow::Current
        } else {
            UserRow::Trained
        };
        let mark = view.rating_mark;
        if let Some(list) = view.current_list().filter(|_| of_version.is_none()) {
            let kept: Vec<RecommendedItem> = list
                .items
                .into_iter()
                .filter(|i| filter.keeps(i.movie))
                .take(page.end)
                .collect();
            if kept.len() >= page.end {
                let answer = Answer {
                    user,
                    source: Source::Batch,
                    model_version: list.version,
                    generated_at: list.generated_at,
                };
                return Ok(answer.with(&kept[page], &catalogue));
            }
        }
        let serving = match of_version {
            None => self.model().await?.ok_or(ServeError::NoModel)?,
            Some(version) => self.model_version(version).await.map_err(|e| match e {
                LoadError::Store(store) => ServeError::Store(store),
                other => ServeError::Model(other),
            })?,
        };
        let kept = mark.and_then(|mark| self.fold_ins.get(user, serving.version, mark));
        let fold_in = match kept {
            Some(kept) => kept,
            None => {
                let worked_out = self.work_out(user, row, &serving).await?;
                if let Some(mark) = mark {
                    self.fold_ins
                        .keep(user, serving.version, mark, worked_out.clone());
                }
                worked_out
            }
        };
        let ratings = &fold_in.ratings;
        let Some((vector, source)) = &fold_in.ranking else {
            // No ratings, or only of movies the model has never seen: the
            // popular list, minus those.
            let seen = ratings.iter().map(|r| r.movie).collect();
            return self
                .popular(user, request, &filter, &seen, &catalogue)
                .await;
        };
        let ranking = &serving.models.ranking;
        let keeps = |m: i32| filter.keeps(m);
        let top = first_kept(&fold_in.ranked, fold_ins::RANKED_KEPT, page.end, |i| {
            keeps(ranking.items.id(i))
        })
        .unwrap_or_else(|| {
            // The filter left too few of the kept ones: score every movie.
            let rated: Vec<(i32, f32)> = ratings.iter().map(|r| (r.movie, r.rating)).collect();
            ranked_list(ranking, vector, *source, &rated, page.end, keeps).items
        });
        let rating = serving.models.rating.as_ref().zip(fold_in.rating.as_ref());
        let reasons = Reasons::new(ranking, &serving.item_vectors, ratings, |m| {
            catalogue.is_hidden(m)
        });
        let items: Vec<RecommendedItem> = top
            .into_iter()
            .skip(page.start)
            .map(|s| {
                let movie = ranking.items.id(s.item);
                RecommendedItem {
                    movie,
                    score: s.score,
                    predicted_rating: rating.as_ref().and_then(|(r, v)| v.predict(r, movie)),
                    because: reasons.because(movie),
                }
            })
            .collect();
        let answer = Answer {
            user,
            source: *source,
            model_version: serving.version,
            generated_at: Utc::now().timestamp(),
        };
        Ok(answer.with(&items, &catalogue))
    }

    /// Reads `user`'s ratings and works out their vectors under `serving`
    /// (see [`fold_ins`]).
    async fn work_out(
        &self,
        user: i32,
        row: UserRow,
        serving: &ServingModel,
    ) -> Result<Arc<FoldIn>, ServeError> {
        let ratings = self
            .store
            .user_ratings(user)
            .instrument(store_call("user_ratings"))
            .await?;
        let rated: Vec<(i32, f32)> = ratings.iter().map(|r| (r.movie, r.rating)).collect();
        let model = &serving.models.ranking;
        let ranking = user_vector(model, user, &rated, row).map_err(ServeError::FoldIn)?;
        let ranked = match &ranking {
            Some((vector, source)) => {
                ranked_list(
                    model,
                    vector,
                    *source,
                    &rated,
                    fold_ins::RANKED_KEPT,
                    |_| true,
                )
                .items
            }
            None => Vec::new(),
        };
        let rating = serving.models.rating.as_ref().and_then(|r| match row {
            UserRow::Trained => RatingVector::for_user(r, user, &rated),
            UserRow::Current => RatingVector::folded_in(r, &rated),
        });
        Ok(Arc::new(FoldIn {
            ratings,
            ranking,
            ranked,
            rating,
        }))
    }

    /// The most-popular list for `user` (an A/B arm's): their rated movies
    /// and what the request filters out left out.
    async fn popular_for(
        &self,
        user: i32,
        request: &ListRequest,
    ) -> Result<Recommendations, ServeError> {
        let ratings = self
            .store
            .user_ratings(user)
            .instrument(store_call("user_ratings"));
        let (catalogue, ratings) = tokio::join!(self.catalogue(), ratings);
        let (catalogue, ratings) = (catalogue?, ratings?);
        let filter = Filter::new(request, &catalogue)?;
        let seen = ratings.iter().map(|r| r.movie).collect();
        self.popular(user, request, &filter, &seen, &catalogue)
            .await
    }

    /// The most liked movies of the published version that `filter` keeps,
    /// leaving out `seen`, paged as `request` asks.
    async fn popular(
        &self,
        user: i32,
        request: &ListRequest,
        filter: &Filter<'_>,
        seen: &HashSet<i32>,
        catalogue: &Catalogue,
    ) -> Result<Recommendations, ServeError> {
        let Some((version, popular)) = self
            .store
            .popular()
            .instrument(store_call("popular"))
            .await?
        else {
            return Err(ServeError::NoModel);
        };
        let items: Vec<RecommendedItem> = popular
            .into_iter()
            .filter(|i| !seen.contains(&i.movie) && filter.keeps(i.movie))
            .skip(request.offset)
            .take(request.n)
            .collect();
        let answer = Answer {
            user,
            source: Source::Popular,
            model_version: version,
            generated_at: Utc::now().timestamp(),
        };
        Ok(answer.with(&items, catalogue))
    }

    /// The `n` movies most like `movie` in the published ranking model, none
    /// of them hidden.
    pub async fn similar(&self, movie: i32, n: usize) -> Result<SimilarMovies, ServeError> {
        let (catalogue, model) = tokio::join!(self.catalogue(), self.model());
        let (catalogue, serving) = (catalogue?, model?.ok_or(ServeError::NoModel)?);
        let items = &serving.models.ranking.items;
        let index = items.get(movie).ok_or(ServeError::UnknownMovie(movie))?;
        let none = HashSet::new();
        let filter = Filter::hidden_only(&catalogue, &none);
        let neighbours = serving.neighbours(index);
        let keeps = |i: u32| filter.keeps(items.id(i));
        let similar = first_kept(&neighbours, model_slot::NEIGHBOURS_KEPT, n, keeps)
            .unwrap_or_else(|| {
                // Hidden movies took places among the kept ones: score them all.
                serving.item_vectors.most_similar(index, n, |i| !keeps(i))
            });
        let (title, genres) = catalogue.json_of(movie);
        Ok(SimilarMovies {
            movie_id: movie,
            title,
            genres,
            model_version: serving.version,
            items: similar
                .into_iter()
                .map(|s| {
                    let id = items.id(s.item);
                    let (title, genres) = catalogue.json_of(id);
                    SimilarItem {
                        movie_id: id,
                        title,
                        genres,
                        similarity: s.score,
                    }
                })
                .collect(),
        })
    }
}

/// The first `n` of `kept` (best first, cut at `cut` items) whose item `keep`
/// accepts; `None` when fewer remain and `kept` was cut, so that more may lie
/// beyond it and the caller must score every item again.
fn first_kept(
    kept: &[Scored],
    cut: usize,
    n: usize,
    keep: impl Fn(u32) -> bool,
) -> Option<Vec<Scored>> {
    let first: Vec<Scored> = kept
        .iter()
        .filter(|s| keep(s.item))
        .take(n)
        .copied()
        .collect();
    (first.len() == n || kept.len() < cut).then_some(first)
}

/// What every answer says besides its items.
struct Answer {
    user: i32,
    source: Source,
    model_version: u64,
    generated_at: i64,
}

impl Answer {
    /// The answer for `items`, with titles and genres, and reasons unless
    /// the movie they name is hidden now.
    fn with(self, items: &[RecommendedItem], catalogue: &Catalogue) -> Recommendations {
        let items = items
            .iter()
            .map(|i| {
                let (title, genres) = catalogue.json_of(i.movie);
                let because = i
                    .because
                    .filter(|m| !catalogue.is_hidden(*m))
                    .map(|movie_id| Because {
                        movie_id,
                        title: catalogue.json_of(movie_id).0,
                    });
                Item {
                    movie_id: i.movie,
                    title,
                    genres,
                    score: i.score,
                    predicted_rating: i.predicted_rating,
                    because,
                }
            })
            .collect();
        let generated_at = Utc
            .timestamp_opt(self.generated_at, 0)
            .single()
            .unwrap_or_else(Utc::now)
            .to_rfc3339();
        Recommendations {
            user: self.user,
            source: self.source,
            model_version: self.model_version,
            arm: None,
            generated_at,
            items,
        }
    }
}
