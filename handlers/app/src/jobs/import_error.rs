//! [`ImportError`]: why recording a model trained outside the app failed
//! (`movierec model import DIR`, or RetrainModel's external mode), with the
//! words the imports always used. Owns the error only; the steps are
//! [`super::import_model`]'s and [`super::import_plain`]'s.

use std::path::{Path, PathBuf};

use movierec_core::model_files::ModelFileError;
use movierec_store::StoreError;

#[cfg(feature = "blob")]
use crate::handoff::blob_models::BlobModelsError;
use crate::handoff::model_folder::ModelFolderError;
use crate::handoff::spark_model::SparkModelError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The store failed at `step`; trying again later can succeed. Every
    /// store call names its step, and the store's error stays its source.
    #[error("{step}")]
    Store {
        step: &'static str,
        #[source]
        source: StoreError,
    },
    /// The folder could not be told apart, read or found.
    #[error(transparent)]
    Folder(#[from] ModelFolderError),
    /// The plain Spark `ALSModel` could not be read, or was refused.
    #[error(transparent)]
    SparkModel(#[from] SparkModelError),
    /// The Blob container could not be reached, listed or downloaded from.
    #[cfg(feature = "blob")]
    #[error(transparent)]
    Blob(#[from] BlobModelsError),
    #[error("a temporary folder for the downloaded model")]
    TempDir(#[source] std::io::Error),
    #[cfg(not(feature = "blob"))]
    #[error(
        "MOVIEREC_EXTERNAL_MODELS is a Blob container ({shown}), but this build has no Blob support: \
         build with the `blob` feature (on by default)"
    )]
    NoBlobSupport {
        /// The container, without its query.
        shown: String,
    },
    /// Options about a plain model's training, given for a job's folder.
    #[error(
        "{} is a training job's folder, which records how its models were trained: \
         --explicit, --implicit, --reg-param and --alpha are for a plain Spark ALSModel directory",
        .dir.display()
    )]
    StatedForJobFolder { dir: PathBuf },
    /// A plain model whose movie ids match none of the stored ratings' movies.
    #[error(
        "{}: the model knows none of the {movies_stored} stored movies (its itemCol was {item_col}): \
         it was trained on other ids; nothing recorded",
        .dir.display()
    )]
    OtherIds {
        dir: PathBuf,
        movies_stored: usize,
        /// Spark's `itemCol` from the metadata, or "unknown".
        item_col: String,
    },
    /// The version's files could not be made.
    #[error(transparent)]
    Files(#[from] ModelFileError),
    /// The recorded figures did not turn into JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A step on the blocking pool (reading or measuring the model) panicked.
    #[error(transparent)]
    Panicked(#[from] tokio::task::JoinError),
    /// The external mode's plain Spark `ALSModel` (`model`, under `root`)
    /// was refused: nothing is recorded and the marker stays, so the next run
    /// tries it again; when its kind is unsettled, says how to import it.
    #[error(
        "MOVIEREC_TRAINER=external: the Spark ALSModel {} was not imported and nothing was recorded \
         (the next run tries it again{})",
        .model.display(),
        external_advice(.model, .root, .source)
    )]
    ExternalPlainModel {
        model: PathBuf,
        root: PathBuf,
        #[source]
        source: Box<ImportError>,
    },
}

impl ImportError {
    /// A store failure while `step`.
    pub fn store(step: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |source| ImportError::Store { step, source }
    }

    /// Whether the store failed under it (trying again later can succeed).
    pub fn is_store(&self) -> bool {
        match self {
            ImportError::Store { .. } => true,
            ImportError::ExternalPlainModel { source, .. } => source.is_store(),
            _ => false,
        }
    }
}

/// What the operator can do about a plain model the external mode refused:
/// only when neither its files nor the stored ratings settle its kind.
fn external_advice(model: &Path, root: &Path, refusal: &ImportError) -> String {
    match refusal {
        ImportError::SparkModel(SparkModelError::KindUnsettled { .. }) => format!(
            "; the external mode takes no --explicit or --implicit: import it with \
             `movierec model import {} --explicit` (or `--implicit`) and move it out of {}",
            model.display(),
            root.display()
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_error() -> StoreError {
        StoreError::Backend {
            backend: "test",
            operation: "read",
            source: "down".into(),
        }
    }

    fn external(refusal: ImportError) -> ImportError {
        ImportError::ExternalPlainModel {
            model: PathBuf::from("/models/20260101T0000"),
            root: PathBuf::from("/models"),
            source: Box::new(refusal),
        }
    }

    #[test]
    fn the_external_refusal_advises_only_an_unsettled_kind() {
        let unsettled = external(ImportError::SparkModel(SparkModelError::KindUnsettled {
            dir: PathBuf::from("/models/20260101T0000"),
            summary: "rank 8, Spark 4.0.1".into(),
            figures: "no stored rating is of a user and a movie it knows".into(),
        }));
        let said = format!("{:#}", anyhow::Error::from(unsettled));
        assert!(
            said.starts_with(
                "MOVIEREC_TRAINER=external: the Spark ALSModel /models/20260101T0000 was not imported \
                 and nothing was recorded (the next run tries it again; the external mode takes no"
            ) && said.contains(
                "`movierec model import /models/20260101T0000 --explicit` (or `--implicit`) and move it out of /models): "
            ) && said.contains("no stored rating is of a user and a movie it knows"),
            "{said}"
        );
        let other = external(ImportError::OtherIds {
            dir: PathBuf::from("/models/20260101T0000"),
            movies_stored: 3,
            item_col: "item".into(),
        });
        let said = format!("{:#}", anyhow::Error::from(other));
        assert!(
            said.contains("(the next run tries it again): /models/20260101T0000: the model knows none of the 3"),
            "{said}"
        );
    }

    #[test]
    fn store_failures_are_filed_as_such_and_stay_in_the_chain() {
        let failed = ImportError::Store {
            step: "recording the imported model version",
            source: store_error(),
        };
        assert!(failed.is_store());
        let wrapped = external(failed);
        assert!(wrapped.is_store());
        let chained = anyhow::Error::from(wrapped);
        assert!(
            format!("{chained:#}").contains(
                "(the next run tries it again): recording the imported model version: test store failed to read"
            ),
            "{chained:#}"
        );
        assert!(!ImportError::StatedForJobFolder { dir: "/x".into() }.is_store());
    }
}
