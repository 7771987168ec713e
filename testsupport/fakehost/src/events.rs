//! An Event Hub trigger batch (`cardinality: many`, `dataType: string`) and
//! the invocation body the host builds for it.
//!
//! The trigger's binding data comes from the Event Hubs extension
//! (`EventHubTriggerBindingStrategy.AddBindingData` in
//! Microsoft.Azure.WebJobs.Extensions.EventHubs): `PartitionContext` and, for
//! a batch, the arrays `PartitionKeyArray` (`string[]`), `OffsetArray`
//! (`string[]`), `SequenceNumberArray` (`long[]`), `EnqueuedTimeUtcArray`
//! (`DateTime[]` of `EnqueuedTime.DateTime`, kind Unspecified: no `Z`),
//! `PropertiesArray` and `SystemPropertiesArray`; the WebJobs SDK adds `sys`.
//! The host then encodes each value with [`crate::dotnet::binding_value`]: the
//! arrays, and `Data.events` (a `string[]`), arrive as JSON strings; the
//! objects (`PartitionContext`, `sys`, `RetryContext`) as objects.

use std::ops::Range;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{json, Map, Value};

use crate::dotnet::{binding_value, datetime, datetime_offset, guid, DateTimeKind};

/// Where a batch was read from (`Azure.Messaging.EventHubs.Consumer.PartitionContext`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionContext {
    pub fully_qualified_namespace: String,
    pub event_hub_name: String,
    pub consumer_group: String,
    pub partition_id: String,
}

impl PartitionContext {
    /// movierec's hub (`functions/IngestRatings/function.json`) on `partition_id`.
    pub fn new(partition_id: impl Into<String>) -> Self {
        PartitionContext {
            fully_qualified_namespace: "movierec.servicebus.windows.net".into(),
            event_hub_name: "ratings".into(),
            consumer_group: "movierec".into(),
            partition_id: partition_id.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "FullyQualifiedNamespace": self.fully_qualified_namespace,
            "EventHubName": self.event_hub_name,
            "ConsumerGroup": self.consumer_group,
            "PartitionId": self.partition_id,
        })
    }
}

/// The WebJobs `RetryContext` the host adds to Metadata on a retry only
/// (`SetRetryContext`, ScriptInvocationContextExtensions.cs lines 84-96).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryContext {
    /// 1 on the first retry.
    pub retry_count: i32,
    /// The policy's `maxRetryCount` (-1: forever).
    pub max_retry_count: i32,
    /// The previous attempt's exception, as Newtonsoft serialises it.
    pub exception: Value,
}

impl RetryContext {
    /// The context of retry `retry_count` of `function` after an attempt
    /// the handler answered with `status`.
    pub fn after_status(
        function: &str,
        status: u16,
        retry_count: i32,
        max_retry_count: i32,
    ) -> Self {
        RetryContext {
            retry_count,
            max_retry_count,
            exception: crate::HostAnswer::new(status, b"")
                .exception(function)
                .unwrap_or(Value::Null),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "RetryCount": self.retry_count,
            "MaxRetryCount": self.max_retry_count,
            "Exception": self.exception,
        })
    }
}

/// When events of the fake partition were enqueued: `ENQUEUED_BASE` plus
/// 1.123 s per sequence number (so times carry milliseconds).
pub fn enqueued_time_of(sequence_number: i64) -> NaiveDateTime {
    ENQUEUED_BASE + TimeDelta::milliseconds(1_123 * sequence_number)
}

/// The fake partition's first enqueued time, 2026-11-26T06:00:00.
pub const ENQUEUED_BASE: NaiveDateTime = match NaiveDate::from_ymd_opt(2026, 11, 26) {
    Some(d) => match d.and_hms_opt(6, 0, 0) {
        Some(t) => t,
        None => panic!("valid time"),
    },
    None => panic!("valid date"),
};

/// The byte offset of an event in the fake partition (each event 512 bytes).
pub fn offset_of(sequence_number: i64) -> i64 {
    sequence_number * 512
}

/// One batch of events from one partition, consecutive sequence numbers.
/// Offsets and enqueued times default to functions of the sequence number,
/// so the same event cut into another batch carries the same metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The trigger binding's name in function.json (`events`).
    pub binding: String,
    /// The event bodies as UTF-8 text.
    pub events: Vec<String>,
    pub partition: PartitionContext,
    pub first_sequence_number: i64,
    pub offsets: Vec<i64>,
    pub enqueued_times: Vec<NaiveDateTime>,
    pub partition_keys: Vec<Option<String>>,
    /// Application properties per event.
    pub properties: Vec<Map<String, Value>>,
    pub retry: Option<RetryContext>,
}

