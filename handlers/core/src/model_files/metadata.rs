//! `metadata/part-00000`: the one JSON line Spark's `DefaultParamsReader` reads.
//!
//! Only params that `ALSModel` itself declares may appear in `paramMap`
//! (training params such as regParam belong to the estimator and would make
//! Spark's loader fail), so movierec's own params go in `movierec/model.json`.

use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::ModelFileError;

pub const ALS_MODEL_CLASS: &str = "org.apache.spark.ml.recommendation.ALSModel";
/// The Spark version whose layout this mirrors (checked against pyspark 4.0.1).
const SPARK_VERSION: &str = "4.0.1";

pub fn write(dir: &Path, rank: usize) -> Result<(), ModelFileError> {
    fs::create_dir_all(dir).map_err(ModelFileError::io(dir))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let line = json!({
        "class": ALS_MODEL_CLASS,
        "timestamp": now as u64,
        "sparkVersion": SPARK_VERSION,
        "uid": format!("ALS_movierec{:012x}", now as u64 & 0xffff_ffff_ffff),
        "paramMap": {"blockSize": 4096},
        "defaultParamMap": {
            "blockSize": 4096,
            "predictionCol": "prediction",
            "coldStartStrategy": "nan",
            "userCol": "user",
            "itemCol": "item"
        },
        "rank": rank
    });
    let path = dir.join("part-00000");
    fs::write(&path, format!("{line}\n")).map_err(ModelFileError::io(&path))?;
    let success = dir.join("_SUCCESS");
    fs::write(&success, b"").map_err(ModelFileError::io(&success))
}

/// Reads the metadata line (from whichever `part-*` file Spark wrote) and returns the rank.
pub fn read_rank(dir: &Path) -> Result<usize, ModelFileError> {
    let files = super::factors::part_files(dir)?;
    let path = files.first().ok_or_else(|| {
        ModelFileError::invalid(
            dir,
            "no part file in metadata/: not a Spark model directory",
        )
    })?;
    let text = fs::read_to_string(path).map_err(ModelFileError::io(path))?;
    let line = text.lines().next().unwrap_or("");
    let meta: Value = serde_json::from_str(line)
        .map_err(|e| ModelFileError::invalid(path, format!("metadata is not JSON: {e}")))?;
    let class = meta["class"].as_str().unwrap_or("");
    if class != ALS_MODEL_CLASS {
        return Err(ModelFileError::invalid(
            path,
            format!("class is {class:?}, expected {ALS_MODEL_CLASS}"),
        ));
    }
    meta["rank"]
        .as_u64()
        .filter(|&r| r > 0)
        .map(|r| r as usize)
        .ok_or_else(|| ModelFileError::invalid(path, "metadata has no positive integer \"rank\""))
}
