//! The Event Hub trigger's batch metadata as the Functions host sends it.
//!
//! The host JSON-encodes every Metadata value that is not an object
//! (azure-functions-host, `ScriptInvocationContextExtensions.
//! GetHttpScriptInvocationContextValue`), so the arrays parallel to the events
//! (`SequenceNumberArray`, `OffsetArray`, `EnqueuedTimeUtcArray`, ...) arrive
//! as JSON strings such as `"[100,101]"`, and enqueued times carry no `Z`.
//! `PartitionContext` and `RetryContext` are objects. Each value is decoded
//! whether it arrives as a string or as JSON, and a value that decodes to
//! nothing usable is treated as absent: metadata never fails a batch.

use serde::Deserialize;
use serde_json::Value;

/// What movierec uses of one batch's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchMetadata {
    /// `PartitionContext.PartitionId`.
    pub partition: Option<String>,
    /// Per event, in batch order.
    pub sequence_numbers: Vec<Option<i64>>,
    pub offsets: Vec<Option<String>>,
    /// RFC 3339 in UTC (a `Z` is added to the host's bare times).
    pub enqueued_times: Vec<Option<String>>,
    /// Present when the host is retrying the batch (a retry policy).
    pub retry: Option<RetryContext>,
}

/// The host's `RetryContext`, added on retries only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryContext {
    #[serde(default)]
    pub retry_count: i64,
    #[serde(default)]
    pub max_retry_count: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartitionContext {
    partition_id: Option<Value>,
}

impl BatchMetadata {
    /// Decodes the invocation's `Metadata` object (anything else is no metadata).
    pub fn from_host(metadata: &Value) -> Self {
        let field = |key: &str| metadata.get(key).and_then(decoded);
        let array = |key: &str| match field(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        BatchMetadata {
            partition: field("PartitionContext")
                .and_then(|v| serde_json::from_value::<PartitionContext>(v).ok())
                .and_then(|p| p.partition_id)
                .map(|id| text(&id)),
            sequence_numbers: array("SequenceNumberArray")
                .iter()
                .map(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .collect(),
            offsets: array("OffsetArray")
                .iter()
                .map(|v| (!v.is_null()).then(|| text(v)))
                .collect(),
            enqueued_times: array("EnqueuedTimeUtcArray")
                .iter()
                .map(|v| v.as_str().map(utc_time))
                .collect(),
            retry: field("RetryContext").and_then(|v| serde_json::from_value(v).ok()),
        }
    }

    /// The Event Hub origin of event `index` of the batch.
    pub fn origin(&self, index: usize) -> movierec_store::EventOrigin {
        movierec_store::EventOrigin {
            partition: self.partition.clone(),
            sequence_number: self.sequence_numbers.get(index).copied().flatten(),
            offset: self.offsets.get(index).cloned().flatten(),
            enqueued_time: self.enqueued_times.get(index).cloned().flatten(),
        }
    }
}

/// A metadata value as JSON: strings holding JSON are decoded (that is how the
/// host sends arrays), other values are taken as they are.
fn decoded(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => Some(inner),
            _ => Some(v.clone()),
        },
        other => Some(other.clone()),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The host writes `DateTime`s of kind Unspecified, without an offset; the
/// values are UTC (`EnqueuedTimeUtc`), so a `Z` makes them RFC 3339.
fn utc_time(s: &str) -> String {
    let has_offset = chrono::DateTime::parse_from_rfc3339(s).is_ok();
    if !has_offset && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
        format!("{s}Z")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_hosts_string_encoded_arrays_are_decoded() {
        let meta = json!({
            "PartitionContext": {"PartitionId": "2", "ConsumerGroup": "$Default"},
            "SequenceNumberArray": "[100,101]",
            "OffsetArray": "[\"4096\",\"4200\"]",
            "EnqueuedTimeUtcArray": "[\"2026-11-26T06:00:00.123\",\"2026-11-26T06:00:01\"]",
            "PartitionKeyArray": "[null,null]",
            "RetryContext": {"RetryCount": 2, "MaxRetryCount": 5, "Exception": "boom"}
        });
        let m = BatchMetadata::from_host(&meta);
        assert_eq!(m.partition.as_deref(), Some("2"));
        assert_eq!(m.sequence_numbers, vec![Some(100), Some(101)]);
        assert_eq!(m.offsets[1].as_deref(), Some("4200"));
        assert_eq!(
            m.enqueued_times[0].as_deref(),
            Some("2026-11-26T06:00:00.123Z")
        );
        assert_eq!(m.retry.as_ref().map(|r| r.retry_count), Some(2));
        let o = m.origin(1);
        assert_eq!(
            (o.partition.as_deref(), o.sequence_number),
            (Some("2"), Some(101))
        );
    }

    #[test]
    fn plain_arrays_and_missing_or_broken_values_are_accepted() {
        let meta = json!({
            "PartitionContext": "{\"PartitionId\":\"0\"}",
            "SequenceNumberArray": [7],
            "OffsetArray": "not json",
            "EnqueuedTimeUtcArray": ["2026-11-26T06:00:00Z"]
        });
        let m = BatchMetadata::from_host(&meta);
        assert_eq!(m.partition.as_deref(), Some("0"));
        assert_eq!(m.sequence_numbers, vec![Some(7)]);
        assert!(m.offsets.is_empty());
        assert_eq!(m.enqueued_times[0].as_deref(), Some("2026-11-26T06:00:00Z"));
        let past_the_end = m.origin(3);
        assert_eq!(past_the_end.sequence_number, None);
        assert_eq!(past_the_end.partition.as_deref(), Some("0"));
        assert_eq!(
            BatchMetadata::from_host(&Value::Null),
            BatchMetadata::default()
        );
    }
}
