//! `movierec/model.json`: what movierec knows about a model beyond Spark's
//! layout. Spark never opens this folder, so it can hold anything.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ModelFileError;
use crate::als::AlsParams;
use crate::model::FactorLayout;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelExtras {
    /// Format version of this file.
    pub format: u32,
    pub layout: FactorLayout,
    /// Latent factors (the width minus 2 in the biased layout).
    pub latent_rank: usize,
    pub params: Option<AlsParams>,
    /// Free-form training and evaluation figures (`rmse`, `train_seconds`, ...).
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

const FILE: &str = "model.json";

impl ModelExtras {
    pub fn write(&self, dir: &Path) -> Result<(), ModelFileError> {
        fs::create_dir_all(dir).map_err(ModelFileError::io(dir))?;
        let path = dir.join(FILE);
        let mut value = self.clone();
        value.format = 1;
        let text = serde_json::to_string_pretty(&value).expect("extras serialise");
        fs::write(&path, text).map_err(ModelFileError::io(&path))
    }

    /// `Ok(None)` when the folder or file is absent (a model saved by Spark).
    pub fn read(dir: &Path) -> Result<Option<Self>, ModelFileError> {
        let path = dir.join(FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = fs::read_to_string(&path).map_err(ModelFileError::io(&path))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ModelFileError::invalid(&path, format!("not a movierec model.json: {e}")))
    }
}
