//! The Storage queues of function.json, in process. A timer function's
//! queue output binding (RecommendAllUsers' `shards`) feeds the function
//! whose `queueTrigger` names the same `queueName` (RecommendShard, the only
//! queue-triggered function). Messages stay typed: each is run as its
//! [`Job::WriteShard`] with [`Job::run_with_attempts`], tried as often as
//! the queue's `maxDequeueCount` would deliver it and then dropped with an
//! error in the log (the coordinator sends a lost shard again). At most
//! `MOVIEREC_SHARD_WORKERS` messages are worked at once.
//!
//! Messages live in memory: a process that stops loses what it had queued,
//! which the coordinator's resend recovers.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};

use super::function_json::FunctionDef;
use crate::functions::timers::SHARDS_OUTPUT;
use crate::functions::Function;
use crate::jobs::recommend_all::ShardMessage;
use crate::jobs::Job;
use crate::state::AppState;

/// A queue binding of function.json that cannot be worked, or a message
/// that cannot be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{0} has a queue binding but no function of that name")]
    NoSuchFunction(String),
    #[error(
        "{function} has a queueTrigger, but only {} is worked from a queue",
        Function::RecommendShard
    )]
    NotQueued { function: Function },
    #[error("{function} has no queue output binding named {binding} in its function.json")]
    NoOutput { function: Function, binding: String },
    #[error("no function has a queueTrigger on {0}")]
    NoConsumer(String),
    #[error("the {0} consumer stopped")]
    Stopped(String),
}

/// Where each function's queue outputs go, and the queues' senders. Cheap to
/// clone (one `Arc`): the router hands a copy to every request.
#[derive(Clone, Default)]
pub struct LocalQueues(Arc<Routes>);

#[derive(Default)]
struct Routes {
    /// (function, output binding name) → queue name.
    outputs: HashMap<(Function, String), String>,
    /// queue name → its consumer.
    queues: HashMap<String, mpsc::UnboundedSender<ShardMessage>>,
}

impl LocalQueues {
    /// Reads the queue bindings of `defs` and starts one consumer per
    /// queue-triggered function.
    pub fn start(state: &AppState, defs: &[FunctionDef]) -> Result<Self, QueueError> {
        let mut queues = Routes::default();
        for def in defs {
            let function = Function::from_name(&def.name);
            for b in &def.definition.bindings {
                let Some(queue) = b.queue_name.clone() else {
                    continue;
                };
                let function =
                    function.ok_or_else(|| QueueError::NoSuchFunction(def.name.clone()))?;
                match (b.kind.as_str(), b.direction.as_str()) {
                    ("queue", "out") => {
                        queues.outputs.insert((function, b.name.clone()), queue);
                    }
                    ("queueTrigger", _) if function == Function::RecommendShard => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        queues.queues.insert(queue.clone(), tx);
                        tokio::spawn(consume(state.clone(), queue, rx));
                    }
                    ("queueTrigger", _) => return Err(QueueError::NotQueued { function }),
                    _ => {}
                }
            }
        }
        Ok(LocalQueues(Arc::new(queues)))
    }

    /// Puts the shard messages a run of `function` handed on on the queue
    /// of its `shards` output binding; a failure is logged (the coordinator
    /// sends lost shards again).
    pub fn send_shards(&self, function: Function, shards: &[ShardMessage]) {
        if shards.is_empty() {
            return;
        }
        if let Err(e) = self.send(function, SHARDS_OUTPUT, shards) {
            tracing::error!(function = function.name(), error = %e, "queue output failed");
        }
    }

    /// Puts `messages`, the value of `function`'s output binding `binding`,
    /// on its queue.
    fn send(
        &self,
        function: Function,
        binding: &str,
        messages: &[ShardMessage],
    ) -> Result<(), QueueError> {
        let queue = self
            .0
            .outputs
            .get(&(function, binding.to_string()))
            .ok_or_else(|| QueueError::NoOutput {
                function,
                binding: binding.to_string(),
            })?;
        let consumer = self
            .0
            .queues
            .get(queue)
            .ok_or_else(|| QueueError::NoConsumer(queue.clone()))?;
        for m in messages {
            consumer
                .send(m.clone())
                .map_err(|_| QueueError::Stopped(queue.clone()))?;
        }
        Ok(())
    }
}

async fn consume(state: AppState, queue: String, mut rx: mpsc::UnboundedReceiver<ShardMessage>) {
    let workers = Arc::new(Semaphore::new(state.settings.shards.workers));
    while let Some(message) = rx.recv().await {
        let permit = workers.clone().acquire_owned().await.expect("never closed");
        let (state, queue) = (state.clone(), queue.clone());
        state.jobs.tracker.clone().spawn(async move {
            // The runtime logs each failed try, and the last with the message.
            if let Ok(ran) = Job::WriteShard(message).run_with_attempts(&state).await {
                tracing::info!(queue, "{}", ran.line());
            }
            drop(permit);
        });
    }
}
