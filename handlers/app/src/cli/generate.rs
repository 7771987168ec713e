//! `movierec generate`: rating events, replayed from a ratings file or drawn
//! from a synthetic world, sent to stdout, the local app or an Event Hub at a
//! set rate. The loop itself is [`movierec::generate`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use movierec::generate::{run, sink::Sink, source::Source, RunOptions};
use movierec_core::data::synth::SynthSpec;

use super::options::InputOptions;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PartitionBy {
    /// The user id is each batch's partition key (Event Hubs hashes it);
    /// a batch holds one user's consecutive events.
    Key,
    /// movierec picks the partition from the user id; batches hold many users
    /// and fill to the size limit.
    Hash,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Replay this ratings file (u.data, ratings.dat, ratings.csv), in file order.
    #[arg(long, conflicts_with = "synthetic")]
    from: Option<PathBuf>,
    /// Start the file again at its end (with --from).
    #[arg(long = "loop", requires = "from")]
    looping: bool,
    #[command(flatten)]
    input: InputOptions,
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
    /// How long to wait for an Event Hub to acknowledge a batch before the
    /// batch is retried (with --to eventhub): `30s`.
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
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; use e.g. 90s, 15m or 2h"))?;
    let seconds = match unit {
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: the unit must be s, m or h")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{text:?}: a duration must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

async fn sink(args: &GenerateArgs) -> anyhow::Result<Sink> {
    match args.to.as_str() {
        "stdout" => Ok(Sink::stdout()),
        url if url.starts_with("http://") || url.starts_with("https://") => Ok(Sink::http(url)),
        "eventhub" => eventhub_sink(args).await,
        other => bail!("--to {other:?}: expected stdout, http://HOST:PORT/events or eventhub"),
    }
}

#[cfg(feature = "eventhubs")]
async fn eventhub_sink(args: &GenerateArgs) -> anyhow::Result<Sink> {
    use anyhow::Context;
    use movierec::generate::eventhub::{EventHubSink, EventHubTarget, Partitioning};
    let namespace = args.namespace.clone().context(
        "--to eventhub needs --namespace <name>.servicebus.windows.net (or MOVIEREC_EVENTHUB_NAMESPACE)",
    )?;
    let target = EventHubTarget {
        namespace,
        hub: args.hub.clone(),
        endpoint: args.eventhub_endpoint.clone(),
        client_id: args.client_id.clone(),
        partitioning: match args.partition_by {
            PartitionBy::Key => Partitioning::Key,
            PartitionBy::Hash => Partitioning::Hash,
        },
        send_timeout: args.send_timeout,
    };
    let hub = EventHubSink::connect(&target)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(Sink::EventHub(Box::new(hub)))
}

#[cfg(not(feature = "eventhubs"))]
async fn eventhub_sink(_: &GenerateArgs) -> anyhow::Result<Sink> {
    bail!("--to eventhub: this build has no Event Hubs support (the default `eventhubs` feature is off)")
}

pub fn run_command(args: GenerateArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.poison_rate) {
        bail!("--poison-rate {} must be between 0 and 1", args.poison_rate);
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of events per second");
    }
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let mut source = match (&args.from, args.synthetic) {
        (Some(path), false) => Source::replay(args.input.load(path)?, args.looping),
        (None, true) => {
            if args.count.is_none() && args.duration.is_none() {
                bail!("--synthetic never ends by itself: give --count or --duration");
            }
            if args.users == 0 || args.movies == 0 {
                bail!("--users and --movies must be positive");
            }
            let mut spec = SynthSpec::small(args.seed);
            spec.users = args.users;
            spec.items = args.movies;
            Source::synthetic(&spec)
        }
        _ => bail!("say where events come from: --from FILE or --synthetic"),
    };
    if args.looping && args.count.is_none() && args.duration.is_none() {
        bail!("--loop never ends by itself: give --count or --duration");
    }
    let options = RunOptions {
        count: args.count,
        duration: args.duration,
        rate: args.rate,
        batch: args.batch,
        poison_rate: args.poison_rate,
        seed: args.seed,
        retries: args.retries,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (summary, result) = runtime.block_on(async {
        let sink = sink(&args).await?;
        anyhow::Ok(run(&mut source, sink, &options).await)
    })?;
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
    if args.json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    }
    result.map_err(|e| {
        anyhow::anyhow!(
            "{e}; {} events were sent before it, {} not",
            summary.sent,
            summary.failed
        )
    })
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("0").is_err());
    }
}
