//! The one error type of every backend, so the app can map it to an answer
//! (a failed invocation the host retries) without knowing the backend.
//!
//! Owns [`StoreError`] and the way a backend words a failure ([`Explained`]).
//! It must not know any backend: each one builds its errors from its own
//! library's, which stay attached as the `source`, so `{:#}` and error-chain
//! walkers reach them (and can downcast to them). The text of a `StoreError`
//! still says backend, operation and cause by itself, because logs and tests
//! read it with a plain `{}`; a chain printer therefore shows the cause twice.

use std::error::Error;
use std::fmt;

/// A boxed error of any library, as kept inside a [`StoreError`].
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend refused or failed an operation (I/O, SQL, network, throttling).
    #[error("{backend} store failed to {operation}: {source}")]
    Backend {
        backend: &'static str,
        operation: &'static str,
        /// Why: the library's error, or the backend's words around it (`Explained`).
        #[source]
        source: BoxError,
    },
    /// Something stored cannot be read back (a bug or a hand edit).
    #[error("stored data is invalid ({what}): {source}")]
    Corrupt {
        what: &'static str,
        /// Why: the decoder's error, or words when nothing failed but a check.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// [`StoreError::Backend`] of `backend` failing `operation` because of `source`
    /// (a library error, an [`Explained`] one, or just words).
    pub(crate) fn backend(
        backend: &'static str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        StoreError::Backend {
            backend,
            operation,
            source: source.into(),
        }
    }

    /// [`StoreError::Corrupt`]: `what` cannot be read back because of `source`.
    pub(crate) fn corrupt(what: &'static str, source: impl Into<BoxError>) -> Self {
        StoreError::Corrupt {
            what,
            source: source.into(),
        }
    }
}

/// A backend's own words about a failure (what failed, what to check), with
/// the library error underneath as its `source`. Its text is the words only,
/// so they should quote the cause where a reader of `{}` needs it.
#[derive(Debug)]
pub(crate) struct Explained {
    text: String,
    cause: BoxError,
}

impl Explained {
    pub(crate) fn new(text: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Explained {
            text: text.into(),
            cause: cause.into(),
        }
    }
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Error for Explained {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_backend_operation_and_cause_and_the_cause_stays_reachable() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let err = StoreError::backend(
            "sqlite",
            "open",
            Explained::new(format!("/x/movierec.db: {io}; check the permissions"), io),
        );
        assert_eq!(
            err.to_string(),
            "sqlite store failed to open: /x/movierec.db: denied; check the permissions"
        );
        let mut chain = Vec::new();
        let mut next: Option<&(dyn Error + 'static)> = Some(&err);
        while let Some(e) = next {
            chain.push(e.to_string());
            next = e.source();
        }
        assert_eq!(chain.len(), 3, "{chain:?}");
        assert_eq!(chain[2], "denied");
        let io = err.source().unwrap().source().unwrap();
        assert_eq!(
            io.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::PermissionDenied
        );

        let err = StoreError::corrupt("serving version", "x1");
        assert_eq!(
            err.to_string(),
            "stored data is invalid (serving version): x1"
        );
        assert!(err.source().is_some());
    }
}
