//! Retention, run at the end of each retrain and after new movies are
//! folded into a version (both under the job lease): dead letters and
//! impressions older than their retention settings are deleted, and the files of promoted
//! versions past the newest few are deleted (their records and metrics stay
//! in the history). The serving and the promoted versions, and a version
//! whose lists are being published, keep their files whatever their age. An
//! A/B arm's challenger versions keep their files while its marker names
//! them (`crate::models::arms`) or they are among the arm's newest few (an
//! instance may still be loading the one its marker named a moment ago); an
//! arm no longer in MOVIEREC_AB_TEST loses its marker, and then its versions'
//! files. A
//! failure here is logged and retried at the next run; it never fails the
//! job that ran it.

use std::collections::{BTreeMap, BTreeSet};

use movierec_store::ModelStatus;
use serde::Serialize;

use super::arm_models::arm_of;
use super::recommend_all::plan::PlanError;
use crate::models::arms::{arm_versions, forget_arm};
use crate::state::AppState;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HousekeepingReport {
    pub dead_letters_deleted: u64,
    /// Impressions past MOVIEREC_IMPRESSIONS_RETENTION_DAYS.
    pub served_lists_deleted: u64,
    /// Versions whose files were deleted by this run.
    pub model_files_deleted: Vec<u64>,
    /// A/B arms with parameters of their own that left the test: their
    /// markers were removed.
    pub arms_forgotten: Vec<String>,
}

