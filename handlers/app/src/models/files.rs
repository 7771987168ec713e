//! Moving a version's models in and out of the registry: the core turns a
//! model into Spark's `ALSModel` files and back, in memory
//! ([`ModelFiles`]), and the store keeps those files; nothing goes through
//! the local disk.
//!
//! A version holds two models, each a complete Spark `ALSModel` layout:
//! `ranking/` (implicit ALS: the order of the lists) and `rating/` (explicit
//! ALS: the predicted ratings). Versions recorded before the split hold one
//! model at the top level; it then serves as both.
//!
//! A version the app trained and promoted also keeps, under `evaluation/`,
//! the ranking model as fitted on the training part of the retrain's fixed
//! holdout (`evaluation/ranking/`): the serving models are refitted on every
//! rating, so only that fit can be scored on a later retrain's holdout as the
//! champion (see `crate::jobs::evaluation`). Serving never reads it.

use movierec_core::model::AlsModel;
use movierec_core::model_files::{
    load_model_files, save_model_files, ModelExtras, ModelFileError, ModelFiles,
};
use movierec_store::{ModelFile, Store, StoreError};

/// Folder of the ranking model inside a version's files.
pub const RANKING_DIR: &str = "ranking";
/// Folder of the rating model inside a version's files.
pub const RATING_DIR: &str = "rating";
/// Folder of the ranking model's evaluation fit inside a version's files.
pub const EVALUATION_RANKING_DIR: &str = "evaluation/ranking";

/// The models of one registry version.
#[derive(Debug, Clone)]
pub struct VersionModels {
    /// Orders the lists (ranking score).
    pub ranking: AlsModel,
    /// Predicts ratings; `None` when the version has only an implicit model.
    pub rating: Option<AlsModel>,
}

/// Both models' files, each under its folder.
pub fn version_to_files(
    models: &VersionModels,
    extras: &ModelExtras,
) -> Result<Vec<ModelFile>, ModelFileError> {
    let mut files = Vec::new();
    let parts = [
        (RANKING_DIR, Some(&models.ranking)),
        (RATING_DIR, models.rating.as_ref()),
    ];
    for (dir, model) in parts {
        let Some(model) = model else { continue };
        files.extend(
            save_model_files(model, extras)?
                .into_iter()
                .map(|(path, bytes)| ModelFile {
                    path: format!("{dir}/{path}"),
                    bytes,
                }),
        );
    }
    Ok(files)
}

/// The evaluation fit's files, under [`EVALUATION_RANKING_DIR`].
pub fn evaluation_to_files(model: &AlsModel) -> Result<Vec<ModelFile>, ModelFileError> {
    Ok(save_model_files(model, &ModelExtras::default())?
        .into_iter()
        .map(|(path, bytes)| ModelFile {
            path: format!("{EVALUATION_RANKING_DIR}/{path}"),
            bytes,
        })
        .collect())
}

/// The files of a version that are its evaluation fit.
pub fn evaluation_files(files: &[ModelFile]) -> Vec<ModelFile> {
    let prefix = format!("{EVALUATION_RANKING_DIR}/");
    files
        .iter()
        .filter(|f| f.path.starts_with(&prefix))
        .cloned()
        .collect()
}

/// A version's evaluation fit, `None` when it has none (imported, trained
/// elsewhere, or recorded before the fixed holdout).
pub async fn load_evaluation_model(
    store: &dyn Store,
    version: u64,
) -> Result<Option<AlsModel>, LoadError> {
    let prefix = format!("{EVALUATION_RANKING_DIR}/");
    let files: ModelFiles = store
        .model_files(version)
        .await?
        .into_iter()
        .filter_map(|f| Some((f.path.strip_prefix(&prefix)?.to_string(), f.bytes)))
        .collect();
    if files.is_empty() {
        return Ok(None);
    }
    let loaded = tokio::task::spawn_blocking(move || load(files, Part::Evaluation))
        .await
        .map_err(|e| LoadError::Panicked(e.to_string()))?;
    loaded
        .map(Some)
        .map_err(|source| LoadError::Files { version, source })
}

fn load(files: ModelFiles, part: Part) -> Result<AlsModel, FilesError> {
    load_model_files(files)
        .map(|(model, _)| model)
        .map_err(|source| FilesError { part, source })
}

