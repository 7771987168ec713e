//! `IngestRatings` (eventHubTrigger, cardinality many): a batch of rating
//! events in, valid ratings upserted (newest timestamp wins), invalid events
//! dead-lettered, all in one store call. A store failure fails the invocation
//! so the host's retry policy delivers the batch again; storing is idempotent,
//! so a redelivered batch changes nothing twice.

use std::collections::BTreeMap;

use movierec_store::{IngestOutcome, StoreError};
use serde_json::json;
use tracing::Instrument;

use super::{FunctionError, Invoked};
use crate::events::{parse_batch, BatchMetadata, ParsedBatch};
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::state::AppState;
use crate::telemetry::traces::store_call;

/// The trigger binding's name in function.json.
pub const BINDING: &str = "events";
/// Distinct reasons named in one batch's log line and answer.
const REASONS_SHOWN: usize = 10;

pub async fn invoke(
    state: &AppState,
    request: &InvocationRequest,
) -> Result<Invoked, FunctionError> {
    let data = request
        .data
        .get(BINDING)
        .or_else(|| request.data.values().next())
        .ok_or(FunctionError::NoData {
            binding: BINDING,
            what: "the event batch",
        })?;
    let metadata = BatchMetadata::from_host(&request.metadata);
    let parsed = parse_batch(
        data,
        &metadata,
        chrono::Utc::now().timestamp(),
        state.settings.limits.dead_letters_per_batch,
    );
    let outcome = store(state, &parsed).await?;
    let mut log = summary(&parsed, &outcome);
    if let Some(retry) = &metadata.retry {
        log.push_str(&format!(
            " (retry {} of {})",
            retry.retry_count, retry.max_retry_count
        ));
    }
    Ok(Invoked {
        response: InvocationResponse::new(vec![log], json!(outcome)),
        shards: Vec::new(),
    })
}

/// Stores a parsed batch (shared with `POST /events`), with one log line for
/// its bad events however many there are.
pub async fn store(state: &AppState, parsed: &ParsedBatch) -> Result<IngestOutcome, StoreError> {
    if parsed.bad_events > 0 {
        tracing::warn!(
            bad_events = parsed.bad_events,
            letters = parsed.dead_letters.len(),
            reasons = ?reasons(parsed),
            "dead-lettered bad events"
        );
    }
    let outcome = state
        .store
        .ingest(&parsed.ratings, &parsed.dead_letters)
        .instrument(store_call("ingest"))
        .await?;
    state
        .telemetry
        .record_ingest(outcome.written, outcome.unchanged, parsed.bad_events);
    Ok(outcome)
}

/// The answer of standalone mode's `POST /events` (the shape the generator reads).
pub fn answer(parsed: &ParsedBatch, outcome: &IngestOutcome) -> movierec_wire::EventsAnswer {
    movierec_wire::EventsAnswer {
        events: parsed.events() as u64,
        stored: outcome.written as u64,
        unchanged: outcome.unchanged as u64,
        dead_lettered: parsed.bad_events as u64,
        errors: reasons(parsed)
            .into_iter()
            .map(|(reason, count)| (reason.to_string(), count as u64))
            .collect(),
    }
}

/// The batch's distinct reasons for its dead letters (at most a few), with counts.
pub fn reasons(parsed: &ParsedBatch) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for d in &parsed.dead_letters {
        if counts.len() < REASONS_SHOWN || counts.contains_key(d.reason.as_str()) {
            *counts.entry(d.reason.as_str()).or_insert(0) += 1;
        }
    }
    counts
}

pub fn summary(parsed: &ParsedBatch, outcome: &IngestOutcome) -> String {
    format!(
        "{} events: {} ratings stored, {} unchanged (duplicate or older), {} dead-lettered",
        parsed.events(),
        outcome.written,
        outcome.unchanged,
        parsed.bad_events
    )
}
