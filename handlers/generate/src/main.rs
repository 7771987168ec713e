//! # movierec-generate: the binary
//!
//! Thin: it sets up `tracing` (`MOVIEREC_LOG`, warnings by default, on
//! stderr: stdout may carry the events), parses the command line and hands
//! over to [`cli`]. An error is printed with its causes and exits 1.

mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("MOVIEREC_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli::run(cli::Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", movierec_generate::report(&err));
            std::process::ExitCode::FAILURE
        }
    }
}
