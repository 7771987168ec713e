//! `movierec train`: ratings file in, model directory out.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use movierec_core::als::train;
use movierec_core::data::RatingMatrix;
use movierec_core::model_files::{save_model, ModelExtras};

use super::options::{peak_rss_mib, InputOptions, ModelOptions};
use super::progress::TerminalProgress;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Ratings file (u.data, ratings.dat, ratings.csv, or user,item,rating[,timestamp]).
    #[arg(long)]
    ratings: PathBuf,
    /// Directory to save the model to (Spark ALSModel layout; replaced if it exists).
    #[arg(long)]
    save: PathBuf,
    #[command(flatten)]
    input: InputOptions,
    #[command(flatten)]
    model: ModelOptions,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let ratings = args.input.load(&args.ratings)?;
    let matrix = RatingMatrix::build(&ratings);
    drop(ratings);
    let params = args.model.params();
    let started = Instant::now();
    let model = train(&matrix, &params, &TerminalProgress::new()).context("training failed")?;
    let seconds = started.elapsed().as_secs_f64();
    let mut extras = ModelExtras::default();
    extras
        .metrics
        .insert("train_seconds".into(), seconds.into());
    extras.metrics.insert("n_train".into(), matrix.nnz().into());
    save_model(&model, &extras, &args.save)
        .with_context(|| format!("saving the model to {}", args.save.display()))?;
    println!(
        "trained on {} ratings ({} users, {} items) in {:.2} s; saved to {}{}",
        matrix.nnz(),
        matrix.users.len(),
        matrix.items.len(),
        seconds,
        args.save.display(),
        peak_rss_mib()
            .map(|m| format!("; peak memory {m:.0} MiB"))
            .unwrap_or_default()
    );
    Ok(())
}
