//! The command line: one module per command, sharing the option groups in
//! [`options`] and the terminal progress printer in [`progress`].
//!
//! Commands own argument parsing, file paths and what is printed; every
//! computation is a call into `movierec_core`. Errors are `anyhow` here, with
//! context naming the file or option at fault. The ratings generator is its
//! own binary, `movierec-generate` (handlers/generate), so that this one
//! links no AMQP client and no OpenSSL.

mod evaluate;
mod export;
mod import;
mod model;
mod options;
mod package;
mod progress;
mod recommend;
mod serve;
mod split;
mod synth;
mod train;

use std::future::Future;

use clap::{Parser, Subcommand};
use movierec::settings::Settings;
use movierec::state::AppState;

/// movierec: movie recommendations with ALS matrix factorisation.
#[derive(Debug, Parser)]
#[command(name = "movierec", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train an ALS model on a ratings file and save it in Spark ML's ALSModel layout.
    Train(train::TrainArgs),
    /// Train on one file, evaluate on another: RMSE, MAE and ranking metrics at k.
    Evaluate(evaluate::EvaluateArgs),
    /// Top-N recommendations from a saved model, for one user or for all users.
    Recommend(recommend::RecommendArgs),
    /// Split a ratings file at random into train and test files (seeded).
    Split(split::SplitArgs),
    /// Write synthetic MovieLens-shaped ratings (for benchmarks at 25M scale).
    Synth(synth::SynthArgs),
    /// Run the app: standalone (timers, bootstrap, HTTP) or as the Functions custom handler.
    Serve(serve::ServeArgs),
    /// Export the stored ratings for an external trainer (tools/spark/).
    Export(export::ExportArgs),
    /// Load a movie catalogue (movies.csv, movies.dat, u.item, or id,title,genres) into the store.
    Import(import::ImportArgs),
    /// Import a model trained outside the app into the registry.
    Model(model::ModelArgs),
    /// Lay out the Functions app folder (host.json, function folders, binary) and zip it.
    Package(package::PackageArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Recommend(args) => recommend::run(args),
        Command::Split(args) => split::run(args),
        Command::Synth(args) => synth::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::Import(args) => import::run(args),
        Command::Model(args) => model::run(args),
        Command::Package(args) => package::run(args),
    }
}

/// Runs `work` on the store `MOVIEREC_STORE` names (the commands that act on
/// the app's data rather than on files).
fn on_the_store<T, F>(work: impl FnOnce(AppState) -> F) -> anyhow::Result<T>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async { work(AppState::open(settings).await?).await })
}
