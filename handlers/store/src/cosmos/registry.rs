//! The model registry and the job lease in Cosmos DB (`registry` container).
//!
//! Model records share the partition "models", so listing and "newest
//! promoted" are single-partition queries the server sorts. A model's files
//! are base64 pieces of at most [`CHUNK_CHARS`] characters in the partition
//! "files:v{version}" (a document may not exceed 2 MB); the record lists them.
//! Re-recording a version writes a new generation of pieces, then the record,
//! then deletes the old generation, so a reader never sees a mix.
//!
//! The lease is one document changed only with If-Match on the etag read, so
//! two instances cannot both take it.

use std::time::Duration;

use async_trait::async_trait;
use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use azure_data_cosmos::{FeedScope, Query};
use base64::Engine;

use super::documents::*;
use super::{corrupt, cosmos_error, CosmosStore};
use crate::now_seconds;
use crate::traits::{ModelRegistry, Result};
use crate::types::*;
use crate::UnreadableModelRecord;

/// Base64 characters per piece: 1.5 MB, under the 2 MB document limit with room for the envelope.
const CHUNK_CHARS: usize = 1_500_000;

async fn read_model(container: &ContainerClient, version: u64) -> Result<Option<ModelDoc>> {
    match container
        .read_item(MODELS_PK, &model_id(version), None)
        .await
    {
        Ok(read) => Ok(Some(model_doc(
            read.into_model()
                .map_err(|e| corrupt("a model record", e))?,
        )?)),
        Err(e) if e.status().is_not_found() => Ok(None),
        Err(e) => Err(cosmos_error("read a model record", e)),
    }
}

/// A model document read as JSON, typed here so that one that does not read
/// is an error naming its version.
fn model_doc(value: serde_json::Value) -> Result<ModelDoc> {
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    serde_json::from_value(value).map_err(|source| match version {
        Some(version) => corrupt("a model record", UnreadableModelRecord { version, source }),
        None => corrupt("a model record", source),
    })
}

fn if_match(etag: Option<&azure_core::http::Etag>) -> Option<ItemWriteOptions> {
    etag.map(|etag| {
        ItemWriteOptions::default().with_precondition(Precondition::if_match(etag.clone()))
    })
}

impl CosmosStore {
    /// The ids of every piece in a version's files partition.
    async fn file_piece_ids(&self, version: u64) -> Result<Vec<String>> {
        let pk = files_pk(version);
        Self::query_all(
            &self.inner.registry,
            "list model file pieces",
            Query::from("SELECT VALUE c.id FROM c WHERE c.pk = @pk")
                .with_parameter("@pk", &pk)
                .map_err(|e| cosmos_error("list model file pieces", e))?,
            FeedScope::partition(pk.clone()),
        )
        .await
    }

    /// Deletes pieces of a version's files (already gone is fine).
    async fn delete_file_pieces(&self, version: u64, ids: Vec<String>) -> Result<()> {
        let container = &self.inner.registry;
        let pk = files_pk(version);
        let pk_ref = &pk;
        self.each_concurrently("delete model file pieces", ids, |id| async move {
            match container.delete_item(pk_ref.clone(), &id, None).await {
                Ok(_) => Ok(()),
                Err(e) if e.status().is_not_found() => Ok(()),
                Err(e) => Err(cosmos_error("delete a model file piece", e)),
            }
        })
        .await?;
        Ok(())
    }
}

#[async_trait]
impl ModelRegistry for CosmosStore {
    async fn next_model_version(&self) -> Result<u64> {
        let newest: Vec<u64> = Self::query_all(
            &self.inner.registry,
            "find the newest model version",
            Query::from(
                "SELECT TOP 1 VALUE c.version FROM c WHERE c.pk = 'models' ORDER BY c.version DESC",
            ),
            FeedScope::partition(MODELS_PK),
        )
        .await?;
        Ok(newest.first().map_or(1, |v| v + 1))
    }

