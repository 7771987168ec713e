//! What standalone mode checks before a write, where no Functions host stands
//! in front of the app: the `Host` must name this machine's loopback (a page
//! on another site that resolves its own name to 127.0.0.1, DNS rebinding,
//! gets 403), an `Origin`, when a browser sends one, must be loopback too, and
//! the body must be declared JSON (a cross-site form can post
//! `text/plain` or form data without asking; `application/json` needs the
//! browser's permission, which this app never gives). Under the host these
//! routes are reached through the host, which has its own keys and checks.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use movierec_azure::is_local_endpoint;

use super::ApiError;

/// Why a write is refused, if it is.
pub fn refuse_write(headers: &HeaderMap) -> Option<ApiError> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if !host.is_some_and(is_local_endpoint) {
        return Some(ApiError::Forbidden {
            message: format!(
                "writes are accepted only for Host localhost or a loopback address, not {:?}",
                host.unwrap_or("(none)")
            ),
            hint: "send writes from this machine to http://127.0.0.1:<port>; in Azure, events come through the Event Hub".into(),
        });
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        if !origin.contains("://") || !is_local_endpoint(origin) {
            return Some(ApiError::Forbidden {
                message: format!("writes from web pages of {origin:?} are refused"),
                hint: "post from a program on this machine, not from a web page".into(),
            });
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Some(ApiError::UnsupportedMediaType(content_type.to_string()));
    }
    None
}

/// Middleware for standalone mode: applies [`refuse_write`] to every request
/// that is not a GET or HEAD.
pub async fn standalone_writes(request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        if let Some(refused) = refuse_write(request.headers()) {
            return refused.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn loopback_json_writes_pass_and_others_are_refused() {
        let json = ("content-type", "application/json; charset=utf-8");
        for host in [
            "127.0.0.1:7071",
            "localhost:7071",
            "[::1]:7071",
            "LOCALHOST",
        ] {
            assert!(
                refuse_write(&headers(&[("host", host), json])).is_none(),
                "{host}"
            );
        }
        for host in [
            "evil.example:7071",
            "192.168.1.5:7071",
            "127.0.0.1.evil.example",
        ] {
            let refused = refuse_write(&headers(&[("host", host), json]));
            assert!(
                matches!(refused, Some(ApiError::Forbidden { .. })),
                "{host}"
            );
        }
        let form = refuse_write(&headers(&[
            ("host", "127.0.0.1:1"),
            ("content-type", "text/plain"),
        ]));
        assert!(matches!(form, Some(ApiError::UnsupportedMediaType(_))));
        let page = refuse_write(&headers(&[
            ("host", "127.0.0.1:1"),
            ("origin", "https://evil.example"),
            json,
        ]));
        assert!(matches!(page, Some(ApiError::Forbidden { .. })));
        let local_page = refuse_write(&headers(&[
            ("host", "127.0.0.1:1"),
            ("origin", "http://localhost:7071"),
            json,
        ]));
        assert!(local_page.is_none());
    }
}
