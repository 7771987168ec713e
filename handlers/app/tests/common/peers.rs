//! What a test does when a peer it needs (Spark, a local server, a browser)
//! is missing. Shared with the generator's tests (handlers/generate/tests
//! include this file), so every suite skips and fails alike.

/// A failure when `require_var` is "1" (CI sets it), otherwise a skip with `why`.
pub fn missing_peer<T>(require_var: &str, why: &str) -> Option<T> {
    if std::env::var(require_var).as_deref() == Ok("1") {
        panic!("{require_var}=1 but {why}");
    }
    eprintln!("skipping: {why}");
    None
}
