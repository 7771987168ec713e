//! The Functions host's custom-handler contract for non-HTTP triggers: the
//! host posts `{"Data": {...}, "Metadata": {...}}` to `/<FunctionName>` and
//! reads back `{"Outputs": {...}, "Logs": [...], "ReturnValue": ...}`; any
//! non-2xx status fails the invocation (and, with a retry policy, retries it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct InvocationRequest {
    #[serde(rename = "Data", default)]
    pub data: serde_json::Map<String, Value>,
    #[serde(rename = "Metadata", default)]
    pub metadata: Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InvocationResponse {
    /// Output bindings by name (none of movierec's functions has one).
    #[serde(rename = "Outputs")]
    pub outputs: serde_json::Map<String, Value>,
    /// Lines the host writes to the function's log.
    #[serde(rename = "Logs")]
    pub logs: Vec<String>,
    #[serde(rename = "ReturnValue")]
    pub return_value: Value,
}

impl InvocationResponse {
    pub fn new(logs: Vec<String>, return_value: Value) -> Self {
        InvocationResponse {
            outputs: Default::default(),
            logs,
            return_value,
        }
    }
}
