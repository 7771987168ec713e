//! Running the server: under the Functions host (`FUNCTIONS_CUSTOMHANDLER_PORT`
//! set) it listens on that port on 127.0.0.1 and answers invocations, with no
//! timers of its own; standalone it bootstraps the store, starts the timers
//! read from function.json, and serves on `--bind:--port`.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::http::router;
use crate::standalone::{bootstrap, function_json, scheduler};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answering a Functions host on its port.
    Host,
    /// On our own: timers, bootstrap, `POST /events`.
    Standalone,
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    mode: Mode,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut timers = Vec::new();
    if mode == Mode::Standalone {
        let dir = function_json::locate(state.settings.functions_dir.as_deref())?;
        let defs = function_json::read_all(&dir)?;
        timers = scheduler::spawn(state.clone(), scheduler::timers(&defs)?);
    }
    tracing::info!(addr = %listener.local_addr()?, ?mode, "serving");
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    timers.iter().for_each(|t| t.abort());
    result.context("HTTP server failed")
}

/// The mode and address from the environment and the command line.
pub fn mode_and_addr(bind: &str, port: u16) -> anyhow::Result<(Mode, SocketAddr)> {
    match std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT") {
        Ok(p) => {
            let port: u16 = p
                .parse()
                .with_context(|| format!("FUNCTIONS_CUSTOMHANDLER_PORT={p:?} is not a port"))?;
            Ok((Mode::Host, SocketAddr::from(([127, 0, 0, 1], port))))
        }
        Err(_) => {
            let ip = bind
                .parse()
                .with_context(|| format!("--bind {bind:?} is not an IP address"))?;
            Ok((Mode::Standalone, SocketAddr::new(ip, port)))
        }
    }
}

/// Runs until Ctrl-C: opens the store, bootstraps (standalone), serves.
pub async fn run(state: AppState, bind: &str, port: u16) -> anyhow::Result<()> {
    let (mode, addr) = mode_and_addr(bind, port)?;
    // Standalone bootstraps unless told not to; under the host only when told to.
    let bootstrap = match std::env::var("MOVIEREC_BOOTSTRAP").as_deref() {
        Ok("true") => true,
        Ok("false") => false,
        _ => mode == Mode::Standalone,
    };
    if bootstrap {
        bootstrap::ensure_ready(&state).await?;
    }
    if mode == Mode::Standalone {
        // Under the host every instance would scan at start; there the first
        // dashboard request reads the figures instead.
        let warming = state.clone();
        tokio::spawn(async move { warming.dashboard.warm(&warming).await });
    }
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    eprintln!(
        "movierec listening on http://{} ({mode:?} mode)",
        listener.local_addr()?
    );
    serve(state, listener, mode, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
