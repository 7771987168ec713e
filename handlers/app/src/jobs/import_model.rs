//! Recording a version trained outside the app (tools/spark/, or any Spark
//! ALS): `movierec model import DIR`, and RetrainModel with
//! `MOVIEREC_TRAINER=external`, which imports the newest complete folder
//! under `MOVIEREC_EXTERNAL_MODELS` (a directory, or a Blob container it
//! downloads the folder from) that it has not imported before (the
//! `external-models:imported` marker names the last one).
//!
//! A training job's folder (ranking/, rating/, _SUCCESS) carries its holdout
//! figures, which go through the gate ([`super::evaluation::decide`]). They
//! are on the job's own split, not the app's fixed holdout, and the job keeps
//! no evaluation fit, so the serving version cannot be scored beside them: a
//! job's version is promoted when its lists beat the most-popular list on
//! that split, and the decision says the serving version was not compared;
//! RecommendAllUsers then publishes it.
//!
//! A plain Spark `ALSModel` directory (what `model.write().save(DIR)`
//! writes, trained anywhere) has no holdout figures to gate on, so it is
//! recorded as promoted at the operator's word, with what the stored ratings
//! can say about it ([`super::import_plain`]); implicit or explicit, which
//! Spark's metadata does not record, is stated (`--explicit` /
//! `--implicit`, the command only) or inferred from the stored ratings. The
//! command takes one, and so does the external mode from a directory: one
//! is complete when metadata/, userFactors/ and itemFactors/ each have their
//! `_SUCCESS` ([`model_folder::newest_complete`]); if its kind cannot be
//! inferred the run fails, records nothing and leaves the marker alone. From
//! a Blob container the external mode imports job folders only.

use std::path::{Path, PathBuf};

use movierec_store::{ModelRecord, ModelStatus};

use super::evaluation::{decide, Champion};
use super::import_error::ImportError;
use super::import_plain::Via;
use super::retrain_report::RetrainReport;
use super::{JobOutcome, Skip};
use crate::handoff::model_folder::{self, Layout};
use crate::handoff::spark_model::Stated;
use crate::models::version_to_files;
use crate::settings::ExternalModels;
use crate::state::AppState;

/// The marker naming the last folder imported from MOVIEREC_EXTERNAL_MODELS.
const IMPORTED_MARKER: &str = "external-models:imported";

/// An import the operator asked for (`movierec model import DIR`): a job
/// output folder or a plain Spark `ALSModel` directory, and what they stated
/// about a plain model's kind (nothing, for a job's folder).
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub dir: PathBuf,
    pub stated: Stated,
}

/// The import itself; the runtime (`super::runtime`) runs it under the lease.
pub(super) async fn import_requested(
    state: AppState,
    request: ImportRequest,
) -> Result<JobOutcome<RetrainReport>, ImportError> {
    let ImportRequest { dir, stated } = request;
    let layout = model_folder::layout(&dir)?;
    if layout == Layout::JobFolder && !stated.is_empty() {
        return Err(ImportError::StatedForJobFolder { dir });
    }
    let report = match layout {
        Layout::JobFolder => import_folder(&state, &dir, &dir.display().to_string()).await,
        Layout::SparkModel => super::import_plain::import(&state, &dir, stated, Via::Command).await,
    };
    report.map(JobOutcome::Done)
}

/// RetrainModel in external mode (called under the lease by the retrain job).
pub(super) async fn import_newest(
    state: &AppState,
    source: &ExternalModels,
) -> Result<JobOutcome<RetrainReport>, ImportError> {
    match source {
        ExternalModels::Folder(root) => import_newest_folder(state, root).await,
        ExternalModels::Container { url, client_id } => {
            import_newest_blob(state, url, client_id.as_deref(), source.to_string()).await
        }
    }
}

