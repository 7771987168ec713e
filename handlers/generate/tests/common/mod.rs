//! Helpers for the generator's tests: running `movierec-generate`, and the
//! app to send to. The app is another package's binary, which Cargo gives
//! these tests no path to, so it runs in the test's own process, through the
//! same server code `movierec serve` runs ([`start_serve`]).
#![allow(dead_code)]

use movierec::server::{serve, Mode};
use movierec::settings::Settings;
use movierec::state::AppState;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (two levels above this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The app's tests' rule for a missing peer: skip, or fail under CI.
#[path = "../../../app/tests/it/common/peers.rs"]
mod peers;
#[allow(unused_imports)]
pub use peers::missing_peer;

/// Runs `movierec-generate` with `args`.
pub fn generator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movierec-generate"))
        .args(args)
        .output()
        .expect("run movierec-generate")
}

/// Runs `movierec-generate` and returns stdout, failing the test with stderr on a non-zero exit.
pub fn generator_ok(args: &[&str]) -> String {
    let out = generator(args);
    assert!(
        out.status.success(),
        "movierec-generate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The app (`movierec serve`'s server, standalone mode) in this process on
/// a store in `store`, with no bootstrap and small models; stopped on drop.
pub struct Serve {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the app on `store` on a free loopback port and waits until it listens.
pub fn start_serve(store: &Path) -> Serve {
    let mut settings = Settings::for_tests(store.to_path_buf());
    settings.functions_dir = Some(root().join("functions"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, listening) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the app");
        runtime.block_on(async move {
            let state = AppState::open(settings).await.expect("open the store");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind a port");
            let url = format!("http://{}", listener.local_addr().unwrap());
            ready.send(url).unwrap();
            let shutdown = async move {
                let _ = stopped.await;
            };
            serve(state, listener, Mode::Standalone, shutdown)
                .await
                .expect("the app serves");
        });
    });
    let url = listening
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the app listens");
    Serve {
        stop: Some(stop),
        thread: Some(thread),
        url,
    }
}
