//! Model files in Spark ML's `ALSModel` layout, in memory or in a directory.
//!
//! ```text
//! MODEL/
//!   metadata/part-00000      one JSON line: class, timestamp, sparkVersion, uid,
//!                            paramMap, defaultParamMap, rank
//!   userFactors/part-*.parquet   id: int32, features: list<float>
//!   itemFactors/part-*.parquet
//!   movierec/model.json      movierec's extras (layout, params, metrics); Spark ignores it
//! ```
//!
//! The layout is made and read in memory, as [`ModelFiles`] (each file's
//! bytes under its relative path): [`save_model_files`] turns a model into
//! them, [`load_model_files`] reads them back, also when Spark wrote them, with
//! any number of part files. The app keeps these buffers in its model
//! registry. [`save_model`] and [`load_model`] are the same through a
//! directory, for the command line and Spark: `save_model` writes into a
//! temporary sibling, then renames it, so a reader never sees half a model.
//! [`read_spark_metadata`] reads what the metadata line says (Spark version,
//! rank, the params ALSModel keeps), and [`unfinished_folders`] which of the
//! three folders lack the `_SUCCESS` Spark writes into each when it is done.
//!
//! Owns the file formats and the directory round trip (`memory.rs`); one file
//! per part of the layout (`metadata.rs`, `factors.rs`, `extras.rs`), none of
//! which touches the file system. It must not train or change a model, and
//! must not know where the app stores the buffers.

mod error;
mod extras;
mod factors;
mod memory;
mod metadata;

use std::path::Path;

pub use error::ModelFileError;
pub use extras::ModelExtras;
pub use memory::ModelFiles;
pub use metadata::SparkMetadata;

use crate::model::{AlsModel, FactorLayout};

/// `model` in Spark's layout, in memory: its metadata and factor files, and
/// `extras` with the model's layout, latent rank and params filled in.
pub fn save_model_files(
    model: &AlsModel,
    extras: &ModelExtras,
) -> Result<ModelFiles, ModelFileError> {
    let mut files = ModelFiles::new();
    metadata::write(&mut files, model.width());
    factors::write(
        &mut files,
        "userFactors",
        model.users.ids(),
        &model.user_factors,
    )?;
    factors::write(
        &mut files,
        "itemFactors",
        model.items.ids(),
        &model.item_factors,
    )?;
    let mut extras = extras.clone();
    extras.layout = model.layout;
    extras.latent_rank = model.latent_rank();
    extras.params = model.params.clone();
    extras.write(&mut files);
    Ok(files)
}

/// Reads a model from its files, written by movierec or by Spark. Files it
/// does not read (`_SUCCESS`, Spark's `.crc` files) are ignored. Consumes
/// `files`: the Parquet reader takes the factor buffers over without a copy.
pub fn load_model_files(mut files: ModelFiles) -> Result<(AlsModel, ModelExtras), ModelFileError> {
    files.check_paths()?;
    let rank = metadata::read(&files)?.rank;
    let (users, user_factors) = factors::read(&mut files, "userFactors", rank)?;
    let (items, item_factors) = factors::read(&mut files, "itemFactors", rank)?;
    let extras = ModelExtras::read(&files)?.unwrap_or_default();
    if extras.layout == FactorLayout::Biased && rank < 3 {
        return Err(ModelFileError::invalid(
            "",
            format!("biased layout needs rank >= 3, metadata says {rank}"),
        ));
    }
    let model = AlsModel::new(
        users,
        items,
        user_factors,
        item_factors,
        extras.layout,
        extras.params.clone(),
    );
    Ok((model, extras))
}

/// Writes `model` to `dir` in Spark's layout, replacing what was there.
pub fn save_model(
    model: &AlsModel,
    extras: &ModelExtras,
    dir: &Path,
) -> Result<(), ModelFileError> {
    save_model_files(model, extras)
        .map_err(|e| e.within(dir))?
        .write_dir(dir)
}

/// Reads a model directory written by movierec or by Spark.
pub fn load_model(dir: &Path) -> Result<(AlsModel, ModelExtras), ModelFileError> {
    if !dir.is_dir() {
        return Err(ModelFileError::invalid(
            dir,
            "no such model directory (train one with `movierec train --save DIR`)",
        ));
    }
    load_model_files(ModelFiles::read_dir(dir)?).map_err(|e| e.within(dir))
}

/// Reads only the metadata line of the model directory `dir` (written by
/// movierec or by Spark): what it says about the model's provenance and params.
pub fn read_spark_metadata(dir: &Path) -> Result<SparkMetadata, ModelFileError> {
    let folder = dir.join(metadata::FOLDER);
    if !folder.is_dir() {
        return Err(ModelFileError::invalid(
            dir,
            "no metadata/ folder: not a Spark model directory",
        ));
    }
    let files: ModelFiles = ModelFiles::read_dir(&folder)?
        .into_iter()
        .map(|(path, bytes)| (format!("{}/{path}", metadata::FOLDER), bytes))
        .collect();
    metadata::read(&files).map_err(|e| e.within(dir))
}

/// The folders of the layout, in the order Spark writes them.
pub const LAYOUT_FOLDERS: [&str; 3] = [metadata::FOLDER, "userFactors", "itemFactors"];

/// The folders of [`LAYOUT_FOLDERS`] in `dir` without Spark's `_SUCCESS`
/// marker (absent, or still being written); empty when the model is complete.
pub fn unfinished_folders(dir: &Path) -> Vec<&'static str> {
    LAYOUT_FOLDERS
        .into_iter()
        .filter(|folder| !dir.join(folder).join("_SUCCESS").is_file())
        .collect()
}

#[cfg(test)]
mod tests;
