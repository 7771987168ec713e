//! The one error type of every backend, so the app can map it to an answer
//! (a failed invocation the host retries) without knowing the backend.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend refused or failed an operation (I/O, SQL, network, throttling).
    #[error("{backend} store failed to {operation}: {message}")]
    Backend {
        backend: &'static str,
        operation: &'static str,
        message: String,
    },
    /// Something stored cannot be read back (a bug or a hand edit).
    #[error("stored data is invalid ({what}): {message}")]
    Corrupt { what: &'static str, message: String },
}
