//! The ratings file a run replays: read with `movierec_core`'s loader, with
//! a warning naming the first few rows skipped (`--on-error skip`). It reads
//! and warns only; the replay order is [`movierec_generate::source`]'s.

use std::path::Path;

use movierec_core::data::{load_ratings, LoadOptions, OnError, Ratings, RatingsFormat};
use movierec_core::NoProgress;

use super::error::CliError;

pub fn read_ratings(
    path: &Path,
    format: RatingsFormat,
    on_error: OnError,
) -> Result<Ratings, CliError> {
    let options = LoadOptions { format, on_error };
    let report = load_ratings(path, options, &NoProgress).map_err(|source| CliError::Load {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(warning) = report.skipped_warning(path) {
        eprintln!("{warning}");
    }
    Ok(report.ratings)
}
