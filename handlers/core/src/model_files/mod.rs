//! Model directories in Spark ML's `ALSModel` layout.
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
//! [`save_model`] writes that layout (into a temporary sibling, then renamed, so a
//! reader never sees half a model); [`load_model`] reads it back, and also reads
//! directories written by Spark, with any number of part files.

mod extras;
mod factors;
mod metadata;

use std::fs;
use std::path::{Path, PathBuf};

pub use extras::ModelExtras;

use crate::model::{AlsModel, FactorLayout};

/// Why a model directory could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid Parquet factor file: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl ModelFileError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        ModelFileError::Invalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// Writes `model` to `dir` in Spark's layout, replacing what was there.
pub fn save_model(
    model: &AlsModel,
    extras: &ModelExtras,
    dir: &Path,
) -> Result<(), ModelFileError> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(ModelFileError::io(parent))?;
    let name = dir
        .file_name()
        .ok_or_else(|| ModelFileError::invalid(dir, "model path has no final component"))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(ModelFileError::io(&tmp))?;
    }
    write_layout(model, extras, &tmp)?;
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(ModelFileError::io(dir))?;
    }
    fs::rename(&tmp, dir).map_err(ModelFileError::io(dir))?;
    Ok(())
}

fn write_layout(model: &AlsModel, extras: &ModelExtras, dir: &Path) -> Result<(), ModelFileError> {
    metadata::write(&dir.join("metadata"), model.width())?;
    factors::write(
        &dir.join("userFactors"),
        model.users.ids(),
        &model.user_factors,
    )?;
    factors::write(
        &dir.join("itemFactors"),
        model.items.ids(),
        &model.item_factors,
    )?;
    let mut extras = extras.clone();
    extras.layout = model.layout;
    extras.latent_rank = model.latent_rank();
    extras.params = model.params.clone();
    extras.write(&dir.join("movierec"))
}

/// Reads a model directory written by movierec or by Spark.
pub fn load_model(dir: &Path) -> Result<(AlsModel, ModelExtras), ModelFileError> {
    if !dir.is_dir() {
        return Err(ModelFileError::invalid(
            dir,
            "no such model directory (train one with `movierec train --save DIR`)",
        ));
    }
    let rank = metadata::read_rank(&dir.join("metadata"))?;
    let (users, user_factors) = factors::read(&dir.join("userFactors"), rank)?;
    let (items, item_factors) = factors::read(&dir.join("itemFactors"), rank)?;
    let extras = ModelExtras::read(&dir.join("movierec"))?.unwrap_or_default();
    if extras.layout == FactorLayout::Biased && rank < 3 {
        return Err(ModelFileError::invalid(
            dir,
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

#[cfg(test)]
mod tests;
