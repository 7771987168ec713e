//! Recording a version trained outside the app (tools/spark/): `movierec
//! model import DIR`, and RetrainModel with `MOVIEREC_TRAINER=external`,
//! which imports the newest complete folder under `MOVIEREC_EXTERNAL_MODELS`
//! (a directory, or a Blob container it downloads the folder from) that it
//! has not imported before.
//!
//! The job's holdout figures go through the same gate as an in-process
//! retrain ([`super::evaluation::decide`]): a version is promoted only if its
//! lists beat the most-popular list and are not worse than the promoted
//! version's by more than the margin; RecommendAllUsers then publishes it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use movierec_store::{ModelRecord, ModelStatus};

use super::evaluation::decide;
use super::retrain::RetrainReport;
use super::{with_lease, JobOutcome, Skip};
use crate::handoff::model_folder;
use crate::models::{version_to_files, ModelMetrics};
use crate::settings::ExternalModels;
use crate::state::AppState;

/// The marker naming the last folder imported from MOVIEREC_EXTERNAL_MODELS.
const IMPORTED_MARKER: &str = "external-models:imported";

/// Imports one job output folder (under the job lease).
pub async fn import(state: &AppState, dir: &Path) -> anyhow::Result<JobOutcome<RetrainReport>> {
    let dir = dir.to_path_buf();
    with_lease(state, "import", move |state| async move {
        let shown = dir.display().to_string();
        import_folder(&state, &dir, &shown)
            .await
            .map(JobOutcome::Done)
    })
    .await
}

/// RetrainModel in external mode (called under the lease by the retrain job).
pub(super) async fn import_newest(
    state: &AppState,
    source: &ExternalModels,
) -> anyhow::Result<JobOutcome<RetrainReport>> {
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
) -> anyhow::Result<JobOutcome<RetrainReport>> {
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
    let report = import_folder(state, &newest, &newest.display().to_string()).await?;
    state.store.set_marker(IMPORTED_MARKER, Some(&name)).await?;
    Ok(JobOutcome::Done(report))
}

#[cfg(feature = "blob")]
async fn import_newest_blob(
    state: &AppState,
    url: &reqwest::Url,
    client_id: Option<&str>,
    shown: String,
) -> anyhow::Result<JobOutcome<RetrainReport>> {
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
    let local = tempfile::tempdir().context("a temporary folder for the downloaded model")?;
    let files = container.download(&name, local.path()).await?;
    tracing::info!(folder = %shown, files, "downloaded a model folder");
    let report = import_folder(state, local.path(), &shown).await?;
    state.store.set_marker(IMPORTED_MARKER, Some(&name)).await?;
    Ok(JobOutcome::Done(report))
}

#[cfg(not(feature = "blob"))]
async fn import_newest_blob(
    _state: &AppState,
    _url: &reqwest::Url,
    _client_id: Option<&str>,
    shown: String,
) -> anyhow::Result<JobOutcome<RetrainReport>> {
    anyhow::bail!(
        "MOVIEREC_EXTERNAL_MODELS is a Blob container ({shown}), but this build has no Blob support: build with the `blob` feature (on by default)"
    )
}

async fn already_imported(state: &AppState, name: &str) -> anyhow::Result<bool> {
    Ok(state.store.marker(IMPORTED_MARKER).await?.as_deref() == Some(name))
}

fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Reads the folder at `dir` and records it; `shown` names where it came from.
async fn import_folder(state: &AppState, dir: &Path, shown: &str) -> anyhow::Result<RetrainReport> {
    let source: PathBuf = dir.to_path_buf();
    let trained = tokio::task::spawn_blocking(move || model_folder::read(&source)).await??;
    let current = state.store.promoted_model().await?;
    let promoted = current
        .as_ref()
        .map(|c| (c.version, ModelMetrics::from_value(&c.metrics)));
    let (status, decision) = decide(
        &trained.metrics,
        promoted.as_ref().map(|(v, m)| (*v, m)),
        state.settings.promotion_margin,
    );
    let files = if status == ModelStatus::Promoted {
        version_to_files(&trained.models, &trained.extras)?
    } else {
        Vec::new()
    };
    let version = state.store.next_model_version().await?;
    let decision = format!("{decision} (trained outside the app: {shown})");
    let record = ModelRecord {
        version,
        created_at: chrono::Utc::now().timestamp(),
        status,
        decision: decision.clone(),
        params: trained.params.clone(),
        metrics: serde_json::Value::Object(trained.extras.metrics.clone()),
    };
    state
        .store
        .record_model(&record, &files)
        .await
        .context("recording the imported model version")?;
    tracing::info!(version, status = status.as_str(), %decision, "imported a model");
    Ok(RetrainReport {
        version,
        status,
        decision,
        metrics: trained.metrics,
    })
}
