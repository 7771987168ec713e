//! What a retrain or an import reports: the version it recorded, whether it
//! was promoted, why, and its figures. Its own file so that the retrain (which
//! calls the imports in external mode) and the imports share it without
//! importing each other.

use movierec_store::ModelStatus;
use serde::Serialize;

use super::evaluation::ModelMetrics;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetrainReport {
    pub version: u64,
    pub status: ModelStatus,
    pub decision: String,
    pub metrics: ModelMetrics,
    /// The A/B arms with parameters of their own that this retrain trained
    /// (`super::arm_models`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arms: Vec<ArmVersion>,
}

/// An A/B arm's version, as a retrain recorded it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArmVersion {
    pub arm: String,
    pub version: u64,
    /// Its lists' NDCG@10 on the holdout the candidate was measured on.
    pub ndcg_at_k: Option<f64>,
}

impl std::fmt::Display for RetrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (version, status) = (self.version, self.status.as_str());
        write!(f, "model version {version} {status}: {}", self.decision)?;
        for arm in &self.arms {
            write!(f, "; A/B arm {} serves version {}", arm.arm, arm.version)?;
        }
        Ok(())
    }
}

impl super::Report for RetrainReport {
    const JOB: &'static str = "retrain";
}
