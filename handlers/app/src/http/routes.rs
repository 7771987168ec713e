//! Routes: each handler parses what the socket gave it, calls the module
//! that owns the request (`crate::serving`, `crate::dashboard`,
//! `crate::functions`, `crate::events`), and turns the result into a response.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Json, Router};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tracing::{Instrument, Span};

use super::{guard, metrics, spans, ApiError, Mode};
use crate::catalogue::patches::{apply_patches, read_patches, PatchOutcome, MAX_PATCHES};
use crate::dashboard::requests as dashboard;
use crate::events::{parse_batch, BatchMetadata, ParsedBatch};
use crate::functions::{ingest_ratings, Function};
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::serving::{query, ListRequest, Recommendations};
use crate::standalone::queues::LocalQueues;
use crate::state::AppState;
use crate::telemetry::RouteCounter;

/// The OpenAPI 3 document of every HTTP route (handlers/app/openapi.json).
pub const OPENAPI_DOCUMENT: &str = include_str!("../../openapi.json");
/// Largest timer invocation body (the host's timer payload is a few hundred bytes).
const MAX_TIMER_BYTES: usize = 64 << 10;

/// Headers on every answer: no sniffing, no framing, and a page that may
/// load nothing but its own inline styles and data images.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

/// The routes; in standalone mode `queues` carries invocations' queue
/// outputs to the queue-triggered functions, as the host would.
pub fn router(state: AppState, mode: Mode, queues: Option<LocalQueues>) -> Router {
    let body_timeout = state.settings.limits.body_timeout;
    // Each route is counted by its pattern when metrics are on
    // (`metrics::counted`), outside its other layers, so that what they
    // refuse is counted too; the recommendations route counts its own.
    let sampling = spans::Sampling {
        every: mode == Mode::Host,
        share: state.settings.trace_sample,
    };
    let routes = |table: Vec<(&'static str, MethodRouter<AppState>)>, layers: &dyn Fn(_) -> _| {
        table
            .into_iter()
            .fold(Router::new(), |router, (path, method_router)| {
                let counted = metrics::counted(&state, path, layers(method_router));
                router.route(path, spans::traced(sampling, path, counted))
            })
    };
    // GETs of the API and the dashboard: no body, nothing written, so none of
    // the write layers below (each costs every request it wraps an allocation
    // or a boxed future, measurable on the GET path beside the no-work ceiling).
    let no_layers = |method_router| method_router;
    let recommending = Recommending {
        state: state.clone(),
        counter: metrics::recommendations_counter(&state),
        sampling: spans::wanted().then_some(sampling),
    };
    let reads = routes(
        vec![
            ("/movies/{movie}/similar", get(similar_movies)),
            ("/openapi.json", get(openapi)),
            ("/dashboard", get(dashboard_page)),
            ("/dashboard/{view}", get(dashboard_data)),
            ("/healthz", get(|| async { "ok" })),
            ("/metrics", get(metrics::metrics)),
        ],
        &no_layers,
    );
    // What writes or reads a body, and `/`, which answers by mode.
    let write_layers = |method_router: MethodRouter<AppState>| {
        let mut method_router = method_router
            .route_layer(Extension(mode))
            .route_layer(RequestBodyTimeoutLayer::new(body_timeout));
        if mode == Mode::Standalone {
            method_router =
                method_router.route_layer(axum::middleware::from_fn(guard::standalone_writes));
        }
        if let Some(queues) = &queues {
            method_router = method_router.route_layer(Extension(queues.clone()));
        }
        method_router
    };
    let writes = routes(
        vec![
            ("/", get(root)),
            ("/movies", post(upsert_movies)),
            ("/events", post(events)),
            (metrics::FUNCTION_ROUTE, post(invoke)),
        ],
        &write_layers,
    );
    reads
        .route(
            metrics::RECOMMENDATIONS_ROUTE,
            get(recommendations).with_state(recommending),
        )
        .merge(writes)
        .with_state(state)
        .layer(axum::middleware::map_response(security_headers))
}

/// Adds [`SECURITY_HEADERS`] to an answer that lacks them (one layer for
/// all four: a layer each cost every GET four nested futures).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// `GET /`: under the host, its bare health ping (no invocation id) gets a
/// constant answer: it comes at every start and health check, and must not
/// cost a store read. Anything else gets the dashboard.
async fn root(
    state: State<AppState>,
    Extension(mode): Extension<Mode>,
    headers: HeaderMap,
    query: Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    // The host leaves its invocation id off its bare ping.
    if mode == Mode::Host && !headers.contains_key(spans::INVOCATION_ID) {
        return Ok("ok".into_response());
    }
    dashboard_page(state, query).await
}

