//! Why a GET of recommendations could not be answered, in serving's own terms;
//! the HTTP layer maps each case to a status once (`crate::http::ApiError`).

use movierec_store::StoreError;

use super::query::QueryError;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A query value is unusable (the caller can fix it).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Nothing is published yet: no model, no popular list.
    #[error("no recommendations have been published yet")]
    NoModel,
    /// The published ranking model does not know this movie.
    #[error("movie {0} is not in the published ranking model")]
    UnknownMovie(i32),
    /// The store failed; the request can be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The published model could not be loaded or used.
    #[error("the published model could not be used")]
    Model(#[source] crate::models::LoadError),
    /// A user's vector could not be folded in from their ratings.
    #[error("the user's ratings could not be folded into the published model")]
    FoldIn(#[source] movierec_core::als::SolveError),
}
