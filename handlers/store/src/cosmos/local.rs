//! Connecting tests to a local Cosmos-compatible server (testsupport/cosmos,
//! started by .ci/run). Each caller gets a database of its own, so tests run
//! in parallel without seeing each other's documents.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{CosmosAuth, CosmosConfig, CosmosStore};

/// The variable naming the local server, e.g. `http://127.0.0.1:8082/`.
pub const ENDPOINT_VAR: &str = "MOVIEREC_TEST_COSMOS_ENDPOINT";
/// Set to 1 (as CI does) to make a missing server a failure instead of a skip.
pub const REQUIRE_VAR: &str = "MOVIEREC_REQUIRE_COSMOS";

/// The key every Cosmos DB emulator accepts, published by Microsoft in the
/// emulator's documentation: not a secret. The SDK needs a base64 key to sign
/// requests; the local server accepts any.
pub const EMULATOR_KEY: &str =
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

/// The local server's endpoint, or `None` (with a note on stderr) when the
/// tests that need it should skip. Panics when [`REQUIRE_VAR`] is 1 and it is missing.
pub fn test_endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) if !endpoint.trim().is_empty() => Some(endpoint),
        _ => {
            assert!(
                std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
                "{REQUIRE_VAR}=1 but {ENDPOINT_VAR} is not set: start the server with \
                 `bash testsupport/server.sh start cosmos` and export what it prints"
            );
            eprintln!(
                "skipped: no local Cosmos DB server ({ENDPOINT_VAR} unset; \
                 `bash testsupport/server.sh start cosmos` starts one)"
            );
            None
        }
    }
}

/// A configuration for a fresh database named `{prefix}-{unique}` on the local server.
pub fn test_config(endpoint: &str, prefix: &str) -> CosmosConfig {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = format!(
        "{}-{}-{}",
        std::process::id(),
        crate::now_seconds(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    CosmosConfig::new(
        endpoint,
        format!("{prefix}-{unique}"),
        CosmosAuth::Key(EMULATOR_KEY.into()),
    )
}

/// A store on a fresh database of the local server, or `None` to skip.
pub async fn test_store(prefix: &str) -> Option<CosmosStore> {
    let endpoint = test_endpoint()?;
    let config = test_config(&endpoint, prefix);
    Some(
        CosmosStore::connect(config).await.unwrap_or_else(|e| {
            panic!("cannot reach the local Cosmos DB server at {endpoint}: {e}")
        }),
    )
}
