//! `movierec model import DIR`: records a version trained outside the app in
//! the store MOVIEREC_STORE names. DIR is either a tools/spark/ job's output
//! folder (ranking/, rating/, _SUCCESS), recorded through the same promotion
//! gate as a retrain, or one plain Spark ALSModel directory as
//! `model.write().save(DIR)` writes it (metadata/, userFactors/,
//! itemFactors/), recorded as promoted at the operator's word. Spark's
//! metadata does not say whether it was trained with implicitPrefs:
//! `--explicit` or `--implicit` says it, and without either it is inferred
//! from the stored ratings the model knows (its mean prediction against their
//! mean rating; refused, showing both, when they settle neither).
//! RecommendAllUsers publishes the version at its next run (or `serve` at
//! start).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use movierec::handoff::spark_model::Stated;
use movierec::jobs::import_model::ImportRequest;
use movierec::jobs::Job;

#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    what: ModelCommand,
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Import a training job's output folder (ranking/, rating/, _SUCCESS) or a
    /// Spark ALSModel directory (metadata/, userFactors/, itemFactors/).
    Import {
        /// The folder the job wrote, or the directory Spark's ALSModel was saved to.
        dir: PathBuf,
        /// A Spark ALSModel trained on ratings (implicitPrefs=false): it orders the
        /// lists and predicts ratings. Without --explicit or --implicit, inferred
        /// from the stored ratings.
        #[arg(long, conflicts_with = "implicit")]
        explicit: bool,
        /// A Spark ALSModel trained with implicitPrefs=true: it orders the lists only.
        #[arg(long)]
        implicit: bool,
        /// The regParam a Spark ALSModel was trained with (default: Spark's 0.1);
        /// folding in users who rate later solves with it.
        #[arg(long, value_name = "REG", value_parser = non_negative)]
        reg_param: Option<f32>,
        /// The alpha an implicit Spark ALSModel was trained with (default: Spark's 1.0).
        #[arg(long, value_parser = non_negative)]
        alpha: Option<f32>,
    },
}

fn non_negative(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{text:?} is not a number >= 0")),
    }
}

pub fn run(args: ModelArgs) -> anyhow::Result<()> {
    let ModelCommand::Import {
        dir,
        explicit,
        implicit,
        reg_param,
        alpha,
    } = args.what;
    let stated = Stated {
        implicit: (explicit || implicit).then_some(implicit),
        reg: reg_param,
        alpha,
    };
    let job = Job::Import(ImportRequest { dir, stated });
    let ran = super::on_the_store(|state| async move { Ok(job.run(&state).await?) })?;
    println!("{}", ran.line());
    Ok(())
}
