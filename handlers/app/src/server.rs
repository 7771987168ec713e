//! Running the server: under the Functions host (`FUNCTIONS_CUSTOMHANDLER_PORT`
//! set) it listens on that port on 127.0.0.1 and answers invocations, with no
//! timers of its own; standalone it bootstraps the store, starts the timers
//! read from function.json, and serves on `--bind:--port`.
//!
//! Connections are served by hyper with a header-read timeout (which also
//! closes idle keep-alive connections) and at most
//! [`Limits::max_connections`](crate::settings::Limits) at once: past that,
//! new connections wait in the listen backlog instead of exhausting file
//! descriptors. On SIGTERM (what the platform sends on scale-in) or Ctrl-C the
//! server stops accepting, cancels running jobs (each releases its lease),
//! lets requests in flight finish, and returns within [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::http::router;
pub use crate::http::Mode;
use crate::standalone::bootstrap::{self, BootstrapError};
use crate::standalone::function_json::{self, FunctionJsonError};
use crate::standalone::queues::{LocalQueues, QueueError};
use crate::standalone::scheduler::{self, TimerError};
use crate::state::AppState;

/// Why the server could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("FUNCTIONS_CUSTOMHANDLER_PORT={value:?} is not a port")]
    HostPort {
        value: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("--bind {value:?} is not an IP address")]
    Bind {
        value: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("binding {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the listening socket's address")]
    LocalAddr(#[source] std::io::Error),
    #[error(transparent)]
    Functions(#[from] FunctionJsonError),
    #[error(transparent)]
    Queues(#[from] QueueError),
    #[error(transparent)]
    Timers(#[from] TimerError),
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
}

/// How long shutdown waits for jobs and requests in flight: inside the 10 s
/// a container gets between SIGTERM and SIGKILL.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    mode: Mode,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let mut timers = Vec::new();
    let mut local_queues = None;
    if mode == Mode::Standalone {
        let dir = function_json::locate(state.settings.functions_dir.as_deref())?;
        let defs = function_json::read_all(&dir)?;
        let queues = LocalQueues::start(&state, &defs)?;
        timers = scheduler::spawn(state.clone(), scheduler::timers(&defs)?, queues.clone());
        local_queues = Some(queues);
    }
    let addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
    tracing::info!(%addr, ?mode, "serving");
    let limits = state.settings.limits.clone();
    let app = router(state.clone(), mode, local_queues);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait, never spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    timers.iter().for_each(|t| t.abort());
    if !state.jobs.shut_down(SHUTDOWN_GRACE).await {
        tracing::warn!("a job did not stop within the shutdown grace; its lease expires by itself");
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at the end of the shutdown grace were dropped");
    }
    Ok(())
}

/// The mode and address from the environment and the command line.
pub fn mode_and_addr(bind: &str, port: u16) -> Result<(Mode, SocketAddr), ServerError> {
    match std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT") {
        Ok(p) => {
            let port: u16 = p.parse().map_err(|source| ServerError::HostPort {
                value: p.clone(),
                source,
            })?;
            Ok((Mode::Host, SocketAddr::from(([127, 0, 0, 1], port))))
        }
        Err(_) => {
            let ip = bind.parse().map_err(|source| ServerError::Bind {
                value: bind.to_string(),
                source,
            })?;
            Ok((Mode::Standalone, SocketAddr::new(ip, port)))
        }
    }
}

/// Completes at SIGTERM or Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot watch for SIGTERM; Ctrl-C only"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs until SIGTERM or Ctrl-C: bootstraps (standalone), then serves.
pub async fn run(state: AppState, bind: &str, port: u16) -> Result<(), ServerError> {
    let (mode, addr) = mode_and_addr(bind, port)?;
    let stop = CancellationToken::new();
    {
        let (stop, jobs) = (stop.clone(), state.jobs.cancel.clone());
        tokio::spawn(async move {
            terminated().await;
            tracing::info!("shutting down");
            jobs.cancel();
            stop.cancel();
        });
    }
    if mode == Mode::Standalone && !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "standalone mode on a non-loopback address: GETs and the dashboard are open to the network without authentication (writes still need a loopback Host); put a proxy with authentication in front"
        );
    }
    // Standalone bootstraps unless told not to; under the host only when told to.
    let bootstrap = match std::env::var("MOVIEREC_BOOTSTRAP").as_deref() {
        Ok("true") => true,
        Ok("false") => false,
        _ => mode == Mode::Standalone,
    };
    if bootstrap {
        tokio::select! {
            ready = bootstrap::ensure_ready(&state) => {
                if let Err(e) = ready {
                    if !stop.is_cancelled() {
                        return Err(e.into());
                    }
                }
            }
            _ = stop.cancelled() => {}
        }
        if stop.is_cancelled() {
            state.jobs.shut_down(SHUTDOWN_GRACE).await;
            tracing::info!("stopped during the bootstrap; the next start resumes it");
            return Ok(());
        }
    }
    if mode == Mode::Standalone {
        // Under the host every instance would scan at start; there the first
        // dashboard request reads the figures instead.
        let warming = state.dashboard.clone();
        tokio::spawn(async move { warming.warm().await });
    }
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Listen { addr, source })?;
    // The line scripts wait for; on the stream the logs go to (stdout under the host).
    let listening = format!(
        "movierec listening on http://{} ({mode:?} mode)",
        listener.local_addr().map_err(ServerError::LocalAddr)?
    );
    match mode {
        Mode::Host => println!("{listening}"),
        Mode::Standalone => eprintln!("{listening}"),
    }
    serve(state, listener, mode, async move { stop.cancelled().await }).await
}