async fn import_newest_folder(
    state: &AppState,
    root: &Path,
) -> Result<JobOutcome<RetrainReport>, ImportError> {
    let Some(newest) = model_folder::newest_complete(root)? else {
        return Ok(JobOutcome::Skipped {
            reason: Skip::NoExternalModel(root.display().to_string()),
        });
    };
    let name = folder_name(&newest);
    if already_imported(state, &name).await? {
        return Ok(JobOutcome::Skipped {
            reason: Skip::AlreadyImported(newest.display().to_string()),
        });
    }
    let report = match model_folder::layout(&newest)? {
        Layout::JobFolder => import_folder(state, &newest, &newest.display().to_string()).await?,
        Layout::SparkModel => {
            super::import_plain::import(state, &newest, Stated::default(), Via::ExternalMode)
                .await
                .map_err(|refusal| ImportError::ExternalPlainModel {
                    model: newest.clone(),
                    root: root.to_path_buf(),
                    source: Box::new(refusal),
                })?
        }
    };
    record_imported(state, &name).await?;
    Ok(JobOutcome::Done(report))
}

#[cfg(feature = "blob")]
async fn import_newest_blob(
    state: &AppState,
    url: &reqwest::Url,
    client_id: Option<&str>,
    shown: String,
) -> Result<JobOutcome<RetrainReport>, ImportError> {
    let container = crate::handoff::blob_models::BlobModels::connect(url, client_id, shown)?;
    let Some(name) = container.newest_complete().await? else {
        return Ok(JobOutcome::Skipped {
            reason: Skip::NoExternalModel(container.shown().to_string()),
        });
    };
    let shown = format!("{}/{name}", container.shown().trim_end_matches('/'));
    if already_imported(state, &name).await? {
        return Ok(JobOutcome::Skipped {
            reason: Skip::AlreadyImported(shown),
        });
    }
    let local = tempfile::tempdir().map_err(ImportError::TempDir)?;
    let files = container.download(&name, local.path()).await?;
    tracing::info!(folder = %shown, files, "downloaded a model folder");
    let report = import_folder(state, local.path(), &shown).await?;
    record_imported(state, &name).await?;
    Ok(JobOutcome::Done(report))
}

#[cfg(not(feature = "blob"))]
async fn import_newest_blob(
    _state: &AppState,
    _url: &reqwest::Url,
    _client_id: Option<&str>,
    shown: String,
) -> Result<JobOutcome<RetrainReport>, ImportError> {
    Err(ImportError::NoBlobSupport { shown })
}

async fn already_imported(state: &AppState, name: &str) -> Result<bool, ImportError> {
    let marker = state
        .store
        .marker(IMPORTED_MARKER)
        .await
        .map_err(ImportError::store(
            "reading the external-models:imported marker",
        ))?;
    Ok(marker.as_deref() == Some(name))
}

/// Names `name` as the last folder imported (once its version is recorded).
async fn record_imported(state: &AppState, name: &str) -> Result<(), ImportError> {
    state
        .store
        .set_marker(IMPORTED_MARKER, Some(name))
        .await
        .map_err(ImportError::store(
            "recording the external-models:imported marker",
        ))
}

fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Reads the job folder at `dir` and records it through the gate; `shown`
/// names where it came from.
async fn import_folder(
    state: &AppState,
    dir: &Path,
    shown: &str,
) -> Result<RetrainReport, ImportError> {
    let source: PathBuf = dir.to_path_buf();
    let trained = tokio::task::spawn_blocking(move || model_folder::read(&source)).await??;
    let current = state
        .store
        .promoted_model()
        .await
        .map_err(ImportError::store("reading the promoted model version"))?;
    // The job measured on its own split: the serving version's figures are
    // on another holdout, so only the most-popular list can gate it.
    let champion = match &current {
        Some(c) => Champion::Incomparable {
            version: c.version,
            why: "a job trained outside the app measures on its own holdout",
        },
        None => Champion::None,
    };
    let (status, decision) = decide(&trained.metrics, champion, state.settings.promotion_margin);
    let files = if status == ModelStatus::Promoted {
        version_to_files(&trained.models, &trained.extras)?
    } else {
        Vec::new()
    };
    let version = state
        .store
        .next_model_version()
        .await
        .map_err(ImportError::store("numbering the imported model version"))?;
    let decision = format!("{decision} (trained outside the app: {shown})");
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status,
        decision: decision.clone(),
        params: trained.params.clone(),
        metrics: trained.metrics.clone(),
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .map_err(ImportError::store("recording the imported model version"))?;
    tracing::info!(version, status = status.as_str(), %decision, "imported a model");
    Ok(RetrainReport {
        version,
        status,
        decision,
        metrics: trained.metrics,
        arms: Vec::new(),
    })
}
