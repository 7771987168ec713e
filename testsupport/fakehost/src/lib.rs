//! # movierec-fakehost: the Functions host, as a custom handler sees it
//!
//! Azure Functions Core Tools cannot be installed on movierec's build
//! machines, so tests cannot run the real host. [`FakeHost`] sends a handler
//! what the host's own code sends, byte for byte where it matters. Read from
//! Azure/azure-functions-host (`src/WebJobs.Script/`, dev branch, 2024-10):
//!
//! - **Invocations** (`Workers/Http/DefaultHttpWorkerService.cs`,
//!   `ProcessDefaultInvocationRequest`, lines 179-220): `POST
//!   http://127.0.0.1:<port>/<FunctionName>` with headers
//!   `X-Azure-Functions-HostVersion`, `X-Azure-Functions-InvocationId` (a
//!   GUID) and `User-Agent: Azure-Functions-Host/<version>` (`AddHeaders`,
//!   lines 161-166; names in `Workers/Http/HttpWorkerConstants.cs`). The body
//!   is an `ObjectContent<HttpScriptInvocationContext>`
//!   (`Workers/MessageExtensions/HttpScriptInvocationContextExtensions.cs`):
//!   `application/json; charset=utf-8`, chunked, no Content-Length ([`wire`]).
//! - **Values** (`Workers/MessageExtensions/ScriptInvocationContextExtensions.cs`,
//!   `ToHttpScriptInvocationContext` and `GetHttpScriptInvocationContextValue`,
//!   lines 18-82): every Data and Metadata value that does not serialise to a
//!   JSON object is sent JSON-encoded as a string; trigger-named binding data
//!   is left out of Metadata; `RetryContext` is added on retries only
//!   (lines 84-96). See [`dotnet`].
//! - **Event Hub batches** (`cardinality: many`, `dataType: string`): `Data.events`
//!   is ONE string holding a JSON array of strings; `SequenceNumberArray`,
//!   `OffsetArray`, `EnqueuedTimeUtcArray` (no trailing `Z`),
//!   `PartitionKeyArray`, `PropertiesArray`, `SystemPropertiesArray` are JSON
//!   strings; `PartitionContext` and `sys` are objects ([`events`], after the
//!   extension's `EventHubTriggerBindingStrategy`).
//! - **Queue messages**: `Data.<binding>` the message's text, `DequeueCount`
//!   and the rest of the binding data JSON-encoded ([`queue`]).
//! - **Timers**: `Data.timer` is the `TimerInfo` object, `ScheduleStatus`
//!   possibly null ([`timer`]).
//! - **Answers**: a non-2xx answer fails the invocation before its body is
//!   read, so its `Logs` are dropped; a retry policy then sends the batch again
//!   ([`HostAnswer`], [`FakeHost::deliver_with_retries`]).
//! - **The ping** (`SendPingRequestAsync`/`PingAsync`, lines 263-324): a bare
//!   `GET /` with only a `Host` header, at start every 25 ms until any answer,
//!   and from the host monitor ([`FakeHost::ping`]).
//! - **Forwarded HTTP** (`enableForwardingHttpRequest`,
//!   `ProcessHttpInAndOutInvocationRequest`, lines 74-117): the caller's
//!   request with its headers, plus the invocation headers ([`FakeHost::forward`]).
//!
//! Not reproduced: the host's connection pooling (one connection per request
//! here), retry waits (skipped), `dataType: binary` batches (base64 strings).

pub mod answer;
pub mod dotnet;
pub mod events;
mod host;
pub mod queue;
pub mod timer;
pub mod wire;

pub use answer::{Delivery, Forwarded, HostAnswer, Ping};
pub use events::{EventBatch, PartitionContext, RetryContext};
pub use host::{FakeHost, ForwardedRequest, FOREVER_CAP, HOST_VERSION};
pub use queue::queue_invocation;
pub use timer::TimerPayload;
pub use wire::{Error, Result};
