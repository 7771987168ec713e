//! A folder written by the external training job, read back:
//!
//! ```text
//! OUT/ranking/   Spark ALSModel layout + movierec/model.json (implicit: orders the lists)
//! OUT/rating/    Spark ALSModel layout + movierec/model.json (explicit: predicts ratings)
//! OUT/_SUCCESS   written last by the job: a folder without it is not complete
//! ```
//!
//! The holdout figures are the `metrics` of the ranking model's
//! `movierec/model.json`, in the shape the registry keeps
//! ([`ModelMetrics`]), measured by the job with the app's protocol.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use movierec_core::model_files::{load_model, ModelExtras};

use crate::models::files::{RANKING_DIR, RATING_DIR};
use crate::models::metrics::ModelMetrics;
use crate::models::VersionModels;

/// The marker the job writes when a folder is complete.
pub const COMPLETE: &str = "_SUCCESS";

/// A job's two models with the figures it measured.
#[derive(Debug, Clone)]
pub struct TrainedElsewhere {
    pub source: PathBuf,
    pub models: VersionModels,
    pub metrics: ModelMetrics,
    /// The ranking model's extras as written (params, metrics, trainer).
    pub extras: ModelExtras,
    /// Each model's parameters as the job recorded them.
    pub params: serde_json::Value,
}

/// Reads a complete job output folder.
pub fn read(dir: &Path) -> anyhow::Result<TrainedElsewhere> {
    if !dir.join(COMPLETE).is_file() {
        bail!(
            "{} has no {COMPLETE}: the training job has not finished writing it (or it is not a job's output folder)",
            dir.display()
        );
    }
    let (ranking, extras) = load_model(&dir.join(RANKING_DIR))
        .with_context(|| format!("reading the ranking model in {}", dir.display()))?;
    let (rating, rating_extras) = load_model(&dir.join(RATING_DIR))
        .with_context(|| format!("reading the rating model in {}", dir.display()))?;
    if extras.metrics.is_empty() {
        bail!(
            "{}/{RANKING_DIR}/movierec/model.json has no metrics: the promotion gate needs the job's holdout figures",
            dir.display()
        );
    }
    let metrics = ModelMetrics::from_value(&serde_json::Value::Object(extras.metrics.clone()));
    let params = serde_json::json!({
        "ranking": extras.params,
        "rating": rating_extras.params,
        "trainer": extras.metrics.get("trainer"),
        "source": dir.display().to_string(),
    });
    Ok(TrainedElsewhere {
        source: dir.to_path_buf(),
        models: VersionModels {
            ranking,
            rating: Some(rating),
        },
        metrics,
        extras,
        params,
    })
}

/// The newest complete job folder directly under `root` (by name: the job
/// names them by time), if any.
pub fn newest_complete(root: &Path) -> anyhow::Result<Option<PathBuf>> {
    let entries = std::fs::read_dir(root)
        .with_context(|| format!("listing the external models folder {}", root.display()))?;
    let mut complete: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(COMPLETE).is_file())
        .collect();
    complete.sort();
    Ok(complete.pop())
}