/// What the recommendations route is handed: the app, its counters, and
/// which requests it traces (`None`: spans are off).
#[derive(Clone)]
struct Recommending {
    state: AppState,
    counter: RouteCounter,
    sampling: Option<spans::Sampling>,
}

/// The GET's span, opened from the request's headers before the handler runs
/// when its sampling picks it, else none. The route traces itself this way
/// rather than through `spans::traced`'s layer, whose boxed future and
/// middleware cost GETs 3 points more of their throughput even when nothing
/// is sampled (0.936 against 0.968 of no exporter, `bench/serve_ab.sh`).
struct GetSpan(Span);

impl FromRequestParts<Recommending> for GetSpan {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Recommending,
    ) -> Result<Self, Self::Rejection> {
        Ok(GetSpan(match state.sampling {
            Some(sampling) if sampling.opens_span(&parts.headers) => {
                spans::request_span("GET", metrics::RECOMMENDATIONS_ROUTE, &parts.headers)
            }
            _ => Span::none(),
        }))
    }
}

/// `GET /recommendations/{user}?n=&offset=&genre=&exclude=`: GetRecommendations,
/// counted here by list source (`metrics::recommendations_counter`), in its
/// span when it has one.
async fn recommendations(
    State(Recommending { state, counter, .. }): State<Recommending>,
    GetSpan(span): GetSpan,
    user: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    if span.is_none() {
        return list_answer(&state, &counter, &span, user, params).await;
    }
    let response = list_answer(&state, &counter, &span, user, params)
        .instrument(span.clone())
        .await;
    spans::record_status(&span, response.status().as_u16());
    response
}

/// The GET's answer, counted, with its list's source and arm on `span`.
async fn list_answer(
    state: &AppState,
    counter: &RouteCounter,
    span: &Span,
    user: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let started = Instant::now();
    let (response, source) = match recommend(state, user, params).await {
        Ok(list) => {
            let movies = || list.items.iter().map(|item| item.movie_id).collect();
            let source = list.source.as_str();
            let arm = list.arm.as_deref().unwrap_or("");
            if !span.is_none() {
                span.record("movierec.list.source", source);
                span.record("movierec.arm", arm);
            }
            state
                .impressions
                .record(list.user, list.model_version, source, arm, movies);
            (sized_json(&list), source)
        }
        Err(refused) => (refused, ""),
    };
    counter.record(source, response.status().as_u16(), started.elapsed());
    response
}

/// The list a GET asks for, or the answer that refuses it.
async fn recommend(
    state: &AppState,
    user: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Recommendations, Response> {
    let Path(user) = user.map_err(IntoResponse::into_response)?;
    let Query(params) = params.map_err(IntoResponse::into_response)?;
    let listed = async {
        let user = query::parse_user(&user)?;
        let request = ListRequest::from_query(&params)?;
        Ok::<_, ApiError>(state.serving.recommend(user, &request).await?)
    };
    listed.await.map_err(IntoResponse::into_response)
}

/// Room for a list answer (about 2 KB for 10 items with titles and reasons).
const ANSWER_BYTES: usize = 4096;

/// A JSON answer written into a buffer sized for a list up front: axum's
/// `Json` starts at 128 bytes and grows by copying, three times for a list.
fn sized_json<T: serde::Serialize>(value: &T) -> Response {
    let mut body = Vec::with_capacity(ANSWER_BYTES);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        // What axum answers for a value that does not serialise.
        Err(_) => Json(value).into_response(),
    }
}

/// `GET /movies/{id}/similar?n=`: SimilarMovies.
async fn similar_movies(
    State(state): State<AppState>,
    Path(movie): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let movie = query::parse_movie(&movie)?;
    let n = query::only_n(&params)?;
    Ok(sized_json(&state.serving.similar(movie, n).await?))
}

/// `POST /movies`: UpsertMovies, a JSON array of movie patches.
async fn upsert_movies(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PatchOutcome>, ApiError> {
    let bytes = read_body(&headers, body, state.settings.limits.events_body_bytes).await?;
    let read = read_patches(&bytes).map_err(|e| {
        ApiError::bad_request(
            e.to_string(),
            format!("send an array of at most {MAX_PATCHES} patches, e.g. [{{\"movie_id\":31,\"title\":\"Dangerous Minds (1995)\",\"genres\":[\"Drama\"]}},{{\"movie_id\":32,\"hidden\":true}}]"),
        )
    })?;
    let outcome = apply_patches(state.store.as_ref(), read).await?;
    tracing::info!(
        added = outcome.added,
        changed = outcome.changed,
        unchanged = outcome.unchanged,
        rejected = outcome.rejected.len(),
        "movies upserted"
    );
    Ok(Json(outcome))
}

/// `GET /openapi.json`: OpenApi, the API's description (checked in beside
/// the crate, tested against these routes).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_DOCUMENT,
    )
        .into_response()
}

