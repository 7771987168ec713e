//! `movierec export ratings --out DIR`: the stored ratings (the store
//! MOVIEREC_STORE names, SQLite or Cosmos DB), the catalogue and the app's
//! training parameters as Parquet and JSON for the Spark job in tools/spark/.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use movierec::handoff::export::export;
use movierec::settings::Settings;
use movierec::state::AppState;

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
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let state = AppState::open(settings).await?;
        export(state.store.as_ref(), &state.settings, &out).await
    })?;
    println!("{report}");
    Ok(())
}
