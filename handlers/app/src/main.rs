//! # movierec: the binary
//!
//! One executable for every role: the command line (`train`, `evaluate`,
//! `recommend`, `split`, `synth`, `package`) and the app (`serve`, standalone
//! or as the Functions custom handler; see the library crate's docs). This
//! file stays thin: it parses the command line, sets up `tracing`, and hands
//! over to [`cli`].

mod cli;

use clap::Parser;
use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    movierec::allocator::configure();
    let filter = EnvFilter::try_from_env("MOVIEREC_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_log_level()));
    if std::env::var_os("FUNCTIONS_CUSTOMHANDLER_PORT").is_some() {
        // The Functions host logs every stderr line as an error (unless it
        // says "warn") and stdout lines as information: errors to stderr,
        // everything else to stdout, no colours.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(
                std::io::stderr
                    .with_max_level(Level::ERROR)
                    .or_else(std::io::stdout),
            )
            .with_ansi(false)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Commands print their own results, so they log warnings only; the server logs what it does.
fn default_log_level() -> &'static str {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        "info"
    } else {
        "warn"
    }
}
