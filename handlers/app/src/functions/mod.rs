//! # functions: the app's functions by name, and the host's invocations
//!
//! [`Function`] names every function, exactly as its folder under
//! `functions/` (the Functions host's `function.json`): the routes and the
//! standalone scheduler both dispatch on it, never on a string. The host
//! forwards the HTTP functions (GetRecommendations, SimilarMovies,
//! UpsertMovies, Dashboard, DashboardData, OpenApi) as plain requests, which
//! `crate::http` routes to `crate::serving`, `crate::catalogue` and
//! `crate::dashboard`; it invokes the others with a JSON payload, which
//! [`Function::invoke`] turns into a store call ([`ingest_ratings`]) or a job
//! run ([`timers`], [`recommend_shard`]) and the host's answer.
//!
//! Owns: the names, the host's payload shapes per trigger. Must not touch:
//! HTTP statuses (`crate::http`'s) or what a job does (`crate::jobs`').

pub mod ingest_ratings;
pub mod recommend_shard;
pub mod timers;

use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::state::AppState;

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
}

impl Function {
    pub const ALL: [Function; 10] = [
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

    /// Whether a timer triggers it (its job runs through [`timers`]).
    pub fn is_timer(self) -> bool {
        matches!(self, Function::RetrainModel | Function::RecommendAllUsers)
    }

    /// Runs a host invocation of this function.
    pub async fn invoke(
        self,
        state: &AppState,
        request: &InvocationRequest,
    ) -> anyhow::Result<InvocationResponse> {
        match self {
            Function::IngestRatings => ingest_ratings::invoke(state, request).await,
            Function::RecommendShard => recommend_shard::invoke(state, request).await,
            timer if timer.is_timer() => timers::invoke(state, timer, request).await,
            other => anyhow::bail!("{} is forwarded as HTTP, not invoked", other.name()),
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