/// `GET /` and `GET /dashboard`: the dashboard page.
async fn dashboard_page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (html, refused) = dashboard::page(&state.dashboard, &query).await?;
    let status = match refused {
        // The page still shows everything else; the status says the query was refused.
        Some(query) => ApiError::from(query).status(),
        None => StatusCode::OK,
    };
    Ok((status, Html(html)).into_response())
}

/// `GET /dashboard/{view}`: one of the page's figures as JSON.
async fn dashboard_data(
    State(state): State<AppState>,
    Path(view): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let body = dashboard::data(&state.dashboard, &view, &query).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Reads a body up to `limit` bytes; a larger one is refused whole.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(size) = declared.filter(|&s| s > limit) {
        return Err(ApiError::PayloadTooLarge { size, limit });
    }
    to_bytes(body, limit).await.map_err(|e| match declared {
        // The declared length fit, so the read itself failed (the client went away).
        Some(_) => ApiError::bad_request(
            format!("could not read the request body: {e}"),
            "send the request again",
        ),
        // No declared length (chunked): the limit is what stopped the read.
        None => ApiError::PayloadTooLarge {
            size: limit + 1,
            limit,
        },
    })
}

/// `POST /events`: one event or an array, as the Event Hub would deliver them.
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limits = &state.settings.limits;
    let bytes = read_body(&headers, body, limits.events_body_bytes).await?;
    let now = chrono::Utc::now().timestamp();
    let parsed = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) => parse_batch(
            &value,
            &BatchMetadata::default(),
            now,
            limits.dead_letters_per_batch,
        ),
        Err(e) => {
            // Not JSON at all: keep the body as one dead letter, named by its content, and say so.
            let batch =
                ParsedBatch::unreadable(&bytes, format!("request body is not JSON: {e}"), now);
            ingest_ratings::store(&state, &batch).await?;
            return Err(ApiError::bad_request(
                format!("request body is not JSON ({e}); it was kept as a dead letter"),
                "send one event object or an array of them, e.g. [{\"UserId\":1,\"MovieId\":31,\"Rating\":2.5,\"Timestamp\":1523000000}]",
            ));
        }
    };
    let outcome = ingest_ratings::store(&state, &parsed).await?;
    Ok(Json(ingest_ratings::answer(&parsed, &outcome)).into_response())
}

/// `POST /<FunctionName>`: an invocation from the Functions host.
async fn invoke(
    State(state): State<AppState>,
    Extension(mode): Extension<Mode>,
    queues: Option<Extension<LocalQueues>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let function = Function::from_name(&name).filter(|f| f.is_invoked());
    let limit = match (function, mode) {
        (Some(Function::IngestRatings), Mode::Host) => state.settings.limits.invocation_body_bytes,
        (Some(Function::IngestRatings), Mode::Standalone) => {
            state.settings.limits.events_body_bytes
        }
        _ => MAX_TIMER_BYTES,
    };
    let result = async {
        let function = function.ok_or_else(|| ApiError::UnknownFunction(name.clone()))?;
        let bytes = read_body(&headers, body, limit).await?;
        let request: InvocationRequest = if bytes.is_empty() {
            InvocationRequest::default()
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request(
                    format!("invocation body is not the host's JSON: {e}"),
                    "expected {\"Data\":{...},\"Metadata\":{...}}",
                )
            })?
        };
        let id = headers
            .get(spans::INVOCATION_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info!(function = function.name(), invocation = id, "invocation");
        let invoked = function.invoke(&state, &request).await?;
        if let Some(Extension(queues)) = &queues {
            queues.send_shards(function, &invoked.shards);
        }
        let response = invoked.response;
        Ok::<_, ApiError>(response)
    }
    .await;
    match result {
        Ok(response) => Json(response).into_response(),
        // A failed invocation: non-2xx makes the host fail it and, with a
        // retry policy, retry it. A failure on this side is the function
        // failing (500, whatever the cause); 4xx stay as they are.
        Err(e) => {
            let status = match e.status() {
                s if s.is_server_error() => StatusCode::INTERNAL_SERVER_ERROR,
                s => s,
            };
            let message = e.logged_message(status);
            let body = InvocationResponse::new(
                vec![format!("{name} failed: {message}")],
                serde_json::Value::Null,
            );
            (status, Json(body)).into_response()
        }
    }
}
