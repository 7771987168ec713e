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
    #[error("{message}")]
    Forbidden { message: String, hint: String },
    #[error("a write must be JSON, this body is declared {0:?}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// A function's error: a store failure stays one (its answer says the store
/// failed and can be retried); anything else is internal.
impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StoreError>() {
            Ok(store) => ApiError::Store(store),
            Err(other) => ApiError::Internal(other),
        }
    }
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

    /// What the caller is told. A server error is logged here; an internal
    /// one's cause (file paths, library messages) goes to the log only, under
    /// a number the answer gives.
    pub fn logged_message(&self, status: StatusCode) -> String {
        match self {
            ApiError::Internal(e) => {
                let id = chrono::Utc::now().timestamp_micros();
                tracing::error!(error_id = id, error = %format!("{e:#}"), "request failed");
                format!("internal error {id}")
            }
            other => {
                if status.is_server_error() {
                    tracing::error!(error = %format!("{other:#}"), "request failed");
                }
                format!("{other:#}")
            }
        }
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
            ApiError::Forbidden { hint, .. } => (StatusCode::FORBIDDEN, hint.clone()),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the body with Content-Type: application/json".into()),
            ApiError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "the store failed; the request can be retried".into()),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the server log has this error's cause under its number".into()),
        };
        let error = self.logged_message(status);
        (status, Json(json!({ "error": error, "hint": hint }))).into_response()
    }
}
