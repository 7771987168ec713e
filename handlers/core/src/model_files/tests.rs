use std::fs;

use ndarray::array;

use super::*;
use crate::data::IdMap;

fn small_model(layout: FactorLayout) -> AlsModel {
    AlsModel::new(
        IdMap::from_ids([7, -3, 100_000]),
        IdMap::from_ids([1, 2]),
        array![[0.5, -1.0, 2.0], [1.5, 0.25, -0.125], [0.0, 3.0, 1.0]],
        array![[1.0, 2.0, 3.0], [-1.0, 0.5, 1.0]],
        layout,
        None,
    )
}

#[test]
fn save_then_load_round_trips_factors_ids_and_extras() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    let model = small_model(FactorLayout::Biased);
    let mut extras = ModelExtras::default();
    extras.metrics.insert("rmse".into(), 0.87.into());
    save_model(&model, &extras, &path).unwrap();
    assert!(path.join("metadata/part-00000").is_file());
    assert!(path.join("userFactors/_SUCCESS").is_file());

    let (loaded, loaded_extras) = load_model(&path).unwrap();
    assert_eq!(loaded.users, model.users);
    assert_eq!(loaded.items, model.items);
    assert_eq!(loaded.user_factors, model.user_factors);
    assert_eq!(loaded.item_factors, model.item_factors);
    assert_eq!(loaded.layout, FactorLayout::Biased);
    assert_eq!(loaded_extras.latent_rank, 1);
    assert_eq!(loaded_extras.metrics["rmse"], 0.87);
    assert_eq!(loaded.predict(-3, 2), Some(-1.5 + 0.125 - 0.125));
}

#[test]
fn saving_again_replaces_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    save_model(
        &small_model(FactorLayout::Plain),
        &ModelExtras::default(),
        &path,
    )
    .unwrap();
    let mut second = small_model(FactorLayout::Plain);
    second.user_factors[[0, 0]] = 9.0;
    save_model(&second, &ModelExtras::default(), &path).unwrap();
    let (loaded, _) = load_model(&path).unwrap();
    assert_eq!(loaded.user_factors[[0, 0]], 9.0);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary folder left behind");
}

#[test]
fn metadata_rank_mismatch_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    save_model(
        &small_model(FactorLayout::Plain),
        &ModelExtras::default(),
        &path,
    )
    .unwrap();
    fs::write(
        path.join("metadata/part-00000"),
        r#"{"class":"org.apache.spark.ml.recommendation.ALSModel","rank":4}"#,
    )
    .unwrap();
    let err = load_model(&path).unwrap_err().to_string();
    assert!(
        err.contains("has 3 features but the metadata says rank 4"),
        "{err}"
    );
}

#[test]
fn missing_directory_and_wrong_class_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_model(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no such model directory"), "{err}");
    let path = dir.path().join("m");
    save_model(
        &small_model(FactorLayout::Plain),
        &ModelExtras::default(),
        &path,
    )
    .unwrap();
    fs::write(
        path.join("metadata/part-00000"),
        r#"{"class":"org.apache.spark.ml.feature.PCAModel","rank":3}"#,
    )
    .unwrap();
    let err = load_model(&path).unwrap_err().to_string();
    assert!(err.contains("PCAModel"), "{err}");
}

#[test]
fn in_memory_files_round_trip_and_match_the_directory_layout() {
    let model = small_model(FactorLayout::Biased);
    let mut extras = ModelExtras::default();
    extras.metrics.insert("rmse".into(), 0.87.into());
    let files = save_model_files(&model, &extras).unwrap();
    let paths: Vec<&str> = files.iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "itemFactors/_SUCCESS",
            "itemFactors/part-00000-movierec.snappy.parquet",
            "metadata/_SUCCESS",
            "metadata/part-00000",
            "movierec/model.json",
            "userFactors/_SUCCESS",
            "userFactors/part-00000-movierec.snappy.parquet",
        ]
    );

    // The directory holds exactly these files, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    files.write_dir(&path).unwrap();
    let on_disk = ModelFiles::read_dir(&path).unwrap();
    assert_eq!(on_disk, files);

    let (loaded, loaded_extras) = load_model_files(files).unwrap();
    assert_eq!(loaded.users, model.users);
    assert_eq!(loaded.items, model.items);
    assert_eq!(loaded.user_factors, model.user_factors);
    assert_eq!(loaded.item_factors, model.item_factors);
    assert_eq!(loaded.layout, FactorLayout::Biased);
    assert_eq!(loaded_extras.metrics["rmse"], 0.87);
    let (from_dir, _) = load_model(&path).unwrap();
    assert_eq!(from_dir.user_factors, model.user_factors);
}

