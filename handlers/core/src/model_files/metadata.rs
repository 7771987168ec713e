//! `metadata/part-00000`: the one JSON line Spark's `DefaultParamsReader` reads.
//!
//! Only params that `ALSModel` itself declares may appear in `paramMap`
//! (training params such as regParam belong to the estimator and would make
//! Spark's loader fail), so movierec's own params go in `movierec/model.json`.
//! The same holds for a model Spark wrote: its metadata names the rank, the
//! user and item columns, the Spark version and the uid, never implicitPrefs,
//! regParam, alpha or maxIter (checked against pyspark 4.0.1). [`read`] gives
//! all of it as [`SparkMetadata`], for whoever must say where a model came from.
//! Owns this file's bytes only; it must not touch the file system.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::{ModelFileError, ModelFiles};

pub const ALS_MODEL_CLASS: &str = "org.apache.spark.ml.recommendation.ALSModel";
/// The Spark version whose layout this mirrors (checked against pyspark 4.0.1).
const SPARK_VERSION: &str = "4.0.1";
pub const FOLDER: &str = "metadata";

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

/// What a model's `metadata/part-*` line says: Spark's provenance and params.
#[derive(Debug, Clone, PartialEq)]
pub struct SparkMetadata {
    /// `sparkVersion`, when present.
    pub spark_version: Option<String>,
    pub uid: Option<String>,
    /// Milliseconds since the epoch, when the model was written.
    pub timestamp: Option<i64>,
    pub rank: usize,
    /// `paramMap` (set explicitly) over `defaultParamMap`.
    pub params: Map<String, Value>,
}

impl SparkMetadata {
    /// A param as set, else its default; `None` when the metadata lacks it.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }

    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.param(name).and_then(Value::as_str)
    }

    pub fn param_bool(&self, name: &str) -> Option<bool> {
        self.param(name).and_then(Value::as_bool)
    }

    pub fn param_f64(&self, name: &str) -> Option<f64> {
        self.param(name).and_then(Value::as_f64)
    }
}

/// Reads the metadata line (from whichever `part-*` file Spark wrote): it
/// must name `ALSModel` and a positive rank.
pub fn read(files: &ModelFiles) -> Result<SparkMetadata, ModelFileError> {
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
    let rank = meta["rank"]
        .as_u64()
        .filter(|&r| r > 0)
        .map(|r| r as usize)
        .ok_or_else(|| {
            ModelFileError::invalid(&path, "metadata has no positive integer \"rank\"")
        })?;
    let map = |key: &str| meta[key].as_object().cloned().unwrap_or_default();
    let mut params = map("defaultParamMap");
    params.extend(map("paramMap"));
    Ok(SparkMetadata {
        spark_version: meta["sparkVersion"].as_str().map(str::to_owned),
        uid: meta["uid"].as_str().map(str::to_owned),
        timestamp: meta["timestamp"].as_i64(),
        rank,
        params,
    })
}
