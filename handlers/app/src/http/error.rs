//! Every failure of a request, mapped to a status and a JSON body
//! `{"error": what went wrong, "hint": how to fix it}` in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use movierec_store::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { message: String, hint: String },
    #[error("request body of {size} bytes is over the limit of {limit} bytes")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("no recommendations have been published yet")]
    NoModel,
    #[error("{message}")]
    NotFound { message: String, hint: String },
    #[error("no function named {0}")]
    UnknownFunction(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn no_model() -> Self {
        ApiError::NoModel
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, hint) = match &self {
            ApiError::BadRequest { hint, .. } => (StatusCode::BAD_REQUEST, hint.clone()),
            ApiError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "send fewer events per request (nothing of this body was stored)".into())
            }
            ApiError::NoModel => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ingest ratings, then let RetrainModel and RecommendAllUsers run (movierec serve does both on an empty store)".into(),
            ),
            ApiError::NotFound { hint, .. } => (StatusCode::NOT_FOUND, hint.clone()),
            ApiError::UnknownFunction(_) => (StatusCode::NOT_FOUND, "the functions are IngestRatings, RetrainModel, RecommendAllUsers".into()),
            ApiError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "the store failed; the request can be retried".into()),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "see the server log".into()),
        };
        if status.is_server_error() {
            tracing::error!(error = %format!("{self:#}"), "request failed");
        }
        (
            status,
            Json(json!({ "error": format!("{self:#}"), "hint": hint })),
        )
            .into_response()
    }
}
