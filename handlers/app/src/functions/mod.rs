//! # functions: the app's functions by name, and the host's invocations
//!
//! [`Function`] names every function, exactly as its folder under
//! `functions/` (the Functions host's `function.json`): the routes and the
//! standalone scheduler both dispatch on it, never on a string. The host
//! forwards the HTTP functions (GetRecommendations, SimilarMovies,
//! UpsertMovies, Dashboard, DashboardData, OpenApi, Metrics) as plain requests, which
//! `crate::http` routes to `crate::serving`, `crate::catalogue` and
//! `crate::dashboard`; it invokes the others with a JSON payload, which
//! [`Function::invoke`] turns into a store call ([`ingest_ratings`]) or a
//! [`Job`] ([`Function::timer_job`], [`recommend_shard`]) run by the job
//! runtime (`crate::jobs::runtime`), and the host's answer.
//!
//! Owns: the names, the host's payload shapes per trigger, which job a
//! trigger runs. Must not touch: HTTP statuses (`crate::http`'s) or how a
//! job runs (`crate::jobs`').

pub mod ingest_ratings;
pub mod recommend_shard;
pub mod timers;

use movierec_store::StoreError;

use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::recommend_all::ShardMessage;
use crate::jobs::{Job, JobError};
use crate::state::AppState;

/// Why an invocation failed: the host fails it (and retries it, where its
/// trigger retries).
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error("{0} is forwarded as HTTP, not invoked")]
    NotInvoked(Function),
    #[error("the invocation has no Data.{binding} ({what})")]
    NoData {
        binding: &'static str,
        what: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Job(#[from] JobError),
}

/// An invocation's answer, and the shard messages its run hands on: the
/// answer carries them as its queue output for the host; the standalone app
/// sends these to its local queues as they are.
pub struct Invoked {
    pub response: InvocationResponse,
    pub shards: Vec<ShardMessage>,
}

/// The app's functions, by the names of their folders under `functions/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    IngestRatings,
    RetrainModel,
    RecommendAllUsers,
    RecommendShard,
    GetRecommendations,
    SimilarMovies,
    UpsertMovies,
    Dashboard,
    DashboardData,
    OpenApi,
    Metrics,
}

impl Function {
    pub const ALL: [Function; 11] = [
        Function::IngestRatings,
        Function::RetrainModel,
        Function::RecommendAllUsers,
        Function::RecommendShard,
        Function::GetRecommendations,
        Function::SimilarMovies,
        Function::UpsertMovies,
        Function::Dashboard,
        Function::DashboardData,
        Function::OpenApi,
        Function::Metrics,
    ];

    /// The function's name: its folder under `functions/`.
    pub fn name(self) -> &'static str {
        match self {
            Function::IngestRatings => "IngestRatings",
            Function::RetrainModel => "RetrainModel",
            Function::RecommendAllUsers => "RecommendAllUsers",
            Function::RecommendShard => "RecommendShard",
            Function::GetRecommendations => "GetRecommendations",
            Function::SimilarMovies => "SimilarMovies",
            Function::UpsertMovies => "UpsertMovies",
            Function::Dashboard => "Dashboard",
            Function::DashboardData => "DashboardData",
            Function::OpenApi => "OpenApi",
            Function::Metrics => "Metrics",
        }
    }

    /// The function named `name` (exact, as the host posts it).
    pub fn from_name(name: &str) -> Option<Self> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the host invokes it with a JSON payload (`POST /<Name>`)
    /// rather than forwarding an HTTP request.
    pub fn is_invoked(self) -> bool {
        matches!(self, Function::IngestRatings | Function::RecommendShard) || self.is_timer()
    }

    /// The job a timer of this function runs; the one place a function is
    /// matched to a job.
    pub fn timer_job(self) -> Option<Job> {
        match self {
            Function::RetrainModel => Some(Job::Retrain),
            Function::RecommendAllUsers => Some(Job::PublishLists),
            _ => None,
        }
    }

    /// Whether a timer triggers it (its job runs through [`timers`]).
    pub fn is_timer(self) -> bool {
        self.timer_job().is_some()
    }

    /// Runs a host invocation of this function.
    pub async fn invoke(
        self,
        state: &AppState,
        request: &InvocationRequest,
    ) -> Result<Invoked, FunctionError> {
        if let Some(job) = self.timer_job() {
            return timers::invoke(state, job, request).await;
        }
        match self {
            Function::IngestRatings => ingest_ratings::invoke(state, request).await,
            Function::RecommendShard => recommend_shard::invoke(state, request).await,
            other => Err(FunctionError::NotInvoked(other)),
        }
    }
}

impl std::fmt::Display for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_function_folders() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
        let mut folders: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        folders.sort();
        let mut names: Vec<String> = Function::ALL.iter().map(|f| f.name().to_string()).collect();
        names.sort();
        assert_eq!(names, folders);
        for f in Function::ALL {
            assert_eq!(Function::from_name(f.name()), Some(f));
        }
        assert_eq!(Function::from_name("retrainmodel"), None);
    }
}
