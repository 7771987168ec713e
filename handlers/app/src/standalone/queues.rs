//! The Storage queues of function.json, in process. A timer function's
//! queue output binding (RecommendAllUsers' `shards`) feeds the function
//! whose `queueTrigger` names the same `queueName` (RecommendShard). Each
//! message is delivered as the host would deliver it, as an invocation
//! (`Data.<trigger name>` the message's JSON text, `Metadata.DequeueCount`)
//! through [`Function::invoke`]; a failed delivery is repeated up to
//! [`ATTEMPTS`] times, like the queue's `maxDequeueCount`, and then dropped
//! with an error in the log (the coordinator sends a lost shard again).
//! At most `MOVIEREC_SHARD_WORKERS` messages are worked at once.
//!
//! Messages live in memory: a process that stops loses what it had queued,
//! which the coordinator's resend recovers.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

use super::function_json::FunctionDef;
use crate::functions::Function;
use crate::invocation::InvocationRequest;
use crate::jobs::retry::{with_attempts, ATTEMPTS};
use crate::state::AppState;

/// Where each function's queue outputs go, and the queues' senders. Cheap to
/// clone (one `Arc`): the router hands a copy to every request.
#[derive(Clone, Default)]
pub struct LocalQueues(Arc<Routes>);

#[derive(Default)]
struct Routes {
    /// (function, output binding name) → queue name.
    outputs: HashMap<(Function, String), String>,
    /// queue name → its consumer.
    queues: HashMap<String, mpsc::UnboundedSender<Value>>,
}

impl LocalQueues {
    /// Reads the queue bindings of `defs` and starts one consumer per
    /// queue-triggered function.
    pub fn start(state: &AppState, defs: &[FunctionDef]) -> anyhow::Result<Self> {
        let mut queues = Routes::default();
        for def in defs {
            let function = Function::from_name(&def.name);
            for b in &def.definition.bindings {
                let Some(queue) = b.queue_name.clone() else {
                    continue;
                };
                let function = function.with_context(|| {
                    format!(
                        "{} has a queue binding but no function of that name",
                        def.name
                    )
                })?;
                match (b.kind.as_str(), b.direction.as_str()) {
                    ("queue", "out") => {
                        queues.outputs.insert((function, b.name.clone()), queue);
                    }
                    ("queueTrigger", _) => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        queues.queues.insert(queue.clone(), tx);
                        tokio::spawn(consume(state.clone(), function, b.name.clone(), queue, rx));
                    }
                    _ => {}
                }
            }
        }
        Ok(LocalQueues(Arc::new(queues)))
    }

    /// Puts `messages`, the value of `function`'s output binding `binding`,
    /// on its queue.
    pub fn send(
        &self,
        function: Function,
        binding: &str,
        messages: Vec<Value>,
    ) -> anyhow::Result<()> {
        let queue = self
            .0
            .outputs
            .get(&(function, binding.to_string()))
            .with_context(|| {
                format!(
                    "{function} has no queue output binding named {binding} in its function.json"
                )
            })?;
        let consumer = self
            .0
            .queues
            .get(queue)
            .with_context(|| format!("no function has a queueTrigger on {queue}"))?;
        for m in messages {
            consumer
                .send(m)
                .map_err(|_| anyhow::anyhow!("the {queue} consumer stopped"))?;
        }
        Ok(())
    }
}

async fn consume(
    state: AppState,
    function: Function,
    binding: String,
    queue: String,
    mut rx: mpsc::UnboundedReceiver<Value>,
) {
    let workers = Arc::new(Semaphore::new(state.settings.shards.workers));
    while let Some(message) = rx.recv().await {
        let permit = workers.clone().acquire_owned().await.expect("never closed");
        let (state, binding, queue) = (state.clone(), binding.clone(), queue.clone());
        state.jobs.tracker.clone().spawn(async move {
            deliver(&state, function, &binding, &queue, &message).await;
            drop(permit);
        });
    }
}

/// Delivers one message until it succeeds or [`ATTEMPTS`] deliveries failed.
async fn deliver(
    state: &AppState,
    function: Function,
    binding: &str,
    queue: &str,
    message: &Value,
) {
    let text = match message {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let delivered = with_attempts(
        |attempt| {
            let mut data = serde_json::Map::new();
            data.insert(binding.to_string(), Value::String(text.clone()));
            let request = InvocationRequest {
                data,
                metadata: json!({"DequeueCount": attempt.to_string(), "QueueName": queue}),
            };
            async move { function.invoke(state, &request).await }
        },
        |attempt, e: &anyhow::Error| {
            tracing::warn!(function = function.name(), attempt, error = %format!("{e:#}"), "delivery failed")
        },
    )
    .await;
    match delivered {
        Ok(response) => {
            for line in response.logs {
                tracing::info!(function = function.name(), "{line}");
            }
        }
        Err(e) => {
            tracing::error!(function = function.name(), queue, message = %text, error = %format!("{e:#}"), "dropped after {ATTEMPTS} failed deliveries (the coordinator sends a lost shard again)");
        }
    }
}