/// Loads a version's models from its files (either layout, see the module
/// doc), taking them apart without copying the bytes.
pub fn version_from_files(files: Vec<ModelFile>) -> Result<VersionModels, FilesError> {
    let files: ModelFiles = files.into_iter().map(|f| (f.path, f.bytes)).collect();
    let ranking_prefix = format!("{RANKING_DIR}/");
    let rating_prefix = format!("{RATING_DIR}/");
    if !files
        .iter()
        .any(|(path, _)| path.starts_with(&ranking_prefix))
    {
        let model = load(files, Part::Single)?;
        let implicit = model.params.as_ref().is_some_and(|p| p.implicit);
        return Ok(VersionModels {
            rating: (!implicit).then(|| model.clone()),
            ranking: model,
        });
    }
    let (mut ranking, mut rating) = (ModelFiles::new(), ModelFiles::new());
    for (path, bytes) in files {
        if let Some(rel) = path.strip_prefix(&ranking_prefix) {
            ranking.insert(rel, bytes);
        } else if let Some(rel) = path.strip_prefix(&rating_prefix) {
            rating.insert(rel, bytes);
        }
    }
    Ok(VersionModels {
        ranking: load(ranking, Part::Ranking)?,
        rating: if rating.is_empty() {
            None
        } else {
            Some(load(rating, Part::Rating)?)
        },
    })
}

/// Which of a version's models a file error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Ranking,
    Rating,
    /// A version saved as one model (imported, or from before the two folders).
    Single,
    Evaluation,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Ranking => "the ranking model",
            Part::Rating => "the rating model",
            Part::Single => "the model",
            Part::Evaluation => "the evaluation fit",
        })
    }
}

/// One of a version's models whose files do not read.
#[derive(Debug, thiserror::Error)]
#[error("reading {part}")]
pub struct FilesError {
    pub part: Part,
    #[source]
    pub source: ModelFileError,
}

/// Why a registry version's models could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store failed; loading again may work.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("model version {0} has no files in the registry")]
    NoFiles(u64),
    #[error("loading model version {version}")]
    Files {
        version: u64,
        #[source]
        source: FilesError,
    },
    #[error("loading a model version panicked: {0}")]
    Panicked(String),
}

/// Loads a registry version's models.
pub async fn load_model_version(
    store: &dyn Store,
    version: u64,
) -> Result<VersionModels, LoadError> {
    let files = store.model_files(version).await?;
    if files.is_empty() {
        return Err(LoadError::NoFiles(version));
    }
    tokio::task::spawn_blocking(move || version_from_files(files))
        .await
        .map_err(|e| LoadError::Panicked(e.to_string()))?
        .map_err(|source| LoadError::Files { version, source })
}

#[cfg(test)]
mod tests {
    use movierec_core::als::{train, AlsParams};
    use movierec_core::data::{RatingMatrix, Ratings};
    use movierec_core::NoProgress;

    use super::*;

    fn model(implicit: bool) -> AlsModel {
        let triples: Vec<(i32, i32, f32)> = (0..6)
            .flat_map(|u| (0..5).map(move |i| (u, 10 * i, 1.0 + ((u + i) % 5) as f32)))
            .collect();
        let params = AlsParams {
            rank: 2,
            iterations: 2,
            implicit,
            ..AlsParams::default()
        };
        let matrix = RatingMatrix::build(&Ratings::from_triples(&triples));
        train(&matrix, &params, &NoProgress).unwrap()
    }

    #[test]
    fn a_version_round_trips_through_its_registry_files() {
        let models = VersionModels {
            ranking: model(true),
            rating: Some(model(false)),
        };
        let files = version_to_files(&models, &ModelExtras::default()).unwrap();
        assert!(files
            .iter()
            .any(|f| f.path == "ranking/metadata/part-00000"));
        assert!(files.iter().any(|f| f.path == "rating/movierec/model.json"));
        let back = version_from_files(files).unwrap();
        assert_eq!(back.ranking.item_factors, models.ranking.item_factors);
        assert!(back.ranking.params.unwrap().implicit);
        let rating = back.rating.unwrap();
        assert_eq!(rating.user_factors, model(false).user_factors);

        // A version recorded before the split: one explicit model serves as both.
        let legacy: Vec<ModelFile> = save_model_files(&model(false), &ModelExtras::default())
            .unwrap()
            .into_iter()
            .map(|(path, bytes)| ModelFile { path, bytes })
            .collect();
        let back = version_from_files(legacy.clone()).unwrap();
        assert!(back.rating.is_some());
        assert_eq!(back.ranking.users, model(false).users);

        let mut bad = legacy.clone();
        bad[0].path = "../metadata/x".into();
        let err = version_from_files(bad).unwrap_err();
        assert_eq!(err.part, Part::Single);
        let source = err.source.to_string();
        assert!(source.contains("not a plain relative path"), "{source}");
    }
}
