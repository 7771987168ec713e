//! Moving a version's models in and out of the registry: the core writes and
//! reads Spark's directory layout on disk, the store keeps its files.
//!
//! A version holds two models, each a complete Spark `ALSModel` directory:
//! `ranking/` (implicit ALS: the order of the lists) and `rating/` (explicit
//! ALS: the predicted ratings). Versions recorded before the split hold one
//! model at the top level; it then serves as both.

use anyhow::Context;
use movierec_core::model::AlsModel;
use movierec_core::model_files::{load_model, save_model, ModelExtras};
use movierec_store::{ModelFile, Store};

/// Folder of the ranking model inside a version's files.
pub const RANKING_DIR: &str = "ranking";
/// Folder of the rating model inside a version's files.
pub const RATING_DIR: &str = "rating";

/// The models of one registry version.
#[derive(Debug, Clone)]
pub struct VersionModels {
    /// Orders the lists (ranking score).
    pub ranking: AlsModel,
    /// Predicts ratings; `None` when the version has only an implicit model.
    pub rating: Option<AlsModel>,
}

/// The files of `model` saved in Spark's layout, as (relative path, bytes).
pub fn model_to_files(model: &AlsModel, extras: &ModelExtras) -> anyhow::Result<Vec<ModelFile>> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("model");
    save_model(model, extras, &path)?;
    crate::files::relative_files(&path)?
        .into_iter()
        .map(|rel| {
            Ok(ModelFile {
                bytes: std::fs::read(path.join(&rel))?,
                path: rel,
            })
        })
        .collect()
}

/// Both models' files, each under its folder.
pub fn version_to_files(
    models: &VersionModels,
    extras: &ModelExtras,
) -> anyhow::Result<Vec<ModelFile>> {
    let mut files = Vec::new();
    let parts = [
        (RANKING_DIR, Some(&models.ranking)),
        (RATING_DIR, models.rating.as_ref()),
    ];
    for (dir, model) in parts {
        let Some(model) = model else { continue };
        files.extend(
            model_to_files(model, extras)?
                .into_iter()
                .map(|f| ModelFile {
                    path: format!("{dir}/{}", f.path),
                    bytes: f.bytes,
                }),
        );
    }
    Ok(files)
}

/// Writes `files` under a temporary directory and loads the model from it.
pub fn model_from_files(files: &[ModelFile]) -> anyhow::Result<AlsModel> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    for f in files {
        anyhow::ensure!(
            !f.path.split('/').any(|p| p == ".." || p.is_empty()),
            "model file path {:?} is not a plain relative path",
            f.path
        );
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().expect("relative path has a parent"))?;
        std::fs::write(&path, &f.bytes)?;
    }
    Ok(load_model(dir.path())?.0)
}

/// The files under `dir/`, with that prefix taken off.
fn files_under(files: &[ModelFile], dir: &str) -> Vec<ModelFile> {
    let prefix = format!("{dir}/");
    files
        .iter()
        .filter_map(|f| {
            Some(ModelFile {
                path: f.path.strip_prefix(&prefix)?.to_string(),
                bytes: f.bytes.clone(),
            })
        })
        .collect()
}

/// Loads a version's models from its files (either layout, see the module doc).
pub fn version_from_files(files: &[ModelFile]) -> anyhow::Result<VersionModels> {
    let ranking = files_under(files, RANKING_DIR);
    if ranking.is_empty() {
        let model = model_from_files(files)?;
        let implicit = model.params.as_ref().is_some_and(|p| p.implicit);
        return Ok(VersionModels {
            rating: (!implicit).then(|| model.clone()),
            ranking: model,
        });
    }
    let rating = files_under(files, RATING_DIR);
    Ok(VersionModels {
        ranking: model_from_files(&ranking).context("the ranking model")?,
        rating: if rating.is_empty() {
            None
        } else {
            Some(model_from_files(&rating).context("the rating model")?)
        },
    })
}

/// Loads a registry version's models.
pub async fn load_model_version(store: &dyn Store, version: u64) -> anyhow::Result<VersionModels> {
    let files = store.model_files(version).await?;
    anyhow::ensure!(
        !files.is_empty(),
        "model version {version} has no files in the registry"
    );
    tokio::task::spawn_blocking(move || version_from_files(&files))
        .await?
        .with_context(|| format!("loading model version {version}"))
}
