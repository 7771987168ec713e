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
