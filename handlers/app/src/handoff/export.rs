//! `movierec export ratings`: the stored ratings (any backend) as Parquet
//! part files, the catalogue of the rated movies, and `params.json`, for a
//! training job outside the app.
//!
//! ```text
//! DIR/ratings/part-NNNNN.parquet   user int32, item int32, rating float, timestamp int64
//! DIR/movies/part-00000.parquet    id int32, title string, genres string
//! DIR/params.json                  the app's model parameters and holdout protocol
//! DIR/_SUCCESS                     written last
//! ```
//!
//! Memory is bounded: the store hands pages of ratings to a writer thread
//! through a channel of two pages, and the writer holds one row group. The
//! folder is written beside DIR and renamed into place, so a reader never
//! sees half an export.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use movierec_store::{RatingRecord, Store, StoreError};
use serde::Serialize;

use super::params::TrainingParams;
use super::{movies_parquet, ratings_parquet};
use crate::settings::Settings;

/// Movies asked of the catalogue per call.
const MOVIE_LOOKUP: usize = 1_000;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "{} exists and is not empty: give a new folder (an export is never written over another)",
        .out.display()
    )]
    NotEmpty { out: PathBuf },
    #[error("{} names no folder", .out.display())]
    NoFolderName { out: PathBuf },
    #[error("replacing empty {}", .out.display())]
    ReplaceEmpty {
        out: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("moving {} to {}", .from.display(), .to.display())]
    Move {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("creating {}", .dir.display())]
    Create {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the stored ratings")]
    ReadRatings(#[source] StoreError),
    #[error("reading the catalogue")]
    ReadCatalogue(#[source] StoreError),
    #[error(transparent)]
    Parquet(#[from] ratings_parquet::WriteError),
    #[error(transparent)]
    Params(#[from] serde_json::Error),
    #[error("writing {file}")]
    Write {
        file: &'static str,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub dir: PathBuf,
    pub ratings: u64,
    pub rating_parts: usize,
    pub movies: usize,
    pub seconds: f64,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exported {} ratings in {} part files and {} movies to {} in {:.1} s",
            self.ratings,
            self.rating_parts,
            self.movies,
            self.dir.display(),
            self.seconds
        )
    }
}

pub async fn export(
    store: &dyn Store,
    settings: &Settings,
    out: &Path,
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    if out.exists()
        && out
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(ExportError::NotEmpty {
            out: out.to_path_buf(),
        });
    }
    let name = out.file_name().ok_or_else(|| ExportError::NoFolderName {
        out: out.to_path_buf(),
    })?;
    let partial = out.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_into(store, settings, &partial).await;
    let (ratings, rating_parts, movies) = match result {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    if out.exists() {
        std::fs::remove_dir(out).map_err(|source| ExportError::ReplaceEmpty {
            out: out.to_path_buf(),
            source,
        })?;
    }
    std::fs::rename(&partial, out).map_err(|source| ExportError::Move {
        from: partial.clone(),
        to: out.to_path_buf(),
        source,
    })?;
    Ok(ExportReport {
        dir: out.to_path_buf(),
        ratings,
        rating_parts,
        movies,
        seconds: started.elapsed().as_secs_f64(),
    })
}

async fn write_into(
    store: &dyn Store,
    settings: &Settings,
    dir: &Path,
) -> Result<(u64, usize, usize), ExportError> {
    let ratings_dir = dir.join("ratings");
    let movies_dir = dir.join("movies");
    for d in [&ratings_dir, &movies_dir] {
        std::fs::create_dir_all(d).map_err(|source| ExportError::Create {
            dir: d.clone(),
            source,
        })?;
    }
    let (pages, received) = std::sync::mpsc::sync_channel::<Vec<RatingRecord>>(2);
    let writer = std::thread::spawn(
        move || -> Result<(u64, usize), ratings_parquet::WriteError> {
            let mut parts = ratings_parquet::PartWriter::new(&ratings_dir);
            for page in received {
                parts.push(page)?;
            }
            parts.finish()
        },
    );
    let mut movie_ids = BTreeSet::new();
    let mut writer_gone = false;
    let read = store
        .each_rating_page(&mut |page| {
            movie_ids.extend(page.iter().map(|r| r.movie));
            // A closed channel means the writer failed: its error is reported below.
            if !writer_gone && pages.send(page).is_err() {
                writer_gone = true;
            }
        })
        .await;
    drop(pages);
    let written = writer.join().expect("the Parquet writer does not panic");
    read.map_err(ExportError::ReadRatings)?;
    let (rows, parts) = written?;

    let ids: Vec<i32> = movie_ids.into_iter().collect();
    let mut movies = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MOVIE_LOOKUP) {
        let found = store
            .movies(chunk)
            .await
            .map_err(ExportError::ReadCatalogue)?;
        movies.extend(chunk.iter().filter_map(|id| found.get(id).cloned()));
    }
    let movies_file = movies_dir.join("part-00000.parquet");
    movies_parquet::write(&movies_file, &movies)?;

    let params = serde_json::to_string_pretty(&TrainingParams::from_settings(settings))?;
    std::fs::write(dir.join("params.json"), params).map_err(|source| ExportError::Write {
        file: "params.json",
        source,
    })?;
    std::fs::write(dir.join("_SUCCESS"), b"").map_err(|source| ExportError::Write {
        file: "_SUCCESS",
        source,
    })?;
    Ok((rows, parts, movies.len()))
}
