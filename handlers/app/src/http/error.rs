//! Every failure of a request, mapped to a status once ([`ApiError::status`])
//! and answered as a JSON body `{"error": what went wrong, "hint": how to fix
//! it}`. The layers below keep their own error types (`ServeError`,
//! `DashboardError`, `QueryError`, `StoreError`, `FunctionError`,
//! `JobError`); they become an [`ApiError`]
//! here, and nowhere else decides a status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use movierec_store::StoreError;
use serde::Serialize;

use crate::dashboard::{requests::VIEWS, DashboardError};
use crate::functions::{Function, FunctionError};
use crate::jobs::JobError;
use crate::serving::{QueryError, ServeError};

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
    /// A job stopped from outside or failed with the store: worth a retry.
    #[error(transparent)]
    Unavailable(JobError),
    /// A failure the caller cannot fix; its chain goes to the log only.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// The answer's body.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
    hint: String,
}

/// A function's error: a store failure, or a job that failed because of
/// one, or that was stopped from outside, is a 503 (the host tries again);
/// a job's own failure is internal.
impl From<FunctionError> for ApiError {
    fn from(e: FunctionError) -> Self {
        match e {
            FunctionError::Store(store) => ApiError::Store(store),
            FunctionError::Job(job) => job.into(),
            missing @ FunctionError::NoData { .. } => ApiError::bad_request(
                missing.to_string(),
                "the host sends {\"Data\":{\"<trigger binding>\":...},\"Metadata\":{...}}",
            ),
            not_invoked @ FunctionError::NotInvoked(_) => ApiError::NotFound {
                message: not_invoked.to_string(),
                hint: "call it at its HTTP route".into(),
            },
        }
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Failed { .. } => ApiError::Internal(e.into()),
            unavailable @ (JobError::Store { .. } | JobError::Stopped { .. }) => {
                ApiError::Unavailable(unavailable)
            }
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::BadRequest {
            message: e.message,
            hint: e.hint,
        }
    }
}

impl From<ServeError> for ApiError {
    fn from(e: ServeError) -> Self {
        match e {
            ServeError::Query(q) => q.into(),
            ServeError::NoModel => ApiError::NoModel,
            unknown @ ServeError::UnknownMovie(_) => ApiError::NotFound {
                message: unknown.to_string(),
                hint: "similar movies come from the ranking model: a movie nobody has rated before the last retrain has none yet".into(),
            },
            ServeError::Store(s) => ApiError::Store(s),
            model @ (ServeError::Model(_) | ServeError::FoldIn(_)) => ApiError::Internal(model.into()),
        }
    }
}

impl From<DashboardError> for ApiError {
    fn from(e: DashboardError) -> Self {
        match e {
            DashboardError::Query(q) => q.into(),
            DashboardError::UnknownView(view) => ApiError::NotFound {
                message: format!("no dashboard view named {view:?}"),
                hint: format!("the views are {}", VIEWS.join(", ")),
            },
            DashboardError::Serve(s) => s.into(),
            DashboardError::Store(s) => ApiError::Store(s),
            json @ DashboardError::Json(_) => ApiError::Internal(json.into()),
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

    /// The status of every answer that fails: the one mapping.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NoModel | ApiError::Store(_) | ApiError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::NotFound { .. } | ApiError::UnknownFunction(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// How the caller can fix it, or what to do next.
    fn hint(&self) -> String {
        match self {
            ApiError::BadRequest { hint, .. }
            | ApiError::NotFound { hint, .. }
            | ApiError::Forbidden { hint, .. } => hint.clone(),
            ApiError::PayloadTooLarge { .. } => {
                "send fewer events per request (nothing of this body was stored)".into()
            }
            ApiError::NoModel => "ingest ratings, then let RetrainModel and RecommendAllUsers run (movierec serve does both on an empty store)".into(),
            ApiError::UnknownFunction(_) => {
                let invoked: Vec<&str> = Function::ALL
                    .into_iter()
                    .filter(|f| f.is_invoked())
                    .map(Function::name)
                    .collect();
                format!("the functions are {}", invoked.join(", "))
            }
            ApiError::UnsupportedMediaType(_) => {
                "send the body with Content-Type: application/json".into()
            }
            ApiError::Store(_) => "the store failed; the request can be retried".into(),
            ApiError::Unavailable(_) => "the job did not finish; the invocation can be retried".into(),
            ApiError::Internal(_) => {
                "the server log has this error's cause under its number".into()
            }
        }
    }

    /// What the caller is told. A server error is logged here; an internal
    /// one's cause (file paths, library messages) goes to the log only, under
    /// a number the answer gives.
    pub fn logged_message(&self, status: StatusCode) -> String {
        match self {
            ApiError::Internal(e) => {
                let id = chrono::Utc::now().timestamp_micros();
                let error: &(dyn std::error::Error + 'static) = &**e;
                tracing::error!(error_id = id, error, "request failed");
                format!("internal error {id}")
            }
            other => {
                if status.is_server_error() {
                    let error: &(dyn std::error::Error + 'static) = other;
                    tracing::error!(error, "request failed");
                }
                format!("{other:#}")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: self.logged_message(status),
            hint: self.hint(),
        };
        (status, Json(body)).into_response()
    }
}
