//! The Cosmos backend against a local Cosmos-compatible server: the same
//! conformance checks as SQLite, plus what only this backend has (model
//! files split into pieces, concurrent writers on one rating).

use super::local::test_store;
use super::CosmosStore;
use crate::{
    ModelFile, ModelMetrics, ModelRecord, ModelRegistry, ModelStatus, RatingRecord, RatingStore,
};

async fn make() -> Option<(CosmosStore, ())> {
    test_store("conformance").await.map(|s| (s, ()))
}

crate::conformance_tests!(optional make);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_files_larger_than_a_document_round_trip() {
    let Some(store) = test_store("files").await else {
        return;
    };
    // 4.5 MB: four pieces once base64-encoded, beyond the 2 MB document limit.
    let big: Vec<u8> = (0..4_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let files = vec![
        ModelFile {
            path: "userFactors/part-00000.parquet".into(),
            bytes: big,
        },
        ModelFile {
            path: "empty".into(),
            bytes: Vec::new(),
        },
    ];
    let record = ModelRecord {
        version: 1,
        created_at: 1,
        status: ModelStatus::Promoted,
        decision: "first".into(),
        params: serde_json::json!({}),
        metrics: ModelMetrics::default(),
    };
    store.record_model(&record, &files).await.unwrap();
    assert_eq!(store.model_files(1).await.unwrap(), files);
    // recorded again with fewer files: the old pieces are gone, the new ones read back
    store.record_model(&record, &files[1..]).await.unwrap();
    assert_eq!(store.model_files(1).await.unwrap(), files[1..].to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_of_one_rating_leave_the_newest() {
    let Some(store) = test_store("race").await else {
        return;
    };
    // 24 instances each store one event for the same rating at once; whatever
    // the interleaving, the newest event is the one kept.
    let writers = (1..=24).map(|ts| {
        let store = store.clone();
        tokio::spawn(async move {
            let rating = RatingRecord {
                user: 5,
                movie: 9,
                rating: ts as f32 / 8.0,
                timestamp: ts,
            };
            store.ingest(&[rating], &[]).await.unwrap()
        })
    });
    let outcomes = futures::future::join_all(writers).await;
    let written: usize = outcomes.into_iter().map(|o| o.unwrap().written).sum();
    assert!(written >= 1);
    let stored = store.user_ratings(5).await.unwrap();
    assert_eq!(
        stored,
        vec![RatingRecord {
            user: 5,
            movie: 9,
            rating: 3.0,
            timestamp: 24
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_reads_every_rating_across_pages() {
    let Some(store) = test_store("pages").await else {
        return;
    };
    // 2,500 ratings: three pages of at most 1,000, joined by continuation tokens.
    let ratings: Vec<RatingRecord> = (0..2_500)
        .map(|i| RatingRecord {
            user: 1 + i / 50,
            movie: 1 + i % 50,
            rating: 0.5 + (i % 10) as f32 / 2.0,
            timestamp: i as i64,
        })
        .collect();
    for chunk in ratings.chunks(500) {
        store.ingest(chunk, &[]).await.unwrap();
    }
    let mut all = store.all_ratings().await.unwrap();
    all.sort_by_key(|r| r.timestamp);
    assert_eq!(all, ratings);
    assert_eq!(store.rating_count().await.unwrap(), 2_500);
}

#[tokio::test]
async fn an_account_key_is_refused_for_an_azure_endpoint() {
    use super::{CosmosAuth, CosmosConfig};
    let config = CosmosConfig::new(
        "https://contoso.documents.azure.com:443/",
        "movierec",
        CosmosAuth::Key(super::local::EMULATOR_KEY.into()),
    );
    let err = CosmosStore::connect(config).await.unwrap_err().to_string();
    assert!(err.contains("only for a local server"), "{err}");
    assert!(err.contains("managed identity"), "{err}");
}
