//! Changes to movies while the app runs: the patches `POST /movies` carries.
//!
//! A patch names a movie by `movie_id` and states only what changes
//! (`title`, `genres`, `hidden`); what it leaves out keeps its stored value.
//! A new movie needs a title. Each patch is checked on its own: a bad one is
//! answered with its place in the array and why, and the good ones are
//! stored. Patches of one id apply in order. A patch that changes nothing
//! writes nothing, so sending the same body twice moves the catalogue's
//! revision once.

use std::collections::HashMap;

use movierec_store::{Movie, Store, StoreError};
use serde::{Deserialize, Serialize};

use super::files::MAX_TITLE_CHARS;

/// The most patches one request may carry.
pub const MAX_PATCHES: usize = 1_000;
/// The most genres a movie may have, and the longest genre name.
const MAX_GENRES: usize = 30;
const MAX_GENRE_CHARS: usize = 100;

/// One movie's change, as the body spells it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoviePatch {
    pub movie_id: i32,
    pub title: Option<String>,
    pub genres: Option<Vec<String>>,
    pub hidden: Option<bool>,
}

/// A patch that was not applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// Its place in the body's array, from 0.
    pub index: usize,
    pub movie_id: Option<i32>,
    pub error: String,
}

/// What a request's patches did.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PatchOutcome {
    /// Movies new to the catalogue.
    pub added: usize,
    /// Stored movies the patches changed.
    pub changed: usize,
    /// Movies the patches left as they were.
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
}

/// A body's patches: the readable ones with their places in the array, and
/// the unreadable ones, rejected.
#[derive(Debug, Default)]
pub struct ReadPatches {
    pub patches: Vec<(usize, MoviePatch)>,
    pub rejected: Vec<Rejected>,
}

/// Why a body cannot be read as patches at all.
#[derive(Debug, thiserror::Error)]
pub enum PatchBodyError {
    #[error("the body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("the body is not an array of movie patches")]
    NotArray,
    #[error("the body holds {0} patches, over the limit of {MAX_PATCHES}")]
    TooMany(usize),
}

/// The body's patches, each read on its own.
pub fn read_patches(body: &[u8]) -> Result<ReadPatches, PatchBodyError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(PatchBodyError::NotJson)?;
    let serde_json::Value::Array(items) = value else {
        return Err(PatchBodyError::NotArray);
    };
    if items.len() > MAX_PATCHES {
        return Err(PatchBodyError::TooMany(items.len()));
    }
    let mut patches = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let movie_id = item
            .get("movie_id")
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok());
        match serde_json::from_value::<MoviePatch>(item) {
            Ok(patch) => match check(&patch) {
                Ok(()) => patches.push((index, patch)),
                Err(error) => rejected.push(Rejected {
                    index,
                    movie_id,
                    error,
                }),
            },
            Err(e) => rejected.push(Rejected {
                index,
                movie_id,
                error: format!("not a movie patch: {e}"),
            }),
        }
    }
    Ok(ReadPatches { patches, rejected })
}

/// A patch's own values: a title of 1 to 500 characters, genres of 1 to
/// 100 characters (at most 30), no `|` (the catalogue files' separator).
fn check(patch: &MoviePatch) -> Result<(), String> {
    if let Some(title) = &patch.title {
        let chars = title.trim().chars().count();
        if chars == 0 || chars > MAX_TITLE_CHARS {
            return Err(format!(
                "title must have 1 to {MAX_TITLE_CHARS} characters, it has {chars}"
            ));
        }
    }
    if let Some(genres) = &patch.genres {
        if genres.len() > MAX_GENRES {
            return Err(format!("at most {MAX_GENRES} genres, not {}", genres.len()));
        }
        for genre in genres {
            let chars = genre.trim().chars().count();
            if chars == 0 || chars > MAX_GENRE_CHARS || genre.contains('|') {
                return Err(format!(
                    "genre {:?} must have 1 to {MAX_GENRE_CHARS} characters and no '|'",
                    genre.chars().take(40).collect::<String>()
                ));
            }
        }
    }
    Ok(())
}

