//! Queue-triggered invocations (`queueTrigger` on a Storage queue), as the
//! host sends them: `Data.<binding>` is the message's text (a string: the
//! host does not parse a message's JSON for a custom handler), and the
//! extension's binding data in `Metadata`: `DequeueCount` (which delivery
//! this is), `Id`, `QueueTrigger` (the text again) and `sys`, each non-object
//! value JSON-encoded into a string ([`crate::dotnet::binding_value`]).

use serde_json::{json, Value};

use crate::dotnet::{binding_value, guid};
use crate::events::sys;

/// The invocation body that delivers `message` (its JSON text) to
/// `function`'s trigger `binding` for the `dequeue_count`-th time.
pub fn queue_invocation(function: &str, binding: &str, message: &str, dequeue_count: u32) -> Value {
    json!({
        "Data": { binding: message },
        "Metadata": {
            "DequeueCount": binding_value(json!(dequeue_count)),
            "Id": binding_value(json!(guid())),
            "QueueTrigger": binding_value(json!(message)),
            "sys": sys(function),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_arrive_as_the_host_encodes_them() {
        let body = queue_invocation("RecommendShard", "shard", "{\"shard\":3}", 2);
        assert_eq!(body["Data"]["shard"], "{\"shard\":3}");
        assert_eq!(body["Metadata"]["DequeueCount"], "2");
        assert_eq!(body["Metadata"]["QueueTrigger"], "\"{\\\"shard\\\":3}\"");
        assert!(body["Metadata"]["Id"].as_str().unwrap().starts_with('"'));
        assert_eq!(body["Metadata"]["sys"]["MethodName"], "RecommendShard");
    }
}
