//! The HTTP client side: how the host's `HttpClient` puts requests on the wire.
//!
//! An invocation body is an `ObjectContent<HttpScriptInvocationContext>`
//! (src/WebJobs.Script/Workers/MessageExtensions/HttpScriptInvocationContextExtensions.cs,
//! lines 13-23), whose length is unknown before it is serialised, so .NET
//! sends it with `Transfer-Encoding: chunked` and no `Content-Length`, under
//! `Content-Type: application/json; charset=utf-8`. Here a body of unknown
//! size (a stream of chunks) makes hyper frame it the same way.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::{HeaderMap, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub(crate) type Body = BoxBody<Bytes, Infallible>;
pub(crate) type Client = hyper_util::client::legacy::Client<HttpConnector, Body>;

/// A failed exchange (no answer at all; an answer with any status is not an error).
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    /// Nothing listened (the host keeps polling until the handler is up).
    pub refused: bool,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// HTTP/1.1 with header names title-cased as .NET writes them, a new
/// connection per request (the host pools them; a fresh one per request keeps
/// a restarted handler from meeting a stale pooled connection).
pub(crate) fn client() -> Client {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http1_title_case_headers(true)
        .pool_max_idle_per_host(0)
        .build_http()
}

/// A body of unknown length sent in `chunk`-byte pieces: chunked, no Content-Length.
pub(crate) fn chunked(bytes: Vec<u8>, chunk: usize) -> Body {
    let bytes = Bytes::from(bytes);
    let chunk = chunk.max(1);
    let frames: Vec<std::result::Result<Frame<Bytes>, Infallible>> = (0..bytes.len())
        .step_by(chunk)
        .map(|start| {
            Ok(Frame::data(
                bytes.slice(start..(start + chunk).min(bytes.len())),
            ))
        })
        .collect();
    StreamBody::new(futures::stream::iter(frames)).boxed()
}

/// A body of known length (hyper adds its Content-Length).
pub(crate) fn sized(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes)).boxed()
}

pub(crate) fn empty() -> Body {
    Empty::new().boxed()
}

/// Sends `request` and reads the whole answer within `timeout`.
pub(crate) async fn exchange(
    client: &Client,
    request: Request<Body>,
    timeout: Duration,
) -> Result<(u16, HeaderMap, Bytes)> {
    let uri = request.uri().clone();
    let fail = |message: String, refused: bool| Error { message, refused };
    let work = async {
        let response = client.request(request).await.map_err(|e| {
            let refused = e.is_connect();
            fail(format!("{uri}: {e} ({e:?})"), refused)
        })?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| fail(format!("{uri}: reading the answer: {e}"), false))?
            .to_bytes();
        Ok((parts.status.as_u16(), parts.headers, bytes))
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| fail(format!("{uri}: no answer within {timeout:?}"), false))?
}
