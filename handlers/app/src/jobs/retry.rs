//! Tries of one queue message in process: as many as the Storage queue's
//! default `maxDequeueCount`, so a shard gets the same chances in
//! `serve`'s pool and the standalone queues (both through
//! [`super::Job::run_with_attempts`]) as under the host.

use std::future::Future;
use std::time::Duration;

/// Tries per message.
pub const ATTEMPTS: u32 = 5;

/// Runs `attempt(n)` for n = 1, 2, ... until it succeeds or [`ATTEMPTS`]
/// tries have failed, waiting 200 ms × n between tries; `failed(n, error)`
/// hears of every failure but the last, which is returned.
pub async fn with_attempts<T, E, Fut>(
    mut attempt: impl FnMut(u32) -> Fut,
    mut failed: impl FnMut(u32, &E),
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut n = 1;
    loop {
        match attempt(n).await {
            Ok(done) => return Ok(done),
            Err(e) if n < ATTEMPTS => {
                failed(n, &e);
                n += 1;
                tokio::time::sleep(Duration::from_millis(200 * n as u64)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_message_is_tried_until_it_succeeds_or_its_tries_run_out() {
        let tries = AtomicU32::new(0);
        let heard = AtomicU32::new(0);
        let third: Result<u32, String> = with_attempts(
            |n| {
                tries.fetch_add(1, Ordering::Relaxed);
                async move {
                    if n == 3 {
                        Ok(n)
                    } else {
                        Err(format!("try {n}"))
                    }
                }
            },
            |_, _| {
                heard.fetch_add(1, Ordering::Relaxed);
            },
        )
        .await;
        assert_eq!(third, Ok(3));
        assert_eq!(heard.load(Ordering::Relaxed), 2);

        tries.store(0, Ordering::Relaxed);
        let never: Result<(), String> = with_attempts(
            |n| {
                tries.fetch_add(1, Ordering::Relaxed);
                async move { Err(format!("try {n}")) }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(never, Err(format!("try {ATTEMPTS}")));
        assert_eq!(tries.load(Ordering::Relaxed), ATTEMPTS);
    }
}
