//! The command line: rating events, replayed from a ratings file or drawn
//! from a synthetic world, sent to stdout, the local app or an Event Hub at a
//! set rate. It owns the flags, their checks and what is printed; the loop
//! itself is [`movierec_generate::run`].
//!
//! - [`duration`]: `90s`, `15m`, `2h`.
//! - [`input`]: the replayed ratings file.
//! - [`target`]: `--to` and the Event Hub options.
//! - [`error`]: why the command refused or failed.

mod duration;
mod error;
mod input;
mod target;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use movierec_core::data::synth::SynthSpec;
use movierec_core::data::{OnError, RatingsFormat};
use movierec_generate::closed_loop::{run_loop, LoopOptions};
use movierec_generate::source::Source;
use movierec_generate::{run as run_events, RunOptions, Summary};

use duration::parse_duration;
pub use error::CliError;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PartitionBy {
    /// The user id is each batch's partition key (Event Hubs hashes it);
    /// a batch holds one user's consecutive events.
    Key,
    /// movierec picks the partition from the user id; batches hold many users
    /// and fill to the size limit.
    Hash,
}

/// movierec-generate: send rating events (replayed or synthetic) to stdout,
/// the app's POST /events or an Event Hub.
#[derive(Debug, Parser)]
#[command(name = "movierec-generate", version, about, long_about = None)]
pub struct Args {
    /// Replay this ratings file (u.data, ratings.dat, ratings.csv), in file order.
    #[arg(long, conflicts_with = "synthetic")]
    from: Option<PathBuf>,
    /// Start the file again at its end (with --from).
    #[arg(long = "loop", requires = "from")]
    looping: bool,
    /// Format of the ratings file (with --from): auto (from the file name,
    /// else the first line), tab (u.data), dat (ratings.dat, `::`), csv.
    #[arg(long, default_value = "auto")]
    format: RatingsFormat,
    /// What to do with a malformed row of the ratings file (with --from):
    /// fail, or skip (counted, the first few reported).
    #[arg(long, default_value = "fail")]
    on_error: OnError,
    /// Draw events from a synthetic world: power-law movie popularity,
    /// Pareto user activity, and users with taste ALS can learn.
    #[arg(long)]
    synthetic: bool,
    /// Users of the synthetic world.
    #[arg(long, default_value_t = 1_000)]
    users: usize,
    /// Movies of the synthetic world.
    #[arg(long, default_value_t = 2_000)]
    movies: usize,
    /// How many movies, drawn by popularity, a synthetic user weighs before
    /// rating the one their taste prefers (default: 1, popularity alone; the
    /// closed loop's world uses 4, so that what users rate follows their taste).
    #[arg(long)]
    choice_candidates: Option<usize>,
    /// Where events go: `stdout` (JSON lines), `http://HOST:PORT/events` (the
    /// app in standalone mode), or `eventhub` (see --namespace, --hub).
    #[arg(long, default_value = "stdout")]
    to: String,
    /// Event Hubs namespace, `<name>.servicebus.windows.net` (with --to eventhub).
    #[arg(long, env = "MOVIEREC_EVENTHUB_NAMESPACE")]
    namespace: Option<String>,
    /// Event Hub name (with --to eventhub).
    #[arg(long, default_value = "ratings")]
    hub: String,
    /// Connect to this AMQP endpoint instead, e.g. a local test server
    /// `amqp://127.0.0.1:5672` (with --to eventhub).
    #[arg(long)]
    eventhub_endpoint: Option<String>,
    /// Client id of a user-assigned managed identity (with --to eventhub).
    #[arg(long, env = "AZURE_CLIENT_ID")]
    client_id: Option<String>,
    /// How a user's events are kept in one partition (with --to eventhub).
    #[arg(long, value_enum, default_value = "key")]
    partition_by: PartitionBy,
    /// How long to wait for an Event Hub to answer any call (open, read its
    /// partitions, create or send a batch, close) before the batch is retried
    /// on a new connection (with --to eventhub): `30s`.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    send_timeout: Duration,
    /// Events per second (default: as fast as the target takes them).
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this long: `90`, `90s`, `15m`, `2h`.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Events per send (an Event Hub batch is also cut at its size limit).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Share of events sent deliberately broken (0 to 1), to exercise dead letters.
    #[arg(long, default_value_t = 0.0)]
    poison_rate: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Retries of a failed send before the run stops with an error.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Print the summary as one JSON line on stderr too.
    #[arg(long)]
    json: bool,
    /// Instead of streaming ratings: synthetic users fetch their lists from
    /// the app, look at them (position bias: rank r looked at with
    /// 0.8 / (r + 1)) and rate what they look at and expect to like, with
    /// --synthetic's world and seed. --rate is then
    /// lists per second (default 50).
    #[arg(long, requires = "synthetic")]
    closed_loop: bool,
}

