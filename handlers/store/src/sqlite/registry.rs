//! The model registry: versions with their decision and figures, model files
//! as blobs, and the job lease.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{json_err, SqliteStore};
use crate::error::BoxError;
use crate::now_seconds;
use crate::traits::{ModelRegistry, Result};
use crate::types::*;
use crate::StoreError;
use crate::UnreadableModelRecord;

const JOB_LEASE: &str = "jobs";

type RawModelRow = (u64, i64, String, String, String, String);

fn raw_row(row: &rusqlite::Row) -> rusqlite::Result<RawModelRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn to_record(
    (version, created_at, status, decision, params, metrics): RawModelRow,
) -> Result<ModelRecord> {
    let corrupt = |source: BoxError| StoreError::corrupt("model registry", source);
    Ok(ModelRecord {
        version,
        created_at,
        status: ModelStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("version {version} has status {status:?}").into()))?,
        decision,
        params: serde_json::from_str(&params).map_err(|e| corrupt(e.into()))?,
        metrics: serde_json::from_str(&metrics)
            .map_err(|source| corrupt(UnreadableModelRecord { version, source }.into()))?,
    })
}

const SELECT_MODEL: &str =
    "SELECT version, created_at, status, decision, params, metrics FROM models";

#[async_trait]
impl ModelRegistry for SqliteStore {
    async fn next_model_version(&self) -> Result<u64> {
        self.run("pick the next model version", |conn| {
            conn.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM models",
                [],
                |r| r.get(0),
            )
        })
        .await
    }

    async fn record_model(&self, record: &ModelRecord, files: &[ModelFile]) -> Result<()> {
        let record = record.clone();
        let files = files.to_vec();
        self.write("record a model version", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM models WHERE version = ?1", [record.version])?;
            tx.execute(
                "INSERT INTO models (version, created_at, status, decision, params, metrics) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    record.version,
                    record.created_at,
                    record.status.as_str(),
                    record.decision,
                    serde_json::to_string(&record.params).map_err(json_err)?,
                    serde_json::to_string(&record.metrics).map_err(json_err)?
                ],
            )?;
            {
                let mut stmt = tx.prepare_cached("INSERT INTO model_files (version, path, bytes) VALUES (?1, ?2, ?3)")?;
                for f in &files {
                    stmt.execute(params![record.version, f.path, f.bytes])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn models(&self) -> Result<Vec<ModelRecord>> {
        let rows = self
            .run("list model versions", |conn| {
                let mut stmt =
                    conn.prepare_cached(&format!("{SELECT_MODEL} ORDER BY version DESC"))?;
                let rows = stmt.query_map([], raw_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        rows.into_iter().map(to_record).collect()
    }

    async fn promoted_model(&self) -> Result<Option<ModelRecord>> {
        let row = self
            .run("read the promoted model", |conn| {
                conn.query_row(
                    &format!(
                        "{SELECT_MODEL} WHERE status = 'promoted' ORDER BY version DESC LIMIT 1"
                    ),
                    [],
                    raw_row,
                )
                .optional()
            })
            .await?;
        row.map(to_record).transpose()
    }

    async fn model_files(&self, version: u64) -> Result<Vec<ModelFile>> {
        self.scan("read model files", move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT path, bytes FROM model_files WHERE version = ?1 ORDER BY path",
            )?;
            let rows = stmt.query_map([version], |r| {
                Ok(ModelFile {
                    path: r.get(0)?,
                    bytes: r.get(1)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn delete_model_files(&self, version: u64) -> Result<bool> {
        self.write("delete model files", move |conn| {
            conn.execute("DELETE FROM model_files WHERE version = ?1", [version])
                .map(|n| n > 0)
        })
        .await
    }

    async fn try_acquire_job_lease(&self, holder: &str, ttl: Duration) -> Result<bool> {
        let holder = holder.to_string();
        self.write("take the job lease", move |conn| {
            let now = now_seconds();
            let changed = conn.execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.expires_at <= ?4 OR leases.holder = excluded.holder",
                params![JOB_LEASE, holder, now + ttl.as_secs() as i64, now],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_job_lease(&self, holder: &str) -> Result<()> {
        let holder = holder.to_string();
        self.write("release the job lease", move |conn| {
            conn.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![JOB_LEASE, holder],
            )
            .map(|_| ())
        })
        .await
    }
}