pub async fn run(state: &AppState) -> Result<HousekeepingReport, PlanError> {
    let limits = &state.settings.limits;
    let mut report = HousekeepingReport::default();
    if let Some(retention) = limits.dead_letter_retention {
        let before = chrono::Utc::now().timestamp() - retention.as_secs() as i64;
        report.dead_letters_deleted = state.store.prune_dead_letters(before).await?;
    }
    let online = &state.settings.online;
    let before_ms =
        chrono::Utc::now().timestamp_millis() - online.impressions_retention.as_millis() as i64;
    report.served_lists_deleted = state.store.prune_served(before_ms).await?;
    let models = state.store.models().await?;
    // `models()` is newest first, so the first promoted ones are the newest,
    // the promoted version (the newest promoted) among them.
    let mut keep: BTreeSet<u64> = models
        .iter()
        .filter(|m| m.status == ModelStatus::Promoted)
        .take(limits.model_versions_kept.max(1))
        .map(|m| m.version)
        .collect();
    keep.extend(state.store.serving_version().await?);
    // A version still being published, though a newer one was promoted since.
    keep.extend(
        super::recommend_all::Plan::current(state.store.as_ref())
            .await?
            .map(|plan| plan.version),
    );
    let in_test: BTreeSet<String> = state
        .settings
        .ab_test
        .iter()
        .flat_map(|test| test.params_arms().map(|(name, _)| name.to_string()))
        .collect();
    let mut arm_kept: BTreeMap<String, usize> = BTreeMap::new();
    for m in &models {
        if let Some(arm) = arm_of(m).filter(|arm| in_test.contains(arm)) {
            let kept = arm_kept.entry(arm).or_default();
            if *kept < limits.model_versions_kept.max(1) {
                *kept += 1;
                keep.insert(m.version);
            }
        }
    }
    for (arm, version) in arm_versions(state.store.as_ref()).await? {
        if in_test.contains(&arm) {
            keep.insert(version);
        } else {
            forget_arm(state.store.as_ref(), &arm).await?;
            report.arms_forgotten.push(arm);
        }
    }
    // Oldest first.
    for m in models
        .iter()
        .rev()
        .filter(|m| matches!(m.status, ModelStatus::Promoted | ModelStatus::Challenger))
    {
        if !keep.contains(&m.version) && state.store.delete_model_files(m.version).await? {
            report.model_files_deleted.push(m.version);
        }
    }
    if report != HousekeepingReport::default() {
        tracing::info!(?report, "housekeeping");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use movierec_store::{DeadLetter, ModelFile, ModelRecord, SqliteStore, Store};

    use super::*;
    use crate::models::arms::set_arm_version;
    use crate::settings::Settings;

    fn record(version: u64, status: ModelStatus) -> ModelRecord {
        ModelRecord {
            version,
            created_at: version as i64,
            status,
            decision: String::new(),
            params: serde_json::json!({}),
            metrics: movierec_store::ModelMetrics::default(),
        }
    }

    /// A saved version's files, as few as the registry needs.
    fn model_files() -> [ModelFile; 1] {
        [ModelFile {
            path: "metadata/part-00000".into(),
            bytes: b"{}".to_vec(),
        }]
    }

    #[tokio::test]
    async fn old_files_and_letters_go_and_what_serves_stays() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let files = model_files();
        for v in 1..=6 {
            store
                .record_model(&record(v, ModelStatus::Promoted), &files)
                .await
                .unwrap();
        }
        store
            .record_model(&record(7, ModelStatus::Rejected), &[])
            .await
            .unwrap();
        // Instances still serve version 2.
        store.publish_recommendations(2).await.unwrap();
        let now = chrono::Utc::now().timestamp();
        let letter = |id: &str, age_days: i64| DeadLetter {
            id: id.into(),
            received_at: now - age_days * 86_400,
            reason: "bad".into(),
            raw: "x".into(),
            origin: Default::default(),
        };
        store
            .ingest(&[], &[letter("old", 31), letter("recent", 1)])
            .await
            .unwrap();
        let served = |user: i32, age_days: i64| movierec_store::ServedList {
            user,
            served_at_ms: (now - age_days * 86_400) * 1000,
            version: 2,
            source: "batch".into(),
            arm: String::new(),
            movies: vec![1, 2],
        };
        store
            .record_served(&[served(1, 31), served(2, 29)])
            .await
            .unwrap();
        let mut settings = Settings::for_tests(dir.path().to_path_buf());
        settings.limits.model_versions_kept = 3;
        settings.limits.dead_letter_retention = Some(Duration::from_secs(30 * 86_400));
        let state = AppState::new(settings, store.clone());
        let report = run(&state).await.unwrap();
        assert_eq!(report.model_files_deleted, vec![1, 3]);
        assert_eq!(report.dead_letters_deleted, 1);
        assert_eq!(report.served_lists_deleted, 1);
        let kept = store.served_since(0).await.unwrap();
        assert_eq!(kept.iter().map(|l| l.user).collect::<Vec<_>>(), [2]);
        for v in [2, 4, 5, 6] {
            assert_eq!(store.model_files(v).await.unwrap().len(), 1, "version {v}");
        }
        assert_eq!(store.models().await.unwrap().len(), 7, "records stay");
        assert_eq!(run(&state).await.unwrap(), HousekeepingReport::default());
    }

    fn challenger(version: u64, arm: &str) -> ModelRecord {
        ModelRecord {
            params: serde_json::json!({"arm": arm}),
            ..record(version, ModelStatus::Challenger)
        }
    }

    #[tokio::test]
    async fn an_arms_newest_versions_keep_their_files_until_it_leaves_the_test() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let files = model_files();
        store
            .record_model(&record(1, ModelStatus::Promoted), &files)
            .await
            .unwrap();
        for v in 2..=5 {
            store
                .record_model(&challenger(v, "small"), &files)
                .await
                .unwrap();
        }
        store
            .record_model(&challenger(6, "gone"), &files)
            .await
            .unwrap();
        set_arm_version(store.as_ref(), "small", 5).await.unwrap();
        set_arm_version(store.as_ref(), "gone", 6).await.unwrap();
        let mut settings = Settings::for_tests(dir.path().to_path_buf());
        settings.limits.model_versions_kept = 2;
        settings.ab_test = crate::settings::AbTest::parse(
            "model:1,small(rank=4):1",
            "s",
            &settings.ranking_params,
        )
        .unwrap();
        let state = AppState::new(settings, store.clone());
        let report = run(&state).await.unwrap();
        assert_eq!(report.arms_forgotten, ["gone"]);
        // small's newest two stay; older ones, and the arm that left, go
        assert_eq!(report.model_files_deleted, vec![2, 3, 6]);
        for v in [1, 4, 5] {
            assert_eq!(store.model_files(v).await.unwrap().len(), 1, "version {v}");
        }
        let marked = arm_versions(store.as_ref()).await.unwrap();
        assert_eq!(marked, [("small".to_string(), 5)]);
    }
}
