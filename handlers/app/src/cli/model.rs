//! `movierec model import DIR`: records a version trained outside the app
//! (a tools/spark/ job's output folder) in the store MOVIEREC_STORE names,
//! through the same promotion gate as a retrain. RecommendAllUsers publishes
//! it at its next run (or `serve` at start).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use movierec::jobs::import_model::import;

#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    what: ModelCommand,
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Import a training job's output folder (ranking/, rating/, _SUCCESS).
    Import {
        /// The folder the job wrote.
        dir: PathBuf,
    },
}

pub fn run(args: ModelArgs) -> anyhow::Result<()> {
    let ModelCommand::Import { dir } = args.what;
    let outcome = super::on_the_store(|state| async move { import(&state, &dir).await })?;
    println!("{outcome}");
    Ok(())
}
