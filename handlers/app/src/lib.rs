//! # movierec: the app
//!
//! One binary that is an Azure Functions custom handler, a standalone server
//! that runs the same functions without a host, and a command line. It owns
//! the functions, their HTTP surface, the scheduled jobs and configuration; it
//! delegates arithmetic to `movierec_core` and persistence to
//! `movierec_store`, and must not reach past their public APIs.
//!
//! ## Following `GET /recommendations/42`, one module doc per hop
//! 1. [`server`]: the accept loop takes the connection (connection cap,
//!    header timeout) and hands the request to the router. Under the host the
//!    request arrives forwarded unchanged.
//! 2. [`http`]: the route parses the user id and `n` ([`serving::query`]),
//!    calls the serving path, and is the one place an error gets its status
//!    ([`http::ApiError`]); its one layer counts the answer by route, list
//!    source and status ([`telemetry`]).
//! 3. [`serving`]: [`serving::Serving::recommend`] decides where the list
//!    comes from: the published list while the user has not rated since it
//!    was made (their rating mark says so), else the user's row or a fold-in
//!    ([`serving::personal`]) with the published model
//!    ([`serving::model_slot`], loaded once per version from [`models`]), else
//!    the popular list; titles come through [`serving::catalogue`].
//! 4. `movierec_store`: the traits the serving path reads through
//!    (`RecommendationStore::{user_view, serving_version, popular}`: the
//!    list, the user's rating mark and the catalogue's revision in one read;
//!    `RatingStore::user_ratings`, `ModelRegistry::model_files`,
//!    `CatalogStore::all_movies`), and the
//!    backend chosen once in [`state::AppState::open`] from `MOVIEREC_STORE`:
//!    `movierec_store::sqlite` (the embedded default) or
//!    `movierec_store::cosmos` (one point read per GET: the user's document).
//!
//! An Event Hub batch takes the same first two hops as `POST /IngestRatings`
//! (or `POST /events` standalone), then [`functions::ingest_ratings`], which
//! parses it with [`events::parse_batch`] and stores it with one
//! `RatingStore::ingest` call. A timer names a [`jobs::Job`]
//! ([`functions::Function::timer_job`]), which the job runtime runs
//! ([`jobs::runtime`]), whether the host invoked it ([`functions::timers`])
//! or [`standalone::scheduler`] fired it; a shard message is a
//! `Job::WriteShard`, from the host's queue ([`functions::recommend_shard`])
//! or the local one ([`standalone::queues`]), typed all the way.
//!
//! ## Layout (each folder depends only on those listed after it)
//! - [`server`]: binding, host vs standalone mode, shutdown.
//! - [`http`]: routes, body limits, the write guard, error statuses.
//! - [`package`]: the folder `func start` runs and the deployment zip.
//! - [`standalone`]: function.json, NCRONTAB timers, bootstrap.
//! - [`functions`]: the [`functions::Function`] names and the host's
//!   invocations (ingest, timers).
//! - [`jobs`]: retrain and recommend-for-all, run by one runtime
//!   ([`jobs::Job::run`]: the lease, tries, cancellation, [`jobs::JobError`]); the holdout evaluation and promotion gate
//!   ([`jobs::evaluation`]); retention ([`jobs::housekeeping`]).
//! - [`handoff`]: export for an external trainer, and its model folders read back.
//! - [`state`]: the shared handle: settings, store, serving, dashboard, jobs.
//! - [`dashboard`]: the page and its JSON views, with its own state (read only).
//! - [`impressions`]: the lists GETs served, sampled and written in the
//!   background, and the online "served, then liked" figure.
//! - [`serving`]: the one path a GET takes.
//! - [`models`]: a version's two models in and out of the registry.
//! - [`events`]: rating events in every shape a batch can take.
//! - [`invocation`]: the host's request/response shapes.
//! - [`settings`]: every environment setting with its default.
//! - [`allocator`]: the global allocator (mimalloc; glibc for heap profiling).
//! - [`files`]: relative file listings (the packaged app folder).
//! - [`telemetry`]: what the instance counts for `GET /metrics` (requests,
//!   ingest, jobs), reported into by the layers above.
//! - [`snapshot`]: values loaded once per key per instance (models, catalogue).

pub mod allocator;
pub mod catalogue;
pub mod dashboard;
pub mod events;
pub mod files;
pub mod functions;
pub mod handoff;
pub mod http;
pub mod impressions;
pub mod invocation;
pub mod jobs;
pub mod models;
pub mod package;
pub mod server;
pub mod serving;
pub mod settings;
pub mod snapshot;
pub mod standalone;
pub mod state;
pub mod telemetry;
