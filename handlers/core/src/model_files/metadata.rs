//! `metadata/part-00000`: the one JSON line Spark's `DefaultParamsReader` reads.
//!
//! Only params that `ALSModel` itself declares may appear in `paramMap`
//! (training params such as regParam belong to the estimator and would make
//! Spark's loader fail), so movierec's own params go in `movierec/model.json`.
//! Owns this file's bytes only; it must not touch the file system.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::{ModelFileError, ModelFiles};

pub const ALS_MODEL_CLASS: &str = "org.apache.spark.ml.recommendation.ALSModel";
/// The Spark version whose layout this mirrors (checked against pyspark 4.0.1).
const SPARK_VERSION: &str = "4.0.1";
const FOLDER: &str = "metadata";

/// Adds `metadata/part-00000` and Spark's `_SUCCESS` marker.
pub fn write(files: &mut ModelFiles, rank: usize) {
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
    files.insert(
        format!("{FOLDER}/part-00000"),
        format!("{line}\n").into_bytes(),
    );
    files.insert(format!("{FOLDER}/_SUCCESS"), Vec::new());
}

/// Reads the metadata line (from whichever `part-*` file Spark wrote) and returns the rank.
pub fn read_rank(files: &ModelFiles) -> Result<usize, ModelFileError> {
    let path = files.part_files(FOLDER).into_iter().next().ok_or_else(|| {
        ModelFileError::invalid(
            FOLDER,
            "no part file in metadata/: not a Spark model directory",
        )
    })?;
    let bytes = files.get(&path).expect("listed files exist");
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ModelFileError::invalid(&path, format!("metadata is not UTF-8 text: {e}")))?;
    let line = text.lines().next().unwrap_or("");
    let meta: Value = serde_json::from_str(line)
        .map_err(|e| ModelFileError::invalid(&path, format!("metadata is not JSON: {e}")))?;
    let class = meta["class"].as_str().unwrap_or("");
    if class != ALS_MODEL_CLASS {
        return Err(ModelFileError::invalid(
            &path,
            format!("class is {class:?}, expected {ALS_MODEL_CLASS}"),
        ));
    }
    meta["rank"]
        .as_u64()
        .filter(|&r| r > 0)
        .map(|r| r as usize)
        .ok_or_else(|| ModelFileError::invalid(&path, "metadata has no positive integer \"rank\""))
}