/// Applies the readable patches (see the module doc); the unreadable ones
/// are answered beside the rest.
pub async fn apply_patches(
    store: &dyn Store,
    read: ReadPatches,
) -> Result<PatchOutcome, StoreError> {
    let ReadPatches {
        patches,
        mut rejected,
    } = read;
    let mut ids: Vec<i32> = patches.iter().map(|(_, p)| p.movie_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let stored = store.movies(&ids).await?;
    let mut merged: HashMap<i32, Movie> = HashMap::new();
    for (index, patch) in patches {
        let current = merged
            .get(&patch.movie_id)
            .or_else(|| stored.get(&patch.movie_id))
            .cloned();
        let mut movie = match (current, &patch.title) {
            (Some(movie), _) => movie,
            (None, Some(title)) => Movie {
                id: patch.movie_id,
                title: title.clone(),
                genres: Vec::new(),
                hidden: false,
            },
            (None, None) => {
                rejected.push(Rejected {
                    index,
                    movie_id: Some(patch.movie_id),
                    error: format!(
                        "movie {} is not in the catalogue: a new movie needs a title",
                        patch.movie_id
                    ),
                });
                continue;
            }
        };
        if let Some(title) = patch.title {
            movie.title = title.trim().to_string();
        }
        if let Some(genres) = patch.genres {
            movie.genres = genres.iter().map(|g| g.trim().to_string()).collect();
        }
        if let Some(hidden) = patch.hidden {
            movie.hidden = hidden;
        }
        merged.insert(movie.id, movie);
    }
    let mut outcome = PatchOutcome::default();
    let mut writes = Vec::new();
    for (id, movie) in merged {
        match stored.get(&id) {
            None => outcome.added += 1,
            Some(before) if *before == movie => {
                outcome.unchanged += 1;
                continue;
            }
            Some(_) => outcome.changed += 1,
        }
        writes.push(movie);
    }
    writes.sort_by_key(|m| m.id);
    if !writes.is_empty() {
        store.upsert_movies(&writes).await?;
    }
    rejected.sort_by_key(|r| r.index);
    outcome.rejected = rejected;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_patch_is_read_on_its_own() {
        let body = br#"[
            {"movie_id": 1, "hidden": true},
            {"movie_id": 2, "title": "  "},
            {"movie_id": "x"},
            {"movie_id": 3, "colour": "red"},
            {"movie_id": 4, "title": "New", "genres": ["Drama", "A|B"]},
            {"movie_id": 5, "title": "Fine", "genres": ["Drama"]}
        ]"#;
        let ReadPatches {
            patches: ok,
            rejected,
        } = read_patches(body).unwrap();
        assert_eq!(ok.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 5]);
        let why: Vec<(usize, Option<i32>)> =
            rejected.iter().map(|r| (r.index, r.movie_id)).collect();
        assert_eq!(why, [(1, Some(2)), (2, None), (3, Some(3)), (4, Some(4))]);
        assert!(rejected[0].error.contains("title"), "{rejected:?}");
        assert!(rejected[2].error.contains("colour"), "{rejected:?}");
        assert!(rejected[3].error.contains("'|'"), "{rejected:?}");
    }

    #[test]
    fn a_body_that_is_not_an_array_of_patches_is_refused_whole() {
        assert!(matches!(
            read_patches(b"{"),
            Err(PatchBodyError::NotJson(_))
        ));
        assert!(matches!(
            read_patches(br#"{"movie_id":1}"#),
            Err(PatchBodyError::NotArray)
        ));
        let many = format!("[{}]", vec![r#"{"movie_id":1}"#; MAX_PATCHES + 1].join(","));
        assert!(matches!(
            read_patches(many.as_bytes()),
            Err(PatchBodyError::TooMany(1001))
        ));
    }
}