    async fn record_model(&self, record: &ModelRecord, files: &[ModelFile]) -> Result<()> {
        let container = &self.inner.registry;
        let version = record.version;
        let generation = format!(
            "g{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let pk = files_pk(version);
        let mut entries = Vec::with_capacity(files.len());
        let mut chunks = Vec::new();
        for (index, file) in files.iter().enumerate() {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
            let pieces: Vec<&str> = if encoded.is_empty() {
                vec![""]
            } else {
                encoded
                    .as_bytes()
                    .chunks(CHUNK_CHARS)
                    .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                    .collect()
            };
            entries.push(FileEntry {
                path: file.path.clone(),
                size: file.bytes.len(),
                chunks: pieces.len(),
            });
            for (c, piece) in pieces.into_iter().enumerate() {
                chunks.push(ChunkDoc {
                    id: chunk_id(version, &generation, index, c),
                    pk: pk.clone(),
                    data: piece.to_string(),
                });
            }
        }
        let pk_ref = &pk;
        self.each_concurrently("store model files", chunks, |chunk| async move {
            container
                .upsert_item(pk_ref.clone(), &chunk.id, &chunk, None)
                .await
                .map(|_| ())
                .map_err(|e| cosmos_error("store a model file piece", e))
        })
        .await?;
        let doc = ModelDoc {
            id: model_id(version),
            pk: MODELS_PK.into(),
            record: record.clone(),
            generation: generation.clone(),
            files: entries,
        };
        container
            .upsert_item(MODELS_PK, &doc.id, &doc, None)
            .await
            .map_err(|e| cosmos_error("store a model record", e))?;
        // Earlier generations of this version's files are no longer listed.
        let prefix = chunk_prefix(version, &generation);
        let stale: Vec<String> = self
            .file_piece_ids(version)
            .await?
            .into_iter()
            .filter(|id| !id.starts_with(&prefix))
            .collect();
        self.delete_file_pieces(version, stale).await
    }

    async fn models(&self) -> Result<Vec<ModelRecord>> {
        let docs: Vec<serde_json::Value> = Self::query_all(
            &self.inner.registry,
            "list model versions",
            Query::from("SELECT * FROM c WHERE c.pk = 'models' ORDER BY c.version DESC"),
            FeedScope::partition(MODELS_PK),
        )
        .await?;
        docs.into_iter()
            .map(|d| model_doc(d).map(|d| d.record))
            .collect()
    }

    async fn promoted_model(&self) -> Result<Option<ModelRecord>> {
        let docs: Vec<serde_json::Value> = Self::query_all(
            &self.inner.registry,
            "find the promoted model",
            Query::from(
                "SELECT TOP 1 * FROM c WHERE c.pk = 'models' AND c.status = 'promoted' ORDER BY c.version DESC",
            ),
            FeedScope::partition(MODELS_PK),
        )
        .await?;
        docs.into_iter()
            .next()
            .map(|d| model_doc(d).map(|d| d.record))
            .transpose()
    }

    async fn model_files(&self, version: u64) -> Result<Vec<ModelFile>> {
        let container = &self.inner.registry;
        let Some(doc) = read_model(container, version).await? else {
            return Ok(Vec::new());
        };
        let pk = files_pk(version);
        let pk_ref = &pk;
        let generation = &doc.generation;
        let mut files = Vec::with_capacity(doc.files.len());
        for (index, entry) in doc.files.iter().enumerate() {
            let pieces = self
                .each_concurrently(
                    "read model files",
                    (0..entry.chunks).collect(),
                    |c| async move {
                        let id = chunk_id(version, generation, index, c);
                        let read = container
                            .read_item(pk_ref.clone(), &id, None)
                            .await
                            .map_err(|e| cosmos_error("read a model file piece", e))?;
                        let chunk: ChunkDoc = read
                            .into_model()
                            .map_err(|e| corrupt("a model file piece", e))?;
                        Ok(chunk.data)
                    },
                )
                .await?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(pieces.concat())
                .map_err(|e| corrupt("a model file", e))?;
            if bytes.len() != entry.size {
                return Err(corrupt(
                    "a model file",
                    format!(
                        "{} of version {version} has {} bytes, its record says {}",
                        entry.path,
                        bytes.len(),
                        entry.size
                    ),
                ));
            }
            files.push(ModelFile {
                path: entry.path.clone(),
                bytes,
            });
        }
        Ok(files)
    }

    async fn delete_model_files(&self, version: u64) -> Result<bool> {
        let container = &self.inner.registry;
        let Some(mut doc) = read_model(container, version).await? else {
            return Ok(false);
        };
        let had_files = !doc.files.is_empty();
        if had_files {
            // The record first: from then on no reader looks for the pieces.
            doc.files.clear();
            container
                .upsert_item(MODELS_PK, &doc.id, &doc, None)
                .await
                .map_err(|e| cosmos_error("update a model record", e))?;
        }
        let pieces = self.file_piece_ids(version).await?;
        self.delete_file_pieces(version, pieces).await?;
        Ok(had_files)
    }

    async fn try_acquire_job_lease(&self, holder: &str, ttl: Duration) -> Result<bool> {
        let container = &self.inner.registry;
        let now = now_seconds();
        let doc = LeaseDoc {
            id: LEASE_ID.into(),
            pk: CONTROL_PK.into(),
            holder: holder.into(),
            expires_at: now + ttl.as_secs() as i64,
        };
        match container.read_item(CONTROL_PK, LEASE_ID, None).await {
            Err(e) if e.status().is_not_found() => {
                return match container
                    .create_item(CONTROL_PK, LEASE_ID, &doc, None)
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if e.status().is_conflict() => Ok(false), // another took it first
                    Err(e) => Err(cosmos_error("take the job lease", e)),
                };
            }
            Err(e) => Err(cosmos_error("read the job lease", e)),
            Ok(read) => {
                let etag = read.headers().etag().cloned();
                let current: LeaseDoc =
                    read.into_model().map_err(|e| corrupt("the job lease", e))?;
                if current.holder != holder && current.expires_at > now {
                    return Ok(false);
                }
                match container
                    .replace_item(CONTROL_PK, LEASE_ID, &doc, if_match(etag.as_ref()))
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if e.status().is_precondition_failed() || e.status().is_not_found() => {
                        Ok(false)
                    }
                    Err(e) => Err(cosmos_error("take the job lease", e)),
                }
            }
        }
    }

    async fn release_job_lease(&self, holder: &str) -> Result<()> {
        let container = &self.inner.registry;
        let read = match container.read_item(CONTROL_PK, LEASE_ID, None).await {
            Ok(read) => read,
            Err(e) if e.status().is_not_found() => return Ok(()),
            Err(e) => return Err(cosmos_error("read the job lease", e)),
        };
        let etag = read.headers().etag().cloned();
        let current: LeaseDoc = read.into_model().map_err(|e| corrupt("the job lease", e))?;
        if current.holder != holder {
            return Ok(());
        }
        match container
            .delete_item(CONTROL_PK, LEASE_ID, if_match(etag.as_ref()))
            .await
        {
            Ok(_) => Ok(()),
            // Taken over or released meanwhile: not ours to release any more.
            Err(e) if e.status().is_precondition_failed() || e.status().is_not_found() => Ok(()),
            Err(e) => Err(cosmos_error("release the job lease", e)),
        }
    }
}
