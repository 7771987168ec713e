//! # movierec: the binary
//!
//! One executable for every role: the command line (`train`, `evaluate`,
//! `recommend`, `split`, `synth`, `package`) and the app (`serve`, standalone
//! or as the Functions custom handler; see the library crate's docs). This
//! file stays thin: it parses the command line, sets up `tracing` (the log
//! lines, and the spans' exporter when OpenTelemetry is configured:
//! `movierec::telemetry::traces`), and hands over to [`cli`].

mod cli;

use clap::Parser;
use movierec::telemetry::traces;
use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

fn main() -> std::process::ExitCode {
    movierec::allocator::configure();
    let mut filter = EnvFilter::try_from_env("MOVIEREC_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_log_level()));
    let under_host = std::env::var_os("FUNCTIONS_CUSTOMHANDLER_PORT").is_some();
    let log_lines = if under_host {
        // Every line logged during an invocation names it: the request span
        // carries the host's invocation id.
        filter = filter.add_directive(
            format!("{}=debug", traces::REQUEST_TARGET)
                .parse()
                .expect("a valid directive"),
        );
        // The Functions host logs every stderr line as an error (unless it
        // says "warn") and stdout lines as information: errors to stderr,
        // everything else to stdout, no colours.
        tracing_subscriber::fmt::layer()
            .with_writer(
                std::io::stderr
                    .with_max_level(Level::ERROR)
                    .or_else(std::io::stdout),
            )
            .with_ansi(false)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(filter)
            .boxed()
    };
    let (spans, exporting) = match traces::layer() {
        Ok(Some((layer, exporting))) => (Some(layer), Some(exporting)),
        Ok(None) => (None, None),
        Err(err) => {
            eprintln!("error: {:#}", anyhow::Error::new(err));
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::registry()
        .with(log_lines)
        .with(spans)
        .init();
    let args = cli::Cli::parse();
    let code = match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    };
    if let Some(exporting) = exporting {
        exporting.shutdown();
    }
    code
}

/// Commands print their own results, so they log warnings only; the server logs what it does.
fn default_log_level() -> &'static str {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        "info"
    } else {
        "warn"
    }
}