impl Args {
    /// The options a run needs, once they are checked.
    fn run_options(&self) -> Result<RunOptions, CliError> {
        if !(0.0..=1.0).contains(&self.poison_rate) {
            return Err(CliError::PoisonRate(self.poison_rate));
        }
        if self.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            return Err(CliError::Rate);
        }
        if self.batch == 0 {
            return Err(CliError::Batch);
        }
        Ok(RunOptions {
            count: self.count,
            duration: self.duration,
            rate: self.rate,
            batch: self.batch,
            poison_rate: self.poison_rate,
            seed: self.seed,
            retries: self.retries,
        })
    }

    fn endless(&self) -> bool {
        self.count.is_none() && self.duration.is_none()
    }

    /// The synthetic world the flags describe.
    fn world(&self) -> Result<SynthSpec, CliError> {
        if self.users == 0 || self.movies == 0 || self.choice_candidates == Some(0) {
            return Err(CliError::EmptyWorld);
        }
        let mut spec = SynthSpec::small(self.seed);
        spec.users = self.users;
        spec.items = self.movies;
        spec.choice_candidates = self.choice_candidates.unwrap_or(spec.choice_candidates);
        Ok(spec)
    }

    /// Where ratings come from: the file or the synthetic world.
    fn source(&self) -> Result<Source, CliError> {
        let source = match (&self.from, self.synthetic) {
            (Some(path), false) => Source::replay(
                input::read_ratings(path, self.format, self.on_error)?,
                self.looping,
            ),
            (None, true) => {
                if self.endless() {
                    return Err(CliError::Endless("synthetic"));
                }
                Source::synthetic(&self.world()?)
            }
            _ => return Err(CliError::NoSource),
        };
        if self.looping && self.endless() {
            return Err(CliError::Endless("loop"));
        }
        Ok(source)
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    if args.closed_loop {
        return closed_loop(&args);
    }
    let options = args.run_options()?;
    let mut source = args.source()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let (summary, result) = runtime.block_on(async {
        let sink = target::sink(&args).await?;
        Ok::<_, CliError>(run_events(&mut source, sink, &options).await)
    })?;
    print_summary(&summary, args.json);
    Ok(result?)
}

/// `--closed-loop`: the users of the synthetic world fetch and rate their lists.
fn closed_loop(args: &Args) -> Result<(), CliError> {
    let base_url = args
        .to
        .strip_suffix("/events")
        .filter(|base| base.starts_with("http://") || base.starts_with("https://"));
    let (Some(base_url), Some(duration)) = (base_url, args.duration) else {
        return Err(CliError::ClosedLoop);
    };
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err(CliError::Rate);
    }
    let options = LoopOptions {
        base_url: base_url.to_string(),
        spec: args.world()?,
        duration,
        rate: args.rate.unwrap_or(50.0),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let summary = runtime
        .block_on(run_loop(&options))
        .map_err(CliError::Loop)?;
    for (arm, tally) in &summary.arms {
        let share = |n: u64, of: u64| 100.0 * n as f64 / of.max(1) as f64;
        eprintln!(
            "arm {:?}: {} lists, {} items shown, {} looked at, {} watched and rated, {} liked ({:.2}% of shown)",
            arm,
            tally.lists,
            tally.items_shown,
            tally.looked_at,
            tally.watched,
            tally.liked,
            share(tally.liked, tally.items_shown)
        );
    }
    if args.json {
        eprintln!(
            "{}",
            serde_json::to_string(&summary).expect("a summary serialises")
        );
    }
    Ok(())
}

fn print_summary(summary: &Summary, json: bool) {
    eprintln!(
        "sent {} events ({} valid, {} poison) in {} batches, {:.1} s, {:.0} events/s; {} retries; stopped by {}",
        summary.sent,
        summary.valid,
        summary.poison,
        summary.batches,
        summary.seconds,
        summary.events_per_second,
        summary.retries,
        summary.stopped_by
    );
    if let Some(app) = summary.app {
        eprintln!(
            "the app stored {}, left {} unchanged (duplicate or older) and dead-lettered {}",
            app.stored, app.unchanged, app.dead_lettered
        );
    }
    if json {
        eprintln!(
            "{}",
            serde_json::to_string(summary).expect("a summary serialises")
        );
    }
}
