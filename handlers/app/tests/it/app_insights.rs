//! Spans to Application Insights under the Functions host, with the settings
//! infra/ gives the app (`APPLICATIONINSIGHTS_CONNECTION_STRING`,
//! `APPLICATIONINSIGHTS_AUTHENTICATION_STRING=ClientId=...;Authorization=AAD`)
//! and the managed identity's token endpoint the platform gives it
//! (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`). Both Azure services are stood in
//! for by one local server (no Application Insights runs here): it answers
//! the token request as App Service's identity endpoint does and takes the
//! uploads as the ingestion endpoint does, recording both. What is checked
//! is what a user of the traces relies on: the invocation's span arrives as a
//! request in the host's trace, named, with the function and the list's
//! source as properties, its store call under it, and every upload signed
//! with a token for Azure Monitor from the app's own identity.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{json, Value};

use crate::common::traced_ingest;

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";
const CLIENT_ID: &str = "5e3b8c1a-0000-4000-8000-00000000c11d";
const IKEY: &str = "7f1c5a2e-1111-4222-8333-444455556666";
const TOKEN: &str = "token-for-azure-monitor";
const IDENTITY_HEADER: &str = "identity-header-secret";

#[derive(Default)]
struct Seen {
    /// The query of each token request, with whether it carried the platform's header.
    token_requests: Vec<(std::collections::HashMap<String, String>, bool)>,
    /// Each uploaded envelope, with the upload's Authorization header.
    envelopes: Vec<(Value, String)>,
}

type Shared = Arc<Mutex<Seen>>;

async fn token(
    State(seen): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> axum::Json<Value> {
    let signed = headers
        .get("x-identity-header")
        .is_some_and(|v| v == IDENTITY_HEADER);
    seen.lock().unwrap().token_requests.push((query, signed));
    let expires = chrono::Utc::now().timestamp() + 3600;
    axum::Json(json!({
        "access_token": TOKEN,
        "expires_on": expires.to_string(),
        "resource": "https://monitor.azure.com/",
        "token_type": "Bearer",
        "client_id": CLIENT_ID,
    }))
}

async fn track(State(seen): State<Shared>, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut json)
        .expect("a gzip body");
    let items: Vec<Value> = serde_json::from_slice(&json).expect("a JSON array of envelopes");
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let n = items.len();
    seen.lock()
        .unwrap()
        .envelopes
        .extend(items.into_iter().map(|item| (item, auth.clone())));
    axum::Json(json!({"itemsReceived": n, "itemsAccepted": n, "errors": []}))
}

/// The envelope whose data is named `name` in the caller's trace.
fn in_trace<'a>(seen: &'a Seen, name: &str) -> Option<&'a (Value, String)> {
    seen.envelopes.iter().find(|(e, _)| {
        e["data"]["baseData"]["name"] == name && e["tags"]["ai.operation.id"] == TRACE_ID
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_host_spans_reach_application_insights_signed_in_with_the_managed_identity() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let azure = format!("http://{}", listener.local_addr().unwrap());
    let seen: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/msi/token", get(token))
        .route("/v2.1/track", post(track))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let store = tempfile::tempdir().unwrap();
    let connection_string =
        format!("InstrumentationKey={IKEY};IngestionEndpoint={azure}/;LiveEndpoint={azure}/");
    let identity_endpoint = format!("{azure}/msi/token");
    let authentication = format!("ClientId={CLIENT_ID};Authorization=AAD");
    let env = [
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            connection_string.as_str(),
        ),
        (
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            authentication.as_str(),
        ),
        ("IDENTITY_ENDPOINT", identity_endpoint.as_str()),
        ("IDENTITY_HEADER", IDENTITY_HEADER),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let bodies = vec![
        json!({"UserId": 1, "MovieId": 31, "Rating": 2.5, "Timestamp": 1_700_000_000}).to_string(),
    ];
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let _instance = traced_ingest(store.path(), &env, traceparent, bodies).await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let (request, ingest) = loop {
        {
            let seen = seen.lock().unwrap();
            if let (Some(request), Some(ingest)) = (
                in_trace(&seen, "POST /{function}"),
                in_trace(&seen, "ingest"),
            ) {
                break (request.clone(), ingest.clone());
            }
            let names: Vec<&Value> = seen
                .envelopes
                .iter()
                .map(|(e, _)| &e["data"]["baseData"]["name"])
                .collect();
            assert!(
                Instant::now() < deadline,
                "no invocation span in Application Insights within 60 s; envelopes: {names:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (envelope, auth) = request;
    assert_eq!(auth, format!("Bearer {TOKEN}"), "every upload is signed");
    assert_eq!(envelope["iKey"], IKEY);
    assert_eq!(envelope["data"]["baseType"], "RequestData", "{envelope}");
    let data = &envelope["data"]["baseData"];
    assert_eq!(data["responseCode"], "200", "{envelope}");
    assert_eq!(data["success"], true, "{envelope}");
    assert_eq!(
        data["properties"]["faas.name"], "IngestRatings",
        "{envelope}"
    );
    assert_eq!(
        envelope["tags"]["ai.operation.parentId"], CALLER_SPAN,
        "{envelope}"
    );
    // the store call, under the invocation
    let (ingest, _) = ingest;
    assert_eq!(
        ingest["tags"]["ai.operation.parentId"], data["id"],
        "{ingest}"
    );

    let seen = seen.lock().unwrap();
    let (query, signed) = &seen.token_requests[0];
    assert!(
        signed,
        "the token request carries the platform's IDENTITY_HEADER"
    );
    assert_eq!(query["resource"], "https://monitor.azure.com/");
    assert_eq!(query["client_id"], CLIENT_ID, "the identity infra/ names");
}
