//! # movierec: the binary
//!
//! One executable for every role: the command line (`train`, `evaluate`,
//! `recommend`, `split`, `synth`, `package`) and the app (`serve`, standalone
//! or as the Functions custom handler; see the library crate's docs). This
//! file stays thin: it parses the command line, sets up `tracing`, and hands
//! over to [`cli`].

mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("MOVIEREC_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_log_level())),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
