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
//!
//! Also tells this layout from a plain Spark `ALSModel` directory
//! ([`layout`]; that one is read by [`super::spark_model`]), and says what a
//! folder that is neither lacks. [`newest_complete`] (the external trainer
//! mode) takes either: a job folder is complete with its top-level
//! `_SUCCESS`, a plain `ALSModel` directory when metadata/, userFactors/ and
//! itemFactors/ each have the `_SUCCESS` Spark writes into them (it writes
//! none at the top).

use std::path::{Path, PathBuf};

use movierec_core::model_files::{
    load_model, unfinished_folders, ModelExtras, ModelFileError, LAYOUT_FOLDERS,
};
use serde::Deserialize;

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

/// Why a folder could not be told apart, read or found as a model to import.
#[derive(Debug, thiserror::Error)]
pub enum ModelFolderError {
    #[error("{}: no such directory", .dir.display())]
    NoSuchDirectory { dir: PathBuf },
    #[error(
        "{} is not a model folder movierec can import: neither a training job's folder \
         (tools/spark/train_models.py writes ranking/, rating/ and _SUCCESS; it lacks {job_lacks}) \
         nor a Spark ALSModel directory (model.write().save(DIR) writes metadata/, userFactors/ and itemFactors/; it lacks {spark_lacks})",
        .dir.display()
    )]
    NeitherLayout {
        dir: PathBuf,
        /// What `dir` lacks of a job folder, e.g. "ranking/, rating/, _SUCCESS".
        job_lacks: String,
        /// What `dir` lacks of a Spark `ALSModel` directory.
        spark_lacks: String,
    },
    #[error(
        "{} has no {}: the training job has not finished writing it (or it is not a job's output folder)",
        .dir.display(),
        COMPLETE
    )]
    Unfinished { dir: PathBuf },
    #[error("reading the {model} model in {}", .dir.display())]
    Model {
        /// `RANKING_DIR` or `RATING_DIR`.
        model: &'static str,
        dir: PathBuf,
        #[source]
        source: ModelFileError,
    },
    #[error(
        "{}/{}/movierec/model.json has no metrics: the promotion gate needs the job's holdout figures",
        .dir.display(),
        RANKING_DIR
    )]
    NoMetrics { dir: PathBuf },
    #[error(
        "{}/{}/movierec/model.json: its metrics are not the registry's figures",
        .dir.display(),
        RANKING_DIR
    )]
    Metrics {
        dir: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("listing the external models folder {}", .root.display())]
    List {
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The two layouts `movierec model import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// tools/spark/train_models.py's folder: ranking/, rating/, _SUCCESS.
    JobFolder,
    /// One `ALSModel` as Spark's `model.write().save(DIR)` writes it.
    SparkModel,
}

/// The job's folder's entries, and a plain `ALSModel`'s.
const JOB_ENTRIES: [&str; 3] = [RANKING_DIR, RATING_DIR, COMPLETE];
const SPARK_ENTRIES: [&str; 3] = LAYOUT_FOLDERS;

/// Which layout `dir` is in (a job folder by its ranking/ or rating/, else a
/// Spark model by its metadata/, else a job folder by its _SUCCESS alone);
/// an error naming both layouts and what `dir` lacks of each when neither.
pub fn layout(dir: &Path) -> Result<Layout, ModelFolderError> {
    if !dir.is_dir() {
        return Err(ModelFolderError::NoSuchDirectory {
            dir: dir.to_path_buf(),
        });
    }
    let has = |name: &str| dir.join(name).exists();
    if has(RANKING_DIR) || has(RATING_DIR) {
        return Ok(Layout::JobFolder);
    }
    if has(SPARK_ENTRIES[0]) {
        return Ok(Layout::SparkModel);
    }
    if has(COMPLETE) {
        return Ok(Layout::JobFolder);
    }
    let lacks = |names: &[&str]| {
        names
            .iter()
            .filter(|n| !has(n))
            .map(|n| {
                if *n == COMPLETE {
                    n.to_string()
                } else {
                    format!("{n}/")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(ModelFolderError::NeitherLayout {
        dir: dir.to_path_buf(),
        job_lacks: lacks(&JOB_ENTRIES),
        spark_lacks: lacks(&SPARK_ENTRIES),
    })
}

/// Reads a complete job output folder.
pub fn read(dir: &Path) -> Result<TrainedElsewhere, ModelFolderError> {
    if !dir.join(COMPLETE).is_file() {
        return Err(ModelFolderError::Unfinished {
            dir: dir.to_path_buf(),
        });
    }
    let load = |model: &'static str| {
        load_model(&dir.join(model)).map_err(|source| ModelFolderError::Model {
            model,
            dir: dir.to_path_buf(),
            source,
        })
    };
    let (ranking, extras) = load(RANKING_DIR)?;
    let (rating, rating_extras) = load(RATING_DIR)?;
    if extras.metrics.is_empty() {
        return Err(ModelFolderError::NoMetrics {
            dir: dir.to_path_buf(),
        });
    }
    let metrics = ModelMetrics::deserialize(serde_json::Value::Object(extras.metrics.clone()))
        .map_err(|source| ModelFolderError::Metrics {
            dir: dir.to_path_buf(),
            source,
        })?;
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

/// Whether `dir` is a finished job folder (its `_SUCCESS`) or a finished
/// plain `ALSModel` directory (a `_SUCCESS` in each of its three folders).
pub fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE).is_file() || (dir.is_dir() && unfinished_folders(dir).is_empty())
}

/// The newest complete job folder or plain `ALSModel` directory directly
/// under `root` (by name: the job names them by time), if any; one still
/// being written is passed over.
pub fn newest_complete(root: &Path) -> Result<Option<PathBuf>, ModelFolderError> {
    let entries = std::fs::read_dir(root).map_err(|source| ModelFolderError::List {
        root: root.to_path_buf(),
        source,
    })?;
    let mut complete: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_complete(p))
        .collect();
    complete.sort();
    Ok(complete.pop())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn the_newest_complete_folder_is_a_job_folder_or_a_plain_model_and_never_one_being_written() {
        let root = tempfile::tempdir().unwrap();
        let r = |rel: &str| root.path().join(rel);
        assert_eq!(newest_complete(root.path()).unwrap(), None);
        touch(&r("20260101T0000/_SUCCESS"));
        for folder in LAYOUT_FOLDERS {
            touch(&r(&format!("20260102T0000/{folder}/_SUCCESS")));
        }
        // Spark writes itemFactors/ last: without its _SUCCESS, not complete.
        touch(&r("20260103T0000/metadata/_SUCCESS"));
        touch(&r("20260103T0000/userFactors/_SUCCESS"));
        std::fs::create_dir_all(r("20260103T0000/itemFactors")).unwrap();
        touch(&r("20260104T0000.txt"));
        assert_eq!(
            newest_complete(root.path()).unwrap(),
            Some(r("20260102T0000"))
        );
        assert_eq!(layout(&r("20260102T0000")).unwrap(), Layout::SparkModel);
        assert!(is_complete(&r("20260101T0000")) && !is_complete(&r("20260103T0000")));
    }
}
