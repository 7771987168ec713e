//! `movierec import movies FILE` on the embedded store: the three MovieLens
//! catalogues load whole, a file with broken rows loads its good rows and
//! names the bad ones by line (or loads nothing with `--on-error fail`), and
//! importing again changes nothing. The same command on Cosmos DB (the local
//! server, `MOVIEREC_STORE=cosmos`) loads the same movies and keeps a hidden
//! one hidden.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use rusqlite::Connection;

fn import(store: &Path, file: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["import", "movies", s(file)])
        .args(extra)
        .env("MOVIEREC_STORE", store)
        .output()
        .unwrap()
}

fn stored(store: &Path) -> Vec<(i32, String, String)> {
    let conn = Connection::open(store.join("movierec.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT movie_id, title, genres FROM movies ORDER BY movie_id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn the_movielens_catalogues_load_whole_and_again_change_nothing() {
    let sets = [
        (
            Some(root().join("data/ml-latest-small/movies.csv")),
            9_742,
            1,
            "Toy Story (1995)",
            "Adventure|Animation|Children|Comedy|Fantasy",
        ),
        (
            shared_data("ml-100k/u.item"),
            1_682,
            1,
            "Toy Story (1995)",
            "Animation|Children's|Comedy",
        ),
        (
            shared_data("ml-1m/movies.dat"),
            3_883,
            73,
            "Misérables, Les (1995)",
            "Drama|Musical",
        ),
    ];
    for (file, count, id, title, genres) in sets {
        let Some(file) = file else { continue };
        let store = tempfile::tempdir().unwrap();
        for round in 0..2 {
            let out = import(store.path(), &file, &["--on-error", "fail"]);
            assert!(
                out.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains(&format!("imported {count} movies")),
                "{stdout}"
            );
            let movies = stored(store.path());
            assert_eq!(movies.len(), count, "{} round {round}", file.display());
            let movie = movies.iter().find(|m| m.0 == id).unwrap();
            assert_eq!((movie.1.as_str(), movie.2.as_str()), (title, genres));
        }
    }
}

#[test]
fn broken_rows_are_reported_by_line_and_the_good_ones_load_unless_told_to_fail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalogue.csv");
    std::fs::write(
        &file,
        "id,title,genres\n1,One,Drama\nseven,Bad id,Drama\n3,,Comedy\n4,\"Four, The\",Comedy|Drama\n",
    )
    .unwrap();

    let strict = tempfile::tempdir().unwrap();
    let out = import(strict.path(), &file, &["--on-error", "fail"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("catalogue.csv:3: movie id \"seven\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("catalogue.csv:4: movie 3 has an empty title"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was loaded"), "{stderr}");
    assert!(
        !strict.path().join("movierec.db").exists() || stored(strict.path()).is_empty(),
        "a failed import stores nothing"
    );

    let store = tempfile::tempdir().unwrap();
    let out = import(store.path(), &file, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("catalogue.csv:3:"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 bad row(s) skipped"));
    assert_eq!(
        stored(store.path()),
        vec![
            (1, "One".into(), "Drama".into()),
            (4, "Four, The".into(), "Comedy|Drama".into())
        ]
    );
}

#[cfg(feature = "cosmos")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_import_on_cosmos_db_loads_the_good_rows_and_keeps_hidden_movies_hidden() {
    use movierec_store::cosmos::local::{test_config, test_endpoint, EMULATOR_KEY};
    use movierec_store::{CatalogStore, CosmosStore, Movie};
    let Some(endpoint) = test_endpoint() else {
        return;
    };
    let config = test_config(&endpoint, "import");
    let database = config.database.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalogue.csv");
    std::fs::write(
        &file,
        "id,title,genres\n1,One,Drama\nseven,Bad id,Drama\n4,\"Four, The\",Comedy|Drama\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_movierec"))
            .args(["import", "movies", s(&file)])
            .args(extra)
            .env("MOVIEREC_STORE", "cosmos")
            .env("MOVIEREC_COSMOS_ENDPOINT", &endpoint)
            .env("MOVIEREC_COSMOS_KEY", EMULATOR_KEY)
            .env("MOVIEREC_COSMOS_DATABASE", &database)
            .output()
            .unwrap()
    };
    let out = run(&["--on-error", "fail"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("catalogue.csv:3:"));
    let store = CosmosStore::connect(config).await.unwrap();
    assert!(
        store.all_movies().await.unwrap().is_empty(),
        "a failed import stores nothing"
    );

    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let titles = |movies: Vec<Movie>| -> Vec<(i32, String, bool)> {
        movies
            .into_iter()
            .map(|m| (m.id, m.title, m.hidden))
            .collect()
    };
    assert_eq!(
        titles(store.all_movies().await.unwrap()),
        vec![(1, "One".into(), false), (4, "Four, The".into(), false)]
    );
    let mut four = store.movies(&[4]).await.unwrap().remove(&4).unwrap();
    four.hidden = true;
    store.upsert_movies(&[four]).await.unwrap();
    let out = run(&[]);
    assert!(out.status.success());
    assert_eq!(
        titles(store.all_movies().await.unwrap()),
        vec![(1, "One".into(), false), (4, "Four, The".into(), true)],
        "importing again keeps movie 4 hidden"
    );
}
