//! `IngestRatings` (eventHubTrigger, cardinality many): a batch of rating
//! events in, valid ratings upserted (newest timestamp wins), invalid events
//! dead-lettered, all in one store call. A store failure fails the invocation
//! so the host's retry policy delivers the batch again; storing is idempotent,
//! so a redelivered batch changes nothing twice.

use movierec_store::IngestOutcome;
use serde_json::{json, Value};

use crate::events::{parse_batch, BatchOrigin, ParsedBatch};
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::state::AppState;

/// The trigger binding's name in function.json.
pub const BINDING: &str = "events";

pub async fn invoke(
    state: &AppState,
    request: &InvocationRequest,
) -> anyhow::Result<InvocationResponse> {
    let data = request
        .data
        .get(BINDING)
        .or_else(|| request.data.values().next())
        .ok_or_else(|| anyhow::anyhow!("invocation has no Data.{BINDING} (the event batch)"))?;
    let origin = BatchOrigin {
        metadata: Some(&request.metadata),
    };
    let parsed = parse_batch(data, &origin, chrono::Utc::now().timestamp());
    let retry = request
        .metadata
        .pointer("/RetryContext/RetryCount")
        .and_then(Value::as_i64);
    let outcome = store(state, &parsed).await?;
    let mut log = summary(&parsed, &outcome);
    if let Some(n) = retry {
        log.push_str(&format!(" (retry {n})"));
    }
    Ok(InvocationResponse::new(vec![log], json!(outcome)))
}

/// Stores a parsed batch (shared with `POST /events`).
pub async fn store(state: &AppState, parsed: &ParsedBatch) -> anyhow::Result<IngestOutcome> {
    for d in &parsed.dead_letters {
        tracing::warn!(id = %d.id, reason = %d.reason, "dead-lettered an event");
    }
    Ok(state
        .store
        .ingest(&parsed.ratings, &parsed.dead_letters)
        .await?)
}

pub fn summary(parsed: &ParsedBatch, outcome: &IngestOutcome) -> String {
    format!(
        "{} events: {} ratings stored, {} unchanged (duplicate or older), {} dead-lettered",
        parsed.ratings.len() + parsed.dead_letters.len(),
        outcome.written,
        outcome.unchanged,
        parsed.dead_letters.len()
    )
}
