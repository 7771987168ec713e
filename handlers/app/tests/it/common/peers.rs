//! What a test does when a peer it needs (Spark, a local server, a browser)
//! is missing. Shared with the generator's tests (handlers/generate/tests
//! include this file), so every suite skips and fails alike.

/// A failure when `require_var` is "1" (CI sets it), otherwise a skip with `why`.
pub fn missing_peer<T>(require_var: &str, why: &str) -> Option<T> {
    if std::env::var(require_var).as_deref() == Ok("1") {
        panic!("{require_var}=1 but {why}");
    }
    not_run(&format!(
        "{why} (set {require_var}=1 to make this a failure)"
    ));
    None
}

/// Says, where the person running the suite sees it, that the calling test
/// did not run and why. The test harness captures `eprintln!` of a passing
/// test, so a skip printed that way was hidden behind "ok"; a write to the
/// process's stderr is not captured.
pub fn not_run(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "NOT RUN: {test}: {why}");
}