impl EventBatch {
    pub fn new<S: Into<String>>(
        partition_id: impl Into<String>,
        first_sequence_number: i64,
        events: impl IntoIterator<Item = S>,
    ) -> Self {
        let events: Vec<String> = events.into_iter().map(Into::into).collect();
        let sequence = first_sequence_number..first_sequence_number + events.len() as i64;
        EventBatch {
            binding: "events".into(),
            partition: PartitionContext::new(partition_id),
            first_sequence_number,
            offsets: sequence.clone().map(offset_of).collect(),
            enqueued_times: sequence.map(enqueued_time_of).collect(),
            partition_keys: vec![None; events.len()],
            properties: vec![Map::new(); events.len()],
            retry: None,
            events,
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn sequence_numbers(&self) -> Vec<i64> {
        (0..self.len() as i64)
            .map(|i| self.first_sequence_number + i)
            .collect()
    }

    /// Events `range` of this batch as a batch of their own, each event
    /// keeping its metadata: the same events cut at other boundaries, as
    /// they are redelivered after a restart from an older checkpoint.
    pub fn slice(&self, range: Range<usize>) -> EventBatch {
        EventBatch {
            binding: self.binding.clone(),
            events: self.events[range.clone()].to_vec(),
            partition: self.partition.clone(),
            first_sequence_number: self.first_sequence_number + range.start as i64,
            offsets: self.offsets[range.clone()].to_vec(),
            enqueued_times: self.enqueued_times[range.clone()].to_vec(),
            partition_keys: self.partition_keys[range.clone()].to_vec(),
            properties: self.properties[range].to_vec(),
            retry: None,
        }
    }

    /// The same batch as the host redelivers it under a retry policy.
    pub fn with_retry(mut self, retry: RetryContext) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The invocation body: `{"Data": {...}, "Metadata": {...}}`.
    pub fn invocation(&self, function: &str) -> Value {
        let texts = |items: Vec<Value>| binding_value(Value::Array(items));
        let offsets: Vec<Value> = self.offsets.iter().map(|o| json!(o.to_string())).collect();
        let times: Vec<Value> = self
            .enqueued_times
            .iter()
            .map(|t| json!(datetime(*t, DateTimeKind::Unspecified)))
            .collect();
        let system: Vec<Value> = (0..self.len()).map(|i| self.system_properties(i)).collect();
        let mut metadata = Map::new();
        metadata.insert("PartitionContext".into(), self.partition.to_json());
        metadata.insert(
            "PartitionKeyArray".into(),
            texts(self.partition_keys.iter().map(|k| json!(k)).collect()),
        );
        metadata.insert("OffsetArray".into(), texts(offsets));
        metadata.insert(
            "SequenceNumberArray".into(),
            texts(
                self.sequence_numbers()
                    .into_iter()
                    .map(Value::from)
                    .collect(),
            ),
        );
        metadata.insert("EnqueuedTimeUtcArray".into(), texts(times));
        metadata.insert(
            "PropertiesArray".into(),
            texts(self.properties.iter().cloned().map(Value::Object).collect()),
        );
        metadata.insert("SystemPropertiesArray".into(), texts(system));
        metadata.insert("sys".into(), sys(function));
        if let Some(retry) = &self.retry {
            metadata.insert("RetryContext".into(), retry.to_json());
        }
        let events = self.events.iter().map(|e| json!(e)).collect();
        json!({
            "Data": {self.binding.clone(): texts(events)},
            "Metadata": metadata,
        })
    }

    /// `GetSystemPropertiesForBinding`: the AMQP annotations plus the four
    /// keys the extension adds for older bindings.
    fn system_properties(&self, i: usize) -> Value {
        let sequence = self.first_sequence_number + i as i64;
        let enqueued = self.enqueued_times[i];
        let mut p = json!({
            "x-opt-sequence-number": sequence,
            "x-opt-offset": self.offsets[i].to_string(),
            "x-opt-enqueued-time": datetime_offset(enqueued),
            "SequenceNumber": sequence,
            "Offset": self.offsets[i],
            "PartitionKey": self.partition_keys[i],
            "EnqueuedTimeUtc": datetime(enqueued, DateTimeKind::Unspecified),
        });
        if let Some(key) = &self.partition_keys[i] {
            p["x-opt-partition-key"] = json!(key);
        }
        p
    }
}

/// The WebJobs SDK's `sys` binding data (`SystemBindingData`).
pub fn sys(function: &str) -> Value {
    json!({
        "MethodName": function,
        "UtcNow": datetime(chrono::Utc::now().naive_utc(), DateTimeKind::Utc),
        "RandGuid": guid(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_is_encoded_as_the_host_encodes_it() {
        let batch = EventBatch::new("3", 1, ["{\"UserId\":1}", "poison"]);
        let body = batch.invocation("IngestRatings");
        let events = body["Data"]["events"].as_str().expect("one string");
        let events: Vec<String> = serde_json::from_str(events).expect("an array of strings");
        assert_eq!(events, ["{\"UserId\":1}", "poison"]);
        let meta = &body["Metadata"];
        assert_eq!(meta["SequenceNumberArray"], "[1,2]");
        assert_eq!(meta["OffsetArray"], "[\"512\",\"1024\"]");
        assert_eq!(
            meta["EnqueuedTimeUtcArray"],
            "[\"2026-11-26T06:00:01.123\",\"2026-11-26T06:00:02.246\"]"
        );
        assert_eq!(meta["PartitionKeyArray"], "[null,null]");
        assert_eq!(meta["PropertiesArray"], "[{},{}]");
        assert!(meta["SystemPropertiesArray"].is_string());
        assert_eq!(meta["PartitionContext"]["PartitionId"], "3");
        assert_eq!(meta["sys"]["MethodName"], "IngestRatings");
        assert!(meta["sys"]["UtcNow"].as_str().unwrap().ends_with('Z'));
        assert!(meta.get("RetryContext").is_none());
    }

    #[test]
    fn a_slice_keeps_each_events_metadata() {
        let batch = EventBatch::new("0", 100, ["a", "b", "c", "d"]);
        let cut = batch.slice(1..3);
        assert_eq!(cut.sequence_numbers(), [101, 102]);
        assert_eq!(cut.offsets, [offset_of(101), offset_of(102)]);
        assert_eq!(cut.enqueued_times[1], enqueued_time_of(102));
        assert_eq!(cut.events, ["b", "c"]);
    }
}
