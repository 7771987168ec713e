//! # movierec: the app
//!
//! One binary that is an Azure Functions custom handler, a standalone server
//! that runs the same functions without a host, and a command line. It owns
//! the functions, their HTTP surface, the scheduled jobs and configuration; it
//! delegates arithmetic to `movierec_core` and persistence to
//! `movierec_store`, and must not reach past their public APIs.
//!
//! ## Following a request
//! A connection is accepted by [`server::serve`] (connection cap, header
//! timeout); `GET /recommendations/42` then reaches [`http::router`] (under
//! the host too, which forwards the request unchanged; standalone writes pass
//! [`http::guard`] first), goes to
//! [`functions::get_recommendations::recommend`], which reads the published
//! list from the store ([`movierec_store::RecommendationStore::recommendations`])
//! or folds the user in with the serving version's ranking model in
//! [`state::AppState`] (its rating model adds each item's predicted rating).
//! An Event Hub batch arrives as `POST /IngestRatings` from the host (or
//! `POST /events` standalone), is parsed by [`events::parse_batch`] (its
//! metadata by [`events::BatchMetadata::from_host`]) and stored
//! by one [`movierec_store::RatingStore::ingest`] call. Which backend answers
//! is chosen once, in [`state::AppState::open`], from `MOVIEREC_STORE`: SQLite
//! (one transaction per batch) or Cosmos DB (`movierec_store::cosmos`: a
//! point read per GET, a conditional write per rating).
//!
//! ## Layout
//! - [`settings`]: every environment setting with its default.
//! - [`state`]: the shared handle: settings, store, serving model.
//! - [`http`]: routes and the one place errors become answers.
//! - [`invocation`]: the host's request/response shapes.
//! - [`functions`]: one module per function in `functions/`.
//! - [`events`]: rating events in every shape a batch can take.
//! - [`dashboard`]: the page and its JSON views (read only).
//! - [`jobs`]: retrain and recommend-for-all, under one lease held while a job
//!   runs ([`jobs::with_lease`]); the holdout evaluation and promotion gate
//!   ([`jobs::evaluation`]); retention ([`jobs::housekeeping`]).
//! - [`rating_vector`]: a user's vector in the rating model (predicted ratings).
//! - [`standalone`]: function.json, NCRONTAB timers, bootstrap.
//! - [`server`]: binding, host vs standalone mode, shutdown.
//! - [`package`]: the folder `func start` runs and the deployment zip.
//! - [`files`]: relative file listings (model directories, the app folder).
//! - [`generate`]: the ratings generator (replay or synthetic, to stdout, the
//!   app's `POST /events` or an Event Hub).

pub mod dashboard;
pub mod events;
pub mod files;
pub mod functions;
pub mod generate;
pub mod http;
pub mod invocation;
pub mod jobs;
pub mod package;
pub mod rating_vector;
pub mod server;
pub mod settings;
pub mod standalone;
pub mod state;