#[test]
fn in_memory_errors_name_the_file_and_directory_errors_the_real_path() {
    let mut files =
        save_model_files(&small_model(FactorLayout::Plain), &ModelExtras::default()).unwrap();
    files.insert(
        "metadata/part-00000",
        br#"{"class":"org.apache.spark.ml.recommendation.ALSModel","rank":4}"#.to_vec(),
    );
    let err = load_model_files(files.clone()).unwrap_err().to_string();
    assert!(
        err.starts_with("userFactors/part-00000-movierec.snappy.parquet: id 7 has 3 features"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    files.write_dir(&path).unwrap();
    let err = load_model(&path).unwrap_err().to_string();
    let want = path.join("userFactors/part-00000-movierec.snappy.parquet");
    assert!(err.starts_with(&want.display().to_string()), "{err}");

    let mut empty = ModelFiles::new();
    let err = load_model_files(empty.clone()).unwrap_err().to_string();
    assert!(err.contains("not a Spark model directory"), "{err}");
    empty.insert("../escape", b"x".to_vec());
    let err = load_model_files(empty.clone()).unwrap_err().to_string();
    assert!(err.contains("not a plain relative path"), "{err}");
    assert!(empty.write_dir(&dir.path().join("n")).is_err());
    assert!(!dir.path().join("escape").exists());
}

#[test]
fn spark_metadata_reads_what_spark_wrote_and_completeness_its_markers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    save_model(
        &small_model(FactorLayout::Plain),
        &ModelExtras::default(),
        &path,
    )
    .unwrap();
    assert!(unfinished_folders(&path).is_empty());
    // The line pyspark 4.0.1 writes for ALS(userCol="userId", itemCol="movieId").fit(df),
    // under the name Spark gives it (and its .crc beside it).
    fs::remove_file(path.join("metadata/part-00000")).unwrap();
    fs::write(
        path.join("metadata/part-00000-e1a0-c000.txt"),
        r#"{"class":"org.apache.spark.ml.recommendation.ALSModel","timestamp":1796444116045,"sparkVersion":"4.0.1","uid":"ALS_c1af37658901","paramMap":{"itemCol":"movieId","userCol":"userId","blockSize":4096},"defaultParamMap":{"itemCol":"item","userCol":"user","coldStartStrategy":"nan","predictionCol":"prediction","blockSize":4096},"rank":3}"#,
    )
    .unwrap();
    fs::write(path.join("metadata/.part-00000-e1a0-c000.txt.crc"), b"x").unwrap();
    let meta = read_spark_metadata(&path).unwrap();
    assert_eq!(meta.rank, 3);
    assert_eq!(meta.spark_version.as_deref(), Some("4.0.1"));
    assert_eq!(meta.uid.as_deref(), Some("ALS_c1af37658901"));
    assert_eq!(meta.timestamp, Some(1796444116045));
    assert_eq!(meta.param_str("userCol"), Some("userId"));
    assert_eq!(meta.param_str("coldStartStrategy"), Some("nan"));
    assert_eq!(meta.param_bool("implicitPrefs"), None);
    assert!(load_model(&path).is_ok());

    fs::remove_file(path.join("itemFactors/_SUCCESS")).unwrap();
    assert_eq!(unfinished_folders(&path), ["itemFactors"]);
    let err = read_spark_metadata(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no metadata/ folder"), "{err}");
}
