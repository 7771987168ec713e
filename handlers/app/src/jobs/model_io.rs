//! Moving model directories in and out of the registry: the core writes and
//! reads Spark's directory layout on disk, the store keeps its files.

use anyhow::Context;
use movierec_core::model::AlsModel;
use movierec_core::model_files::{load_model, save_model, ModelExtras};
use movierec_store::{ModelFile, Store};

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

/// Loads a registry version's model.
pub async fn load_model_version(store: &dyn Store, version: u64) -> anyhow::Result<AlsModel> {
    let files = store.model_files(version).await?;
    anyhow::ensure!(
        !files.is_empty(),
        "model version {version} has no files in the registry"
    );
    tokio::task::spawn_blocking(move || model_from_files(&files))
        .await?
        .with_context(|| format!("loading model version {version}"))
}
