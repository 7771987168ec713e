//! `movierec export ratings --out DIR`: the stored ratings (the store
//! MOVIEREC_STORE names, SQLite or Cosmos DB), the catalogue and the app's
//! training parameters as Parquet and JSON for the Spark job in tools/spark/.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use movierec::handoff::export::export;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    what: ExportWhat,
}

#[derive(Debug, Subcommand)]
enum ExportWhat {
    /// Ratings as Parquet part files (user, item, rating, timestamp), the rated
    /// movies, and params.json: what tools/spark/train_models.py reads.
    Ratings {
        /// A new (or empty) folder to write.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let ExportWhat::Ratings { out } = args.what;
    let report = super::on_the_store(|state| async move {
        Ok(export(state.store.as_ref(), &state.settings, &out).await?)
    })?;
    println!("{report}");
    Ok(())
}
