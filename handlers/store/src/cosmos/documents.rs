//! The JSON documents kept in each container, and their ids. Field names are
//! short because every byte of a document is stored, indexed or not, and
//! RU charges grow with document size.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::*;

/// Cosmos ids may not contain '/', '\\', '?' or '#'; these never do.
pub fn rating_id(user: i32, movie: i32) -> String {
    format!("{user}:{movie}")
}

pub fn movie_id(movie: i32) -> String {
    movie.to_string()
}

pub const MODELS_PK: &str = "models";
pub const POPULAR_PK: &str = "popular";
pub const CONTROL_PK: &str = "control";
pub const SERVING_ID: &str = "serving";
pub const LEASE_ID: &str = "job-lease";

pub fn model_id(version: u64) -> String {
    format!("v{version}")
}

pub fn files_pk(version: u64) -> String {
    format!("files:v{version}")
}

/// Pieces of one recording of a version's files share this prefix.
pub fn chunk_prefix(version: u64, generation: &str) -> String {
    format!("v{version}:{generation}:")
}

pub fn chunk_id(version: u64, generation: &str, file: usize, chunk: usize) -> String {
    format!("{}f{file}:c{chunk}", chunk_prefix(version, generation))
}

pub fn popular_id(version: u64) -> String {
    format!("popular:v{version}")
}

/// A rating: `ratings` container, partition `user`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RatingDoc {
    pub id: String,
    pub user: i32,
    pub movie: i32,
    pub rating: f32,
    pub ts: i64,
}

impl From<&RatingRecord> for RatingDoc {
    fn from(r: &RatingRecord) -> Self {
        RatingDoc {
            id: rating_id(r.user, r.movie),
            user: r.user,
            movie: r.movie,
            rating: r.rating,
            ts: r.timestamp,
        }
    }
}

/// What the training scan projects from a rating: no id, no system fields.
#[derive(Debug, Deserialize)]
pub struct RatingRow {
    pub user: i32,
    pub movie: i32,
    pub rating: f32,
    pub ts: i64,
}

impl From<RatingRow> for RatingRecord {
    fn from(r: RatingRow) -> Self {
        RatingRecord {
            user: r.user,
            movie: r.movie,
            rating: r.rating,
            timestamp: r.ts,
        }
    }
}

/// A dead letter: `deadletters` container, partition `id`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeadLetterDoc {
    pub id: String,
    pub received_at: i64,
    pub reason: String,
    pub raw: String,
    pub origin: EventOrigin,
}

impl From<&DeadLetter> for DeadLetterDoc {
    fn from(d: &DeadLetter) -> Self {
        DeadLetterDoc {
            id: d.id.clone(),
            received_at: d.received_at,
            reason: d.reason.clone(),
            raw: d.raw.clone(),
            origin: d.origin.clone(),
        }
    }
}

impl From<DeadLetterDoc> for DeadLetter {
    fn from(d: DeadLetterDoc) -> Self {
        DeadLetter {
            id: d.id,
            received_at: d.received_at,
            reason: d.reason,
            raw: d.raw,
            origin: d.origin,
        }
    }
}

/// A movie: `movies` container, partition `id` (the movie id as a string).
#[derive(Debug, Serialize, Deserialize)]
pub struct MovieDoc {
    pub id: String,
    pub movie: i32,
    pub title: String,
    pub genres: Vec<String>,
    /// Absent in documents written before movies could be hidden.
    #[serde(default)]
    pub hidden: bool,
}

/// One file of a model version, as listed in its [`ModelDoc`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: usize,
    pub chunks: usize,
}

/// A model version: `registry` container, partition "models". The record's
/// fields sit at the top level of the document (the queries sort on `version`
/// and filter on `status`).
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelDoc {
    pub id: String,
    pub pk: String,
    #[serde(flatten)]
    pub record: ModelRecord,
    /// Which recording of the files the entries refer to (see registry.rs).
    pub generation: String,
    pub files: Vec<FileEntry>,
}

/// A piece of a model file (base64): `registry`, partition "files:v{version}".
/// Pieces keep every document well under Cosmos DB's 2 MB limit.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChunkDoc {
    pub id: String,
    pub pk: String,
    pub data: String,
}

/// A published-version pointer or a popular list.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServingDoc {
    pub id: String,
    pub pk: String,
    pub version: u64,
    /// The version served before, whose lists are kept one more publication
    /// so instances with a cached pointer still find them.
    pub previous: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PopularDoc {
    pub id: String,
    pub pk: String,
    pub version: u64,
    pub items: Vec<RecommendedItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LeaseDoc {
    pub id: String,
    pub pk: String,
    pub holder: String,
    pub expires_at: i64,
}

/// A marker: `registry`, partition "control", id "marker:{name}".
#[derive(Debug, Serialize, Deserialize)]
pub struct MarkerDoc {
    pub id: String,
    pub pk: String,
    pub value: String,
}

pub fn marker_id(name: &str) -> String {
    format!("marker:{name}")
}

/// A user's serving document: `recommendations`, partition `user`, id
/// `"{user}:mark"` (the id it had when it held only the mark). It holds the
/// user's rating mark (`mark`, set by ingest) and the user's lists of the kept
/// versions (`lists["v{version}"]`, put by the shards), so a GET is one point
/// read. It has no top-level `version`: the clean-up of the older layout, one
/// document per list (`IS_DEFINED(c.version)`), never matches it.
#[derive(Debug, Serialize, Deserialize)]
pub struct UserDoc {
    pub id: String,
    pub user: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<i64>,
    #[serde(default)]
    pub lists: BTreeMap<String, ListEntry>,
}

/// One version's list inside a [`UserDoc`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListEntry {
    pub version: u64,
    pub generated_at: i64,
    pub items: Vec<RecommendedItem>,
    /// The user's rating mark when the list was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_mark: Option<i64>,
}

impl ListEntry {
    pub fn of(list: &UserRecommendations, version: u64) -> Self {
        ListEntry {
            version,
            generated_at: list.generated_at,
            items: list.items.clone(),
            rating_mark: list.rating_mark,
        }
    }

    pub fn into_list(self, user: i32) -> UserRecommendations {
        UserRecommendations {
            user,
            version: self.version,
            generated_at: self.generated_at,
            items: self.items,
            rating_mark: self.rating_mark,
        }
    }
}

/// The key of `version`'s list in [`UserDoc::lists`].
pub fn list_key(version: u64) -> String {
    format!("v{version}")
}

pub fn user_doc_id(user: i32) -> String {
    format!("{user}:mark")
}
