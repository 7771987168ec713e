//! `RecommendShard` (queueTrigger on `recommend-shards`): one shard of
//! recommend-for-all, as RecommendAllUsers sent it
//! ([`crate::jobs::recommend_all::shard`]), run as [`Job::WriteShard`].
//!
//! The host hands over the message as `Data.shard`: the JSON text of a
//! [`ShardMessage`] (a string, as it sends every non-object value), or the
//! object itself; both are read. `Metadata.DequeueCount` says which delivery
//! this is. A store or model failure fails the invocation, so the queue
//! delivers the message again (up to `maxDequeueCount` in host.json, then
//! the poison queue; the coordinator's resend covers that case too). A
//! message that is not a shard at all is answered as done, with the reason
//! in the log: delivering it again cannot help.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{FunctionError, Invoked};
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::recommend_all::ShardMessage;
use crate::jobs::Job;
use crate::state::AppState;

/// The trigger binding's name in function.json.
pub const BINDING: &str = "shard";

/// The queue trigger's metadata this function reads.
#[derive(Debug, Default, Deserialize)]
struct QueueMetadata {
    #[serde(rename = "DequeueCount", default)]
    dequeue_count: Option<Value>,
}

/// The message in `value`: an object, or a string holding one.
pub fn parse_message(value: &Value) -> Result<ShardMessage, String> {
    let parsed = match value {
        Value::String(text) => serde_json::from_str(text),
        other => serde_json::from_value(other.clone()),
    };
    parsed.map_err(|e| {
        format!("not a shard message ({e}); expected {{\"version\",\"shard\",\"shards\",\"users_per_shard\",\"generated_at\"}}")
    })
}

pub async fn invoke(
    state: &AppState,
    request: &InvocationRequest,
) -> Result<Invoked, FunctionError> {
    let value = request
        .data
        .get(BINDING)
        .or_else(|| request.data.values().next())
        .ok_or(FunctionError::NoData {
            binding: BINDING,
            what: "the shard message",
        })?;
    let delivery = serde_json::from_value::<QueueMetadata>(request.metadata.clone())
        .ok()
        .and_then(|m| m.dequeue_count)
        .map(|c| match c {
            Value::String(s) => s,
            other => other.to_string(),
        });
    let message = match parse_message(value) {
        Ok(m) => m,
        Err(reason) => {
            tracing::warn!(%reason, "ignored a RecommendShard message");
            let response = InvocationResponse::new(
                vec![format!("ignored: {reason}")],
                json!({"outcome": "ignored", "reason": reason}),
            );
            return Ok(Invoked {
                response,
                shards: Vec::new(),
            });
        }
    };
    let ran = Job::WriteShard(message).run(state).await?;
    let mut line = ran.line();
    if let Some(n) = delivery.filter(|n| n != "1") {
        line.push_str(&format!(" (delivery {n})"));
    }
    Ok(Invoked {
        response: InvocationResponse::new(vec![line], ran.to_json()),
        shards: Vec::new(),
    })
}
