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
}

impl std::fmt::Display for RetrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (version, status) = (self.version, self.status.as_str());
        write!(f, "model version {version} {status}: {}", self.decision)
    }
}

impl super::Report for RetrainReport {
    const JOB: &'static str = "retrain";
}
