//! Why the command refused to start or failed, with the cause kept. The
//! library's errors pass through unchanged; this adds only the command's own.

use std::path::PathBuf;

use movierec_core::data::LoadError;
use movierec_generate::{ConnectError, RunError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("--poison-rate {0} must be between 0 and 1")]
    PoisonRate(f64),
    #[error("--rate must be a positive number of events per second")]
    Rate,
    #[error("--batch must be at least 1")]
    Batch,
    #[error("say where events come from: --from FILE or --synthetic")]
    NoSource,
    #[error("--{0} never ends by itself: give --count or --duration")]
    Endless(&'static str),
    #[error("--users, --movies and --choice-candidates must be positive")]
    EmptyWorld,
    #[error("--to {0:?}: expected stdout, http://HOST:PORT/events or eventhub")]
    Target(String),
    #[error("--to eventhub needs --namespace <name>.servicebus.windows.net (or MOVIEREC_EVENTHUB_NAMESPACE)")]
    Namespace,
    #[error("--closed-loop needs --synthetic (the world its users' taste comes from), --duration, and --to http://HOST:PORT/events (the app in standalone mode)")]
    ClosedLoop,
    #[error("the closed loop stopped")]
    Loop(#[source] movierec_generate::SendError),
    #[error("reading ratings from {}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: LoadError,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Run(#[from] RunError),
}
