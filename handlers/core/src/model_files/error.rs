//! [`ModelFileError`]: why a model's files could not be written or read.
//!
//! Owns the error type only. A path in it is relative to the model (e.g.
//! `userFactors/part-00000-movierec.snappy.parquet`, or empty for the model as
//! a whole) while the files are in memory; the directory wrappers put the
//! directory in front ([`ModelFileError::within`]), so the messages name real
//! files.

use std::path::{Path, PathBuf};

/// Why a model's files could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{}: {source}", shown(.path))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid Parquet factor file: {source}", shown(.path))]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {reason}", shown(.path))]
    Invalid { path: PathBuf, reason: String },
}

/// An empty path is the model as a whole (its files in memory).
fn shown(path: &Path) -> std::path::Display<'_> {
    if path.as_os_str().is_empty() {
        Path::new("model files").display()
    } else {
        path.display()
    }
}

impl ModelFileError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parquet(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> Self + '_ {
        move |source| ModelFileError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(path: impl AsRef<Path>, reason: impl Into<String>) -> Self {
        ModelFileError::Invalid {
            path: path.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }

    /// The same error with its model-relative path placed under `dir` (the
    /// model as a whole becomes `dir` itself); absolute paths stay as they are.
    pub fn within(mut self, dir: &Path) -> Self {
        let (ModelFileError::Io { path, .. }
        | ModelFileError::Parquet { path, .. }
        | ModelFileError::Invalid { path, .. }) = &mut self;
        *path = if path.as_os_str().is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&*path)
        };
        self
    }
}
